"""No English in German: every page of the demo, read in German by a visitor, a citizen and
staff, shows no English source string of any catalogue (the msgids whose German differs)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.untranslated import english_in, german_words

pytestmark = pytest.mark.e2e

#: Source strings that German text may contain as they are, and why.
GERMAN_TOO = frozenset(
    {
        "Features",  # the standard's name: "OGC API - Features"
        "optional",  # a German word too
        "Export %(what)s",  # "Export" is German too (the heading above the export forms)
        "Sensors",  # German genitive: "des Sensors"
        "Services",  # the Open311 term, given in brackets after "Dienste"
        "Meter",  # "Smart Meter" is German too
        "admin",  # the API key scope's name, quoted as the key says it
        "Feature",  # the GeoJSON type, next to "FeatureCollection"
        "Administrator",  # a German word too
    }
)


@pytest.mark.parametrize("who", [None, "citizen", "staff", "admin"])
def test_no_english_on_german_pages(
    german_pages: Callable[[str | None], dict[str, str]], who: str | None
) -> None:
    allowed = GERMAN_TOO | german_words()
    pages = german_pages(who)
    assert len(pages) > 25
    found = {}
    for path, html in pages.items():
        english = english_in(html, allowed=allowed)
        if english:
            found[path] = english
    assert not found, "\n".join(f"{path}: {english}" for path, english in found.items())
