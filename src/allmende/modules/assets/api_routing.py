"""The one router of the JSON API (/api/assets) and what its handlers share.

The handlers live in ``api`` (register), ``api_maintenance`` and ``api_citizens``; importing
them adds their routes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from allmende.modules.assets.service import municipality_by_key
from allmende.sdk import ValidationFailed

router = APIRouter(prefix="/api/assets", tags=["assets"])
PROBLEM: dict[str, Any] = {"description": "Problem (RFC 9457)"}
READ_ERRORS: dict[int | str, dict[str, Any]] = {404: PROBLEM}
STAFF_ERRORS: dict[int | str, dict[str, Any]] = {403: PROBLEM}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {403: PROBLEM, 404: PROBLEM, 409: PROBLEM}
UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {**WRITE_ERRORS, 413: PROBLEM, 415: PROBLEM}

MunicipalityQuery = Query(None, max_length=40, description="Key of the municipality")
Limit = Query(100, ge=1, le=1000)
Offset = Query(0, ge=0, le=1_000_000_000)
OptionalId = Query(None, ge=1, le=2**63 - 1)


def municipality_id(session: Session, key: str | None, field: str = "municipality") -> int | None:
    return municipality_by_key(session, key, field=field).id if key else None


def required_municipality_id(session: Session, key: str, field: str = "municipality") -> int:
    """The id of the municipality ``key``; 422 naming ``field`` when it is blank or unknown."""
    if not key.strip():
        raise ValidationFailed.one(field, "is required")
    return municipality_by_key(session, key, field=field).id
