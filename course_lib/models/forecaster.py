"""Recurrent forecasters and a recurrent autoencoder for time series (all batch-first).

- decode_horizon(step, state, last_value, horizon, targets=None, teacher_forcing=False) -> (B, horizon): the
  decoding loop of a multi-step encoder-decoder. `step(previous (B,), state, t) -> (prediction (B,), state)`
  predicts the value at forecast step t (0-based) from the value before it. Step 0 reads `last_value`, the
  last observed value; step t >= 1 reads the true value targets[:, t - 1] with teacher forcing, else the
  model's own prediction from step t - 1 (not detached: the gradient flows through it). Without teacher
  forcing `targets` is never read (it may be None or hold NaN).
- GRUForecaster: a GRU reads a window (B, L, F) and a linear head predicts the next value (B,).
- EncoderDecoderForecaster: a GRU encoder reads the window (B, L, F); a GRUCell decoder then runs `horizon`
  steps through a `decode` function with decode_horizon's signature (pass your own), each step reading the
  previous value and optional known covariates (B, horizon, C) for its forecast time.
- LSTMAutoencoder: an LSTM encodes a window (B, W) into its last state; a second LSTM, fed that state at every
  step, reconstructs the window (B, W). Trained on normal data, its reconstruction error scores anomalies.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch


def _described(x: object) -> str:
    """A tensor's shape, or the type of anything else, for error messages."""
    return str(tuple(x.shape)) if isinstance(x, torch.Tensor) else type(x).__name__
from torch import nn

Step = Callable[[torch.Tensor, Any, int], tuple[torch.Tensor, Any]]


def decode_horizon(step: Step, state: Any, last_value: torch.Tensor, horizon: int,
                   targets: torch.Tensor | None = None, teacher_forcing: bool = False) -> torch.Tensor:
    """step (see the module docstring), state (anything step accepts), last_value (B,), horizon >= 1,
    targets (B, horizon) or None -> predictions (B, horizon). Raises ValueError when teacher forcing has no
    targets or targets of another shape, or horizon < 1."""
    if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1:
        raise ValueError(f"horizon must be a positive int, got {horizon!r}")
    if not isinstance(last_value, torch.Tensor) or last_value.dim() != 1:
        raise ValueError(f"last_value must be a (B,) tensor, got "
                         f"{_described(last_value)}")
    if teacher_forcing:
        if targets is None:
            raise ValueError("teacher forcing needs targets (B, horizon), got None")
        if tuple(targets.shape) != (last_value.shape[0], horizon):
            raise ValueError(f"targets must have shape (B, horizon) = {(last_value.shape[0], horizon)}, got "
                             f"{tuple(targets.shape)}")
    previous, predictions = last_value, []
    for t in range(horizon):
        prediction, state = step(previous, state, t)                          # (B,)
        if not isinstance(prediction, torch.Tensor) or tuple(prediction.shape) != tuple(last_value.shape):
            raise ValueError(f"step {t} must return a prediction of shape (B,) = {tuple(last_value.shape)}, got "
                             f"{_described(prediction)}")
        predictions.append(prediction)
        previous = targets[:, t] if teacher_forcing else prediction            # (B,) the next step's input
    return torch.stack(predictions, dim=1)                                    # (B, horizon)


def _check_window(x: torch.Tensor, features: int) -> torch.Tensor:
    if x.dim() == 2 and features == 1:
        x = x.unsqueeze(-1)                                                   # (B, L) -> (B, L, 1)
    if x.dim() != 3 or x.shape[-1] != features:
        raise ValueError(f"expected a window (B, L, {features}) (or (B, L) for one feature), got {tuple(x.shape)}")
    return x


