"""The observation core every module uses: SensorThings entities, stored on both backends.

``models`` holds the tables, ``service`` the rules (creation, links, cascades, the batched
Observation ingest that keeps each Datastream's latest value and statistics current), ``times``
the conversions between ISO 8601 and the integer times stored, ``vocabulary`` the
ObservedProperty definitions the platform knows, ``read`` the modules' facade.
"""

from pathlib import Path

MIGRATIONS = Path(__file__).with_name("migrations")
#: German labels of the vocabulary (:mod:`allmende.sensing.vocabulary`).
LOCALE = Path(__file__).with_name("locale")
