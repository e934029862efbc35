"""Serialised catalogue answers, kept while the data has not changed.

Writing the catalogue's graph out (rdflib's Turtle and RDF/XML writers above all) costs several
times the database reads behind it, and the answer is the same for every caller (the catalogue
shows public data only). So an answer is kept for the database's
:class:`~allmende.storage.version.DataVersion` read before it was computed: a read after a
write, in any process, sees the write.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from allmende.storage.version import DataVersion


class RenderedAnswers:
    """Answers by key, all of one data version; ``max_entries`` keeps the newest."""

    def __init__(self, version: DataVersion, *, max_entries: int = 64) -> None:
        self._version = version
        self._max_entries = max_entries
        self._lock = threading.Lock()
        self._of: object | None = None
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()

    def get(self, key: Hashable, make: Callable[[], bytes]) -> bytes:
        """The kept answer for ``key``, or ``make()``'s, kept if the data version is known."""
        version = self._version.current()
        if version is None:
            return make()
        found = self._kept(version, key)
        if found is not None:
            return found
        # Made outside the lock: a slow answer (or a flood of odd pages) holds up no other one;
        # concurrent misses of one key each make it, and the answers are the same.
        body = make()
        with self._lock:
            if self._of != version:
                self._entries.clear()
                self._of = version
            self._entries[key] = body
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return body

    def _kept(self, version: object, key: Hashable) -> bytes | None:
        with self._lock:
            if self._of != version:
                return None
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
            return body
