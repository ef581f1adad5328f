"""Sampling the next token from a language model: temperature, top-k and top-p (nucleus) filtering, and one
reproducible sampling step.

Shapes: logits and probabilities (..., V) over a vocabulary of V tokens (any leading axes); sample_next
takes logits (B, V) and returns ids (B,). Ties between equal probabilities are broken in favour of the
lower token id everywhere (a stable sort), so every function is deterministic. Day 08's exercises.
"""
from __future__ import annotations

import operator

import torch


def _check_scores(x: torch.Tensor, what: str) -> None:
    if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.dim() < 1 or x.shape[-1] < 1:
        raise ValueError(f"{what} must be a float tensor of shape (..., V) with V >= 1, got "
                         f"{getattr(x, 'dtype', type(x).__name__)} of shape {tuple(getattr(x, 'shape', ()))}")


def _check_probs(probs: torch.Tensor) -> None:
    """Rows must be distributions: no negative entry, each row summing to 1 (within 1e-3, nan refused)."""
    _check_scores(probs, "probs")
    sums = probs.sum(dim=-1)                                                   # (...,)
    if bool((probs < 0).any()) or not bool(((sums - 1).abs() <= 1e-3).all()):
        raise ValueError("probs must be probabilities: entries >= 0 and each row summing to 1 (logits? use "
                         f"apply_temperature first), got entries from {probs.min().item():.4g} to "
                         f"{probs.max().item():.4g} and row sums from {sums.min().item():.4g} to {sums.max().item():.4g}")


def apply_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Probabilities softmax(logits / T) over the last axis: (..., V) -> (..., V), same dtype.

    T = 1 is the model's own distribution, T < 1 sharpens it, T > 1 flattens it. T = 0 is the limit T -> 0:
    a one-hot vector on the argmax (on a tie, the lowest id), computed without dividing by zero.
    Raises ValueError for T < 0."""
    _check_scores(logits, "logits")
    try:
        temperature = float(temperature)
    except (TypeError, ValueError):
        raise ValueError(f"temperature must be a number >= 0, got {temperature!r}") from None
    if not temperature >= 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if temperature == 0:
        best = logits.argmax(dim=-1, keepdim=True)                             # (..., 1) first maximum
        return torch.zeros_like(logits).scatter(-1, best, 1.0)                 # (..., V) one-hot
    return torch.softmax(logits / temperature, dim=-1)


def _sorted(probs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Probabilities sorted high to low, equal ones in id order (stable), and their ids: (..., V) each."""
    return torch.sort(probs, dim=-1, descending=True, stable=True)


def _renormalise(probs: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    kept = torch.where(keep, probs, torch.zeros_like(probs))                   # (..., V) outside exactly 0
    return kept / kept.sum(dim=-1, keepdim=True)


def top_k_filter(probs: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the k most probable tokens of each row, set the others to exactly 0, renormalise: (..., V).

    Exactly k entries per row stay (ties at the cut: the lower ids stay). k = 1 gives a one-hot vector;
    k >= V returns the probabilities unchanged. Raises ValueError for k < 1 or a non-integer k."""
    _check_probs(probs)
    try:
        k_int = None if isinstance(k, bool) else operator.index(k)            # int or numpy integer
    except TypeError:
        k_int = None
    if k_int is None or k_int < 1:
        raise ValueError(f"k must be an integer >= 1, got {k!r}")
    k = k_int
    if k >= probs.shape[-1]:
        return probs.clone()
    _, order = _sorted(probs)                                                  # (..., V)
    keep = torch.zeros_like(probs, dtype=torch.bool).scatter(-1, order[..., :k], True)   # (..., V)
    return _renormalise(probs, keep)


def top_p_filter(probs: torch.Tensor, p: float) -> torch.Tensor:
    """Nucleus filtering: keep the smallest set of most probable tokens whose total mass reaches p, set the
    others to exactly 0, renormalise: (..., V) -> (..., V). Rows are probabilities (they sum to 1).

    Tokens are taken from the most probable down (equal ones in id order); the token whose probability makes
    the running total reach or cross p is kept. p near 0 keeps only the most probable token; p = 1 returns the
    probabilities unchanged. Raises ValueError unless 0 < p <= 1."""
    _check_probs(probs)
    p = float(p)
    if not 0 < p <= 1:
        raise ValueError(f"p must be in (0, 1], got {p}")
    if p == 1:
        return probs.clone()
    sorted_probs, order = _sorted(probs)                                      # (..., V) each
    before = sorted_probs.cumsum(dim=-1) - sorted_probs                        # (..., V) mass of the tokens above
    keep_sorted = before < p                                                   # the crossing token is kept
    keep = torch.zeros_like(keep_sorted).scatter(-1, order, keep_sorted)      # back to id order
    return _renormalise(probs, keep)


def sample_next(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
                top_p: float | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
    """One sampling step: logits (B, V) -> ids (B,) long.

    The distribution is apply_temperature(logits, temperature), then top_k_filter (if top_k is given), then
    top_p_filter (if top_p is given); one id per row is drawn with torch.multinomial(..., generator=generator),
    so the same generator state gives the same ids. Temperature 0 always returns the argmax."""
    if not isinstance(logits, torch.Tensor) or logits.dim() != 2:
        raise ValueError(f"logits must have shape (B, V), got {tuple(getattr(logits, 'shape', ()))}")
    _check_scores(logits, "logits")
    if bool(torch.isnan(logits).any()):
        raise ValueError("logits contain nan: no distribution to sample from")
    if bool((logits == float("inf")).any()):
        raise ValueError("logits contain +inf: softmax is undefined (use a large finite score)")
    dead = (logits == float("-inf")).all(dim=-1)                               # (B,)
    if bool(dead.any()):
        raise ValueError(f"rows {dead.nonzero().flatten().tolist()} of the logits are all -inf: nothing to sample")
    probs = apply_temperature(logits, temperature)                            # (B, V)
    if top_k is not None:
        probs = top_k_filter(probs, top_k)
    if top_p is not None:
        probs = top_p_filter(probs, top_p)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)       # (B, 1) -> (B,)
