"""The one upload sanitizer: which files are accepted, and how they are cleaned before storing.

One answer per fault, each naming the field:

* **413** – larger than the limit (checked before anything else);
* **415** – a type that is not accepted, told by the content, not by the name;
* **422** – empty, damaged (cannot be decoded), or more pixels than :data:`MAX_PIXELS`.

**Images** (:data:`IMAGE_FORMATS`: JPEG, PNG, WebP, GIF). Pillow reads only the header when it
opens a file, so the size is known and bounded before a single pixel is decoded; a JPEG is
decoded at the smallest DCT scale that still covers :data:`MAX_SIDE` (draft mode), so a large
camera photo costs a few megabytes, not hundreds. The picture is turned upright by its EXIF
orientation, drawn into a fresh image (no EXIF with GPS position, XMP, IPTC, ICC or comments
survive), reduced to :data:`MAX_SIDE` and encoded again: JPEG as JPEG, WebP as WebP, PNG and
GIF (its first frame) as PNG.

**Documents** (:data:`DOCUMENT_TYPES`): PDF (by its magic bytes), OpenDocument and Office Open
XML files (zip archives), UTF-8 text and CSV, and any of the image formats, cleaned as images.

Decoding is CPU work: :func:`clean_image` and :func:`clean_document` run it in
:data:`UPLOAD_WORKERS` (off the event loop, on at most half the cores for at most half the
time, 503 when too many wait);
synchronous code calls ``UPLOAD_WORKERS.run(sanitize_image, …)``.
"""

from __future__ import annotations

import io
import math
import os
import re
import warnings
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from allmende.core.errors import (
    FieldError,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)
from allmende.core.workers import BoundedWorkers, half_the_cores

#: Accepted image formats (Pillow's names) → media type and extension of the cleaned file.
IMAGE_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
    "GIF": ("image/png", "png"),
}
#: Accepted documents besides images: extension → media type.
DOCUMENT_TYPES = {
    "pdf": "application/pdf",
    "txt": "text/plain",
    "csv": "text/csv",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ZIP_BASED = frozenset({"odt", "ods", "docx", "xlsx"})
#: Longest side of a stored image.
MAX_SIDE = 4096
#: Most pixels decoded for one image (4096 × 4096; a JPEG counts after its draft reduction):
#: decoding and cleaning then hold at most about 140 MB.
MAX_PIXELS = 4096 * 4096
IMAGE_NAMES = "JPEG, PNG, WebP or GIF"
UNSAFE_NAME = re.compile(r"[^\w.\- ]+")

#: The process's threads for decoding uploads: half the cores, busy at most half the time.
UPLOAD_WORKERS = BoundedWorkers(
    "allmende-upload",
    workers=half_the_cores(),
    queue_limit=8,
    busy="Too many uploads at once. Please try again in a moment.",
    busy_share=0.5,
)


@dataclass(frozen=True)
class CleanFile:
    """What may be stored: the cleaned content, its type and a safe file name."""

    content: bytes
    media_type: str
    extension: str
    filename: str
    width: int | None = None
    height: int | None = None

    @property
    def is_image(self) -> bool:
        return self.media_type.startswith("image/")


def too_large(field: str, limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        detail=f"{field}: the file is larger than {limit} bytes",
        errors=[FieldError(field, f"is larger than the limit of {limit} bytes")],
    )


def unsupported(field: str, accepted: str) -> UnsupportedMediaType:
    reason = f"must be {accepted}"
    return UnsupportedMediaType(detail=f"{field}: {reason}", errors=[FieldError(field, reason)])


async def read_upload(upload: Any, limit: int, field: str) -> bytes:
    """The content of an uploaded file (Starlette ``UploadFile``), 413 when over ``limit``."""
    data: bytes = await upload.read(limit + 1)
    if len(data) > limit:
        raise too_large(field, limit)
    return data


def safe_filename(name: str | None, fallback: str) -> str:
    """A file name without folders or odd characters (for downloads, never for the disk)."""
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    base = UNSAFE_NAME.sub("_", base)[:150].strip("._ ")
    return base or fallback


def sanitize_image(
    data: bytes, *, field: str, max_bytes: int, filename: str | None = None
) -> CleanFile:
    """An accepted image without metadata, or 413/415/422 naming ``field``. CPU-heavy."""
    _check_size(data, field, max_bytes)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data))  # reads the header only
    except UnidentifiedImageError:
        if _magic_format(data) is not None:  # an accepted format, broken in its header
            raise ValidationFailed.one(field, "is a damaged image") from None
        raise unsupported(field, f"a {IMAGE_NAMES} image") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels(field) from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise ValidationFailed.one(field, "is a damaged image") from exc
    with opened:
        source = opened.format or ""
        if source not in IMAGE_FORMATS:
            raise unsupported(field, f"a {IMAGE_NAMES} image")
        if source == "JPEG":
            _reduce_jpeg(opened)
        if opened.width * opened.height > MAX_PIXELS:
            raise too_many_pixels(field)
        try:
            opened.load()
            upright = ImageOps.exif_transpose(opened)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
            raise ValidationFailed.one(field, "is a damaged image") from exc
    return _encode(upright, source, filename)


