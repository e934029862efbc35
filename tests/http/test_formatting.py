"""Numbers, money, sizes, coordinates and times as German and English readers write them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

import numpy as np
import pytest
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from hypothesis import given, reject
from hypothesis import strategies as st
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


PLAIN_NUMBERS = st.one_of(
    st.floats(min_value=-1e27, max_value=1e27, allow_nan=False),
    st.floats(min_value=-1, max_value=1, allow_nan=False),  # zeros and halves to round
    st.integers(min_value=-(10**27), max_value=10**27),
    st.sampled_from([0.05, 0.15, 0.25, 2.675, -0.04, -0.0, 1e-07, 999.95, 12345.65]),
)


@given(
    value=PLAIN_NUMBERS,
    language=st.sampled_from(["de", "en"]),
    decimals=st.integers(min_value=0, max_value=10),
    grouped=st.booleans(),
    optional=st.booleans(),
)
def test_plain_numbers_are_written_as_babel_writes_them(
    value: float, language: str, decimals: int, grouped: bool, optional: bool
) -> None:
    fraction = "." + ("#" if optional else "0") * decimals if decimals else ""
    pattern = ("#,##0" if grouped else "0") + fraction
    try:
        expected = format_decimal(value, format=pattern, locale=language)
    except InvalidOperation:  # more than 28 digits: Babel cannot round (see the test below)
        reject()
    written = formatting.decimal(value, language, decimals, grouped=grouped, optional=optional)
    assert written == expected


def test_numpy_floats_and_decimals_are_written_as_floats_are() -> None:
    assert formatting.fixed(np.float64(1234.5), "de", 2) == "1.234,50"
    assert formatting.fixed(np.float32(1234.5), "de", 2) == "1.234,50"  # through Babel
    assert formatting.fixed(Decimal("1234.5"), "de", 2) == "1.234,50"  # through Babel
    for missing in (None, float("nan"), np.float32("nan"), Decimal("-Infinity")):
        assert formatting.fixed(missing, "de", 2) == "—"
        assert formatting.number(missing, "de") == "—"


def test_a_bool_is_written_as_the_number_it_is() -> None:
    """A page that expects a number may meet a stored true (Decimal("True") is an error)."""
    assert formatting.fixed(True, "de", 1) == "1,0"
    assert formatting.number(False, "en") == "0"


def test_numbers_beyond_babels_rounding_are_written_all_the_same() -> None:
    """Babel's quantize fails from 10^28 on (a sensor may send 1e300): digits, not an error."""
    assert formatting.fixed(-3.5e40, "de", 1) == "-35" + ".000" * 13 + ",0"
    assert formatting.number(1e300, "en").startswith("1,000,000,000,")


def test_times_on_the_regions_clock() -> None:
    winter = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # already 1 January in Berlin
    assert formatting.local_datetime(winter, "de") == "01.01.2027 00:30"
    assert formatting.local_date(winter, "de") == "01.01.2027"


@given(
    moment=st.datetimes(  # Hypothesis takes naive bounds and adds the zone itself
        min_value=datetime(1, 1, 2),  # noqa: DTZ001
        max_value=datetime(9999, 12, 30),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    language=st.sampled_from(["de", "en"]),
)
def test_times_are_written_as_babel_writes_them(moment: datetime, language: str) -> None:
    local = moment.astimezone(formatting.REGION_ZONE)
    assert formatting.local_datetime(moment, language) == format_datetime(
        local, "dd.MM.yyyy HH:mm", locale=language
    )
    assert formatting.local_date(moment, language) == format_date(
        local.date(), "dd.MM.yyyy", locale=language
    )


def test_the_filters_follow_the_language_of_the_page() -> None:
    env = Environment(autoescape=True)
    env.filters.update(FILTERS)
    template = env.from_string(
        "{{ 23.5 | number }} · {{ 85.5 | money }} · {{ 49.47 | coordinate }}"
    )
    assert template.render(lang="de") == "23,5 · 85,50\xa0€ · 49,470000"
    assert template.render(lang="en") == "23.5 · €85.50 · 49.470000"
