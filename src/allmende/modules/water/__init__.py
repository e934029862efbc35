"""Water: the water balance of street trees and green areas with soil probes and citizens'
watering, the "needs water" map and the crews' watering tours, irrigation control through
SensorThings Tasking, water meters with consumption and leak alarms."""

from pathlib import Path

from allmende.modules.water.api import router
from allmende.modules.water.catalogue import N_, SCOPE
from allmende.modules.water.demo import add_demo
from allmende.modules.water.jobs import JOBS
from allmende.modules.water.pages import pages
from allmende.sdk import ModuleSpec, NavItem

HERE = Path(__file__).parent

MODULE = ModuleSpec(
    key="water",
    title=N_("Water"),
    description=N_(
        "Which street trees need water, now and in the coming days; watering tours for the "
        "crews; irrigation that waters only when needed; water meters and leak alarms."
    ),
    version="0.1.0",
    requires=("assets", "sensors"),
    router=router,
    pages=pages,
    templates=HERE / "templates",
    static=HERE / "static",
    locale=HERE / "locale",
    nav=(
        NavItem(N_("Needs water"), "/water"),
        NavItem(N_("Watering tours"), "/water/crews", staff_only=True),
        NavItem(N_("Irrigation"), "/water/zones", staff_only=True),
        NavItem(N_("Water meters"), "/water/meters"),
    ),
    scopes=(SCOPE,),
    migrations=HERE / "migrations",
    jobs=JOBS,
    demo=add_demo,
)
