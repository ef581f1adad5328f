"""course_lib.runtime (device, seeding, grading budgets, notebook set-up), course_lib.training.loop.train and
course_lib.plotting."""
from __future__ import annotations

import itertools
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
from torch import nn  # noqa: E402

from course_lib.notebook import runtime  # noqa: E402
from course_lib.notebook.plotting import PALETTE, plot_lines, use_course_style  # noqa: E402
from course_lib.notebook.runtime import budget, get_device, is_grading, seed_everything, setup_notebook  # noqa: E402
from course_lib.training.loop import train  # noqa: E402

# Okabe & Ito (2008), "Color Universal Design", written out independently of course_lib
OKABE_ITO = {"#000000", "#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7"}


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


# ------------------------------------------------------------------------------ train
def _regression(seed: int = 0, n: int = 64, scale: float = 1.0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 3, generator=g)
    w_true = torch.tensor([[1.5], [-2.0], [0.5]])
    y = scale * (X @ w_true + 0.3)
    return X, y


def _batches(X, y, batch: int = 16):
    def gen():
        for i in itertools.count():
            j = (i * batch) % len(X)
            yield X[j:j + batch], y[j:j + batch]
    return gen()


def _mse(model, batch):
    x, y = batch
    return ((model(x) - y) ** 2).mean()


class RecordingSGD(torch.optim.SGD):
    """SGD that records the global gradient norm it is asked to step with."""

    def __init__(self, params, lr):
        super().__init__(params, lr=lr)
        self.step_norms: list[float] = []

    def step(self, closure=None):
        grads = [p.grad for group in self.param_groups for p in group["params"] if p.grad is not None]
        self.step_norms.append(float(torch.sqrt(sum((g.double() ** 2).sum() for g in grads))))
        return super().step(closure)


def test_train_lowers_the_loss_and_records_every_step(one_torch_thread):
    torch.manual_seed(0)
    X, y = _regression()
    model = nn.Linear(3, 1)
    history = train(model, torch.optim.SGD(model.parameters(), lr=0.1), _batches(X, y), _mse, 150,
                    progress=False)
    assert set(history) == {"loss", "grad_norm"}
    assert len(history["loss"]) == len(history["grad_norm"]) == 150
    assert all(isinstance(v, float) for v in history["loss"] + history["grad_norm"])
    assert history["loss"][-1] < 1e-3 * history["loss"][0]
    with torch.no_grad():
        assert _mse(model, (X, y)).item() < 1e-3
        torch.testing.assert_close(model.weight, torch.tensor([[1.5, -2.0, 0.5]]), atol=1e-2, rtol=0)
    assert model.training  # train() puts the model in training mode


def test_train_history_matches_an_independent_first_step(one_torch_thread):
    torch.manual_seed(1)
    X, y = _regression(seed=1)
    model = nn.Linear(3, 1)
    twin = nn.Linear(3, 1)
    twin.load_state_dict(model.state_dict())
    first_batch = X[:16], y[:16]
    loss = _mse(twin, first_batch)
    loss.backward()
    norm = torch.sqrt(sum((p.grad ** 2).sum() for p in twin.parameters()))
    history = train(model, torch.optim.SGD(model.parameters(), lr=0.05), _batches(X, y), _mse, 3,
                    progress=False)
    assert history["loss"][0] == pytest.approx(loss.item(), rel=1e-6)
    assert history["grad_norm"][0] == pytest.approx(norm.item(), rel=1e-5)
    assert history["loss"][1] != history["loss"][0]  # the optimizer stepped


def test_train_steps_the_scheduler_once_per_optimizer_step(one_torch_thread):
    torch.manual_seed(3)
    X, y = _regression(seed=3)
    model = nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    train(model, opt, _batches(X, y), _mse, 4, scheduler=scheduler, progress=False)
    assert scheduler.last_epoch == 4 and opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5 ** 4)


