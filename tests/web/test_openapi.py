"""The OpenAPI document is complete, and every operation survives generated input.

Schemathesis generates requests from the document (valid and invalid ones) for every operation,
sent as the anonymous public, a citizen, staff of A and the admin, against a region that holds
one resource of every kind in A and B (so generated ids often name something that exists). Each
answer must be documented and never a 5xx, and most answers must come from the handler rather
than from the credential check: a run that revoked its own key would otherwise test only 401s.

Credentials cannot be revoked by the run: each role's credential is made for its run, and the
operation that revokes keys is fuzzed on its own with a fresh key per generated case.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.generation.case import Case

from tests.conftest import BACKENDS
from tests.support.fuzzing import Credential, Sent, send_cases
from tests.support.region import Region
from tests.support.web import bearer
from tests.support.world import World, build_world, login, new_key, serve_module

# One worker runs every role and backend, so that a run finds the cases its role drew before.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("fuzz-web")]

#: Standards answer errors in their own format (documented as such), everything else RFC 9457.
STANDARD_ERRORS = {"/open311": "Open311Errors", "/ogcapi": "OgcException"}
#: Generated cases per operation and role (half valid, half invalid input): bounds the run.
EXAMPLES = 8
#: Share of the answers that must come from past the credential check (not 401 or 403).
REACHED = 0.70
#: Operations that end a credential; fuzzed with a fresh one per case.
REVOKING = {("DELETE", "/api/apikeys/{key_id}")}
#: Values that exist in the world for path parameters that are not numeric ids.
KNOWN_TEXT = {
    "key": ["a-stadt", "b-dorf"],
    "service_code": ["sonstiges", "spielplatz"],
    "service_request_id": ["1", "2"],
    "collection_id": ["assets-objects", "participation-contributions"],
    "feature_id": ["1", "2"],
}
CHECKS_LEFT_OUT = [
    # Schema-valid input may still break a business rule (an unknown scope, an expiry in the
    # past); that is a 4xx naming the field, which positive_data_acceptance would count wrong.
    schemathesis.checks.positive_data_acceptance,
    # Numbers are read leniently, as everywhere in the API: an id "5 " (or with a no-break
    # space) is 5, where the generator expected a refusal of the "not an integer" string.
    schemathesis.checks.negative_data_rejection,
]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the document is HTTP alone
def test_document_is_complete(app: FastAPI) -> None:
    document = app.openapi()
    ids = [op["operationId"] for path in document["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids)), "operation ids must be unique"
    assert "Problem" in document["components"]["schemas"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for path, item in document["paths"].items():
        standard = next((n for p, n in STANDARD_ERRORS.items() if path.startswith(p)), None)
        for operation in item.values():
            for status, response in operation["responses"].items():
                if not status.startswith("4"):
                    continue
                if standard is None:
                    assert "application/problem+json" in response["content"]
                else:
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": f"#/components/schemas/{standard}"}


# --- the fuzzing ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """The region with its resources, once per backend (``indirect`` parametrisation)."""
    with serve_module(request, request.param, tmp_path_factory.mktemp("fuzz")) as served:
        yield build_world(served)


def _strategy(operation: Any, mode: GenerationMode) -> Any:
    """Generated cases, and as many again with path parameters that name existing resources."""
    known: list[dict[str, Any]] = []
    names = [p.name for p in operation.path_parameters]
    for index in range(2):
        values: dict[str, Any] = {}
        for name in names:
            if name in KNOWN_TEXT:
                values[name] = KNOWN_TEXT[name][index]
            elif name.endswith("_id"):
                values[name] = index + 1
        if values:
            known.append(values)
    generated = operation.as_strategy(generation_mode=mode)
    if not known:
        return generated
    return st.one_of(
        generated, *(operation.as_strategy(generation_mode=mode, path_parameters=k) for k in known)
    )


def _nothing_to_negate(operation: Any) -> bool:
    """Whether no input of ``operation`` can be invalid: no parameters but unconstrained strings
    in the path, and no body or one that takes anything. Hypothesis would search for invalid
    input for up to a second per operation before it gave up (``Unsatisfiable``), and no case
    would come of it."""
    anything = {"type": "string"}
    for parameter in operation.iter_parameters():
        schema = {k: v for k, v in parameter.definition.get("schema", {}).items() if k != "title"}
        if parameter.location.value != "path" or schema != anything:
            return False
    return all(not body.definition.get("schema") for body in operation.body)


#: Every operation with one generation mode and its strategy.
Plan = list[tuple[Any, GenerationMode, Any]]


#: Per document: its operations and their strategies.
_PLANS: dict[str, Plan] = {}
#: The cases of each run, generated by its first backend and sent again by the next one (the
#: same role on another backend): the document is the same, and generating a case costs
#: about as much as sending it. The runs share a worker (the module's ``xdist_group``).
_DRAWN: dict[tuple[str, str], list[Case]] = {}


def _plan(world: World, document: str) -> Plan:
    """The operations of ``world``'s document and their strategies, built once per document and
    shared by every role's run (and by the other backend, which serves the same document):
    Hypothesis validates a strategy and caches what it learns about it (emptiness, recursion)
    once per strategy object instead of once per run. Negative input is generated only where
    some can exist."""
    if document not in _PLANS:
        schema = schemathesis.openapi.from_asgi("/openapi.json", world.served.app)
        _PLANS[document] = [
            (operation, mode, _strategy(operation, mode))
            for operation in (result.ok() for result in schema.get_all_operations())
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
            if mode is GenerationMode.POSITIVE or not _nothing_to_negate(operation)
        ]
    return _PLANS[document]


def _cases(world: World, run: str, select: Callable[[str, str], bool]) -> list[Case]:
    """The cases of ``run``: ``EXAMPLES`` per selected operation, half of them valid."""
    app = world.served.app
    document = hashlib.sha256(json.dumps(app.openapi(), sort_keys=True).encode()).hexdigest()
    key = (run, document)
    if key not in _DRAWN:
        _DRAWN[key] = [
            case
            for operation, _mode, strategy in _plan(world, document)
            if select(operation.method.upper(), operation.path)
            for case in _draw(strategy)
        ]
    return _DRAWN[key]


def _draw(strategy: Any) -> list[Case]:
    drawn: list[Case] = []

    @settings(
        max_examples=EXAMPLES // 2,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def keep(case: Case) -> None:
        drawn.append(case)

    with contextlib.suppress(Unsatisfiable):  # no invalid input exists (no parameters)
        keep()
    return drawn


def fuzz(
    world: World,
    run: str,
    *,
    credential: Callable[[], Credential],
    select: Callable[[str, str], bool],
) -> Sent:
    """Fuzz every selected operation; ``credential()`` gives the headers/cookies of each call."""
    return send_cases(
        _cases(world, run, select),
        world.served.app,
        credential=credential,
        excluded_checks=CHECKS_LEFT_OUT,
    )


ROLES = ("anonymous", "citizen", "staff", "admin")
#: Every role on SQLite; on PostgreSQL the admin, who reaches the most code (and the run is long).
RUNS = [
    *(pytest.param("sqlite", role, id=f"sqlite-{role}") for role in ROLES),
    pytest.param("postgresql", "admin", id="postgresql-admin", marks=pytest.mark.postgres),
]
ON_EACH_BACKEND = [
    pytest.param(backend, id=backend, marks=[pytest.mark.postgres] if backend != "sqlite" else [])
    for backend in BACKENDS
]


def _credential(world: World, role: str) -> Credential:
    region: Region = world.served.region
    if role == "anonymous":
        return Credential()
    if role == "admin":
        return Credential(headers=bearer(new_key(world.served, ["admin"], name="fuzzing admin")))
    email = region.citizen_email if role == "citizen" else region.staff_a_email
    session = login(world.served, email)
    return Credential(headers=session.headers, cookies=session.cookies)


@pytest.mark.parametrize(("world", "role"), RUNS, indirect=["world"])
def test_generated_requests_reach_the_handlers_and_never_break_anything(
    world: World, role: str
) -> None:
    given_credential = _credential(world, role)
    tally = fuzz(
        world,
        role,
        credential=lambda: given_credential,
        select=lambda method, path: (method, path) not in REVOKING,
    )
    print(f"{world.served.backend} {role}: {tally.summary()}")  # shown with -s or -rP
    assert not tally.failures, tally.report()
    assert tally.server_errors == 0, tally.summary()
    assert tally.total >= 100 * EXAMPLES // 2, tally.summary()
    refused = tally.statuses[401] + tally.statuses[403]
    reached = 1 - refused / tally.total
    assert reached >= REACHED, f"only {reached:.0%} reached the handlers: {tally.summary()}"
    # The credential still works: nothing in the run ended it.
    me = world.served.client.get(
        "/api/me", headers=given_credential.headers, cookies=given_credential.cookies
    )
    assert me.status_code == 200, me.text


@pytest.mark.parametrize("world", ON_EACH_BACKEND, indirect=True)
def test_revoking_keys_is_fuzzed_with_a_fresh_key_per_case(world: World) -> None:
    tally = fuzz(
        world,
        "revoking",
        credential=lambda: Credential(
            headers=bearer(new_key(world.served, ["admin"], name="spent"))
        ),
        select=lambda method, path: (method, path) in REVOKING,
    )
    assert not tally.failures, tally.report()
    refused = tally.statuses[401] + tally.statuses[403]
    assert tally.server_errors == 0 and refused == 0, tally.summary()
