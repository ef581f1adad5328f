"""course_lib.metrics.accuracy: masked_accuracy ignores padding in numerator and denominator and agrees with a
loop over positions; accuracy_by_length buckets counts and rates; bad input is rejected."""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from course_lib.metrics.accuracy import masked_accuracy
from course_lib.data.tasks import IGNORE

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ------------------------------------------------------------------------------ masked_accuracy
def _logits_for(pred: list, C: int) -> torch.Tensor:
    """Logits whose arg-max is `pred` (any nesting), with a runner-up so the arg-max is clear."""
    p = torch.tensor(pred)
    logits = torch.zeros(*p.shape, C)
    logits.scatter_(-1, p.unsqueeze(-1), 2.0)
    logits.scatter_(-1, ((p + 1) % C).unsqueeze(-1), 1.0)
    return logits


def test_masked_accuracy_ignores_padding_in_numerator_and_denominator():
    # batch of 2 sequences, lengths 3 and 1, padded to 4
    pred = [[1, 2, 0, 0], [3, 0, 0, 0]]
    targets = torch.tensor([[1, 2, 1, 0], [3, 0, 0, 0]])  # padding targets 0 = pad token, "predicted" right
    mask = torch.tensor([[True, True, True, False], [True, False, False, False]])
    logits = _logits_for(pred, 4)
    got = masked_accuracy(logits, targets, mask)
    assert got.dim() == 0 and got.is_floating_point()
    assert got.item() == pytest.approx(3 / 4)         # 3 right out of 4 real positions
    mean_over_all = (logits.argmax(-1) == targets).float().mean().item()
    assert mean_over_all == pytest.approx(7 / 8)      # padding would inflate it
    masked_wrong_denominator = ((logits.argmax(-1) == targets) & mask).sum().item() / mask.numel()
    assert masked_wrong_denominator == pytest.approx(3 / 8)  # ... or deflate it
    assert got.item() not in (pytest.approx(7 / 8), pytest.approx(3 / 8))

    # padding predicted wrong instead: unchanged
    targets_ignore = torch.where(mask, targets, torch.tensor(IGNORE))
    assert masked_accuracy(logits, targets_ignore, mask).item() == pytest.approx(3 / 4)


def test_masked_accuracy_against_a_loop_over_positions():
    g = _gen(13)
    logits = torch.randn(6, 7, 5, generator=g)
    targets = torch.randint(0, 5, (6, 7), generator=g)
    mask = torch.rand(6, 7, generator=g) < 0.6
    right = total = 0
    for i in range(6):
        for j in range(7):
            if mask[i, j]:
                total += 1
                right += int(max(range(5), key=lambda c: logits[i, j, c].item()) == targets[i, j].item())
    assert 0 < right < total
    assert masked_accuracy(logits, targets, mask).item() == pytest.approx(right / total, abs=1e-7)
    all_in = torch.ones(6, 7, dtype=torch.bool)
    assert masked_accuracy(logits, targets, all_in).item() == pytest.approx(
        (logits.argmax(-1) == targets).double().mean().item(), abs=1e-7)


def test_masked_accuracy_flat_and_extreme_cases():
    logits = _logits_for([0, 1, 2], 3)
    targets = torch.tensor([0, 1, 0])
    assert masked_accuracy(logits, targets, torch.tensor([True, True, True])).item() == pytest.approx(2 / 3)
    assert masked_accuracy(logits, targets, torch.tensor([False, False, True])).item() == 0.0
    assert masked_accuracy(logits, targets, torch.tensor([True, True, False])).item() == 1.0


def test_masked_accuracy_rejects_bad_input():
    logits, targets = torch.zeros(2, 4, 5), torch.zeros(2, 4, dtype=torch.long)
    mask = torch.ones(2, 4, dtype=torch.bool)
    with pytest.raises(ValueError, match=re.escape("must agree, got (2, 3, 5), (2, 4), (2, 4)")):
        masked_accuracy(torch.zeros(2, 3, 5), targets, mask)
    with pytest.raises(ValueError, match=re.escape("must agree, got (2, 4, 5), (2, 4), (4, 2)")):
        masked_accuracy(logits, targets, mask.T)
    with pytest.raises(ValueError, match=re.escape("must agree, got (2, 4, 5), (8,), (2, 4)")):
        masked_accuracy(logits, targets.flatten(), mask)
    with pytest.raises(ValueError, match=re.escape("must agree, got (2, 4), (2, 4), (2, 4)")):  # logits without C
        masked_accuracy(torch.zeros(2, 4), targets, mask)
    for dtype in (torch.long, torch.uint8, torch.float32):
        with pytest.raises(TypeError, match=re.escape(f"mask must be a bool tensor, got {dtype}")):
            masked_accuracy(logits, targets, mask.to(dtype))
    with pytest.raises(ValueError, match="the mask selects no positions"):
        masked_accuracy(logits, targets, torch.zeros(2, 4, dtype=torch.bool))


def test_accuracy_by_length_buckets_counts_and_rates():
    from course_lib.metrics.accuracy import accuracy_by_length
    lengths = [3, 10, 11, 15, 31, 40, 12]
    correct = {"a": [1, 0, 1, 1, 0, 0, 0], "b": [True] * 7}
    labels, counts, rates = accuracy_by_length(lengths, correct, [0, 10, 15, 20, 25, 30])
    assert labels == ["1-10", "11-15", ">30"]                   # empty buckets left out
    assert counts.tolist() == [2, 3, 2]
    assert np.allclose(rates["a"], [0.5, 2 / 3, 0.0]) and np.allclose(rates["b"], [1, 1, 1])
    with pytest.raises(ValueError, match="increasing"):
        accuracy_by_length(lengths, correct, [0, 10, 10])
    with pytest.raises(ValueError, match=r"correct\['a'\] has shape \(2,\)"):
        accuracy_by_length(lengths, {"a": [1, 0]}, [0, 10])
    with pytest.raises(ValueError, match="one number per example"):
        accuracy_by_length([[1, 2]], {}, [0, 10])


def test_accuracy_by_length_labels_state_exactly_the_lengths_of_their_bucket_when_edges_do_not_start_at_0():
    from course_lib.metrics.accuracy import accuracy_by_length
    lengths = [2, 5, 6, 10, 11, 12, 40]
    correct = {"a": [1, 1, 0, 0, 1, 1, 0]}
    labels, counts, rates = accuracy_by_length(lengths, correct, [5, 10, 11, 20])
    assert labels == ["<=5", "6-10", "11", "12-20", ">20"]
    assert counts.tolist() == [2, 2, 1, 1, 1]
    assert np.allclose(rates["a"], [1.0, 0.0, 1.0, 1.0, 0.0])
    # brute force: every example sits in the bucket whose label names its length
    def holds(label, n):
        if label.startswith("<="):
            return n <= int(label[2:])
        if label.startswith(">"):
            return n > int(label[1:])
        lo, _, hi = label.partition("-")
        return int(lo) <= n <= int(hi or lo)
    for n in lengths:
        assert sum(holds(label, n) for label in labels) == 1
