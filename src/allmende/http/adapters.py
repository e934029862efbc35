"""How a standard's wire format is mounted: one descriptor per adapter, read by the app.

Adapters register like outside modules do, through an entry point (group
``allmende.standards``); the built-in ones are named in Allmende's own ``pyproject.toml``:

```toml
[project.entry-points."allmende.standards"]
sensorthings = "allmende.standards.sensorthings:ADAPTER"
```
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from starlette.routing import BaseRoute

from allmende.core.errors import ConfigurationError
from allmende.http.context import AppContext
from allmende.http.openapi import StandardErrors
from allmende.http.problems import Renderer


@dataclass(frozen=True)
class Adapter:
    """A standard served under ``prefix`` (``/v1.1``, ``/open311``, ``/ogcapi``…)."""

    key: str  #: also the translation domain of its catalogue and templates
    prefix: str
    router: Any  #: a FastAPI router
    render_error: Renderer  #: errors under ``prefix`` in the standard's own format
    errors: StandardErrors | None = None  #: that format, documented in the OpenAPI document
    templates: Path | None = None
    locale: Path | None = None
    #: Its own tables' Alembic branch, applied with the kernel's.
    migrations: Path | None = None
    #: Called once the app context exists, e.g. to keep a service object in it.
    setup: Callable[[AppContext], None] | None = None
    #: Run in the app's lifespan: long-lived parts of the adapter (e.g. a message broker).
    start: Callable[[AppContext], Awaitable[None]] | None = None
    stop: Callable[[AppContext], Awaitable[None]] | None = None
    #: ASGI routes tried before every other route of the app: a hot path that answers
    #: without FastAPI's request handling (and hands everything else on to ``router``).
    first_routes: tuple[BaseRoute, ...] = ()
    #: Its JSON bodies reach it even with a NUL character in their text: it refuses that
    #: itself, naming where (SensorThings: row by row in a data array).
    refuses_nul_itself: bool = False


ENTRY_POINT_GROUP = "allmende.standards"


def discover_adapters() -> tuple[Adapter, ...]:
    """Every installed adapter, by key. None at all means the package's metadata is stale
    (installed before the entry points existed): reinstall it."""
    found: dict[str, Adapter] = {}
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        adapter = ep.load()
        if not isinstance(adapter, Adapter):
            raise ConfigurationError(f"entry point {ep.value!r} is not an Adapter")
        if adapter.key in found:
            raise ConfigurationError(f"adapter {adapter.key!r} is registered twice")
        found[adapter.key] = adapter
    if not found:
        raise ConfigurationError(
            f"no standards adapters are installed (entry point group {ENTRY_POINT_GROUP!r}): "
            "reinstall Allmende (pip install -e .) so that its metadata names them"
        )
    return tuple(found.values())
