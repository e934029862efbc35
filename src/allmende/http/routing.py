"""Route matching that skips a whole included router when the path cannot be one of its routes.

FastAPI tries every route of every included router in turn, so a request to the last module
walks the regular expressions of all routes before it (most of a small request's CPU). Each
included router here first compares the path with the literal starts of its routes (the part
before the first parameter), in one ``str.startswith``: a path that starts with none of them
matches none of its routes. A router with a route that starts with a parameter, or that routes
by host, is walked as before, so paths and answers (404, 405, slash redirects) stay the same."""

from __future__ import annotations

from typing import Any

from fastapi import routing as fastapi_routing
from starlette._utils import get_route_path
from starlette.routing import Host, Match
from starlette.types import Scope

_IncludedRouter: Any = getattr(fastapi_routing, "_IncludedRouter", None)


def _literal_start(candidate: Any) -> str:
    """The part of a route's path before its first parameter ("" when unknown)."""
    route = getattr(candidate, "starlette_route", None) or candidate.original_route
    if isinstance(route, Host) or isinstance(candidate.original_route, Host):
        return ""
    path = getattr(candidate, "path_format", "") or getattr(route, "path_format", "")
    return str(path).split("{", 1)[0]


#: Bumped whenever any router's routes change (FastAPI marks every change): a router's starts
#: are kept with the generation they were read in, one comparison per request and router
#: instead of FastAPI's walk over the router's routes to sum its version.
_generation = 0
#: Whether the generation is counted (the guard is installed).
_counting = False


def _starts(router: Any) -> tuple[str, ...]:
    """The literal starts of the router's routes, nested routers' included (kept while no
    route changes): a path that starts with none of them matches none of its routes."""
    cached = router.__dict__.get("_allmende_starts")
    if cached is not None and cached[0] == _generation:
        return cached[1]  # type: ignore[no-any-return]
    generation = _generation  # read first: a change during the walk makes the next call walk
    starts = _collect(router, generation)
    router.__dict__["_allmende_starts"] = (generation, starts)
    return starts


def _collect(router: Any, generation: int) -> tuple[str, ...]:
    found: set[str] = set()
    for candidate in router.effective_candidates():
        if isinstance(candidate, _IncludedRouter):
            nested = _collect(candidate, generation)
            candidate.__dict__["_allmende_starts"] = (generation, nested)
            found.update(nested)
        else:
            found.add(_literal_start(candidate))
    # A start that another one begins with is enough ("" keeps every path).
    return tuple(s for s in found if not any(s.startswith(o) and s != o for o in found))


#: The methods of FastAPI's included router that the guard needs; without them it is not installed.
_NEEDED = ("matches", "effective_candidates")
#: The method by which FastAPI's routers mark a change of their routes.
_MARK = "_mark_routes_changed"


def install_prefix_guard() -> None:
    """Let every included router refuse at once a path outside the literal start of its routes.

    The guard rests on FastAPI's internals (0.165): where they are missing it is not installed,
    and where they have changed so that the starts cannot be read, the router is walked as
    FastAPI walks it (tests/http/test_routing.py says when the guard no longer holds)."""
    if _IncludedRouter is None or getattr(_IncludedRouter.matches, "_prefix_guard", False):
        return
    if not all(hasattr(_IncludedRouter, name) for name in _NEEDED):
        return
    if not hasattr(fastapi_routing.APIRouter, _MARK):
        return
    mark = getattr(fastapi_routing.APIRouter, _MARK)

    global _counting
    _counting = True

    def mark_and_count(self: Any) -> None:
        global _generation
        _generation += 1
        mark(self)

    setattr(fastapi_routing.APIRouter, _MARK, mark_and_count)
    walk = _IncludedRouter.matches

    def matches(self: Any, scope: Scope) -> tuple[Match, Scope]:
        try:
            starts = _starts(self)
        except Exception:  # internals changed: FastAPI's own walk gives the answer
            return walk(self, scope)  # type: ignore[no-any-return]
        if not get_route_path(scope).startswith(starts):
            return Match.NONE, {}
        return walk(self, scope)  # type: ignore[no-any-return]

    matches._prefix_guard = True  # type: ignore[attr-defined]
    _IncludedRouter.matches = matches


def routes_version(app: Any) -> tuple[str, int, int] | None:
    """Changes whenever a route is added anywhere in the app, for answers kept per app: the
    generation above (FastAPI's own count, which walks every router, where the guard is not
    installed) and the length of the app's list (a mount appended to it marks nothing).
    ``None`` where neither can be read."""
    if _counting:
        return ("generation", _generation, len(app.router.routes))
    counted = getattr(app.router, "_get_routes_version", None)
    if counted is None:
        return None
    return ("fastapi", int(counted()), len(app.router.routes))
