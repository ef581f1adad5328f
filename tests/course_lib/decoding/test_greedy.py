"""course_lib.decoding.greedy: greedy decoding equals beam width one, stops at EOS (also at step one) and zeroes
attention maps after EOS."""
from __future__ import annotations

import pytest
import torch

import course_lib.models.seq2seq as s2s
import course_lib.decoding.greedy as greedy_mod
import course_lib.decoding.beam as beam_mod
import course_lib.models.attention_decoder as attdec
from course_lib.models.seq2seq import EncoderOutput
from support.seq2seq import source_batch


PAD, BOS, EOS = 0, 2, 3


f64 = torch.float64


def _batch():
    src = torch.tensor([[4, 5, 6, 7, 8], [9, 4, 0, 0, 0], [5, 0, 0, 0, 0]])
    lengths = torch.tensor([5, 2, 1])
    tgt = torch.tensor([[2, 4, 5, 6, 3], [2, 7, 3, 0, 0], [2, 3, 0, 0, 0]])
    return src, lengths, tgt


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


# ---------------------------------------------------------------- encoder / decoder


def _model(seed=0, cell="GRU", V_src=11, V_tgt=9):
    torch.manual_seed(seed)
    return s2s.Seq2Seq(s2s.Encoder(V_src, 5, 8, cell=cell), s2s.Decoder(V_tgt, 4, 8, cell=cell), BOS, EOS, PAD)


# ---------------------------------------------------------------- decoding, with a decoder we control
class TableDecoder:
    """A hand-built decoder: logits depend on the whole prefix (pseudo-random but fixed, different per
    example via enc.states[b, 0, 0]), or come from `table` {prefix tuple: logits list} when given.
    Its state (1, B, max_len + 1) holds the tokens read so far (-1 = none); batch in dim 1."""

    def __init__(self, V=5, max_len=4, table=None, scale=2.0):
        self.V, self.max_len, self.table, self.scale, self.calls = V, max_len, table, scale, 0

    def init_state(self, enc):
        return torch.full((1, enc.mask.shape[0], self.max_len + 1), -1, dtype=torch.long)

    def logits_for(self, salt, prefix):
        if self.table is not None:
            return torch.tensor(self.table.get(prefix, [0.0] * self.V), dtype=torch.float32)
        seed = int(salt) * 1_000_003 + sum((t + 1) * 7 ** i for i, t in enumerate(prefix))
        return self.scale * torch.randn(self.V, generator=torch.Generator().manual_seed(seed))

    def step(self, prev, state, enc):
        self.calls += 1
        state = state.clone()
        out = []
        for b in range(prev.shape[0]):
            n = int((state[0, b] >= 0).sum())
            state[0, b, n] = prev[b]
            prefix = tuple(state[0, b, 1: n + 1].tolist())           # tokens generated so far (no <bos>)
            out.append(self.logits_for(enc.states[b, 0, 0].item(), prefix))
        return torch.stack(out), state


def _enc(B, salts=None):
    salts = torch.arange(B, dtype=torch.float32) if salts is None else salts
    return EncoderOutput(salts.reshape(B, 1, 1), torch.zeros(1, B, 1), torch.ones(B, 1, dtype=torch.bool))


def test_greedy_equals_beam_width_one_and_stops_at_eos():
    dec = TableDecoder(6, 6, scale=3.0)
    enc = _enc(5)
    greedy = greedy_mod.greedy_decode(dec, enc, BOS, EOS, 6, PAD)
    beam, _ = beam_mod.beam_search(dec, enc, BOS, EOS, 1, 6, alpha=0.7, pad_id=PAD)
    assert torch.equal(greedy, beam)
    for row in greedy.tolist():
        if EOS in row:
            assert all(t == PAD for t in row[row.index(EOS) + 1:])
    model = _model(3)
    src, lengths = source_batch()
    assert torch.equal(model.greedy(src, lengths, 9), model.beam(src, lengths, 9, beam_width=1))


def test_eos_at_step_one_stops_immediately():
    table = {(): [0, 0, 0, 10.0, 0]}
    for fn in (lambda d, e: greedy_mod.greedy_decode(d, e, BOS, EOS, 5, PAD),
               lambda d, e: beam_mod.beam_search(d, e, BOS, EOS, 3, 5, pad_id=PAD)[0]):
        dec = TableDecoder(5, 5, table=table)
        out = fn(dec, _enc(2))
        assert out.tolist() == [[EOS], [EOS]]
        assert dec.calls == 1, "decoding must stop once every sequence has ended"
