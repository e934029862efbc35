"""Photos and documents: size limit, type check, metadata stripped, stored under ``data_dir``.

Photos are decoded and re-encoded with Pillow, which drops every metadata block (EXIF with GPS
position and camera, XMP, comments); the orientation is applied to the pixels first. The file is
written before the database row and removed again if the write fails.
"""

from __future__ import annotations

import io
import os
import re
import uuid
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.modules.assets.models import AssetObject, Inspection, Report, StoredFile
from allmende.modules.assets.schemas import FileRead
from allmende.modules.assets.service import Actor, may_read_internal, not_found, record
from allmende.sdk import FieldError, PayloadTooLarge, Principal, ValidationFailed, utcnow

PHOTO_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
DOCUMENT_TYPES = {
    "pdf": "application/pdf",
    "txt": "text/plain",
    "csv": "text/csv",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
}
MAX_PIXELS = 50_000_000
MAX_SIDE = 4096
UNSAFE_NAME = re.compile(r"[^\w.\- ]+")


@dataclass(frozen=True)
class Upload:
    kind: str  # photo | document
    content: bytes
    filename: str
    content_type: str
    extension: str


def too_large(field: str, limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        detail=f"{field}: the file is larger than {limit} bytes",
        errors=[FieldError(field, f"is larger than the limit of {limit} bytes")],
    )


def safe_filename(name: str | None, fallback: str) -> str:
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    base = UNSAFE_NAME.sub("_", base)[:150].strip("._ ")
    return base or fallback


def prepare_photo(data: bytes, filename: str | None, *, limit: int, field: str) -> Upload:
    """A photo without metadata, or a 413/422 naming ``field``."""
    if len(data) > limit:
        raise too_large(field, limit)
    if not data:
        raise ValidationFailed.one(field, "is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data))
            if opened.format not in PHOTO_FORMATS:
                raise ValidationFailed.one(field, "must be a JPEG, PNG or WebP image")
            if opened.width * opened.height > MAX_PIXELS:
                raise ValidationFailed.one(field, f"has more than {MAX_PIXELS} pixels")
            source_format = opened.format
            opened.load()
            image: Image.Image = ImageOps.exif_transpose(opened)
    except ValidationFailed:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        Warning,
        Image.DecompressionBombError,
    ) as exc:
        raise ValidationFailed.one(field, "is not a readable JPEG, PNG or WebP image") from exc
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    clean = image.copy()
    clean.info = {}  # nothing of the original's metadata may travel into the new file
    content_type, extension = PHOTO_FORMATS[source_format]
    if source_format == "JPEG" and clean.mode not in ("RGB", "L"):
        clean = clean.convert("RGB")
    out = io.BytesIO()
    if source_format == "JPEG":
        clean.save(out, "JPEG", quality=88, optimize=True)
    elif source_format == "PNG":
        clean.save(out, "PNG", optimize=True)
    else:
        clean.save(out, "WEBP", quality=88)
    stem = os.path.splitext(safe_filename(filename, "photo"))[0] or "photo"
    return Upload("photo", out.getvalue(), f"{stem}.{extension}", content_type, extension)


def prepare_document(data: bytes, filename: str | None, *, limit: int, field: str) -> Upload:
    if len(data) > limit:
        raise too_large(field, limit)
    if not data:
        raise ValidationFailed.one(field, "is empty")
    name = safe_filename(filename, "document")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in DOCUMENT_TYPES:
        raise ValidationFailed.one(
            field, f"must be one of the file types {', '.join(sorted(DOCUMENT_TYPES))}"
        )
    if extension == "pdf" and not data.startswith(b"%PDF-"):
        raise ValidationFailed.one(field, "is not a PDF file")
    if extension in ("jpg", "jpeg", "png"):
        return replace(prepare_photo(data, name, limit=limit, field=field), kind="document")
    return Upload("document", data, name, DOCUMENT_TYPES[extension], extension)


def save(data_dir: Path, upload: Upload) -> str:
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
    upload: Upload,
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
        kind=upload.kind,
        title=title[:200],
        filename=upload.filename,
        content_type=upload.content_type,
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
            kind=upload.kind,
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


def read_upload(upload: Any, limit: int, field: str) -> bytes:
    """Read an uploaded file (FastAPI/Starlette ``UploadFile``), refusing more than ``limit``."""
    data: bytes = upload.file.read(limit + 1)
    if len(data) > limit:
        raise too_large(field, limit)
    return data
