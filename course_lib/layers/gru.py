"""The GRU in PyTorch's variant: gate blocks in the order r, z, n (reset, update, new), and the reset
gate applied to the *projected* previous state including its bias, r * (W_hn h + b_hn):

    r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr)
    z = sigmoid(x W_iz^T + b_iz + h W_hz^T + b_hz)
    n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))
    h_t = (1 - z) * n + z * h_{t-1}

(The original paper, Cho et al. 2014, applies r before the matmul: W_hn (r * h). The two are different
functions; PyTorch and cuDNN use the form above.) A NumPy cell forward and backward, a torch cell function,
`GRUCell` (matches nn.GRUCell) and `GRU` (matches nn.GRU)."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .recurrent import Recurrent, check_cell_args_np, check_upstream_np, param_count, sigmoid_np


def gru_cell_forward_np(x: np.ndarray, h_prev: np.ndarray, W_ih: np.ndarray, W_hh: np.ndarray,
                        b_ih: np.ndarray, b_hh: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One GRU step. x: (B, D), h_prev: (B, H), W_ih: (3H, D), W_hh: (3H, H), biases: (3H,).
    Returns (h, cache)."""
    check_cell_args_np(x, h_prev, None, W_ih, W_hh, b_ih, b_hh, 3, "gru_cell_forward_np")
    gi = x @ W_ih.T + b_ih                             # (B, 3H) input side
    gh = h_prev @ W_hh.T + b_hh                        # (B, 3H) hidden side
    i_r, i_z, i_n = np.split(gi, 3, axis=1)
    h_r, h_z, h_n = np.split(gh, 3, axis=1)
    r, z = sigmoid_np(i_r + h_r), sigmoid_np(i_z + h_z)
    n = np.tanh(i_n + r * h_n)
    h = (1.0 - z) * n + z * h_prev                     # (B, H)
    return h, dict(x=x, h_prev=h_prev, r=r, z=z, n=n, h_n=h_n, W_ih=W_ih, W_hh=W_hh)


def gru_cell_backward_np(dh: np.ndarray, cache: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Gradients of one GRU step. dh: (B, H) = dL/dh_t. Returns dL/d{x, h_prev, W_ih, W_hh, b_ih, b_hh}."""
    r, z, n, h_n, h_prev = (cache[k] for k in ("r", "z", "n", "h_n", "h_prev"))
    check_upstream_np("gru_cell_backward_np", {"dh": dh}, h_prev.shape)
    da_n = dh * (1.0 - z) * (1.0 - n ** 2)            # through n = tanh(a_n)
    da_z = dh * (h_prev - n) * z * (1.0 - z)
    da_r = da_n * h_n * r * (1.0 - r)
    d_gi = np.concatenate([da_r, da_z, da_n], axis=1)  # (B, 3H) input-side pre-activations
    d_gh = np.concatenate([da_r, da_z, da_n * r], axis=1)  # (B, 3H) hidden-side (n's part is gated by r)
    return {"x": d_gi @ cache["W_ih"], "h_prev": dh * z + d_gh @ cache["W_hh"],
            "W_ih": d_gi.T @ cache["x"], "W_hh": d_gh.T @ h_prev, "b_ih": d_gi.sum(0), "b_hh": d_gh.sum(0)}


def gru_cell(x: torch.Tensor, h_prev: torch.Tensor, W_ih: torch.Tensor, W_hh: torch.Tensor,
             b_ih: torch.Tensor | None, b_hh: torch.Tensor | None) -> torch.Tensor:
    """One GRU step in torch (one fused matmul per input). x: (B, D), h_prev: (B, H) -> (B, H)."""
    gi = x @ W_ih.T                                    # (B, 3H)
    gh = h_prev @ W_hh.T                               # (B, 3H)
    if b_ih is not None:
        gi, gh = gi + b_ih, gh + b_hh
    i_r, i_z, i_n = gi.chunk(3, dim=1)
    h_r, h_z, h_n = gh.chunk(3, dim=1)
    r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)                      # reset gate on W_hn h + b_hn
    return (1 - z) * n + z * h_prev


class GRUCell(nn.Module):
    """Drop-in for nn.GRUCell(input_size, hidden_size, bias): forward(x (B, D) or (D,), h or None) -> h."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.weight_ih = nn.Parameter(torch.empty(3 * hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.empty(3 * hidden_size, hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(3 * hidden_size)) if bias else None
        self.bias_hh = nn.Parameter(torch.empty(3 * hidden_size)) if bias else None
        bound = hidden_size ** -0.5
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None) -> torch.Tensor:
        if x.dim() not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(f"x must have shape (B, {self.input_size}) or ({self.input_size},), got {tuple(x.shape)}")
        if x.dim() == 1:  # unbatched, as nn.GRUCell allows
            return self.forward(x.unsqueeze(0), None if h is None else h.unsqueeze(0)).squeeze(0)
        if h is None:
            h = x.new_zeros(x.shape[0], self.hidden_size)
        if tuple(h.shape) != (x.shape[0], self.hidden_size):
            raise ValueError(f"h must have shape ({x.shape[0]}, {self.hidden_size}), got {tuple(h.shape)}")
        return gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


class GRU(Recurrent):
    """Drop-in for nn.GRU: same arguments, parameter names, initialisation and outputs."""

    blocks = 3

    def cell(self, x, state, W_ih, W_hh, b_ih, b_hh):
        return gru_cell(x, state, W_ih, W_hh, b_ih, b_hh)


def gru_param_count(input_size: int, hidden_size: int, num_layers: int = 1, bidirectional: bool = False,
                    bias: bool = True) -> int:
    """Number of parameters of nn.GRU: per layer and direction 3H(D_k + H) weights plus 6H biases."""
    return param_count(3, input_size, hidden_size, num_layers, bidirectional, bias)
