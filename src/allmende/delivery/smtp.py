"""Sending rendered mails to the SMTP server: one connection per batch, each outcome recorded.

A refusal with a 5xx code is permanent (the address does not exist, the content is refused);
everything else — a 4xx code, a refused or dropped connection, a timeout, a TLS failure — is
temporary, and the mail job tries again later.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from typing import Any
from urllib.parse import urlsplit

from allmende.core.timeutil import utcnow

MAX_ERROR = 500


@dataclass(frozen=True)
class Outgoing:
    """A rendered mail, ready to send."""

    mail_id: int
    to: str
    subject: str
    text: str
    language: str
    unsubscribe_url: str | None = None


@dataclass(frozen=True)
class Outcome:
    mail_id: int
    sent: bool
    permanent: bool = False
    error: str | None = None


def sender(settings: Any) -> str:
    """The From header: ``mail_from``, or the region's name with noreply@ the public host."""
    if settings.mail_from:
        return str(settings.mail_from)
    host = urlsplit(settings.base_url).hostname if settings.base_url else None
    return formataddr((settings.region_name, f"noreply@{host or 'localhost'}"))


def build(outgoing: Outgoing, *, from_header: str) -> EmailMessage:
    message = EmailMessage()
    message.set_content(outgoing.text)  # first: it replaces every Content-* header
    message["From"] = from_header
    message["To"] = Address(addr_spec=outgoing.to)
    message["Subject"] = outgoing.subject
    message["Date"] = format_datetime(utcnow())
    domain = parseaddr(from_header)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(idstring=f"mail{outgoing.mail_id}", domain=domain)
    message["Content-Language"] = outgoing.language
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    if outgoing.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{outgoing.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    return message


def _connect(settings: Any) -> smtplib.SMTP:
    timeout = settings.smtp_timeout_seconds
    context = ssl.create_default_context(
        cafile=str(settings.smtp_ca_file) if settings.smtp_ca_file else None
    )
    connection: smtplib.SMTP
    if settings.smtp_security == "tls":
        connection = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=timeout, context=context
        )
    else:
        connection = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        if settings.smtp_security == "starttls":
            connection.starttls(context=context)
    if settings.smtp_username:
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
        connection.login(settings.smtp_username, password)
    return connection


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:MAX_ERROR]


def _refused(outgoing: Outgoing, exc: smtplib.SMTPException) -> Outcome:
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [c for c, _ in exc.recipients.values()]
        code = min(codes) if codes else None
    permanent = (
        isinstance(code, int)
        and 500 <= code < 600
        and not isinstance(exc, smtplib.SMTPSenderRefused)  # our configuration, not the mail
    )
    return Outcome(outgoing.mail_id, False, permanent, _error(exc))


def send_batch(messages: list[Outgoing], settings: Any) -> list[Outcome]:
    """Send ``messages`` over one connection; never raises."""
    if not messages:
        return []
    from_header = sender(settings)
    envelope_from = parseaddr(from_header)[1]
    try:
        connection = _connect(settings)
    except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
        return [Outcome(m.mail_id, False, False, _error(exc)) for m in messages]
    outcomes: list[Outcome] = []
    try:
        for index, outgoing in enumerate(messages):
            try:
                connection.send_message(
                    build(outgoing, from_header=from_header),
                    from_addr=envelope_from,
                    to_addrs=[outgoing.to],
                )
                outcomes.append(Outcome(outgoing.mail_id, True))
            except smtplib.SMTPServerDisconnected as exc:
                outcomes.extend(
                    Outcome(m.mail_id, False, False, _error(exc)) for m in messages[index:]
                )
                return outcomes
            except smtplib.SMTPException as exc:
                outcomes.append(_refused(outgoing, exc))
            except (OSError, ValueError) as exc:
                outcomes.append(Outcome(outgoing.mail_id, False, False, _error(exc)))
    finally:
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            connection.close()
    return outcomes
