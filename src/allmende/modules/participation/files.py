"""Uploaded documents on disk: PDFs as they are, images re-encoded without any metadata.

Images are decoded with Pillow, turned upright by their EXIF orientation and re-drawn into a
fresh image, so EXIF (with GPS positions), XMP, IPTC and text chunks never reach the disk. The
file name on disk is random; the original name is kept only for the download.
"""

from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from allmende.modules.participation.service import refuse
from allmende.sdk import PayloadTooLarge, UnsupportedMediaType, ValidationFailed

MAX_PIXELS = 40_000_000
IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
PDF_MAGIC = b"%PDF-"


@dataclass(frozen=True)
class Prepared:
    content: bytes
    media_type: str
    suffix: str
    width: int | None = None
    height: int | None = None

    @property
    def is_image(self) -> bool:
        return self.media_type.startswith("image/")


def folder(data_dir: Path) -> Path:
    return Path(data_dir) / "participation" / "documents"


def prepare(content: bytes, *, max_bytes: int, field: str = "file") -> Prepared:
    """Check an upload and return what is to be stored."""
    if len(content) > max_bytes:
        raise PayloadTooLarge(detail=f"{field}: larger than the limit of {max_bytes} bytes")
    if not content:
        raise refuse(ValidationFailed, field, "is empty")
    if content.startswith(PDF_MAGIC):
        return Prepared(content, "application/pdf", ".pdf")
    return _clean_image(content, field)


def _clean_image(content: bytes, field: str) -> Prepared:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as probe:
                if probe.format not in IMAGE_FORMATS:
                    raise _unsupported(field)
                if probe.width * probe.height > MAX_PIXELS:
                    raise refuse(ValidationFailed, field, "has too many pixels (at most 40 MP)")
                source_format = probe.format
                probe.load()
                upright = ImageOps.exif_transpose(probe)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _unsupported(field) from None
    except (OSError, ValueError, SyntaxError) as exc:  # truncated or corrupt data
        raise refuse(ValidationFailed, field, "is a damaged image") from exc
    mode = (
        "RGBA" if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info else "RGB"
    )
    clean = Image.new(mode, upright.size)
    clean.paste(upright.convert(mode))
    buffer = io.BytesIO()
    if source_format == "JPEG" and mode == "RGB":
        clean.save(buffer, format="JPEG", quality=88, optimize=True)
        media_type, suffix = "image/jpeg", ".jpg"
    else:
        clean.save(buffer, format="PNG", optimize=True)
        media_type, suffix = "image/png", ".png"
    return Prepared(buffer.getvalue(), media_type, suffix, clean.width, clean.height)


def _unsupported(field: str) -> UnsupportedMediaType:
    return UnsupportedMediaType(
        detail=f"{field}: only PDF documents and JPEG, PNG, WebP or GIF images are accepted"
    )


def store(data_dir: Path, prepared: Prepared) -> str:
    """Write the file under a new random name and return that name."""
    target = folder(data_dir)
    target.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}{prepared.suffix}"
    partial = target / f".{name}.part"
    partial.write_bytes(prepared.content)
    partial.replace(target / name)
    return name


def path_of(data_dir: Path, stored_name: str) -> Path:
    return folder(data_dir) / Path(stored_name).name


def remove(data_dir: Path, names: list[str]) -> None:
    for name in names:
        path_of(data_dir, name).unlink(missing_ok=True)
