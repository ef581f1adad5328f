"""Perplexity of a language model: exp of the mean negative log-likelihood per real predicted symbol.

The symbols counted are the targets that are not padding: every real character of a sequence and its end
symbol (<eos>), never the padding after it. Shapes: logits (B, T, V) unnormalised scores, targets (B, T) ids.
Day 08 writes `perplexity` as an exercise; `mean_nll` is the same number before the exp (nats per symbol).
"""
from __future__ import annotations

import operator

import torch


def _check(logits: torch.Tensor, targets: torch.Tensor, pad_id: int) -> torch.Tensor:
    if not isinstance(logits, torch.Tensor) or logits.dim() != 3 or not logits.is_floating_point():
        raise ValueError(f"logits must be a float tensor of shape (B, T, V), got "
                         f"{getattr(logits, 'dtype', type(logits).__name__)} of shape {tuple(getattr(logits, 'shape', ()))}")
    if not isinstance(targets, torch.Tensor) or targets.dtype != torch.long or tuple(targets.shape) != tuple(logits.shape[:2]):
        raise ValueError(f"targets must be a long tensor of shape (B, T) = {tuple(logits.shape[:2])}, got "
                         f"{getattr(targets, 'dtype', type(targets).__name__)} of shape {tuple(getattr(targets, 'shape', ()))}")
    if isinstance(pad_id, bool):
        raise ValueError(f"pad_id must be an integer id, got {pad_id!r}")
    try:
        pad_id = operator.index(pad_id)                                        # int, numpy or 0-dim integer tensor
    except TypeError:
        raise ValueError(f"pad_id must be an integer id, got {pad_id!r}") from None
    mask = targets != pad_id                                                   # (B, T) True on real symbols
    if not bool(mask.any()):
        raise ValueError(f"every target is padding (pad_id={pad_id}): there is no symbol to score")
    real = targets[mask]
    if bool(((real < 0) | (real >= logits.shape[-1])).any()):
        raise ValueError(f"targets must be ids in [0, {logits.shape[-1]}), got values from {int(real.min())} to {int(real.max())}")
    return mask


def mean_nll(logits: torch.Tensor, targets: torch.Tensor, pad_id: int) -> torch.Tensor:
    """Mean negative log-likelihood (nats) over the non-padding targets: a 0-dim tensor, differentiable."""
    mask = _check(logits, targets, pad_id)                                     # (B, T)
    log_probs = torch.log_softmax(logits, dim=-1)                              # (B, T, V)
    picked = log_probs.gather(-1, targets.masked_fill(~mask, 0).unsqueeze(-1)).squeeze(-1)   # (B, T)
    return -(picked * mask).sum() / mask.sum()


def perplexity(logits: torch.Tensor, targets: torch.Tensor, pad_id: int) -> torch.Tensor:
    """exp(mean NLL over the real predicted symbols, end symbol included, padding excluded): a 0-dim tensor.

    logits (B, T, V) float, targets (B, T) long, pad_id: the id whose targets are ignored. Equals
    exp(F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), ignore_index=pad_id)). Raises ValueError
    when every target is padding (there is nothing to average) or the shapes or dtypes are wrong."""
    return torch.exp(mean_nll(logits, targets, pad_id))
