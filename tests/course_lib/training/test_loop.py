"""course_lib.training.loop.train: lowers the loss, records every step, steps the scheduler once per optimizer
step, clips before the step, stops on a non-finite loss, rejects bad arguments, and keeps the progress bar on
stdout and off while grading. With evaluate=, early stopping: evaluates every eval_every steps and after the last,
records the validation curve and the best step, stops after `patience` evaluations without improvement, restores
the best weights (or keeps the last with restore_best=False), honours mode="min", evaluates in eval mode without
gradients, rejects bad settings, and leaves the history unchanged without evaluate."""
from __future__ import annotations

import itertools
import re

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from course_lib.training.loop import train  # noqa: E402


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


@pytest.mark.parametrize("max_grad_norm", [None, 1.0])
def test_train_refuses_clearly_when_no_parameter_received_a_gradient(max_grad_norm, one_torch_thread):
    X, y = _regression(seed=6)
    model = nn.Linear(3, 1)
    outside = torch.zeros(1, requires_grad=True)           # the loss depends on this, not on the model
    with pytest.raises(ValueError, match="no parameter of the model received a gradient at step 1"):
        train(model, torch.optim.SGD(model.parameters(), lr=0.1), _batches(X, y),
              lambda m, b: (outside - 1.0).pow(2).sum(), 5, max_grad_norm=max_grad_norm, progress=False)


def test_train_refuses_clearly_when_the_batches_run_out_before_the_requested_steps(one_torch_thread):
    X, y = _regression(seed=7, n=32)
    model = nn.Linear(3, 1)
    finite = [(X[i: i + 16], y[i: i + 16]) for i in (0, 16)]  # 2 batches, 5 steps asked for
    with pytest.raises(ValueError, match=r"the batches ran out after 2 of 5 steps"):
        train(model, torch.optim.SGD(model.parameters(), lr=0.1), iter(finite), _mse, 5, progress=False)


# ------------------------------------------------------------------------------ early stopping (evaluate=)
def _es_setup(seed=0):
    torch.manual_seed(seed)
    model = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(0.0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    batches = itertools.repeat(torch.ones(1))
    return model, opt, batches


def _es_loss(model, x):          # pulls the weight towards 1 step by step
    return ((model(x) - 1.0) ** 2).mean()


def test_without_evaluate_the_history_is_unchanged():
    model, opt, batches = _es_setup()
    history = train(model, opt, batches, _es_loss, 5, progress=False)
    assert set(history) == {"loss", "grad_norm"}


def test_evaluates_every_eval_every_steps_and_after_the_last():
    model, opt, batches = _es_setup()
    history = train(model, opt, batches, _es_loss, 10, progress=False, evaluate=lambda m: m.weight.item(), eval_every=4)
    assert history["eval_step"] == [4, 8, 10]
    assert history["best_step"] == 10 and history["stopped_step"] == 10
    assert history["eval"] == sorted(history["eval"])


def test_patience_stops_and_restores_the_best_weights():
    model, opt, batches = _es_setup()
    # the metric peaks at the 3rd evaluation (step 3), then falls
    score = {1: 0.1, 2: 0.5, 3: 0.9, 4: 0.4, 5: 0.3, 6: 0.8, 7: 0.95}
    weights = {}

    def evaluate(m):
        step = len(weights) + 1
        weights[step] = m.weight.item()
        return score[step]

    history = train(model, opt, batches, _es_loss, 7, progress=False, evaluate=evaluate, eval_every=1, patience=2)
    assert history["stopped_step"] == 5 and len(history["loss"]) == 5
    assert history["best_step"] == 3 and history["best_value"] == 0.9
    assert model.weight.item() == weights[3]


def test_restore_best_false_keeps_the_last_weights_and_returns_the_best_state():
    model, opt, batches = _es_setup()
    values = iter([3.0, 1.0, 2.0])
    history = train(model, opt, batches, _es_loss, 3, progress=False, evaluate=lambda m: next(values), eval_every=1,
                    restore_best=False)
    assert history["best_step"] == 1
    last = model.weight.item()
    model.load_state_dict(history["best_state"])
    assert model.weight.item() != last


def test_mode_min_picks_the_lowest_and_ties_keep_the_first():
    model, opt, batches = _es_setup()
    values = iter([2.0, 1.0, 1.0, 3.0])
    history = train(model, opt, batches, _es_loss, 4, progress=False, evaluate=lambda m: next(values), eval_every=1,
                    mode="min")
    assert history["best_step"] == 2 and history["best_value"] == 1.0


def test_evaluate_runs_in_eval_mode_without_gradients_and_training_resumes():
    model, opt, batches = _es_setup()
    seen = []
    train(model, opt, batches, lambda m, x: seen.append(("train", m.training)) or _es_loss(m, x), 2, progress=False,
          evaluate=lambda m: seen.append(("eval", m.training, torch.is_grad_enabled())) or 0.0, eval_every=1)
    assert seen == [("train", True), ("eval", False, False), ("train", True), ("eval", False, False)]


@pytest.mark.parametrize("kwargs,match", [
    (dict(evaluate=lambda m: 0.0, eval_every=0), "eval_every must be an integer >= 1"),
    (dict(evaluate=lambda m: 0.0, patience=0), "patience must be None or an integer >= 1"),
    (dict(evaluate=lambda m: 0.0, mode="best"), "mode must be 'max' or 'min'"),
    (dict(patience=3), "patience needs an evaluate= callable"),
    (dict(evaluate=lambda m: float("nan")), "finite number"),
])
def test_bad_settings_raise(kwargs, match):
    model, opt, batches = _es_setup()
    with pytest.raises(ValueError, match=match):
        train(model, opt, batches, _es_loss, 3, progress=False, **kwargs)
