"""A linear-chain conditional random field (CRF) over tag sequences, for Day 09 (a BiLSTM-CRF tagger).

A tagger gives emission scores (B, T, K): how well each of K tags fits each word. A CRF adds scores for
the tag *sequence*: `start` (K,) for the first tag, `transitions` (K, K) with transitions[i, j] the score
of moving from tag i to tag j, and `end` (K,) for the last real tag. The score of a tag path y is

    s(y) = start[y_0] + sum_t emissions[t, y_t] + sum_{t>=1} transitions[y_{t-1}, y_t] + end[y_{L-1}],

and p(y | x) = exp(s(y)) / Z with Z the sum over all K^L paths (computed by the forward algorithm).

Conventions shared by every function here (and by course_lib.decoding.viterbi):
- emissions: (B, T, K) floating; tags: (B, T) long, values in [0, K) everywhere (padded positions too,
  where they are ignored); mask: (B, T) bool, True at real positions, real steps first (left-aligned);
- the first step of every row must be real (mask[:, 0] all True), as pytorch-crf also requires: a row
  whose first step is padding (an empty sentence) has no tag path, and is refused with a ValueError;
- start, transitions and end are floating tensors on the emissions' device;
- padded steps never change a result or a gradient, whatever the emissions (inf and nan included) or the
  tags (valid ids) hold there.

Parity: crf_nll(...) == -torchcrf.CRF(K, batch_first=True)(emissions, tags, mask, reduction="mean") with
start_transitions, transitions and end_transitions copied (pytorch-crf returns a log-likelihood, sums over
the batch by default, and is time-first by default).
"""
from __future__ import annotations

import torch
from torch import nn


def check_crf_inputs(emissions: torch.Tensor, mask: torch.Tensor, start: torch.Tensor, transitions: torch.Tensor,
                     end: torch.Tensor, tags: torch.Tensor | None = None, where: str = "crf") -> None:
    """Raise TypeError/ValueError naming what was expected and what came, for the conventions above."""
    for name, x in (("emissions", emissions), ("mask", mask), ("start", start), ("transitions", transitions),
                    ("end", end)) + ((("tags", tags),) if tags is not None else ()):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{where}: {name} must be a torch.Tensor, got {type(x).__name__}")
    if emissions.dim() != 3 or not emissions.is_floating_point():
        raise ValueError(f"{where}: emissions must be a floating (B, T, K) tensor, got shape "
                         f"{tuple(emissions.shape)}, dtype {emissions.dtype}")
    B, T, K = emissions.shape
    if T == 0 or B == 0:
        raise ValueError(f"{where}: emissions must have at least one sentence and one step, got shape {(B, T, K)}")
    if mask.shape != (B, T) or mask.dtype != torch.bool:
        raise ValueError(f"{where}: mask must be a bool tensor of shape {(B, T)}, got shape {tuple(mask.shape)}, "
                         f"dtype {mask.dtype}")
    if start.shape != (K,) or end.shape != (K,) or transitions.shape != (K, K):
        raise ValueError(f"{where}: with K={K} tags, start and end must be ({K},) and transitions ({K}, {K}); got "
                         f"start {tuple(start.shape)}, transitions {tuple(transitions.shape)}, end {tuple(end.shape)}")
    for name, x in (("start", start), ("transitions", transitions), ("end", end)):
        if not x.is_floating_point():
            raise ValueError(f"{where}: {name} must be floating (scores), got dtype {x.dtype}")
    for name, x in (("mask", mask), ("start", start), ("transitions", transitions), ("end", end)) + \
            ((("tags", tags),) if tags is not None else ()):
        if x.device != emissions.device:
            raise ValueError(f"{where}: {name} must be on the same device as the emissions ({emissions.device}), "
                             f"got {x.device}")
    if not bool(mask[:, 0].all()):
        rows = torch.nonzero(~mask[:, 0]).flatten().tolist()
        raise ValueError(f"{where}: the first step of every row must be real (mask[:, 0] all True); rows {rows} "
                         f"start with padding (an empty sentence has no tag path)")
    if T > 1 and bool((mask[:, 1:] & ~mask[:, :-1]).any()):
        raise ValueError(f"{where}: mask must be left-aligned (real steps first, then padding); a row has a real "
                         f"step after a padded one")
    if tags is not None:
        if tags.shape != (B, T) or tags.dtype != torch.long:
            raise ValueError(f"{where}: tags must be a torch.long tensor of shape {(B, T)}, got shape "
                             f"{tuple(tags.shape)}, dtype {tags.dtype}")
        if bool(((tags < 0) | (tags >= K)).any()):
            raise ValueError(f"{where}: tags must lie in [0, {K}) (padded positions too), got values from "
                             f"{int(tags.min())} to {int(tags.max())}")


def path_score(emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor, start: torch.Tensor,
               transitions: torch.Tensor, end: torch.Tensor) -> torch.Tensor:
    """The unnormalised score s(y) of each row's tag path (see the module docstring): (B,).

    emissions (B, T, K), tags (B, T) long, mask (B, T) bool, start (K,), transitions (K, K), end (K,)."""
    check_crf_inputs(emissions, mask, start, transitions, end, tags, where="path_score")
    B, T, _ = emissions.shape
    rows = torch.arange(B, device=emissions.device)
    real = mask.to(emissions.dtype)                                                        # (B, T)
    emit = emissions.gather(2, tags.unsqueeze(-1)).squeeze(-1)                           # (B, T)
    score = start[tags[:, 0]] + torch.where(mask, emit, 0.0).sum(dim=1)                   # (B,): inf/nan padding too
    if T > 1:
        score = score + (transitions[tags[:, :-1], tags[:, 1:]] * real[:, 1:]).sum(dim=1)  # (B, T-1) -> (B,)
    last = mask.sum(dim=1) - 1                                                            # (B,) index of last real step
    return score + end[tags[rows, last]]


