"""Photos and documents: metadata really removed, size limit, wrong types; nothing half-stored."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from allmende.core.settings import Mode, Settings
from allmende.storage.database import Database
from tests.conftest import SECRET
from tests.modules.assets.conftest import World, snapshot, staff_client
from tests.support.client import TestClient
from tests.support.region import Region

pytestmark = pytest.mark.integration

LIMIT = 60_000
GPS_IFD = 0x8825


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        mode=Mode.DEV,
        database_url=database_url,
        secret_key=SECRET,
        data_dir=tmp_path / "data",
        upload_max_bytes=LIMIT,
        mqtt_mode="off",
    )


def jpeg_with_gps(size: tuple[int, int] = (120, 80)) -> bytes:
    image = Image.new("RGB", size, (40, 140, 60))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Industries"  # Make
    exif[0x0110] = "Model 007"  # Model
    exif[0x0112] = 6  # Orientation: rotated 90°
    exif[GPS_IFD] = {1: "N", 2: (49.0, 28.0, 12.5), 3: "E", 4: (8.0, 43.0, 1.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"taken at home")
    data = out.getvalue()
    check = Image.open(io.BytesIO(data)).getexif()
    assert check.get_ifd(GPS_IFD) and check[0x010F] == "SpyCam Industries"  # the test's premise
    return data


def files_on_disk(settings: Settings) -> list[Path]:
    root = Path(settings.data_dir)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_uploaded_photos_lose_gps_and_camera_data(
    client: TestClient, region: Region, world: World, settings: Settings
) -> None:
    headers = staff_client(client, region.staff_a_email)
    original = jpeg_with_gps()
    response = client.post(
        f"/api/assets/objects/{world.tree}/photos",
        files={"photo": ("IMG_0001.JPG", original, "image/jpeg")},
        data={"title": "Krone", "public": "true"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    stored = client.get(response.json()["url"])
    assert stored.status_code == 200
    assert stored.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(stored.content))
    assert len(image.getexif()) == 0
    assert "exif" not in image.info and "comment" not in image.info
    assert b"SpyCam" not in stored.content and b"taken at home" not in stored.content
    assert image.size == (80, 120)  # the orientation was applied to the pixels
    history = client.get(f"/api/assets/objects/{world.tree}/history").json()
    assert history[0]["kind"] == "photo"
    # public photo of a public object: everyone may see it
    client.cookies.clear()
    assert client.get(response.json()["url"]).status_code == 200


def test_oversized_photo_is_refused_naming_the_field(
    client: TestClient, database: Database, region: Region, world: World, settings: Settings
) -> None:
    headers = staff_client(client, region.staff_a_email)
    before = snapshot(database)
    big = jpeg_with_gps() + b"\0" * LIMIT
    response = client.post(
        f"/api/assets/objects/{world.tree}/photos",
        files={"photo": ("big.jpg", big, "image/jpeg")},
        headers=headers,
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["field"] == "photo"
    assert snapshot(database) == before
    assert files_on_disk(settings) == []


def _huge_png() -> bytes:
    out = io.BytesIO()
    Image.new("1", (7000, 7000)).save(out, "PNG")
    return out.getvalue()


def _bmp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "BMP")
    return out.getvalue()


@pytest.mark.parametrize(
    ("kind", "name", "content", "status", "reason"),
    [
        ("photos", "photo.jpg", b"not an image at all", 415, "JPEG, PNG, WebP or GIF"),
        ("photos", "photo.bmp", _bmp(), 415, "JPEG, PNG, WebP or GIF"),
        ("photos", "photo.png", _huge_png(), 422, "pixels"),
        ("photos", "photo.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", 422, "damaged"),
        ("documents", "plan.exe", b"MZ\x90\x00", 415, "file types"),
        ("documents", "plan.pdf", b"<html>", 415, "file types"),
    ],
)
def test_wrong_files_are_refused(
    client: TestClient,
    database: Database,
    region: Region,
    world: World,
    settings: Settings,
    kind: str,
    name: str,
    content: bytes,
    status: int,
    reason: str,
) -> None:
    headers = staff_client(client, region.staff_a_email)
    before = snapshot(database)
    field = "photo" if kind == "photos" else "document"
    response = client.post(
        f"/api/assets/objects/{world.tree}/{kind}",
        files={field: (name, content, "application/octet-stream")},
        headers=headers,
    )
    assert response.status_code == status, response.text
    assert response.json()["errors"][0]["field"] == field
    assert reason in response.json()["errors"][0]["reason"]
    assert snapshot(database) == before
    assert files_on_disk(settings) == []


def test_documents_are_internal_unless_published(
    client: TestClient, region: Region, world: World, settings: Settings
) -> None:
    headers = staff_client(client, region.staff_a_email)
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    response = client.post(
        f"/api/assets/objects/{world.playground}/documents",
        files={"document": ("Prüfbericht 2026.pdf", pdf, "application/pdf")},
        data={"title": "Prüfbericht"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    url = response.json()["url"]
    download = client.get(url)
    assert download.content == pdf
    assert download.headers["content-disposition"].startswith("attachment")
    client.cookies.clear()
    assert client.get(url).status_code == 404
    staff_b = staff_client(client, region.staff_b_email)
    assert client.get(url).status_code == 404  # internal documents of A stay with A
    # B sees A's public playground but may not add to it.
    response = client.post(
        f"/api/assets/objects/{world.playground}/documents",
        files={"document": ("x.pdf", pdf, "application/pdf")},
        headers=staff_b,
    )
    assert response.status_code == 403, response.text
