"""The water pages and JSON API through the app: the public map and list, a tree's page, the
crews' tours with the watering form, zones, meters with leak evidence, probes; bad input."""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import update

from allmende.core.registry import Registry, discover
from allmende.modules.water import lists, usage
from allmende.modules.water.catalogue import LOCAL_ZONE
from allmende.modules.water.models import Tree
from allmende.storage.database import Database
from tests.modules.water.conftest import Water, build, hours, refresh
from tests.support.client import TestClient
from tests.support.region import Region, people_of
from tests.support.seeds import seed, test_settings
from tests.support.web import bearer, csrf_from, sign_in

pytestmark = pytest.mark.integration


@seed
def ready(database: Database, region: Region) -> Water:
    """The water fixture with its balance refreshed and its meters checked: built once per
    backend and copied with the database into each test (some tests write)."""
    now = datetime.now(UTC).replace(minute=30, second=0, microsecond=0)
    people = people_of(database, region)
    water = database.write(lambda s: build(s, people, region, now))
    url = database.url.render_as_string(hide_password=False)
    with tempfile.TemporaryDirectory(prefix="allmende-water-") as data_dir:
        settings = test_settings(url, Path(data_dir))
        refresh(database, Registry.build(discover()), settings, water.now)
    usage.check_meters(database, now=water.now)
    return water


def test_the_public_map_page_lists_the_trees_that_need_water(
    client: TestClient, ready: Water
) -> None:
    page = client.get("/water", headers={"Accept-Language": "de"})
    assert page.status_code == 200
    assert "Welche Bäume brauchen Wasser?" in page.text
    assert f'href="/water/trees/{ready.young}"' in page.text
    assert "data-water-map" in page.text and 'id="tree-list"' in page.text
    english = client.get("/water", headers={"Accept-Language": "en"})
    assert "Which trees need water?" in english.text


