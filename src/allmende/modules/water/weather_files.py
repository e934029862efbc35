"""Real weather years for tests, the season simulation and the bench, read from the files that
ship inside two pip packages (never copied into this repository):

* the DWD/BBSR test reference year 2010 for Mannheim (``teaser``, a Modelica ``.mos`` table
  converted from the EPW; hourly, no precipitation);
* NREL's TMY3 for Greensboro, North Carolina (``pvlib``; hourly, with precipitation).

Neither package is needed at run time; these readers find the files only when asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from allmende.modules.water.et0 import et0_daily, wind_at_2m

Array = NDArray[np.float64]

MANNHEIM = "teaser/data/input/inputdata/weatherdata/DEU_BW_Mannheim_107290_TRY2010_12_Jahr_BBSR.mos"
GREENSBORO = "pvlib/data/723170TYA.CSV"


class WeatherFileMissing(LookupError):
    """The package that ships the file is not installed."""


def _package_file(relative: str) -> Path:
    package, _, rest = relative.partition("/")
    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise WeatherFileMissing(f"{relative} needs the {package!r} package")
    path = Path(next(iter(spec.submodule_search_locations))) / rest
    if not path.is_file():
        raise WeatherFileMissing(f"{path} is not there")
    return path


@dataclass(frozen=True)
class Station:
    name: str
    latitude: float
    longitude: float
    elevation: float
    #: Height of the wind measurement in m.
    wind_height: float


@dataclass(frozen=True)
class HourlyYear:
    """8 760 hours of one year (hour ``i`` of day ``i // 24``)."""

    station: Station
    temperature: Array  # °C
    dew_point: Array  # °C
    humidity: Array  # %
    pressure: Array  # kPa
    radiation: Array  # global horizontal, MJ m-2 per hour
    wind: Array  # m/s at the station's wind height
    precipitation: Array | None  # mm per hour

    def days(self) -> DailyWeather:
        """Daily values: Tmax, Tmin, RHmax, RHmin, Rs, mean wind at 2 m, mean pressure, rain."""
        shape = (-1, 24)
        return DailyWeather(
            station=self.station,
            day_of_year=np.arange(1, len(self.temperature) // 24 + 1, dtype=np.float64),
            tmax=self.temperature.reshape(shape).max(1),
            tmin=self.temperature.reshape(shape).min(1),
            rh_max=self.humidity.reshape(shape).max(1),
            rh_min=self.humidity.reshape(shape).min(1),
            rs=self.radiation.reshape(shape).sum(1),
            wind_2m=wind_at_2m(self.wind.reshape(shape).mean(1), self.station.wind_height),
            pressure=self.pressure.reshape(shape).mean(1),
            precipitation=None
            if self.precipitation is None
            else self.precipitation.reshape(shape).sum(1),
        )


@dataclass(frozen=True)
class DailyWeather:
    station: Station
    day_of_year: Array
    tmax: Array
    tmin: Array
    rh_max: Array
    rh_min: Array
    rs: Array  # MJ m-2 day-1
    wind_2m: Array
    pressure: Array  # kPa
    precipitation: Array | None  # mm/day

    def et0(self) -> Array:
        return et0_daily(
            tmax=self.tmax,
            tmin=self.tmin,
            latitude=self.station.latitude,
            elevation=self.station.elevation,
            day_of_year=self.day_of_year,
            rs=self.rs,
            wind_2m=self.wind_2m,
            rh_max=self.rh_max,
            rh_min=self.rh_min,
            pressure=self.pressure,
        ).values


def mannheim_try() -> HourlyYear:
    """The Mannheim test reference year (DWD/BBSR TRY 2010, WMO 10729, 96 m, wind at 10 m)."""
    path = _package_file(MANNHEIM)
    header = [line for line in path.read_text().splitlines()[:5] if line.startswith("#LOCATION")]
    fields = header[0].split(",")
    station = Station(
        name="Mannheim (DWD/BBSR TRY 2010)",
        latitude=float(fields[6]),
        longitude=float(fields[7]),
        elevation=float(fields[9]),
        wind_height=10.0,
    )
    table = np.loadtxt(path, comments="#", skiprows=2)
    return HourlyYear(
        station=station,
        temperature=table[:, 1],
        dew_point=table[:, 2],
        humidity=table[:, 3],
        pressure=table[:, 4] / 1000,
        radiation=table[:, 8] * 0.0036,  # Wh/m² → MJ/m²
        wind=table[:, 16],
        precipitation=None,  # the column holds the missing-value code only
    )


def greensboro_tmy3() -> HourlyYear:
    """NREL TMY3 for Greensboro, NC (WMO 723170, 273 m, wind at 10 m).

    The precipitation column is labelled mm, but its yearly sum (8 345) is about eight times
    Greensboro's rainfall; it is read as tenths of a millimetre (835 mm a year).
    """
    path = _package_file(GREENSBORO)
    lines = path.read_text().splitlines()
    meta = lines[0].split(",")
    columns = lines[1].split(",")
    rows = [line.split(",") for line in lines[2:] if line]

    def column(name: str) -> Array:
        index = columns.index(name)
        return np.array([float(r[index]) for r in rows])

    station = Station(
        name="Greensboro, NC (NREL TMY3)",
        latitude=float(meta[4]),
        longitude=float(meta[5]),
        elevation=float(meta[6]),
        wind_height=10.0,
    )
    return HourlyYear(
        station=station,
        temperature=column("Dry-bulb (C)"),
        dew_point=column("Dew-point (C)"),
        humidity=column("RHum (%)"),
        pressure=column("Pressure (mbar)") / 10,
        radiation=column("GHI (W/m^2)") * 0.0036,
        wind=column("Wspd (m/s)"),
        precipitation=column("Lprecip depth (mm)") / 10,
    )
