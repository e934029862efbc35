"""The principals of credentials looked up a moment ago, kept while nothing has been committed.

Without it every request with an API key or a session cookie looks its credential up in the
database (a pooled connection, a transaction, two statements, a hop to a worker thread): more
than a small request's own work. A principal is kept under a digest of its credential (the
secret itself is not kept) with the :class:`~allmende.storage.version.DataVersion` read *before*
its lookup, and is used again only while the version is still that one: any commit, in any
process (a key revoked, a session ended, a role changed, an account switched off), leaves
every entry stale, so such a change holds from the next request on, as it did without the
cache. A credential's own expiry is kept with it and checked at every use; a refused
credential is never kept.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from datetime import datetime

from starlette.concurrency import run_in_threadpool

from allmende.core.timeutil import as_utc, utcnow
from allmende.identity.principal import Principal
from allmende.storage.version import DataVersion

#: A lookup: the principal and when its credential expires (None: never by itself).
LookUp = Callable[[], tuple[Principal, datetime | None]]
#: Credentials kept at most; when full, the oldest goes.
MAX_ENTRIES = 4096


class PrincipalCache:
    def __init__(self, version: DataVersion, *, max_entries: int = MAX_ENTRIES) -> None:
        self.version = version
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._kept: dict[bytes, tuple[object, datetime | None, Principal]] = {}

    async def principal(self, kind: str, credential: str, look_up: LookUp) -> Principal:
        """The principal of ``credential`` (``kind``: "key" or "session"), kept or looked up
        with ``look_up`` in a worker thread; its errors reach the caller."""
        if self.version.blocking:  # the version is asked of the server: all in one hop
            return await run_in_threadpool(self._resolve, kind, credential, look_up)
        version = self.version.current()
        found = self._get(kind, credential, version)
        if found is not None:
            return found
        return await run_in_threadpool(self._look_up, kind, credential, version, look_up)

    def _resolve(self, kind: str, credential: str, look_up: LookUp) -> Principal:
        version = self.version.current()
        found = self._get(kind, credential, version)
        return found if found is not None else self._look_up(kind, credential, version, look_up)

    def _look_up(
        self, kind: str, credential: str, version: object | None, look_up: LookUp
    ) -> Principal:
        """The principal looked up now, kept with the version read before the lookup."""
        principal, expires = look_up()
        self._put(kind, credential, version, principal, expires)
        return principal

    def _get(self, kind: str, credential: str, version: object | None) -> Principal | None:
        if version is None:
            return None
        digest = _digest(kind, credential)
        with self._lock:
            found = self._kept.get(digest)
            if found is None:
                return None
            kept_version, expires, principal = found
            if kept_version == version and (expires is None or as_utc(expires) > utcnow()):
                return principal
            del self._kept[digest]
            return None

    def _put(
        self,
        kind: str,
        credential: str,
        version: object | None,
        principal: Principal,
        expires: datetime | None,
    ) -> None:
        if version is None:  # nothing to compare with later (an in-memory database)
            return
        digest = _digest(kind, credential)
        with self._lock:
            self._kept.pop(digest, None)
            while len(self._kept) >= self.max_entries:
                self._kept.pop(next(iter(self._kept)))
            self._kept[digest] = (version, expires, principal)


def _digest(kind: str, credential: str) -> bytes:
    return hashlib.blake2b(f"{kind}\0{credential}".encode(), digest_size=32).digest()