def test_train_clips_gradients_before_the_optimizer_step(one_torch_thread):
    torch.manual_seed(2)
    X, y = _regression(seed=2, scale=20.0)  # large targets: large gradients
    model = nn.Linear(3, 1)
    opt = RecordingSGD(model.parameters(), lr=0.01)
    history = train(model, opt, _batches(X, y), _mse, 40, max_grad_norm=0.5, progress=False)
    assert len(opt.step_norms) == 40
    assert max(opt.step_norms) <= 0.5 + 1e-5
    # clipping really happened, and the history holds the norms *before* clipping
    assert min(history["grad_norm"]) > 0.5
    assert opt.step_norms == pytest.approx([0.5] * 40, rel=1e-4)


def test_train_without_clipping_passes_gradients_unchanged(one_torch_thread):
    torch.manual_seed(2)
    X, y = _regression(seed=2, scale=20.0)
    model = nn.Linear(3, 1)
    opt = RecordingSGD(model.parameters(), lr=0.001)
    history = train(model, opt, _batches(X, y), _mse, 10, progress=False)
    assert opt.step_norms == pytest.approx(history["grad_norm"], rel=1e-5)
    assert max(history["grad_norm"]) > 0.5


def test_train_clipping_leaves_small_gradients_alone(one_torch_thread):
    torch.manual_seed(3)
    X, y = _regression(seed=3, scale=0.01)
    model = nn.Linear(3, 1)
    with torch.no_grad():
        model.weight.zero_()
        model.bias.zero_()
    opt = RecordingSGD(model.parameters(), lr=0.01)
    history = train(model, opt, _batches(X, y), _mse, 5, max_grad_norm=100.0, progress=False)
    assert opt.step_norms == pytest.approx(history["grad_norm"], rel=1e-5)


def test_train_skips_parameters_without_gradient(one_torch_thread):
    torch.manual_seed(4)
    X, y = _regression(seed=4)
    model = nn.ModuleDict({"used": nn.Linear(3, 1), "unused": nn.Linear(3, 1)})
    unused_before = model["unused"].weight.detach().clone()
    history = train(model, torch.optim.SGD(model.parameters(), lr=0.1), _batches(X, y),
                    lambda m, b: _mse(m["used"], b), 20, max_grad_norm=1.0, progress=False)
    assert history["loss"][-1] < history["loss"][0]
    assert torch.equal(model["unused"].weight, unused_before)
    assert model["unused"].weight.grad is None


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_train_stops_when_the_loss_is_not_finite(capsys, bad, one_torch_thread):
    torch.manual_seed(5)
    X, y = _regression(seed=5)
    model = nn.Linear(3, 1)
    opt = RecordingSGD(model.parameters(), lr=0.01)
    calls = []

    def loss_fn(m, batch):
        calls.append(1)
        loss = _mse(m, batch)
        return loss * bad if len(calls) == 3 else loss

    history = train(model, opt, _batches(X, y), loss_fn, 50, desc="day01 training", progress=False)
    assert len(calls) == 3
    assert len(history["loss"]) == len(history["grad_norm"]) == 3
    assert not np.isfinite(history["loss"][-1])
    assert len(opt.step_norms) == 2  # no step with the broken gradients
    assert all(torch.isfinite(p.detach()).all() for p in model.parameters())
    out, err = capsys.readouterr()
    assert f"day01 training: loss became {bad} at step 3; stopped." in out
    assert err == ""


@pytest.mark.parametrize("steps", [0, -3])
def test_train_rejects_steps_below_one(steps):
    model = nn.Linear(3, 1)
    with pytest.raises(ValueError, match=re.escape(f"steps must be >= 1, got {steps}")):
        train(model, torch.optim.SGD(model.parameters(), lr=0.1), iter([]), _mse, steps, progress=False)


