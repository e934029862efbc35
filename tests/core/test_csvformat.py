"""The product's one CSV convention: plain RFC 4180 and the German spreadsheet dialect."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from allmende.core import csvformat

pytestmark = pytest.mark.unit

ROW = ["Linde", 21.5, 3, True, None, datetime(2026, 5, 1, 10, tzinfo=UTC), date(2026, 5, 2)]


def test_plain_is_rfc_4180_with_a_decimal_point() -> None:
    data = csvformat.to_bytes(["a", "b", "c", "d", "e", "f", "g"], [ROW], "plain")
    assert data == (b"a,b,c,d,e,f,g\r\nLinde,21.5,3,true,,2026-05-01T10:00:00Z,2026-05-02\r\n")


def test_excel_de_has_semicolons_a_decimal_comma_and_a_bom() -> None:
    data = csvformat.to_bytes(["Name", "Wert"], [["Bäume; Linden", 21.5], ["x", -0.25]], "excel-de")
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text == 'Name;Wert\r\n"Bäume; Linden";21,5\r\nx;-0,25\r\n'
    assert list(csv.reader(io.StringIO(text), delimiter=";"))[1] == ["Bäume; Linden", "21,5"]


@pytest.mark.parametrize("text", ["=1+1", "+49", "-x", "@SUM(A1)", "\tx"])
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(text: str) -> None:
    assert csvformat.cell(text) == "'" + text
    assert csvformat.cell(-3) == "-3"  # numbers stay numbers


def test_streamed_chunks_make_the_same_file() -> None:
    rows = [[i, i / 2] for i in range(12)]
    whole = csvformat.to_bytes(["i", "half"], rows, "excel-de")
    pieces = list(csvformat.chunks(["i", "half"], iter(rows), "excel-de", rows_per_chunk=5))
    assert len(pieces) == 4  # header, 5, 5, 2
    assert b"".join(pieces) == whole


def test_objects_and_odd_numbers() -> None:
    assert csvformat.cell({"a": "ä"}) == '{"a": "ä"}'
    assert csvformat.cell(float("nan")) == ""
