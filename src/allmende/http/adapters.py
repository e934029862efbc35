"""How a standard's wire format is mounted: one descriptor per adapter, read by the app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    #: Called once the app context exists, e.g. to keep a service object in it.
    setup: Callable[[AppContext], None] | None = None
    #: Run in the app's lifespan: long-lived parts of the adapter (e.g. a message broker).
    start: Callable[[AppContext], Awaitable[None]] | None = None
    stop: Callable[[AppContext], Awaitable[None]] | None = None
