"""Anomaly scores over a time series, and a threshold chosen without looking at test labels.

- point_scores(window_errors (N,), window, length) -> (length,): window i covers the points i .. i+window-1
  (stride 1, the first window starts at point 0); each point's score is the mean error of the windows that
  cover it. Points no window covers (from N + window - 1 on) are NaN.
- threshold_from_validation(val_scores (n,), false_alarm_rate) -> float: the smallest t such that the share
  of validation scores strictly above t, (count of scores > t) / n, is at most the rate. A point is flagged
  anomalous when its score is > t, so on the validation data (assumed normal) at most that share is flagged.
- rolling_zscore(series (T,), window) -> (T,): |x_t - mean| / std of the `window` points before t (NaN for
  the first `window` points): a simple baseline.
- nearest_neighbour_scores(reference (R,), series (T,), window) -> (T - window + 1,): for each window of
  `series`, the Euclidean distance to its nearest window of `reference`: the classic discord-style baseline.
"""
from __future__ import annotations

import math

import torch


def _described(x: object) -> str:
    """A tensor's shape, or the type of anything else, for error messages."""
    return str(tuple(x.shape)) if isinstance(x, torch.Tensor) else type(x).__name__


def point_scores(window_errors: torch.Tensor, window: int, length: int) -> torch.Tensor:
    """window_errors (N,) floating point, window >= 1, length >= N + window - 1 -> (length,) in the errors'
    dtype: the mean error of the windows covering each point, NaN where no window covers it."""
    if not isinstance(window_errors, torch.Tensor) or window_errors.dim() != 1 or window_errors.shape[0] < 1:
        raise ValueError(f"window_errors must be a non-empty (N,) tensor, got "
                         f"{_described(window_errors)}")
    if not window_errors.is_floating_point():
        raise ValueError(f"window_errors must be floating point, got {window_errors.dtype}")
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise ValueError(f"window must be a positive int, got {window!r}")
    n = window_errors.shape[0]
    if isinstance(length, bool) or not isinstance(length, int) or length < n + window - 1:
        raise ValueError(f"{n} windows of {window} points cover {n + window - 1} points: length must be an int "
                         f">= {n + window - 1}, got {length!r}")
    covered = (torch.arange(n)[:, None] + torch.arange(window)).reshape(-1)   # (N * window,) point of each pair
    total = torch.zeros(length, dtype=window_errors.dtype).index_add_(
        0, covered, window_errors.repeat_interleave(window))                  # (length,)
    count = torch.zeros(length, dtype=window_errors.dtype).index_add_(
        0, covered, torch.ones(n * window, dtype=window_errors.dtype))        # (length,)
    return torch.where(count > 0, total / count.clamp(min=1), torch.full_like(total, math.nan))


def threshold_from_validation(val_scores: torch.Tensor, false_alarm_rate: float) -> float:
    """val_scores (n,) without NaN, 0 <= false_alarm_rate < 1 -> the smallest t with
    (val_scores > t).sum() / n <= false_alarm_rate: one of the scores (ties are safe)."""
    if not isinstance(val_scores, torch.Tensor) or val_scores.dim() != 1 or val_scores.shape[0] < 1:
        raise ValueError(f"val_scores must be a non-empty (n,) tensor, got "
                         f"{_described(val_scores)}")
    if torch.isnan(val_scores).any():
        raise ValueError("val_scores holds NaN: drop the points no window covers first")
    if isinstance(false_alarm_rate, bool) or not isinstance(false_alarm_rate, (int, float)) or \
            not 0 <= false_alarm_rate < 1:
        raise ValueError(f"false_alarm_rate must be a number in [0, 1), got {false_alarm_rate!r}")
    n = val_scores.shape[0]
    allowed = int(false_alarm_rate * n)                # the most scores that may lie above t: k / n <= rate
    while allowed + 1 <= n and (allowed + 1) / n <= false_alarm_rate:
        allowed += 1
    while allowed > 0 and allowed / n > false_alarm_rate:
        allowed -= 1
    ordered = torch.sort(val_scores).values
    return float(ordered[n - allowed - 1])


def rolling_zscore(series: torch.Tensor, window: int) -> torch.Tensor:
    """series (T,) -> (T,): |x_t - mean| / std over x_{t-window} .. x_{t-1} (population std); NaN for t < window."""
    if series.dim() != 1 or not 2 <= window < series.shape[0]:
        raise ValueError(f"need a (T,) series and 2 <= window < T, got {tuple(series.shape)} and {window}")
    past = series.unfold(0, window, 1)[:-1]                                   # (T - window, window)
    mean, std = past.mean(dim=1), past.std(dim=1, correction=0).clamp(min=1e-12)
    out = torch.full_like(series, math.nan)
    out[window:] = (series[window:] - mean).abs() / std
    return out


def nearest_neighbour_scores(reference: torch.Tensor, series: torch.Tensor, window: int,
                             chunk: int = 512) -> torch.Tensor:
    """reference (R,), series (T,) -> (T - window + 1,): distance from each window of `series` to the nearest
    window of `reference` (both cut with stride 1)."""
    if reference.dim() != 1 or series.dim() != 1 or window < 1 or window > min(reference.shape[0], series.shape[0]):
        raise ValueError(f"need (R,) and (T,) tensors at least `window` = {window} long, got "
                         f"{tuple(reference.shape)} and {tuple(series.shape)}")
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise ValueError(f"chunk must be a positive int, got {chunk!r}")
    ref = reference.unfold(0, window, 1)                                      # (R - w + 1, w)
    queries = series.unfold(0, window, 1)                                     # (T - w + 1, w)
    return torch.cat([torch.cdist(q, ref).min(dim=1).values for q in queries.split(chunk)])
