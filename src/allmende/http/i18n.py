"""German and English: gettext catalogues read from ``.po`` files, the language of a request.

Source strings are English; ``de`` is the default language of the installation. Catalogues are
read straight from the ``.po`` files at start-up (no compiled ``.mo`` files to keep in step).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from babel import Locale, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from starlette.requests import HTTPConnection

LANGUAGE_COOKIE = "allmende_lang"


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark a string for extraction into the catalogues; it is translated where it is shown."""
    return message


DOMAIN = "messages"


@dataclass
class Catalogs:
    """Translations per language, merged from the kernel's and every module's catalogues."""

    languages: list[str]
    default: str
    _translations: dict[str, NullTranslations] = field(default_factory=dict)

    @classmethod
    def load(cls, folders: Iterable[Path], *, languages: list[str], default: str) -> Catalogs:
        catalogs = cls(languages=languages, default=default)
        for language in languages:
            merged: NullTranslations = NullTranslations()
            for folder in folders:
                po = folder / language / "LC_MESSAGES" / f"{DOMAIN}.po"
                if po.is_file():
                    merged = _merge(merged, _from_po(po, language))
            catalogs._translations[language] = merged
        return catalogs

    def get(self, language: str) -> NullTranslations:
        return self._translations.get(language) or self._translations.get(
            self.default, NullTranslations()
        )

    def gettext(self, language: str, message: str) -> str:
        return self.get(language).gettext(message)

    def negotiate(self, connection: HTTPConnection, preferred: str | None = None) -> str:
        """Cookie, then the account's language, then Accept-Language, then the default."""
        for candidate in (connection.cookies.get(LANGUAGE_COOKIE), preferred):
            if candidate in self.languages:
                return candidate
        header = connection.headers.get("accept-language", "")
        wanted = [part.split(";")[0].strip().replace("-", "_") for part in header.split(",")]
        chosen = negotiate_locale([w for w in wanted if w], self.languages, sep="_")
        if chosen:
            return chosen.split("_")[0]
        for item in wanted:  # "de_AT" or "en_GB" → "de" / "en"
            if item.split("_")[0] in self.languages:
                return item.split("_")[0]
        return self.default


def _from_po(path: Path, language: str) -> Translations:
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=Locale.parse(language))
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def _merge(base: NullTranslations, extra: Translations) -> NullTranslations:
    if isinstance(base, Translations):
        base.merge(extra)
        return base
    return extra
