"""Mail templates: plain-text Jinja2 templates in the recipient's language.

A mail template is ``templates/<module>/mail/<name>.txt`` (the shell's: ``mail/<name>.txt``)
with a ``subject`` block and a ``body`` block, usually extending ``mail/layout.txt`` (greeting
and footer). Strings are translated with the catalogue of the template's module, like pages.
Templates read their context and ``url(path)`` (an absolute URL), ``region_name`` and
``unsubscribe_url``; numbers and times go through the filters ``number``, ``date`` and
``datetime``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

from allmende.core.messages import localise, message_from_json
from allmende.delivery.mailer import REGION_ZONE, Rendered
from allmende.http import formatting
from allmende.http.i18n import Catalogs


class MailTemplates:
    """``render(template, context, language)`` for the mail jobs."""

    def __init__(self, folders: Iterable[Path], catalogs: Catalogs) -> None:
        self.catalogs = catalogs
        self.env = Environment(
            loader=ChoiceLoader([FileSystemLoader(str(f)) for f in folders]),
            autoescape=False,  # noqa: S701 - plain-text mail, no HTML anywhere
            extensions=["jinja2.ext.i18n"],
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=StrictUndefined,
        )
        self.env.newstyle_gettext = True  # type: ignore[attr-defined]
        self.env.filters["number"] = _number
        self.env.filters["datetime"] = _datetime
        self.env.filters["date"] = _date

    def __call__(self, template: str, context: dict[str, Any], language: str | None) -> Rendered:
        chosen = language if language in self.catalogs.languages else self.catalogs.default
        domain = template.split("/", 1)[0] if not template.startswith("mail/") else None
        translations = self.catalogs.get(chosen, domain)
        base = str(context.get("base_url", "")).rstrip("/")

        def gettext(message: str, **variables: Any) -> str:
            # Like the pages' newstyle gettext: a literal percent sign is written %%.
            return translations.gettext(message) % variables

        def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
            variables.setdefault("num", n)
            return translations.ngettext(singular, plural, n) % variables

        values: dict[str, Any] = {
            **context,
            "lang": chosen,
            "gettext": gettext,
            "_": gettext,
            "ngettext": ngettext,
            # A text stored as a message (the context's ``texts``) in the recipient's language.
            "localised": lambda name, english: localise(
                message_from_json((context.get("texts") or {}).get(name), english),
                translations.gettext,
            ),
            "url": lambda path: base + (path if str(path).startswith("/") else f"/{path}"),
        }
        loaded = self.env.get_template(f"{template}.txt")
        body = loaded.render(values)
        subject = "".join(loaded.blocks["subject"](loaded.new_context(values))).strip()
        core = "".join(loaded.blocks["body"](loaded.new_context(values)))
        return Rendered(
            subject=" ".join(subject.split()),
            text=_tidy(body),
            language=chosen,
            body=_tidy(core),
        )


@pass_context
def _number(context: Context, value: float) -> str:
    """As Babel's ``format_decimal`` writes it (grouped, up to three decimals), also beyond
    10^28, where Babel's rounding fails (a meter may report 1e30)."""
    return formatting.decimal(value, context["lang"], 3, grouped=True, optional=True)


@pass_context
def _datetime(context: Context, value: datetime | str) -> str:
    """A time (or its ISO text, as a JSON context holds it) in the region's time zone."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return format_datetime(moment, format="medium", tzinfo=REGION_ZONE, locale=context["lang"])


@pass_context
def _date(context: Context, value: date | str) -> str:
    """A day (or its ISO text; of a time, the region's day) in the reader's language."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.astimezone(REGION_ZONE).date()
    return format_date(value, format="medium", locale=context["lang"])


def _tidy(text: str) -> str:
    """At most one empty line in a row, no trailing spaces (but the signature's "-- "), one
    final newline."""
    lines = [line if line == "-- " else line.rstrip() for line in text.strip().splitlines()]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept) + "\n"
