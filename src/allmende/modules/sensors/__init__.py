"""Sensors: every sensor Thing of the region on a map and in a list with its latest values,
a page per Thing with a chart per Datastream, and the demo sensor network."""

from pathlib import Path

from allmende.modules.sensors.api import router
from allmende.modules.sensors.catalogue import N_
from allmende.modules.sensors.datasets import SensorDatasets
from allmende.modules.sensors.demo import add_demo_network
from allmende.modules.sensors.pages import pages
from allmende.sdk import ModuleSpec, NavItem

HERE = Path(__file__).parent

MODULE = ModuleSpec(
    key="sensors",
    title=N_("Sensors"),
    description=N_(
        "Weather stations, soil moisture at trees, water and energy meters: the latest values "
        "on a map and in a list, and charts per sensor."
    ),
    version="0.1.0",
    router=router,
    pages=pages,
    templates=HERE / "templates",
    static=HERE / "static",
    locale=HERE / "locale",
    nav=(NavItem(N_("Sensors"), "/sensors"),),
    migrations=HERE / "migrations",
    datasets=(SensorDatasets(),),
    demo=add_demo_network,
)