class GRUForecaster(nn.Module):
    """One-step forecaster: window (B, L, F) (or (B, L) when F = 1) -> the next value of feature 0, (B,)."""

    def __init__(self, features: int = 1, hidden_size: int = 32, num_layers: int = 1) -> None:
        super().__init__()
        self.features = features
        self.gru = nn.GRU(features, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, window: torch.Tensor) -> torch.Tensor:
        _, h = self.gru(_check_window(window, self.features))                # h: (layers, B, H)
        return self.head(h[-1]).squeeze(-1)                                   # (B,)


class EncoderDecoderForecaster(nn.Module):
    """Multi-step forecaster: window (B, L, F) -> (B, horizon). The decoder's input at forecast step t is the
    previous value (1) plus `covariates` (B, horizon, C) at step t when the model has C > 0 covariates. With
    `residual=True` the head predicts a correction to covariate 0 (e.g. the value one season earlier), so
    the untrained model starts as that baseline."""

    def __init__(self, features: int = 1, covariates: int = 0, hidden_size: int = 32, residual: bool = False) -> None:
        super().__init__()
        for name, value in (("features", features), ("covariates", covariates), ("hidden_size", hidden_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < (0 if name == "covariates" else 1):
                raise ValueError(f"{name} must be an int >= {0 if name == 'covariates' else 1}, got {value!r}")
        if residual and covariates < 1:
            raise ValueError("residual=True corrects covariate 0: it needs covariates >= 1")
        self.features, self.covariates, self.residual = features, covariates, residual
        self.encoder = nn.GRU(features, hidden_size, batch_first=True)
        self.cell = nn.GRUCell(1 + covariates, hidden_size)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, window: torch.Tensor, last_value: torch.Tensor, horizon: int, *,
                decode: Callable[..., torch.Tensor], targets: torch.Tensor | None = None,
                teacher_forcing: bool = False, covariates: torch.Tensor | None = None) -> torch.Tensor:
        window = _check_window(window, self.features)
        if last_value.shape != (window.shape[0],):
            raise ValueError(f"last_value must have shape (B,) = ({window.shape[0]},), got {tuple(last_value.shape)}")
        if not self.covariates and covariates is not None:
            raise ValueError("this model was built with covariates=0: pass covariates=None")
        if self.covariates:
            if covariates is None or tuple(covariates.shape) != (window.shape[0], horizon, self.covariates):
                raise ValueError(f"covariates must have shape (B, horizon, C) = "
                                 f"{(window.shape[0], horizon, self.covariates)}, got "
                                 f"{None if covariates is None else tuple(covariates.shape)}")
        _, h = self.encoder(window)                                           # (1, B, H)

        def step(previous: torch.Tensor, state: torch.Tensor, t: int) -> tuple[torch.Tensor, torch.Tensor]:
            x = previous.unsqueeze(-1)                                        # (B, 1)
            if self.covariates:
                x = torch.cat([x, covariates[:, t]], dim=-1)                  # (B, 1 + C)
            state = self.cell(x, state)                                       # (B, H)
            prediction = self.head(state).squeeze(-1)                         # (B,)
            if self.residual:
                prediction = prediction + covariates[:, t, 0]
            return prediction, state

        return decode(step, h[0], last_value, horizon, targets=targets, teacher_forcing=teacher_forcing)


class LSTMAutoencoder(nn.Module):
    """window (B, W) -> its reconstruction (B, W) through a `hidden_size` bottleneck (the encoder's last state)."""

    def __init__(self, hidden_size: int = 32) -> None:
        super().__init__()
        self.encoder = nn.LSTM(1, hidden_size, batch_first=True)
        self.decoder = nn.LSTM(hidden_size, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, window: torch.Tensor) -> torch.Tensor:
        if window.dim() != 2:
            raise ValueError(f"expected windows (B, W), got {tuple(window.shape)}")
        _, (h, _) = self.encoder(window.unsqueeze(-1))                        # h: (1, B, H)
        code = h[-1].unsqueeze(1).expand(-1, window.shape[1], -1)            # (B, W, H) the code at every step
        out, _ = self.decoder(code)                                           # (B, W, H)
        return self.head(out).squeeze(-1)                                     # (B, W)
