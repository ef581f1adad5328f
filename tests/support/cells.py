"""Helpers for the tests of the NumPy and torch recurrent cells: a random cell problem, central differences,
and torch's own gradients of the same cell, to check a hand-written backward pass against both."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn


# ------------------------------------------------------------------------------ NumPy cells
def np_weights(cell: nn.Module) -> list[np.ndarray]:
    """An nn.LSTMCell's or nn.GRUCell's weight_ih, weight_hh, bias_ih, bias_hh as NumPy arrays."""
    return [getattr(cell, n).detach().numpy().copy() for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]


def np_problem(B: int, D: int, H: int, G: int, seed: int) -> dict[str, np.ndarray]:
    """Random x, h_prev (and c_prev for an LSTM, G = 4) and weights of a cell with G weight blocks."""
    rng = np.random.default_rng(seed)
    p = {"x": rng.normal(size=(B, D)), "h_prev": rng.normal(scale=0.8, size=(B, H))}
    if G == 4:
        p["c_prev"] = rng.normal(size=(B, H))
    p.update(W_ih=rng.normal(scale=0.6, size=(G * H, D)), W_hh=rng.normal(scale=0.6, size=(G * H, H)),
             b_ih=rng.normal(scale=0.3, size=G * H), b_hh=rng.normal(scale=0.3, size=G * H))
    return p


def central_differences(loss, params: dict[str, np.ndarray], eps: float = 1e-6) -> dict[str, np.ndarray]:
    """d loss / d params by central differences, one entry at a time."""
    numeric = {}
    for key, value in params.items():
        grad = np.zeros_like(value)
        for idx in np.ndindex(value.shape):
            plus = {k: v.copy() for k, v in params.items()}
            minus = {k: v.copy() for k, v in params.items()}
            plus[key][idx] += eps
            minus[key][idx] -= eps
            grad[idx] = (loss(plus) - loss(minus)) / (2 * eps)
        numeric[key] = grad
    return numeric


def autograd_cell_grads(kind: str, p: dict[str, np.ndarray], R: list[np.ndarray]) -> dict[str, np.ndarray]:
    """Gradients of sum(h * R_h) [+ sum(c * R_c)] through torch's own nn.LSTMCell / nn.GRUCell."""
    B, D = p["x"].shape
    H = p["h_prev"].shape[1]
    cell = (nn.LSTMCell if kind == "lstm" else nn.GRUCell)(D, H).double()
    with torch.no_grad():
        for name, key in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), ("W_ih", "W_hh", "b_ih", "b_hh")):
            getattr(cell, name).copy_(torch.from_numpy(p[key]))
    leaves = {k: torch.from_numpy(p[k].copy()).requires_grad_() for k in ("x", "h_prev", "c_prev") if k in p}
    if kind == "lstm":
        out = cell(leaves["x"], (leaves["h_prev"], leaves["c_prev"]))
    else:
        out = (cell(leaves["x"], leaves["h_prev"]),)
    sum((o * torch.from_numpy(r)).sum() for o, r in zip(out, R)).backward()
    grads = {k: v.grad.numpy() for k, v in leaves.items()}
    grads.update(W_ih=cell.weight_ih.grad.numpy(), W_hh=cell.weight_hh.grad.numpy(),
                 b_ih=cell.bias_ih.grad.numpy(), b_hh=cell.bias_hh.grad.numpy())
    return grads
