"""An Observation's result survives the trip through its columns with its JSON type."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from allmende.sensing.models import ResultKind
from allmende.sensing.results import decode_result, encode_result

pytestmark = pytest.mark.unit

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)


@given(json_values)
def test_every_json_value_round_trips(value: Any) -> None:
    kind, number, text, data = encode_result(value)
    decoded = decode_result(kind, number, text, None if data is None else orjson.loads(data))
    assert decoded == value
    assert type(decoded) is type(value)


def test_kinds() -> None:
    assert encode_result(5)[0] == ResultKind.INTEGER
    assert encode_result(2**60)[0] == ResultKind.BIG_INTEGER
    assert encode_result(True)[:2] == (ResultKind.BOOLEAN, 1.0)
    assert encode_result("5")[2] == "5"
    with pytest.raises(ValueError, match="finite"):
        encode_result(float("nan"))
    with pytest.raises(ValueError, match="JSON"):
        encode_result({"a": 2**70})
