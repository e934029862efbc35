"""The sensor pages and their JSON: map, list, filters, Thing pages with charts, who sees
what, and refusals of bad parameters (4xx naming the parameter, never 500)."""

from __future__ import annotations

import importlib
import re

import pytest

from allmende.sdk import sensing
from allmende.sensing import read as sensing_read
from allmende.storage.database import Database
from tests.modules.sensors.conftest import END, Network
from tests.support.client import TestClient
from tests.support.region import Region
from tests.support.web import sign_in

pytestmark = pytest.mark.integration


def test_the_list_shows_public_things_with_latest_values(
    client: TestClient, network: Network
) -> None:
    page = client.get("/sensors", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.text
    assert "Wetterstation A" in html and "Bodenfeuchte Eiche" in html
    assert "Stromzähler Bauhof" not in html
    assert "17.1</strong> °C" in html  # the latest temperature, with its UCUM unit shown
    assert 'data-geojson-url="/sensors/map.geojson"' in html
    assert 'data-cluster="1"' in html
    assert "2 sensors" in html
    assert f'href="/sensors/{network.station}"' in html


def test_the_list_in_german(client: TestClient, network: Network) -> None:
    html = client.get("/sensors", headers={"Accept-Language": "de"}).text
    assert "<h1>Sensoren</h1>" in html
    assert "Lufttemperatur" in html and "17,1</strong> °C" in html
    assert "Alle Messgrößen" in html


def test_a_value_beyond_28_digits_is_shown_not_a_server_error(
    client: TestClient, network: Network, database: Database
) -> None:
    """Babel cannot round 1e30 to one decimal; a sensor may send it all the same."""
    database.write(
        lambda session: sensing.ingest_series(
            session, datastream_id=network.soil, times=[END], values=[1e30]
        )
    )
    for path in ("/sensors", f"/sensors/{network.probe}"):
        page = client.get(path, headers={"Accept-Language": "de"})
        assert page.status_code == 200
        assert "1.000.000.000.000.000.000.000.000.000.000,0" in page.text


@pytest.mark.parametrize(("value", "shown"), [(True, "ja"), (False, "nein"), ("dry", "dry")])
def test_a_yes_or_no_or_a_word_is_shown_as_such(
    client: TestClient, network: Network, database: Database, value: bool | str, shown: str
) -> None:
    """A contact or a rain sensor sends true or false (a number test took them for numbers
    that Python's decimals cannot read: a server error); a word is shown as it came."""
    database.write(
        lambda session: sensing.ingest_series(
            session, datastream_id=network.soil, times=[END], values=[value]
        )
    )
    for path in ("/sensors", f"/sensors/{network.probe}"):
        page = client.get(path, headers={"Accept-Language": "de"})
        assert page.status_code == 200
        assert f"<strong>{shown}</strong>" in page.text or f'class="latest">{shown} ' in page.text
    features = client.get("/sensors/map.geojson", headers={"Accept-Language": "de"}).json()
    probe = next(f for f in features["features"] if f["properties"]["name"] == "Bodenfeuchte Eiche")
    assert f"Bodenfeuchte: {shown}" in probe["properties"]["description"]


def test_filters(client: TestClient, network: Network) -> None:
    html = client.get("/sensors?municipality=b-dorf").text
    assert "Bodenfeuchte Eiche" in html and "Wetterstation A" not in html
    html = client.get("/sensors?kind=precipitation").text
    assert "Wetterstation A" in html and "Bodenfeuchte Eiche" not in html
    assert '<option value="precipitation" selected>' in html
    html = client.get("/sensors?municipality=&kind=").text  # the form's "all" options
    assert "Wetterstation A" in html and "Bodenfeuchte Eiche" in html
    data = client.get("/sensors/map.geojson?kind=precipitation").json()
    assert [f["properties"]["name"] for f in data["features"]] == ["Wetterstation A"]


def test_the_map_data(client: TestClient, network: Network) -> None:
    response = client.get("/sensors/map.geojson", headers={"Accept-Language": "en"})
    assert response.headers["content-type"].startswith("application/geo+json")
    features = {f["properties"]["name"]: f for f in response.json()["features"]}
    assert set(features) == {"Wetterstation A", "Bodenfeuchte Eiche"}
    station = features["Wetterstation A"]
    assert station["geometry"] == {"type": "Point", "coordinates": [8.65, 49.45]}
    assert "Air temperature: 17.1 °C" in station["properties"]["description"]
    assert station["properties"]["url"] == f"/sensors/{network.station}"


def test_the_list_is_paged_and_the_pages_keep_the_filter(
    client: TestClient, network: Network, region: Region, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the module, not the router of the same name that the package exports
    pages = importlib.import_module("allmende.modules.sensors.pages")
    monkeypatch.setattr(pages, "PAGE_SIZE", 1)
    sign_in(client, region.staff_a_email)  # A's two sensors: the station and the meter
    first = client.get("/sensors?municipality=a-stadt", headers={"Accept-Language": "en"}).text
    assert "2 sensors" in first
    pager = re.search(r'<nav class="pager" aria-label="Pages"><ul>(.*?)</ul></nav>', first, re.S)
    assert pager is not None
    assert re.findall(r'<a href="([^"]+)"([^>]*)>', pager[1]) == [
        ("/sensors?municipality=a-stadt&amp;page=1", ' aria-current="page"'),
        ("/sensors?municipality=a-stadt&amp;page=2", ""),
        ("/sensors?municipality=a-stadt&amp;page=2", ' rel="next"'),
    ]
    second = client.get("/sensors?municipality=a-stadt&page=2", headers={"Accept-Language": "de"})
    assert 'aria-label="Seiten"' in second.text and "Vorherige Seite" in second.text
    assert '<a href="/sensors?municipality=a-stadt&amp;page=2" aria-current="page">' in second.text
    listed = [
        name
        for page in (first, second.text)
        for name in ("Wetterstation A", "Stromzähler Bauhof")
        if f">{name}</a>" in page
    ]
    assert sorted(listed) == ["Stromzähler Bauhof", "Wetterstation A"]  # each on one page
    beyond = client.get("/sensors?municipality=a-stadt&page=9", headers={"Accept-Language": "en"})
    assert (
        beyond.status_code == 200
        and '<a href="/sensors?municipality=a-stadt&amp;page=2" aria-current="page">' in beyond.text
    )
    assert client.get("/sensors?page=0").status_code == 422


def test_staff_see_internal_things_of_their_municipality(
    client: TestClient, network: Network, region: Region
) -> None:
    assert client.get(f"/sensors/{network.meter}").status_code == 404
    sign_in(client, region.staff_b_email)
    assert "Stromzähler Bauhof" not in client.get("/sensors").text
    assert client.get(f"/sensors/{network.meter}").status_code == 404
    sign_in(client, region.staff_a_email)
    html = client.get("/sensors").text
    assert "Stromzähler Bauhof" in html and '<span class="badge">intern' in html
    assert client.get(f"/sensors/{network.meter}").status_code == 200
    assert "Stromzähler Bauhof" in client.get("/api/sensors/things").text


@pytest.mark.parametrize("period", ["24h", "7d", "30d"])
def test_a_thing_page_has_a_chart_per_datastream(
    client: TestClient, network: Network, period: str
) -> None:
    page = client.get(
        f"/sensors/{network.station}?period={period}", headers={"Accept-Language": "en"}
    )
    assert page.status_code == 200
    html = page.text
    assert html.count('<svg class="chart"') == 2
    assert html.count('role="img"') == 2
    assert '<title id="chart-1-title">Air temperature (°C)' in html
    assert re.search(r'<desc id="chart-1-desc">From .+: lowest 1\d\.\d, highest 17\.1 °C', html)
    assert '<path class="line"' in html  # temperature: a line
    assert '<rect class="bar"' in html  # precipitation: bars
    assert '<table class="figures">' in html and "Values as a table" in html
    assert f'href="/v1.1/Things({network.station})"' in html
    assert f'href="/v1.1/Datastreams({network.temperature})"' in html
    assert 'aria-current="page"' in html
    if period != "24h":
        assert '<polygon class="band"' in html  # the hourly range around the mean
    # A table of hours shows each hour; one of days each date alone.
    starts = re.findall(r'<th scope="row"><time datetime="[^"]+">([^<]+)</time>', html)
    pattern = r"\d\d\.\d\d\.\d{4} \d\d:00" if period == "24h" else r"\d\d\.\d\d\.\d{4}"
    assert starts and all(re.fullmatch(pattern, s) for s in starts), starts


def test_a_thing_without_values(client: TestClient, network: Network) -> None:
    html = client.get(f"/sensors/{network.probe}", headers={"Accept-Language": "en"}).text
    assert "No values in this period." in html and "no value yet" in html


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/sensors?municipality=nowhere", "municipality"),
        ("/sensors?kind=unicorns", "kind"),
        ("/sensors?kind=%3Cscript%3E", "kind"),
        ("/sensors?municipality=" + "a" * 80, "municipality"),
        ("/sensors/map.geojson?thing=-1", "thing"),
        ("/sensors/map.geojson?thing=abc", "thing"),
        ("/sensors/1?period=1y", "period"),
        ("/sensors/99999999999999999999", "thing_id"),
        ("/api/sensors/things?kind=nope", "kind"),
        ("/api/sensors/things?limit=5001", "limit"),
        ("/api/sensors/things?offset=-1", "offset"),
    ],
)
def test_bad_parameters_are_422_naming_the_field(
    client: TestClient, network: Network, path: str, field: str
) -> None:
    response = client.get(path, headers={"Accept": "application/json"})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"].rsplit(".", 1)[-1] for e in response.json()["errors"]] == [field]


