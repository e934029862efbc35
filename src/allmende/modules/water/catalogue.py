"""Fixed vocabularies of the module: statuses, reasons, the species' water use, defaults of
tree pits, units. Labels are English source strings, translated where they are shown."""

from __future__ import annotations

from zoneinfo import ZoneInfo

SCOPE = "water"
#: Days are local days of the region; times are stored in UTC.
LOCAL_ZONE = ZoneInfo("Europe/Berlin")
UCUM = "http://unitsofmeasure.org/ucum.html"


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    return message


STATUS_LABELS = {
    "ok": N_("well supplied"),
    "soon": N_("needs water soon"),
    "now": N_("needs water now"),
}
BAND_LABELS = {"good": N_("good"), "medium": N_("medium"), "critical": N_("critical")}
SOURCE_LABELS = {
    "probe": N_("own probe"),
    "nearby": N_("corrected by a probe nearby"),
    "model": N_("water balance only"),
}
FORECAST_LABELS = {
    "forecast": N_("weather forecast"),
    "years": N_("climatology of earlier years"),
    "recent": N_("mean of the last 30 days"),
}
REASON_LABELS = {
    "water": N_("watering"),
    "soil_moist": N_("soil holds enough water"),
    "rain_expected": N_("rain expected"),
    "probe_wet": N_("probe reports wet soil"),
    "frost": N_("frost"),
    "valve_fault": N_("valve does not answer"),
    "no_data": N_("no weather data"),
}
TASK_STATE_LABELS = {"pending": N_("sent"), "done": N_("carried out"), "failed": N_("failed")}
WATERING_SOURCES = {"citizen": N_("citizen"), "crew": N_("watering crew")}
METER_KINDS = {
    "building": N_("building"),
    "fountain": N_("fountain"),
    "irrigation": N_("irrigation"),
}
ZONE_KINDS = {"lawn": N_("lawn"), "bed": N_("planting bed"), "trees": N_("group of trees")}
LEAK_STATES = {"open": N_("open"), "closed": N_("resolved")}

#: WUCOLS species factors by water use (Costello & Jones): midpoints of the classes.
WATER_USE = {"low": 0.2, "moderate": 0.5, "high": 0.8}
WATER_USE_LABELS = {"low": N_("low"), "moderate": N_("moderate"), "high": N_("high")}
#: Water use of street-tree genera and species: a reading of the drought tolerance in the GALK
#: street-tree list and Roloff's climate-species matrix (KLAM); species before genera.
SPECIES_WATER_USE = {
    "acer campestre": "low",
    "quercus cerris": "low",
    "quercus petraea": "low",
    "pyrus calleryana": "low",
    "robinia": "low",
    "corylus": "low",
    "ginkgo": "low",
    "styphnolobium": "low",
    "sophora": "low",
    "gleditsia": "low",
    "celtis": "low",
    "ostrya": "low",
    "tilia": "moderate",
    "acer": "moderate",
    "quercus": "moderate",
    "platanus": "moderate",
    "carpinus": "moderate",
    "fraxinus": "moderate",
    "sorbus": "moderate",
    "prunus": "moderate",
    "ulmus": "moderate",
    "liquidambar": "moderate",
    "betula": "high",
    "aesculus": "high",
    "alnus": "high",
    "salix": "high",
    "populus": "high",
    "fagus": "high",
}
DEFAULT_WATER_USE = "moderate"

#: Age classes for the spread of probe corrections (years: young, middle-aged, old).
AGE_CLASSES = (5, 15)

#: Defaults of a street-tree pit (FLL "Empfehlungen für Baumpflanzungen": at least 12 m³).
DEFAULT_PIT_VOLUME_M3 = 12.0
DEFAULT_OPEN_AREA_M2 = 6.0
DEFAULT_SEALED_SHARE = 0.8
#: WUCOLS microclimate factor of a street (paving, reflected heat).
DEFAULT_MICROCLIMATE = 1.2
#: Trees without a planting year count as this old.
DEFAULT_AGE_YEARS = 30.0

#: A watering by a crew: more than this at once cannot soak into a tree pit.
MAX_CREW_LITRES = 1000.0
#: A citizen's watering as the assets module reports it: the same limit as its form.
MAX_CITIZEN_LITRES = 500.0

#: Datastream units.
MM = ("millimetre", "mm", f"{UCUM}#mm")
KPA = ("kilopascal", "kPa", f"{UCUM}#kPa")
LITRE = ("litre", "L", f"{UCUM}#L")
COUNT = ("tree", "{tree}", f"{UCUM}#%7Btree%7D")
MINUTE = ("minute", "min", f"{UCUM}#min")
