"""Units as readers know them."""

from __future__ import annotations

import pytest

from allmende.modules.sensors.catalogue import unit_symbol

pytestmark = pytest.mark.unit


def test_ucum_codes_become_the_symbols_readers_know() -> None:
    assert unit_symbol("Cel") == "°C"
    assert unit_symbol("kW.h") == "kWh"
    assert unit_symbol("kPa") == "kPa"  # one not in the table: as it is


def test_an_annotation_alone_is_a_count_and_shows_no_braces() -> None:
    assert unit_symbol("{tree}") == ""
    assert unit_symbol("{tree}/h") == "{tree}/h"  # not an annotation alone: as it is
