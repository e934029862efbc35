"""Finds English source strings of the catalogues in what a German page shows.

Every ``msgid`` whose German translation differs from it is a pattern: its placeholders match
any text, and it must stand alone (not inside a longer word). The page's text is what a reader
sees or hears: text outside scripts and styles, and the ``alt``, ``title``, ``placeholder``,
``aria-label`` and button values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.pofile import read_po

import allmende

PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")
SPOKEN_ATTRIBUTES = ("alt", "title", "placeholder", "aria-label")
SILENT_TAGS = ("script", "style", "template")
ADDRESSES = re.compile(r"\S+@\S+|https?://\S+")


@dataclass(frozen=True)
class Source:
    msgid: str
    german: str
    pattern: re.Pattern[str]
    #: The longest word the pattern matches literally: a page without it cannot match, which
    #: spares most of the regular expression searches (their ``.+?`` between pieces is slow).
    needle: str


def catalogue_files() -> list[Path]:
    return sorted(Path(allmende.__file__).parent.glob("**/locale/de/LC_MESSAGES/messages.po"))


def _pattern(msgid: str) -> tuple[re.Pattern[str], str] | None:
    """The pattern that finds ``msgid`` in a page's text, and its longest literal word."""
    literal = [piece.replace("%%", "%") for piece in PLACEHOLDER.split(msgid)]
    if not re.search(r"[A-Za-z]{3,}", "".join(literal)):  # "%(n)s %%", "kWh": no English
        return None
    pieces = [r"\s+".join(re.escape(word) for word in piece.split(" ")) for piece in literal]
    needle = max((word for piece in literal for word in piece.split(" ")), key=len)
    return re.compile(rf"(?<![\w-]){'.+?'.join(pieces)}(?![\w-])"), needle


@cache
def english_sources() -> tuple[Source, ...]:
    """Every msgid of every German catalogue that German pages must not show as it is."""
    found: dict[str, Source] = {}
    for po in catalogue_files():
        with po.open("rb") as handle:
            catalog = read_po(handle, locale="de")
        for message in catalog:
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for msgid in ids:
                if msgid in found or any(msgid == s for s in strings):
                    continue  # the same word in both languages ("Name", "Status")
                matcher = _pattern(msgid)
                if matcher is not None:
                    found[msgid] = Source(msgid, strings[0] or "", *matcher)
    return tuple(found.values())


@cache
def german_words() -> frozenset[str]:
    """Source strings that are some catalogue's German too ("Status", "Name")."""
    words: set[str] = set()
    for po in catalogue_files():
        with po.open("rb") as handle:
            for message in read_po(handle, locale="de"):
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                words.update(s for s in strings if s)
    return frozenset(words)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._silent = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SILENT_TAGS:
            self._silent += 1
        values = dict(attrs)
        for name in SPOKEN_ATTRIBUTES:
            if values.get(name):
                self.parts.append(str(values[name]))
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(str(values["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in SILENT_TAGS and self._silent:
            self._silent -= 1

    def handle_data(self, data: str) -> None:
        if not self._silent and data.strip():
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(" ".join(part.split()) for part in parser.parts)


def english_in(html: str, *, allowed: frozenset[str] = frozenset()) -> list[str]:
    """The English source strings the page shows (each once)."""
    text = ADDRESSES.sub(" ", visible_text(html))  # e-mail addresses and links are not words
    return [
        source.msgid
        for source in english_sources()
        if source.msgid not in allowed and source.needle in text and source.pattern.search(text)
    ]
