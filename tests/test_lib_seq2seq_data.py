"""Tests for course_lib.data.parallel (generated parallel data) and course_lib.seq2seq (encoder, decoder,
teacher forcing, greedy decoding, beam search checked against exhaustive search)."""
from __future__ import annotations

import datetime
import itertools
import sys

import pytest
import torch
from torch import nn

from course_lib.data import dates as dates_module
from course_lib.batching.buckets import bucket_batches
from course_lib.data.dates import build_vocabs, date_pairs, encode_pairs
from course_lib.data.splits import Splits
import course_lib.models.seq2seq as s2s
import course_lib.decoding.greedy as greedy_mod
import course_lib.decoding.beam as beam_mod
import course_lib.losses.cross_entropy as losses
import course_lib.metrics.accuracy as accuracy
import course_lib.training.schedules as schedules
from course_lib.models.seq2seq import EncoderOutput

PAD, BOS, EOS = 0, 2, 3  # Vocab order: <pad>, <unk>, <bos>, <eos>


# ---------------------------------------------------------------- data
@pytest.fixture(scope="module")
def dates():
    return date_pairs(first=datetime.date(2000, 1, 1), last=datetime.date(2003, 12, 31))


def test_date_pairs_cover_every_day_once_without_overlap(dates):
    targets = {name: [t for _, t in pairs] for name, pairs in dates.items()}
    every = [t for ts in targets.values() for t in ts]
    assert len(every) == len(set(every)) == (datetime.date(2003, 12, 31) - datetime.date(2000, 1, 1)).days + 1
    for a, b in itertools.combinations(targets, 2):
        assert not set(targets[a]) & set(targets[b]), f"{a} and {b} share dates"
    n = len(every)
    assert abs(len(targets["train"]) - 0.8 * n) <= 1 and abs(len(targets["test"]) - 0.1 * n) <= 1


def test_date_pairs_are_iso_and_rendered_from_the_date(dates):
    from babel.dates import format_date
    langs = set()
    for src, tgt in dates.train[:300]:
        day = datetime.date.fromisoformat(tgt)
        assert tgt == day.isoformat() and len(tgt) == 10
        renderings = {(lang, fmt): format_date(day, fmt, locale=lang)
                      for lang in dates_module.DATE_LANGUAGES for fmt in dates_module.DATE_FORMATS
                      if (lang, fmt) not in dates_module.AMBIGUOUS}
        assert src in renderings.values(), src
        langs |= {lang for (lang, _), text in renderings.items() if text == src}
    assert len(langs) == len(dates_module.DATE_LANGUAGES)


def test_us_short_dates_are_left_out(dates):
    import re
    us_short = re.compile(r"^\d{1,2}/\d{1,2}/\d{2}$")
    for src, tgt in dates.train:
        if us_short.match(src):   # then it must read day-first (es, it), never month-first
            d, m, y = src.split("/")
            assert (int(m), int(d)) == (int(tgt[5:7]), int(tgt[8:10]))


def test_date_pairs_are_deterministic_and_seeded(dates):
    again = date_pairs(first=datetime.date(2000, 1, 1), last=datetime.date(2003, 12, 31))
    assert again == dates
    other = date_pairs(first=datetime.date(2000, 1, 1), last=datetime.date(2003, 12, 31), seed=1)
    assert other.test != dates.test


def test_date_pairs_return_splits(dates):
    assert isinstance(dates, Splits) and dates._fields == ("train", "validation", "test")


@pytest.mark.parametrize("module, fn", [("babel", lambda: date_pairs())])
def test_missing_package_is_named(monkeypatch, module, fn):
    monkeypatch.setitem(sys.modules, module, None)
    monkeypatch.setitem(sys.modules, f"{module}.dates", None)
    with pytest.raises(ModuleNotFoundError, match=f"pip install {module}"):
        fn()


def test_split_fractions_checked():
    with pytest.raises(ValueError, match="fractions"):
        date_pairs(fractions=(0.5, 0.5, 0.0))


def test_vocab_and_encoding(dates):
    src_vocab, tgt_vocab = build_vocabs(dates.train)
    assert (src_vocab.pad_id, src_vocab.bos_id, src_vocab.eos_id) == (PAD, BOS, EOS)
    assert set(tgt_vocab.itos[4:]) == set("0123456789-")
    encoded = encode_pairs(dates.test[:5], src_vocab, tgt_vocab)
    for (src, tgt), (s, t) in zip(dates.test[:5], encoded):
        assert s.shape == (len(src),) and t.shape == (len(tgt) + 2,)
        assert t[0] == BOS and t[-1] == EOS and tgt_vocab.decode(t) == tgt
    unseen = src_vocab.encode("\u4e00", add_bos_eos=False)
    assert unseen.tolist() == [src_vocab.unk_id]


