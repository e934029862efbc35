"""The template environment: pages compiled once per process."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from allmende.http.templating import Templates

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
