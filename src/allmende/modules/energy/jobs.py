"""Scheduled work: re-plan every zone under predictive control every 15 minutes, and poll the
demand-response programmes of the municipalities that joined one."""

from __future__ import annotations

import logging
from typing import Any

from allmende.modules.energy import demand, service
from allmende.sdk import JobSpec

log = logging.getLogger(__name__)


def replan(context: Any) -> None:
    plans = context.database.write(lambda s: service.replan_all(s, now=context.now))
    fallbacks = sum(1 for p in plans if p.status == "fallback")
    log.info("energy: %d zones re-planned, %d fell back to their schedule", len(plans), fallbacks)


def poll_demand_response(context: Any) -> None:
    demand.poll_all(context.database, now=context.now)


JOBS = (
    JobSpec("energy.replan", 900, replan),
    JobSpec("energy.demand-response", 30, poll_demand_response),
)