def too_many_pixels(field: str) -> ValidationFailed:
    return ValidationFailed.one(field, f"has more than {MAX_PIXELS} pixels")


def _reduce_jpeg(opened: Any) -> None:
    """Let a JPEG decode at 1/2, 1/4 or 1/8 of its size when the whole would exceed
    :data:`MAX_PIXELS` (the decoder skips the detail instead of computing it)."""
    width, height = opened.size
    for scale in (1, 2, 4, 8):
        if math.ceil(width / scale) * math.ceil(height / scale) <= MAX_PIXELS:
            break
    if scale > 1:
        opened.draft(opened.mode, (width // scale, height // scale))


def sanitize_document(
    data: bytes,
    *,
    field: str,
    max_bytes: int,
    filename: str | None = None,
    accept: Collection[str] = tuple(DOCUMENT_TYPES),
) -> CleanFile:
    """An accepted document (images cleaned as by :func:`sanitize_image`), or 413/415/422.

    ``accept`` narrows :data:`DOCUMENT_TYPES` (extensions); images are always accepted."""
    _check_size(data, field, max_bytes)
    accepted = sorted(set(accept) & set(DOCUMENT_TYPES))
    names = ", ".join([*accepted, "jpg", "png", "webp", "gif"])
    if data.startswith(b"%PDF-"):
        if "pdf" not in accepted:
            raise unsupported(field, f"one of the file types {names}")
        return _as_is(data, "pdf", filename)
    if _magic_format(data) is not None:
        return sanitize_image(data, field=field, max_bytes=max_bytes, filename=filename)
    name = safe_filename(filename, "document")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in accepted or extension == "pdf":
        raise unsupported(field, f"one of the file types {names}")
    if extension in ZIP_BASED and not data.startswith(b"PK\x03\x04"):
        raise ValidationFailed.one(field, f"is not a valid .{extension} file")
    if extension in ("txt", "csv"):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationFailed.one(field, "is not UTF-8 text") from None
    return _as_is(data, extension, filename)


async def clean_image(
    data: bytes, *, field: str, max_bytes: int, filename: str | None = None
) -> CleanFile:
    """:func:`sanitize_image` in the upload workers, awaited without blocking the loop."""
    _check_size(data, field, max_bytes)  # refused at once, without queueing
    return await UPLOAD_WORKERS.arun(
        sanitize_image, data, field=field, max_bytes=max_bytes, filename=filename
    )


async def clean_document(
    data: bytes,
    *,
    field: str,
    max_bytes: int,
    filename: str | None = None,
    accept: Collection[str] = tuple(DOCUMENT_TYPES),
) -> CleanFile:
    """:func:`sanitize_document` in the upload workers, awaited without blocking the loop."""
    _check_size(data, field, max_bytes)
    return await UPLOAD_WORKERS.arun(
        sanitize_document, data, field=field, max_bytes=max_bytes, filename=filename, accept=accept
    )


def _check_size(data: bytes, field: str, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise too_large(field, max_bytes)
    if not data:
        raise ValidationFailed.one(field, "is empty")


def _magic_format(data: bytes) -> str | None:
    """The accepted image format whose signature ``data`` starts with."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _encode(picture: Image.Image, source: str, filename: str | None) -> CleanFile:
    has_alpha = picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info
    mode = "RGB" if source == "JPEG" or not has_alpha else "RGBA"
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    clean = Image.new(mode, picture.size)  # a fresh image: nothing of the original's metadata
    clean.paste(picture.convert(mode))
    media_type, extension = IMAGE_FORMATS[source]
    out = io.BytesIO()
    if source == "JPEG":
        clean.save(out, "JPEG", quality=88, optimize=True)
    elif source == "WEBP":
        clean.save(out, "WEBP", quality=88)
    else:
        clean.save(out, "PNG", compress_level=6)
    stem = os.path.splitext(safe_filename(filename, "image"))[0] or "image"
    return CleanFile(
        out.getvalue(), media_type, extension, f"{stem}.{extension}", clean.width, clean.height
    )


def _as_is(data: bytes, extension: str, filename: str | None) -> CleanFile:
    stem = os.path.splitext(safe_filename(filename, "document"))[0] or "document"
    return CleanFile(data, DOCUMENT_TYPES[extension], extension, f"{stem}.{extension}")
