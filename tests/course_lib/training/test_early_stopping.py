"""course_lib.training.loop.train with evaluate=: evaluates every eval_every steps and after the last, records
the validation curve and the best step, stops after `patience` evaluations without improvement, restores
the best weights (or keeps the last with restore_best=False), honours mode="min", evaluates in eval mode
without gradients, rejects bad settings, and leaves the history unchanged without evaluate."""
from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

from course_lib.training.loop import train


def _setup(seed=0):
    torch.manual_seed(seed)
    model = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(0.0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    batches = itertools.repeat(torch.ones(1))
    return model, opt, batches


def _loss(model, x):          # pulls the weight towards 1 step by step
    return ((model(x) - 1.0) ** 2).mean()


def test_without_evaluate_the_history_is_unchanged():
    model, opt, batches = _setup()
    history = train(model, opt, batches, _loss, 5, progress=False)
    assert set(history) == {"loss", "grad_norm"}


def test_evaluates_every_eval_every_steps_and_after_the_last():
    model, opt, batches = _setup()
    history = train(model, opt, batches, _loss, 10, progress=False, evaluate=lambda m: m.weight.item(), eval_every=4)
    assert history["eval_step"] == [4, 8, 10]
    assert history["best_step"] == 10 and history["stopped_step"] == 10
    assert history["eval"] == sorted(history["eval"])


def test_patience_stops_and_restores_the_best_weights():
    model, opt, batches = _setup()
    # the metric peaks at the 3rd evaluation (step 3), then falls
    score = {1: 0.1, 2: 0.5, 3: 0.9, 4: 0.4, 5: 0.3, 6: 0.8, 7: 0.95}
    weights = {}

    def evaluate(m):
        step = len(weights) + 1
        weights[step] = m.weight.item()
        return score[step]

    history = train(model, opt, batches, _loss, 7, progress=False, evaluate=evaluate, eval_every=1, patience=2)
    assert history["stopped_step"] == 5 and len(history["loss"]) == 5
    assert history["best_step"] == 3 and history["best_value"] == 0.9
    assert model.weight.item() == weights[3]


def test_restore_best_false_keeps_the_last_weights_and_returns_the_best_state():
    model, opt, batches = _setup()
    values = iter([3.0, 1.0, 2.0])
    history = train(model, opt, batches, _loss, 3, progress=False, evaluate=lambda m: next(values), eval_every=1,
                    restore_best=False)
    assert history["best_step"] == 1
    last = model.weight.item()
    model.load_state_dict(history["best_state"])
    assert model.weight.item() != last


def test_mode_min_picks_the_lowest_and_ties_keep_the_first():
    model, opt, batches = _setup()
    values = iter([2.0, 1.0, 1.0, 3.0])
    history = train(model, opt, batches, _loss, 4, progress=False, evaluate=lambda m: next(values), eval_every=1,
                    mode="min")
    assert history["best_step"] == 2 and history["best_value"] == 1.0


def test_evaluate_runs_in_eval_mode_without_gradients_and_training_resumes():
    model, opt, batches = _setup()
    seen = []
    train(model, opt, batches, lambda m, x: seen.append(("train", m.training)) or _loss(m, x), 2, progress=False,
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
    model, opt, batches = _setup()
    with pytest.raises(ValueError, match=match):
        train(model, opt, batches, _loss, 3, progress=False, **kwargs)
