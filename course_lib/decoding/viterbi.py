"""Viterbi decoding of a linear-chain CRF, for Day 09: the best tag path of each sentence, batched and
masked, with back-pointers. Same conventions as course_lib.layers.crf (emissions (B, T, K), mask (B, T)
bool and left-aligned with every first step real, start (K,), transitions (K, K) from row tag to column
tag, end (K,)).

Ties: when two paths score the same, either may be returned (torch.max picks one); the tests use
continuous random scores, where ties do not occur.
"""
from __future__ import annotations

import torch

from ..layers.crf import check_crf_inputs


def viterbi_decode(emissions: torch.Tensor, mask: torch.Tensor, start: torch.Tensor, transitions: torch.Tensor,
                   end: torch.Tensor) -> tuple[torch.Tensor, list[list[int]]]:
    """The highest-scoring tag path of each row and its score.

    Returns (scores (B,), paths): paths[b] is a list of mask[b].sum() ints (tag ids), and scores[b] the
    path score s(paths[b]) (course_lib.layers.crf.path_score), the maximum over all K^L paths."""
    check_crf_inputs(emissions, mask, start, transitions, end, where="viterbi_decode")
    B, T, _ = emissions.shape
    score = start + emissions[:, 0]                                                # (B, K)
    pointers = []
    for t in range(1, T):
        best, arg = (score.unsqueeze(2) + transitions).max(dim=1)   # (B, K prev, K next) -> (B, K)
        pointers.append(arg)                                        # (B, K): the best previous tag of each tag
        score = torch.where(mask[:, t].unsqueeze(1), best + emissions[:, t], score)
    final = score + end                                                            # (B, K)
    scores, last = final.max(dim=1)                                                # (B,), (B,)
    lengths = mask.sum(dim=1).tolist()
    back = torch.stack(pointers, dim=1).tolist() if pointers else []              # (B, T-1, K) as lists
    paths = []
    for b, n in enumerate(lengths):
        path = [int(last[b])]
        for t in range(n - 1, 0, -1):                                              # pointers[t - 1] leads to step t - 1
            path.append(back[b][t - 1][path[-1]])
        paths.append(path[::-1])
    return scores, paths
