"""Schemathesis cases generated once per test process and sent to every app that serves the
same OpenAPI document (each backend's app, each credential).

Generating a case costs about as much as sending it: schemathesis' examples, coverage and
fuzzing phases draw thousands of requests through Hypothesis. The tests that fuzz one
document on both backends therefore generate the cases once (with the Hypothesis tests that
schemathesis' pytest plugin builds, so the phases, settings and cases are the plugin's) and
send the same cases to each app. The tests of one file share a pytest-xdist worker
(``pytest.mark.xdist_group``) so that the second one finds the first one's cases.

A failure names the operation, the phase and the generation mode, and carries schemathesis'
report with a curl command that sends the same request again; every failing case is listed
(nothing is shrunk: the generated case itself is the reproduction).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import schemathesis
from fastapi import FastAPI
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.case import Case
from schemathesis.pytest.lazy import get_all_tests
from schemathesis.python import asgi
from schemathesis.schemas import BaseSchema

from tests.support.web import bearer

#: How many failing cases an assertion message spells out (the rest are counted).
SHOWN_FAILURES = 10


@dataclass(frozen=True)
class Generated:
    """The cases of one document and filter, in the order schemathesis' plugin runs them
    (per operation: examples, coverage, then fuzzing)."""

    cases: tuple[Case, ...]
    seed: int

    def counts(self) -> Counter[str]:
        """Cases per phase and generation mode (``coverage/negative`` …)."""
        return Counter(_kind(case) for case in self.cases)


_GENERATED: dict[tuple[str, str, str], Generated] = {}


def generated_cases(app: FastAPI, *, path_regex: str, settings: hypothesis.settings) -> Generated:
    """The cases for the operations of ``app``'s document whose path matches ``path_regex``,
    generated on the first call for this document and reused by every later one."""
    document = json.dumps(app.openapi(), sort_keys=True)
    key = (hashlib.sha256(document.encode()).hexdigest(), path_regex, repr(settings))
    if key not in _GENERATED:
        schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex=path_regex)
        _GENERATED[key] = Generated(tuple(_record(schema, settings)), schema.config.seed)
    return _GENERATED[key]


def _record(schema: BaseSchema, settings: hypothesis.settings) -> list[Case]:
    """Run the plugin's Hypothesis test of each operation with a body that keeps the case."""
    cases: list[Case] = []

    def keep(case: Case) -> None:
        cases.append(case)

    for result in get_all_tests(schema=schema, test_func=keep, settings=settings, given_kwargs={}):
        _operation, test = result.ok()  # a broken operation definition raises here
        test()
    return cases


@dataclass
class Sent:
    """What the cases sent to one app got back."""

    statuses: Counter[int] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def summary(self) -> str:
        kinds = " ".join(f"{kind}={n}" for kind, n in sorted(self.kinds.items()))
        return f"{self.total} cases ({kinds}), statuses {dict(sorted(self.statuses.items()))}"

    def report(self) -> str:
        """The summary and the failing cases, for an assertion message."""
        shown = self.failures[:SHOWN_FAILURES]
        more = len(self.failures) - len(shown)
        return "\n\n".join(
            [self.summary(), *shown, *([f"… and {more} more failing cases"] if more else [])]
        )


@dataclass(frozen=True)
class Credential:
    """What a request carries on top of the case's own headers and cookies."""

    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)


def send_cases(
    cases: Iterable[Case],
    app: Callable[..., Any],
    *,
    credential: Callable[[], Credential] = Credential,
    excluded_checks: Sequence[Any] = (),
    sent: Sent | None = None,
) -> Sent:
    """Send each case to ``app`` with ``credential()`` and run schemathesis' checks on each
    answer; a failing case is noted (in ``sent``, or a new tally), and the next one sent."""
    sent = Sent() if sent is None else sent
    with asgi.get_client(app) as client:
        client.trust_env = False  # no proxy or .netrc look-up in the environment per request
        for case in cases:
            given = credential()
            client.cookies.clear()
            client.cookies.update(given.cookies)
            headers = given.headers or None
            try:
                response = case.call(session=client, headers=headers, app=app)
                sent.statuses[response.status_code] += 1
                sent.kinds[_kind(case)] += 1
                case.validate_response(
                    response,
                    excluded_checks=list(excluded_checks),
                    headers=headers,
                    transport_kwargs={"session": client, "headers": headers, "app": app},
                )
            except FailureGroup as exc:
                sent.failures.append(f"{_label(case)}: {exc.message}")
            except Exception as exc:  # the app raised: schemathesis notes how to send it again
                notes = "\n".join(getattr(exc, "__notes__", []))
                sent.failures.append(f"{_label(case)}: {exc!r}\n{notes}")
    return sent


def _kind(case: Case) -> str:
    meta = case.meta
    if meta is None:
        return "explicit"
    return f"{meta.phase.name.value}/{meta.generation.mode.value}"


def _label(case: Case) -> str:
    return f"{case.operation.label} ({_kind(case)})"


def fuzz_with_key(
    app: FastAPI, *, path_regex: str, max_examples: int, key: str, at_least: int
) -> None:
    """Send the generated cases of the operations under ``path_regex`` (``max_examples`` per
    operation in the fuzzing phase) with API key ``key``: no failure, every case sent, and at
    least ``at_least`` of them (a filter that matched fewer operations would show here)."""
    settings = hypothesis.settings(
        max_examples=max_examples,
        deadline=None,
        database=None,  # no example database: a clean checkout has none to replay
        suppress_health_check=[
            hypothesis.HealthCheck.too_slow,
            hypothesis.HealthCheck.filter_too_much,
            hypothesis.HealthCheck.function_scoped_fixture,
        ],
    )
    generated = generated_cases(app, path_regex=path_regex, settings=settings)
    sent = send_cases(
        generated.cases,
        app,
        credential=lambda: Credential(headers=bearer(key)),
        excluded_checks=[schemathesis.checks.positive_data_acceptance],
    )
    print(f"schemathesis seed {generated.seed}: {sent.summary()}")  # shown with -s or -rP
    assert not sent.failures, sent.report()
    assert sent.total == len(generated.cases) >= at_least, sent.summary()
