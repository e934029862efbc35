"""The ObservedProperty ``definition`` URIs the platform knows, one flat list.

A Datastream is recognised by the ``definition`` of its ObservedProperty, never by its name:
a module that derives UTCI from a station looks for the air-temperature, humidity, wind and
radiation definitions below, whatever each station calls them. Definitions are CF standard
names in the NERC vocabulary server where one exists, else a QUDT quantity kind, else an
Allmende term under :data:`ALLMENDE`.

Labels are English source strings marked for the catalogues; pages translate them where they
are shown. Modules may add kinds of their own (a module's ``catalogue.py``); this list is what
several of them share.
"""

from __future__ import annotations

from dataclasses import dataclass

NERC = "http://vocab.nerc.ac.uk/standard_name/"
QUDT = "http://qudt.org/vocab/quantitykind/"
ALLMENDE = "https://allmende.example/def/"


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    return message


@dataclass(frozen=True)
class Kind:
    """A kind of measurement: an ObservedProperty ``definition`` with a short key for links.

    ``style`` "bar" draws amounts per interval (precipitation, energy per hour) and sums them
    when aggregating; "line" draws states and averages them. ``decimals`` is how many places a
    value is shown with.
    """

    key: str
    definition: str
    label: str
    style: str = "line"
    decimals: int = 1


# --- weather and climate ---------------------------------------------------------------------
AIR_TEMPERATURE = NERC + "air_temperature/"
RELATIVE_HUMIDITY = NERC + "relative_humidity/"
PRECIPITATION = NERC + "precipitation_amount/"
WIND_SPEED = NERC + "wind_speed/"
GLOBAL_RADIATION = NERC + "surface_downwelling_shortwave_flux_in_air/"
#: The temperature inside a black globe (ISO 7726), the input of the mean radiant temperature.
GLOBE_TEMPERATURE = ALLMENDE + "globe_temperature"
MEAN_RADIANT_TEMPERATURE = ALLMENDE + "mean_radiant_temperature"
#: Universal Thermal Climate Index (Bröde et al. 2012), in °C; not the DWD's perceived temperature.
UTCI = ALLMENDE + "universal_thermal_climate_index"
#: The UTCI stress category, an integer from −5 (extreme cold stress) to 4 (extreme heat stress).
UTCI_STRESS_CATEGORY = ALLMENDE + "utci_stress_category"
#: Heat index after Rothfusz (NWS), in °C.
HEAT_INDEX = ALLMENDE + "heat_index"
#: Apparent temperature after Steadman (Australian BoM formula), in °C.
APPARENT_TEMPERATURE = ALLMENDE + "apparent_temperature"
#: FAO-56 Penman-Monteith reference evapotranspiration, a water amount per interval (mm). Not
#: CF's ``water_potential_evapotranspiration_amount``: ET0 is that of the FAO reference grass.
REFERENCE_EVAPOTRANSPIRATION = ALLMENDE + "reference_evapotranspiration"

# --- soil and water --------------------------------------------------------------------------
SOIL_MOISTURE = NERC + "volume_fraction_of_condensed_water_in_soil/"
#: Soil water suction (matric tension) as a positive pressure, kPa (Watermark probes).
SOIL_WATER_TENSION = ALLMENDE + "soil_water_tension"
#: How much water the root zone lacks to field capacity (mm, or L for a tree pit).
SOIL_WATER_DEFICIT = ALLMENDE + "soil_water_deficit"
WATER_VOLUME = QUDT + "Volume"
WATER_FLOW = QUDT + "VolumeFlowRate"

# --- buildings and energy --------------------------------------------------------------------
INDOOR_AIR_TEMPERATURE = ALLMENDE + "indoor_air_temperature"
SETPOINT_TEMPERATURE = ALLMENDE + "setpoint_temperature"
ENERGY = QUDT + "Energy"
POWER = QUDT + "Power"
HEATING_POWER = ALLMENDE + "heating_power"
COOLING_POWER = ALLMENDE + "cooling_power"
HEAT_ENERGY = ALLMENDE + "heat_energy"
GAS_ENERGY = ALLMENDE + "gas_energy"
ELECTRICITY_PRICE = ALLMENDE + "electricity_price"
#: Carbon intensity of the grid's electricity, g CO2-eq per kWh.
GRID_CO2_INTENSITY = ALLMENDE + "grid_carbon_intensity"

