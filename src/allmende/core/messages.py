"""Messages people read, written in English and translated where they are shown.

Rules raise errors with English source strings marked ``N_("…")`` and never take a
``translate`` argument; the page that shows a message translates it with the reader's
catalogue. A message with values (a phase's name, a range) is a :class:`Message`: it reads
as the English text, and keeps its template and values so that :func:`localise` translates
the template and then fills it in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping


class Message(str):
    """``Message(N_("choose a value from %(min)d to %(max)d"), min=1, max=5)``: the English
    text, with the template and its values kept for translation."""

    template: str
    values: Mapping[str, object]

    def __new__(cls, template: str, **values: object) -> Message:
        message = super().__new__(cls, template % values if values else template)
        message.template = template
        message.values = values
        return message


def localise(text: str, translate: Callable[[str], str]) -> str:
    """``text`` in the reader's language: a :class:`Message` has its template translated and
    then its values (text values translated too: they are labels such as a status)."""
    if not isinstance(text, Message):
        return translate(text)
    values = {k: translate(v) if isinstance(v, str) else v for k, v in text.values.items()}
    try:
        return translate(text.template) % values
    except (KeyError, ValueError, TypeError):  # a translation that lost a placeholder
        return text.template % text.values
