"""Server-rendered pages: one Jinja2 environment over the shell's and the modules' templates."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from functools import lru_cache
from gettext import NullTranslations
from pathlib import Path
from types import FunctionType, MethodType
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


class _Context(Context):
    """Jinja's context, calling plain functions and methods the short way.

    A template's every ``f(x)`` goes through :meth:`Context.call`, which asks the callable
    (and its ``__call__``) four times whether it wants the context passed; for a bound method
    each question raises and catches an AttributeError inside. Pages make hundreds of calls.
    A function's or a method's answer is its function's ``jinja_pass_arg``, asked once here;
    everything else, and anything that wants the context, takes Jinja's own way.
    """

    def call(__self, __obj: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        kind = type(__obj)
        if kind is MethodType:
            function = __obj.__func__  # type: ignore[attr-defined]
        elif kind is FunctionType:
            function = __obj
        else:
            return super().call(__obj, *args, **kwargs)
        if getattr(function, "jinja_pass_arg", None) is not None:
            return super().call(__obj, *args, **kwargs)
        if kwargs:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception"
            )


class Templates:
    def __init__(self, folders: Iterable[Path], *, reload: bool = True) -> None:
        self.env = Environment(
            loader=_LoadedOnce([FileSystemLoader(str(f)) for f in folders]),
            bytecode_cache=_COMPILED,
            # Reloading checks each template's file (and those it extends or imports) at every
            # render; a production server's templates change only with a new release.
            auto_reload=reload,
            autoescape=select_autoescape(default=True, default_for_string=True),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.newstyle_gettext = True  # type: ignore[attr-defined]
        self.env.context_class = _Context
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


#: Messages without variables kept as markup per catalogue, at most this many (a template may
#: translate a stored label, so the keys are not only the templates' own strings).
PLAIN_MESSAGES = 4096


def _gettext(translate: Callable[[str], str]) -> Callable[..., Markup]:
    # Jinja's "newstyle" gettext: translations are trusted markup, variables are escaped,
    # and a literal percent sign is written %%.
    plain: dict[str, Markup] = {}

    def gettext(message: str, **variables: Any) -> Markup:
        if variables:
            return Markup(translate(message)) % variables  # noqa: S704 - catalogue text is ours
        found = plain.get(message)
        if found is None:
            found = Markup(translate(message)) % {}  # noqa: S704 - catalogue text is ours
            if len(plain) < PLAIN_MESSAGES:
                plain[message] = found
        return found

    return gettext


def _ngettext(translate: Callable[[str, str, int], str]) -> Callable[..., Markup]:
    def ngettext(singular: str, plural: str, n: int, **variables: Any) -> Markup:
        variables.setdefault("num", n)
        return Markup(translate(singular, plural, n)) % variables  # noqa: S704

    return ngettext


@dataclass(frozen=True)
class _Translating:
    """A catalogue's functions for templates, made once per catalogue (catalogues are shared
    and never change once merged)."""

    gettext: Callable[..., Markup]
    ngettext: Callable[..., Markup]
    translated: Callable[[str], str]
    localised: Callable[[str], str]


@lru_cache(maxsize=64)
def _translating(translations: NullTranslations) -> _Translating:
    gettext = translations.gettext
    return _Translating(
        gettext=_gettext(gettext),
        ngettext=_ngettext(translations.ngettext),
        # Names that are stored as source strings (ObservedProperties, object types): the
        # translation if the catalogues have one, else the name as it is (never formatted).
        translated=lambda name: gettext(name) if name else name,
        # Text the product stored as a message (a staff notification): in the reader's language.
        localised=lambda text: localise(text, gettext) if text else text,
    )


def page_context(request: Request, domain: str | None = None) -> dict[str, Any]:
    """What every page may use: language, translations, the caller, navigation, CSRF.

    ``domain`` is the catalogue whose translations win (the template folder's module).
    """
    context = app_context(request)
    language = context.catalogs.negotiate(request)
    translating = _translating(context.catalogs.get(language, domain))
    principal = getattr(request.state, "principal", None)
    return {
        "request": request,
        "lang": language,
        "languages": [
            (code, LANGUAGE_NAMES.get(code, code)) for code in context.catalogs.languages
        ],
        "gettext": translating.gettext,
        "_": translating.gettext,
        "ngettext": translating.ngettext,
        "translated": translating.translated,
        "localised": translating.localised,
        # A module's entry in the navigation, in its own module's words on every page: "Heat"
        # is "Hitze" for the heat module and "Wärme" on the energy module's pages.
        "nav_label": lambda key, label: _translating(
            context.catalogs.get(language, key)
        ).translated(label),
        "principal": principal,
        "settings": context.settings,
        "registry": context.registry,
        "csrf_token": LazyToken(request),
        "url": lambda path: local_path(request, path),
        "current_path": request.url.path,
    }
