"""A cheap answer to "has anything been committed since?", across connections and processes.

SQLite: ``PRAGMA data_version`` on a connection of its own, which changes whenever any other
connection (of this or another process) commits. PostgreSQL: the write-ahead log's insert
position, which moves with every write of the cluster (also unrelated ones, which only costs a
cache a miss).
"""

from __future__ import annotations

import sqlite3
import threading

from sqlalchemy import text

from allmende.storage.database import Database


class DataVersion:
    """``current()`` returns a value that differs after any commit, or None if unknown."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._lock = threading.Lock()
        self._watch: sqlite3.Connection | None = None
        path = database.url.database
        self._sqlite_path = path if database.is_sqlite and path and path != ":memory:" else None

    @property
    def blocking(self) -> bool:
        """Whether ``current()`` waits on a server (run it off the event loop then)."""
        return self._database.is_postgresql

    def current(self) -> object | None:
        if self._sqlite_path is not None:
            with self._lock:
                try:
                    if self._watch is None:
                        self._watch = sqlite3.connect(
                            f"file:{self._sqlite_path}?mode=ro", uri=True, check_same_thread=False
                        )
                    return self._watch.execute("PRAGMA data_version").fetchone()[0]
                except sqlite3.Error:  # no file yet: nothing to compare with
                    return None
        if self._database.is_postgresql:
            with self._database.engine.connect() as connection:
                return connection.execute(text("SELECT pg_current_wal_insert_lsn()")).scalar()
        return None

    def close(self) -> None:
        with self._lock:
            if self._watch is not None:
                self._watch.close()
                self._watch = None
