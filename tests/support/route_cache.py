"""One build of each route's FastAPI state per test process, instead of one per app.

FastAPI (0.16x) builds the state of an included route (its dependant, parameter fields and
handler) on the first request that passes it, once per app. The suite makes well over a
thousand apps from the same module-level routers, and that build cost about half a second
of every test that sends a few requests. The state depends only on the route and how it was
included, never on the app unless it overrides dependencies, which the project does not
(``dependency_overrides`` appears nowhere), so the tests share it across apps.

This reaches into a private part of FastAPI: when that part is missing, nothing is shared
and the suite is only slower.
"""

from __future__ import annotations

from typing import Any

from fastapi import routing


def share_route_state_across_apps() -> bool:
    """Memoise FastAPI's per-app route state for this process; ``False`` where FastAPI has no
    such state (another version)."""
    context_class = getattr(routing, "_EffectiveRouteContext", None)
    build = getattr(context_class, "from_api_route", None)
    if build is None or getattr(build, "shared_across_apps", False):
        return build is not None
    original = build.__func__
    built: dict[tuple[Any, ...], Any] = {}

    def from_api_route(cls: type, *, original_route: Any, include_context: Any) -> Any:
        key = (
            id(original_route),
            id(include_context.included_router),
            include_context.prefix,
            tuple(map(str, include_context.tags)),
            tuple(_dependency_key(d) for d in include_context.dependencies),
            include_context.include_in_schema,
            include_context.max_body_size,
        )
        found = built.get(key)
        if found is None or found.original_route is not original_route:
            found = built[key] = original(
                cls, original_route=original_route, include_context=include_context
            )
        return found

    from_api_route.shared_across_apps = True  # type: ignore[attr-defined]
    context_class.from_api_route = classmethod(from_api_route)  # type: ignore[union-attr]
    return True


def _dependency_key(depends: Any) -> tuple[Any, ...]:
    """A dependency by what it calls (the ``Depends`` objects are made anew for each app)."""
    return (
        type(depends),
        id(depends.dependency),
        getattr(depends, "use_cache", None),
        getattr(depends, "scopes", None) and tuple(depends.scopes),
    )
