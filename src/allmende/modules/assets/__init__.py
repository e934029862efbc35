"""Public spaces and municipal objects: the object register, inspections and work orders,
bookings of squares, adoption of trees, and citizen reports (Open311, OGC API - Features)."""

from pathlib import Path

# Importing the handler modules adds their routes to ``router`` and ``pages``.
from allmende.modules.assets import (  # noqa: F401
    api,
    api_citizens,
    api_maintenance,
    api_reports,
    pages_citizens,
    pages_config,
    pages_staff,
)
from allmende.modules.assets.api_routing import router
from allmende.modules.assets.catalogue import N_, SCOPE
from allmende.modules.assets.datasets import AssetDatasets
from allmende.modules.assets.demo import add_demo
from allmende.modules.assets.features import AssetFeatures
from allmende.modules.assets.jobs import JOBS
from allmende.modules.assets.pages import pages
from allmende.modules.assets.privacy import erase_account
from allmende.modules.assets.reports.open311 import ReportsOpen311
from allmende.sdk import ModuleSpec, NavItem

HERE = Path(__file__).parent

MODULE = ModuleSpec(
    key="assets",
    title=N_("Public spaces"),
    description=N_(
        "Municipal objects on a map: trees, playgrounds, benches, lights and squares; "
        "inspections and work orders, bookings, tree adoption and citizen reports."
    ),
    version="0.1.0",
    router=router,
    pages=pages,
    templates=HERE / "templates",
    static=HERE / "static",
    locale=HERE / "locale",
    nav=(
        NavItem("Public spaces", "/assets"),
        NavItem("Reports", "/reports"),
        NavItem("Calendar of squares", "/spaces"),
        NavItem("Maintenance", "/maintenance", staff_only=True),
    ),
    scopes=(SCOPE,),
    migrations=HERE / "migrations",
    feature_sources=(AssetFeatures(),),
    open311_services=(ReportsOpen311(),),
    datasets=(AssetDatasets(),),
    demo=add_demo,
    jobs=JOBS,
    erase_account=erase_account,
)
