"""JSON or HTML: the ``f`` parameter decides, else the Accept header (JSON unless HTML is
preferred, so ``*/*`` and API clients get JSON and browsers get pages). Types we never serve
(images, XML) do not take part."""

from __future__ import annotations

from starlette.requests import Request

HTML_TYPES = ("text/html", "application/xhtml+xml")
JSON_TYPES = ("application/json", "application/geo+json", "application/*", "*/*")


def _quality(part: str) -> tuple[str, float]:
    kind, *options = (p.strip() for p in part.split(";"))
    quality = 1.0
    for option in options:
        name, _, value = option.partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
    return kind.lower(), quality


def wants_html(request: Request, f: str | None) -> bool:
    if f is not None:
        return f == "html"
    html = data = 0.0
    for part in request.headers.get("accept", "").split(","):
        if not part.strip():
            continue
        kind, quality = _quality(part)
        if kind in HTML_TYPES:
            html = max(html, quality)
        elif kind in JSON_TYPES or kind.endswith("+json"):
            data = max(data, quality)
    return html > data
