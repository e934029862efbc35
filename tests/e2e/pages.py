"""The pages of the live demo: every GET route without path parameters, and one detail page of
every GET route with path parameters (the first link to it that the pages already found show)."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi import routing

from allmende.demo.region import DEMO_PASSWORD
from tests.support.web import csrf_from

#: Not pages: machine formats, files and the endpoints behind forms.
NOT_PAGES = re.compile(r"^/(api|v1\.1|ogcapi|open311|dcat|catalog|static|metrics|health|openapi)")
#: Files by their name: the last path segment has an extension ("map.geojson", "{id}.cap.xml").
FILE = re.compile(r"\.\w+$")
PARAMETER = re.compile(r"\{\w+\}")
LINK = re.compile(r'href="(/[^"?#]*)')
ACCOUNTS = {
    "staff": "staff@auenstadt.demo.allmende.example",
    "admin": "admin@demo.allmende.example",
    "citizen": "buerger@demo.allmende.example",
}


def _get_routes(app: Any) -> set[str]:
    return {
        c.path_format
        for c in routing.iter_route_contexts(app.routes)
        if "GET" in (c.methods or ())
        and not NOT_PAGES.match(c.path_format)
        and not FILE.search(c.path_format)
    }


def route_pages(app: Any) -> list[str]:
    """The page routes without path parameters."""
    return sorted(path for path in _get_routes(app) if "{" not in path)


def detail_routes(app: Any) -> dict[str, re.Pattern[str]]:
    """The page routes with path parameters, each with the pattern its links match."""
    return {
        path: re.compile("^" + r"[\w-]+".join(map(re.escape, PARAMETER.split(path))) + "$")
        for path in sorted(_get_routes(app))
        if "{" in path
    }


def client(url: str, language: str, who: str | None = None) -> httpx.Client:
    browser = httpx.Client(base_url=url, cookies={"allmende_lang": language}, timeout=60)
    if who is not None:
        _sign_in(browser, ACCOUNTS[who], DEMO_PASSWORD)
    return browser


def _sign_in(browser: httpx.Client, email: str, password: str) -> None:
    form = browser.get("/login").text
    signed = browser.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_from(form), "next": "/"},
    )
    assert signed.status_code in (200, 303), signed.text[:300]


def _for_context(url: str, browser: httpx.Client) -> list[dict[str, str]]:
    cookies = dict(browser.cookies)
    browser.close()
    return [{"name": k, "value": v, "url": url} for k, v in cookies.items()]


def session_cookies(url: str, language: str, who: str | None) -> list[dict[str, str]]:
    """The cookies of ``who`` signed in over HTTP (the language chosen), for a browser
    context's ``add_cookies``: pages whose subject is not the sign-in skip its form."""
    return _for_context(url, client(url, language, who))


def signed_in(page: Any, url: str, email: str, password: str = DEMO_PASSWORD) -> None:
    """``page``'s browser context signed in as ``email`` by the cookies of a sign-in over
    HTTP (where the form is not the subject: a fresh context loads every style sheet and
    script of the two pages the form takes); the page stays where it is."""
    browser = httpx.Client(base_url=url, timeout=60)
    _sign_in(browser, email, password)
    page.context.add_cookies(_for_context(url, browser))


def pages_with_details(
    browser: httpx.Client, paths: list[str], details: dict[str, re.Pattern[str]]
) -> dict[str, str]:
    """Each page's HTML by path: the route pages, then the first detail page of each detail
    route that some page found links to."""
    found: dict[str, str] = {}
    unvisited = dict(details)
    queue = list(paths)
    for path in queue:
        response = browser.get(path)
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        assert response.status_code < 500, (path, response.text[:500])
        found[path] = response.text
        for link in LINK.findall(response.text):
            route = next((r for r, pattern in unvisited.items() if pattern.match(link)), None)
            if route is not None and link not in found and link not in paths:
                del unvisited[route]
                queue.append(link)
    return found
