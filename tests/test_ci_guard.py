"""In CI (``ALLMENDE_CI=1``) no test may skip: ``tests.support.ci_guard`` turns every skip into a
failure, also one inside a test or of a whole module; elsewhere a skip stays a skip."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.unit

SKIPPING = """
import pytest

def test_skips_inside():
    pytest.skip("not here")

@pytest.mark.skip(reason="never")
def test_marked():
    pass

@pytest.mark.xfail(reason="known", strict=True)
def test_expected_to_fail():
    assert False
"""


def _run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: bool):  # type: ignore[no-untyped-def]
    if ci:
        monkeypatch.setenv("ALLMENDE_CI", "1")
    else:
        monkeypatch.delenv("ALLMENDE_CI", raising=False)
    pytester.makepyfile(test_skipping=SKIPPING)
    pytester.makepyfile(test_module_skip='import pytest\npytest.importorskip("no_such_package")\n')
    # In this process, without the plugins these files do not need: quick.
    return pytester.runpytest_inprocess(
        "-p",
        "tests.support.ci_guard",
        "--continue-on-collection-errors",
        *(f"-pno:{plugin}" for plugin in ("xdist", "schemathesis", "hypothesispytest", "anyio")),
    )


def test_in_ci_every_skip_fails(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _run(pytester, monkeypatch, ci=True)
    result.assert_outcomes(failed=1, errors=2, xfailed=1)  # a skip mark fails in the setup
    result.stdout.fnmatch_lines(["*CI runs every test, but this one skipped: *not here*"])
    result.stdout.fnmatch_lines(["*CI runs every test, but test_module_skip.py skipped*"])


def test_elsewhere_a_skip_is_a_skip(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _run(pytester, monkeypatch, ci=False)
    result.assert_outcomes(skipped=3, xfailed=1)
