"""Run-time budget of each solution notebook executed by nbval: printed at the end of the run, and
the run fails if a notebook takes longer than its budget on this machine."""
from __future__ import annotations

from collections import defaultdict

import pytest

NOTEBOOK_BUDGET_S = 120.0
_times: dict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _times[path] += report.duration


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if not _times:
        return
    terminalreporter.section("solution notebook run times")
    for path, seconds in sorted(_times.items()):
        verdict = "ok" if seconds <= NOTEBOOK_BUDGET_S else f"OVER the {NOTEBOOK_BUDGET_S:.0f} s budget"
        terminalreporter.write_line(f"{seconds:7.1f} s  {path}  {verdict}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if any(seconds > NOTEBOOK_BUDGET_S for seconds in _times.values()) and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
