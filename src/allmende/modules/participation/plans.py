"""What is planned: drafts (compared side by side, rated), plan layers and documents."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from allmende.modules.participation.models import Document, Draft, DraftRating, PlanLayer
from allmende.modules.participation.schemas import (
    DocumentRead,
    DraftIn,
    DraftRead,
    LayerIn,
    LayerRead,
)
from allmende.modules.participation.service import (
    N_,
    Act,
    Participant,
    check_action,
    check_participant,
    get_process,
    refuse,
    require_moderator,
)
from allmende.sdk import (
    FieldError,
    Message,
    NotFound,
    Principal,
    ValidationFailed,
    geometry_from_geojson,
    geometry_to_geojson,
    uploads,
)

MAX_LAYER_FEATURES = 5000
MAX_PROPERTIES = 20


def _moderated(session: Session, principal: Principal, process_id: int) -> None:
    require_moderator(principal, get_process(session, principal=principal, process_id=process_id))


# --- drafts -----------------------------------------------------------------------------------


# A process's page reads its drafts, layers and documents: statements built once (building
# and keying one costs about as much as running it), the process bound at each run.
_RATINGS = (
    select(
        DraftRating.draft_id,
        func.count(DraftRating.id).label("n"),
        func.avg(DraftRating.stars).label("avg"),
    )
    .join(Draft, Draft.id == DraftRating.draft_id)
    .where(Draft.process_id == bindparam("process"))
    .group_by(DraftRating.draft_id)
)
_DRAFTS = (
    select(Draft).where(Draft.process_id == bindparam("process")).order_by(Draft.position, Draft.id)
)
_LAYERS = (
    select(PlanLayer)
    .where(PlanLayer.process_id == bindparam("process"))
    .order_by(PlanLayer.position, PlanLayer.id)
)
_DOCUMENTS = (
    select(Document).where(Document.process_id == bindparam("process")).order_by(Document.id)
)


def list_drafts(session: Session, *, process_id: int) -> list[DraftRead]:
    ratings = {
        row.draft_id: (int(row.n), float(row.avg))
        for row in session.execute(_RATINGS, {"process": process_id})
    }
    drafts = session.scalars(_DRAFTS, {"process": process_id})
    return [_draft_read(d, *ratings.get(d.id, (0, None))) for d in drafts]


def _draft_read(draft: Draft, count: int, average: float | None) -> DraftRead:
    return DraftRead(
        id=draft.id,
        title=draft.title,
        summary=draft.summary,
        facts=dict(draft.facts),
        position=draft.position,
        rating_count=count,
        rating_average=round(average, 2) if average is not None else None,
    )


def create_draft(
    session: Session, *, principal: Principal, process_id: int, data: DraftIn
) -> DraftRead:
    _moderated(session, principal, process_id)
    draft = Draft(
        process_id=process_id,
        title=data.title,
        summary=data.summary,
        facts=dict(data.facts),
        position=data.position,
    )
    session.add(draft)
    session.flush()
    return _draft_read(draft, 0, None)


def _draft(session: Session, draft_id: int) -> Draft:
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise NotFound(detail=f"No draft {draft_id}.")
    return draft


def process_of_draft(session: Session, *, draft_id: int) -> int:
    return _draft(session, draft_id).process_id


def delete_draft(session: Session, *, principal: Principal, draft_id: int) -> None:
    draft = _draft(session, draft_id)
    _moderated(session, principal, draft.process_id)
    session.delete(draft)


def rate_draft(
    session: Session,
    *,
    participant: Participant,
    draft_id: int,
    stars: int,
) -> DraftRead:
    """Give (or change) one's rating of a draft while the phase allows rating."""
    draft = _draft(session, draft_id)
    process = get_process(session, principal=participant.principal, process_id=draft.process_id)
    check_participant(participant, process)
    check_action(process, Act.RATE)
    if participant.user_id is not None:
        mine = DraftRating.user_id == participant.user_id
    elif participant.voter_key is not None:
        mine = DraftRating.voter_key == participant.voter_key
    else:
        raise refuse(ValidationFailed, "voter", "an API key cannot rate drafts")
    rating = session.scalar(select(DraftRating).where(DraftRating.draft_id == draft.id, mine))
    if rating is None:
        rating = DraftRating(
            draft_id=draft.id,
            user_id=participant.user_id,
            voter_key=None if participant.user_id is not None else participant.voter_key,
            stars=stars,
        )
        session.add(rating)
    else:
        rating.stars = stars
    try:
        session.flush()
    except IntegrityError:  # the same person rated at the same moment twice
        raise refuse(ValidationFailed, "stars", "was already given") from None
    return _with_ratings(session, draft)


