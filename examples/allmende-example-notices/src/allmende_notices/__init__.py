"""Example module: a notice board per municipality."""

from pathlib import Path

from allmende.sdk import ModuleSpec, NavItem
from allmende_notices.api import router
from allmende_notices.demo import add_demo_notices
from allmende_notices.pages import pages

HERE = Path(__file__).parent

MODULE = ModuleSpec(
    key="notices",
    title="Notices",
    description="Notices of the municipalities: public announcements and internal notes.",
    version="0.1.0",
    router=router,
    pages=pages,
    templates=HERE / "templates",
    locale=HERE / "locale",
    nav=(NavItem("Notices", "/notices"),),
    scopes=("notices",),
    migrations=HERE / "migrations",
    demo=add_demo_notices,
)
