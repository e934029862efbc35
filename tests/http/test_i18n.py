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


def test_each_file_is_read_once_per_process_until_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from allmende.http import i18n

    reads: list[Path] = []
    read_po = i18n.read_po

    def counting(handle, **kw):  # type: ignore[no-untyped-def]
        reads.append(Path(handle.name))
        return read_po(handle, **kw)

    monkeypatch.setattr(i18n, "read_po", counting)
    sources = [
        (KERNEL_DOMAIN, _po(tmp_path / "kernel", {"Start": "Anfang"})),
        ("assets", _po(tmp_path / "assets", {"Tree": "Baum"})),
    ]

    def load() -> Catalogs:
        return Catalogs.load(sources, languages=["de", "en"], default="de")

    load()
    assert len(reads) == 2  # two files in German, none in English; each domain merges both
    assert load().gettext("de", "Tree") == "Baum" and len(reads) == 2  # a second app reads none
    po = tmp_path / "assets" / "de" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text().replace('"Baum"', '"Linde"'))
    assert load().gettext("de", "Tree") == "Linde"
    assert reads[2:] == [po]
