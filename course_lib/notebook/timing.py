"""Timing on a busy laptop: the best of several runs is the run least disturbed by other programs."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import torch


def _sync(device: torch.device | str | None) -> None:
    if device is not None and torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def best_time(fn: Callable[[], Any], repeat: int = 5, device: torch.device | str | None = None) -> float:
    """The fastest of `repeat` runs of `fn()`, in seconds. Give the `device` the work runs on, so that
    CUDA work queued by `fn` is finished before the clock stops."""
    if not isinstance(repeat, int) or repeat < 1:
        raise ValueError(f"repeat must be an int >= 1, got {repeat!r}")
    best = float("inf")
    for _ in range(repeat):
        _sync(device)
        start = time.perf_counter()
        fn()
        _sync(device)
        best = min(best, time.perf_counter() - start)
    return best
