"""A cheap answer to "has anything been committed since?", across connections and processes.

SQLite: ``PRAGMA data_version`` on a connection of its own, which changes whenever any other
connection (of this or another process) commits. PostgreSQL: the current snapshot
(``xmin:xmax:running ids``), which changes whenever a transaction that writes starts or ends,
anywhere in the cluster (unrelated ones only cost a cache a miss); reads take no transaction
id and leave it as it is (unlike the write-ahead log, which moves when a read prunes a page).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from typing import Any

from allmende.storage.database import Database


class DataVersion:
    """``current()`` returns a value that differs after any commit, or None if unknown."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._lock = threading.Lock()
        self._watch: sqlite3.Connection | None = None
        self._server: Any = None
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
                    version: int = self._watch.execute("PRAGMA data_version").fetchone()[0]
                    return version
                except sqlite3.Error:  # no file yet: nothing to compare with
                    return None
        if self._database.is_postgresql:
            with self._lock:
                try:
                    if self._server is None:
                        self._server = self._connect()
                    row = self._server.execute("SELECT pg_current_snapshot()::text").fetchone()
                    return row[0] if row else None
                except Exception:  # the server went away: no answer now, a new try next time
                    self._close_server()
                    return None
        return None

    def _connect(self) -> Any:
        """A connection of its own, outside the pool: never waits for one, counts in no
        statement log, and sits in no transaction (autocommit)."""
        engine = self._database.engine
        args, params = engine.dialect.create_connect_args(engine.url)
        connection = engine.dialect.loaded_dbapi.connect(*args, **params)
        connection.autocommit = True
        return connection

    def _close_server(self) -> None:
        if self._server is not None:
            with contextlib.suppress(Exception):
                self._server.close()
            self._server = None

    def close(self) -> None:
        with self._lock:
            if self._watch is not None:
                self._watch.close()
                self._watch = None
            self._close_server()
