"""A small sensor network for the sensors tests, built through the SDK facade on both backends:
a public weather station and an internal meter in A, a public probe in B."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from allmende.modules.sensors.catalogue import KINDS
from allmende.sdk import sensing
from allmende.storage.database import Database
from tests.support.region import Region
from tests.support.seeds import seed

#: The newest value of every series; the series run hourly for three days up to it.
END = datetime(2026, 9, 20, 12, 0, tzinfo=UTC)
HOURS = 72
DEFINITION = {k.key: k.definition for k in KINDS}
CELSIUS = {"name": "degree Celsius", "symbol": "Cel", "definition": "ucum:Cel"}
MM = {"name": "millimetre", "symbol": "mm", "definition": "ucum:mm"}
KW = {"name": "kilowatt", "symbol": "kW", "definition": "ucum:kW"}
PERCENT = {"name": "percent", "symbol": "%", "definition": "ucum:%"}


@dataclass(frozen=True)
class Network:
    station: int  # A, public: temperature (0.1 °C steps) and precipitation (1 mm every 6 h)
    meter: int  # A, internal: power
    probe: int  # B, public: soil moisture, no values yet
    temperature: int
    precipitation: int
    power: int
    soil: int


def times() -> list[datetime]:
    return [END - timedelta(hours=HOURS - 1 - i) for i in range(HOURS)]


@seed
def network(database: Database, region: Region) -> Network:
    """The sensor network with three days of values, seeded once per backend."""
    a, b = region.municipality_a, region.municipality_b

    def build(session: Session) -> Network:
        def prop(m: int, key: str) -> int:
            return sensing.create_observed_property(
                session, municipality_id=m, name=key, definition=DEFINITION[key]
            )

        sensor_a = sensing.create_sensor(session, municipality_id=a, name="WS")
        sensor_b = sensing.create_sensor(session, municipality_id=b, name="Sonde")
        station = sensing.create_thing(
            session,
            municipality_id=a,
            name="Wetterstation A",
            lon=8.65,
            lat=49.45,
            properties={"kind": "weather-station"},
        )
        meter = sensing.create_thing(
            session,
            municipality_id=a,
            name="Stromzähler Bauhof",
            lon=8.66,
            lat=49.46,
            properties={"kind": "energy-meter"},
            public=False,
        )
        probe = sensing.create_thing(
            session,
            municipality_id=b,
            name="Bodenfeuchte Eiche",
            lon=8.75,
            lat=49.45,
            properties={"kind": "soil-moisture", "tree": "Eiche"},
        )
        temperature = sensing.create_datastream(
            session,
            thing_id=station,
            sensor_id=sensor_a,
            observed_property_id=prop(a, "air-temperature"),
            name="Lufttemperatur",
            unit=CELSIUS,
        )
        precipitation = sensing.create_datastream(
            session,
            thing_id=station,
            sensor_id=sensor_a,
            observed_property_id=prop(a, "precipitation"),
            name="Niederschlag",
            unit=MM,
        )
        power = sensing.create_datastream(
            session,
            thing_id=meter,
            sensor_id=sensor_a,
            observed_property_id=prop(a, "power"),
            name="Wirkleistung",
            unit=KW,
        )
        soil = sensing.create_datastream(
            session,
            thing_id=probe,
            sensor_id=sensor_b,
            observed_property_id=prop(b, "soil-moisture"),
            name="Bodenfeuchte 30 cm",
            unit=PERCENT,
        )
        moments = times()
        sensing.ingest_series(
            session,
            datastream_id=temperature,
            times=moments,
            values=[round(10 + 0.1 * i, 1) for i in range(HOURS)],
        )
        sensing.ingest_series(
            session,
            datastream_id=precipitation,
            times=moments,
            values=[1.0 if i % 6 == 0 else 0.0 for i in range(HOURS)],
        )
        sensing.ingest_series(session, datastream_id=power, times=moments, values=[5.0] * HOURS)
        return Network(station, meter, probe, temperature, precipitation, power, soil)

    return database.write(build)
