"""Sending over real SMTP on loopback: plain, STARTTLS with a login, refusals, a dead server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from allmende.core.settings import Mode, Settings
from allmende.delivery import smtp
from tests.support.smtp import SmtpServer, free_port, text_of

pytestmark = pytest.mark.integration


def _settings(**values: object) -> Settings:
    return Settings(mode=Mode.DEV, region_name="Testregion", **values)  # type: ignore[arg-type]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SmtpServer]:
    running = SmtpServer(tmp_path).start()
    yield running
    running.stop()


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[SmtpServer]:
    running = SmtpServer(tmp_path, tls=True).start()
    yield running
    running.stop()


def _mail(mail_id: int, to: str, unsubscribe: str | None = None) -> smtp.Outgoing:
    return smtp.Outgoing(
        mail_id=mail_id,
        to=to,
        subject="Grüße aus Auenstadt",
        text="Hallo,\n\nÄpfel & Birnen.\n",
        language="de",
        unsubscribe_url=unsubscribe,
    )


def test_a_batch_arrives_with_its_headers(server: SmtpServer) -> None:
    settings = _settings(**server.settings(), base_url="https://daten.example.de")
    unsubscribe = "https://daten.example.de/mail/unsubscribe?t=abc"
    outcomes = smtp.send_batch(
        [_mail(1, "a@example.org", unsubscribe), _mail(2, "b@example.org")], settings
    )
    assert outcomes == [smtp.Outcome(1, True), smtp.Outcome(2, True)]
    first, second = server.wait_for(2)
    assert first["Subject"] == "Grüße aus Auenstadt"
    assert first["From"].addresses[0].addr_spec == "noreply@daten.example.de"
    assert first["From"].addresses[0].display_name == "Testregion"
    assert first["Content-Language"] == "de"
    assert first["Auto-Submitted"] == "auto-generated"
    assert first["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert text_of(first) == "Hallo,\n\nÄpfel & Birnen.\n"
    assert second["List-Unsubscribe"] is None
    assert server.envelopes == [
        ("noreply@daten.example.de", ["a@example.org"]),
        ("noreply@daten.example.de", ["b@example.org"]),
    ]


def test_starttls_with_a_login(tls_server: SmtpServer) -> None:
    settings = _settings(**tls_server.settings(), mail_from="Stadt <post@stadt.example>")
    assert smtp.send_batch([_mail(7, "c@example.org")], settings) == [smtp.Outcome(7, True)]
    (message,) = tls_server.wait_for(1)
    assert str(message["From"]) == "Stadt <post@stadt.example>"


def test_a_certificate_that_is_not_trusted_is_a_temporary_failure(
    tls_server: SmtpServer,
) -> None:
    settings = _settings(**{**tls_server.settings(), "smtp_ca_file": None})
    (outcome,) = smtp.send_batch([_mail(7, "c@example.org")], settings)
    assert (outcome.sent, outcome.permanent) == (False, False)
    assert "CERTIFICATE_VERIFY_FAILED" in (outcome.error or "")


def test_refusals_are_permanent_or_temporary_by_their_code(server: SmtpServer) -> None:
    server.refuse = {
        "gone@example.org": "550 5.1.1 No such user",
        "busy@example.org": "451 4.3.0 Try again later",
    }
    settings = _settings(**server.settings())
    gone, busy, fine = smtp.send_batch(
        [_mail(1, "gone@example.org"), _mail(2, "busy@example.org"), _mail(3, "ok@example.org")],
        settings,
    )
    assert (gone.sent, gone.permanent) == (False, True)
    assert "No such user" in (gone.error or "")
    assert (busy.sent, busy.permanent) == (False, False)
    assert fine.sent
    assert [str(m["To"]) for m in server.wait_for(1)] == ["ok@example.org"]


def test_no_server_is_a_temporary_failure_for_every_mail() -> None:
    settings = _settings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_security="none")
    outcomes = smtp.send_batch([_mail(1, "a@example.org"), _mail(2, "b@example.org")], settings)
    assert [(o.sent, o.permanent) for o in outcomes] == [(False, False), (False, False)]
    assert all("ConnectionRefused" in (o.error or "") for o in outcomes)
