"""Cross-entropy over padded sequences: only real tokens count, and a sequence model's teacher-forced loss."""
from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

if TYPE_CHECKING:
    from ..models.seq2seq import Seq2Seq


def masked_cross_entropy(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over real tokens only: sum of per-token losses where mask is True, divided by
    the number of True positions (not by B * L: padding must not dilute the loss).

    logits: (B, L, C), targets: (B, L) integer ids, mask: (B, L) bool."""
    if logits.dim() != 3 or logits.shape[:2] != targets.shape or targets.shape != mask.shape:
        raise ValueError(f"logits (B, L, C), targets (B, L) and mask (B, L) must agree, got "
                         f"{tuple(logits.shape)}, {tuple(targets.shape)}, {tuple(mask.shape)}")
    if mask.dtype != torch.bool:
        raise TypeError(f"mask must be a bool tensor, got {mask.dtype}")
    n = mask.sum()
    if n == 0:
        raise ValueError("the mask selects no tokens")
    per_token = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                            reduction="none").reshape(targets.shape)   # (B, L)
    return (per_token * mask).sum() / n


def teacher_forcing_loss(model: Seq2Seq, src: torch.Tensor, src_lengths: torch.Tensor, tgt: torch.Tensor,
                         ratio: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """Mean cross-entropy per real target token: the decoder reads tgt[:, :-1] (with teacher forcing at
    `ratio`) and is scored on tgt[:, 1:], padding excluded. tgt: (B, T) with <bos> first."""
    logits = model(src, src_lengths, tgt, teacher_forcing=ratio, generator=generator)   # (B, T-1, V)
    targets = tgt[:, 1:]                                                                 # (B, T-1)
    return masked_cross_entropy(logits, targets, targets != model.pad_id)
