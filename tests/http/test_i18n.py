"""Catalogues: every page finds every string, and a page's own module translates first."""

from __future__ import annotations

from pathlib import Path

import pytest

from allmende.http.i18n import KERNEL_DOMAIN, Catalogs

pytestmark = pytest.mark.unit


def _po(folder: Path, entries: dict[str, str]) -> Path:
    target = folder / "de" / "LC_MESSAGES"
    target.mkdir(parents=True)
    body = (
        'msgid ""\nmsgstr ""\n"Language: de\\n"\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
    )
    body += "".join(f'msgid "{k}"\nmsgstr "{v}"\n\n' for k, v in entries.items())
    (target / "messages.po").write_text(body)
    return folder


def test_the_domain_of_the_page_wins(tmp_path: Path) -> None:
    catalogs = Catalogs.load(
        [
            (
                KERNEL_DOMAIN,
                _po(tmp_path / "kernel", {"Start": "Start", "Bad request": "Ungültig"}),
            ),
            ("assets", _po(tmp_path / "assets", {"Status": "Status", "Tree": "Baum"})),
            ("participation", _po(tmp_path / "part", {"Status": "Stand", "Bad request": "Kaputt"})),
        ],
        languages=["de", "en"],
        default="de",
    )
    assert catalogs.gettext("de", "Status", "assets") == "Status"
    assert catalogs.gettext("de", "Status", "participation") == "Stand"
    assert catalogs.gettext("de", "Tree", "participation") == "Baum"  # found in any catalogue
    assert catalogs.gettext("de", "Bad request") == "Ungültig"  # shell pages: the kernel's
    assert catalogs.gettext("en", "Status", "participation") == "Status"
