"""The course's training loop: steps, optional gradient clipping, a progress bar and a history."""
from __future__ import annotations

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
          progress: bool | None = None) -> dict[str, list[float]]:
    """Run `steps` optimisation steps on batches drawn from `batches`.

    loss_fn(model, batch) returns a scalar loss. With `max_grad_norm`, gradients are clipped to that
    global norm before each step. A learning-rate `scheduler` (torch.optim.lr_scheduler) is stepped after
    every optimiser step. Returns {"loss": [...], "grad_norm": [...]} per step, grad_norm measured
    before clipping. Stops early (and says so) if the loss becomes NaN or infinite.

    Raises ValueError if `batches` runs out before `steps` steps (pass an endless iterator, e.g.
    `endless_batches`, or fewer steps), and if no parameter of the model received a gradient (the loss does
    not depend on any trainable parameter: nothing would be learned).
    """
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    show = (not is_grading()) if progress is None else progress
    history: dict[str, list[float]] = {"loss": [], "grad_norm": []}
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
    return history
