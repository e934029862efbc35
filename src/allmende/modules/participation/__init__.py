"""Citizen participation in planning: processes with phases, plans on the map, contributions,
surveys, moderation with official feedback, and an open GeoJSON feed."""

from pathlib import Path

from allmende.modules.participation.api import router
from allmende.modules.participation.datasets import ParticipationDatasets
from allmende.modules.participation.demo import add_demo_process
from allmende.modules.participation.jobs import JOBS
from allmende.modules.participation.pages import pages
from allmende.modules.participation.privacy import erase_account
from allmende.modules.participation.service import N_
from allmende.sdk import ModuleSpec, NavItem

HERE = Path(__file__).parent

MODULE = ModuleSpec(
    key="participation",
    title=N_("Participation"),
    description=N_(
        "Planning processes to read and take part in: plans on the map, contributions, "
        "surveys and the municipality's answers."
    ),
    version="0.1.0",
    router=router,
    pages=pages,
    templates=HERE / "templates",
    static=HERE / "static" / "participation",
    locale=HERE / "locale",
    nav=(NavItem(N_("Participation"), "/participation"),),
    scopes=("participation",),
    migrations=HERE / "migrations",
    datasets=(ParticipationDatasets(),),
    demo=add_demo_process,
    jobs=JOBS,
    erase_account=erase_account,
)
