"""The sensor page offers each Datastream's values of the shown period as downloads (CSV for
spreadsheets, CSV, Parquet), and they hold exactly that period."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest

from tests.modules.sensors.conftest import Network
from tests.support.client import TestClient

pytestmark = pytest.mark.integration


def test_a_sensor_page_links_the_downloads_of_its_period(
    client: TestClient, network: Network
) -> None:
    page = client.get(f"/sensors/{network.station}?period=24h")
    links = [
        html.unescape(link)
        for link in re.findall(r'href="([^"]*/catalog/datastreams/[^"]+)"', page.text)
    ]
    assert len(links) == 6  # two Datastreams, three files each
    excel = next(link for link in links if f"/{network.temperature}/observations-excel.csv" in link)
    response = client.get(excel)
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["datastream_id", "datastream", "unit"]
    assert len(rows) - 1 == 24  # the hourly values of the 24 hours the chart shows
    assert "," in rows[1][4] or rows[1][4].lstrip("-").isdigit()
    parquet = next(link for link in links if "observations.parquet" in link)
    assert client.get(parquet).headers["content-type"] == "application/vnd.apache.parquet"
