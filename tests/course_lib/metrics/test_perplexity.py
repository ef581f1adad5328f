"""course_lib.metrics.perplexity: exp of the mean NLL over the non-padding targets, equal to
exp(F.cross_entropy(ignore_index=pad_id)) in float64, differentiable, and refusing all-padding batches and
bad shapes or dtypes with a message naming them."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from course_lib.metrics.perplexity import mean_nll, perplexity


def _case(B=3, T=5, V=7, pad=0, seed=0):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(B, T, V, generator=g, dtype=torch.float64)
    targets = torch.randint(1, V, (B, T), generator=g)
    for b in range(B):
        targets[b, T - b:] = pad                    # row b has b padded positions at the end
    return logits, targets


def test_perplexity_equals_exp_of_cross_entropy_with_ignore_index_in_float64():
    logits, targets = _case()
    want = torch.exp(F.cross_entropy(logits.reshape(-1, 7), targets.reshape(-1), ignore_index=0))
    torch.testing.assert_close(perplexity(logits, targets, 0), want, rtol=1e-12, atol=0)


def test_perplexity_with_a_pad_id_other_than_zero():
    logits, targets = _case(pad=3)
    targets[targets == 3] = 4                       # real tokens avoid 3 except the padding
    targets[1, -1] = 3
    want = torch.exp(F.cross_entropy(logits.reshape(-1, 7), targets.reshape(-1), ignore_index=3))
    torch.testing.assert_close(perplexity(logits, targets, 3), want, rtol=1e-12, atol=0)


def test_perplexity_is_a_zero_dim_tensor_and_mean_nll_its_log():
    logits, targets = _case()
    ppl = perplexity(logits, targets, 0)
    assert ppl.dim() == 0
    assert math.isclose(math.log(ppl.item()), mean_nll(logits, targets, 0).item(), rel_tol=1e-12)


def test_uniform_logits_give_the_vocabulary_size():
    targets = torch.tensor([[1, 2, 0]])
    assert math.isclose(perplexity(torch.zeros(1, 3, 11), targets, 0).item(), 11.0, rel_tol=1e-6)


def test_padding_logits_do_not_change_the_perplexity():
    logits, targets = _case()
    other = logits.clone()
    other[targets == 0] = 1e3
    torch.testing.assert_close(perplexity(other, targets, 0), perplexity(logits, targets, 0))


def test_mean_is_over_symbols_not_over_sequences():
    logits, targets = _case()
    per_row = [F.cross_entropy(logits[b][targets[b] != 0], targets[b][targets[b] != 0], reduction="sum")
               for b in range(3)]
    want = torch.exp(sum(per_row) / (targets != 0).sum())
    torch.testing.assert_close(perplexity(logits, targets, 0), want)


def test_length_one_and_batch_one():
    logits, targets = _case(B=1, T=1)
    want = torch.exp(F.cross_entropy(logits[0], targets[0]))
    torch.testing.assert_close(perplexity(logits, targets, 0), want)


def test_gradcheck_of_the_mean_nll():
    logits, targets = _case(B=2, T=3, V=4)
    logits.requires_grad_()
    assert torch.autograd.gradcheck(lambda x: mean_nll(x, targets, 0), (logits,))


def test_all_padding_batch_raises():
    with pytest.raises(ValueError, match="every target is padding"):
        perplexity(torch.zeros(2, 3, 5), torch.zeros(2, 3, dtype=torch.long), 0)


@pytest.mark.parametrize("logits,targets,match", [
    (torch.zeros(6, 5), torch.zeros(2, 3, dtype=torch.long), "logits must be a float tensor of shape"),
    (torch.zeros(2, 3, 5), torch.ones(2, 3), "targets must be a long tensor"),
    (torch.zeros(2, 3, 5), torch.ones(3, 2, dtype=torch.long), r"shape \(B, T\) = \(2, 3\)"),
    (torch.zeros(2, 3, 5), torch.full((2, 3), 5), r"ids in \[0, 5\)"),
])
def test_bad_inputs_raise_naming_what_was_expected(logits, targets, match):
    with pytest.raises(ValueError, match=match):
        perplexity(logits, targets, 0)


@pytest.mark.parametrize("pad_id", [0.5, "0", None])
def test_a_pad_id_that_is_not_an_integer_raises(pad_id):
    with pytest.raises(ValueError, match="pad_id must be an integer id"):
        perplexity(torch.zeros(1, 2, 3), torch.tensor([[1, 2]]), pad_id)
