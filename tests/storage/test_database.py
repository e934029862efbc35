"""The database object: read-only reads, the single writer, group commit, events after commit."""

from __future__ import annotations

import math
import threading

import pytest
from sqlalchemy import JSON, Column, Integer, MetaData, Table, create_engine, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from allmende.core.errors import Conflict
from allmende.core.events import Event
from allmende.identity.models import Municipality
from allmende.storage import database as database_module
from allmende.storage.database import Database
from allmende.storage.events import emit

pytestmark = pytest.mark.integration


def _add(session: Session, key: str) -> int:
    municipality = Municipality(key=key, name=key.title(), kind="Gemeinde")
    session.add(municipality)
    session.flush()
    return municipality.id


def _count(database: Database) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count(Municipality.id))) or 0)


def test_write_commits_and_returns_the_result(database: Database) -> None:
    new_id = database.write(lambda s: _add(s, "eins"))
    assert new_id > 0
    assert _count(database) == 1


def test_a_failing_write_leaves_nothing_behind(database: Database) -> None:
    def half(session: Session) -> None:
        _add(session, "zwei")
        raise Conflict(detail="stop")

    with pytest.raises(Conflict):
        database.write(half)
    assert _count(database) == 0


def test_reads_are_read_only(database: Database) -> None:
    insert = text(
        "INSERT INTO identity_municipalities (key, name, kind, created_at) "
        "VALUES ('x', 'x', 'x', CURRENT_TIMESTAMP)"
    )
    with database.session() as session, pytest.raises(DBAPIError):
        session.execute(insert)


def test_concurrent_writes_all_land_and_failures_stay_isolated(database: Database) -> None:
    """Many threads write at once; on SQLite they share group commits. A duplicate key fails
    alone, without taking the other writes of its batch with it."""
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            database.write(lambda s: _add(s, f"ort-{n}"))
        except BaseException as exc:
            errors.append(exc)

    def duplicate() -> None:
        try:
            database.write(lambda s: _add(s, "ort-0"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(40)]
    threads += [threading.Thread(target=duplicate) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _count(database) == 40
    assert len(errors) == 3
    assert all(isinstance(e, IntegrityError) for e in errors)


def test_events_are_published_after_commit_only(database: Database) -> None:
    seen: list[Event] = []
    database.bus.subscribe("test.created", seen.append)

    def ok(session: Session) -> None:
        _add(session, "drei")
        emit(session, Event("test.created", {"key": "drei"}))

    def failing(session: Session) -> None:
        emit(session, Event("test.created", {"key": "vier"}))
        raise Conflict(detail="no")

    database.write(ok)
    with pytest.raises(Conflict):
        database.write(failing)
    assert [e.payload["key"] for e in seen] == ["drei"]


def test_a_write_inside_a_write_joins_it(database: Database) -> None:
    def outer(session: Session) -> int:
        _add(session, "aussen")
        return database.write(lambda inner: _add(inner, "innen"))

    database.write(outer)
    assert _count(database) == 2


async def _async_write(database: Database) -> int:
    return await database.awrite(lambda s: _add(s, "async"))


def test_awrite_from_a_coroutine(database: Database) -> None:
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    # A thread of its own: the browser tests' Playwright loop may own this thread's loop.
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, _async_write(database)).result() > 0
    assert _count(database) == 1


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # SQLite has no connections
def test_postgresql_tests_a_connection_only_after_it_sat_idle(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings: list[object] = []
    ping = database.engine.dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        pings.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(database.engine.dialect, "do_ping", counted)
    _count(database)
    for _ in range(5):  # returned a moment ago: handed out without a round trip
        _count(database)
    assert pings == []

    # Idle too long, and its server process gone meanwhile: tested, dropped, replaced.
    with database.session() as session:
        lost = session.scalar(text("SELECT pg_backend_pid()"))
    monkeypatch.setattr(database_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    outside = create_engine(database.url, poolclass=NullPool)  # not from the pool
    with outside.connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": lost})
    outside.dispose()
    assert _count(database) >= 0
    assert pings
    with database.session() as session:
        assert session.scalar(text("SELECT pg_backend_pid()")) != lost


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # PostgreSQL refuses NaN in JSON
def test_sqlite_json_is_read_fast_and_what_pythons_writer_allows_still_reads(
    database: Database,
) -> None:
    documents = Table("json_documents", MetaData(), Column("n", Integer), Column("doc", JSON))

    def fill(session: Session) -> None:
        documents.create(session.connection())
        session.execute(
            text("INSERT INTO json_documents (n, doc) VALUES (1, :a), (2, :b)"),
            {"a": '{"unit": "°C", "big": 1e300}', "b": '{"value": NaN}'},
        )

    database.write(fill)
    with database.session() as session:
        rows = dict(session.execute(select(documents.c.n, documents.c.doc)).all())
    assert rows[1] == {"unit": "°C", "big": 1e300}
    assert math.isnan(rows[2]["value"])
