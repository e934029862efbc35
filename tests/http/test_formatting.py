"""Numbers, money, sizes, coordinates and times as German and English readers write them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from jinja2 import Environment

from allmende.http import formatting
from allmende.http.templating import FILTERS

pytestmark = pytest.mark.unit


def test_german_uses_the_decimal_comma() -> None:
    assert formatting.number(23.5, "de") == "23,5"
    assert formatting.number(23.5, "en") == "23.5"
    assert formatting.number(1999, "de") == "1999"  # four digits stay ungrouped
    assert formatting.number(12345.67, "de") == "12.345,7"
    assert formatting.number(None, "de") == "—"
    assert formatting.money(85.5, "de") == "85,50\xa0€"
    assert formatting.money(85.5, "en") == "€85.50"
    assert formatting.filesize(10 * 1024 * 1024, "de") == "10\xa0MB"
    assert formatting.filesize(1536 * 1024, "de") == "1,5\xa0MB"
    assert formatting.filesize(300, "de") == "1\xa0kB"
    assert formatting.coordinate(49.4700427, "de") == "49,470043"


def test_times_on_the_regions_clock() -> None:
    winter = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # already 1 January in Berlin
    assert formatting.local_datetime(winter, "de") == "01.01.2027 00:30"
    assert formatting.local_date(winter, "de") == "01.01.2027"


def test_the_filters_follow_the_language_of_the_page() -> None:
    env = Environment(autoescape=True)
    env.filters.update(FILTERS)
    template = env.from_string(
        "{{ 23.5 | number }} · {{ 85.5 | money }} · {{ 49.47 | coordinate }}"
    )
    assert template.render(lang="de") == "23,5 · 85,50\xa0€ · 49,470000"
    assert template.render(lang="en") == "23.5 · €85.50 · 49.470000"
