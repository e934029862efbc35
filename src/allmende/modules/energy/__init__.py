"""Energy: municipal buildings with their meters, benchmarks and annual report; weather-
normalised baselines; a calibrated 5R1C model per zone; predictive control of the set points
against a dynamic tariff and grid CO2; demand response as an OpenADR 3.0 VEN."""

from pathlib import Path

from allmende.modules.energy import pages_forms  # noqa: F401 - the staff forms join the pages router
from allmende.modules.energy.api import router
from allmende.modules.energy.catalogue import N_
from allmende.modules.energy.demo import add_demo
from allmende.modules.energy.jobs import JOBS
from allmende.modules.energy.pages import pages
from allmende.sdk import ModuleSpec, NavItem

HERE = Path(__file__).parent

MODULE = ModuleSpec(
    key="energy",
    title=N_("Energy"),
    description=N_(
        "Energy use of municipal buildings: meters, benchmarks and the annual report, "
        "baselines, predictive control of heating set points, and demand response."
    ),
    version="0.1.0",
    requires=("sensors",),
    router=router,
    pages=pages,
    templates=HERE / "templates",
    locale=HERE / "locale",
    nav=(NavItem(N_("Energy"), "/energy"),),
    scopes=("energy",),
    migrations=HERE / "migrations",
    jobs=JOBS,
    demo=add_demo,
)
