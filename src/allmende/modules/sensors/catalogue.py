"""Fixed vocabularies of the module: the kinds of measurement (the kernel's vocabulary), the
chart periods and the display form of UCUM units. Labels are English source strings, translated
where shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from allmende.sdk import vocabulary

#: Times are stored in UTC and shown in the region's time zone.
LOCAL_ZONE = ZoneInfo("Europe/Berlin")


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    return message


#: The kinds of measurement the platform knows (ObservedProperty definitions with labels).
Kind = vocabulary.Kind
KINDS: tuple[Kind, ...] = vocabulary.KINDS

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
    """The symbol readers know; a UCUM annotation alone (``{tree}``: a count of trees) is the
    unit 1 and shows nothing, not its braces."""
    if code.startswith("{") and code.endswith("}") and "}" not in code[1:-1]:
        return ""
    return UNIT_SYMBOLS.get(code, code)
