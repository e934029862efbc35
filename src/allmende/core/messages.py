"""Messages people read, written in English and translated where they are shown.

Rules raise errors with English source strings marked ``N_("…")`` and never take a
``translate`` argument; the page that shows a message translates it with the reader's
catalogue. A message with values (a phase's name, a range) is a :class:`Message`: it reads
as the English text, and keeps its template and values so that :func:`localise` translates
the template and then fills it in. Text the product stores for later readers (a staff
notification, the reason of a switch) keeps the message as :func:`message_to_json` beside
the English and reads it back with :func:`message_from_json`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any


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
    values = {
        k: localise(v, translate) if isinstance(v, str) else v for k, v in text.values.items()
    }
    try:
        return translate(text.template) % values
    except (KeyError, ValueError, TypeError):  # a translation that lost a placeholder
        return text.template % text.values


def joined(texts: Sequence[str], separator: str = "\n") -> Message:
    """Messages one after the other (the lines of a list), each translated on its own."""
    template = separator.join(f"%(part{i})s" for i in range(len(texts)))
    return Message(template, **{f"part{i}": text for i, text in enumerate(texts)})


def message_to_json(text: str) -> dict[str, Any] | None:
    """A :class:`Message` as JSON (its template and values, messages among them too); None for
    plain text, which is kept as it is (a name, what someone typed)."""
    if not isinstance(text, Message):
        return None
    values = {
        k: message_to_json(v) or v if isinstance(v, str) else v for k, v in text.values.items()
    }
    return {"template": text.template, "values": values}


def message_from_json(stored: object, english: str) -> str:
    """The :class:`Message` that :func:`message_to_json` stored; ``english`` where there is
    none or it no longer fits its template."""
    if not isinstance(stored, dict) or not isinstance(stored.get("template"), str):
        return english
    values = stored.get("values")
    if not isinstance(values, dict):
        return english
    restored = {
        k: message_from_json(v, "") if isinstance(v, dict) else v for k, v in values.items()
    }
    try:
        return Message(stored["template"], **restored)
    except (KeyError, ValueError, TypeError):
        return english
