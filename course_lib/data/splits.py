"""The one type every data loader returns: train, validation and test splits, and a seeded way to cut them."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np


class Splits(NamedTuple):
    """Train, validation and test parts of one data set (lists of examples, usually)."""
    train: Any
    validation: Any
    test: Any

    def map(self, fn: Callable[[Any], Any]) -> "Splits":
        """The same splits with `fn` applied to each part, e.g. `splits.map(encode)`."""
        return Splits(fn(self.train), fn(self.validation), fn(self.test))

    def items(self):
        """(name, part) pairs, as a dict's items: ("train", ...), ("validation", ...), ("test", ...)."""
        return self._asdict().items()


def split_indices(n: int, fractions: Sequence[float], seed: int) -> np.ndarray:
    """A split index (0 train, 1 validation, 2 test) for each of n items: a seeded permutation cut by
    `fractions` (three positive numbers summing to 1)."""
    if len(fractions) != 3 or any(f <= 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(f"fractions must be three positive numbers summing to 1, got {fractions}")
    order = np.random.default_rng(seed).permutation(n)
    cuts = np.round(np.cumsum(fractions)[:2] * n).astype(int)
    split = np.empty(n, dtype=np.int64)
    split[order[: cuts[0]]], split[order[cuts[0]: cuts[1]]], split[order[cuts[1]:]] = 0, 1, 2
    return split
