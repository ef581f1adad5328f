"""Fixtures shared by every test (shared paths and helpers are in tests/support)."""
from __future__ import annotations

import pytest


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
