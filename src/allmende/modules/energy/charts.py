"""Inline SVG charts for the pages: lines over time and monthly bars, drawn here so the pages
need no script. Each chart has a text alternative; the numbers are in tables beside it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD = 720, 220, 36
COLOURS = ("#005ea8", "#b34700", "#2e7d32", "#6a1b9a")


@dataclass(frozen=True)
class Line:
    label: str
    times: Sequence[datetime]
    values: Sequence[float]
    dashed: bool = False


def lines(series: Sequence[Line], *, title: str, unit: str) -> Markup:
    points = [(t, v) for s in series for t, v in zip(s.times, s.values, strict=True)]
    if not points:
        return Markup("")
    t0 = min(t for t, _ in points).timestamp()
    t1 = max(t for t, _ in points).timestamp()
    lo = min(v for _, v in points)
    hi = max(v for _, v in points)
    span_t = max(t1 - t0, 1.0)
    span_v = max(hi - lo, 1e-6)

    def x(t: datetime) -> float:
        return PAD + (t.timestamp() - t0) / span_t * (WIDTH - 2 * PAD)

    def y(v: float) -> float:
        return HEIGHT - PAD - (v - lo) / span_v * (HEIGHT - 2 * PAD)

    parts = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        f'class="energy-chart"><title>{escape(title)}</title>',
        f'<text x="4" y="{PAD - 8}" font-size="11">{escape(unit)}</text>',
        f'<text x="4" y="{y(hi) + 4:.0f}" font-size="11">{hi:.1f}</text>',
        f'<text x="4" y="{y(lo) + 4:.0f}" font-size="11">{lo:.1f}</text>',
    ]
    for i, s in enumerate(series):
        if not s.values:
            continue
        colour = COLOURS[i % len(COLOURS)]
        path = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in zip(s.times, s.values, strict=True))
        dash = ' stroke-dasharray="5 3"' if s.dashed else ""
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} points="{path}"/>'
        )
        parts.append(
            f'<text x="{WIDTH - PAD - 200}" y="{14 + 14 * i}" font-size="12" fill="{colour}">'
            f"{escape(s.label)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it is escaped above


def bars(labels: Sequence[str], values: Sequence[float | None], *, title: str, unit: str) -> Markup:
    known = [v for v in values if v is not None]
    if not known:
        return Markup("")
    top = max(max(known), 1e-6)
    width = (WIDTH - 2 * PAD) / max(len(values), 1)
    parts = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        f'class="energy-chart"><title>{escape(title)}</title>',
        f'<text x="4" y="{PAD - 8}" font-size="11">{escape(unit)}</text>',
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        left = PAD + i * width
        if value is not None:
            h = value / top * (HEIGHT - 2 * PAD)
            parts.append(
                f'<rect x="{left + 2:.1f}" y="{HEIGHT - PAD - h:.1f}" width="{width - 4:.1f}" '
                f'height="{h:.1f}" fill="{COLOURS[0]}"/>'
            )
        parts.append(
            f'<text x="{left + width / 2:.1f}" y="{HEIGHT - PAD + 14}" font-size="10" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it is escaped above
