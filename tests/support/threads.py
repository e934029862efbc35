"""Which threads do the heavy work: Pillow's decoding and argon2's password checks."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from argon2 import PasswordHasher
from PIL import ImageFile


def watch_decoding(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the threads in which Pillow decodes pixels from now on."""
    return _watch(monkeypatch, ImageFile.ImageFile, "load")


def watch_password_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the threads in which argon2 checks passwords from now on."""
    return _watch(monkeypatch, PasswordHasher, "verify")


def _watch(monkeypatch: pytest.MonkeyPatch, owner: type, name: str) -> list[str]:
    threads: list[str] = []
    original = getattr(owner, name)

    def watched(self: Any, *args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(owner, name, watched)
    return threads
