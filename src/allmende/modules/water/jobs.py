"""The module's scheduled work. Heavy reading and computing happen in read-only sessions; the
writes are short (see service.py)."""

from __future__ import annotations

import logging

from allmende.modules.water import register, service, usage, zones
from allmende.sdk import JobContext, JobSpec, utcnow

log = logging.getLogger(__name__)


def refresh_balance(context: JobContext) -> service.Summary:
    """Sync the tree register, then compute and store every tree's balance."""
    database = context.database
    with database.session() as session:
        rows = register.read(session, context.feature_sources)
    synced = database.write(lambda s: register.apply(s, rows, now=utcnow()))
    now = utcnow()
    with database.session() as session:
        inputs = service.gather(session, now=now)
    computed = service.compute(inputs)
    summary = database.write(lambda s: service.store(s, inputs, computed))
    log.info(
        "water balance refreshed",
        extra={"trees": summary.trees, "added": synced.added, "removed": synced.removed},
    )
    return summary


def take_citizen_waterings(context: JobContext) -> None:
    context.database.write(service.consume_citizen_waterings)


def run_irrigation(context: JobContext) -> None:
    zones.run_controller(context.database, now=utcnow())


def check_meters(context: JobContext) -> None:
    usage.check_meters(context.database, now=utcnow())


def _balance(context: JobContext) -> None:
    refresh_balance(context)


JOBS = (
    JobSpec("water.balance", 3600, _balance),
    JobSpec("water.waterings", 300, take_citizen_waterings, wake_on=(service.CITIZEN_WATERING,)),
    JobSpec("water.irrigation", 900, run_irrigation, wake_on=("sensing.task.done",)),
    JobSpec("water.meters", 3600, check_meters),
)
