"""Run-time budget of each solution notebook executed by nbval: printed at the end of the run, and
the run fails if a notebook takes longer than its budget on this machine. And the order in which xdist hands
out test files: the longest first (see HEAVY_FIRST)."""
from __future__ import annotations

from collections import defaultdict

import pytest

NOTEBOOK_BUDGET_S = 120.0
_times: dict[str, float] = defaultdict(float)

# With `--dist loadfile` a test file runs whole on one worker, and xdist hands files out in collection order
# (`--no-loadscope-reorder` in pyproject.toml; its default order is "most tests first"). Longest first keeps
# both cores busy to the end: these files take minutes each (the class and the pipeline 5-8 min, the bank and
# each solution notebook 0.5-2 min); the many short files fill in behind them.
HEAVY_FIRST = ("tests/course_tools/grader/test_synthetic_class.py", "tests/course/test_grading_pipeline.py",
               "tests/course/test_bugbank.py", "solutions/", "tests/course/test_bundle.py")


def _heaviness(item: pytest.Item) -> int:
    path = item.nodeid.split("::")[0]
    return next((i for i, prefix in enumerate(HEAVY_FIRST) if path.startswith(prefix)), len(HEAVY_FIRST))


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=_heaviness)  # stable: each file keeps its own order


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
