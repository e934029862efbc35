"""German and English: gettext catalogues read from ``.po`` files, the language of a request.

Source strings are English; ``de`` is the default language of the installation. Catalogues are
read straight from the ``.po`` files at start-up (no compiled ``.mo`` files to keep in step), and
once per process: each file's compiled form and each merged catalogue are kept by the files'
paths and modification times, so every further app in the process (a test's, a worker's) reuses
them, and an edited file is read again.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from babel import Locale, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from starlette.requests import HTTPConnection

from allmende.core.errors import N_ as N_  # the marker, re-exported for the layers above

LANGUAGE_COOKIE = "allmende_lang"
KERNEL_DOMAIN = "allmende"

Translate = Callable[[str], str]


DOMAIN = "messages"


@dataclass
class Catalogs:
    """Translations per language, from the kernel's and every module's catalogues.

    Each catalogue is a *domain* (``allmende``, ``open311``, a module key…). All of them are
    merged, so any page finds every string, but the domain of the page (its template folder or
    the module asking) is merged last and wins: modules may translate the same English word
    differently (a work order's "Status" and a contribution's "Stand").
    """

    languages: list[str]
    default: str
    _sources: list[tuple[str, Path]] = field(default_factory=list)
    _cache: dict[tuple[str, str], NullTranslations] = field(default_factory=dict)

    @classmethod
    def load(
        cls, sources: Iterable[tuple[str, Path]], *, languages: list[str], default: str
    ) -> Catalogs:
        """``sources``: (domain, folder with ``<lang>/LC_MESSAGES/messages.po``) pairs."""
        catalogs = cls(languages=languages, default=default, _sources=list(sources))
        for language in languages:  # read every file now: errors surface at start-up
            for domain in catalogs.domains:
                catalogs.get(language, domain)
        return catalogs

    @property
    def domains(self) -> list[str]:
        return [domain for domain, _ in self._sources]

    def get(self, language: str, domain: str | None = None) -> NullTranslations:
        if language not in self.languages:
            language = self.default
        # Pages of the shell (no domain) let the kernel's catalogue win.
        key = (language, domain if domain in self.domains else KERNEL_DOMAIN)
        found = self._cache.get(key)
        if found is None:
            ordered = sorted(self._sources, key=lambda source: source[0] == key[1])
            files = [folder / language / "LC_MESSAGES" / f"{DOMAIN}.po" for _, folder in ordered]
            found = self._cache[key] = _merged(
                tuple(_signature(po) for po in files if po.is_file()), language
            )
        return found

    def gettext(self, language: str, message: str, domain: str | None = None) -> str:
        return self.get(language, domain).gettext(message)

    def translator(self, connection: HTTPConnection, domain: str | None = None) -> Translate:
        """``gettext`` in the language of this request."""
        return self.get(self.negotiate(connection), domain).gettext

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


#: A catalogue file as it is now: path, modification time and size.
Signature = tuple[Path, int, int]

#: Process-wide: compiled files and merged catalogues by the signatures of their files. The
#: merged ``Translations`` are shared by every app of the process and never changed once built.
_compiled: dict[tuple[Signature, str], bytes] = {}
_merges: dict[tuple[tuple[Signature, ...], str], NullTranslations] = {}
_lock = threading.Lock()


def _signature(path: Path) -> Signature:
    stat = path.stat()
    return (path, stat.st_mtime_ns, stat.st_size)


def _merged(files: tuple[Signature, ...], language: str) -> NullTranslations:
    """The files' catalogues merged in order (the last one wins), built once per process."""
    with _lock:
        found = _merges.get((files, language))
        if found is None:
            found = NullTranslations()
            for file in files:
                found = _merge(found, _from_po(file, language))
            _merges[(files, language)] = found
        return found


def _from_po(file: Signature, language: str) -> Translations:
    compiled = _compiled.get((file, language))
    if compiled is None:
        with file[0].open("rb") as handle:
            catalog = read_po(handle, locale=Locale.parse(language))
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        compiled = _compiled[(file, language)] = buffer.getvalue()
    return Translations(fp=io.BytesIO(compiled), domain=DOMAIN)


def _merge(base: NullTranslations, extra: Translations) -> NullTranslations:
    if isinstance(base, Translations):
        base.merge(extra)
        return base
    return extra
