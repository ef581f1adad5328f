"""course_lib.layers.pooling.masked_attention_pool: softmax of states @ w over the real positions only
(padding weight exactly 0, rows sum to 1), pooled = weighted sum, padding content cannot change anything,
gradcheck passes, a row without real tokens and bad shapes raise."""
from __future__ import annotations

import pytest
import torch

from course_lib.layers.pooling import AttentionPooling, masked_attention_pool


def _case(B=3, T=5, H=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    states = torch.randn(B, T, H, generator=g, dtype=torch.float64)
    lengths = torch.tensor([5, 3, 1][:B])
    mask = torch.arange(T) < lengths.unsqueeze(1)
    return states, mask, torch.randn(H, generator=g, dtype=torch.float64)


def test_matches_a_softmax_over_each_rows_real_positions():
    states, mask, w = _case()
    pooled, weights = masked_attention_pool(states, mask, w)
    for b in range(3):
        n = int(mask[b].sum())
        a = torch.softmax(states[b, :n] @ w, 0)
        torch.testing.assert_close(weights[b, :n], a)
        torch.testing.assert_close(pooled[b], a @ states[b, :n])


def test_padding_weights_are_exactly_zero_and_rows_sum_to_one():
    states, mask, w = _case()
    _, weights = masked_attention_pool(states, mask, w)
    assert (weights[~mask] == 0).all()
    torch.testing.assert_close(weights.sum(1), torch.ones(3, dtype=torch.float64))


def test_padding_content_cannot_change_the_result():
    states, mask, w = _case()
    big = states.clone()
    big[~mask] = 1e6
    for a, b in zip(masked_attention_pool(states, mask, w), masked_attention_pool(big, mask, w)):
        torch.testing.assert_close(a, b)


def test_length_one_row_puts_all_weight_on_its_token():
    states, mask, w = _case()
    pooled, weights = masked_attention_pool(states, mask, w)
    assert weights[2, 0] == 1.0
    torch.testing.assert_close(pooled[2], states[2, 0])


def test_batch_one_without_padding():
    states, mask, w = _case(B=1)
    pooled, weights = masked_attention_pool(states, mask, w)
    assert pooled.shape == (1, 4) and weights.shape == (1, 5)


def test_gradcheck_through_states_and_w():
    states, mask, w = _case(T=4, H=3)
    mask = mask[:, :4]
    assert torch.autograd.gradcheck(lambda s, v: masked_attention_pool(s, mask, v), (states.requires_grad_(), w.requires_grad_()))


def test_a_row_without_real_tokens_raises():
    states, mask, w = _case()
    mask[1] = False
    with pytest.raises(ValueError, match=r"rows \[1\] of the mask have no real token"):
        masked_attention_pool(states, mask, w)


@pytest.mark.parametrize("states,mask,w,match", [
    (torch.zeros(2, 3), torch.ones(2, 3, dtype=torch.bool), torch.zeros(3), r"states must be a float tensor \(B, T, H\)"),
    (torch.zeros(2, 3, 4), torch.ones(2, 3), torch.zeros(4), "mask must be a bool tensor"),
    (torch.zeros(2, 3, 4), torch.ones(3, 2, dtype=torch.bool), torch.zeros(4), r"shape \(B, T\) = \(2, 3\)"),
    (torch.zeros(2, 3, 4), torch.ones(2, 3, dtype=torch.bool), torch.zeros(3), r"w must have shape \(H,\) = \(4,\)"),
])
def test_bad_shapes_raise_naming_what_was_expected(states, mask, w, match):
    with pytest.raises(ValueError, match=match):
        masked_attention_pool(states, mask, w)


def test_the_module_calls_the_given_pool_with_its_parameter():
    calls = []
    module = AttentionPooling(4, pool=lambda s, m, w: calls.append(w) or masked_attention_pool(s, m, w))
    states, mask, _ = _case()
    module(states.float(), mask)
    assert calls[0] is module.w


@pytest.mark.parametrize("w", [torch.zeros(4, dtype=torch.float64), torch.zeros(4, dtype=torch.long)])
def test_w_of_another_dtype_than_the_states_raises_naming_both(w):
    with pytest.raises(ValueError, match="w must be a float tensor of the states' dtype torch.float32"):
        masked_attention_pool(torch.zeros(2, 3, 4), torch.ones(2, 3, dtype=torch.bool), w)
