"""OGC API - Features over the feature sources of the enabled modules.

Mounted by the app through :data:`ADAPTER`. See ``docs/ogcapi-features.md``.
"""

from pathlib import Path

from allmende.http.adapters import Adapter
from allmende.http.openapi import StandardErrors
from allmende.standards.ogcapi_features.api import router
from allmende.standards.ogcapi_features.documents import PREFIX
from allmende.standards.ogcapi_features.errors import SCHEMA as ERROR_SCHEMA
from allmende.standards.ogcapi_features.errors import render_error

HERE = Path(__file__).parent

ADAPTER = Adapter(
    key="ogcapi",
    prefix=PREFIX,
    router=router,
    render_error=render_error,
    errors=StandardErrors(PREFIX, "OgcException", ERROR_SCHEMA),
    templates=HERE / "templates",
    locale=HERE / "locale",
)

__all__ = ["ADAPTER", "PREFIX"]
