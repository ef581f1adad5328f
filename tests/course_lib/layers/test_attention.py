"""course_lib.layers.attention: score functions against explicit formulas and gradcheck, dot attention against
torch's scaled_dot_product_attention, masked_softmax over real positions only (all-padding rows are zero with
finite gradients), and the error messages."""
from __future__ import annotations

import pytest
import torch
from torch import nn

import course_lib.layers.attention as att


f64 = torch.float64


def _qkm(B=3, T=None, S=5, Hq=4, Hk=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(*((B, T, Hq) if T else (B, Hq)), generator=g, dtype=f64)
    k = torch.randn(B, S, Hk, generator=g, dtype=f64)
    lengths = torch.tensor([S, 1, 3, 2, 4][:B])
    return q, k, torch.arange(S)[None] < lengths[:, None]


# ---------------------------------------------------------------- scores
@pytest.mark.parametrize("T", [None, 3])
def test_dot_and_general_scores_match_the_formula(T):
    q, k, _ = _qkm(T=T)
    want = torch.einsum("bh,bsh->bs" if T is None else "bth,bsh->bts", q, k)
    assert torch.allclose(att.dot_scores(q, k), want, atol=1e-12)
    assert torch.allclose(att.general_scores(q, k, torch.eye(4, dtype=f64)), want, atol=1e-12)
    q2, k2, _ = _qkm(T=T, Hq=3, Hk=5)
    W = torch.randn(3, 5, dtype=f64)
    want2 = torch.einsum("bh,hj,bsj->bs" if T is None else "bth,hj,bsj->bts", q2, W, k2)
    assert torch.allclose(att.general_scores(q2, k2, W), want2, atol=1e-12)


@pytest.mark.parametrize("T", [None, 2])
def test_additive_scores_match_an_explicit_loop(T):
    q, k, _ = _qkm(T=T, Hq=3, Hk=5)
    Wq, Wk, v = torch.randn(6, 3, dtype=f64), torch.randn(6, 5, dtype=f64), torch.randn(6, dtype=f64)
    got = att.additive_scores(q, k, Wq, Wk, v)
    qs = q if T else q.unsqueeze(1)
    want = torch.empty(q.shape[0], qs.shape[1], k.shape[1], dtype=f64)
    for b in range(q.shape[0]):
        for t in range(qs.shape[1]):
            for s in range(k.shape[1]):
                want[b, t, s] = v @ torch.tanh(Wq @ qs[b, t] + Wk @ k[b, s])
    assert torch.allclose(got, want if T else want[:, 0], atol=1e-12)


def test_score_modules_use_their_parameters_and_pass_gradcheck():
    q, k, _ = _qkm(Hq=3, Hk=5)
    add = att.AdditiveAttention(3, 5, 6).double()
    assert torch.allclose(add(q, k), att.additive_scores(q, k, add.w_query.weight, add.w_keys.weight, add.v.weight[0]))
    gen = att.GeneralAttention(3, 5).double()
    assert torch.allclose(gen(q, k), att.general_scores(q, k, gen.weight))
    assert torch.equal(att.DotAttention()(q[:, :3], k[..., :3]), att.dot_scores(q[:, :3], k[..., :3]))
    qg, kg = q.clone().requires_grad_(), k.clone().requires_grad_()
    assert torch.autograd.gradcheck(lambda a, b: add(a, b), (qg, kg))
    assert torch.autograd.gradcheck(lambda a, b: gen(a, b), (qg, kg))


def test_make_attention_and_shape_errors():
    assert isinstance(att.make_attention("dot", 4, 4), att.DotAttention)
    assert isinstance(att.make_attention("additive", 4, 6, 8), att.AdditiveAttention)
    with pytest.raises(ValueError, match="query_size == key_size"):
        att.make_attention("dot", 4, 6)
    with pytest.raises(ValueError, match="score must be one of"):
        att.make_attention("cosine", 4, 4)
    q, k, _ = _qkm()
    with pytest.raises(ValueError, match=r"keys must be \(B, S, H_k\)"):
        att.dot_scores(q, k[0])
    with pytest.raises(ValueError, match="B = 3"):
        att.dot_scores(q[:2], k)
    with pytest.raises(ValueError, match="same size"):
        att.dot_scores(q[:, :3], k)
    with pytest.raises(ValueError, match=r"weight must be \(H_q, H_k\) = \(4, 4\)"):
        att.general_scores(q, k, torch.eye(3, dtype=f64))
    with pytest.raises(ValueError, match="w_query"):
        att.additive_scores(q, k, torch.randn(6, 5), torch.randn(6, 4), torch.randn(6))


# ---------------------------------------------------------------- masked softmax
def test_masked_softmax_is_softmax_over_the_real_positions():
    q, k, mask = _qkm()
    scores = att.dot_scores(q, k)
    w = att.masked_softmax(scores, mask)
    assert torch.equal(w[~mask], torch.zeros_like(w[~mask]))
    for b in range(scores.shape[0]):
        real = mask[b]
        assert torch.allclose(w[b, real], torch.softmax(scores[b, real], 0), atol=1e-12)
    assert torch.allclose(att.masked_softmax(scores, torch.ones_like(mask)), torch.softmax(scores, -1), atol=1e-12)


def test_masked_softmax_all_padding_row_is_zero_with_finite_gradients():
    scores = torch.randn(3, 4, dtype=f64, requires_grad=True)
    mask = torch.tensor([[True, True, False, False], [False] * 4, [True] * 4])
    w = att.masked_softmax(scores, mask)
    assert torch.isfinite(w).all() and torch.equal(w[1], torch.zeros(4, dtype=f64))
    assert torch.allclose(w.sum(-1), torch.tensor([1.0, 0.0, 1.0], dtype=f64))
    (w * torch.randn(3, 4, dtype=f64)).sum().backward()
    assert torch.isfinite(scores.grad).all() and torch.equal(scores.grad[1], torch.zeros(4, dtype=f64))
    assert torch.autograd.gradcheck(lambda s: att.masked_softmax(s, mask), (scores.detach().requires_grad_(),))
    # float32 and very large scores stay finite too
    big = torch.tensor([[1e30, -1e30, 5.0]], dtype=torch.float32)
    assert torch.isfinite(att.masked_softmax(big, torch.tensor([[False, True, True]]))).all()


def test_masked_softmax_broadcasts_the_mask_over_decoder_steps():
    scores = torch.randn(2, 3, 4, dtype=f64)
    mask = torch.tensor([[True, True, False, False], [True, False, False, False]])
    w = att.masked_softmax(scores, mask.unsqueeze(1))
    assert torch.allclose(w, torch.stack([att.masked_softmax(scores[:, t], mask) for t in range(3)], 1))


def test_masked_softmax_errors():
    with pytest.raises(TypeError, match="mask must be bool"):
        att.masked_softmax(torch.randn(2, 3), torch.ones(2, 3))
    with pytest.raises(TypeError, match="float tensor"):
        att.masked_softmax(torch.ones(2, 3, dtype=torch.long), torch.ones(2, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match="does not broadcast"):
        att.masked_softmax(torch.randn(2, 3), torch.ones(2, 4, dtype=torch.bool))


# ---------------------------------------------------------------- attend
@pytest.mark.parametrize("T", [None, 3])
def test_dot_attention_matches_torch_scaled_dot_product_attention(T):
    q, k, mask = _qkm(T=T)
    context, weights = att.attend(att.DotAttention(), q, k, mask)
    qs = q if T else q.unsqueeze(1)
    want = nn.functional.scaled_dot_product_attention(qs, k, k, attn_mask=mask.unsqueeze(1), scale=1.0)
    assert torch.allclose(context, want if T else want[:, 0], atol=1e-12)
    assert weights.shape == ((3, T, 5) if T else (3, 5))


def test_attend_ignores_what_padded_positions_hold_and_handles_batch_one():
    q, k, mask = _qkm()
    scorer = att.AdditiveAttention(4, 4, 5).double()
    context, weights = att.attend(scorer, q, k, mask)
    k2 = k.clone()
    k2[~mask] = 1e3
    context2, weights2 = att.attend(scorer, q, k2, mask)
    assert torch.allclose(context, context2, atol=1e-12) and torch.allclose(weights, weights2, atol=1e-12)
    c1, w1 = att.attend(scorer, q[1:2], k[1:2, :1], mask[1:2, :1])      # batch 1, one source position
    assert torch.allclose(w1, torch.ones(1, 1, dtype=f64)) and torch.allclose(c1, k[1:2, 0])
    with pytest.raises(ValueError, match=r"mask must be bool \(B, S\)"):
        att.attend(scorer, q, k, mask[:, :3])


@pytest.mark.parametrize("B_equals_T", [True, False])
def test_masked_softmax_refuses_a_mask_with_fewer_dimensions_than_the_scores_even_when_B_equals_T(B_equals_T):
    B, S = 3, 5
    T = B if B_equals_T else 4
    scores = torch.randn(B, T, S, dtype=torch.float64)
    mask = torch.rand(B, S) < 0.6
    with pytest.raises(ValueError, match=r"mask of shape \(3, 5\) must have as many dimensions as scores.*"
                                         r"pass mask.unsqueeze\(1\), shape \(3, 1, 5\)"):
        att.masked_softmax(scores, mask)


def test_masked_softmax_with_a_B_1_S_mask_masks_each_examples_own_keys_when_B_equals_T():
    B = T = 3
    S = 4
    scores = torch.randn(B, T, S, dtype=torch.float64)
    mask = torch.tensor([[True, True, False, False], [True, True, True, True], [False, True, False, False]])
    w = att.masked_softmax(scores, mask.unsqueeze(1))
    for b in range(B):                                      # brute force, one example and one step at a time
        for t in range(T):
            want = torch.zeros(S, dtype=torch.float64)
            want[mask[b]] = torch.softmax(scores[b, t][mask[b]], -1)
            assert torch.allclose(w[b, t], want, atol=1e-12)
