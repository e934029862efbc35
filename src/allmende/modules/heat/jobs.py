"""Scheduled work: the stations' indices and the hourly map with its warnings, each run
promptly after new Observations and periodically as the safety net (restarts, other
processes). Both find their work in the database (what is missing in a look-back window)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from allmende.modules.heat import alerts, maps, stations
from allmende.modules.heat.service import DatabaseStore
from allmende.sdk import JobSpec

#: The kernel's in-process event after every batch of stored Observations.
OBSERVATIONS_CREATED = "sensing.observations.created"


def derive_station_indices(context: Any) -> None:
    stations.update(DatabaseStore(context.database), now=context.now)


#: Warnings are decided after new map hours, else at most this often (a day may end without
#: a new hour, e.g. when the reference station stopped).
DECIDE_EVERY = timedelta(minutes=10)
_decided: dict[str, datetime] = {}


def compute_maps_and_warnings(context: Any) -> None:
    store = DatabaseStore(context.database)
    computed = maps.update(store, now=context.now)
    last = _decided.get("at")
    if computed or last is None or context.now - last >= DECIDE_EVERY:
        alerts.update(store, now=context.now)
        _decided["at"] = context.now


JOBS = (
    JobSpec("heat.stations", 600, derive_station_indices, wake_on=(OBSERVATIONS_CREATED,)),
    JobSpec("heat.maps", 900, compute_maps_and_warnings, wake_on=(OBSERVATIONS_CREATED,)),
)