def log_partition(emissions: torch.Tensor, mask: torch.Tensor, start: torch.Tensor, transitions: torch.Tensor,
                  end: torch.Tensor) -> torch.Tensor:
    """log Z for each row by the forward algorithm, batched, masked, in log space: (B,).

    alpha_0[j] = start[j] + emissions[0, j];
    alpha_t[j] = logsumexp_i(alpha_{t-1}[i] + transitions[i, j]) + emissions[t, j] at real steps, kept at padding;
    log Z = logsumexp_j(alpha_last[j] + end[j])."""
    check_crf_inputs(emissions, mask, start, transitions, end, where="log_partition")
    alpha = start + emissions[:, 0]                                                       # (B, K)
    for t in range(1, emissions.shape[1]):
        step = torch.logsumexp(alpha.unsqueeze(2) + transitions, dim=1) + emissions[:, t]  # (B, K, 1)+(K, K) -> (B, K)
        alpha = torch.where(mask[:, t].unsqueeze(1), step, alpha)                         # (B, K)
    return torch.logsumexp(alpha + end, dim=1)                                            # (B,)


def crf_nll(emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor, start: torch.Tensor,
            transitions: torch.Tensor, end: torch.Tensor) -> torch.Tensor:
    """The CRF loss: the mean over the batch of -log p(tags | emissions) = log Z - s(tags). 0-dim."""
    return (log_partition(emissions, mask, start, transitions, end)
            - path_score(emissions, tags, mask, start, transitions, end)).mean()


def bio_constraints(tag_names: list[str] | tuple[str, ...], penalty: float = -1e4
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """Additive scores that forbid what IOB2 forbids: (start_mask (K,), transition_mask (K, K)), float32,
    0 where allowed and `penalty` where forbidden. I-X may follow only B-X or I-X; a sentence may not start
    with I-X. Tag names are "O", "B-X" or "I-X".

    The penalty is a large finite negative number, not -inf: -inf - (-inf) is NaN, so a forward algorithm
    or a gradient that meets a forbidden transition (a gold path that breaks the rule, or padding) would turn
    NaN; a finite penalty keeps every score finite and still makes a forbidden path lose."""
    if isinstance(penalty, bool) or not isinstance(penalty, (int, float)) or not -float("inf") < penalty < 0:
        raise ValueError(f"penalty must be a finite negative number, got {penalty!r}")
    if isinstance(tag_names, str) or not isinstance(tag_names, (list, tuple)):
        raise TypeError(f"tag_names must be a list of tag names, got {type(tag_names).__name__}")
    if not tag_names:
        raise ValueError("tag_names must hold at least one tag name, got none")
    for name in tag_names:
        if not isinstance(name, str) or not (name == "O" or (name[:2] in ("B-", "I-") and len(name) > 2)):
            raise ValueError(f"tag names must be 'O', 'B-X' or 'I-X', got {name!r}")
    repeated = sorted({name for name in tag_names if tag_names.count(name) > 1})
    if repeated:
        raise ValueError(f"each tag name must occur once, got twice or more: {', '.join(map(repr, repeated))}")
    K = len(tag_names)
    start_mask = torch.zeros(K)
    transition_mask = torch.zeros(K, K)
    for j, to in enumerate(tag_names):
        if to.startswith("I-"):
            start_mask[j] = penalty
            for i, before in enumerate(tag_names):
                if before not in ("B-" + to[2:], to):
                    transition_mask[i, j] = penalty
    return start_mask, transition_mask


class CRF(nn.Module):
    """A CRF layer with learned start (K,), transitions (K, K) and end (K,) scores, initialised uniformly in
    [-0.1, 0.1] as pytorch-crf does. nll(...) is crf_nll; decode(...) is course_lib.decoding.viterbi."""

    def __init__(self, num_tags: int):
        super().__init__()
        if not isinstance(num_tags, int) or isinstance(num_tags, bool) or num_tags < 1:
            raise ValueError(f"num_tags must be a positive int, got {num_tags!r}")
        self.start = nn.Parameter(torch.empty(num_tags).uniform_(-0.1, 0.1))
        self.transitions = nn.Parameter(torch.empty(num_tags, num_tags).uniform_(-0.1, 0.1))
        self.end = nn.Parameter(torch.empty(num_tags).uniform_(-0.1, 0.1))

    def nll(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return crf_nll(emissions, tags, mask, self.start, self.transitions, self.end)

    def decode(self, emissions: torch.Tensor, mask: torch.Tensor, start_bias: torch.Tensor | None = None,
               transition_bias: torch.Tensor | None = None) -> tuple[torch.Tensor, list[list[int]]]:
        """Viterbi decoding, optionally with additive constraints (from bio_constraints) on start and transitions."""
        from ..decoding.viterbi import viterbi_decode
        k = self.start.shape[0]
        for name, bias, shape in (("start_bias", start_bias, (k,)), ("transition_bias", transition_bias, (k, k))):
            if bias is not None and tuple(bias.shape) != shape:
                raise ValueError(f"CRF.decode: {name} must have shape {shape}, got {tuple(bias.shape)}")
        start = self.start if start_bias is None else self.start + start_bias
        trans = self.transitions if transition_bias is None else self.transitions + transition_bias
        return viterbi_decode(emissions, mask, start, trans, self.end)
