"""What the property and fuzz tests generate and what they cost: cases per test and mode, and
the CPU time of each file's run. Run it before and after a change to a fuzz test: the counts
must stay the same or grow (issue 11: CI under 10 minutes with nothing less tested).

    python bench/fuzz_cases.py                      # every fuzz file, both backends
    python bench/fuzz_cases.py tests/web/test_openapi.py -k sqlite-admin

Each file runs alone in a pytest process (``-n 0``). Schemathesis cases are counted as they
are sent, by phase (coverage, fuzzing, examples) and generation mode (positive, negative);
plain Hypothesis tests by their passing examples. The CPU time (user + sys, the app's threads
included) is the figure to compare: wall time on a shared machine says little.
"""

from __future__ import annotations

import os
import platform
import re
import resource
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FILES = [
    "tests/modules/assets/test_api_fuzz.py",
    "tests/web/test_openapi.py",
    "tests/standards/test_openapi.py",
    "tests/modules/water/test_api_fuzz.py",
    "tests/modules/participation/test_fuzz.py",
    "tests/standards/ogcapi_features/test_hypothesis.py",
    "tests/standards/open311/test_hypothesis.py",
]
PREFIX = "FUZZ-CASES "
#: Cases sent per test, by (phase, mode); filled when this module runs as a pytest plugin.
SENT: defaultdict[str, Counter[tuple[str, str]]] = defaultdict(Counter)


def _count_sent_cases() -> None:
    """Count every schemathesis case sent, under the test that sends it."""
    from schemathesis.generation.case import Case

    send = Case.call

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        test = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" ", 1)[0]
        meta = self._meta
        phase = meta.phase.name.value if meta else "?"
        mode = meta.generation.mode.value if meta else "?"
        SENT[re.sub(r"\]\[.*\]$", "]", test)][(phase, mode)] += 1
        return send(self, *args, **kwargs)

    Case.call = call  # type: ignore[method-assign]


def pytest_configure() -> None:
    _count_sent_cases()


def pytest_terminal_summary(terminalreporter: object) -> None:
    for test, counts in sorted(SENT.items()):
        parts = " ".join(f"{phase}/{mode}={n}" for (phase, mode), n in sorted(counts.items()))
        print(f"{PREFIX}{test} total={sum(counts.values())} {parts}")


def run(file: str, extra: list[str]) -> None:
    command = [
        sys.executable,
        *("-m", "pytest", "-p", "no:cacheprovider", "-p", "fuzz_cases", "-n", "0", "-q"),
        *("-rP", "--hypothesis-show-statistics", file, *extra),
    ]
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'bench'}{os.pathsep}{ROOT / 'src'}"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = done.stdout.splitlines()
    print(f"{file}: {cpu:.1f} s CPU, {wall:.1f} s wall, exit {done.returncode}")
    for line in lines:
        if line.startswith(PREFIX):
            print("  " + line.removeprefix(PREFIX))
        elif re.match(r"^(sqlite|postgresql) \w+: \d+ cases", line):  # tests/web's tally
            print("  " + line)
    test = None
    for line in lines:  # plain Hypothesis tests: passing examples per test
        if line.startswith("tests/") and line.endswith(":") and "][" not in line:
            test = line[:-1]
        elif test and (found := re.search(r"- (\d+) passing examples", line)):
            print(f"  {test} examples={found.group(1)}")
            test = None
    if done.returncode:
        print("\n".join(lines[-20:]))


def main() -> None:
    files = [a for a in sys.argv[1:] if a.endswith(".py")] or FILES
    extra = [a for a in sys.argv[1:] if not a.endswith(".py")]
    print(f"{platform.node()}: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    for file in files:
        run(file, extra)


if __name__ == "__main__":
    main()
