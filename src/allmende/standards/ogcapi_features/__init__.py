"""OGC API - Features over the feature sources of the enabled modules.

Mounted by the app: :data:`router`, errors under :data:`PREFIX` rendered by
:func:`render_error`, pages from :data:`TEMPLATES`, translations in :data:`LOCALE`. See
``docs/ogcapi-features.md``.
"""

from pathlib import Path

from allmende.standards.ogcapi_features.api import router
from allmende.standards.ogcapi_features.documents import PREFIX
from allmende.standards.ogcapi_features.errors import SCHEMA as ERROR_SCHEMA
from allmende.standards.ogcapi_features.errors import render_error

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
LOCALE = HERE / "locale"

__all__ = ["ERROR_SCHEMA", "LOCALE", "PREFIX", "TEMPLATES", "render_error", "router"]
