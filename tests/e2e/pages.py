"""The pages of the live demo: every GET route without path parameters, and the main detail
pages (the first link of each kind that the listing pages show)."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi import routing

from allmende.demo.region import DEMO_PASSWORD
from tests.support.web import csrf_from

#: Not pages: machine formats, files and the endpoints behind forms.
NOT_PAGES = re.compile(r"^/(api|v1\.1|ogcapi|open311|dcat|catalog|static|metrics|health|openapi)")
DETAIL = re.compile(
    r'href="(/(?:assets|reports|maintenance/work-orders|maintenance/reports|participation'
    r"|participation/contributions|participation/surveys|participation/questions"
    r"|participation/drafts|sensors|energy/buildings|water/trees"
    r"|water/zones|water/meters|heat/stations|heat/warnings|m)/\w+"
    r'(?:/(?:drafts|contribute|contributions|cockpit|results|plans|edit|surveys/new))?)"'
)
ACCOUNTS = {
    "staff": "staff@auenstadt.demo.allmende.example",
    "admin": "admin@demo.allmende.example",
    "citizen": "buerger@demo.allmende.example",
}


def route_pages(app: Any) -> list[str]:
    return sorted(
        {
            c.path_format
            for c in routing.iter_route_contexts(app.routes)
            if "GET" in (c.methods or ())
            and "{" not in c.path_format
            and not NOT_PAGES.match(c.path_format)
            and not c.path_format.endswith((".csv", ".json", ".geojson", ".xml", ".txt"))
        }
    )


def client(url: str, language: str, who: str | None = None) -> httpx.Client:
    browser = httpx.Client(base_url=url, cookies={"allmende_lang": language}, timeout=60)
    if who is not None:
        form = browser.get("/login").text
        signed = browser.post(
            "/login",
            data={
                "email": ACCOUNTS[who],
                "password": DEMO_PASSWORD,
                "csrf_token": csrf_from(form),
                "next": "/",
            },
        )
        assert signed.status_code in (200, 303), signed.text[:300]
    return browser


def pages_with_details(browser: httpx.Client, paths: list[str]) -> dict[str, str]:
    """Each page's HTML by path: the route pages, then the first detail page of each kind."""
    found: dict[str, str] = {}
    kinds: set[str] = set()
    queue = list(paths)
    for path in queue:
        response = browser.get(path)
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        assert response.status_code < 500, (path, response.text[:500])
        found[path] = response.text
        for link in DETAIL.findall(response.text):
            kind = re.sub(r"/\d+|/m/\w+", "/N", link)
            if kind not in kinds and link not in found:
                kinds.add(kind)
                queue.append(link)
    return found