def test_bucket_batches_cover_everything_once_with_little_padding(dates):
    src_vocab, tgt_vocab = build_vocabs(dates.train)
    examples = encode_pairs(dates.train, src_vocab, tgt_vocab)
    g = torch.Generator().manual_seed(0)
    batches = list(bucket_batches(examples, 32, generator=g))
    seen = torch.cat([b.index for b in batches]).sort().values
    assert torch.equal(seen, torch.arange(len(examples)))
    spread = sum((b.src_lengths.max() - b.src_lengths.min()).item() for b in batches) / len(batches)
    rand = torch.randperm(len(examples), generator=g)[:32 * 20].reshape(20, 32)
    lengths = torch.tensor([len(s) for s, _ in examples])
    random_spread = (lengths[rand].max(1).values - lengths[rand].min(1).values).float().mean().item()
    assert spread < random_spread / 3
    b = batches[0]
    assert b.src.shape == (len(b), int(b.src_lengths.max())) and (b.tgt[:, 0] == BOS).all()
    for row, i in enumerate(b.index.tolist()):
        assert torch.equal(b.src[row, : len(examples[i][0])], examples[i][0])
        assert (b.src[row, len(examples[i][0]):] == PAD).all()
    ordered = list(bucket_batches(examples, 100, shuffle=False))
    firsts = [int(x.src_lengths.min()) for x in ordered]
    assert firsts == sorted(firsts)


# ---------------------------------------------------------------- encoder / decoder
def _src(B=4, S=7, V=11, seed=0):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([S, 1, 4, S - 2][:B]) if B <= 4 else torch.randint(1, S + 1, (B,), generator=g)
    src = torch.randint(4, V, (B, S), generator=g)
    src[torch.arange(S)[None, :] >= lengths[:, None]] = PAD
    return src, lengths


@pytest.mark.parametrize("cell", ["GRU", "LSTM"])
def test_encoder_matches_running_each_sequence_alone(cell):
    torch.manual_seed(0)
    enc = s2s.Encoder(11, 5, 6, cell=cell, num_layers=2).double()
    src, lengths = _src()
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
    src, lengths = _src()
    with pytest.raises(ValueError):
        enc(src, lengths[:2])
    with pytest.raises(ValueError):
        enc(src, torch.tensor([7, 0, 4, 5]))


@pytest.mark.parametrize("cell", ["GRU", "LSTM"])
def test_decoder_steps_equal_forward_sequence(cell):
    torch.manual_seed(1)
    enc, dec = s2s.Encoder(11, 5, 6, cell=cell), s2s.Decoder(9, 4, 6, cell=cell)
    src, lengths = _src()
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
    src, lengths = _src()
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


def test_teacher_forcing_ratio_schedule():
    r = [schedules.teacher_forcing_ratio(s, 10, 1.0, 0.2) for s in range(15)]
    assert r[0] == 1.0 and abs(r[10] - 0.2) < 1e-12 and r[14] == r[10]
    assert all(a >= b for a, b in zip(r, r[1:]))
    assert abs(schedules.teacher_forcing_ratio(5, 10) - 0.5) < 1e-12
    with pytest.raises(ValueError):
        schedules.teacher_forcing_ratio(0, 0)


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


def exhaustive(dec, salt, max_len, alpha, eos=EOS):
    """Best (tokens, normalised score) over every sequence ending in <eos> or reaching max_len."""
    best, best_score = None, float("-inf")
    for L in range(1, max_len + 1):
        for seq in itertools.product(range(dec.V), repeat=L):
            if eos in seq[:-1] or (L < max_len and seq[-1] != eos):
                continue
            score = sum(torch.log_softmax(dec.logits_for(salt, seq[:i]), -1)[seq[i]].item() for i in range(L))
            norm = score / L ** alpha
            if norm > best_score + 1e-9:
                best, best_score = list(seq), norm
    return best, best_score


@pytest.mark.parametrize("alpha", [0.0, 1.0, 0.6])
def test_full_width_beam_search_finds_the_exhaustive_optimum(alpha):
    V, L, B = 5, 3, 3
    dec = TableDecoder(V, L, scale=1.5)
    tokens, scores = beam_mod.beam_search(dec, _enc(B), BOS, EOS, V ** L, L, alpha=alpha, pad_id=PAD)
    for b in range(B):
        want, want_score = exhaustive(dec, float(b), L, alpha)
        got = tokens[b].tolist()
        got = got[: got.index(EOS) + 1] if EOS in got else got
        assert got == want, (b, got, want)
        assert abs(scores[b].item() - want_score) < 1e-5


