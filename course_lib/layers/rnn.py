"""The vanilla (Elman) RNN, h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), three ways:
in NumPy (`rnn_cell_step`, `rnn_forward` and its backward-through-time `rnn_backward`), a torch cell, and a torch module that matches
`nn.RNN(..., nonlinearity="tanh")` exactly when given its weights (see `course_lib.layers.recurrent.copy_weights`).

Weight layout follows PyTorch: W_ih is (H, D), W_hh is (H, H), biases are (H,).
"""
from __future__ import annotations

import numpy as np
import torch

from .recurrent import Recurrent, check_cell_args_np


# ------------------------------------------------------------------------------------------ numpy
def rnn_cell_step(x: np.ndarray, h_prev: np.ndarray, W_ih: np.ndarray, W_hh: np.ndarray,
                     b_ih: np.ndarray, b_hh: np.ndarray) -> np.ndarray:
    """One RNN step. x: (B, D), h_prev: (B, H) -> h: (B, H)."""
    check_cell_args_np(x, h_prev, None, W_ih, W_hh, b_ih, b_hh, 1, "rnn_cell_step")
    return np.tanh(x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)  # (B, H)


def rnn_forward(xs: np.ndarray, h0: np.ndarray, W_ih: np.ndarray, W_hh: np.ndarray,
                   b_ih: np.ndarray, b_hh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unroll the RNN over time. xs: (T, B, D), h0: (B, H) -> (hs: (T, B, H), h_T: (B, H))."""
    D, H = (W_ih.shape[1], W_ih.shape[0]) if isinstance(W_ih, np.ndarray) and W_ih.ndim == 2 else ("D", "H")
    if not isinstance(xs, np.ndarray) or xs.ndim != 3 or xs.shape[0] == 0 or (
            isinstance(D, int) and xs.shape[2] != D):
        raise ValueError(f"xs must be a numpy array of shape (T, B, {D}) with T >= 1, got "
                         f"{getattr(xs, 'shape', type(xs).__name__)}")
    T, B, _ = xs.shape
    if isinstance(h0, np.ndarray) and isinstance(H, int) and h0.shape != (B, H):  # h0 here, not h_prev
        raise ValueError(f"rnn_forward: h0 must have shape ({B}, {H}), got {h0.shape}")
    check_cell_args_np(xs[0], h0, None, W_ih, W_hh, b_ih, b_hh, 1, "rnn_forward")
    hs = np.empty((T, B, W_hh.shape[0]), dtype=np.result_type(xs, W_ih))
    h = h0
    for t in range(T):
        h = rnn_cell_step(xs[t], h, W_ih, W_hh, b_ih, b_hh)  # (B, H)
        hs[t] = h
    return hs, h


def rnn_backward(xs: np.ndarray, h0: np.ndarray, hs: np.ndarray, dhs: np.ndarray,
                    W_ih: np.ndarray, W_hh: np.ndarray) -> dict[str, np.ndarray]:
    """Backpropagation through time for `rnn_forward`.

    dhs: (T, B, H) is dL/dh_t from the loss directly (e.g. an output layer at every step).
    Returns gradients of L with respect to xs (T, B, D), h0 (B, H), W_ih, W_hh, b_ih, b_hh.
    Walks backwards: the gradient reaching h_t is its direct part plus what h_{t+1} sends back."""
    T, B, H = hs.shape
    if not isinstance(dhs, np.ndarray) or dhs.shape != hs.shape:
        raise ValueError(f"dhs must have the shape of hs, {hs.shape}, got {getattr(dhs, 'shape', type(dhs).__name__)}")
    grads = {"xs": np.zeros_like(xs), "W_ih": np.zeros_like(W_ih), "W_hh": np.zeros_like(W_hh),
             "b_ih": np.zeros(H, dtype=hs.dtype), "b_hh": np.zeros(H, dtype=hs.dtype)}
    dh_next = np.zeros((B, H), dtype=hs.dtype)  # gradient arriving from step t+1
    for t in reversed(range(T)):
        dh = dhs[t] + dh_next                 # (B, H) total dL/dh_t
        da = dh * (1.0 - hs[t] ** 2)          # (B, H) through tanh
        h_prev = hs[t - 1] if t > 0 else h0
        grads["W_ih"] += da.T @ xs[t]         # (H, D)
        grads["W_hh"] += da.T @ h_prev        # (H, H)
        grads["b_ih"] += da.sum(axis=0)
        grads["b_hh"] += da.sum(axis=0)
        grads["xs"][t] = da @ W_ih            # (B, D)
        dh_next = da @ W_hh                   # (B, H) sent to h_{t-1}
    grads["h0"] = dh_next
    return grads


# ------------------------------------------------------------------------------------------ torch
def rnn_cell(x: torch.Tensor, h_prev: torch.Tensor, W_ih: torch.Tensor, W_hh: torch.Tensor,
             b_ih: torch.Tensor | None, b_hh: torch.Tensor | None) -> torch.Tensor:
    """One RNN step in torch (differentiable). x: (B, D), h_prev: (B, H) -> (B, H)."""
    a = x @ W_ih.T + h_prev @ W_hh.T  # (B, H)
    if b_ih is not None:
        a = a + b_ih + b_hh
    return torch.tanh(a)


class ElmanRNN(Recurrent):
    """A tanh RNN written from the recurrence: a drop-in for nn.RNN(input_size, hidden_size, ...) with the
    same arguments (num_layers, bias, batch_first, dropout, bidirectional), parameter names
    (weight_ih_l0, ...), initialisation and outputs. forward(x, h0=None) -> (output, h_n)."""

    blocks = 1

    def cell(self, x, state, W_ih, W_hh, b_ih, b_hh):
        return rnn_cell(x, state, W_ih, W_hh, b_ih, b_hh)
