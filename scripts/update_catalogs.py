"""Extract translatable strings and merge them into every catalogue (keeps translations).

Run from the repository root after adding or changing strings:

    python scripts/update_catalogs.py

Then translate the new empty entries in src/allmende/**/locale/de/LC_MESSAGES/messages.po.
Each locale folder collects the strings of the package it sits in.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "translate": None, "N_": None}
METHODS = [
    ("**/templates/**.html", "jinja2"),
    ("**/templates/**.txt", "jinja2"),  # mail templates
    ("**.py", "python"),
]


#: The kernel's catalogue (web/locale) also holds the strings of the layers below the web
#: shell that have no catalogue of their own (the core's reasons, e.g. of the time parser).
ALSO_EXTRACTED = {"web": ("core",)}


def extract(*sources: Path) -> Catalog:
    catalog = Catalog(project="allmende", charset="utf-8")
    for source in sources:
        for filename, lineno, message, comments, context in extract_from_dir(
            str(source), METHODS, keywords=KEYWORDS, strip_comment_tags=True
        ):
            catalog.add(
                message, None, [(filename, lineno)], auto_comments=comments, context=context
            )
    return catalog


def update(locale_root: Path, source: Path) -> None:
    extra = [source.parent / name for name in ALSO_EXTRACTED.get(source.name, ())]
    template = extract(source, *extra)
    for language_dir in sorted(p for p in locale_root.iterdir() if p.is_dir()):
        po = language_dir / "LC_MESSAGES" / "messages.po"
        if po.exists():
            with po.open("rb") as handle:
                catalog = read_po(handle, locale=language_dir.name)
        else:
            catalog = Catalog(locale=language_dir.name, project="allmende", charset="utf-8")
        catalog.update(template, no_fuzzy_matching=True)
        # Fixed header fields keep the diff to real changes.
        catalog.creation_date = catalog.revision_date = datetime(2026, 1, 1, tzinfo=UTC)
        catalog.msgid_bugs_address = ""
        catalog.last_translator = "Allmende contributors"
        catalog.language_team = f"{language_dir.name} <>"
        buffer = io.BytesIO()
        write_po(
            buffer,
            catalog,
            omit_header=False,
            no_location=True,
            ignore_obsolete=True,
            sort_output=True,
            width=100,
        )
        po.parent.mkdir(parents=True, exist_ok=True)
        po.write_bytes(buffer.getvalue())
        missing = sum(1 for m in catalog if m.id and not m.string)
        print(f"{po}: {len(catalog)} messages, {missing} untranslated")


def main() -> None:
    root = Path("src/allmende")
    for locale_root in sorted(root.glob("**/locale")):
        update(locale_root, locale_root.parent)


if __name__ == "__main__":
    main()
