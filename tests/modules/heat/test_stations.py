"""Live indices per station: what each combination of inputs yields, the values (the same as
the numeric models give), visibility, gaps, and catching up after a restart."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from allmende.modules.heat import indices, jobs, radiant, stations
from allmende.modules.heat.service import DatabaseStore
from allmende.modules.heat.utci import stress_category, utci
from allmende.sdk import sensing
from allmende.sensing import read as sensing_read
from allmende.storage.database import Database
from allmende.storage.scheduler import JobContext
from tests.modules.heat.conftest import END, HOURS, Network, hours, summer_series
from tests.support.client import TestClient
from tests.support.region import People, Region
from tests.support.web import bearer

pytestmark = pytest.mark.integration


def derived(database: Database, people: People, thing: int) -> dict[str, sensing.StreamSummary]:
    with database.session() as session:
        found = sensing.get_thing(session, principal=people.admin, thing_id=thing)
    return {
        s.name: s
        for s in found.streams
        if s.name not in {f"{k} stream" for k in ("ta", "rh", "wind", "ghi", "globe")}
    }


def values(database: Database, stream: int) -> tuple[list, np.ndarray]:  # type: ignore[type-arg]
    with database.session() as session:
        points = sensing.observations(
            session,
            datastream_id=stream,
            start=END - timedelta(days=3),
            end=END + timedelta(days=1),
        )
    return [p.time for p in points], np.array([p.value for p in points])


def test_each_station_gets_what_its_inputs_allow(
    database: Database, network: Network, people: People
) -> None:
    stored = stations.update(DatabaseStore(database), now=END)
    assert stored > 0
    full = derived(database, people, network.full)
    assert sorted(full) == [
        "Apparent temperature",
        "Heat index",
        "Mean radiant temperature (estimated)",
        "UTCI",
        "UTCI stress category",
    ]
    assert sorted(derived(database, people, network.globe)) == [
        "Apparent temperature",
        "Heat index",
        "Mean radiant temperature (globe, ISO 7726)",
        "UTCI",
        "UTCI stress category",
    ]
    assert sorted(derived(database, people, network.humid)) == ["Heat index"]
    assert derived(database, people, network.bare) == {}  # air temperature alone: no index
    assert all(s.public for s in full.values())
    assert not any(s.public for s in derived(database, people, network.humid).values())
    # A second run finds nothing missing.
    assert stations.update(DatabaseStore(database), now=END) == 0


def test_values_are_those_of_the_models(
    database: Database, network: Network, people: People
) -> None:
    stations.update(DatabaseStore(database), now=END)
    data = summer_series()
    times = pd.DatetimeIndex(hours())
    full = derived(database, people, network.full)
    when, got = values(database, full["UTCI"].id)
    assert len(when) == HOURS - 1  # the hour without humidity has no UTCI
    keep = np.ones(HOURS, dtype=bool)
    keep[5] = False
    sky = radiant.sun(times[keep], 49.45, 8.62, data["ghi"][keep])
    ta, rh = data["ta"][keep], data["rh"][keep]
    tmrt = radiant.mrt_estimate(
        ta, indices.vapour_pressure_hpa(ta, rh), sky, radiant.cloud_cover(data["ghi"][keep], sky)
    )
    expected = utci(ta, tmrt, 2.0, rh)
    assert got == pytest.approx(np.round(expected, 2), abs=0.006)
    _, category = values(database, full["UTCI stress category"].id)
    assert category.tolist() == (stress_category(np.round(expected, 2)) - 5).tolist()
    assert max(category) >= 2  # afternoons of strong heat stress
    _, hi = values(database, full["Heat index"].id)
    expected_hi = indices.heat_index(ta, rh)
    assert hi == pytest.approx(np.round(expected_hi[np.isfinite(expected_hi)], 2), abs=0.006)
    globe = derived(database, people, network.globe)
    _, mrt = values(database, globe["Mean radiant temperature (globe, ISO 7726)"].id)
    air = radiant.wind_at_height(2.0, measured_at=10.0, wanted_at=1.1)
    assert mrt == pytest.approx(
        np.round(radiant.mrt_from_globe(data["globe"], data["ta"], air), 2), abs=0.006
    )


def test_observations_posted_over_http_are_derived_by_the_woken_job(
    database: Database, network: Network, region: Region, client: TestClient, people: People
) -> None:
    """New Observations (a dataArray POST) wake the job; it also catches up on what arrived
    while no process ran (it looks for what is missing, not at the event)."""
    assert "sensing.observations.created" in jobs.JOBS[0].wake_on
    later = [END + timedelta(hours=i) for i in range(3)]
    streams = network.streams["full"]
    body = [
        {
            "Datastream": {"@iot.id": streams[key]},
            "components": ["phenomenonTime", "result"],
            "dataArray": [[t.isoformat(), value] for t in later],
        }
        for key, value in (("ta", 31.0), ("rh", 40), ("wind", 1.5), ("ghi", 700))
    ]
    response = client.post(
        "/v1.1/CreateObservations", json=body, headers=bearer(region.key_sensorthings_a)
    )
    assert response.status_code == 201, response.text
    settings = client.app.state.allmende.settings  # type: ignore[attr-defined]
    jobs.derive_station_indices(
        JobContext(database, settings, database.bus, END + timedelta(hours=3))
    )
    when, _ = values(database, derived(database, people, network.full)["UTCI"].id)
    names = {
        d["name"] for d in client.get(f"/v1.1/Things({network.full})/Datastreams").json()["value"]
    }
    assert {"UTCI", "UTCI stress category", "Heat index", "Apparent temperature"} <= names
    window = END + timedelta(hours=3) - stations.LOOKBACK  # the job looks back two days
    gap = hours()[5]
    assert when == [t for t in [*hours(), *later] if t >= window and t != gap]


def test_every_station_is_found_past_a_page_of_the_listing(
    database: Database, network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The jobs compute every station of the region: the listing's pages (5 000 Things; here
    2) are all read."""
    monkeypatch.setattr(sensing_read, "MAX_THINGS", 2)
    with database.session() as session:
        found = {station.thing.id for station in stations.find(session)}
    assert {network.full, network.globe, network.humid, network.bare} <= found