def _with_ratings(session: Session, draft: Draft) -> DraftRead:
    count, average = session.execute(
        select(func.count(DraftRating.id), func.avg(DraftRating.stars)).where(
            DraftRating.draft_id == draft.id
        )
    ).one()
    return _draft_read(draft, int(count), float(average) if average is not None else None)


# --- documents --------------------------------------------------------------------------------


def document_path(document_id: int) -> str:
    return f"/participation/documents/{document_id}/file"


def _document_read(doc: Document) -> DocumentRead:
    return DocumentRead(
        id=doc.id,
        title=doc.title,
        media_type=doc.media_type,
        size_bytes=doc.size_bytes,
        width=doc.width,
        height=doc.height,
        draft_id=doc.draft_id,
        url=document_path(doc.id),
    )


def list_documents(session: Session, *, process_id: int) -> list[DocumentRead]:
    docs = session.scalars(_DOCUMENTS, {"process": process_id})
    return [_document_read(d) for d in docs]


def _check_draft(session: Session, draft_id: int | None, process_id: int, field: str) -> None:
    if draft_id is None:
        return
    draft = session.get(Draft, draft_id)
    if draft is None or draft.process_id != process_id:
        raise refuse(ValidationFailed, field, f"no draft {draft_id} in this process")


def check_document_target(
    session: Session, *, principal: Principal, process_id: int, draft_id: int | None
) -> None:
    """Before a file is stored: may the caller add it here?"""
    _moderated(session, principal, process_id)
    _check_draft(session, draft_id, process_id, "draft_id")


def add_document(
    session: Session,
    *,
    principal: Principal,
    process_id: int,
    title: str,
    original_name: str,
    stored_name: str,
    prepared: uploads.CleanFile,
    draft_id: int | None = None,
) -> DocumentRead:
    check_document_target(session, principal=principal, process_id=process_id, draft_id=draft_id)
    doc = Document(
        process_id=process_id,
        draft_id=draft_id,
        title=title,
        media_type=prepared.media_type,
        original_name=original_name[:200] or "document",
        stored_name=stored_name,
        size_bytes=len(prepared.content),
        width=prepared.width,
        height=prepared.height,
    )
    session.add(doc)
    session.flush()
    return _document_read(doc)


def get_document(session: Session, *, principal: Principal, document_id: int) -> Document:
    doc = session.get(Document, document_id)
    if doc is None:
        raise NotFound(detail=f"No document {document_id}.")
    get_process(session, principal=principal, process_id=doc.process_id)
    return doc


def delete_document(session: Session, *, principal: Principal, document_id: int) -> str:
    """Delete the record; returns the stored file name to remove after the commit."""
    doc = get_document(session, principal=principal, document_id=document_id)
    _moderated(session, principal, doc.process_id)
    name = doc.stored_name
    session.delete(doc)
    return name


def stored_names(session: Session, *, process_id: int) -> list[str]:
    return list(
        session.scalars(select(Document.stored_name).where(Document.process_id == process_id))
    )


# --- plan layers ------------------------------------------------------------------------------


