"""JSON API of the outgoing webhooks: ``/api/webhooks``.

Region-wide subscriptions are for administrators; a municipality's subscriptions for its staff
(and API keys of that municipality with the scope ``webhooks``). A subscription the caller may
not manage answers 404, as if it did not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request

from allmende.core.errors import NotFound, ValidationFailed
from allmende.delivery import webhooks
from allmende.delivery.dispatch import allow_private_targets
from allmende.http.auth import Caller
from allmende.http.context import app_context
from allmende.http.params import RowId
from allmende.identity import service as identity
from allmende.identity.models import Municipality
from allmende.identity.permissions import Action, can, require
from allmende.identity.principal import Principal

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])
SCOPE = "webhooks"
PROBLEM = {"description": "Problem (RFC 9457)", "content": {"application/problem+json": {}}}
RESPONSES: dict[int | str, dict[str, Any]] = {401: PROBLEM, 403: PROBLEM}


class WebhookOut(BaseModel):
    id: int
    municipality: str | None = Field(description="Key of the municipality; null: region-wide")
    url: str
    description: str
    events: list[str]
    active: bool
    created_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(
        description="Signs the messages (Standard Webhooks, whsec_…). It is shown only this once."
    )


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=webhooks.MAX_URL)
    events: list[str] = Field(
        min_length=1,
        max_length=webhooks.MAX_PATTERNS,
        description="Event names, prefixes ending in .* (heat.warning.*), or * for all",
    )
    municipality: str | None = Field(
        default=None, description="Key of the municipality; null: region-wide (admins only)"
    )
    description: str = Field(default="", max_length=1000)
    active: bool = True


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, min_length=1, max_length=webhooks.MAX_URL)
    events: list[str] | None = Field(default=None, min_length=1, max_length=webhooks.MAX_PATTERNS)
    description: str | None = Field(default=None, max_length=1000)
    active: bool | None = None


class DeliveryOut(BaseModel):
    id: int
    event_id: int
    event: str
    state: Literal["pending", "delivered", "failed"]
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None


def _keys(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Municipality.id, Municipality.key)).all())


def _out(item: webhooks.Subscription, keys: dict[int, str]) -> dict[str, Any]:
    return {
        "id": item.id,
        "municipality": keys.get(item.municipality_id) if item.municipality_id else None,
        "url": item.url,
        "description": item.description,
        "events": item.events,
        "active": item.active,
        "created_at": item.created,
    }


def _require(principal: Principal, municipality_id: int | None) -> None:
    if municipality_id is None:
        require(principal, Action.ADMINISTER)
    else:
        require(principal, Action.EDIT, municipality_id=municipality_id, scope=SCOPE)


def _may(principal: Principal, municipality_id: int | None) -> bool:
    if municipality_id is None:
        return can(principal, Action.ADMINISTER)
    return can(principal, Action.EDIT, municipality_id=municipality_id, scope=SCOPE)


def _managed(session: Session, principal: Principal, webhook_id: int) -> webhooks.Subscription:
    item = webhooks.get_subscription(session, subscription_id=webhook_id)
    if not _may(principal, item.municipality_id):
        raise NotFound(detail=f"No webhook with id {webhook_id}.")
    return item


def _caller_must_manage_some(principal: Principal, keys: dict[int, str]) -> None:
    if not any(_may(principal, m) for m in [None, *keys]):
        require(principal, Action.ADMINISTER)  # raises 401 or 403 as it should


@router.get("", response_model=list[WebhookOut], operation_id="listWebhooks", responses=RESPONSES)
def list_webhooks(request: Request, principal: Caller) -> list[WebhookOut]:
    """The subscriptions the caller manages."""
    with app_context(request).database.session() as session:
        keys = _keys(session)
        _caller_must_manage_some(principal, keys)
        items = webhooks.list_subscriptions(session, municipality_ids=None, region_wide=True)
        return [WebhookOut(**_out(i, keys)) for i in items if _may(principal, i.municipality_id)]


@router.post(
    "",
    response_model=WebhookCreated,
    status_code=201,
    operation_id="createWebhook",
    responses={**RESPONSES, 404: PROBLEM, 422: PROBLEM},
)
def create_webhook(request: Request, body: WebhookCreate, principal: Caller) -> WebhookCreated:
    """Subscribe a URL to events; the answer holds the signing secret once."""
    context = app_context(request)
    municipality_id = None
    if body.municipality is not None:
        with context.database.session() as session:
            municipality_id = identity.municipality_by_key(session, key=body.municipality).id
    _require(principal, municipality_id)
    webhooks.check_url(body.url, allow_private=allow_private_targets(context.settings))

    def create(session: Session) -> WebhookCreated:
        item, secret = webhooks.create_subscription(
            session,
            municipality_id=municipality_id,
            url=body.url,
            events=body.events,
            description=body.description,
            active=body.active,
            created_by_id=principal.user_id,
        )
        return WebhookCreated(secret=secret, **_out(item, _keys(session)))

    return context.database.write(create)


@router.get(
    "/{webhook_id}",
    response_model=WebhookOut,
    operation_id="getWebhook",
    responses={**RESPONSES, 404: PROBLEM},
)
def get_webhook(request: Request, webhook_id: RowId, principal: Caller) -> WebhookOut:
    with app_context(request).database.session() as session:
        keys = _keys(session)
        _caller_must_manage_some(principal, keys)
        return WebhookOut(**_out(_managed(session, principal, webhook_id), keys))


@router.patch(
    "/{webhook_id}",
    response_model=WebhookOut,
    operation_id="updateWebhook",
    responses={**RESPONSES, 404: PROBLEM, 422: PROBLEM},
)
def update_webhook(
    request: Request, webhook_id: RowId, body: WebhookUpdate, principal: Caller
) -> WebhookOut:
    """Change the URL, the events, the description, or switch it off and on."""
    context = app_context(request)
    changes = body.model_dump(exclude_unset=True)
    for name in ("url", "events", "active", "description"):
        if name in changes and changes[name] is None:
            raise ValidationFailed.one(f"body.{name}", "must not be null")
    if "url" in changes:
        webhooks.check_url(changes["url"], allow_private=allow_private_targets(context.settings))

    def update(session: Session) -> WebhookOut:
        keys = _keys(session)
        _caller_must_manage_some(principal, keys)
        _managed(session, principal, webhook_id)
        item = webhooks.update_subscription(session, subscription_id=webhook_id, changes=changes)
        return WebhookOut(**_out(item, keys))

    return context.database.write(update)


@router.delete(
    "/{webhook_id}",
    status_code=204,
    operation_id="deleteWebhook",
    responses={**RESPONSES, 404: PROBLEM},
)
def delete_webhook(request: Request, webhook_id: RowId, principal: Caller) -> Response:
    """Delete a subscription with its deliveries."""

    def delete(session: Session) -> None:
        _caller_must_manage_some(principal, _keys(session))
        _managed(session, principal, webhook_id)
        webhooks.delete_subscription(session, subscription_id=webhook_id)

    app_context(request).database.write(delete)
    return Response(status_code=204)


@router.get(
    "/{webhook_id}/deliveries",
    response_model=list[DeliveryOut],
    operation_id="listWebhookDeliveries",
    responses={**RESPONSES, 404: PROBLEM},
)
def list_webhook_deliveries(
    request: Request,
    webhook_id: RowId,
    principal: Caller,
    state: Literal["pending", "delivered", "failed"] | None = Query(default=None),
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[DeliveryOut]:
    """The newest deliveries: state, attempts, the last answer's status and error."""
    with app_context(request).database.session() as session:
        _caller_must_manage_some(principal, _keys(session))
        _managed(session, principal, webhook_id)
        found = webhooks.list_deliveries(
            session,
            subscription_id=webhook_id,
            states=None if state is None else [state],
            limit=limit,
        )
    return [
        DeliveryOut(
            id=d.id,
            event_id=d.event_id,
            event=d.event_name,
            state=d.state,
            attempts=d.attempts,
            created_at=d.created,
            next_attempt_at=d.next_attempt,
            last_attempt_at=d.last_attempt,
            last_status=d.last_status,
            last_error=d.last_error,
            delivered_at=d.delivered,
        )
        for d in found
    ]