def test_unknown_thing_is_404(client: TestClient, network: Network) -> None:
    assert client.get("/sensors/987654").status_code == 404


def test_the_json_list(client: TestClient, network: Network) -> None:
    things = client.get("/api/sensors/things").json()
    assert [t["name"] for t in things] == ["Bodenfeuchte Eiche", "Wetterstation A"]
    station = things[1]
    assert station["municipality"] == "a-stadt" and station["kind"] == "weather-station"
    assert station["self_link"] == f"http://testserver/v1.1/Things({network.station})"
    kinds = [s["kind"] for s in station["streams"]]
    assert kinds == ["air-temperature", "precipitation"]
    assert station["streams"][0]["latest_value"] == pytest.approx(17.1)
    # More Things than a page holds are read page by page.
    pages = [client.get(f"/api/sensors/things?limit=1&offset={n}").json() for n in range(3)]
    assert [[t["name"] for t in page] for page in pages] == [
        ["Bodenfeuchte Eiche"],
        ["Wetterstation A"],
        [],
    ]


def test_the_navigation_names_the_module(client: TestClient, network: Network) -> None:
    html = client.get("/", headers={"Accept-Language": "de"}).text
    assert 'href="/sensors"' in html and "Sensoren" in html


def test_the_map_says_when_it_shows_only_the_first_sensors(
    client: TestClient, network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The map reads one page of the listing (5 000 Things; here 1): the page says so, rather
    than calling the map one of every sensor of the filter."""
    english = {"Accept-Language": "en"}
    every = client.get("/sensors", headers=english).text
    assert "The map shows the first" not in every
    assert 'aria-label="Map of every sensor of this filter, on all pages of the list"' in every
    monkeypatch.setattr(sensing_read, "MAX_THINGS", 1)
    page = client.get("/sensors?page=1", headers=english).text  # not the answer kept above
    assert "The map shows the first 1 of the 2 sensors, by name" in page
    assert 'aria-label="Map of the first 1 sensors of this filter, by name"' in page
    assert len(client.get("/sensors/map.geojson").json()["features"]) == 1
