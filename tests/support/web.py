"""Helpers for driving the web shell with a test client like a browser would."""

from __future__ import annotations

import re

from tests.support.client import TestClient
from tests.support.region import PASSWORD

CSRF_FIELD = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def csrf_from(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "email": email,
            "password": password,
            "csrf_token": csrf_from(page.text),
            "next": "/",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert "allmende_session" in client.cookies


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
