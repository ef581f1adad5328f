"""Attention for encoder-decoder models: score functions that compare a decoder query with every encoder
state, a softmax that ignores padded source positions, and an RNN decoder that attends.

- Scores (one number per source position): dot, q . k; general (Luong et al. 2015), q^T W k; additive
  (Bahdanau et al. 2015), v^T tanh(W_q q + W_k k). Every score function takes a query (B, H_q) for one
  decoder step or (B, T, H_q) for T steps at once, and keys (B, S, H_k); it returns (B, S) or (B, T, S).
- `masked_softmax` gives padded positions weight 0, and a row with no real position all zeros (not NaN).
- `AttentionDecoder` is Luong's "global attention" decoder: the RNN steps first, its new top state is
  the query, and the context vector joins it before the output layer. It has the seq2seq decoder
  interface (`init_state`, `step`, `forward_sequence`), so the seq2seq loss, greedy decoding and beam
  search use it unchanged (it lives in `course_lib.models.attention_decoder`).
"""
from __future__ import annotations

import torch
from torch import nn


SCORES = ("dot", "general", "additive")


def _as_steps(query: torch.Tensor, keys: torch.Tensor, name: str) -> tuple[torch.Tensor, bool]:
    """Check shapes; return the query as (B, T, H_q) and whether it came without a time axis."""
    if keys.dim() != 3:
        raise ValueError(f"{name}: keys must be (B, S, H_k), got shape {tuple(keys.shape)}")
    if query.dim() not in (2, 3) or query.shape[0] != keys.shape[0]:
        raise ValueError(f"{name}: query must be (B, H_q) or (B, T, H_q) with B = {keys.shape[0]} as in keys, "
                         f"got shape {tuple(query.shape)}")
    single = query.dim() == 2
    return (query.unsqueeze(1) if single else query), single


