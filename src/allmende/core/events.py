"""An in-process event bus: modules talk through events instead of importing each other.

Storage publishes events only after the transaction that caused them has committed.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """Something that happened, named like ``sensing.observation.created``."""

    name: str
    payload: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[Event], None]


class EventBus:
    """Synchronous publish/subscribe. A failing handler is logged and does not stop the others."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)

    def subscribe(self, name: str, handler: Handler) -> None:
        """Call ``handler`` for events named ``name``; ``*`` receives every event."""
        self._handlers[name].append(handler)

    def unsubscribe(self, name: str, handler: Handler) -> None:
        """Stop calling ``handler`` for ``name`` (no error if it was not subscribed)."""
        handlers = self._handlers.get(name)
        if handlers is not None and handler in handlers:
            handlers.remove(handler)

    def publish(self, event: Event) -> None:
        for handler in (*self._handlers.get(event.name, ()), *self._handlers.get("*", ())):
            try:
                handler(event)
            except Exception:
                log.exception("event handler failed", extra={"event": event.name})
