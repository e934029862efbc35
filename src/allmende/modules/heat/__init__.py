"""Heat: live heat-stress indices of the weather stations (UTCI, heat index, apparent
temperature, mean radiant temperature), an hourly heat map that joins a land-cover model with
the measurements, heat warnings per district (events, CAP, Atom), cool places, and an action
plan that switches devices through SensorThings Tasking."""

from pathlib import Path

from allmende.modules.heat.api import router
from allmende.modules.heat.catalogue import N_, SCOPE
from allmende.modules.heat.commands import commands
from allmende.modules.heat.demo import add_demo
from allmende.modules.heat.features import HeatFeatures
from allmende.modules.heat.jobs import JOBS
from allmende.modules.heat.pages import pages
from allmende.sdk import ModuleSpec, NavItem

HERE = Path(__file__).parent

MODULE = ModuleSpec(
    key="heat",
    title=N_("Heat"),
    description=N_(
        "Heat stress where people are: UTCI at the weather stations, an hourly heat map of "
        "every district from land cover and measurements, heat warnings with advice, cool "
        "places, and an action plan that switches misting systems, fountains and shading."
    ),
    version="0.1.0",
    requires=("sensors", "assets"),
    router=router,
    pages=pages,
    templates=HERE / "templates",
    static=HERE / "static",
    locale=HERE / "locale",
    nav=(NavItem(N_("Heat"), "/heat"), NavItem(N_("Heat plan"), "/heat/staff", staff_only=True)),
    scopes=(SCOPE,),
    migrations=HERE / "migrations",
    feature_sources=(HeatFeatures(),),
    jobs=JOBS,
    demo=add_demo,
    commands=commands,
)
