"""course_lib.models.attention_decoder: forward_sequence equals stepping for every score and cell, a step passes
gradcheck, and the decoder trains with the seq2seq loss and decodes greedily and by beam search (beam one =
greedy)."""
from __future__ import annotations

import pytest
import torch

import course_lib.models.seq2seq as s2s
import course_lib.decoding.greedy as greedy_mod
import course_lib.decoding.beam as beam_mod
import course_lib.losses.cross_entropy as losses
import course_lib.layers.attention as att
import course_lib.models.attention_decoder as attdec
from course_lib.models.seq2seq import EncoderOutput


PAD, BOS, EOS = 0, 2, 3


f64 = torch.float64


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
