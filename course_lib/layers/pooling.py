"""Masked attention pooling: one vector per sequence as a learned weighted average of its real positions.

states (B, T, H) from an encoder, mask (B, T) bool (True on real tokens), w (H,) a learned query. Scores
states @ w (B, T); padded positions are set to -inf before the softmax, so their weight is exactly 0 and their
content cannot change the result. The classifier of Day 08 pools its BiLSTM states with it (Day 08's exercise).
"""
from __future__ import annotations

import torch
from torch import nn


def masked_attention_pool(states: torch.Tensor, mask: torch.Tensor, w: torch.Tensor
                          ) -> tuple[torch.Tensor, torch.Tensor]:
    """(pooled (B, H), weights (B, T)): weights = softmax over the real positions of states @ w, exactly 0 on
    padding, each row summing to 1; pooled = the weighted sum of the states. Raises ValueError on wrong shapes
    or dtypes and when a row has no real token (its weights would be undefined)."""
    if not isinstance(states, torch.Tensor) or states.dim() != 3 or not states.is_floating_point():
        raise ValueError(f"states must be a float tensor (B, T, H), got {getattr(states, 'dtype', type(states).__name__)} "
                         f"of shape {tuple(getattr(states, 'shape', ()))}")
    B, T, H = states.shape
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool or tuple(mask.shape) != (B, T):
        raise ValueError(f"mask must be a bool tensor of shape (B, T) = {(B, T)}, got "
                         f"{getattr(mask, 'dtype', type(mask).__name__)} of shape {tuple(getattr(mask, 'shape', ()))}")
    if not isinstance(w, torch.Tensor) or tuple(w.shape) != (H,):
        raise ValueError(f"w must have shape (H,) = ({H},), got {tuple(getattr(w, 'shape', ()))}")
    if w.dtype != states.dtype:
        raise ValueError(f"w must be a float tensor of the states' dtype {states.dtype}, got {w.dtype}")
    empty = ~mask.any(dim=1)                                                   # (B,)
    if bool(empty.any()):
        raise ValueError(f"rows {empty.nonzero().flatten().tolist()} of the mask have no real token: nothing to pool")
    scores = states @ w                                                        # (B, T, H) @ (H,) -> (B, T)
    scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=1)                                     # (B, T), 0 on padding
    real_states = states.masked_fill(~mask.unsqueeze(-1), 0.0)                 # (B, T, H)
    pooled = (weights.unsqueeze(-1) * real_states).sum(dim=1)                  # (B, H)
    return pooled, weights


class AttentionPooling(nn.Module):
    """masked_attention_pool with its query w as a parameter (H,). `pool` may replace the function (Day 08
    passes the student's own)."""

    def __init__(self, hidden: int, pool=masked_attention_pool):
        super().__init__()
        self.w = nn.Parameter(torch.randn(hidden) / hidden ** 0.5)
        self.pool = pool

    def forward(self, states: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.pool(states, mask, self.w)
