"""Live heat indices per station: mean radiant temperature, UTCI and its stress category, heat
index and apparent temperature, published as Datastreams of the station's Thing.

A station is any Thing with Datastreams of the kinds in :data:`.catalogue.INPUTS`, recognised
by their ObservedProperty ``definition``. Which index needs what is :data:`.catalogue.RECIPES`.
Values are derived where all inputs have an Observation at the same phenomenonTime; a station
that lacks an input gets no index (never one from a guess). Wind is taken as measured 10 m
above ground (the WMO height UTCI and the apparent temperature expect), a globe as 0.15 m
black globe with emissivity 0.95 at 1.1 m, where the wind is moved with the logarithmic
profile.

:func:`update` recomputes every missing value within a look-back window and writes it with the
ingest's ``ignore`` duplicate policy, so that running it again, or in two processes, stores
nothing twice and a restart misses nothing within the window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from allmende.modules.heat import indices, radiant
from allmende.modules.heat.catalogue import DERIVED, INPUTS, N_, UCUM, Derived
from allmende.modules.heat.service import SYSTEM, Store
from allmende.modules.heat.utci import stress_category, utci
from allmende.sdk import Principal, sensing

Floats = NDArray[np.float64]
LOOKBACK = timedelta(hours=48)
GLOBE_HEIGHT = 1.1
MRT_ESTIMATED = N_("Mean radiant temperature (estimated)")
MRT_GLOBE = N_("Mean radiant temperature (globe, ISO 7726)")
DERIVED_NAMES = {d.name for d in DERIVED.values() if d.key != "mrt"} | {MRT_ESTIMATED, MRT_GLOBE}


@dataclass
class Station:
    """A Thing that measures air temperature, and what else it measures."""

    thing: sensing.ThingSummary
    inputs: dict[str, sensing.StreamSummary]
    #: The Datastreams the module already made, by name.
    derived: dict[str, sensing.StreamSummary] = field(default_factory=dict)

    @property
    def public(self) -> bool:
        return self.thing.public and all(s.public for s in self.inputs.values())

    def has(self, *keys: str) -> bool:
        return all(k in self.inputs for k in keys)

    @property
    def mrt_method(self) -> str | None:
        """How this station's Tmrt comes about: "measured", "globe", "estimated" or None."""
        if "mrt" in self.inputs:
            return "measured"
        if self.has("ta", "globe", "wind"):
            return "globe"
        if self.has("ta", "rh", "ghi") and self.thing.lon is not None:
            return "estimated"
        return None

    def products(self) -> list[str]:
        """The indices its inputs allow (keys of :data:`DERIVED`)."""
        made = []
        if self.mrt_method in ("globe", "estimated"):
            made.append("mrt")
        if self.has("ta", "rh", "wind") and self.mrt_method is not None:
            made += ["utci", "utci-category"]
        if self.has("ta", "rh"):
            made.append("heat-index")
        if self.has("ta", "rh", "wind"):
            made.append("apparent-temperature")
        return made


def find(
    session: Session,
    *,
    municipality_ids: Sequence[int] | None = None,
    thing_ids: Sequence[int] | None = None,
    principal: Principal = SYSTEM,
) -> list[Station]:
    """Every station of the region (or of some municipalities or Things) that ``principal``
    may see (jobs see all), past the first page of the listing."""
    things = sensing.every_thing(
        session,
        principal=principal,
        municipality_ids=municipality_ids,
        thing_ids=thing_ids,
        definitions=[INPUTS["ta"]],
    )
    found = []
    for thing in things:
        inputs: dict[str, sensing.StreamSummary] = {}
        derived: dict[str, sensing.StreamSummary] = {}
        for stream in thing.streams:
            if stream.name in DERIVED_NAMES:
                derived[stream.name] = stream
                continue
            for key, definition in INPUTS.items():
                if stream.definition == definition and key not in inputs:
                    inputs[key] = stream
        station = Station(thing, inputs, derived)
        if station.has("ta"):  # air temperature alone gives no index but corrects the map
            found.append(station)
    return found


def _name(station: Station, key: str) -> str:
    if key == "mrt":
        return MRT_GLOBE if station.mrt_method == "globe" else MRT_ESTIMATED
    return DERIVED[key].name


def derived_streams(station: Station) -> dict[str, sensing.StreamSummary]:
    """The station's derived Datastreams by product key."""
    found = {}
    for key in DERIVED:
        stream = station.derived.get(_name(station, key))
        if stream is not None:
            found[key] = stream
    return found


@dataclass
class Computed:
    """Derived values of one station, per product: times (µs) and values."""

    station: Station
    values: dict[str, tuple[NDArray[np.int64], Floats]]


def _aligned(
    station: Station, keys: Sequence[str], data: dict[int, sensing.Series]
) -> tuple[NDArray[np.datetime64], dict[str, Floats]]:
    """The times at which all ``keys`` have a value, and those values."""
    times: NDArray[np.datetime64] | None = None
    for key in keys:
        got = data[station.inputs[key].id].times
        times = got if times is None else np.intersect1d(times, got)
    assert times is not None
    out = {}
    for key in keys:
        s = data[station.inputs[key].id]
        out[key] = s.values[np.searchsorted(s.times, times)]
    return times, out


