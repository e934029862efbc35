"""Photos and documents under ``data_dir``: cleaned by the SDK's upload sanitizer
(``sdk.uploads``: size, type, pixel bound, metadata removed), written before the database row
and removed again if the write fails."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.modules.assets.models import AssetObject, Inspection, Report, StoredFile
from allmende.modules.assets.schemas import FileRead
from allmende.modules.assets.service import Actor, may_read_internal, not_found, record
from allmende.sdk import Principal, uploads, utcnow


def save(data_dir: Path, upload: uploads.CleanFile) -> str:
    """Write the file; returns its path relative to ``data_dir``."""
    now = utcnow()
    relative = f"assets/{now:%Y}/{now:%m}/{uuid.uuid4().hex}.{upload.extension}"
    target = Path(data_dir) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    partial.write_bytes(upload.content)
    partial.replace(target)
    return relative


def remove(data_dir: Path, relative: str) -> None:
    (Path(data_dir) / relative).unlink(missing_ok=True)


def location(data_dir: Path, stored: StoredFile) -> Path:
    root = Path(data_dir).resolve()
    path = (root / stored.path).resolve()
    if root not in path.parents:  # paths come from our own rows; guard anyway
        raise not_found("file", stored.id)
    return path


def attach(
    session: Session,
    *,
    actor: Actor,
    municipality_id: int,
    kind: str,
    upload: uploads.CleanFile,
    path: str,
    title: str,
    public: bool,
    obj: AssetObject | None = None,
    inspection: Inspection | None = None,
    report: Report | None = None,
) -> StoredFile:
    stored = StoredFile(
        municipality_id=municipality_id,
        object_id=obj.id if obj else None,
        inspection_id=inspection.id if inspection else None,
        report_id=report.id if report else None,
        kind=kind,
        title=title[:200],
        filename=upload.filename,
        content_type=upload.media_type,
        size=len(upload.content),
        path=path,
        public=public,
        uploaded_at=utcnow(),
        uploaded_by_id=actor.user_id,
    )
    session.add(stored)
    session.flush()
    if obj is not None:
        record(
            session,
            obj,
            actor,
            kind=kind,
            summary=f"{upload.filename}" + (f" – {title}" if title else ""),
            ref_id=stored.id,
        )
    return stored


def files_of(
    session: Session, *, principal: Principal, object_id: int, municipality_id: int
) -> list[StoredFile]:
    query = select(StoredFile).where(StoredFile.object_id == object_id)
    if not may_read_internal(principal, municipality_id):
        query = query.where(StoredFile.public.is_(True))
    return list(session.scalars(query.order_by(StoredFile.uploaded_at, StoredFile.id)))


def get_file(session: Session, *, principal: Principal, file_id: int) -> StoredFile:
    stored = session.get(StoredFile, file_id)
    if stored is None:
        raise not_found("file", file_id)
    if may_read_internal(principal, stored.municipality_id):
        return stored
    visible = stored.public
    if stored.object_id is not None:
        owner = session.get(AssetObject, stored.object_id)
        visible = visible and owner is not None and owner.public
    if stored.report_id is not None:
        report = session.get(Report, stored.report_id)
        visible = visible and report is not None and report.public
    if stored.inspection_id is not None:
        visible = False  # inspection records are internal
    if not visible:
        raise not_found("file", file_id)
    return stored


def file_read(stored: StoredFile) -> FileRead:
    return FileRead(
        id=stored.id,
        kind=stored.kind,
        title=stored.title,
        filename=stored.filename,
        content_type=stored.content_type,
        size=stored.size,
        public=stored.public,
        uploaded_at=stored.uploaded_at,
        url=f"/api/assets/files/{stored.id}",
    )


def files_of_inspections(
    session: Session, inspection_ids: list[int]
) -> dict[int, list[StoredFile]]:
    found: dict[int, list[StoredFile]] = {i: [] for i in inspection_ids}
    for stored in session.scalars(
        select(StoredFile)
        .where(StoredFile.inspection_id.in_(inspection_ids))
        .order_by(StoredFile.id)
    ):
        found[stored.inspection_id or 0].append(stored)
    return found
