"""Open311 GeoReport v2 over the citizen-report providers of the enabled modules.

Mounted by the app through :data:`ADAPTER`. See ``docs/open311.md``.
"""

from pathlib import Path

from allmende.http.adapters import Adapter
from allmende.http.openapi import StandardErrors
from allmende.standards.open311.api import PREFIX, router
from allmende.standards.open311.errors import render_error
from allmende.standards.open311.schemas import ERRORS as ERROR_SCHEMA

ADAPTER = Adapter(
    key="open311",
    prefix=PREFIX,
    router=router,
    render_error=render_error,
    errors=StandardErrors(PREFIX, "Open311Errors", ERROR_SCHEMA),
    locale=Path(__file__).parent / "locale",
)

__all__ = ["ADAPTER", "PREFIX"]
