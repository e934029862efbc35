"""Route matching that skips a whole included router when the path cannot be one of its routes.

FastAPI tries every route of every included router in turn, so a request to the last module
walks the regular expressions of all routes before it (most of a small request's CPU). Each
included router here first compares the path with the literal start its routes share; a router
whose routes share none (or that routes by host) is walked as before, so paths and answers stay
the same."""

from __future__ import annotations

from typing import Any

from fastapi import routing as fastapi_routing
from starlette._utils import get_route_path
from starlette.routing import Host, Match
from starlette.types import Scope

_IncludedRouter: Any = getattr(fastapi_routing, "_IncludedRouter", None)


def _literal_start(candidate: Any) -> str:
    """The part of a candidate's path before its first parameter ("" when unknown)."""
    if _IncludedRouter is not None and isinstance(candidate, _IncludedRouter):
        return _shared_start(candidate)
    route = getattr(candidate, "starlette_route", None) or candidate.original_route
    if isinstance(route, Host) or isinstance(candidate.original_route, Host):
        return ""
    path = getattr(candidate, "path_format", "") or getattr(route, "path_format", "")
    return str(path).split("{", 1)[0]


def _shared_start(router: Any) -> str:
    version = router.original_router._get_routes_version()
    cached = router.__dict__.get("_allmende_start")
    if cached is not None and cached[0] == version:
        return str(cached[1])
    starts = [_literal_start(c) for c in router.effective_candidates()]
    found = _common_start(starts) if starts and all(starts) else ""
    router.__dict__["_allmende_start"] = (version, found)
    return found


def _common_start(texts: list[str]) -> str:
    """The characters every text starts with (not whole path segments: "/api/a" of "/api/ab")."""
    first, last = min(texts), max(texts)
    size = next((i for i, (a, b) in enumerate(zip(first, last, strict=False)) if a != b), None)
    return first if size is None else first[:size]


def install_prefix_guard() -> None:
    """Let every included router refuse at once a path outside the literal start of its routes."""
    if _IncludedRouter is None or getattr(_IncludedRouter.matches, "_prefix_guard", False):
        return
    walk = _IncludedRouter.matches

    def matches(self: Any, scope: Scope) -> tuple[Match, Scope]:
        start = _shared_start(self)
        if start and not get_route_path(scope).startswith(start):
            return Match.NONE, {}
        return walk(self, scope)  # type: ignore[no-any-return]

    matches._prefix_guard = True  # type: ignore[attr-defined]
    _IncludedRouter.matches = matches
