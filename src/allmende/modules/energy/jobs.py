"""Scheduled work: re-plan every zone under predictive control every 15 minutes, poll the
demand-response programmes of the municipalities that joined one, and calibrate every zone on
its last four weeks of measurements once a week."""

from __future__ import annotations

import logging
from typing import Any

from allmende.modules.energy import calibrate, demand, service
from allmende.sdk import JobSpec

log = logging.getLogger(__name__)


def replan(context: Any) -> None:
    plans = context.database.write(lambda s: service.replan_all(s, now=context.now))
    fallbacks = sum(1 for p in plans if p.status == "fallback")
    log.info("energy: %d zones re-planned, %d fell back to their schedule", len(plans), fallbacks)


def poll_demand_response(context: Any) -> None:
    demand.poll_all(context.database, now=context.now)


def calibrate_zones(context: Any) -> None:
    outcomes = context.database.write(lambda s: calibrate.calibrate_all(s, now=context.now))
    for outcome in outcomes:
        if outcome.reason is not None:
            log.info("energy: zone %d not calibrated: %s", outcome.zone.id, outcome.reason)
    done = sum(1 for o in outcomes if o.stored is not None)
    log.info("energy: %d of %d zones calibrated", done, len(outcomes))


JOBS = (
    JobSpec("energy.replan", 900, replan),
    JobSpec("energy.demand-response", 30, poll_demand_response),
    JobSpec("energy.calibrate", 7 * 86400, calibrate_zones),
)