def test_train_rejects_non_scalar_losses(one_torch_thread):
    X, y = _regression()
    model = nn.Linear(3, 1)
    with pytest.raises(ValueError, match=re.escape("loss_fn must return a scalar, got shape (16, 1)")):
        train(model, torch.optim.SGD(model.parameters(), lr=0.1), _batches(X, y),
              lambda m, b: (m(b[0]) - b[1]) ** 2, 5, progress=False)


def test_train_progress_bar_goes_to_stdout_and_is_off_while_grading(monkeypatch, capsys, one_torch_thread):
    X, y = _regression()
    model = nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    train(model, opt, _batches(X, y), _mse, 3, desc="visible bar", progress=True)
    out, err = capsys.readouterr()
    assert "visible bar" in out and err == ""  # nbgrader fails a test cell that writes to stderr
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    train(model, opt, _batches(X, y), _mse, 3, desc="hidden bar")  # progress=None: off while grading
    assert capsys.readouterr() == ("", "")


# ------------------------------------------------------------------------------ plotting
def test_palette_is_okabe_ito():
    assert len(PALETTE) == 8 and len(set(PALETTE)) == 8
    assert {to_hex(c) for c in PALETTE} == OKABE_ITO


def test_use_course_style_sets_the_colour_cycle(clean_mpl):
    mpl.rcParams.update(mpl.rcParamsDefault)
    use_course_style()
    colors = [to_hex(c) for c in mpl.rcParams["axes.prop_cycle"].by_key()["color"]]
    assert colors == [to_hex(c) for c in PALETTE]
    assert set(colors) == OKABE_ITO
    fig, ax = plt.subplots()
    lines = [ax.plot([0, 1], [i, i])[0] for i in range(9)]
    assert [to_hex(line.get_color()) for line in lines] == colors + colors[:1]  # new figures use it
    assert mpl.rcParams["axes.grid"] is True


def test_plot_lines_draws_one_line_per_series(clean_mpl):
    fig, ax = plt.subplots()
    x = np.arange(5)
    series = {"radius 0.5": x * 0.5, "radius 1.0": [1.0] * 5, "radius 2.5": x ** 2.5}
    returned = plot_lines(ax, x, series, xlabel="distance", ylabel="norm", title="gradients", logy=True)
    assert returned is ax
    lines = ax.get_lines()
    assert len(lines) == 3
    assert [line.get_label() for line in lines] == list(series)
    for line, y in zip(lines, series.values()):
        np.testing.assert_array_equal(line.get_xdata(), x)
        np.testing.assert_allclose(line.get_ydata(), np.asarray(y, dtype=float))
    assert len({to_hex(line.get_color()) for line in lines}) == 3
    assert len({line.get_linestyle() for line in lines}) == 3  # apart in greyscale too
    assert ax.get_yscale() == "log"
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("distance", "norm", "gradients")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(series)


def test_plot_lines_empty_series_has_no_legend(clean_mpl):
    fig, ax = plt.subplots()
    plot_lines(ax, [0, 1], {})
    assert ax.get_lines() == [] and ax.get_legend() is None
    assert ax.get_yscale() == "linear"


def test_plot_lines_rejects_length_mismatch(clean_mpl):
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match=re.escape("series 'short' has shape (3,), expected (4,)")):
        plot_lines(ax, [0, 1, 2, 3], {"ok": [1, 2, 3, 4], "short": [1, 2, 3]})






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


def test_plot_attention_labels_and_shape_check():
    from course_lib.notebook.plotting import plot_attention
    fig, ax = plt.subplots()
    w = np.array([[0.9, 0.1, 0.0], [0.0, 0.2, 0.8]])
    plot_attention(ax, w, list("a b"), ["x", "y"], title="map")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "␣", "b"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x", "y"]
    assert np.array_equal(ax.images[0].get_array(), w) and ax.get_title() == "map"
    with pytest.raises(ValueError, match=r"expected \(len\(target\), len\(source\)\) = \(3, 3\)"):
        plot_attention(ax, w, list("abc"), list("xyz"))
    plt.close(fig)
