"""Greedy (best-path) decoding of CTC outputs: the most probable class at every frame, then repeats collapsed,
THEN blanks dropped -- in that order, so a blank between two equal labels keeps both ("4 4 _ 4" -> [4, 4],
while "4 4 4" -> [4]).

Shapes: log_probs (T, N, C) as for nn.CTCLoss (probabilities or logits give the same argmax), lengths (N,) the
number of real frames of each utterance; the result is a list of N lists of class ids (Python ints).
Greedy decoding is not the most probable label sequence (that sums over paths; a prefix beam search gets
closer), but on a confident model the two rarely differ.
"""
from __future__ import annotations

import numbers
from collections.abc import Sequence

import torch


def _collapse(path: Sequence[int], blank: int) -> list[int]:
    """Collapse runs of equal ids, then drop blanks: [1, 1, 0, 1, 2, 2, 0] -> [1, 1, 2] (blank 0)."""
    out, previous = [], None
    for c in path:
        if c != previous and c != blank:
            out.append(int(c))
        previous = c
    return out


def ctc_greedy(log_probs: torch.Tensor, lengths: torch.Tensor | Sequence[int], blank: int = 0) -> list[list[int]]:
    """Best-path decoding: for utterance n, the argmax class at each frame t < lengths[n] (ties -> the lowest
    class id, as torch.argmax), runs of one class collapsed to one, then blanks removed. A length of 0 gives []."""
    if not isinstance(log_probs, torch.Tensor) or not log_probs.is_floating_point() or log_probs.dim() != 3:
        raise ValueError("log_probs must be a floating tensor (T, N, C), got "
                         + (f"{log_probs.dtype} {tuple(log_probs.shape)}" if isinstance(log_probs, torch.Tensor)
                            else type(log_probs).__name__))
    t_max, n, n_classes = log_probs.shape
    if isinstance(blank, bool) or not isinstance(blank, numbers.Integral):
        raise TypeError(f"blank must be an int, got {type(blank).__name__} {blank!r}")
    if not 0 <= blank < n_classes:
        raise ValueError(f"blank must be a class index in [0, {n_classes}), got {blank}")
    if isinstance(lengths, (list, tuple)) and all(isinstance(x, numbers.Integral) and not isinstance(x, bool)
                                                  for x in lengths):
        lengths = torch.tensor(lengths, dtype=torch.long)
    if not isinstance(lengths, torch.Tensor) or lengths.dtype.is_floating_point or lengths.dtype == torch.bool \
            or lengths.dtype.is_complex:
        raise TypeError(f"lengths must be an integer tensor (N,) = ({n},), got "
                        + (f"dtype {lengths.dtype}" if isinstance(lengths, torch.Tensor) else type(lengths).__name__))
    if lengths.shape != (n,):
        raise ValueError(f"lengths must have shape (N,) = ({n},) (log_probs is (T, N, C) = "
                         f"{tuple(log_probs.shape)}), got {tuple(lengths.shape)}")
    if n and (lengths.min() < 0 or lengths.max() > t_max):
        raise ValueError(f"lengths must lie in [0, T = {t_max}], got min {int(lengths.min())}, "
                         f"max {int(lengths.max())}")
    if torch.isnan(log_probs).any():
        raise ValueError("log_probs must not hold NaN")
    best = log_probs.argmax(dim=2).T.tolist()                                  # (N, T) ids
    return [_collapse(best[i][: int(lengths[i])], int(blank)) for i in range(n)]