def _layer_read(layer: PlanLayer) -> LayerRead:
    bounds = None
    if layer.west is not None and layer.south is not None:
        bounds = [layer.west, layer.south, float(layer.east or 0), float(layer.north or 0)]
    return LayerRead(
        id=layer.id,
        title=layer.title,
        description=layer.description,
        kind=layer.kind,
        draft_id=layer.draft_id,
        bounds=bounds,
        opacity=layer.opacity,
        position=layer.position,
        data_url=f"/api/participation/layers/{layer.id}/data" if layer.kind == "geojson" else None,
        image_url=document_path(layer.document_id) if layer.document_id is not None else None,
    )


def list_layers(session: Session, *, process_id: int) -> list[LayerRead]:
    layers = session.scalars(_LAYERS, {"process": process_id})
    return [_layer_read(layer) for layer in layers]


def _scalar_properties(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        return {}
    kept: dict[str, Any] = {}
    for key, item in list(value.items())[:MAX_PROPERTIES]:
        if isinstance(item, str):
            kept[str(key)[:100]] = item[:1000]
        elif isinstance(item, bool | int) or (isinstance(item, float) and math.isfinite(item)):
            kept[str(key)[:100]] = item
    return kept


def feature_collection(value: Any, *, field: str = "body.data") -> dict[str, Any]:
    """A checked GeoJSON FeatureCollection with valid WGS 84 geometries and plain properties."""
    if not isinstance(value, dict) or value.get("type") != "FeatureCollection":
        raise refuse(ValidationFailed, field, "must be a GeoJSON FeatureCollection")
    features = value.get("features")
    if not isinstance(features, list) or not features:
        raise refuse(ValidationFailed, field, "must hold at least one feature")
    if len(features) > MAX_LAYER_FEATURES:
        raise refuse(ValidationFailed, field, f"holds more than {MAX_LAYER_FEATURES} features")
    clean = []
    for index, feature in enumerate(features):
        where = f"{field}.features.{index}"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise refuse(ValidationFailed, where, "must be a GeoJSON Feature")
        geom = geometry_from_geojson(feature.get("geometry"), field=f"{where}.geometry")
        clean.append(
            {
                "type": "Feature",
                "geometry": geometry_to_geojson(geom),
                "properties": _scalar_properties(feature.get("properties")),
            }
        )
    return {"type": "FeatureCollection", "features": clean}


def _bounds(value: list[float] | None) -> tuple[float, float, float, float]:
    if value is None:
        raise refuse(ValidationFailed, "body.bounds", "is required for an image layer")
    west, south, east, north = value
    if not all(math.isfinite(v) for v in value):
        raise refuse(ValidationFailed, "body.bounds", "must be finite numbers")
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise refuse(
            ValidationFailed, "body.bounds", "needs west < east and south < north, in degrees"
        )
    return west, south, east, north


def create_layer(
    session: Session, *, principal: Principal, process_id: int, data: LayerIn
) -> LayerRead:
    _moderated(session, principal, process_id)
    _check_draft(session, data.draft_id, process_id, "body.draft_id")
    layer = PlanLayer(
        process_id=process_id,
        draft_id=data.draft_id,
        title=data.title,
        description=data.description,
        kind=data.kind,
        opacity=data.opacity,
        position=data.position,
    )
    if data.kind == "geojson":
        layer.data = feature_collection(data.data)
    else:
        if data.document_id is None:
            raise refuse(ValidationFailed, "body.document_id", "is required for an image layer")
        doc = session.get(Document, data.document_id)
        if doc is None or doc.process_id != process_id or not doc.media_type.startswith("image/"):
            raise refuse(
                ValidationFailed,
                "body.document_id",
                f"no image {data.document_id} among the documents of this process",
            )
        layer.document_id = doc.id
        layer.west, layer.south, layer.east, layer.north = _bounds(data.bounds)
    session.add(layer)
    session.flush()
    return _layer_read(layer)


def layer_data(session: Session, *, principal: Principal, layer_id: int) -> dict[str, Any]:
    layer = session.get(PlanLayer, layer_id)
    if layer is None:
        raise NotFound(detail=f"No plan layer {layer_id}.")
    get_process(session, principal=principal, process_id=layer.process_id)
    if layer.kind != "geojson" or layer.data is None:
        raise NotFound(detail=f"Plan layer {layer_id} is an image, not GeoJSON.")
    return layer.data


def delete_layer(session: Session, *, principal: Principal, layer_id: int) -> None:
    layer = session.get(PlanLayer, layer_id)
    if layer is None:
        raise NotFound(detail=f"No plan layer {layer_id}.")
    _moderated(session, principal, layer.process_id)
    session.delete(layer)


# --- plan images placed by their corners --------------------------------------------------------

#: The corners staff give: the image's upper-left (north-west) and lower-right (south-east).
CORNER_FIELDS = ("nw_lat", "nw_lon", "se_lat", "se_lon")


def corner_bounds(corners: Mapping[str, float | None]) -> list[float]:
    """West, south, east and north of an image from its upper-left and lower-right corners;
    every fault names its field (``nw_lat`` …) at once."""
    errors: list[FieldError] = []
    for name in CORNER_FIELDS:
        value = corners.get(name)
        limit = 90 if name.endswith("lat") else 180
        if value is None:
            errors.append(FieldError(name, N_("please give this coordinate")))
        elif not (math.isfinite(value) and -limit <= value <= limit):
            reason = Message(N_("must lie between -%(limit)d and %(limit)d degrees"), limit=limit)
            errors.append(FieldError(name, reason))
    if not errors:
        north, west = float(corners["nw_lat"] or 0), float(corners["nw_lon"] or 0)
        south, east = float(corners["se_lat"] or 0), float(corners["se_lon"] or 0)
        if south >= north:
            errors.append(FieldError("se_lat", N_("must lie south of the upper-left corner")))
        if east <= west:
            errors.append(FieldError("se_lon", N_("must lie east of the upper-left corner")))
    if errors:
        raise ValidationFailed(
            detail="; ".join(f"{e.field}: {e.reason}" for e in errors), errors=errors
        )
    return [west, south, east, north]


def add_plan_image(
    session: Session,
    *,
    principal: Principal,
    process_id: int,
    layer: LayerIn,
    original_name: str,
    stored_name: str,
    prepared: uploads.CleanFile,
) -> LayerRead:
    """The uploaded image as a document of the process and as a plan layer over the map."""
    if not prepared.media_type.startswith("image/"):
        raise refuse(ValidationFailed, "file", N_("please choose an image (JPEG, PNG or WebP)"))
    document = add_document(
        session,
        principal=principal,
        process_id=process_id,
        title=layer.title,
        original_name=original_name,
        stored_name=stored_name,
        prepared=prepared,
        draft_id=layer.draft_id,
    )
    return create_layer(
        session,
        principal=principal,
        process_id=process_id,
        data=layer.model_copy(update={"kind": "image", "document_id": document.id}),
    )


def remove_layer(
    session: Session, *, principal: Principal, layer_id: int
) -> tuple[int, str | None]:
    """Delete a plan layer, and an image layer's image with it; the process and the stored
    file name to remove after the commit."""
    layer = session.get(PlanLayer, layer_id)
    if layer is None:
        raise NotFound(detail=f"No plan layer {layer_id}.")
    _moderated(session, principal, layer.process_id)
    process_id = layer.process_id
    if layer.document_id is None:
        session.delete(layer)
        return process_id, None
    return process_id, delete_document(session, principal=principal, document_id=layer.document_id)


def moderated_draft(session: Session, *, principal: Principal, draft_id: int) -> DraftRead:
    draft = _draft(session, draft_id)
    _moderated(session, principal, draft.process_id)
    return _with_ratings(session, draft)


def update_draft(
    session: Session, *, principal: Principal, draft_id: int, data: DraftIn
) -> DraftRead:
    draft = _draft(session, draft_id)
    _moderated(session, principal, draft.process_id)
    draft.title = data.title
    draft.summary = data.summary
    draft.facts = dict(data.facts)
    session.flush()
    return _with_ratings(session, draft)
