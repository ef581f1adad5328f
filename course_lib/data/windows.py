"""Sliding windows over a time series for supervised forecasting, cut inside one split so that no window
crosses a train/validation/test boundary.

    inputs, targets = make_windows(series, lookback=96, horizon=48, start=0, stop=3024)
    # series (T,) -> inputs (N, lookback), targets (N, horizon); series (T, F) -> inputs (N, lookback, F)

Window i (0 <= i < N) reads inputs series[start + i : start + i + lookback] and targets the next `horizon`
values of the first feature, series[start + i + lookback : start + i + lookback + horizon, 0]; stride 1;
N = stop - start - lookback - horizon + 1. Every index either reads lies in [start, stop).
"""
from __future__ import annotations

import torch


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def make_windows(series: torch.Tensor, lookback: int, horizon: int, start: int,
                 stop: int) -> tuple[torch.Tensor, torch.Tensor]:
    """series (T,) or (T, F); every window inside [start, stop) -> inputs (N, lookback) or (N, lookback, F),
    targets (N, horizon) (the first feature). New tensors (not views of `series`); `series` is not changed.
    Raises ValueError for a series that is not 1-D or 2-D, a lookback/horizon below 1, start/stop outside
    0 <= start < stop <= T, or a split too short for one window (N <= 0)."""
    if not isinstance(series, torch.Tensor) or series.dim() not in (1, 2):
        raise ValueError(f"series must be a (T,) or (T, F) tensor, got "
                         f"{tuple(series.shape) if isinstance(series, torch.Tensor) else type(series).__name__}")
    lookback, horizon = _positive_int("lookback", lookback), _positive_int("horizon", horizon)
    T = series.shape[0]
    for name, value in (("start", start), ("stop", stop)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} must be an int, got {value!r}")
    if not 0 <= start < stop <= T:
        raise ValueError(f"need 0 <= start < stop <= T = {T}, got start={start}, stop={stop}")
    n = stop - start - lookback - horizon + 1
    if n <= 0:
        raise ValueError(f"[start, stop) = [{start}, {stop}) holds {stop - start} points: too few for one window "
                         f"of lookback {lookback} + horizon {horizon} = {lookback + horizon} (N = {n})")
    first = start + torch.arange(n)                                          # (N,) where each window starts
    read = first[:, None] + torch.arange(lookback)                           # (N, lookback)
    ahead = first[:, None] + lookback + torch.arange(horizon)                # (N, horizon)
    target_series = series if series.dim() == 1 else series[:, 0]           # (T,)
    return series[read], target_series[ahead]                               # (N, lookback[, F]), (N, horizon)
