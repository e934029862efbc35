"""API keys accepted a moment ago, so that a sensor that POSTs every few milliseconds costs
no key lookup per request.

Only endpoints marked with :func:`~allmende.http.auth.confirms_key_itself` take a principal
from here, and they confirm it in the transaction that uses it (SensorThings' single
Observations: one statement per group, see :func:`allmende.identity.service.key_principals`),
so a revoked or expired key is refused as at once as everywhere else. Keys are kept under a
digest (the secret itself is not kept), for a minute at most.
"""

from __future__ import annotations

import hashlib
import time

from allmende.identity.principal import Principal

#: Keys kept at most; when full, the oldest goes.
MAX_KEYS = 1024
#: Seconds a key is kept: only a bound on what is kept, since every use is confirmed.
KEEP_SECONDS = 60.0


class KeyCache:
    def __init__(self) -> None:
        self._kept: dict[bytes, tuple[float, Principal]] = {}

    def get(self, key: str) -> Principal | None:
        digest = _digest(key)
        found = self._kept.get(digest)
        if found is None:
            return None
        until, principal = found
        if time.monotonic() >= until:
            self._kept.pop(digest, None)
            return None
        return principal

    def put(self, key: str, principal: Principal) -> None:
        if len(self._kept) >= MAX_KEYS:
            self._kept.pop(next(iter(self._kept)), None)
        self._kept[_digest(key)] = (time.monotonic() + KEEP_SECONDS, principal)


def _digest(key: str) -> bytes:
    return hashlib.blake2b(key.encode("utf-8"), digest_size=32).digest()
