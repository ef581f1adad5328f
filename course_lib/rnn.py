"""The vanilla (Elman) RNN, h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), three ways:
a NumPy forward and backward-through-time, a torch cell, and a torch module that matches
`nn.RNN(..., nonlinearity="tanh")` exactly when given its weights (see `copy_rnn_weights`).

Weight layout follows PyTorch: W_ih is (H, D), W_hh is (H, H), biases are (H,).
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn


def _check_np(name: str, value: np.ndarray, shape: tuple[int | None, ...]) -> None:
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(value).__name__}")
    if value.ndim != len(shape) or any(s is not None and s != v for s, v in zip(shape, value.shape)):
        want = tuple("?" if s is None else s for s in shape)
        raise ValueError(f"{name} must have shape {want}, got {value.shape}")


def _check_rnn_params_np(W_ih, W_hh, b_ih, b_hh) -> tuple[int, int]:
    _check_np("W_ih", W_ih, (None, None))
    H, D = W_ih.shape
    _check_np("W_hh", W_hh, (H, H))
    _check_np("b_ih", b_ih, (H,))
    _check_np("b_hh", b_hh, (H,))
    return H, D


# ------------------------------------------------------------------------------------------ numpy
def rnn_cell_step_np(x: np.ndarray, h_prev: np.ndarray, W_ih: np.ndarray, W_hh: np.ndarray,
                     b_ih: np.ndarray, b_hh: np.ndarray) -> np.ndarray:
    """One RNN step. x: (B, D), h_prev: (B, H) -> h: (B, H)."""
    H, D = _check_rnn_params_np(W_ih, W_hh, b_ih, b_hh)
    _check_np("x", x, (None, D))
    _check_np("h_prev", h_prev, (x.shape[0], H))
    return np.tanh(x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)  # (B, H)


def rnn_forward_np(xs: np.ndarray, h0: np.ndarray, W_ih: np.ndarray, W_hh: np.ndarray,
                   b_ih: np.ndarray, b_hh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unroll the RNN over time. xs: (T, B, D), h0: (B, H) -> (hs: (T, B, H), h_T: (B, H))."""
    H, D = _check_rnn_params_np(W_ih, W_hh, b_ih, b_hh)
    _check_np("xs", xs, (None, None, D))
    T, B, _ = xs.shape
    if T == 0:
        raise ValueError("xs has no time steps (T = 0)")
    _check_np("h0", h0, (B, H))
    hs = np.empty((T, B, H), dtype=np.result_type(xs, W_ih))
    h = h0
    for t in range(T):
        h = rnn_cell_step_np(xs[t], h, W_ih, W_hh, b_ih, b_hh)  # (B, H)
        hs[t] = h
    return hs, h


def rnn_backward_np(xs: np.ndarray, h0: np.ndarray, hs: np.ndarray, dhs: np.ndarray,
                    W_ih: np.ndarray, W_hh: np.ndarray) -> dict[str, np.ndarray]:
    """Backpropagation through time for `rnn_forward_np`.

    dhs: (T, B, H) is dL/dh_t from the loss directly (e.g. an output layer at every step).
    Returns gradients of L with respect to xs (T, B, D), h0 (B, H), W_ih, W_hh, b_ih, b_hh.
    Walks backwards: the gradient reaching h_t is its direct part plus what h_{t+1} sends back."""
    T, B, H = hs.shape
    _check_np("dhs", dhs, (T, B, H))
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


class ElmanRNN(nn.Module):
    """A single-layer tanh RNN written from the recurrence; same parameters, initialisation and
    call signature as `nn.RNN(input_size, hidden_size, batch_first=...)` (one layer, one direction).

    forward(x, h0=None): x is (B, T, D) if batch_first else (T, B, D); h0 is (1, B, H) or None (zeros).
    Returns (output, h_n): output holds every h_t, (B, T, H) or (T, B, H); h_n is (1, B, H).
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, batch_first: bool = True):
        super().__init__()
        if input_size < 1 or hidden_size < 1:
            raise ValueError(f"input_size and hidden_size must be >= 1, got {input_size}, {hidden_size}")
        self.input_size, self.hidden_size, self.batch_first = input_size, hidden_size, batch_first
        self.weight_ih = nn.Parameter(torch.empty(hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.empty(hidden_size, hidden_size))
        if bias:
            self.bias_ih = nn.Parameter(torch.empty(hidden_size))
            self.bias_hh = nn.Parameter(torch.empty(hidden_size))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's initialisation: every weight and bias ~ U(-1/sqrt(H), 1/sqrt(H))."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def forward(self, x: torch.Tensor, h0: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        if x.dim() != 3 or x.shape[-1] != self.input_size:
            layout = "(B, T, D)" if self.batch_first else "(T, B, D)"
            raise ValueError(f"x must have shape {layout} with D = {self.input_size}, got {tuple(x.shape)}")
        if x.dtype != self.weight_ih.dtype:
            raise TypeError(f"x has dtype {x.dtype} but the weights are {self.weight_ih.dtype}")
        xs = x.transpose(0, 1) if self.batch_first else x  # (T, B, D)
        T, B, _ = xs.shape
        if h0 is None:
            h = xs.new_zeros(B, self.hidden_size)
        else:
            if tuple(h0.shape) != (1, B, self.hidden_size):
                raise ValueError(f"h0 must have shape (1, {B}, {self.hidden_size}), got {tuple(h0.shape)}")
            h = h0[0]                                   # (B, H)
        outputs = []
        for t in range(T):
            h = rnn_cell(xs[t], h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)  # (B, H)
            outputs.append(h)
        output = torch.stack(outputs, dim=1 if self.batch_first else 0)  # (B, T, H) or (T, B, H)
        return output, h.unsqueeze(0)                   # h_n: (1, B, H)


def copy_rnn_weights(src: nn.Module, dst: nn.Module) -> None:
    """Copy the parameters of a one-layer RNN into another, in either direction between `nn.RNN`
    (weight_ih_l0, ...) and a from-scratch module (weight_ih, ...). Shapes must agree."""
    def plain(name: str) -> str:
        return name[:-3] if name.endswith("_l0") else name

    src_params = {plain(n): p for n, p in src.named_parameters()}
    dst_params = {plain(n): p for n, p in dst.named_parameters()}
    if set(src_params) != set(dst_params):
        raise ValueError(f"parameter names differ: source has {sorted(src_params)}, "
                         f"destination has {sorted(dst_params)}")
    with torch.no_grad():
        for name, p in dst_params.items():
            if p.shape != src_params[name].shape:
                raise ValueError(f"{name}: source shape {tuple(src_params[name].shape)}, "
                                 f"destination shape {tuple(p.shape)}")
            p.copy_(src_params[name])
