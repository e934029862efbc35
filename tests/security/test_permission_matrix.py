"""Every route × every role × a resource of municipality A and of B: the answer the permission
rules give (tests/security/rules.py), and no internal record of a municipality in any answer to
a caller who may not read it.

Roles: anonymous, a citizen, staff of A, staff of B, the admin, and API keys — the admin key,
an unbound open311 key, and a key of A for every scope the installation knows (a new module's
scope brings its key). The rules are evaluated with ``identity.permissions.can`` on each role's
real principal. One app per backend; the roles of a request are sent one after another (the
app runs on one event loop under one interpreter lock: side by side they cost switching and
gained no time).

SQLite runs every role. PostgreSQL runs the roles that differ in what data they may see
(``ON_BOTH``): which answer a role gets is decided by ``identity.permissions`` on its principal,
the same on either backend, while what a query lets through is SQL that the backend runs, so
the leak check needs PostgreSQL too. The keys of one scope each add scope decisions, not data
classes, and run on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import routing
from sqlalchemy.orm import Session
from starlette.routing import Mount

from allmende.identity import service
from allmende.identity.permissions import ADMIN_SCOPE, Action, can
from allmende.identity.principal import ANONYMOUS, Principal
from tests.conftest import BACKENDS
from tests.security.rules import LOGIN, OK, RULES, STATIC, Case, Ctx, Need, Outcome, Req
from tests.support.world import (
    MUNICIPALITIES,
    World,
    build_world,
    login,
    marker,
    new_key,
    serve_module,
)

pytestmark = pytest.mark.integration

#: Internal resources whose titles carry a marker, and the scopes that may read them (a building
#: is published as a SensorThings Thing too, so that scope reads its name as well).
MARKED = {
    "object": ("assets",),
    "file": ("assets",),
    "booking": ("assets",),
    "process": ("participation",),
    "notice": ("notices",),
    "thing": ("sensorthings",),
    "building": ("energy", "sensorthings"),
    "dataset": ("catalog",),
}


@dataclass(frozen=True)
class Role:
    name: str
    principal: Principal
    headers: dict[str, str]


#: The roles run on PostgreSQL too: anonymous, a citizen, staff of A and of B, the admin, and
#: keys for the whole region, unbound, and bound to A.
ON_BOTH = {
    "anonymous",
    "citizen",
    "staff_a",
    "staff_b",
    "admin",
    "key_admin",
    "key_open311",
    "key_sensorthings_a",
}


@dataclass
class Matrix:
    world: World
    roles: list[Role]

    def role(self, name: str) -> Role:
        return next(r for r in self.roles if r.name == name)


def _roles(world: World) -> list[Role]:
    """Every role with its principal and the headers of its requests. Each also carries a CSRF
    cookie and token, as a browser that loaded the form would: the matrix is about rights."""
    served, region = world.served, world.served.region
    form = login(served, region.citizen_email)  # its CSRF pair serves every role
    csrf = {"allmende_csrf": form.cookies["allmende_csrf"]}

    def headers(cookies: dict[str, str], extra: dict[str, str] | None = None) -> dict[str, str]:
        cookie = "; ".join(f"{k}={v}" for k, v in {**csrf, **cookies}.items())
        return {**form.headers, "Cookie": cookie, **(extra or {})}

    def user(name: str, email: str) -> Role:
        with served.database.session() as session:
            principal = service.principal_for_user(service.user_by_email(session, email=email))
        return Role(name, principal, headers(login(served, email).cookies))

    def key(name: str, secret: str) -> Role:
        with served.database.session() as session:
            principal = service.resolve_api_key(session, key=secret)
        return Role(name, principal, headers({}, {"Authorization": f"Bearer {secret}"}))

    return [
        Role("anonymous", ANONYMOUS, headers({})),
        user("citizen", region.citizen_email),
        user("staff_a", region.staff_a_email),
        user("staff_b", region.staff_b_email),
        user("admin", region.admin_email),
        key("key_admin", region.key_admin),
        key("key_open311", region.key_open311),  # unbound
        key("key_sensorthings_a", region.key_sensorthings_a),
        *(
            key(f"key_{scope}_a", new_key(served, [scope], "a-stadt", name=scope))
            for scope in sorted(
                service.BUILTIN_SCOPES | served.app.state.allmende.registry.scopes()
            )
            if scope not in (ADMIN_SCOPE, "sensorthings")
        ),
    ]


@pytest.fixture(
    scope="module",
    params=[
        pytest.param(b, marks=[pytest.mark.postgres] if b == "postgresql" else []) for b in BACKENDS
    ],
)
def matrix(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Matrix]:
    with serve_module(request, request.param, tmp_path_factory.mktemp("matrix")) as served:
        world = build_world(served)
        roles = _roles(world)
        if request.param != "sqlite":
            roles = [role for role in roles if role.name in ON_BOTH]
        yield Matrix(world, roles)


def route_keys(app: Any) -> dict[str, Any]:
    """Every route of the app as "METHOD /path" (mounted folders as "MOUNT /path")."""
    found: dict[str, Any] = {}
    for context in routing.iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, Mount):
            found[f"MOUNT {route.path}"] = route
            continue
        methods = set(context.methods or ())
        if "GET" in methods:
            methods.discard("HEAD")  # Starlette answers HEAD for every GET
        for method in methods:
            found[f"{method} {context.path_format}"] = route
    return found


def test_every_route_has_an_entry_in_the_rules(matrix: Matrix) -> None:
    routes = {k for k in route_keys(matrix.world.served.app) if not k.startswith("MOUNT ")}
    missing, gone = sorted(routes - set(RULES)), sorted(set(RULES) - routes)
    assert not missing, "routes without rules (decide who may call them):\n" + "\n".join(missing)
    assert not gone, "rules of routes that are gone:\n" + "\n".join(gone)


def test_static_files_are_public(matrix: Matrix) -> None:
    for name, route in route_keys(matrix.world.served.app).items():
        if not name.startswith("MOUNT "):
            continue
        folder = Path(route.app.directory)
        some = next(p for p in sorted(folder.rglob("*")) if p.is_file())
        path = f"{route.path}/{some.relative_to(folder).as_posix()}"
        for role in matrix.roles:
            got = _outcome(matrix.world.served.client.get(path, headers=role.headers))
            assert got == STATIC(role.principal, Ctx(None, ())), (path, role.name, got)


def _outcome(response: Any) -> Outcome:
    if response.status_code == 303 and "/login" in response.headers.get("location", ""):
        return LOGIN
    if response.status_code in (401, 403, 404) or response.status_code >= 500:
        return int(response.status_code)
    return OK


def _send(matrix: Matrix, role: Role, req: Req) -> Any:
    client = matrix.world.served.client
    token = role.headers["X-CSRF-Token"]
    for step in (*req.before, req):
        forms = step.data is not None or step.files is not None
        response = client.request(
            step.method,
            step.path,
            headers=role.headers,
            params=step.params,
            json=step.json,
            data={**(step.data or {}), "csrf_token": token} if forms else None,
            files=step.files,
            follow_redirects=False,
        )
    return response


def _leaks(matrix: Matrix, role: Role, text: str) -> list[str]:
    found = []
    for m, key in MUNICIPALITIES.items():
        place = matrix.world.places[m]
        for kind, scopes in MARKED.items():
            if marker(m, kind) in text and not any(
                can(
                    role.principal,
                    Action.READ_INTERNAL,
                    municipality_id=place.municipality_id,
                    scope=scope,
                )
                for scope in scopes
            ):
                found.append(f"internal {kind} of {key}")
    return found


def _fresh_session(matrix: Matrix, role: Role) -> Role:
    if role.principal.kind != "user":
        return role
    served = matrix.world.served
    with served.database.session() as session:
        email = _email(session, role.principal)
    fresh = login(served, email)
    cookie = "; ".join(f"{k}={v}" for k, v in fresh.cookies.items())
    return Role(role.name, role.principal, {**role.headers, **fresh.headers, "Cookie": cookie})


def _email(session: Session, principal: Principal) -> str:
    from allmende.identity.models import User

    user = session.get(User, principal.user_id)
    assert user is not None
    return user.email


@pytest.mark.parametrize("route", sorted(RULES))
def test_every_role_gets_the_answer_the_rules_give(matrix: Matrix, route: str) -> None:
    world = matrix.world
    ids = tuple(p.municipality_id for p in world.places.values())
    wrong: list[str] = []
    for case in RULES[route]:
        places = list(MUNICIPALITIES) if case.municipal else ["a"]
        for m in places:
            need = Need(world, m)
            context = Ctx(world.places[m].municipality_id if case.municipal else None, ids)
            for role in matrix.roles:
                wrong += _check(matrix, route, case, need, context, role)
    assert not wrong, "\n".join(wrong)


def _check(
    matrix: Matrix, route: str, case: Case, need: Need, context: Ctx, role: Role
) -> list[str]:
    req = case.build(need)
    sender = _fresh_session(matrix, role) if case.fresh_login else role
    response = _send(matrix, sender, req)
    expected = case.expect(role.principal, context)
    got = _outcome(response)
    where = f"{role.name:<22} {req.method} {req.path} {case.name} ({need.m})"
    problems = []
    if got != expected:
        problems.append(
            f"{where}: expected {expected}, got {response.status_code} {response.text[:160]!r}"
        )
    problems += [f"{where}: leaks {what}" for what in _leaks(matrix, role, response.text)]
    return problems
