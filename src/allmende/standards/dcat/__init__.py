"""The open-data catalogue after DCAT-AP.de 3.0 over the datasets of the enabled modules
(``ModuleSpec.datasets``), with downloads for every dataset and staff editing.

Mounted by the app through :data:`ADAPTER`. See ``docs/open-data.md``.
"""

from pathlib import Path

from fastapi import APIRouter

from allmende.http.adapters import Adapter
from allmende.http.context import AppContext
from allmende.http.problems import problem_response
from allmende.standards.dcat import api, manage, pages
from allmende.standards.dcat.rendered import RenderedAnswers
from allmende.storage.version import DataVersion

HERE = Path(__file__).parent
MIGRATIONS = HERE / "migrations"

router = APIRouter()
router.include_router(api.router)
router.include_router(manage.router)
router.include_router(pages.pages)


def _setup(context: AppContext) -> None:
    context.attach(RenderedAnswers(context.service(DataVersion)))


ADAPTER = Adapter(
    key="dcat",
    prefix=api.PREFIX,
    router=router,
    render_error=problem_response,
    templates=HERE / "templates",
    locale=HERE / "locale",
    migrations=MIGRATIONS,
    setup=_setup,
)

__all__ = ["ADAPTER", "MIGRATIONS"]