def test_length_normalisation_picks_what_the_normalised_score_says():
    import math
    p = lambda eos, a, rest=0.0: [math.log(x) if x > 0 else -30.0 for x in  # noqa: E731
                                  (rest, rest, rest, eos, a)]  # ids: pad, unk, bos, eos, a
    table = {(): p(0.5, 0.45), (4,): p(0.95, 0.05), (4, 4): p(0.95, 0.05)}
    dec = TableDecoder(5, 4, table=table)
    raw, _ = beam_mod.beam_search(dec, _enc(1), BOS, EOS, 8, 4, alpha=0.0, pad_id=PAD)
    norm, score = beam_mod.beam_search(dec, _enc(1), BOS, EOS, 8, 4, alpha=1.0, pad_id=PAD)
    assert raw[0].tolist() == [EOS]                                      # log 0.5 beats log 0.45 + log 0.95
    assert norm[0].tolist() == [4, EOS]                                  # (log 0.45 + log 0.95) / 2 is higher
    lp = lambda prefix, tok: torch.log_softmax(torch.tensor(table[prefix]), -1)[tok].item()  # noqa: E731
    assert abs(score.item() - (lp((), 4) + lp((4,), EOS)) / 2) < 1e-5


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
    src, lengths = _src()
    assert torch.equal(model.greedy(src, lengths, 9), model.beam(src, lengths, 9, beam_width=1))


def test_eos_at_step_one_stops_immediately():
    table = {(): [0, 0, 0, 10.0, 0]}
    for fn in (lambda d, e: greedy_mod.greedy_decode(d, e, BOS, EOS, 5, PAD),
               lambda d, e: beam_mod.beam_search(d, e, BOS, EOS, 3, 5, pad_id=PAD)[0]):
        dec = TableDecoder(5, 5, table=table)
        out = fn(dec, _enc(2))
        assert out.tolist() == [[EOS], [EOS]]
        assert dec.calls == 1, "decoding must stop once every sequence has ended"


def test_max_len_and_batch_one():
    table = {(): [0, 0, 0, -10.0, 5.0], (4,): [0, 0, 0, -10.0, 5.0], (4, 4): [0, 0, 0, -10.0, 5.0]}
    dec = TableDecoder(5, 3, table=table)
    assert greedy_mod.greedy_decode(dec, _enc(1), BOS, EOS, 3, PAD).tolist() == [[4, 4, 4]]
    tokens, _ = beam_mod.beam_search(dec, _enc(1), BOS, EOS, 2, 3, pad_id=PAD)
    assert tokens.shape == (1, 3)
    dec = TableDecoder(5, 4, scale=2.0)
    one, _ = beam_mod.beam_search(dec, _enc(1, torch.tensor([2.0])), BOS, EOS, 4, 4, pad_id=PAD)
    three, _ = beam_mod.beam_search(dec, _enc(3), BOS, EOS, 4, 4, pad_id=PAD)
    n = one.shape[1]
    assert three[2, :n].tolist() == one[0].tolist() and (three[2, n:] == PAD).all()


def test_beam_search_step_keeps_finished_beams_fixed():
    scores = torch.tensor([[-1.0, -2.0]])
    lengths = torch.tensor([[2, 3]])
    finished = torch.tensor([[True, False]])
    log_probs = torch.log_softmax(torch.tensor([[[5.0, 0, 0, 0, 0], [0, 0, 0, 0, 3.0]]]), -1)
    new, lens, fin, parent, token = beam_mod.beam_search_step(scores, lengths, finished, log_probs, EOS, PAD)
    assert parent[0, 0] == 0 and token[0, 0] == PAD and new[0, 0] == -1.0 and lens[0, 0] == 2 and fin[0, 0]
    assert parent[0, 1] == 1 and token[0, 1] == 4 and lens[0, 1] == 4 and not fin[0, 1]


def test_lstm_beam_search_runs_and_exact_match():
    model = _model(2, cell="LSTM")
    src, lengths = _src()
    out = model.beam(src, lengths, 7, beam_width=3)
    assert out.shape[0] == 4 and out.shape[1] <= 7
    tgt = torch.cat([torch.full((4, 1), BOS), out], 1)
    assert accuracy.exact_match(out, tgt, EOS).all()
