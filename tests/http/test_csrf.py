"""The CSRF seed cookie: set by a page that prints a form's token, by no other page."""

from __future__ import annotations

import pytest

from allmende.http.csrf import SEED_COOKIE
from tests.support.client import TestClient
from tests.support.web import csrf_from

pytestmark = pytest.mark.integration


def test_an_anonymous_page_without_a_form_sets_no_cookie(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "set-cookie" not in response.headers
    assert 'name="csrf_token"' not in response.text


def test_a_page_with_a_form_sets_the_seed_its_token_belongs_to(client: TestClient) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    assert response.cookies.get(SEED_COOKIE)
    token = csrf_from(response.text)
    again = client.get("/login")  # the seed is kept: the same token, no new cookie
    assert SEED_COOKIE not in again.cookies
    assert csrf_from(again.text) == token
