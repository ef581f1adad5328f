"""course_lib.notebook.runtime: device choice (COURSE_DEVICE), seeding every generator, the grading budget and
setup_notebook (warnings to stdout, seed, style, banner, one thread, no global change left behind)."""
from __future__ import annotations

import random
import re
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib as mpl  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from course_lib.notebook import runtime  # noqa: E402
from course_lib.notebook.plotting import PALETTE  # noqa: E402
from course_lib.notebook.runtime import budget, get_device, is_grading, seed_everything, setup_notebook  # noqa: E402


@pytest.fixture
def clean_mpl():
    """Restore matplotlib's global settings and close every figure after the test."""
    with mpl.rc_context():
        yield
    plt.close("all")


# ------------------------------------------------------------------------------ get_device
def test_get_device_default(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    want = "cuda" if torch.cuda.is_available() else "cpu"
    assert get_device() == torch.device(want)


@pytest.mark.parametrize("value", ["cpu", " cpu ", "cpu\n"])
def test_get_device_honours_course_device(monkeypatch, value):
    monkeypatch.setenv("COURSE_DEVICE", value)
    device = get_device()
    assert isinstance(device, torch.device) and device == torch.device("cpu")


def test_get_device_empty_variable_means_default(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "  ")
    assert get_device() == torch.device("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.parametrize("value", ["nonsense", "gpu", "cuda:x"])
def test_get_device_rejects_nonsense(monkeypatch, value):
    monkeypatch.setenv("COURSE_DEVICE", value)
    with pytest.raises(ValueError, match=re.escape(f"COURSE_DEVICE={value!r} is not a device name")):
        get_device()


@pytest.mark.parametrize("value", ["cuda", "cuda:0", "cuda:1"])
def test_get_device_rejects_cuda_without_cuda(monkeypatch, value):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    monkeypatch.setenv("COURSE_DEVICE", value)
    with pytest.raises(ValueError, match=re.escape(f"COURSE_DEVICE={value!r} but this machine has no CUDA device")):
        get_device()


# ------------------------------------------------------------------------------ seed_everything
def _draws() -> tuple:
    return random.random(), np.random.rand(3).tolist(), torch.rand(3).tolist(), torch.randint(0, 10**6, (2,)).tolist()


def test_seed_everything_repeats_all_generators():
    seed_everything(123)
    first = _draws()
    seed_everything(123)
    assert _draws() == first
    seed_everything(124)
    other = _draws()
    for a, b in zip(first, other):  # every generator was reseeded, not just one
        assert a != b


def test_seed_everything_default_is_zero():
    seed_everything()
    a = _draws()
    seed_everything(0)
    assert _draws() == a


@pytest.mark.parametrize("bad", [-1, 1.5, "0", None])
def test_seed_everything_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match=re.escape(f"seed must be a non-negative int, got {bad!r}")):
        seed_everything(bad)


# ------------------------------------------------------------------------------ grading mode
def test_is_grading_and_budget_follow_nbgrader_execution(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert is_grading() is False
    assert budget(500, 20) == 500
    for value in ("autograde", "validate", "1"):
        monkeypatch.setenv("NBGRADER_EXECUTION", value)
        assert is_grading() is True
        assert budget(500, 20) == 20
    monkeypatch.setenv("NBGRADER_EXECUTION", "")
    assert is_grading() is False
    assert budget(500, 20) == 500


@pytest.mark.parametrize("full,grading", [(0, 5), (5, 0), (-1, -1)])
def test_budget_rejects_non_positive(full, grading):
    with pytest.raises(ValueError, match=re.escape(f"budgets must be >= 1, got full={full}, grading={grading}")):
        budget(full, grading)


# ------------------------------------------------------------------------------ setup_notebook
def test_setup_notebook_sends_warnings_to_stdout(monkeypatch, capsys, clean_mpl):
    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)  # restored after the test
    device = setup_notebook(seed=3, quiet=True)
    assert device == get_device()
    assert capsys.readouterr().out == ""  # quiet
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("learning rate looks large", UserWarning)
        warnings.warn("old API", DeprecationWarning)
    out, err = capsys.readouterr()
    assert err == ""
    assert "UserWarning: learning rate looks large" in out
    assert "DeprecationWarning: old API" in out


def test_setup_notebook_seeds_and_styles(monkeypatch, capsys, clean_mpl):
    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)
    mpl.rcParams["axes.prop_cycle"] = mpl.cycler(color=["#123456"])
    setup_notebook(seed=7, quiet=True)
    after_setup = _draws()
    seed_everything(7)
    assert after_setup == _draws()
    colors = [to_hex(c) for c in mpl.rcParams["axes.prop_cycle"].by_key()["color"]]
    assert colors == [to_hex(c) for c in PALETTE]


def test_setup_notebook_banner(monkeypatch, capsys, clean_mpl):
    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    setup_notebook(seed=5)
    out, err = capsys.readouterr()
    assert err == ""
    assert out == f"torch {torch.__version__} | device: cpu | seed: 5 | mode: full\n"
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    setup_notebook(seed=5)
    assert "mode: grading (short training budgets)" in capsys.readouterr().out


def test_setup_notebook_leaves_no_global_change_behind(monkeypatch, clean_mpl):
    # guards the fixtures above: after a test that ran setup_notebook, showwarning is the original again
    original = warnings.showwarning
    with monkeypatch.context() as m:
        m.setattr(warnings, "showwarning", warnings.showwarning)
        setup_notebook(quiet=True)
        assert warnings.showwarning is runtime._warning_to_stdout
    assert warnings.showwarning is original


def test_setup_notebook_uses_one_thread_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    import warnings

    from course_lib.notebook.runtime import setup_notebook

    before = torch.get_num_threads()
    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)
    try:
        monkeypatch.delenv("COURSE_THREADS", raising=False)
        setup_notebook(quiet=True)
        assert torch.get_num_threads() == 1
        monkeypatch.setenv("COURSE_THREADS", "2")
        setup_notebook(quiet=True)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
