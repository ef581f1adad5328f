"""The course's training loop: steps, optional gradient clipping, a progress bar and a history, and optional
early stopping on a validation metric (evaluated every `eval_every` steps, best weights restored)."""
from __future__ import annotations

import copy
import math
import sys
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import nn
from tqdm.std import tqdm

from ..gradients.clipping import clip_grad_norm
from ..notebook.runtime import is_grading


def train(model: nn.Module, optimizer: torch.optim.Optimizer, batches: Iterator[Any],
          loss_fn: Callable[[nn.Module, Any], torch.Tensor], steps: int, *,
          max_grad_norm: float | None = None, scheduler: Any = None, desc: str = "training",
          progress: bool | None = None, evaluate: Callable[[nn.Module], float] | None = None,
          eval_every: int = 100, patience: int | None = None, mode: str = "max",
          restore_best: bool = True) -> dict[str, Any]:
    """Run `steps` optimisation steps on batches drawn from `batches`.

    loss_fn(model, batch) returns a scalar loss. With `max_grad_norm`, gradients are clipped to that
    global norm before each step. A learning-rate `scheduler` (torch.optim.lr_scheduler) is stepped after
    every optimiser step. Returns {"loss": [...], "grad_norm": [...]} per step, grad_norm measured
    before clipping. Stops early (and says so) if the loss becomes NaN or infinite.

    Early stopping (only with `evaluate`): every `eval_every` steps (and after the last step) the loop calls
    `evaluate(model)` with the model in eval mode and gradients off, and records the value. `mode` says
    whether higher ("max", e.g. accuracy) or lower ("min", e.g. a loss) is better; the first of equal values
    counts as the best. With `patience`, training stops after `patience` evaluations in a row without
    improvement. The weights of the best evaluation are kept; with `restore_best` they are loaded back into
    the model at the end (else the model keeps its last weights). The history then also holds "eval_step"
    (the steps evaluated), "eval" (their values), "best_step", "best_value", "best_state" (a copy of the
    best weights' state_dict) and "stopped_step" (the last step run). Without `evaluate` nothing changes.

    Raises ValueError if `batches` runs out before `steps` steps (pass an endless iterator, e.g.
    `endless_batches`, or fewer steps), and if no parameter of the model received a gradient (the loss does
    not depend on any trainable parameter: nothing would be learned).
    """
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    if evaluate is not None:
        if isinstance(eval_every, bool) or not isinstance(eval_every, int) or eval_every < 1:
            raise ValueError(f"eval_every must be an integer >= 1, got {eval_every!r}")
        if patience is not None and (isinstance(patience, bool) or not isinstance(patience, int) or patience < 1):
            raise ValueError(f"patience must be None or an integer >= 1, got {patience!r}")
        if mode not in ("max", "min"):
            raise ValueError(f"mode must be 'max' or 'min', got {mode!r}")
    elif patience is not None:
        raise ValueError("patience needs an evaluate= callable: early stopping watches a validation metric")
    show = (not is_grading()) if progress is None else progress
    history: dict[str, Any] = {"loss": [], "grad_norm": []}
    if evaluate is not None:
        history.update(eval_step=[], eval=[], best_step=None, best_value=None, best_state=None, stopped_step=None)
    since_best = 0
    model.train()
    batches = iter(batches)
    bar = tqdm(range(steps), desc=desc, disable=not show, file=sys.stdout, mininterval=1.0, ncols=80)
    for step in bar:
        try:
            batch = next(batches)
        except StopIteration:
            bar.close()
            raise ValueError(f"{desc}: the batches ran out after {step} of {steps} steps; pass an endless "
                             f"iterator (e.g. endless_batches) or fewer steps") from None
        loss = loss_fn(model, batch)
        if loss.dim() != 0:
            raise ValueError(f"loss_fn must return a scalar, got shape {tuple(loss.shape)}")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        params = [p for p in model.parameters() if p.grad is not None]
        if not params:
            bar.close()
            raise ValueError(f"{desc}: no parameter of the model received a gradient at step {step + 1}: the "
                             f"loss returned by loss_fn does not depend on any trainable parameter")
        if max_grad_norm is not None:
            norm = clip_grad_norm(params, max_grad_norm)
        else:
            norm = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in params]))
        history["loss"].append(loss.item())
        history["grad_norm"].append(norm.item())
        if not math.isfinite(loss.item()):
            bar.close()
            print(f"{desc}: loss became {loss.item()} at step {len(history['loss'])}; stopped.")
            break
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        bar.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
        done = len(history["loss"])
        if evaluate is not None and (done % eval_every == 0 or done == steps):
            value = _evaluate(model, evaluate)
            history["eval_step"].append(done)
            history["eval"].append(value)
            best = history["best_value"]
            if best is None or (value > best if mode == "max" else value < best):
                history["best_step"], history["best_value"] = done, value
                history["best_state"] = copy.deepcopy(model.state_dict())
                since_best = 0
            else:
                since_best += 1
            if patience is not None and since_best >= patience:
                bar.close()
                if show:
                    print(f"{desc}: early stop at step {done}: no improvement in {patience} evaluations "
                          f"since step {history['best_step']}")
                break
    if evaluate is not None:
        history["stopped_step"] = len(history["loss"])
        if restore_best and history["best_state"] is not None:
            model.load_state_dict(history["best_state"])
    return history


def _evaluate(model: nn.Module, evaluate: Callable[[nn.Module], float]) -> float:
    """evaluate(model) in eval mode without gradients, as a float; the model's mode is restored after."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            value = float(evaluate(model))
    finally:
        model.train(was_training)
    if not math.isfinite(value):
        raise ValueError(f"evaluate returned {value}: a validation metric must be a finite number")
    return value
