"""Accounts in the browser (without JavaScript): sign up and confirm by the link that arrives
at a real SMTP server, reset and change the password, delete the account, unsubscribe; no
answer tells whether an address has an account."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from allmende.core.settings import Mode, Settings
from allmende.delivery import mail
from allmende.delivery.models import MailPreference
from allmende.identity import service
from allmende.storage.database import Database
from tests.conftest import SECRET
from tests.support.client import TestClient
from tests.support.region import PASSWORD, Region
from tests.support.smtp import SmtpServer, deliver, links_in, path_of, text_of
from tests.support.web import csrf_from, sign_in

pytestmark = pytest.mark.integration


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[SmtpServer]:
    running = SmtpServer(tmp_path).start()
    yield running
    running.stop()


@pytest.fixture
def settings(database_url: str, tmp_path: Path, smtp_server: SmtpServer) -> Settings:
    return Settings(
        mode=Mode.DEV,
        database_url=database_url,
        secret_key=SECRET,
        region_name="Testregion",
        data_dir=tmp_path / "data",
        mqtt_mode="off",
        run_jobs=False,  # the tests deliver the mail themselves (tests.support.smtp.deliver)
        base_url="http://testserver",
        **smtp_server.settings(),
    )


def _post(client: TestClient, page: str, data: dict[str, str], **kwargs: Any) -> Any:
    token = csrf_from(client.get(page).text)
    return client.post(page, data={**data, "csrf_token": token}, **kwargs)


def _link(message: Any, path: str) -> str:
    return next(path_of(link) for link in links_in(message) if path in link)


NEW_PASSWORD = "ein gutes Passwort"


def _sign_up(client: TestClient, email: str, password: str = NEW_PASSWORD) -> Any:
    return _post(
        client,
        "/signup",
        {"display_name": "Nina Neu", "email": email, "password": password, "privacy": "on"},
    )


def test_sign_up_confirm_and_sign_in(client: TestClient, app: Any, smtp_server: SmtpServer) -> None:
    answer = _sign_up(client, "Nina@Example.org")
    assert answer.status_code == 200
    assert "Wir haben eine E-Mail an nina@example.org geschickt" in answer.text
    deliver(app)
    (message,) = smtp_server.wait_for(1)
    assert message["Subject"] == "Bestätigen Sie Ihre E-Mail-Adresse für Testregion"
    assert message["Content-Language"] == "de" and message["List-Unsubscribe"] is None
    assert text_of(message).startswith("Hallo Nina Neu,\n")
    link = _link(message, "/signup/confirm")
    with pytest.raises(AssertionError):  # not yet confirmed: no sign-in
        sign_in(client, "nina@example.org", "ein gutes Passwort")
    page = client.get(link)
    assert page.status_code == 200 and "Meine Adresse bestätigen" in page.text
    confirmed = client.post(
        "/signup/confirm",
        data={"t": link.split("t=", 1)[1], "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert confirmed.headers["location"] == "/login?done=confirmed"
    assert "Ihre E-Mail-Adresse ist bestätigt" in client.get("/login?done=confirmed").text
    sign_in(client, "nina@example.org", "ein gutes Passwort")
    assert "Nina Neu" in client.get("/account").text


def test_sign_up_tells_nobody_whether_the_address_has_an_account(
    client: TestClient, app: Any, region: Region, smtp_server: SmtpServer
) -> None:
    known = _sign_up(client, region.citizen_email)
    unknown = _sign_up(client, "frei@example.org")
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace(region.citizen_email, "X") == unknown.text.replace(
        "frei@example.org", "X"
    )
    deliver(app)
    smtp_server.wait_for(2)
    [to_owner] = smtp_server.to(region.citizen_email)
    assert to_owner["Subject"] == "Ihr Konto bei Testregion"
    assert "/password/forgot" in text_of(to_owner)


def test_sign_up_refusals_are_listed_beside_their_fields(
    client: TestClient, database: Database
) -> None:
    answer = _post(client, "/signup", {"display_name": "", "email": "kein-at", "password": "kurz"})
    assert answer.status_code == 422
    assert 'id="f-email-error">ist keine E-Mail-Adresse</p>' in answer.text
    assert 'aria-invalid="true"' in answer.text and 'href="#f-email"' in answer.text
    weak = _post(
        client,
        "/signup",
        {"display_name": "N", "email": "n@example.org", "password": "kurz", "privacy": "on"},
    )
    assert 'id="f-password-error">muss mindestens 8 Zeichen haben</p>' in weak.text
    with database.session() as session:
        assert all(u.email != "n@example.org" for u in service.list_users(session))


def test_sign_ups_from_one_client_are_limited(client: TestClient) -> None:
    statuses = [_sign_up(client, f"n{i}@example.org").status_code for i in range(6)]
    assert statuses == [200] * 5 + [429]


def test_forgotten_password(
    client: TestClient, app: Any, region: Region, smtp_server: SmtpServer
) -> None:
    sign_in(client, region.citizen_email)
    other_device = dict(client.cookies)
    client.cookies.clear()
    unknown = _post(client, "/password/forgot", {"email": "nobody@example.org"})
    known = _post(client, "/password/forgot", {"email": region.citizen_email})
    assert unknown.text.replace("nobody@example.org", "X") == known.text.replace(
        region.citizen_email, "X"
    )
    deliver(app)
    (message,) = smtp_server.wait_for(1)
    assert str(message["To"]) == region.citizen_email
    assert message["Subject"] == "Neues Passwort für Testregion festlegen"
    link = _link(message, "/password/reset")
    page = client.get(link)
    assert region.citizen_email in page.text
    token = link.split("t=", 1)[1]
    weak = client.post(
        "/password/reset", data={"t": token, "password": "x", "csrf_token": csrf_from(page.text)}
    )
    assert weak.status_code == 422 and "muss mindestens 8 Zeichen haben" in weak.text
    done = client.post(
        "/password/reset",
        data={"t": token, "password": "ganz neues Passwort", "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert done.headers["location"] == "/login?done=password"
    again = client.get(link)
    assert again.status_code == 400 and "nicht mehr gültig" in again.text
    sign_in(client, region.citizen_email, "ganz neues Passwort")
    client.cookies.clear()
    client.cookies.update(other_device)
    assert client.get("/account", follow_redirects=False).status_code == 303  # signed out
    deliver(app)
    changed = smtp_server.wait_for(2)[1]
    assert changed["Subject"] == "Ihr Passwort wurde geändert"


def test_change_password_needs_the_current_one(
    client: TestClient, app: Any, region: Region, smtp_server: SmtpServer
) -> None:
    sign_in(client, region.citizen_email)
    wrong = _post(client, "/account/password", {"current": "falsch", "password": "neues Passwort"})
    assert wrong.status_code == 422 and "ist nicht Ihr bisheriges Passwort" in wrong.text
    done = _post(
        client,
        "/account/password",
        {"current": PASSWORD, "password": "neues Passwort"},
        follow_redirects=False,
    )
    assert done.headers["location"] == "/account?done=password"
    assert client.get("/account").status_code == 200  # this session stays
    client.cookies.clear()
    sign_in(client, region.citizen_email, "neues Passwort")
    deliver(app)
    assert smtp_server.wait_for(1)[0]["Subject"] == "Ihr Passwort wurde geändert"


def test_mail_settings_on_the_account_page(
    client: TestClient, database: Database, region: Region
) -> None:
    sign_in(client, region.staff_a_email)
    page = client.get("/account")
    assert 'name="staff_alerts"' in page.text  # staff may have their notifications mailed
    saved = client.post(
        "/account/mail",
        data={
            "staff_alerts": "on",
            "digest": "on",
            "language": "en",
            "csrf_token": csrf_from(page.text),
        },
        follow_redirects=False,
    )
    assert saved.headers["location"] == "/account?done=mail"
    with database.session() as session:
        wants = mail.preferences(session, address=region.staff_a_email)
        assert (wants.updates, wants.staff_alerts, wants.digest) == (False, True, True)
        assert service.user_by_email(session, email=region.staff_a_email).locale == "en"
    sign_in(client, region.citizen_email)
    assert 'name="staff_alerts"' not in client.get("/account").text


def test_unsubscribe_by_link_and_by_one_click(
    client: TestClient, app: Any, database: Database, region: Region, smtp_server: SmtpServer
) -> None:
    def queue(session: Any) -> None:
        for to in (region.citizen_email, "melder@example.org"):
            mail.send_mail(
                session,
                to=to,
                template="mail/staff_notification",
                kind="assets.report.state",
                context={"subject": "Neuigkeit", "body": "", "link": None, "municipality": None},
            )

    database.write(queue)
    deliver(app)
    by_page, by_client = smtp_server.wait_for(2)
    page = client.get(path_of(by_page["List-Unsubscribe"].strip("<>")))
    assert "Keine Neuigkeiten zu Meldungen, Beiträgen und Verfahren mehr" in page.text
    token = path_of(by_page["List-Unsubscribe"].strip("<>")).split("t=", 1)[1]
    done = client.post("/mail/unsubscribe", data={"t": token, "csrf_token": csrf_from(page.text)})
    assert "erhält keine Neuigkeiten" in done.text
    one_click = TestClient(app).post(  # a mail program, without any cookie (RFC 8058)
        path_of(by_client["List-Unsubscribe"].strip("<>")),
        data={"List-Unsubscribe": "One-Click"},
    )
    assert one_click.status_code == 200
    with database.session() as session:
        off = session.scalars(
            select(MailPreference.address).where(MailPreference.updates.is_(False))
        )
        assert sorted(off) == ["citizen@example.org", "melder@example.org"]
    assert client.get("/mail/unsubscribe?t=forged.token").status_code == 400


def test_delete_the_account(
    client: TestClient, app: Any, database: Database, region: Region, smtp_server: SmtpServer
) -> None:
    sign_in(client, region.citizen_email)
    page = client.get("/account/delete")
    assert "Ihre Meldungen, Beiträge, Kommentare und Umfrageantworten bleiben erhalten" in page.text
    unconfirmed = _post(client, "/account/delete", {"password": PASSWORD})
    assert (
        unconfirmed.status_code == 422
        and "setzen Sie zur Bestätigung das Häkchen" in unconfirmed.text
    )
    wrong = _post(client, "/account/delete", {"password": "falsch", "confirm": "on"})
    assert wrong.status_code == 422
    done = _post(
        client, "/account/delete", {"password": PASSWORD, "confirm": "on"}, follow_redirects=False
    )
    assert done.headers["location"] == "/account/deleted"
    with database.session() as session:
        assert all(u.email != region.citizen_email for u in service.list_users(session))
    assert client.get("/account", follow_redirects=False).status_code == 303
    deliver(app)
    (goodbye,) = smtp_server.wait_for(1)
    assert goodbye["Subject"] == "Ihr Konto ist gelöscht"


def test_the_only_administrator_is_told_why_not(client: TestClient, region: Region) -> None:
    sign_in(client, region.admin_email)
    refused = _post(client, "/account/delete", {"password": PASSWORD, "confirm": "on"})
    assert refused.status_code == 422
    assert "Sie sind die einzige Administration" in refused.text
