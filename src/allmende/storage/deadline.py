"""A time limit on the statements of one read session.

PostgreSQL cancels a statement past ``statement_timeout`` (set for the session's transaction
only); SQLite calls a progress handler every few thousand virtual-machine steps, which stops
the statement once the deadline has passed. Either way the caller gets :class:`DeadlinePassed`
instead of a statement that runs on after its request has given up.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

#: SQLite virtual-machine steps between two looks at the clock (about a millisecond).
_STEPS = 10_000


class DeadlinePassed(Exception):
    """A statement was stopped because its deadline had passed."""


@contextmanager
def statement_deadline(session: Session, deadline: float) -> Iterator[None]:
    """Statements of ``session`` in this block end by ``deadline`` (``time.monotonic()``)."""
    connection = session.connection()
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise DeadlinePassed
    raw: Any = None
    if connection.dialect.name == "postgresql":
        # Rounded up: a timeout cut short would cancel the statement before the deadline, and
        # the error would not read as the deadline's.
        timeout_ms = max(1, math.ceil(remaining * 1000))
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {timeout_ms}")
    else:
        raw = connection.connection.driver_connection
        assert raw is not None
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), _STEPS)
    try:
        yield
    except OperationalError:
        if time.monotonic() >= deadline:
            raise DeadlinePassed from None
        raise
    finally:
        if raw is not None:
            raw.set_progress_handler(None, _STEPS)
