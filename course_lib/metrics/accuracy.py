"""Accuracy of sequence outputs: masked accuracy (only real positions count), exact match of whole
sequences, and accuracy by length bucket."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from torch import nn


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


def accuracy_by_length(lengths: Sequence[int] | np.ndarray, correct: Mapping[str, Sequence[bool] | np.ndarray],
                       edges: Sequence[int]) -> tuple[list[str], np.ndarray, dict[str, np.ndarray]]:
    """Accuracy per length bucket, for several systems scored on the same examples.

    lengths: (N,) one length per example; correct: name -> (N,) bools; edges: increasing e_0 < e_1 < ...
    Buckets: lengths <= e_0 (labelled "<=e_0"; with e_0 = 0 this one normally stays empty), then one per
    (e_k, e_k+1] (labelled "e_k+1-e_k+1", or just the length when the bucket holds one length), then
    lengths > e_-1 (">e_-1"). Every label states exactly the lengths its bucket holds.
    Returns (labels like "11-15" and ">30", examples per bucket, name -> accuracy per bucket), empty buckets
    left out."""
    lengths = np.asarray(lengths)
    edges = list(edges)
    if lengths.ndim != 1:
        raise ValueError(f"lengths must be one number per example (N,), got shape {lengths.shape}")
    if not edges or any(a >= b for a, b in zip(edges, edges[1:])):
        raise ValueError(f"edges must be a non-empty increasing sequence, got {edges}")
    flags = {name: np.asarray(c, dtype=bool) for name, c in correct.items()}
    for name, c in flags.items():
        if c.shape != lengths.shape:
            raise ValueError(f"correct[{name!r}] has shape {c.shape}, expected {lengths.shape} like lengths")
    bucket = np.digitize(lengths, edges, right=True)                       # (N,) in 0 .. len(edges)
    span = lambda lo, hi: f"{lo}" if lo == hi else f"{lo}-{hi}"  # noqa: E731  (integer lengths lo..hi)
    names = ([f"<={edges[0]}"] + [span(edges[k] + 1, edges[k + 1]) for k in range(len(edges) - 1)]
             + [f">{edges[-1]}"])
    present = [k for k in range(len(names)) if (bucket == k).any()]
    counts = np.array([(bucket == k).sum() for k in present])
    rates = {name: np.array([c[bucket == k].mean() for k in present]) for name, c in flags.items()}
    return [names[k] for k in present], counts, rates


def exact_match(predicted: torch.Tensor, tgt: torch.Tensor, eos_id: int, pad_id: int = 0) -> torch.Tensor:
    """(B,) bool: the prediction (B, L) equals the target tgt[:, 1:] (B, T-1) up to and including <eos>."""
    want = tgt[:, 1:]
    L = max(predicted.shape[1], want.shape[1])
    pad = lambda x: nn.functional.pad(x, (0, L - x.shape[1]), value=pad_id)  # noqa: E731
    return (pad(predicted) == pad(want)).all(dim=1)
