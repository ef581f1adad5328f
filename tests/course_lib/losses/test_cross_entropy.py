"""course_lib.losses.cross_entropy: masked_cross_entropy counts only real tokens and rejects bad input."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from course_lib.batching.padding import lengths_to_mask
from course_lib.losses.cross_entropy import masked_cross_entropy


def test_masked_cross_entropy_counts_only_real_tokens() -> None:
    torch.manual_seed(1)
    logits, targets = torch.randn(3, 4, 6, dtype=torch.float64), torch.randint(0, 6, (3, 4))
    lengths = torch.tensor([4, 1, 2])
    mask = lengths_to_mask(lengths)
    per_sequence = [nn.functional.cross_entropy(logits[b, :n], targets[b, :n], reduction="sum")
                    for b, n in enumerate(lengths.tolist())]
    want = torch.stack(per_sequence).sum() / lengths.sum()
    got = masked_cross_entropy(logits, targets, mask)
    torch.testing.assert_close(got, want)
    # padded positions can hold anything: the loss does not move
    logits2 = logits.clone()
    logits2[~mask] = 1e3
    torch.testing.assert_close(masked_cross_entropy(logits2, targets, mask), want)
    # and the mean over all B * L positions is a different number (the bug this guards against)
    assert not torch.isclose(nn.functional.cross_entropy(logits.reshape(-1, 6), targets.reshape(-1)), want)


def test_masked_cross_entropy_errors() -> None:
    logits, targets = torch.randn(2, 3, 4), torch.zeros(2, 3, dtype=torch.long)
    with pytest.raises(ValueError, match="must agree"):
        masked_cross_entropy(logits, targets, torch.ones(2, 4, dtype=torch.bool))
    with pytest.raises(TypeError, match="bool"):
        masked_cross_entropy(logits, targets, torch.ones(2, 3))
    with pytest.raises(ValueError, match="no tokens"):
        masked_cross_entropy(logits, targets, torch.zeros(2, 3, dtype=torch.bool))
