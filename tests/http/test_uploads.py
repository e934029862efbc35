"""The one upload sanitizer: one answer per fault, pixels bounded before decoding, metadata gone."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image

from allmende.core.errors import (
    AllmendeError,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)
from allmende.http import uploads
from tests.support.aio import run_to_end
from tests.support.threads import watch_decoding

pytestmark = pytest.mark.unit
LIMIT = 2_000_000
GPS_IFD = 0x8825


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def photo_with_gps(size: tuple[int, int] = (120, 80)) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Industries"
    exif[0x0112] = 6  # Orientation: rotated 90°
    exif[GPS_IFD] = {1: "N", 2: (49.0, 28.0, 12.5), 3: "E", 4: (8.0, 43.0, 1.0)}
    return encoded(Image.new("RGB", size, (40, 140, 60)), "JPEG", exif=exif, comment=b"home")


def huge_png(side: int = 7000) -> bytes:
    """A few hundred kilobytes that decode into ``side`` × ``side`` pixels."""
    return encoded(Image.new("1", (side, side)), "PNG")


@pytest.fixture
def decoding(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return watch_decoding(monkeypatch)


def clean(data: bytes, **options: object) -> uploads.CleanFile:
    return uploads.sanitize_image(data, field="photo", max_bytes=LIMIT, **options)  # type: ignore[arg-type]


def test_metadata_is_removed_and_the_orientation_applied() -> None:
    cleaned = clean(photo_with_gps(), filename="../IMG 0001.JPG")
    image = Image.open(io.BytesIO(cleaned.content))
    assert (cleaned.media_type, cleaned.extension, cleaned.filename) == (
        "image/jpeg",
        "jpg",
        "IMG 0001.jpg",
    )
    assert len(image.getexif()) == 0 and "comment" not in image.info
    assert b"SpyCam" not in cleaned.content
    assert image.size == (80, 120) == (cleaned.width, cleaned.height)


@pytest.mark.parametrize(
    ("fmt", "mode", "media_type"),
    [
        ("PNG", "RGBA", "image/png"),
        ("WEBP", "RGB", "image/webp"),
        ("GIF", "P", "image/png"),
    ],
)
def test_each_accepted_format(fmt: str, mode: str, media_type: str) -> None:
    cleaned = clean(encoded(Image.new(mode, (30, 20)), fmt))
    assert cleaned.media_type == media_type
    assert Image.open(io.BytesIO(cleaned.content)).size == (30, 20)


def test_pixels_are_bounded_before_anything_is_decoded(decoding: list[str]) -> None:
    data = huge_png()
    assert len(data) < 200_000  # small to send, 49 million pixels to decode
    with pytest.raises(ValidationFailed) as info:
        clean(data)
    assert info.value.errors[0].field == "photo"
    assert "pixels" in info.value.errors[0].reason
    assert decoding == []


def test_a_large_jpeg_is_decoded_at_a_reduced_scale() -> None:
    data = encoded(Image.new("RGB", (6000, 4000), (200, 10, 10)), "JPEG", quality=30)
    cleaned = clean(data)
    assert (cleaned.width, cleaned.height) == (3000, 2000)


def test_images_wider_than_the_limit_are_reduced() -> None:
    cleaned = clean(encoded(Image.new("L", (5000, 100)), "PNG"))
    assert (cleaned.width, cleaned.height) == (uploads.MAX_SIDE, 82)


@pytest.mark.parametrize(
    ("content", "error", "reason"),
    [
        (b"", ValidationFailed, "is empty"),
        (b"x" * (LIMIT + 1), PayloadTooLarge, "larger than the limit"),
        (b"not an image at all", UnsupportedMediaType, "JPEG, PNG, WebP or GIF"),
        (encoded(Image.new("RGB", (4, 4)), "BMP"), UnsupportedMediaType, "JPEG, PNG, WebP"),
        (encoded(Image.new("RGB", (4, 4)), "TIFF"), UnsupportedMediaType, "JPEG, PNG, WebP"),
        (photo_with_gps()[:400], ValidationFailed, "damaged"),
        (photo_with_gps()[:-200], ValidationFailed, "damaged"),
        (huge_png(), ValidationFailed, "pixels"),
    ],
    ids=["empty", "too-large", "text", "bmp", "tiff", "broken-header", "truncated", "pixels"],
)
def test_one_answer_per_fault(content: bytes, error: type[AllmendeError], reason: str) -> None:
    with pytest.raises(AllmendeError) as info:
        clean(content)
    assert type(info.value) is error
    assert info.value.errors[0].field == "photo"
    assert reason in info.value.errors[0].reason


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        # a fixed date, so that every pytest-xdist worker collects the same test
        archive.writestr(zipfile.ZipInfo("content.xml", (2026, 1, 1, 0, 0, 0)), "<office/>")
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "media_type"),
    [
        ("bericht.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf"),
        ("liste.csv", "Baum;Höhe\n".encode(), "text/csv"),
        ("text.odt", _zip(), "application/vnd.oasis.opendocument.text"),
        ("foto.jpg", photo_with_gps(), "image/jpeg"),
        ("foto-ohne-endung", photo_with_gps(), "image/jpeg"),
    ],
    ids=["pdf", "csv", "odt", "jpg", "no-suffix"],
)
def test_accepted_documents(name: str, content: bytes, media_type: str) -> None:
    cleaned = uploads.sanitize_document(content, field="document", max_bytes=LIMIT, filename=name)
    assert cleaned.media_type == media_type
    if cleaned.is_image:
        assert b"SpyCam" not in cleaned.content


@pytest.mark.parametrize(
    ("name", "content", "error", "accept"),
    [
        ("plan.exe", b"MZ\x90\x00", UnsupportedMediaType, uploads.DOCUMENT_TYPES),
        ("plan.pdf", b"<html>", UnsupportedMediaType, uploads.DOCUMENT_TYPES),
        ("x.html", b"<script>", UnsupportedMediaType, ("pdf",)),
        ("liste.csv", b"a;b\n", UnsupportedMediaType, ("pdf",)),
        ("text.docx", b"not a zip", ValidationFailed, uploads.DOCUMENT_TYPES),
        ("liste.csv", b"\xff\xfe\x00", ValidationFailed, uploads.DOCUMENT_TYPES),
        ("bild.png", huge_png(), ValidationFailed, ("pdf",)),
    ],
    ids=["exe", "html-named-pdf", "html", "csv-not-accepted", "docx-no-zip", "not-utf8", "pixels"],
)
def test_refused_documents(
    name: str, content: bytes, error: type[AllmendeError], accept: tuple[str, ...]
) -> None:
    with pytest.raises(AllmendeError) as info:
        uploads.sanitize_document(
            content, field="file", max_bytes=LIMIT, filename=name, accept=accept
        )
    assert type(info.value) is error
    assert info.value.errors[0].field == "file"


def test_decoding_runs_in_the_upload_workers(decoding: list[str]) -> None:
    cleaned = run_to_end(uploads.clean_image(photo_with_gps(), field="photo", max_bytes=LIMIT))
    assert cleaned.media_type == "image/jpeg"
    assert decoding and all(name.startswith("allmende-upload") for name in decoding)


def test_oversized_uploads_are_refused_before_queueing(decoding: list[str]) -> None:
    with pytest.raises(PayloadTooLarge):
        run_to_end(uploads.clean_image(b"x" * 11, field="photo", max_bytes=10))
    assert decoding == []
