"""Server-rendered pages: one Jinja2 environment over the shell's and the modules' templates."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from pathlib import Path
from typing import Any

from jinja2 import (
    BytecodeCache,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    Template,
    pass_context,
    select_autoescape,
)
from jinja2.bccache import Bucket
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from allmende.core.messages import localise
from allmende.http import formatting
from allmende.http.context import app_context
from allmende.http.csrf import LazyToken, remember_seed
from allmende.http.links import local_path

LANGUAGE_NAMES = {"de": "Deutsch", "en": "English"}


class _CompiledInProcess(BytecodeCache):
    """Compiled templates kept for the process, shared by every app in it (the test suite
    makes thousands of apps, and compiling the pages took a tenth of a second for each).
    A template is keyed by its file and checked against its source, so a change recompiles."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


#: One for all :class:`Templates`, whose environments share their options.
_COMPILED = _CompiledInProcess()


class _LoadedOnce(ChoiceLoader):
    """Loads one template at a time: the requests that want a page not yet compiled (every
    page of a fresh worker under load) wait for the first one's compilation and take its code
    from :data:`_COMPILED`, instead of each compiling it again."""

    _lock = threading.RLock()  # extends and includes load at render time, never inside load

    def load(
        self,
        environment: Environment,
        name: str,
        globals: MutableMapping[str, Any] | None = None,
    ) -> Template:
        with self._lock:
            return super().load(environment, name, globals)


class Templates:
    def __init__(self, folders: Iterable[Path]) -> None:
        self.env = Environment(
            loader=_LoadedOnce([FileSystemLoader(str(f)) for f in folders]),
            bytecode_cache=_COMPILED,
            autoescape=select_autoescape(default=True, default_for_string=True),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.newstyle_gettext = True  # type: ignore[attr-defined]
        self.env.filters.update(FILTERS)
        self.globals: dict[str, Any] = {}

    def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        domain = template.split("/", 1)[0] if "/" in template else None
        values = {**page_context(request, domain), **(context or {})}
        html = self.env.get_template(template).render(values)
        response = HTMLResponse(html, status_code=status_code, headers=headers)
        remember_seed(request, response)
        return response


def _in_language(format_: Callable[..., str]) -> Callable[..., str]:
    """A formatting function as a filter in the language of the page being rendered."""

    @pass_context
    def apply(context: Context, value: Any, *args: Any) -> str:
        return format_(value, context.get("lang", "de"), *args)

    return apply


FILTERS = {
    "number": _in_language(formatting.number),
    "money": _in_language(formatting.money),
    "filesize": _in_language(formatting.filesize),
    "coordinate": _in_language(formatting.coordinate),
    "datetime": _in_language(formatting.local_datetime),
    "date": _in_language(formatting.local_date),
}


def _gettext(translate: Callable[[str], str]) -> Callable[..., Markup]:
    # Jinja's "newstyle" gettext: translations are trusted markup, variables are escaped,
    # and a literal percent sign is written %%.
    def gettext(message: str, **variables: Any) -> Markup:
        return Markup(translate(message)) % variables  # noqa: S704 - catalogue text is ours

    return gettext


def _ngettext(translate: Callable[[str, str, int], str]) -> Callable[..., Markup]:
    def ngettext(singular: str, plural: str, n: int, **variables: Any) -> Markup:
        variables.setdefault("num", n)
        return Markup(translate(singular, plural, n)) % variables  # noqa: S704

    return ngettext


def page_context(request: Request, domain: str | None = None) -> dict[str, Any]:
    """What every page may use: language, translations, the caller, navigation, CSRF.

    ``domain`` is the catalogue whose translations win (the template folder's module).
    """
    context = app_context(request)
    language = context.catalogs.negotiate(request)
    translations = context.catalogs.get(language, domain)
    gettext = _gettext(translations.gettext)
    principal = getattr(request.state, "principal", None)
    return {
        "request": request,
        "lang": language,
        "languages": [
            (code, LANGUAGE_NAMES.get(code, code)) for code in context.catalogs.languages
        ],
        "gettext": gettext,
        "_": gettext,
        "ngettext": _ngettext(translations.ngettext),
        # Names that are stored as source strings (ObservedProperties, object types): the
        # translation if the catalogues have one, else the name as it is (never formatted).
        "translated": lambda name: translations.gettext(name) if name else name,
        # Text the product stored as a message (a staff notification): in the reader's language.
        "localised": lambda text: localise(text, translations.gettext) if text else text,
        "principal": principal,
        "settings": context.settings,
        "registry": context.registry,
        "csrf_token": LazyToken(request),
        "url": lambda path: local_path(request, path),
        "current_path": request.url.path,
    }