def test_a_tree_page_links_its_probe_and_calls_to_adopt(client: TestClient, ready: Water) -> None:
    page = client.get(f"/water/trees/{ready.young}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "needs water now" in page.text
    assert f'href="/sensors/{ready.probe}"' in page.text
    assert f'href="/assets/{ready.young}"' in page.text
    assert "<svg" in page.text and "<title" in page.text
    assert 'name="litres"' not in page.text  # the crews' form is for staff
    sensor = client.get(f"/sensors/{ready.probe}", headers={"Accept-Language": "en"})
    assert f'href="/water/trees/{ready.young}"' in sensor.text  # and back
    assert client.get("/water/trees/999999").status_code == 404


def test_the_map_answers_points_or_clusters_by_box(
    client: TestClient, ready: Water, monkeypatch: pytest.MonkeyPatch
) -> None:
    points = client.get("/api/water/map.geojson", params={"bbox": "8.6,49.4,8.7,49.5"}).json()
    assert {f["properties"]["kind"] for f in points["features"]} == {"tree"}
    assert points["numberMatched"] == 3
    assert (
        client.get("/api/water/map.geojson", params={"bbox": "8.7,49.4,8.8,49.5"}).json()[
            "numberMatched"
        ]
        == 0
    )  # the internal tree in B is not on the map
    monkeypatch.setattr(lists, "POINTS", 1)
    clusters = client.get("/api/water/map.geojson", params={"zoom": 5}).json()
    assert [f["properties"]["count"] for f in clusters["features"]] == [3]
    assert clusters["features"][0]["properties"]["now"] >= 1
    refused = client.get("/api/water/map.geojson", params={"bbox": "8.7,49.4"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "bbox"


def test_the_crews_record_a_watering_from_their_list(
    client: TestClient, ready: Water, region: Region
) -> None:
    assert client.get("/water/crews").status_code == 401
    sign_in(client, region.staff_a_email)
    page = client.get("/water/crews", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "Tour 1" in page.text
    assert f'id="stop-{ready.young}"' in page.text
    token = csrf_from(page.text)
    before = client.get(f"/api/water/trees/{ready.young}").json()
    done = client.post(
        f"/water/trees/{ready.young}/waterings",
        data={"csrf_token": token, "litres": "150", "next": "/water/crews?view=mobile"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].startswith(
        "/water/crews?view=mobile"
    )
    after = client.get(f"/api/water/trees/{ready.young}").json()
    assert after["suction_kpa"] < before["suction_kpa"] and after["watered_30d_l"] == 150
    refused = client.post(
        f"/water/trees/{ready.young}/waterings",
        data={"csrf_token": token, "litres": "0"},
        headers={"Accept": "application/json"},
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "litres"
    assert client.get("/water/crews?view=print").status_code == 200
    api = client.post(f"/api/water/trees/{ready.young}/waterings", json={"litres": 5000},
                      headers={"X-CSRF-Token": token})  # fmt: skip
    assert api.status_code == 422 and api.json()["errors"][0]["field"] == "body.litres"


def _district(database: Database, district: str, *object_ids: int) -> None:
    database.write(
        lambda s: s.execute(
            update(Tree).where(Tree.object_id.in_(object_ids)).values(district=district)
        )
    )


def test_the_crews_page_shows_one_tour_and_links_the_others(
    client: TestClient, ready: Water, region: Region, database: Database
) -> None:
    _district(database, "Nordstadt", ready.young)
    _district(database, "Südstadt", ready.old, ready.birch)
    sign_in(client, region.staff_a_email)
    urgent = client.get("/water/crews?view=mobile", headers={"Accept-Language": "en"}).text
    tours = re.search(r'<nav class="water-tours no-print" aria-label="Tours"><ol>(.*?)</ol></nav>',
                      urgent, re.S)  # fmt: skip
    assert tours is not None
    links = re.findall(r'<li><a href="([^"]+)"( aria-current="page")?>Tour (\d): (\w+) ', tours[1])
    # the most urgent tour first and shown; each link keeps the municipality and the view
    assert [(number, district, bool(current)) for _, current, number, district in links] == [
        ("1", "Südstadt", True),
        ("2", "Nordstadt", False),
    ]
    assert [href for href, *_ in links] == [
        "/water/crews?municipality=a-stadt&amp;view=mobile&amp;district=S%C3%BCdstadt",
        "/water/crews?municipality=a-stadt&amp;view=mobile&amp;district=Nordstadt",
    ]
    assert '<h2 id="tour-heading">Tour 1: Südstadt' in urgent
    assert f'id="stop-{ready.old}"' in urgent and f'id="stop-{ready.young}"' not in urgent
    # the other tour on its own page, in German, its watering forms coming back to it
    north = client.get(links[1][0].replace("&amp;", "&"), headers={"Accept-Language": "de"}).text
    assert '<h2 id="tour-heading">Tour 2: Nordstadt' in north
    assert 'aria-label="Touren"' in north
    assert 'aria-current="page">Tour 2: Nordstadt (1 Baum)</a>' in north
    assert f'id="stop-{ready.young}"' in north and f'id="stop-{ready.old}"' not in north
    assert (
        'name="next" value="/water/crews?municipality=a-stadt&amp;view=mobile&amp;'
        f'district=Nordstadt#stop-{ready.young}"'
    ) in north
    assert 'href="/water/crews?municipality=a-stadt&amp;view=print&amp;district=Nordstadt"' in north
    # a district without a tour (its trees watered meanwhile): the most urgent tour
    gone = client.get("/water/crews?district=Weststadt", headers={"Accept-Language": "en"}).text
    assert '<h2 id="tour-heading">Tour 1: Südstadt' in gone


def test_meters_show_use_to_all_and_leak_evidence_to_staff(
    client: TestClient, ready: Water, region: Region
) -> None:
    listing = client.get("/water/meters", headers={"Accept-Language": "en"})
    meter_id = int(re.search(r'href="/water/meters/(\d+)"', listing.text).group(1))  # type: ignore[union-attr]
    public = client.get(f"/water/meters/{meter_id}", headers={"Accept-Language": "en"})
    assert public.status_code == 200 and "Water per day" in public.text
    assert "Leak suspected" not in public.text
    sign_in(client, region.staff_a_email)
    staff = client.get(f"/water/meters/{meter_id}", headers={"Accept-Language": "en"})
    assert "Leak suspected" in staff.text and 'class="shade"' in staff.text
    days = client.get(f"/api/water/meters/{meter_id}/days").json()
    # Each hour's use is the counter's rise to the next reading, on the local day the hour
    # starts: 21 days of readings touch 21 or 22 local days, the first and last often partial
    # (which the hours say), by the hour of the day the test runs.
    starts = Counter(t.astimezone(LOCAL_ZONE).date().isoformat() for t in hours(ready.now)[:-1])
    assert [(d["day"], d["hours"]) for d in days] == sorted(starts.items())
    assert days[-2]["litres"] > 0  # a whole day, whatever the hour
    leaks = client.get("/api/water/leaks").json()
    assert [leak["state"] for leak in leaks] == ["open"]


def test_staff_pages_for_probes_and_zones(client: TestClient, ready: Water, region: Region) -> None:
    assert client.get("/water/probes").status_code == 401
    sign_in(client, region.staff_a_email)
    probes = client.get("/water/probes", headers={"Accept-Language": "en"})
    assert probes.text.count("implausible</strong>") == 2
    assert client.get("/water/zones").status_code == 200


@pytest.mark.parametrize("field", ["municipality_id", "station_thing_id", "probe_datastream_id"])
def test_an_id_past_64_bits_is_refused_naming_the_field(
    client: TestClient, region: Region, field: str
) -> None:
    zone = {
        "municipality_id": region.municipality_a,
        "name": "Rosenbeet",
        "kind": "bed",
        "area_m2": 50.0,
        "coefficient": 0.5,
        "taw_mm": 40.0,
        "rate_mm_per_h": 10.0,
        "lon": 8.69,
        "lat": 49.41,
    }
    refused = client.post(
        "/api/water/zones", json={**zone, field: 2**68}, headers=bearer(region.key_admin)
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == f"body.{field}"


def test_a_tree_that_cannot_be_calculated_says_why(
    client: TestClient, ready: Water, database: Database
) -> None:
    """A tree the balance left out (no station its municipality may read) has no state; its
    page says what the calculation needs instead of showing a need."""
    database.write(
        lambda s: s.execute(
            update(Tree)
            .where(Tree.object_id == ready.young)
            .values(computed_at=None, status=None, need_l=None, suction_kpa=None, source=None)
        )
    )
    page = client.get(f"/water/trees/{ready.young}", headers={"Accept-Language": "de"})
    assert page.status_code == 200
    assert "noch nicht berechnet" in page.text
    assert "aus dem Wetter an einer Station seiner Gemeinde oder an einer" in page.text
    assert "im Moment keiner" not in page.text  # no need is known, not none
