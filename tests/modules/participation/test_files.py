"""Uploads: PDFs kept, images re-encoded without EXIF (no GPS position), bad files refused."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from allmende.core.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from allmende.modules.participation import files
from allmende.sdk import uploads
from tests.support.aio import run_to_end

pytestmark = pytest.mark.unit
GPS_IFD = 0x8825


def jpeg_with_location(orientation: int = 1) -> bytes:
    image = Image.new("RGB", (40, 20), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "Kamerahersteller"  # Make
    exif[0x0112] = orientation
    exif[GPS_IFD] = {1: "N", 2: (49.0, 28.0, 12.0), 3: "E", 4: (8.0, 43.0, 1.0)}
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def _prepare(content: bytes, max_bytes: int = 10_000_000) -> uploads.CleanFile:
    return run_to_end(files.prepare(content, max_bytes=max_bytes))


def test_images_lose_their_exif_and_location() -> None:
    """The SDK's sanitizer cleans them (tests/http/test_uploads.py tests it in full)."""
    original = jpeg_with_location(orientation=6)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # it had a position
    prepared = _prepare(original)
    assert prepared.media_type == "image/jpeg" and prepared.extension == "jpg"
    assert len(Image.open(io.BytesIO(prepared.content)).getexif()) == 0
    assert b"Kamerahersteller" not in prepared.content
    assert (prepared.width, prepared.height) == (20, 40)  # turned upright


def test_pdf_is_kept_as_it_is() -> None:
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    prepared = _prepare(pdf, max_bytes=1000)
    assert prepared.content == pdf and prepared.media_type == "application/pdf"


def test_refusals() -> None:
    with pytest.raises(PayloadTooLarge):
        _prepare(b"%PDF-" + b"x" * 100, max_bytes=50)
    with pytest.raises(ValidationFailed):
        _prepare(b"", max_bytes=50)
    with pytest.raises(UnsupportedMediaType):
        _prepare(b"<html>not a picture</html>")
    with pytest.raises(UnsupportedMediaType):  # office files belong to the assets register
        _prepare(b"PK\x03\x04 a spreadsheet")
    whole = jpeg_with_location()
    with pytest.raises(ValidationFailed):
        _prepare(whole[: len(whole) - 60])  # truncated


def test_store_and_remove(tmp_path) -> None:  # type: ignore[no-untyped-def]
    prepared = _prepare(jpeg_with_location())
    name = files.store(tmp_path, prepared)
    path = files.path_of(tmp_path, name)
    assert path.read_bytes() == prepared.content
    assert path.parent == tmp_path / "participation" / "documents"
    assert files.path_of(tmp_path, "../../etc/passwd").parent == path.parent
    files.remove(tmp_path, [name])
    assert not path.exists()