def compute(station: Station, data: dict[int, sensing.Series]) -> Computed:
    """The station's indices wherever its inputs allow, from the series in ``data``."""
    import pandas as pd

    products = station.products()
    result: dict[str, tuple[NDArray[np.int64], Floats]] = {}
    if not products:
        return Computed(station, result)
    method = station.mrt_method
    needed = ["ta", "rh"]
    if "wind" in station.inputs and ("apparent-temperature" in products or "utci" in products):
        needed.append("wind")
    if method == "measured":
        needed.append("mrt")
    elif method == "globe":
        needed += ["globe"] if "wind" in needed else ["globe", "wind"]
    elif method == "estimated":
        needed.append("ghi")
    times, v = _aligned(station, needed, data)
    if not len(times):
        return Computed(station, result)
    micros = times.astype("datetime64[us]").astype(np.int64)
    ta, rh = v["ta"], v["rh"]
    tmrt: Floats | None = None
    if method == "measured":
        tmrt = v["mrt"]
    elif method == "globe":
        air = radiant.wind_at_height(v["wind"], measured_at=10.0, wanted_at=GLOBE_HEIGHT)
        tmrt = radiant.mrt_from_globe(v["globe"], ta, air)
    elif method == "estimated":
        index = pd.DatetimeIndex(times.astype("datetime64[ns]"), tz="UTC")
        assert station.thing.lat is not None and station.thing.lon is not None
        sky = radiant.sun(index, station.thing.lat, station.thing.lon, v["ghi"])
        cloud = radiant.cloud_cover(v["ghi"], sky)
        tmrt = radiant.mrt_estimate(ta, indices.vapour_pressure_hpa(ta, rh), sky, cloud)
    if "mrt" in products and tmrt is not None:
        result["mrt"] = (micros, tmrt)
    if "utci" in products and tmrt is not None:
        value = utci(ta, tmrt, v["wind"], rh)
        category = np.where(np.isnan(value), np.nan, stress_category(value) - 5.0)
        result["utci"] = (micros, value)
        result["utci-category"] = (micros, category)
    if "heat-index" in products:
        result["heat-index"] = (micros, indices.heat_index(ta, rh))
    if "apparent-temperature" in products:
        result["apparent-temperature"] = (micros, indices.apparent_temperature(ta, rh, v["wind"]))
    return Computed(station, result)


@dataclass(frozen=True)
class Plan:
    """What :func:`write` stores: per station and product, the new values."""

    items: list[tuple[Station, str, list[int], list[float]]]

    @property
    def count(self) -> int:
        return sum(len(times) for _, _, times, _ in self.items)


def plan(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    municipality_ids: Sequence[int] | None = None,
    thing_ids: Sequence[int] | None = None,
) -> Plan:
    """Read the stations' inputs and derived values in ``[start, end)`` and work out what is
    missing (read-only: call in a read session, then :func:`write`)."""
    stations = find(session, municipality_ids=municipality_ids, thing_ids=thing_ids)
    ids = {s.id for st in stations for s in (*st.inputs.values(), *st.derived.values())}
    data = sensing.series(session, datastream_ids=ids, start=start, end=end) if ids else {}
    items = []
    for station in stations:
        computed = compute(station, data)
        for key, (times, values) in computed.values.items():
            known = station.derived.get(_name(station, key))
            have = (
                data[known.id].times.astype("datetime64[us]").astype(np.int64)
                if known is not None
                else np.empty(0, dtype=np.int64)
            )
            new = np.isfinite(values) & ~np.isin(times, have)
            if new.any():
                decimals = DERIVED[key].decimals
                rounded = np.round(values[new], decimals + 1 if decimals else 0)
                items.append((station, key, times[new].tolist(), rounded.tolist()))
    return Plan(items)


def write(session: Session, work: Plan) -> int:
    """Store the planned values: the Datastreams are made on first use; values already stored
    (by another run) are skipped."""
    stored = 0
    for station, key, times, values in work.items:
        spec: Derived = DERIVED[key]
        stream_id = sensing.ensure_datastream(
            session,
            thing_id=station.thing.id,
            name=_name(station, key),
            definition=spec.definition,
            observed_property_name=spec.observed_property,
            unit_name=spec.unit_name,
            unit_symbol=spec.unit_symbol,
            unit_definition=f"{UCUM}#{spec.unit_symbol}",
            description=spec.description,
            public=station.public,
            properties={
                "derivedBy": "heat",
                "inputs": {k: s.id for k, s in station.inputs.items()},
                "meanRadiantTemperature": station.mrt_method,
                "estimate": station.mrt_method == "estimated"
                and key in ("mrt", "utci", "utci-category"),
            },
        )
        if key == "utci-category":
            values = [int(v) for v in values]
        stored += sensing.ingest_series(
            session,
            datastream_id=stream_id,
            times=times,
            values=values,
            duplicates=sensing.DuplicatePolicy.IGNORE,
        )
    return stored


def update(store: Store, *, now: datetime, lookback: timedelta = LOOKBACK) -> int:
    """The job's work: plan in a read session, then write in one transaction."""
    start = now - lookback
    work = store.read(lambda session: plan(session, start=start, end=now + timedelta(minutes=1)))
    if not work.items:
        return 0
    return int(store.write(lambda session: write(session, work)))
