"""Gradient clipping by the global norm of all parameters' gradients."""
from __future__ import annotations

from collections.abc import Iterable

import torch



def clip_grad_norm(parameters: Iterable[torch.Tensor] | torch.Tensor, max_norm: float,
                   eps: float = 1e-6) -> torch.Tensor:
    """Rescale all gradients together so their global L2 norm is at most `max_norm`, in place.
    Same contract as `torch.nn.utils.clip_grad_norm_`: parameters without a gradient are skipped,
    the scale is min(1, max_norm / (norm + eps)), and the norm *before* clipping is returned."""
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    if max_norm <= 0:
        raise ValueError(f"max_norm must be positive, got {max_norm}")
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
    scale = torch.clamp(max_norm / (total + eps), max=1.0)
    for g in grads:
        g.mul_(scale)
    return total


