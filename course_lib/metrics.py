"""Metrics that respect masks: only real (unmasked) positions count."""
from __future__ import annotations

import torch


def masked_accuracy(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Fraction of masked-in positions whose arg-max prediction equals the target.

    logits: (..., C), targets: (...) integer class ids, mask: (...) bool, True where a position counts.
    Returns a 0-dim tensor: (correct predictions at real positions) / (number of real positions).
    Padding never counts, in the numerator or the denominator."""
    if logits.shape[:-1] != targets.shape or targets.shape != mask.shape:
        raise ValueError(f"logits (..., C), targets (...) and mask (...) must agree, got {tuple(logits.shape)}, "
                         f"{tuple(targets.shape)}, {tuple(mask.shape)}")
    if mask.dtype != torch.bool:
        raise TypeError(f"mask must be a bool tensor, got {mask.dtype}")
    n = mask.sum()
    if n == 0:
        raise ValueError("the mask selects no positions")
    correct = (logits.argmax(dim=-1) == targets) & mask
    return correct.sum() / n
