"""course_lib.models.seq2seq: the encoder equals running each sequence alone and rejects bad lengths, the
decoder's steps equal forward_sequence, and teacher forcing drives the forward pass and loss."""
from __future__ import annotations

import pytest
import torch
from torch import nn

import course_lib.models.seq2seq as s2s
import course_lib.losses.cross_entropy as losses
from support.seq2seq import source_batch


PAD, BOS, EOS = 0, 2, 3  # Vocab order: <pad>, <unk>, <bos>, <eos>


# ---------------------------------------------------------------- encoder / decoder


@pytest.mark.parametrize("cell", ["GRU", "LSTM"])
def test_encoder_matches_running_each_sequence_alone(cell):
    torch.manual_seed(0)
    enc = s2s.Encoder(11, 5, 6, cell=cell, num_layers=2).double()
    src, lengths = source_batch()
    out = enc(src, lengths)
    assert out.states.shape == (4, 7, 6) and out.mask.dtype == torch.bool
    assert torch.equal(out.mask, torch.arange(7)[None] < lengths[:, None])
    for b in range(4):
        L = int(lengths[b])
        alone, final = enc.rnn(enc.embedding(src[b: b + 1, :L]))
        torch.testing.assert_close(out.states[b, :L], alone[0])
        assert (out.states[b, L:] == 0).all()
        finals = (final,) if cell == "GRU" else final
        mine = (out.final,) if cell == "GRU" else out.final
        for f, m in zip(finals, mine):
            torch.testing.assert_close(m[:, b], f[:, 0])
    other = src.clone()
    other[~out.mask] = 9   # padding content must not matter
    torch.testing.assert_close(enc(other, lengths).states, out.states)


def test_encoder_rejects_bad_lengths():
    enc = s2s.Encoder(11, 5, 6)
    src, lengths = source_batch()
    with pytest.raises(ValueError):
        enc(src, lengths[:2])
    with pytest.raises(ValueError):
        enc(src, torch.tensor([7, 0, 4, 5]))


@pytest.mark.parametrize("cell", ["GRU", "LSTM"])
def test_decoder_steps_equal_forward_sequence(cell):
    torch.manual_seed(1)
    enc, dec = s2s.Encoder(11, 5, 6, cell=cell), s2s.Decoder(9, 4, 6, cell=cell)
    src, lengths = source_batch()
    e = enc(src, lengths)
    inputs = torch.randint(0, 9, (4, 5))
    whole = dec.forward_sequence(inputs, dec.init_state(e), e)
    state, steps = dec.init_state(e), []
    for t in range(5):
        logits, state = dec.step(inputs[:, t], state, e)
        assert logits.shape == (4, 9)
        steps.append(logits)
    torch.testing.assert_close(torch.stack(steps, 1), whole)


def _model(seed=0, cell="GRU", V_src=11, V_tgt=9):
    torch.manual_seed(seed)
    return s2s.Seq2Seq(s2s.Encoder(V_src, 5, 8, cell=cell), s2s.Decoder(V_tgt, 4, 8, cell=cell), BOS, EOS, PAD)


def _tgt(B=4, T=6, V=9, seed=0):
    g = torch.Generator().manual_seed(seed)
    tgt = torch.randint(4, V, (B, T), generator=g)
    tgt[:, 0] = BOS
    ends = torch.tensor([T - 1, 2, 4, 1][:B])
    for b, e in enumerate(ends.tolist()):
        tgt[b, e] = EOS
        tgt[b, e + 1:] = PAD
    return tgt


def test_teacher_forcing_forward_and_loss():
    model = _model()
    src, lengths = source_batch()
    tgt = _tgt()
    full = model(src, lengths, tgt, teacher_forcing=1.0)
    assert full.shape == (4, 5, 9)
    # the step-by-step path with ratio 1 reads the same inputs
    e = model.encoder(src, lengths)
    state, steps = model.decoder.init_state(e), []
    for t in range(5):
        logits, state = model.decoder.step(tgt[:, t], state, e)
        steps.append(logits)
    torch.testing.assert_close(torch.stack(steps, 1), full)
    free = model(src, lengths, tgt, teacher_forcing=0.0)
    state, prev = model.decoder.init_state(e), tgt[:, 0]
    for t in range(5):
        logits, state = model.decoder.step(prev, state, e)
        torch.testing.assert_close(free[:, t], logits)
        prev = logits.argmax(-1)
    loss = losses.teacher_forcing_loss(model, src, lengths, tgt)
    targets = tgt[:, 1:]
    per = nn.functional.cross_entropy(full.reshape(-1, 9), targets.reshape(-1), reduction="none")
    want = per[targets.reshape(-1) != PAD].mean()
    torch.testing.assert_close(loss, want)
    ignored = nn.functional.cross_entropy(full.reshape(-1, 9), targets.reshape(-1), ignore_index=PAD)
    torch.testing.assert_close(loss, ignored)
