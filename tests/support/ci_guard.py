"""A pytest plugin for CI (``ALLMENDE_CI=1``): every test runs, so any skip fails the run.

``missing()`` already fails where a binary is missing; this catches every other skip too (a
``pytest.skip`` inside a backend-parametrised test, an ``importorskip``, a skipping mark), so
that no test silently stops running. Tests that only make sense on one backend are
parametrised for it instead of skipping on the other.
"""

from __future__ import annotations

import os
from typing import Any

import pytest


def _in_ci() -> bool:
    return bool(os.environ.get("ALLMENDE_CI"))


def _reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    return str(longrepr[-1]) if isinstance(longrepr, tuple) else str(longrepr)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if _in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        report.longrepr = f"CI runs every test, but this one skipped: {_reason(report)}"
        report.outcome = "failed"
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Any:
    report = yield
    if _in_ci() and report.skipped:
        report.longrepr = f"CI runs every test, but {collector.nodeid} skipped: {_reason(report)}"
        report.outcome = "failed"
    return report
