"""Webhook subscriptions and the Standard Webhooks signature.

A subscription names a URL, event-name patterns (``heat.warning.*``) and a municipality (or
none: region-wide). Each message is signed as the Standard Webhooks convention says
(https://www.standardwebhooks.com): the headers ``webhook-id``, ``webhook-timestamp`` (Unix
seconds) and ``webhook-signature: v1,<base64 HMAC-SHA256>`` over ``"{id}.{timestamp}.{body}"``
with the key that the secret ``whsec_<base64>`` encodes.

URLs must be http(s). Unless ``webhook_allow_private_targets`` allows it (dev and demo do by
default), a URL whose host is or resolves to a loopback, private, link-local or otherwise
reserved address is refused, when it is saved and again before each delivery (the name may
resolve elsewhere later), so a subscription cannot be used to reach into the server's own
network.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
import socket
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.core.errors import NotFound, ValidationFailed
from allmende.core.timeutil import utcnow
from allmende.delivery.events import EVENT_PATTERN
from allmende.delivery.models import StoredEventRow, WebhookDelivery, WebhookSubscription

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
MAX_URL = 2000
MAX_PATTERNS = 50
STATES = ("pending", "delivered", "failed")


@dataclass(frozen=True)
class Subscription:
    id: int
    municipality_id: int | None
    url: str
    description: str
    events: list[str]
    active: bool
    created: datetime


@dataclass(frozen=True)
class Delivery:
    """One event for one subscription, with how its delivery went."""

    id: int
    subscription_id: int
    event_id: int
    event_name: str
    state: str
    attempts: int
    created: datetime
    next_attempt: datetime | None
    last_attempt: datetime | None
    last_status: int | None
    last_error: str | None
    delivered: datetime | None


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for one message."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def refusal(url: str, *, allow_private: bool) -> str | None:
    """Why ``url`` may not receive webhooks, or None. Resolves the host unless private
    targets are allowed."""
    if len(url) > MAX_URL:
        return f"must be at most {MAX_URL} characters"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "is not a URL"
    if parts.scheme not in ("http", "https"):
        return "must be an http or https URL"
    if not parts.hostname:
        return "needs a host"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password (the signature authenticates)"
    if allow_private:
        return None
    try:
        found = socket.getaddrinfo(parts.hostname, port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return f"names a host that cannot be resolved ({parts.hostname})"
    if any(_private(str(info[4][0])) for info in found):
        return "points to a loopback, private or reserved address"
    return None


def check_url(url: str, *, allow_private: bool) -> str:
    """``url`` if it may receive webhooks, else ValidationFailed naming ``body.url``.

    With ``allow_private`` False this resolves the host: call it before the write
    transaction, not inside it (a slow name server must not hold the database)."""
    why = refusal(url, allow_private=allow_private)
    if why is not None:
        raise ValidationFailed.one("body.url", why)
    return url


def _check_events(events: Sequence[str]) -> list[str]:
    if not events or len(events) > MAX_PATTERNS:
        raise ValidationFailed.one("body.events", f"needs 1 to {MAX_PATTERNS} patterns")
    for index, pattern in enumerate(events):
        if not isinstance(pattern, str) or not EVENT_PATTERN.match(pattern):
            raise ValidationFailed.one(
                f"body.events[{index}]", "must be an event name, a prefix ending in .*, or *"
            )
    return sorted(set(events))


def _view(row: WebhookSubscription) -> Subscription:
    return Subscription(
        id=row.id,
        municipality_id=row.municipality_id,
        url=row.url,
        description=row.description,
        events=list(row.events or []),
        active=row.active,
        created=row.created_at,
    )


def create_subscription(
    session: Session,
    *,
    municipality_id: int | None,
    url: str,
    events: Sequence[str],
    description: str = "",
    active: bool = True,
    created_by_id: int | None = None,
) -> tuple[Subscription, str]:
    """A new subscription and its secret (show it to the caller once; it is not shown again).

    Only the form of ``url`` is checked here; the caller checks where it points first
    (:func:`check_url`), and every delivery checks again."""
    row = WebhookSubscription(
        municipality_id=municipality_id,
        url=check_url(url, allow_private=True),
        description=description,
        events=_check_events(events),
        secret=new_secret(),
        active=active,
        created_at=utcnow(),
        created_by_id=created_by_id,
    )
    session.add(row)
    session.flush()
    return _view(row), row.secret


def _get(session: Session, subscription_id: int) -> WebhookSubscription:
    row = session.get(WebhookSubscription, subscription_id)
    if row is None:
        raise NotFound(detail=f"No webhook with id {subscription_id}.")
    return row


def get_subscription(session: Session, *, subscription_id: int) -> Subscription:
    return _view(_get(session, subscription_id))


def update_subscription(
    session: Session,
    *,
    subscription_id: int,
    changes: dict[str, Any],
) -> Subscription:
    """Change ``url`` (checked as in :func:`create_subscription`), ``events``,
    ``description`` or ``active``."""
    row = _get(session, subscription_id)
    if "url" in changes:
        row.url = check_url(changes["url"], allow_private=True)
    if "events" in changes:
        row.events = _check_events(changes["events"])
    if "description" in changes:
        row.description = changes["description"]
    if "active" in changes:
        row.active = bool(changes["active"])
    session.flush()
    return _view(row)


def delete_subscription(session: Session, *, subscription_id: int) -> None:
    session.delete(_get(session, subscription_id))
    session.flush()


def list_subscriptions(
    session: Session, *, municipality_ids: Collection[int] | None, region_wide: bool
) -> list[Subscription]:
    """Subscriptions of the municipalities (``None``: all) and, if asked, the region-wide."""
    rows = session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id))
    return [
        _view(r)
        for r in rows
        if (r.municipality_id is None and region_wide)
        or (
            r.municipality_id is not None
            and (municipality_ids is None or r.municipality_id in municipality_ids)
        )
    ]


def list_deliveries(
    session: Session,
    *,
    subscription_id: int,
    states: Collection[str] | None = None,
    limit: int = 100,
) -> list[Delivery]:
    """The newest deliveries of one subscription."""
    query = (
        select(WebhookDelivery, StoredEventRow.name)
        .join(StoredEventRow, StoredEventRow.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.subscription_id == subscription_id)
    )
    if states is not None:
        query = query.where(WebhookDelivery.state.in_(sorted(states)))
    rows = session.execute(
        query.order_by(WebhookDelivery.id.desc()).limit(max(0, min(limit, 1000)))
    ).all()
    return [
        Delivery(
            id=d.id,
            subscription_id=d.subscription_id,
            event_id=d.event_id,
            event_name=name,
            state=d.state,
            attempts=d.attempts,
            created=d.created_at,
            next_attempt=d.next_attempt_at if d.state == "pending" else None,
            last_attempt=d.last_attempt_at,
            last_status=d.last_status,
            last_error=d.last_error,
            delivered=d.delivered_at,
        )
        for d, name in rows
    ]
