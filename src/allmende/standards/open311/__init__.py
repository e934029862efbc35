"""Open311 GeoReport v2 over the citizen-report providers of the enabled modules.

Mounted by the app: :data:`router`, errors under :data:`PREFIX` rendered by
:func:`render_error`, translations in :data:`LOCALE`. See ``docs/open311.md``.
"""

from pathlib import Path

from allmende.standards.open311.api import PREFIX, router
from allmende.standards.open311.errors import render_error
from allmende.standards.open311.schemas import ERRORS as ERROR_SCHEMA

LOCALE = Path(__file__).parent / "locale"

__all__ = ["ERROR_SCHEMA", "LOCALE", "PREFIX", "render_error", "router"]
