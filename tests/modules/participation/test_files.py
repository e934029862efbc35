"""Uploads: PDFs kept, images re-encoded without EXIF (no GPS position), bad files refused."""

from __future__ import annotations

import io

import pytest
from PIL import Image, PngImagePlugin

from allmende.core.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from allmende.modules.participation import files

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


def test_jpeg_loses_its_exif_and_location() -> None:
    original = jpeg_with_location()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # it had a position
    prepared = files.prepare(original, max_bytes=10_000_000)
    assert prepared.media_type == "image/jpeg" and prepared.suffix == ".jpg"
    cleaned = Image.open(io.BytesIO(prepared.content))
    assert len(cleaned.getexif()) == 0
    assert b"Exif" not in prepared.content and b"Kamerahersteller" not in prepared.content
    assert (prepared.width, prepared.height) == (40, 20)


def test_the_orientation_is_applied_before_stripping() -> None:
    prepared = files.prepare(jpeg_with_location(orientation=6), max_bytes=10_000_000)
    assert (prepared.width, prepared.height) == (20, 40)  # turned upright


def test_png_text_chunks_are_dropped() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jemand Bestimmtes")
    buffer = io.BytesIO()
    Image.new("RGBA", (8, 8), (0, 0, 255, 128)).save(buffer, format="PNG", pnginfo=info)
    prepared = files.prepare(buffer.getvalue(), max_bytes=10_000_000)
    assert prepared.media_type == "image/png"
    assert b"Jemand" not in prepared.content
    assert Image.open(io.BytesIO(prepared.content)).mode == "RGBA"


def test_pdf_is_kept_as_it_is() -> None:
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    prepared = files.prepare(pdf, max_bytes=1000)
    assert prepared.content == pdf and prepared.media_type == "application/pdf"


def test_refusals() -> None:
    with pytest.raises(PayloadTooLarge):
        files.prepare(b"%PDF-" + b"x" * 100, max_bytes=50)
    with pytest.raises(ValidationFailed):
        files.prepare(b"", max_bytes=50)
    with pytest.raises(UnsupportedMediaType):
        files.prepare(b"<html>not a picture</html>", max_bytes=1000)
    whole = jpeg_with_location()
    with pytest.raises(ValidationFailed):
        files.prepare(whole[: len(whole) - 60], max_bytes=10_000_000)  # truncated


def test_store_and_remove(tmp_path) -> None:  # type: ignore[no-untyped-def]
    prepared = files.prepare(jpeg_with_location(), max_bytes=10_000_000)
    name = files.store(tmp_path, prepared)
    path = files.path_of(tmp_path, name)
    assert path.read_bytes() == prepared.content
    assert path.parent == tmp_path / "participation" / "documents"
    assert files.path_of(tmp_path, "../../etc/passwd").parent == path.parent
    files.remove(tmp_path, [name])
    assert not path.exists()
