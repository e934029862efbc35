"""Messages kept for later readers: stored as JSON, read back, translated where shown."""

from __future__ import annotations

from allmende.core.messages import (
    Message,
    joined,
    localise,
    message_from_json,
    message_to_json,
)

GERMAN = {
    "%(reason)s; sent again by %(by)s": "%(reason)s; erneut gesendet von %(by)s",
    "Warning for %(district)s": "Warnung für %(district)s",
    "%(n)d more": "%(n)d weitere",
}


def _german(text: str) -> str:
    return GERMAN.get(text, text)


def test_a_nested_message_survives_json_and_reads_in_german() -> None:
    inner = Message("Warning for %(district)s", district="Altstadt")
    outer = Message("%(reason)s; sent again by %(by)s", reason=inner, by="Ana")
    stored = message_to_json(outer)
    restored = message_from_json(stored, "ignored")
    assert restored == "Warning for Altstadt; sent again by Ana"
    assert localise(restored, _german) == "Warnung für Altstadt; erneut gesendet von Ana"


def test_plain_text_is_kept_as_typed() -> None:
    assert message_to_json("Bank am Markt wackelt") is None
    assert message_from_json(None, "Bank am Markt wackelt") == "Bank am Markt wackelt"
    # a stored template that no longer fits its values: the English as it was stored
    assert (
        message_from_json({"template": "%(gone)s", "values": {"kept": 1}}, "as stored")
        == "as stored"
    )


def test_joined_lines_are_translated_one_by_one() -> None:
    lines = joined([Message("Warning for %(district)s", district="Au"), Message("%(n)d more", n=2)])
    assert lines == "Warning for Au\n2 more"
    assert localise(message_from_json(message_to_json(lines), ""), _german) == (
        "Warnung für Au\n2 weitere"
    )
