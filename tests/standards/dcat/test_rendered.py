"""Serialised catalogue answers are kept while the data holds, and made anew after a commit."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from allmende.standards.dcat.rendered import RenderedAnswers
from allmende.storage.database import Database
from allmende.storage.version import DataVersion

pytestmark = pytest.mark.unit


def test_an_answer_is_kept_until_a_commit(tmp_path: Path) -> None:
    path = tmp_path / "data.db"
    with sqlite3.connect(path) as writer:
        writer.execute("CREATE TABLE t (x INTEGER)")
    database = Database(f"sqlite:///{path}")
    version = DataVersion(database)
    answers = RenderedAnswers(version, max_entries=2)
    made: list[str] = []

    def make(text: str) -> bytes:
        made.append(text)
        return text.encode()

    try:
        assert answers.get("a", lambda: make("a1")) == b"a1"
        assert answers.get("a", lambda: make("a2")) == b"a1"  # kept
        assert answers.get("b", lambda: make("b1")) == b"b1"
        assert answers.get("c", lambda: make("c1")) == b"c1"  # "a" is the oldest: dropped
        assert answers.get("a", lambda: make("a3")) == b"a3"
        with sqlite3.connect(path) as writer:
            writer.execute("INSERT INTO t VALUES (1)")
        assert answers.get("a", lambda: make("a4")) == b"a4"  # the data changed
        assert made == ["a1", "b1", "c1", "a3", "a4"]
    finally:
        version.close()
        database.close()
