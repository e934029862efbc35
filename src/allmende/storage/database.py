"""One object for the database: read sessions, writes, and the dialect differences between them.

Reads run concurrently in read-only transactions (``PRAGMA query_only`` on SQLite, ``READ ONLY``
on PostgreSQL), so a write that skips :meth:`Database.write` fails loudly in tests on both
backends. Writes go through the SQLite single writer, or straight to PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import orjson
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from allmende.core.errors import ConfigurationError
from allmende.core.events import Event, EventBus
from allmende.storage.events import take_pending
from allmende.storage.spatial import register_sqlite_functions
from allmende.storage.writer import WRITER_FLAG, SQLiteWriter

log = logging.getLogger(__name__)
T = TypeVar("T")

SUPPORTED_DIALECTS = ("sqlite", "postgresql")


def normalise_url(url: str | URL) -> URL:
    """Accept ``postgresql://`` and ``postgres://`` for psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in SUPPORTED_DIALECTS:
        raise ConfigurationError(
            f"database_url: {parsed.get_backend_name()!r} is not supported; "
            "use sqlite:///file or postgresql+psycopg://…"
        )
    return parsed


def make_engine(
    url: str | URL,
    *,
    read_only: bool = False,
    busy_timeout_ms: int = 5000,
    pool_size: int = 10,
    echo: bool = False,
) -> Engine:
    """An engine with Allmende's dialect setup. ``read_only`` engines refuse writes on SQLite."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise ConfigurationError("database_url: SQLite needs a file (WAL and several readers)")
        engine = create_engine(
            parsed,
            echo=echo,
            pool_size=pool_size,
            max_overflow=pool_size,
            connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
            json_deserializer=_read_json,
        )
        _setup_sqlite(engine, read_only=read_only, busy_timeout_ms=busy_timeout_ms)
        return engine
    from allmende.storage.pg_arrays import register

    register()  # the typed arrays the ingest binds (psycopg is imported only now)
    engine = create_engine(
        parsed,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        # JSON columns read as request bodies are: PostgreSQL keeps 1e308 as a number of 309
        # digits, which the standard parser reads as an int that no answer can be written with.
        json_deserializer=orjson.loads,
    )
    _ping_when_idle(engine)
    return engine


def _read_json(text: str | bytes) -> Any:
    """A JSON column of SQLite as orjson reads it (a fifth of the standard parser's time: a
    page reads hundreds of them); text it refuses, such as NaN that Python's writer allows,
    as the standard parser reads it."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


#: A pooled PostgreSQL connection unused for longer than this is tested with a round trip
#: before it is handed out (the server may have restarted or a firewall dropped it); one that
#: came back a moment ago is handed out at once, which saves a round trip per transaction.
PING_AFTER_IDLE_SECONDS = 1.0
_RETURNED = "allmende.returned"


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's ``pool_pre_ping``, for connections that sat idle only."""

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_RETURNED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED)
        if returned is not None and time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            # The pool drops this connection and checks out another (a fresh one at worst).
            raise DisconnectionError(str(exc)) from exc


def _setup_sqlite(engine: Engine, *, read_only: bool, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        # Manage transactions ourselves (pysqlite's implicit BEGIN breaks savepoints).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        if read_only:
            cursor.execute("PRAGMA query_only = 1")
        cursor.close()
        register_sqlite_functions(dbapi_connection)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # The writer takes the write lock up front so a batch never fails half-way on BUSY.
        immediate = connection.info.get(WRITER_FLAG) or not read_only
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """The storage of one installation."""

    def __init__(
        self,
        url: str | URL,
        *,
        bus: EventBus | None = None,
        busy_timeout_ms: int = 5000,
        pool_size: int = 10,
        echo: bool = False,
    ) -> None:
        self.url = normalise_url(url)
        self.dialect = self.url.get_backend_name()
        self.bus = bus or EventBus()
        self.engine = make_engine(
            self.url,
            read_only=True,
            busy_timeout_ms=busy_timeout_ms,
            pool_size=pool_size,
            echo=echo,
        )
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        self._writer: SQLiteWriter | None = None
        if self.is_sqlite:
            self._writer = SQLiteWriter(self.engine, self._sessions, self._publish)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def is_postgresql(self) -> bool:
        return self.dialect == "postgresql"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read-only session; its transaction ends when the block ends."""
        if self.is_postgresql:
            connection = self.engine.connect().execution_options(postgresql_readonly=True)
            session = self._sessions(bind=connection)
        else:
            connection = None
            session = self._sessions()
        try:
            yield session
        finally:
            session.close()
            if connection is not None:
                connection.close()

    def write(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn(session)`` in a write transaction and return its result.

        After the commit the events it emitted are published. If ``fn`` raises, nothing it
        did is kept and the exception reaches the caller.
        """
        if self._writer is not None:
            return self._writer.run(fn)
        with self._sessions() as session:
            try:
                result = fn(session)
                events = take_pending(session)
                session.commit()
            except BaseException:
                session.rollback()
                take_pending(session)
                raise
        self._publish(events)
        return result

    async def awrite(self, fn: Callable[[Session], T]) -> T:
        """:meth:`write` for coroutines: waits without blocking the event loop."""
        if self._writer is not None:
            return await asyncio.wrap_future(self._writer.submit(fn))
        return await asyncio.get_running_loop().run_in_executor(None, self.write, fn)

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.stop()
        self.engine.dispose()

    def _publish(self, events: list[Event]) -> None:
        for item in events:
            self.bus.publish(item)
