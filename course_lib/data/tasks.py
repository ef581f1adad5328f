"""Synthetic long-range tasks for comparing recurrent cells: the copy task and the adding task.
Generated on the fly from a seeded torch.Generator; nothing to download."""
from __future__ import annotations

import torch

IGNORE = -100  # target at positions with nothing to predict (cross_entropy's default ignore_index)


def copy_task(batch: int, n_copy: int, distance: int, n_symbols: int = 8,
              generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Remember `n_copy` symbols across `distance` blank steps, then write them back.

    Tokens: 0 = blank, 1..n_symbols = data, n_symbols + 1 = "go" marker (vocabulary size n_symbols + 2).
    inputs  (B, T): s_1 .. s_K, blank x distance, go, blank x (K - 1)        with T = 2K + distance
    targets (B, T): IGNORE x (K + distance), s_1 .. s_K
    so the first symbol must be carried distance + K steps. Score with targets != IGNORE as the mask."""
    if batch < 1 or n_copy < 1 or distance < 0 or n_symbols < 2:
        raise ValueError(f"need batch >= 1, n_copy >= 1, distance >= 0, n_symbols >= 2; got "
                         f"{batch}, {n_copy}, {distance}, {n_symbols}")
    K = n_copy
    symbols = torch.randint(1, n_symbols + 1, (batch, K), generator=generator)          # (B, K)
    blank = torch.zeros(batch, distance, dtype=torch.long)
    go = torch.full((batch, 1), n_symbols + 1, dtype=torch.long)
    inputs = torch.cat([symbols, blank, go, torch.zeros(batch, K - 1, dtype=torch.long)], dim=1)  # (B, T)
    targets = torch.cat([torch.full((batch, K + distance), IGNORE, dtype=torch.long), symbols], dim=1)
    return inputs, targets


def adding_task(batch: int, length: int, generator: torch.Generator | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """Hochreiter & Schmidhuber's adding problem. inputs (B, T, 2): channel 0 random values in [0, 1),
    channel 1 marks exactly two positions, one in each half of the sequence. target (B,): the sum of the
    two marked values. Predicting 1.0 always gives a mean squared error of about 0.167."""
    if batch < 1 or length < 2:
        raise ValueError(f"need batch >= 1 and length >= 2, got {batch}, {length}")
    values = torch.rand(batch, length, generator=generator)                             # (B, T)
    half = length // 2
    first = torch.randint(0, half, (batch,), generator=generator)
    second = torch.randint(half, length, (batch,), generator=generator)
    marks = torch.zeros(batch, length)
    rows = torch.arange(batch)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    target = values[rows, first] + values[rows, second]                                 # (B,)
    return torch.stack([values, marks], dim=-1), target
