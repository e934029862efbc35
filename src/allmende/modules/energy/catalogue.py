"""Fixed vocabularies of the energy module: building uses with their benchmark values, energy
carriers with prices and emission factors, and the degree-day convention of the reports."""

from __future__ import annotations

from dataclasses import dataclass


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    return message


LOCAL_ZONE = "Europe/Berlin"

# --- benchmark values ------------------------------------------------------------------------

BENCHMARK_SOURCE = (
    "Bekanntmachung der Regeln für Energieverbrauchswerte und der Vergleichswerte im "
    "Nichtwohngebäudebestand vom 15. April 2021 (BMWi/BMI, BAnz AT 03.05.2021 B1), Anlage 1 "
    "Tabelle 1 (Teilenergiekennwerte Heizung und Warmwasser) und Nummer 6.3.1 "
    "(Größenfaktor); sie ersetzt die Bekanntmachung vom 7. April 2015."
)
#: A_NGF = 0.85 · BGF where only the gross floor area is known (Nummer 4 of the Bekanntmachung).
NGF_PER_BGF = 0.85


@dataclass(frozen=True)
class Use:
    """A building use with its line of the Bekanntmachung's Anlage 1 Tabelle 1: the partial
    energy values (TEK) for heating and hot water in kWh/(m²·a) of net floor area."""

    key: str
    label: str
    line: int
    category: str
    tek_heating: float
    tek_hot_water: float


USES: tuple[Use, ...] = (
    Use(
        "town_hall", N_("Town hall, administration"), 1, "Verwaltungsgebäude (allgemein)", 48.5, 6.9
    ),
    Use("office", N_("Office building"), 7, "Bürogebäude", 49.0, 8.1),
    Use("fire_station", N_("Fire station"), 6, "Feuerwehrdienstgebäude", 50.8, 7.1),
    Use("school", N_("School"), 21, "Schulen", 49.3, 22.4),
    Use("daycare", N_("Day-care centre"), 22, "Kinderbetreuungseinrichtungen", 50.4, 17.3),
    Use("sports_hall", N_("Sports hall"), 30, "Sporthallen", 68.6, 22.0),
    Use("swimming_pool", N_("Indoor pool"), 32, "Schwimmhallen", 63.8, 24.7),
    Use("community_hall", N_("Community hall"), 27, "Gemeinschafts-/Gemeindehäuser", 63.6, 10.0),
    Use("library", N_("Library, archive"), 24, "Bibliotheken/Archive", 49.0, 5.0),
    Use("depot", N_("Depot, building yard"), 44, "Gebäude für Lagerung", 38.1, 19.3),
)
USE_BY_KEY = {u.key: u for u in USES}


def size_factor(net_floor_area: float) -> float:
    """Nummer 6.3.1: the heating TEK scales with the building's size."""
    if net_floor_area <= 500:
        return 1.46
    if net_floor_area >= 50_000:
        return 0.71
    return float(4.53 * net_floor_area**-0.215 + 0.27)


def heat_benchmark(use: Use, net_floor_area: float, *, central_hot_water: bool = True) -> float:
    """The Vergleichswert Wärme in kWh/(m²·a) of net floor area."""
    hot_water = use.tek_hot_water if central_hot_water else 0.0
    return use.tek_heating * size_factor(net_floor_area) + hot_water


# --- carriers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Carrier:
    """An energy carrier: unit, the default price (€ per unit, gross) and the emission factor
    (kg CO2-eq per kWh final energy, GEG 2020 Anlage 9) a municipality can override."""

    key: str
    label: str
    unit: str
    price: float
    co2: float
    heating: bool


CARRIERS: tuple[Carrier, ...] = (
    Carrier("electricity", N_("Electricity"), "kWh", 0.30, 0.560, False),
    Carrier("heat", N_("District heat"), "kWh", 0.14, 0.180, True),
    Carrier("gas", N_("Natural gas"), "kWh", 0.11, 0.240, True),
    Carrier("oil", N_("Heating oil"), "kWh", 0.12, 0.310, True),
    Carrier("pv", N_("PV yield"), "kWh", 0.0, 0.0, False),
    Carrier("water", N_("Water"), "m3", 4.50, 0.0, False),
)
CARRIER_BY_KEY = {c.key: c for c in CARRIERS}
HEATING_SYSTEMS = ("gas", "heat", "oil", "heat_pump", "pellets")
HEATING_LABELS = {
    "gas": N_("Gas boiler"),
    "heat": N_("District heat"),
    "oil": N_("Oil boiler"),
    "heat_pump": N_("Heat pump"),
    "pellets": N_("Wood pellets"),
}

# --- weather correction ----------------------------------------------------------------------

#: Heating degree days after VDI 3807-1: Gradtagzahl G20/15 (indoor 20 °C, heating limit 15 °C).
INDOOR_BASE = 20.0
HEATING_LIMIT = 15.0
#: The long-term degree days the reports correct to. An assumption (about the German long-term
#: mean of G20/15); a municipality sets the DWD value of its reference station.
REFERENCE_DEGREE_DAYS = 3800.0

# --- weather forecasts -----------------------------------------------------------------------

#: ObservedProperty definitions of a weather forecast the controller plans with (one
#: Observation per forecast hour; see ``outlook``). Their own definitions keep a forecast from
#: being read as a measurement of the air temperature or the radiation.
AIR_TEMPERATURE_FORECAST = "https://allmende.example/def/air_temperature_forecast"
GLOBAL_RADIATION_FORECAST = "https://allmende.example/def/global_radiation_forecast"
