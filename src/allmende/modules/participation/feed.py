"""The open interface: a public GeoJSON feed of processes, contributions and on-site events.

Only published processes and contributions not hidden by moderation appear, and properties are
chosen from an allow-list that holds no personal data: no author names (not even the chosen
public name), no account ids, no e-mail addresses, no moderator. The municipality's official
answer is public by design. Contributions without a location are counted, not listed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.modules.participation.contributions import contribution_path
from allmende.modules.participation.models import Contribution, Event, Process
from allmende.modules.participation.processes import contribution_counts, process_path
from allmende.modules.participation.service import current_phase, state_of
from allmende.sdk import Municipality, geometry_to_geojson, isoformat, utcnow

FeedKind = Literal["process", "contribution", "event"]


def _feature(geometry: Any, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": f"{properties['kind']}-{properties['id']}",
        "geometry": geometry_to_geojson(geometry) if geometry is not None else None,
        "properties": properties,
    }


def feed(
    session: Session,
    *,
    base: str,
    kinds: set[str] | None = None,
    process_id: int | None = None,
    municipality: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A FeatureCollection; ``base`` is the public root for the links."""
    now = now or utcnow()
    kinds = kinds or {"process", "contribution", "event"}
    query = (
        select(Process, Municipality.key, Municipality.name)
        .join(Municipality, Municipality.id == Process.municipality_id)
        .where(Process.public.is_(True))
        .order_by(Process.id)
    )
    if process_id is not None:
        query = query.where(Process.id == process_id)
    if municipality is not None:
        query = query.where(Municipality.key == municipality)
    processes = session.execute(query).all()
    ids = [p.id for p, _, _ in processes]
    features: list[dict[str, Any]] = []
    if "process" in kinds:
        counts = contribution_counts(session, ids)
        for process, key, name in processes:
            phase = current_phase(process, now)
            starts = [p.starts_at for p in process.phases]
            ends = [p.ends_at for p in process.phases]
            features.append(
                _feature(
                    process.geom,
                    {
                        "kind": "process",
                        "id": process.id,
                        "title": process.title,
                        "summary": process.summary,
                        "municipality": key,
                        "municipality_name": name,
                        "object_name": process.object_name,
                        "categories": list(process.categories),
                        "state": state_of(process, now).value,
                        "phase": phase.title if phase is not None else None,
                        "allows": sorted(phase.allows) if phase is not None else [],
                        "starts_at": isoformat(min(starts)) if starts else None,
                        "ends_at": isoformat(max(ends)) if ends else None,
                        "contributions": counts.get(process.id, 0),
                        "url": f"{base}{process_path(process.id)}",
                    },
                )
            )
    if ids and "contribution" in kinds:
        contributions = session.scalars(
            select(Contribution)
            .where(Contribution.process_id.in_(ids))
            .where(Contribution.hidden.is_(False), Contribution.bbox_minx.is_not(None))
            .order_by(Contribution.id)
        )
        for item in contributions:
            features.append(
                _feature(
                    item.geom,
                    {
                        "kind": "contribution",
                        "id": item.id,
                        "process_id": item.process_id,
                        "title": item.title,
                        "text": item.text,
                        "category": item.category,
                        "status": item.status,
                        "answer": item.answer,
                        "answered_at": isoformat(item.answered_at) if item.answered_at else None,
                        "supports": item.support_count,
                        "comments": item.comment_count,
                        "created_at": isoformat(item.created_at),
                        "url": f"{base}{contribution_path(item.id)}",
                    },
                )
            )
    if ids and "event" in kinds:
        events = session.scalars(
            select(Event).where(Event.process_id.in_(ids)).order_by(Event.starts_at, Event.id)
        )
        for event in events:
            features.append(
                _feature(
                    event.geom,
                    {
                        "kind": "event",
                        "id": event.id,
                        "process_id": event.process_id,
                        "title": event.title,
                        "description": event.description,
                        "place": event.place,
                        "starts_at": isoformat(event.starts_at),
                        "ends_at": isoformat(event.ends_at) if event.ends_at else None,
                        "url": f"{base}{process_path(event.process_id)}#event-{event.id}",
                    },
                )
            )
    return {"type": "FeatureCollection", "features": features}