def dot_scores(query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
    """q . k for every source position. query (B, H) or (B, T, H), keys (B, S, H) -> (B, S) or (B, T, S)."""
    q, single = _as_steps(query, keys, "dot_scores")
    if q.shape[-1] != keys.shape[-1]:
        raise ValueError(f"dot_scores: query and keys need the same size, got {q.shape[-1]} and {keys.shape[-1]}")
    scores = q @ keys.transpose(1, 2)                       # (B, T, S)
    return scores.squeeze(1) if single else scores


def general_scores(query: torch.Tensor, keys: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """q^T W k (Luong's "general" score). query (B, H_q) or (B, T, H_q), keys (B, S, H_k),
    weight (H_q, H_k) -> (B, S) or (B, T, S)."""
    q, single = _as_steps(query, keys, "general_scores")
    if weight.shape != (q.shape[-1], keys.shape[-1]):
        raise ValueError(f"general_scores: weight must be (H_q, H_k) = ({q.shape[-1]}, {keys.shape[-1]}), "
                         f"got {tuple(weight.shape)}")
    scores = (q @ weight) @ keys.transpose(1, 2)           # (B, T, H_k) @ (B, H_k, S) -> (B, T, S)
    return scores.squeeze(1) if single else scores


def additive_scores(query: torch.Tensor, keys: torch.Tensor, w_query: torch.Tensor, w_keys: torch.Tensor,
                    v: torch.Tensor) -> torch.Tensor:
    """v^T tanh(W_q q + W_k k) (Bahdanau's "additive" score). query (B, H_q) or (B, T, H_q), keys (B, S, H_k),
    w_query (A, H_q), w_keys (A, H_k), v (A,) -> (B, S) or (B, T, S)."""
    q, single = _as_steps(query, keys, "additive_scores")
    A = v.shape[0] if v.dim() == 1 else -1
    if v.dim() != 1 or w_query.shape != (A, q.shape[-1]) or w_keys.shape != (A, keys.shape[-1]):
        raise ValueError(f"additive_scores: need v (A,), w_query (A, {q.shape[-1]}), w_keys (A, {keys.shape[-1]}); "
                         f"got {tuple(v.shape)}, {tuple(w_query.shape)}, {tuple(w_keys.shape)}")
    hidden = torch.tanh((q @ w_query.T).unsqueeze(2) + (keys @ w_keys.T).unsqueeze(1))   # (B, T, S, A)
    scores = hidden @ v                                                                  # (B, T, S)
    return scores.squeeze(1) if single else scores


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Softmax of `scores` over `dim` in which positions where `mask` is False get weight exactly 0.

    scores: (..., S) float; mask: bool, True at real positions, with as many dimensions as scores, each of
    them equal to the scores' or 1 (it is broadcast only along size-1 dimensions). A mask with fewer
    dimensions is refused rather than aligned on the trailing ones: a (B, S) mask with (B, T, S) scores
    would be read as (T, S) (silently wrong when B == T); pass mask.unsqueeze(1), i.e. (B, 1, S).
    A row with no real position gets all zeros, not NaN (softmax over a row of -inf would be NaN)."""
    if not scores.is_floating_point():
        raise TypeError(f"masked_softmax: scores must be a float tensor, got {scores.dtype}")
    if mask.dtype != torch.bool:
        raise TypeError(f"masked_softmax: mask must be bool (True = real position), got {mask.dtype}")
    if mask.dim() != scores.dim():
        hint = (f"; for (B, T, S) scores and a (B, S) mask pass mask.unsqueeze(1), shape "
                f"{(mask.shape[0], 1, mask.shape[1])}" if mask.dim() == 2 and scores.dim() == 3 else "")
        raise ValueError(f"masked_softmax: mask of shape {tuple(mask.shape)} must have as many dimensions as "
                         f"scores {tuple(scores.shape)} (each equal or 1){hint}")
    try:
        mask = mask.expand_as(scores)
    except RuntimeError as err:
        raise ValueError(f"masked_softmax: mask of shape {tuple(mask.shape)} does not broadcast to scores "
                         f"{tuple(scores.shape)}") from err
    lowest = torch.finfo(scores.dtype).min                  # exp(lowest - max) is exactly 0 in a row with a real position
    weights = torch.softmax(scores.masked_fill(~mask, lowest), dim=dim)
    return weights * mask                                   # an all-padding row: uniform * 0 = 0


def _check_mask(mask: torch.Tensor, keys: torch.Tensor) -> None:
    if mask.dtype != torch.bool or mask.shape != keys.shape[:2]:
        raise ValueError(f"mask must be bool (B, S) = {tuple(keys.shape[:2])}, got {mask.dtype} {tuple(mask.shape)}")


class DotAttention(nn.Module):
    """Dot-product scores; no parameters (query and keys must have the same size)."""

    def forward(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        return dot_scores(query, keys)


class GeneralAttention(nn.Module):
    """Luong's general score q^T W k with a learned W (H_q, H_k)."""

    def __init__(self, query_size: int, key_size: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(query_size, key_size))
        nn.init.xavier_uniform_(self.weight)

    def forward(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        return general_scores(query, keys, self.weight)


class AdditiveAttention(nn.Module):
    """Bahdanau's additive score v^T tanh(W_q q + W_k k), with an attention layer of `attention_size` units."""

    def __init__(self, query_size: int, key_size: int, attention_size: int):
        super().__init__()
        self.w_query = nn.Linear(query_size, attention_size, bias=False)
        self.w_keys = nn.Linear(key_size, attention_size, bias=False)
        self.v = nn.Linear(attention_size, 1, bias=False)

    def forward(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        return additive_scores(query, keys, self.w_query.weight, self.w_keys.weight, self.v.weight[0])


def make_attention(score: str, query_size: int, key_size: int, attention_size: int | None = None) -> nn.Module:
    """A score module by name: "dot", "general" or "additive"."""
    if score == "dot":
        if query_size != key_size:
            raise ValueError(f"dot attention needs query_size == key_size, got {query_size} and {key_size}")
        return DotAttention()
    if score == "general":
        return GeneralAttention(query_size, key_size)
    if score == "additive":
        return AdditiveAttention(query_size, key_size, attention_size or query_size)
    raise ValueError(f"score must be one of {SCORES}, got {score!r}")


def attend(scorer: nn.Module, query: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor
           ) -> tuple[torch.Tensor, torch.Tensor]:
    """Weights over the source positions and the context vector they average.

    scorer: a score module (query, keys) -> scores; query (B, H_q) or (B, T, H_q); keys (B, S, H_k), which
    are also the values; mask (B, S) bool, True at real positions.
    Returns (context (B, H_k) or (B, T, H_k), weights (B, S) or (B, T, S))."""
    _check_mask(mask, keys)
    scores = scorer(query, keys)                                              # (B, S) or (B, T, S)
    weights = masked_softmax(scores, mask if query.dim() == 2 else mask.unsqueeze(1))
    context = (weights.unsqueeze(1) if query.dim() == 2 else weights) @ keys  # (B, 1 or T, H_k)
    return (context.squeeze(1) if query.dim() == 2 else context), weights


