"""OGC SensorThings API 1.1 at ``/v1.1`` (OGC 18-088), with the data array, batch, GeoJSON and
CSV extensions, Tasking, the MQTT extension, and Allmende's latest-Observation and
aggregation extensions.

Mounted by the app through :data:`ADAPTER`; ``Api`` (kept in the app context as
``context.service(Api)``) does the work. See docs/sensorthings.md.
"""

from allmende.http.adapters import Adapter
from allmende.http.context import AppContext
from allmende.standards.sensorthings import mqtt
from allmende.standards.sensorthings.api import PREFIX, SingleObservationRoute, router
from allmende.standards.sensorthings.errors import render_error
from allmende.standards.sensorthings.handlers import Api


def _setup(context: AppContext) -> None:
    context.attach(Api(context.database, context.settings))
    mqtt.setup(context)


ADAPTER = Adapter(
    key="sensorthings",
    prefix=PREFIX,
    router=router,
    render_error=render_error,
    setup=_setup,
    start=mqtt.start,
    stop=mqtt.stop,
    first_routes=(SingleObservationRoute(),),
    refuses_nul_itself=True,
)

__all__ = ["ADAPTER", "PREFIX", "Api"]
