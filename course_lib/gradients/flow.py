"""Measured gradient flow through time: the size of dL/dh_t, or of dL/dx_t, as the distance between step t
and the loss grows (vanishing and exploding gradients)."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..layers.rnn import rnn_cell


def scale_to_spectral_radius(W: torch.Tensor, radius: float) -> torch.Tensor:
    """W rescaled so that its largest |eigenvalue| equals `radius`. W: (H, H)."""
    if W.dim() != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be square (H, H), got {tuple(W.shape)}")
    current = torch.linalg.eigvals(W).abs().max().real
    return W * (radius / current)


def hidden_gradient_norms(radius: float, seq_len: int = 60, hidden_size: int = 64, batch: int = 32,
                          input_scale: float = 0.5, seed: int = 0) -> np.ndarray:
    """Measure ||dL/dh_t|| for a tanh RNN whose recurrent matrix has spectral radius `radius`.

    The loss reads only the last hidden state (L = mean over the batch of v . h_T), so dL/dh_t is
    exactly the signal that backpropagation carries back T - t steps. Returns an array of length
    `seq_len` whose entry k is the mean norm of dL/dh_t at distance k = T - t (k = 0 is h_T itself).
    Computed by real backward passes (float64), nothing simulated."""
    g = torch.Generator().manual_seed(seed)
    D = H = hidden_size
    W_hh = scale_to_spectral_radius(torch.randn(H, H, generator=g, dtype=torch.float64) / H ** 0.5, radius)
    W_ih = torch.randn(H, D, generator=g, dtype=torch.float64) / D ** 0.5
    xs = input_scale * torch.randn(seq_len, batch, D, generator=g, dtype=torch.float64)
    v = torch.randn(H, generator=g, dtype=torch.float64)
    h = torch.zeros(batch, H, dtype=torch.float64, requires_grad=True)
    hs = []
    for t in range(seq_len):
        h = rnn_cell(xs[t], h, W_ih, W_hh, None, None)  # (B, H)
        hs.append(h)
    loss = (hs[-1] @ v).mean()
    grads = torch.autograd.grad(loss, hs)               # dL/dh_t for every t, each (B, H)
    norms = torch.stack([gr.norm(dim=1).mean() for gr in grads])  # (T,)
    return norms.flip(0).numpy()                        # index = distance T - t


def input_gradient_norms(model: nn.Module, seq_len: int, input_size: int, batch: int = 16, seed: int = 0
                         ) -> np.ndarray:
    """Measure how strongly the *last* output of a batch-first recurrent model depends on each input:
    ||dL/dx_t|| with L = mean over the batch of v . y_T, for random inputs. Works for nn.RNN, nn.GRU,
    nn.LSTM (batch_first=True) and the course's modules. Returns an array of length `seq_len` indexed by
    distance T - t. Real backward passes through the model as it is."""
    if not getattr(model, "batch_first", True):
        raise ValueError("input_gradient_norms feeds (B, T, D) inputs: the model must have batch_first=True, "
                         "got batch_first=False")
    g = torch.Generator().manual_seed(seed)
    dtype = next(model.parameters()).dtype
    device = next(model.parameters()).device
    x = torch.randn(batch, seq_len, input_size, generator=g, dtype=dtype).to(device).requires_grad_(True)
    output, _ = model(x)                                        # (B, T, H)
    v = torch.randn(output.shape[-1], generator=g, dtype=dtype).to(device)
    (dx,) = torch.autograd.grad((output[:, -1] @ v).mean(), x)  # leaves the model's .grad untouched
    norms = dx.norm(dim=-1).mean(dim=0)                         # (T,)
    return norms.flip(0).detach().cpu().numpy()
