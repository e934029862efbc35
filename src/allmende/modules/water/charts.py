"""Small server-drawn SVG charts (no JavaScript; they print): bars of litres per hour or day,
with shaded nights and a reference line, and a tree's suction forecast against its bands.
Every chart carries a title and a description; pages put the numbers in a table beside it."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 48, 10, 10, 26


def _scale(high: float) -> float:
    if high <= 0:
        return 1.0
    for step in (1, 2, 5):
        for power in range(8):
            top = step * 10**power
            if top >= high:
                return float(top)
    return high


def _frame(key: str, title: str, description: str, body: list[str], top: float, unit: str) -> str:
    """The SVG around ``body``; ``key`` makes the ids of its title and description unique on
    the page (several charts on one page must not label each other)."""
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'class="water-chart" aria-labelledby="{key}-title {key}-desc">'
        f'<title id="{key}-title">{escape(title)}</title>'
        f'<desc id="{key}-desc">{escape(description)}</desc>',
        *body,
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" '
        'class="axis"/>',
    ]
    for fraction in (0, 0.5, 1):
        y = TOP + plot_h * (1 - fraction)
        parts.append(
            f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" class="tick">'
            f"{top * fraction:g}</text>"
        )
    parts.append(f'<text x="4" y="{TOP + 10}" class="unit">{escape(unit)}</text></svg>')
    return "".join(parts)


def bars(
    values: Sequence[float | None],
    *,
    key: str,
    title: str,
    description: str,
    unit: str,
    shaded: Sequence[bool] = (),
    reference: float | None = None,
    labels: Sequence[tuple[int, str]] = (),
) -> str:
    """Bars of ``values`` (None: no data), optional shaded slots and a dashed reference line."""
    n = max(len(values), 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    known = [v for v in values if v is not None]
    top = _scale(max([*known, reference or 0.0, 1e-9]))
    width = plot_w / n
    body = []
    for i, dark in enumerate(shaded):
        if dark:
            body.append(
                f'<rect x="{LEFT + i * width:.1f}" y="{TOP}" width="{width:.1f}" '
                f'height="{plot_h}" class="shade"/>'
            )
    for i, v in enumerate(values):
        if v is None:
            continue
        h = plot_h * min(v / top, 1.0)
        body.append(
            f'<rect x="{LEFT + i * width + 0.5:.1f}" y="{TOP + plot_h - h:.1f}" '
            f'width="{max(width - 1, 0.5):.1f}" height="{h:.1f}" class="bar"/>'
        )
    if reference is not None:
        y = TOP + plot_h * (1 - min(reference / top, 1.0))
        body.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" class="reference"/>'
        )
    for i, text in labels:
        body.append(
            f'<text x="{LEFT + (i + 0.5) * width:.1f}" y="{HEIGHT - 8}" text-anchor="middle" '
            f'class="tick">{escape(text)}</text>'
        )
    return _frame(key, title, description, body, top, unit)


def suction(
    values: Sequence[float],
    *,
    key: str,
    title: str,
    description: str,
    labels: Sequence[tuple[int, str]] = (),
    good_below: float = 33.0,
    critical_above: float = 81.0,
) -> str:
    """A suction line (kPa) over the bands good, medium and critical (capped at 200 kPa)."""
    n = max(len(values), 2)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = 200.0

    def y(v: float) -> float:
        return TOP + plot_h * (1 - min(max(v, 0.0), top) / top)

    def band(high: float, low: float, name: str) -> str:
        return (
            f'<rect x="{LEFT}" y="{y(high):.1f}" width="{plot_w}" '
            f'height="{y(low) - y(high):.1f}" class="band-{name}"/>'
        )

    body = [
        band(top, critical_above, "critical"),
        band(critical_above, good_below, "medium"),
        band(good_below, 0.0, "good"),
    ]
    points = " ".join(f"{LEFT + plot_w * i / (n - 1):.1f},{y(v):.1f}" for i, v in enumerate(values))
    body.append(f'<polyline points="{points}" class="line"/>')
    for i, text in labels:
        body.append(
            f'<text x="{LEFT + plot_w * i / (n - 1):.1f}" y="{HEIGHT - 8}" text-anchor="middle" '
            f'class="tick">{escape(text)}</text>'
        )
    return _frame(key, title, description, body, top, "kPa")
