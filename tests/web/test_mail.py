"""Mail templates: numbers in the recipient's language."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.numbers import format_decimal

from allmende.http.i18n import Catalogs
from allmende.web.mail import MailTemplates

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("value", [0, 7, 1234.5, -0.0625, 2400, 1_234_567.891])
@pytest.mark.parametrize("language", ["de", "en"])
def test_numbers_are_written_as_babel_writes_them_and_huge_ones_too(
    tmp_path: Path, value: float, language: str
) -> None:
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "n.txt").write_text(
        "{% block subject %}n{% endblock %}{% block body %}{{ n | number }}{% endblock %}\n",
        encoding="utf-8",
    )
    render = MailTemplates([tmp_path], Catalogs.load([], languages=["de", "en"], default="de"))
    assert render("mail/n", {"n": value}, language).body.strip() == format_decimal(
        value, locale=language
    )
    # Babel cannot round 1e30 (its quantize stops at 28 digits): written all the same.
    assert render("mail/n", {"n": 1e30}, "de").body.strip() == "1" + ".000" * 10
