"""Shared fixtures: where the course is, which days exist, and a clean environment for nbgrader."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from course_tools.build import days  # noqa: E402

DAYS = days(ROOT)


@pytest.fixture(autouse=True)
def _no_grading_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests decide themselves whether they run as under nbgrader."""
    for var in ("NBGRADER_EXECUTION", "COURSE_GRADEBOOK", "COURSE_EXCHANGE", "COURSE_DEVICE"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def one_torch_thread():
    """Tiny tensors: on a busy 2-core machine torch's thread pool makes each op take milliseconds."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def nbgrader_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("NBGRADER_EXECUTION", "COURSE_GRADEBOOK", "COURSE_EXCHANGE")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env
