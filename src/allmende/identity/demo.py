"""What a module's demo hook receives to add its demo data to the demo region."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from allmende.core.features import FeatureSource
from allmende.identity.models import District, Municipality, User


@dataclass
class DemoContext:
    """The demo region as built so far. Hooks run in registry order, in one write transaction.

    ``rng`` is seeded: the same version of Allmende always builds the same demo.
    """

    session: Session
    rng: random.Random
    now: datetime
    municipalities: dict[str, Municipality]
    districts: dict[str, list[District]]
    #: Demo accounts by role name: "admin", "citizen", "staff:<municipality key>".
    users: dict[str, User]
    #: What the demo tells people on start (printed, and shown on the sign-in page).
    notes: list[str] = field(default_factory=list)
    #: The enabled modules' feature sources (a module reads another's public features here).
    feature_sources: tuple[FeatureSource, ...] = ()
