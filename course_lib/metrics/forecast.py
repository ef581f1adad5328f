"""Forecast errors and the two baselines every forecaster must beat.

- mae(y_true, y_pred): mean absolute error, in the series' units.
- mase(y_true, y_pred, y_train, m): MAE divided by the in-sample MAE of the seasonal-naive forecast with
  season m on the training series, mean |y_train[m:] - y_train[:-m]| (Hyndman & Koehler 2006). Below 1:
  better on the test horizon than the seasonal-naive forecast was, one season ahead, inside the training data.
- mape(y_true, y_pred): mean absolute percentage error, 100 * mean |y - yhat| / |y| (percent, not a fraction
  as in scikit-learn); it explodes when y is near 0 and is undefined at 0.
- naive_forecast / seasonal_naive_forecast: from a history, the last value held, or the last season repeated.

Shapes: y_true and y_pred any shape, equal; y_train (T,); results are 0-dim tensors in the inputs' dtype.
"""
from __future__ import annotations

import torch


def _same_shape(y_true: torch.Tensor, y_pred: torch.Tensor) -> None:
    if not isinstance(y_true, torch.Tensor) or not isinstance(y_pred, torch.Tensor):
        raise ValueError(f"y_true and y_pred must be tensors, got {type(y_true).__name__} and {type(y_pred).__name__}")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same shape, got {tuple(y_true.shape)} and "
                         f"{tuple(y_pred.shape)}")
    if y_true.numel() == 0:
        raise ValueError("y_true and y_pred are empty")


def mae(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """Mean absolute error over every element: 0-dim tensor."""
    _same_shape(y_true, y_pred)
    return (y_true - y_pred).abs().mean()


def seasonal_scale(y_train: torch.Tensor, m: int) -> torch.Tensor:
    """mean |y_train[m:] - y_train[:-m]|: the in-sample MAE of the seasonal-naive forecast (0-dim)."""
    if not isinstance(y_train, torch.Tensor) or y_train.dim() != 1:
        raise ValueError(f"y_train must be a (T,) tensor, got "
                         f"{tuple(y_train.shape) if isinstance(y_train, torch.Tensor) else type(y_train).__name__}")
    if isinstance(m, bool) or not isinstance(m, int) or not 1 <= m < y_train.shape[0]:
        raise ValueError(f"m must be an int with 1 <= m < len(y_train) = {y_train.shape[0]}, got {m!r}")
    return (y_train[m:] - y_train[:-m]).abs().mean()


def mase(y_true: torch.Tensor, y_pred: torch.Tensor, y_train: torch.Tensor, m: int) -> torch.Tensor:
    """MAE(y_true, y_pred) / seasonal_scale(y_train, m): 0-dim. Raises ValueError when the scale is 0 (a
    training series that repeats itself exactly every m steps) or when shapes disagree."""
    _same_shape(y_true, y_pred)
    scale = seasonal_scale(y_train, m)
    if scale == 0:
        raise ValueError(f"the MASE scale is zero: y_train repeats itself exactly with season m={m}, so every error "
                         f"would be infinitely large relative to it")
    return (y_true - y_pred).abs().mean() / scale


def mape(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """100 * mean |y_true - y_pred| / |y_true| (percent); inf where y_true is 0 and y_pred is not."""
    _same_shape(y_true, y_pred)
    return 100 * ((y_true - y_pred).abs() / y_true.abs()).mean()


def naive_forecast(history: torch.Tensor, horizon: int) -> torch.Tensor:
    """history (T,) -> (horizon,): the last observed value, repeated."""
    if history.dim() != 1 or history.shape[0] < 1 or horizon < 1:
        raise ValueError(f"need a (T,) history with T >= 1 and horizon >= 1, got {tuple(history.shape)}, {horizon}")
    return history[-1].expand(horizon).clone()


def seasonal_naive_forecast(history: torch.Tensor, horizon: int, m: int) -> torch.Tensor:
    """history (T,) with T >= m -> (horizon,): the value one season (m steps) before each forecast time,
    the last season repeated as often as needed."""
    if history.dim() != 1 or not 1 <= m <= history.shape[0] or horizon < 1:
        raise ValueError(f"need a (T,) history with T >= m >= 1 and horizon >= 1, got {tuple(history.shape)}, "
                         f"m={m}, horizon={horizon}")
    season = history[-m:]
    return season[torch.arange(horizon) % m]
