"""Uploaded documents on disk: PDFs as they are, images cleaned by the SDK's upload sanitizer
(``sdk.uploads``: pixel bound, re-encoded without any metadata). The file name on disk is
random; the original name is kept only for the download.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from allmende.sdk import uploads

#: A plan's documents: PDFs and images (images are always accepted by the sanitizer).
ACCEPTED = ("pdf",)


def folder(data_dir: Path) -> Path:
    return Path(data_dir) / "participation" / "documents"


async def prepare(content: bytes, *, max_bytes: int, field: str = "file") -> uploads.CleanFile:
    """Check an upload and return what is to be stored (decoded in the upload workers)."""
    return await uploads.clean_document(content, field=field, max_bytes=max_bytes, accept=ACCEPTED)


def store(data_dir: Path, prepared: uploads.CleanFile) -> str:
    """Write the file under a new random name and return that name."""
    target = folder(data_dir)
    target.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{prepared.extension}"
    partial = target / f".{name}.part"
    partial.write_bytes(prepared.content)
    partial.replace(target / name)
    return name


def path_of(data_dir: Path, stored_name: str) -> Path:
    return folder(data_dir) / Path(stored_name).name


def remove(data_dir: Path, names: list[str]) -> None:
    for name in names:
        path_of(data_dir, name).unlink(missing_ok=True)