# --- devices ---------------------------------------------------------------------------------
#: Whether a valve is open: 1 (open) or 0 (closed), or the opening as a fraction.
VALVE_STATE = ALLMENDE + "valve_state"
#: A device's report that it carried out (or refused) a Task (see docs/tasking.md).
TASK_FEEDBACK = ALLMENDE + "task_feedback"

KINDS: tuple[Kind, ...] = (
    Kind("air-temperature", AIR_TEMPERATURE, N_("Air temperature")),
    Kind("relative-humidity", RELATIVE_HUMIDITY, N_("Relative humidity"), decimals=0),
    Kind("precipitation", PRECIPITATION, N_("Precipitation"), "bar"),
    Kind("wind-speed", WIND_SPEED, N_("Wind speed")),
    Kind("global-radiation", GLOBAL_RADIATION, N_("Global radiation"), decimals=0),
    Kind("globe-temperature", GLOBE_TEMPERATURE, N_("Globe temperature")),
    Kind("mean-radiant-temperature", MEAN_RADIANT_TEMPERATURE, N_("Mean radiant temperature")),
    Kind("utci", UTCI, N_("UTCI")),
    Kind("utci-category", UTCI_STRESS_CATEGORY, N_("UTCI stress category"), decimals=0),
    Kind("heat-index", HEAT_INDEX, N_("Heat index")),
    Kind("apparent-temperature", APPARENT_TEMPERATURE, N_("Apparent temperature")),
    Kind("et0", REFERENCE_EVAPOTRANSPIRATION, N_("Reference evapotranspiration"), "bar", 2),
    Kind("soil-moisture", SOIL_MOISTURE, N_("Soil moisture")),
    Kind("soil-water-tension", SOIL_WATER_TENSION, N_("Soil water tension"), decimals=0),
    Kind("soil-water-deficit", SOIL_WATER_DEFICIT, N_("Soil water deficit")),
    Kind("water-volume", WATER_VOLUME, N_("Water meter reading"), decimals=2),
    Kind("water-flow", WATER_FLOW, N_("Water flow"), decimals=0),
    Kind("indoor-air-temperature", INDOOR_AIR_TEMPERATURE, N_("Indoor air temperature")),
    Kind("setpoint-temperature", SETPOINT_TEMPERATURE, N_("Setpoint temperature")),
    Kind("energy", ENERGY, N_("Energy meter reading"), decimals=0),
    Kind("power", POWER, N_("Electric power")),
    Kind("heating-power", HEATING_POWER, N_("Heating power")),
    Kind("cooling-power", COOLING_POWER, N_("Cooling power")),
    Kind("heat-energy", HEAT_ENERGY, N_("Heat energy"), "bar", 0),
    Kind("gas-energy", GAS_ENERGY, N_("Gas energy"), "bar", 0),
    Kind("electricity-price", ELECTRICITY_PRICE, N_("Electricity price"), decimals=2),
    Kind("grid-co2-intensity", GRID_CO2_INTENSITY, N_("Grid CO2 intensity"), decimals=0),
    Kind("valve-state", VALVE_STATE, N_("Valve state"), decimals=0),
    Kind("task-feedback", TASK_FEEDBACK, N_("Task feedback"), decimals=0),
)

BY_KEY: dict[str, Kind] = {kind.key: kind for kind in KINDS}
BY_DEFINITION: dict[str, Kind] = {kind.definition: kind for kind in KINDS}


def kind_of(definition: str) -> Kind | None:
    """The known kind of an ObservedProperty ``definition`` (None if the platform has none)."""
    return BY_DEFINITION.get(definition)
