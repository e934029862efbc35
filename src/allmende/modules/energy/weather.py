"""Hourly weather years for the building models: EnergyPlus weather files (EPW) and the Modelica
weather tables (``.mos``) of the German test reference years.

Row ``k`` of a year is the hour that ends ``k + 1`` hours after 1 January 00:00 local standard
time for an EPW file (whose hour 1 is 00:00–01:00), and ``k`` hours after it for a ``.mos``
table (its time column counts the end of each hour from 0). Radiation values are the hour's
means in W/m².
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
HOURS = 8760


@dataclass(frozen=True)
class WeatherYear:
    """One year of hourly weather at a site. ``hour_end`` counts hours from 1 January 00:00
    local standard time (UTC + ``utc_offset`` hours) to the end of each row's hour."""

    name: str
    latitude: float
    longitude: float
    utc_offset: float
    elevation: float
    hour_end: Array
    t_air: Array
    t_dew: Array
    relative_humidity: Array
    pressure: Array
    ghi: Array
    dni: Array
    dhi: Array
    sky_infrared: Array
    wind_speed: Array

    @property
    def hour_mid(self) -> Array:
        return self.hour_end - 0.5

    def daily_mean_temperature(self) -> Array:
        days = self.t_air[: len(self.t_air) // 24 * 24].reshape(-1, 24)
        return np.asarray(days.mean(axis=1), dtype=np.float64)


def _float(value: str) -> float:
    return float(value.strip())


def read_epw(path: Path) -> WeatherYear:
    """An EnergyPlus weather file: the LOCATION line, then 8 header lines, then hourly rows."""
    with path.open(newline="", encoding="latin-1") as handle:
        rows = list(csv.reader(handle))
    location = rows[0]
    data = np.array([[_float(v) for v in row[6:22]] for row in rows[8:] if len(row) > 21])
    if data.shape[0] != HOURS:
        raise ValueError(f"{path.name}: {data.shape[0]} hourly rows, expected {HOURS}")
    return WeatherYear(
        name=f"{location[1]} ({location[4]} {location[5]})",
        latitude=_float(location[6]),
        longitude=_float(location[7]),
        utc_offset=_float(location[8]),
        elevation=_float(location[9]),
        hour_end=np.arange(1, HOURS + 1, dtype=np.float64),
        t_air=data[:, 0],
        t_dew=data[:, 1],
        relative_humidity=data[:, 2],
        pressure=data[:, 3],
        sky_infrared=data[:, 6],
        ghi=data[:, 7],
        dni=data[:, 8],
        dhi=data[:, 9],
        wind_speed=data[:, 15],
    )


def read_mos(path: Path) -> WeatherYear:
    """A Modelica weather table converted from an EPW file (``#LOCATION`` in its header)."""
    location: list[str] = []
    with path.open(encoding="latin-1") as handle:
        for line in handle:
            if line.startswith("#LOCATION"):
                location = line.strip().split(",")
                break
    data = np.loadtxt(path, comments="#", skiprows=2, encoding="latin-1")
    if data.shape[0] != HOURS or not location:
        raise ValueError(f"{path.name}: not a year of hourly rows with a location")
    return WeatherYear(
        name=f"{location[1]} ({location[4]} {location[5]})",
        latitude=_float(location[6]),
        longitude=_float(location[7]),
        utc_offset=_float(location[8]),
        elevation=_float(location[9]),
        hour_end=data[:, 0] / 3600.0,
        t_air=data[:, 1],
        t_dew=data[:, 2],
        relative_humidity=data[:, 3],
        pressure=data[:, 4],
        sky_infrared=data[:, 7],
        ghi=data[:, 8],
        dni=data[:, 9],
        dhi=data[:, 10],
        wind_speed=data[:, 16],
    )


def read(path: Path) -> WeatherYear:
    return read_mos(path) if path.suffix.lower() == ".mos" else read_epw(path)
