"""Fixed vocabularies of the module: the kinds of measurement it knows, the chart periods and
the display form of UCUM units. Labels are English source strings, translated where shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

#: Times are stored in UTC and shown in the region's time zone.
LOCAL_ZONE = ZoneInfo("Europe/Berlin")


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    return message


@dataclass(frozen=True)
class Kind:
    """A kind of measurement: an ObservedProperty ``definition`` with a short key for links.

    ``style`` "bar" draws amounts per interval (precipitation) and sums them when aggregating;
    "line" draws states and averages them.
    """

    key: str
    definition: str
    label: str
    style: str = "line"
    decimals: int = 1


NERC = "http://vocab.nerc.ac.uk/standard_name/"
QUDT = "http://qudt.org/vocab/quantitykind/"

KINDS: tuple[Kind, ...] = (
    Kind("air-temperature", NERC + "air_temperature/", N_("Air temperature")),
    Kind("relative-humidity", NERC + "relative_humidity/", N_("Relative humidity"), decimals=0),
    Kind("precipitation", NERC + "precipitation_amount/", N_("Precipitation"), "bar"),
    Kind("wind-speed", NERC + "wind_speed/", N_("Wind speed")),
    Kind(
        "global-radiation",
        NERC + "surface_downwelling_shortwave_flux_in_air/",
        N_("Global radiation"),
        decimals=0,
    ),
    Kind(
        "soil-moisture",
        NERC + "volume_fraction_of_condensed_water_in_soil/",
        N_("Soil moisture"),
    ),
    Kind("water-volume", QUDT + "Volume", N_("Water meter reading"), decimals=2),
    Kind("water-flow", QUDT + "VolumeFlowRate", N_("Water flow"), decimals=0),
    Kind("energy", QUDT + "Energy", N_("Energy meter reading"), decimals=0),
    Kind("power", QUDT + "Power", N_("Electric power")),
)

#: Kinds of station (``properties.kind`` of a Thing).
STATION_KINDS = {
    "weather-station": N_("Weather station"),
    "soil-moisture": N_("Soil moisture probe"),
    "water-meter": N_("Water meter"),
    "energy-meter": N_("Energy meter"),
}


@dataclass(frozen=True)
class Period:
    key: str
    label: str
    span: timedelta
    #: None: every Observation; else the interval of the aggregate drawn.
    step: timedelta | None
    #: The interval of the data table shown next to the chart.
    table_step: timedelta


PERIODS: dict[str, Period] = {
    "24h": Period("24h", N_("Last 24 hours"), timedelta(hours=24), None, timedelta(hours=1)),
    "7d": Period("7d", N_("Last 7 days"), timedelta(days=7), timedelta(hours=1), timedelta(days=1)),
    "30d": Period(
        "30d", N_("Last 30 days"), timedelta(days=30), timedelta(hours=1), timedelta(days=1)
    ),
}

#: UCUM codes as people read them.
UNIT_SYMBOLS = {
    "Cel": "°C",
    "m3": "m³",
    "W/m2": "W/m²",
    "kW.h": "kWh",
    "L/h": "l/h",
    "m/s": "m/s",
    "mm": "mm",
    "%": "%",
    "kW": "kW",
}


def unit_symbol(code: str) -> str:
    return UNIT_SYMBOLS.get(code, code)
