"""The LSTM, following PyTorch's conventions exactly: gate blocks stacked in the order i, f, g, o
(input, forget, candidate, output) in one (4H, D) input matrix and one (4H, H) recurrent matrix, with
two bias vectors (b_ih and b_hh are both added):

    [a_i, a_f, a_g, a_o] = x W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh          (B, 4H), one fused matmul each
    i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o);   g = tanh(a_g)
    c_t = f * c_{t-1} + i * g;   h_t = o * tanh(c_t)

NumPy cell forward/backward (for learning and gradient checks), a torch cell function, `LSTMCell`
(matches nn.LSTMCell) and `LSTM` (matches nn.LSTM: num_layers, bidirectional, batch_first, dropout).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .recurrent import Recurrent, check_cell_args_np, check_upstream_np, param_count, sigmoid_np


def lstm_cell_forward_np(x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray, W_ih: np.ndarray,
                         W_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """One LSTM step. x: (B, D), h_prev, c_prev: (B, H), W_ih: (4H, D), W_hh: (4H, H), biases: (4H,).
    Returns (h, c, cache); the cache is what `lstm_cell_backward_np` needs."""
    check_cell_args_np(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh, 4, "lstm_cell_forward_np")
    a = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh     # (B, 4H)
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)       # each (B, H)
    i, f, g, o = sigmoid_np(a_i), sigmoid_np(a_f), np.tanh(a_g), sigmoid_np(a_o)
    c = f * c_prev + i * g                             # (B, H)
    tanh_c = np.tanh(c)
    h = o * tanh_c                                     # (B, H)
    cache = dict(x=x, h_prev=h_prev, c_prev=c_prev, i=i, f=f, g=g, o=o, tanh_c=tanh_c, W_ih=W_ih, W_hh=W_hh)
    return h, c, cache


def lstm_cell_backward_np(dh: np.ndarray, dc: np.ndarray, cache: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Gradients of one LSTM step. dh, dc: (B, H) = dL/dh_t and dL/dc_t arriving from above and from t+1.
    Returns dL/d{x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh}."""
    i, f, g, o, tanh_c = (cache[k] for k in ("i", "f", "g", "o", "tanh_c"))
    check_upstream_np("lstm_cell_backward_np", {"dh": dh, "dc": dc}, tanh_c.shape)
    do = dh * tanh_c
    dc = dc + dh * o * (1.0 - tanh_c ** 2)             # everything that reaches c_t
    di, df, dg = dc * g, dc * cache["c_prev"], dc * i
    da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2), do * o * (1 - o)], axis=1)  # (B, 4H)
    return {"x": da @ cache["W_ih"], "h_prev": da @ cache["W_hh"], "c_prev": dc * f,
            "W_ih": da.T @ cache["x"], "W_hh": da.T @ cache["h_prev"], "b_ih": da.sum(0), "b_hh": da.sum(0)}


def lstm_cell(x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor], W_ih: torch.Tensor, W_hh: torch.Tensor,
              b_ih: torch.Tensor | None, b_hh: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    """One LSTM step in torch with one fused matmul per input. x: (B, D), state (h, c): (B, H) each."""
    h_prev, c_prev = state
    a = x @ W_ih.T + h_prev @ W_hh.T                   # (B, 4H)
    if b_ih is not None:
        a = a + b_ih + b_hh
    a_i, a_f, a_g, a_o = a.chunk(4, dim=1)            # each (B, H), PyTorch's order i, f, g, o
    c = torch.sigmoid(a_f) * c_prev + torch.sigmoid(a_i) * torch.tanh(a_g)
    h = torch.sigmoid(a_o) * torch.tanh(c)
    return h, c


def peephole_lstm_cell(x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor], W_ih: torch.Tensor,
                       W_hh: torch.Tensor, b_ih: torch.Tensor, b_hh: torch.Tensor, p_i: torch.Tensor,
                       p_f: torch.Tensor, p_o: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One step of the peephole LSTM (Gers & Schmidhuber, 2000): the gates also look at the cell state
    through diagonal weights p_i, p_f, p_o (each (H,)). The input and forget gates see c_{t-1}; the output
    gate sees the new c_t. Gate order and weight layout as in `lstm_cell`."""
    h_prev, c_prev = state
    a_i, a_f, a_g, a_o = (x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh).chunk(4, dim=1)  # each (B, H)
    i = torch.sigmoid(a_i + p_i * c_prev)
    f = torch.sigmoid(a_f + p_f * c_prev)
    c = f * c_prev + i * torch.tanh(a_g)
    h = torch.sigmoid(a_o + p_o * c) * torch.tanh(c)
    return h, c


class LSTMCell(nn.Module):
    """Drop-in for nn.LSTMCell(input_size, hidden_size, bias): forward(x (B, D) or (D,), (h, c) or None) -> (h, c)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.weight_ih = nn.Parameter(torch.empty(4 * hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.empty(4 * hidden_size, hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(4 * hidden_size)) if bias else None
        self.bias_hh = nn.Parameter(torch.empty(4 * hidden_size)) if bias else None
        bound = hidden_size ** -0.5
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
        if x.dim() not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(f"x must have shape (B, {self.input_size}) or ({self.input_size},), got {tuple(x.shape)}")
        if state is not None and (not isinstance(state, (tuple, list)) or len(state) != 2
                                  or not all(isinstance(s, torch.Tensor) for s in state)):
            got = (f"a tensor of shape {tuple(state.shape)}" if isinstance(state, torch.Tensor)
                   else f"a {type(state).__name__} of length {len(state)}" if isinstance(state, (tuple, list))
                   else type(state).__name__)
            raise TypeError(f"LSTMCell's state must be a pair (h, c) of tensors, each (B, {self.hidden_size}) "
                            f"(or None for zeros), got {got}")
        if x.dim() == 1:  # unbatched, as nn.LSTMCell allows
            state = None if state is None else tuple(s.unsqueeze(0) for s in state)
            h, c = self.forward(x.unsqueeze(0), state)
            return h.squeeze(0), c.squeeze(0)
        if state is None:
            zeros = x.new_zeros(x.shape[0], self.hidden_size)
            state = (zeros, zeros)
        for name, s in zip(("h", "c"), state):
            if tuple(s.shape) != (x.shape[0], self.hidden_size):
                raise ValueError(f"{name} must have shape ({x.shape[0]}, {self.hidden_size}), got {tuple(s.shape)}")
        return lstm_cell(x, state, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


class LSTM(Recurrent):
    """Drop-in for nn.LSTM (no proj_size): same arguments, parameter names, initialisation and outputs.
    forward(x, (h0, c0) or None) -> (output, (h_n, c_n))."""

    blocks = 4
    has_cell_state = True

    def cell(self, x, state, W_ih, W_hh, b_ih, b_hh):
        return lstm_cell(x, state, W_ih, W_hh, b_ih, b_hh)


def lstm_param_count(input_size: int, hidden_size: int, num_layers: int = 1, bidirectional: bool = False,
                     bias: bool = True) -> int:
    """Number of parameters of nn.LSTM with these settings: per layer and direction
    4H(D_k + H) weights plus 8H biases (two bias vectors)."""
    return param_count(4, input_size, hidden_size, num_layers, bidirectional, bias)
