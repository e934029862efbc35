"""The template environment: pages compiled once per process, calls and translations."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

import allmende
from allmende.http.templating import Templates, _gettext

pytestmark = pytest.mark.unit


def test_requests_wanting_a_new_page_at_once_compile_it_once(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("<p>{{ n }}</p>", encoding="utf-8")
    templates = Templates([tmp_path])
    compiled: list[str | None] = []
    compile_ = templates.env.compile

    def counted(source: Any, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
        compiled.append(name)
        return compile_(source, name, *args, **kwargs)

    templates.env.compile = counted  # type: ignore[method-assign]
    start = threading.Barrier(4)
    rendered: list[str] = []

    def request(n: int) -> None:
        start.wait()
        rendered.append(templates.env.get_template("page.html").render(n=n))

    threads = [threading.Thread(target=request, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(rendered) == [f"<p>{n}</p>" for n in range(4)]
    assert compiled == ["page.html"]


class _Shelf:
    def __init__(self) -> None:
        self.items = ["a", "b"]

    def count(self, extra: int = 0) -> int:
        return len(self.items) + extra


class _Greeter:
    @pass_context
    def __call__(self, context: Context, name: str) -> str:
        return f"{context['greeting']}, {name}"


@pass_context
def _loop_seen(context: Context) -> str:
    return str(context.get("item"))


def _stops() -> None:
    raise StopIteration


def test_calls_in_templates_pass_what_jinja_passes(tmp_path: Path) -> None:
    """Functions and methods are called the short way; whatever asks for the context gets
    what Jinja's own context gives it (in a loop too), and a StopIteration is undefined."""
    source = (
        "{{ f(2) }}|{{ shelf.count() }}|{{ shelf.count(extra=3) }}|{{ greet('Ada') }}|"
        "{% for item in [1, 2] %}{{ seen() }}{% set x = item %}{{ seen() }}{% endfor %}|"
        "{{ len(shelf.items) }}|[{{ stops() }}]"
    )
    (tmp_path / "page.html").write_text(source, encoding="utf-8")
    values: dict[str, Any] = {
        "f": lambda n: n * 21,
        "shelf": _Shelf(),
        "greet": _Greeter(),
        "greeting": "Hallo",
        "seen": _loop_seen,
        "len": len,
        "stops": _stops,
    }
    html = Templates([tmp_path]).env.get_template("page.html").render(values)
    assert html == Environment(autoescape=True).from_string(source).render(values)
    assert html.startswith("42|2|5|Hallo, Ada|") and html.endswith("|2|[]")


def test_production_templates_are_not_checked_for_changes(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("one", encoding="utf-8")
    fixed, reloading = Templates([tmp_path], reload=False), Templates([tmp_path])
    assert fixed.env.get_template("page.html").render() == "one"
    assert reloading.env.get_template("page.html").render() == "one"
    (tmp_path / "page.html").write_text("two!", encoding="utf-8")  # another size: a change
    assert fixed.env.get_template("page.html").render() == "one"
    assert reloading.env.get_template("page.html").render() == "two!"


def test_translations_without_variables_are_kept_and_still_unescape_percent() -> None:
    catalogue = {"Done": "Fertig", "100%% sure": "100%% sicher"}
    gettext = _gettext(lambda message: catalogue.get(message, message))
    assert gettext("Done") == "Fertig"
    assert gettext("Done") is gettext("Done")  # kept
    assert gettext("100%% sure") == "100% sicher"
    assert gettext("%(name)s left", name="<b>") == "&lt;b&gt; left"


def test_no_template_carries_a_style_attribute() -> None:
    """The content security policy takes styles from files only (``style-src 'self'``): a
    browser drops a ``style`` attribute, and what it coloured (a legend) loses its colour."""
    root = Path(allmende.__file__).parent
    offending = [
        str(path.relative_to(root))
        for path in sorted(root.rglob("*.html"))
        if re.search(r"<[^>]*\sstyle\s*=", path.read_text(encoding="utf-8"))
    ]
    assert offending == []
