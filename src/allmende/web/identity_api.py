"""The kernel's JSON API: the region's municipalities, the caller, users and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from allmende.core.errors import ValidationFailed
from allmende.core.geo import GEOJSON_MEDIA_TYPE, bbox_of, geometry_to_geojson
from allmende.core.timeutil import utcnow
from allmende.http.auth import Caller
from allmende.http.context import app_context
from allmende.http.params import RowId
from allmende.identity import service
from allmende.identity.models import ApiKey, Municipality, User
from allmende.identity.permissions import Action, require

router = APIRouter(prefix="/api", tags=["region"])
PROBLEM = {"description": "Problem (RFC 9457)", "content": {"application/problem+json": {}}}
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {401: PROBLEM, 403: PROBLEM}


class MunicipalityOut(BaseModel):
    key: str
    name: str
    kind: str
    ags: str | None
    jurisdiction_id: str | None
    website: str | None
    bbox: list[float] | None = Field(description="minLon, minLat, maxLon, maxLat")


class Me(BaseModel):
    kind: str
    role: str
    name: str
    is_admin: bool
    staff_of: list[str]
    scopes: list[str] | None


class UserOut(BaseModel):
    id: int
    email: str
    display_name: str
    is_admin: bool
    is_active: bool
    staff_of: list[str]
    created_at: datetime
    last_login_at: datetime | None


class ApiKeyOut(BaseModel):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    municipality: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    scopes: list[str] = Field(min_length=1)
    municipality: str | None = Field(default=None, description="Key of the municipality")
    expires_at: datetime | None = None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The secret key. It is shown only this once.")


def _municipality_out(m: Municipality) -> MunicipalityOut:
    return MunicipalityOut(
        key=m.key,
        name=m.name,
        kind=m.kind,
        ags=m.ags,
        jurisdiction_id=m.jurisdiction_id,
        website=m.website,
        bbox=list(bbox_of(m.geom)) if m.geom is not None else None,
    )


def _keys_by_id(session: Session) -> dict[int, str]:
    return {row.id: row.key for row in session.execute(select(Municipality.id, Municipality.key))}


@router.get(
    "/municipalities", response_model=list[MunicipalityOut], operation_id="listMunicipalities"
)
def list_municipalities(request: Request) -> list[MunicipalityOut]:
    """The municipalities of the region."""
    with app_context(request).database.session() as session:
        return [_municipality_out(m) for m in service.list_municipalities(session)]


@router.get(
    "/municipalities/{key}",
    response_model=MunicipalityOut,
    operation_id="getMunicipality",
    responses={404: PROBLEM},
)
def get_municipality(request: Request, key: str) -> MunicipalityOut:
    with app_context(request).database.session() as session:
        return _municipality_out(service.municipality_by_key(session, key=key))


@router.get(
    "/region/boundaries",
    operation_id="regionBoundaries",
    responses={
        200: {"content": {GEOJSON_MEDIA_TYPE: {}}, "description": "GeoJSON FeatureCollection"},
        404: PROBLEM,
    },
)
def region_boundaries(
    request: Request, municipality: str | None = Query(default=None, max_length=40)
) -> Response:
    """Boundaries of the municipalities and their districts as GeoJSON."""
    features: list[dict[str, Any]] = []
    with app_context(request).database.session() as session:
        shapes = service.region_shapes(session, municipality_key=municipality)
    for m, districts in shapes:
        if m.geom is not None:
            features.append(
                _feature(m.geom, kind="municipality", name=m.name, key=m.key, url=f"/m/{m.key}")
            )
        for d in districts:
            if d.geom is not None:
                features.append(_feature(d.geom, kind="district", name=d.name, key=m.key))
    body = {"type": "FeatureCollection", "features": features}
    return Response(orjson.dumps(body), media_type=GEOJSON_MEDIA_TYPE)


def _feature(geom: Any, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry_to_geojson(geom), "properties": properties}


@router.get("/me", response_model=Me, operation_id="whoAmI")
def who_am_i(request: Request, principal: Caller) -> Me:
    """Who the API takes the caller for (anonymous without credentials)."""
    with app_context(request).database.session() as session:
        keys = _keys_by_id(session)
    return Me(
        kind=principal.kind,
        role=principal.role.value,
        name=principal.name,
        is_admin=principal.is_admin,
        staff_of=sorted(keys[i] for i in principal.staff_of if i in keys),
        scopes=sorted(principal.scopes) if principal.scopes is not None else None,
    )


@router.get(
    "/users", response_model=list[UserOut], operation_id="listUsers", responses=AUTH_RESPONSES
)
def list_users(request: Request, principal: Caller) -> list[UserOut]:
    """All accounts (administrators only)."""
    require(principal, Action.ADMINISTER)
    with app_context(request).database.session() as session:
        keys = _keys_by_id(session)
        return [_user_out(u, keys) for u in service.list_users(session)]


def _user_out(user: User, keys: dict[int, str]) -> UserOut:
    return UserOut(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        is_admin=user.is_admin,
        is_active=user.is_active,
        staff_of=sorted(keys[m.municipality_id] for m in user.memberships),
        created_at=user.created_at,
        last_login_at=user.last_login_at,
    )


def _key_out(api_key: ApiKey, keys: dict[int, str]) -> dict[str, Any]:
    return {
        "id": api_key.id,
        "name": api_key.name,
        "prefix": api_key.prefix,
        "scopes": list(api_key.scopes),
        "municipality": keys.get(api_key.municipality_id) if api_key.municipality_id else None,
        "created_at": api_key.created_at,
        "expires_at": api_key.expires_at,
        "revoked_at": api_key.revoked_at,
    }


@router.get(
    "/apikeys", response_model=list[ApiKeyOut], operation_id="listApiKeys", responses=AUTH_RESPONSES
)
def list_api_keys(request: Request, principal: Caller) -> list[ApiKeyOut]:
    """API keys, without their secrets (administrators only)."""
    require(principal, Action.ADMINISTER)
    with app_context(request).database.session() as session:
        keys = _keys_by_id(session)
        return [ApiKeyOut(**_key_out(k, keys)) for k in service.list_api_keys(session)]


@router.post(
    "/apikeys",
    response_model=ApiKeyCreated,
    status_code=201,
    operation_id="createApiKey",
    responses={**AUTH_RESPONSES, 404: PROBLEM, 422: PROBLEM},
)
def create_api_key(request: Request, body: ApiKeyCreate, principal: Caller) -> ApiKeyCreated:
    """Create an API key for a machine; the response holds the secret once."""
    require(principal, Action.ADMINISTER)
    context = app_context(request)
    if body.expires_at is not None and body.expires_at.tzinfo is None:
        raise ValidationFailed.one("body.expires_at", "needs a time zone")
    if body.expires_at is not None and body.expires_at <= utcnow():
        raise ValidationFailed.one("body.expires_at", "lies in the past")
    known = frozenset(service.BUILTIN_SCOPES | context.registry.scopes())

    def create(session: Session) -> ApiKeyCreated:
        created = service.create_api_key(
            session,
            name=body.name,
            scopes=body.scopes,
            known_scopes=known,
            municipality_key=body.municipality,
            created_by_id=principal.user_id,
            expires_at=body.expires_at,
        )
        return ApiKeyCreated(key=created.key, **_key_out(created.api_key, _keys_by_id(session)))

    return context.database.write(create)


@router.delete(
    "/apikeys/{key_id}",
    response_model=ApiKeyOut,
    operation_id="revokeApiKey",
    responses={**AUTH_RESPONSES, 404: PROBLEM},
)
def revoke_api_key(request: Request, key_id: RowId, principal: Caller) -> ApiKeyOut:
    """Revoke a key; it stops working at once."""
    require(principal, Action.ADMINISTER)

    def revoke(session: Session) -> ApiKeyOut:
        api_key = service.revoke_api_key(session, key_id=key_id)
        return ApiKeyOut(**_key_out(api_key, _keys_by_id(session)))

    return app_context(request).database.write(revoke)
