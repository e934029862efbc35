"""Outgoing webhooks: the API, signed deliveries to a real receiver, retries, isolation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import update

from allmende.app import create_app
from allmende.core.registry import Registry
from allmende.core.settings import Mode, Settings
from allmende.core.timeutil import utcnow
from allmende.delivery.dispatch import run_round
from allmende.delivery.events import publish
from allmende.delivery.models import WebhookDelivery
from allmende.storage.database import Database
from tests.support.client import TestClient
from tests.support.region import Region
from tests.support.web import bearer, csrf_from, sign_in

pytestmark = pytest.mark.integration


class Receiver:
    """An HTTP server on a free loopback port that records what it receives.

    ``answers[path]`` is a list of status codes to give in turn (the last one repeats);
    ``/slow`` waits five seconds before answering (or until the receiver closes, so that closing
    does not wait for a sleeping handler).
    """

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.answers: dict[str, list[int]] = {}
        self.closing = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                if self.path == "/slow":
                    receiver.closing.wait(5)
                codes = receiver.answers.get(self.path, [200])
                status = codes.pop(0) if len(codes) > 1 else codes[0]
                receiver.received.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # A short poll: ``shutdown`` waits for the serving loop to look (0.5 s by default).
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def at(self, path: str) -> list[dict[str, Any]]:
        return [r for r in self.received if r["path"] == path]

    def close(self) -> None:
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The Standard Webhooks check, as docs/webhooks.md describes it."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(f"v1,{expected}", part)
        for part in headers["webhook-signature"].split(" ")
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "webhook_allow_private_targets": True,
            # Long enough for a loopback answer on a loaded machine, short for the slow receiver.
            "webhook_timeout_seconds": 1.0,
            "run_jobs": False,  # rounds are run by the tests, at the times they choose
        }
    )


@pytest.fixture
def app(settings: Settings, database: Database, region: Region):  # type: ignore[no-untyped-def]
    return create_app(settings, database=database, registry=Registry([]))


def _staff_a(client: TestClient, region: Region) -> dict[str, str]:
    sign_in(client, region.staff_a_email)
    return {"X-CSRF-Token": csrf_from(client.get("/account").text)}


def _publish(database: Database, name: str, municipality_id: int | None, **payload: Any) -> int:
    return database.write(lambda s: publish(s, name, payload, municipality_id=municipality_id))


def test_signed_deliveries_reach_the_subscriptions_that_match(
    client: TestClient, database: Database, settings: Settings, region: Region, receiver: Receiver
) -> None:
    admin = bearer(region.key_admin)
    regional = client.post(
        "/api/webhooks",
        json={"url": f"{receiver.url}/region", "events": ["heat.warning.*"]},
        headers=admin,
    )
    assert regional.status_code == 201, regional.text
    local = client.post(
        "/api/webhooks",
        json={"url": f"{receiver.url}/a", "events": ["*"], "municipality": "a-stadt"},
        headers=_staff_a(client, region),
    )
    assert local.status_code == 201, local.text
    assert local.json()["secret"].startswith("whsec_")
    warning_a = _publish(database, "heat.warning.started", region.municipality_a, district="Mitte")
    warning_b = _publish(database, "heat.warning.started", region.municipality_b, district="Ost")
    leak_a = _publish(database, "water.leak.found", region.municipality_a, meter=7)

    results = run_round(database, settings)
    assert len(results) == 4 and all(r.ok for r in results)
    regional_ids = sorted(r["headers"]["webhook-id"] for r in receiver.at("/region"))
    local_ids = sorted(r["headers"]["webhook-id"] for r in receiver.at("/a"))
    assert regional_ids == [f"evt_{warning_a}", f"evt_{warning_b}"]
    assert local_ids == sorted([f"evt_{warning_a}", f"evt_{leak_a}"])
    for path, secret in (("/region", regional.json()["secret"]), ("/a", local.json()["secret"])):
        for request in receiver.at(path):
            assert verify(secret, request["headers"], request["body"])
            assert not verify(secret, request["headers"], request["body"] + b" ")
            assert request["headers"]["content-type"] == "application/json"
    body = json.loads(next(r["body"] for r in receiver.at("/a") if b"leak" in r["body"]))
    assert body["type"] == "water.leak.found" and body["data"] == {"meter": 7}
    assert run_round(database, settings) == []  # each event once per subscription
    deliveries = client.get(f"/api/webhooks/{local.json()['id']}/deliveries", headers=admin).json()
    assert [(d["state"], d["attempts"], d["last_status"]) for d in deliveries] == [
        ("delivered", 1, 200)
    ] * 2


def test_a_failing_receiver_is_retried_and_a_slow_one_blocks_nobody(
    client: TestClient, database: Database, settings: Settings, region: Region, receiver: Receiver
) -> None:
    admin = bearer(region.key_admin)
    receiver.answers["/flaky"] = [500, 200]
    hooks = {
        path: client.post(
            "/api/webhooks", json={"url": f"{receiver.url}{path}", "events": ["*"]}, headers=admin
        ).json()["id"]
        for path in ("/flaky", "/slow", "/fast")
    }
    _publish(database, "water.leak.found", region.municipality_a, meter=1)

    first = {r.delivery_id: r for r in run_round(database, settings)}
    assert len(first) == 3
    state = {
        path: client.get(f"/api/webhooks/{hook}/deliveries", headers=admin).json()[0]
        for path, hook in hooks.items()
    }
    assert state["/fast"]["state"] == "delivered"
    assert (state["/flaky"]["state"], state["/flaky"]["last_status"]) == ("pending", 500)
    assert state["/flaky"]["last_error"] == "HTTP 500"
    assert state["/slow"]["state"] == "pending" and "Timeout" in state["/slow"]["last_error"]

    assert run_round(database, settings) == []  # not due before the backoff
    later = run_round(database, settings, now=utcnow() + timedelta(seconds=11))
    assert {r.status for r in later if r.ok} == {200}
    flaky = client.get(f"/api/webhooks/{hooks['/flaky']}/deliveries", headers=admin).json()[0]
    assert (flaky["state"], flaky["attempts"]) == ("delivered", 2)

    old = utcnow() - timedelta(days=2)  # the slow receiver's delivery is past its max age
    database.write(lambda s: s.execute(update(WebhookDelivery).values(created_at=old)))
    run_round(database, settings, now=utcnow() + timedelta(hours=2))
    slow = client.get(f"/api/webhooks/{hooks['/slow']}/deliveries", headers=admin).json()[0]
    assert slow["state"] == "failed" and slow["attempts"] == 3


def test_subscriptions_are_isolated_per_municipality(
    client: TestClient, database: Database, region: Region, receiver: Receiver
) -> None:
    admin = bearer(region.key_admin)
    made = client.post(
        "/api/webhooks",
        json={"url": f"{receiver.url}/a", "events": ["*"], "municipality": "a-stadt"},
        headers=admin,
    ).json()
    client.post("/api/webhooks", json={"url": f"{receiver.url}/r", "events": ["*"]}, headers=admin)
    assert len(client.get("/api/webhooks", headers=admin).json()) == 2

    anonymous = TestClient(client.app)
    assert anonymous.get("/api/webhooks").status_code == 401
    sign_in(client, region.staff_b_email)
    csrf = {"X-CSRF-Token": csrf_from(client.get("/account").text)}
    assert client.get("/api/webhooks").json() == []
    assert client.get(f"/api/webhooks/{made['id']}").status_code == 404
    assert (
        client.patch(
            f"/api/webhooks/{made['id']}", json={"active": False}, headers=csrf
        ).status_code
        == 404
    )
    assert client.delete(f"/api/webhooks/{made['id']}", headers=csrf).status_code == 404
    assert client.get(f"/api/webhooks/{made['id']}/deliveries").status_code == 404
    for body in (
        {"url": f"{receiver.url}/x", "events": ["*"]},
        {"url": f"{receiver.url}/x", "events": ["*"], "municipality": "a-stadt"},
    ):
        assert client.post("/api/webhooks", json=body, headers=csrf).status_code == 403
    client.post("/logout", headers=csrf)
    sign_in(client, region.citizen_email)
    assert client.get("/api/webhooks").status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.org/x", "events": ["*"]}, "body.url"),
        ({"url": "http://user:pw@example.org/x", "events": ["*"]}, "body.url"),
        ({"url": "http://127.0.0.1:1/x", "events": ["Heat Warning"]}, "body.events[0]"),
        ({"url": "http://127.0.0.1:1/x", "events": []}, "body.events"),
        ({"url": "http://127.0.0.1:1/x"}, "body.events"),
        ({"url": "http://127.0.0.1:1/x", "events": ["*"], "secret": "x"}, "body.secret"),
    ],
)
def test_bad_input_names_the_field(
    client: TestClient, region: Region, body: dict[str, Any], field: str
) -> None:
    answer = client.post("/api/webhooks", json=body, headers=bearer(region.key_admin))
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == [field]
    assert client.get("/api/webhooks", headers=bearer(region.key_admin)).json() == []


def test_production_refuses_private_targets_by_default(
    settings: Settings, database: Database, region: Region
) -> None:
    production = settings.model_copy(
        update={
            "mode": Mode.PRODUCTION,
            "webhook_allow_private_targets": None,
            "base_url": "https://testserver",
        }
    )
    app = create_app(production, database=database, registry=Registry([]))
    with TestClient(app, base_url="https://testserver") as client:
        for url in ("http://127.0.0.1:8080/hook", "http://10.1.2.3/hook", "http://[::1]/hook"):
            answer = client.post(
                "/api/webhooks",
                json={"url": url, "events": ["*"]},
                headers=bearer(region.key_admin),
            )
            assert answer.status_code == 422
            assert answer.json()["errors"][0] == {
                "field": "body.url",
                "reason": "points to a loopback, private or reserved address",
            }
    assert client.get("/api/webhooks", headers=bearer(region.key_admin)).json() == []


def test_the_job_delivers_promptly_after_an_event(
    settings: Settings, database: Database, region: Region, receiver: Receiver
) -> None:
    app = create_app(
        settings.model_copy(update={"run_jobs": True}), database=database, registry=Registry([])
    )
    with TestClient(app) as client:
        client.post(
            "/api/webhooks",
            json={"url": f"{receiver.url}/now", "events": ["heat.*"]},
            headers=bearer(region.key_admin),
        )
        _publish(database, "heat.warning.started", region.municipality_a)
        deadline = time.monotonic() + 15
        while not receiver.at("/now") and time.monotonic() < deadline:
            time.sleep(0.05)
    assert len(receiver.at("/now")) == 1
