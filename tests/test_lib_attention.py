"""Tests for course_lib.attention: score functions against explicit formulas, dot attention against
torch's scaled_dot_product_attention, masked_softmax on all-padding rows (values and gradients), and the
attention decoder inside the seq2seq training loss, greedy decoding and beam search."""
from __future__ import annotations

import pytest
import torch
from torch import nn

import course_lib.models.seq2seq as s2s
import course_lib.decoding.greedy as greedy_mod
import course_lib.decoding.beam as beam_mod
import course_lib.losses.cross_entropy as losses
import course_lib.layers.attention as att
import course_lib.models.attention_decoder as attdec
from course_lib.models.seq2seq import EncoderOutput

PAD, BOS, EOS = 0, 2, 3
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


# ---------------------------------------------------------------- the attention decoder
def _model(score="general", cell="GRU", seed=0):
    torch.manual_seed(seed)
    enc = s2s.Encoder(11, 4, 6, cell)
    dec = attdec.AttentionDecoder(9, 3, 6, cell, score=score, attention_size=5)
    return s2s.Seq2Seq(enc, dec, BOS, EOS, PAD).double()


def _batch():
    src = torch.tensor([[4, 5, 6, 7, 8], [9, 4, 0, 0, 0], [5, 0, 0, 0, 0]])
    lengths = torch.tensor([5, 2, 1])
    tgt = torch.tensor([[2, 4, 5, 6, 3], [2, 7, 3, 0, 0], [2, 3, 0, 0, 0]])
    return src, lengths, tgt


@pytest.mark.parametrize("score", att.SCORES)
@pytest.mark.parametrize("cell", ["GRU", "LSTM"])
def test_forward_sequence_equals_stepping(score, cell):
    m = _model(score, cell)
    src, lengths, tgt = _batch()
    enc = m.encoder(src, lengths)
    logits, weights = m.decoder.forward_sequence(tgt[:, :-1], m.decoder.init_state(enc), enc, return_weights=True)
    state, steps, maps = m.decoder.init_state(enc), [], []
    for t in range(tgt.shape[1] - 1):
        lg, state, w = m.decoder.step_with_weights(tgt[:, t], state, enc)
        steps.append(lg)
        maps.append(w)
        assert torch.equal(m.decoder.step(tgt[:, t], m.decoder.init_state(enc), enc)[0],
                           m.decoder.step_with_weights(tgt[:, t], m.decoder.init_state(enc), enc)[0])
    assert torch.allclose(logits, torch.stack(steps, 1), atol=1e-12)
    assert torch.allclose(weights, torch.stack(maps, 1), atol=1e-12)
    padding = ~enc.mask.unsqueeze(1).expand_as(weights)
    assert padding.any() and (weights[padding] == 0).all()
    assert torch.allclose(weights.sum(-1), torch.ones(3, 4, dtype=f64))


def test_attention_decoder_step_gradcheck():
    m = _model("additive")
    src, lengths, _ = _batch()
    enc = m.encoder(src, lengths)
    states = enc.states.detach().clone().requires_grad_()

    def f(st):
        e = EncoderOutput(st, enc.final.detach(), enc.mask)
        return m.decoder.step(torch.tensor([2, 2, 2]), e.final, e)[0]
    assert torch.autograd.gradcheck(f, (states,))


def test_attention_decoder_trains_decodes_and_beam_one_is_greedy():
    m = _model("dot")
    src, lengths, tgt = _batch()
    loss = losses.teacher_forcing_loss(m, src, lengths, tgt, ratio=1.0)
    loss.backward()
    assert all(p.grad is not None for p in m.decoder.parameters() if p.requires_grad and p.dim() > 0)
    with torch.no_grad():
        forced = m(src, lengths, tgt)
        stepped = m(src, lengths, tgt, teacher_forcing=1.0 - 1e-12, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(forced, stepped, atol=1e-12)
    enc = m.encoder(src, lengths)
    greedy = greedy_mod.greedy_decode(m.decoder, enc, BOS, EOS, 7, PAD)
    tokens, weights = greedy_mod.greedy_decode(m.decoder, enc, BOS, EOS, 7, PAD, with_weights=True)
    assert torch.equal(greedy, tokens) and weights.shape == (*tokens.shape, 5)
    beam1, _ = beam_mod.beam_search(m.decoder, enc, BOS, EOS, 1, 7, 1.0, PAD)
    assert torch.equal(beam1, greedy)
    beam_mod.beam_search(m.decoder, enc, BOS, EOS, 4, 7, 1.0, PAD)   # states reorder along dimension 1


class _Scripted(attdec.AttentionDecoder):
    """Row b emits <eos> at step finish[b] (and token 4 before); the weights are the real attention's."""
    finish = (0, 2, 99)

    def step_with_weights(self, prev_tokens, state, enc):
        logits, state, weights = super().step_with_weights(prev_tokens, state, enc)
        n = self.steps = getattr(self, "steps", -1) + 1
        logits = torch.zeros_like(logits)
        for b, at in enumerate(self.finish):
            logits[b, EOS if n == at else 4] = 1.0
        return logits, state, weights


def test_greedy_decode_with_weights_zeroes_maps_after_eos():
    torch.manual_seed(0)
    enc_model = s2s.Encoder(11, 4, 6).double()
    dec = _Scripted(9, 3, 6, score="dot").double()
    src, lengths, _ = _batch()
    enc = enc_model(src, lengths)
    tokens, weights = greedy_mod.greedy_decode(dec, enc, BOS, EOS, 5, PAD, with_weights=True)
    assert tokens.tolist() == [[EOS, PAD, PAD, PAD, PAD], [4, 4, EOS, PAD, PAD], [4, 4, 4, 4, 4]]
    assert torch.allclose(weights.sum(-1), torch.tensor([[1.0, 0, 0, 0, 0], [1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=f64))
    with pytest.raises(ValueError, match="max_len"):
        greedy_mod.greedy_decode(dec, enc, BOS, EOS, 0, PAD, with_weights=True)
