"""Bulk work without the cyclic garbage collector getting in the way.

Parsing and ingesting a batch of tens of thousands of Observations allocates as many small
lists and tuples; each few hundred allocations would start a collection that walks them all
again, which costs a third of the ingest. None of these objects form cycles, so reference
counting frees them anyway: :func:`paused_gc` switches the collector off for the batch.
Nested and concurrent uses are counted; the collector runs again when the last one ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_active = 0
_restore = False


@contextmanager
def paused_gc() -> Iterator[None]:
    global _active, _restore
    with _lock:
        if _active == 0:
            _restore = gc.isenabled()
            gc.disable()
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0 and _restore:
                gc.enable()
