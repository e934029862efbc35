"""Staff notifications: each municipality's staff see theirs, admins all; marking read."""

from __future__ import annotations

import pytest

from allmende.core.errors import N_
from allmende.core.messages import Message
from allmende.delivery.notifications import notify_staff
from allmende.sensing.actuation import UNANSWERED
from allmende.storage.database import Database
from tests.support.client import TestClient
from tests.support.region import Region
from tests.support.web import bearer, csrf_from, sign_in

pytestmark = pytest.mark.integration


def _notify(database: Database, region: Region) -> dict[str, int]:
    def make(session):  # type: ignore[no-untyped-def]
        return {
            subject: notify_staff(
                session,
                municipality_id=m,
                kind="sensing.task.failed",
                subject=subject,
                body="Keine Rückmeldung nach 4 Versuchen.",
                link="/sensors",
            )
            for m, subject in (
                (region.municipality_a, "Ventil Markt"),
                (region.municipality_b, "Ventil Dorfplatz"),
                (None, "Region"),
            )
        }

    return database.write(make)


def test_staff_see_their_municipality_and_mark_read_on_the_page(
    client: TestClient, database: Database, region: Region
) -> None:
    ids = _notify(database, region)
    assert client.get("/api/notifications").status_code == 401
    sign_in(client, region.citizen_email)
    assert client.get("/api/notifications").status_code == 403
    assert "/notifications" not in client.get("/").text
    client.cookies.clear()

    sign_in(client, region.staff_a_email)
    page = client.get("/notifications")
    assert page.status_code == 200
    assert "Ventil Markt" in page.text and "Ventil Dorfplatz" not in page.text
    assert 'href="/notifications"' in page.text  # the navigation entry
    assert [n["subject"] for n in client.get("/api/notifications").json()] == ["Ventil Markt"]
    answer = client.post(
        "/notifications/read",
        data={"csrf_token": csrf_from(page.text), "id": str(ids["Ventil Markt"])},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert client.get("/api/notifications?unread=true").json() == []
    csrf = {"X-CSRF-Token": csrf_from(page.text)}
    other = client.post(
        "/api/notifications/read", json={"ids": [ids["Ventil Dorfplatz"]]}, headers=csrf
    )
    assert other.status_code == 404
    bad = client.post("/api/notifications/read", json={"ids": ["x"]}, headers=csrf)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body.ids.0"

    admin = client.get("/api/notifications?unread=true", headers=bearer(region.key_admin)).json()
    assert sorted(n["subject"] for n in admin) == ["Region", "Ventil Dorfplatz"]
    assert {n["municipality"] for n in admin} == {None, "b-dorf"}


def test_a_german_page(client: TestClient, database: Database, region: Region) -> None:
    _notify(database, region)
    sign_in(client, region.admin_email)
    client.cookies.set("allmende_lang", "de")
    page = client.get("/notifications")
    assert "Benachrichtigungen" in page.text and "Als gelesen markieren" in page.text


def test_a_message_reads_in_each_readers_language(
    client: TestClient, database: Database, region: Region
) -> None:
    """What the product writes is stored as a message and shown in the reader's language; the
    API answers in English, the source language."""
    database.write(
        lambda s: notify_staff(
            s,
            municipality_id=region.municipality_a,
            kind="sensing.task.failed",
            subject=Message(N_("Task %(task)s to “%(device)s” failed"), task=7, device="Ventil"),
            body=Message(
                N_("%(error)s. Reason of the Task: %(reason)s."),
                error=UNANSWERED,
                reason="Gießen",
            ),
        )
    )
    sign_in(client, region.staff_a_email)
    client.cookies.set("allmende_lang", "de")
    german = client.get("/notifications").text
    assert "Auftrag 7 an „Ventil“ fehlgeschlagen" in german
    assert "keine Bestätigung vom Gerät. Grund des Auftrags: Gießen" in german
    client.cookies.set("allmende_lang", "en")
    assert "Task 7 to “Ventil” failed" in client.get("/notifications").text
    [stored] = client.get("/api/notifications").json()
    assert stored["subject"] == "Task 7 to “Ventil” failed"
    assert stored["body"].startswith("no acknowledgement from the device. Reason of the Task")
