"""course_lib.decoding.beam: finished hypotheses kept apart from the live beams, checked against
exhaustive search on hand-built decoders whose scores the tests control (float64)."""
from __future__ import annotations

import itertools
import math

import pytest
import torch

import course_lib.decoding.beam as beam_mod
import course_lib.decoding.greedy as greedy_mod
from course_lib.models.seq2seq import EncoderOutput

PAD, BOS, EOS = 0, 2, 3  # Vocab order: <pad>, <unk>, <bos>, <eos>


class PrefixDecoder:
    """Logits depend on the whole prefix: from `table` {prefix tuple: logits} when given (missing
    prefixes: all equal), else pseudo-random per (example salt, prefix). float64 logits.
    State (1, B, max_len + 1): the tokens read so far (-1 = none); batch in dim 1."""

    def __init__(self, V=5, max_len=4, table=None, scale=2.0, seed=0):
        self.V, self.max_len, self.table, self.scale, self.seed = V, max_len, table, scale, seed

    def init_state(self, enc):
        return torch.full((1, enc.mask.shape[0], self.max_len + 1), -1, dtype=torch.long)

    def logits_for(self, salt, prefix):
        if self.table is not None:
            return torch.tensor(self.table.get(prefix, [0.0] * self.V), dtype=torch.float64)
        seed = self.seed * 7_919 + int(salt) * 1_000_003 + sum((t + 1) * 7 ** i for i, t in enumerate(prefix))
        return self.scale * torch.randn(self.V, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)

    def step(self, prev, state, enc):
        state = state.clone()
        out = []
        for b in range(prev.shape[0]):
            n = int((state[0, b] >= 0).sum())
            state[0, b, n] = prev[b]
            out.append(self.logits_for(enc.states[b, 0, 0].item(), tuple(state[0, b, 1: n + 1].tolist())))
        return torch.stack(out), state


def _enc(B):
    return EncoderOutput(torch.arange(B, dtype=torch.float64).reshape(B, 1, 1), torch.zeros(1, B, 1),
                         torch.ones(B, 1, dtype=torch.bool))


def _score(dec, salt, seq, alpha):
    total = sum(torch.log_softmax(dec.logits_for(salt, tuple(seq[:i])), -1)[seq[i]].item() for i in range(len(seq)))
    return total / len(seq) ** alpha


def _all_scores(dec, salt, max_len, alpha):
    """Normalised score of every complete sequence: ending in <eos>, or cut at max_len."""
    out = {}
    for L in range(1, max_len + 1):
        for seq in itertools.product(range(dec.V), repeat=L):
            if EOS in seq[:-1] or (L < max_len and seq[-1] != EOS):
                continue
            out[seq] = _score(dec, salt, seq, alpha)
    return out


def _strip(row):
    row = list(row)
    return tuple(row[: row.index(EOS) + 1]) if EOS in row else tuple(t for t in row)


def _reviewer_table(V=30):
    """Width 2 holds <eos> (p 0.2, -1.609) after step 1, next to "a" (p 0.5). Both continuations of "a"
    (p 0.45 each) then rank above it on raw score, so the old search pushed it out, and every 3-token
    answer after them scores worse (a uniform third token over V = 30: about -1.63 per token)."""
    def lg(**p):
        rest = (1.0 - sum(p.values())) / (V - len(p))
        ids = {"eos": EOS, "a": 4, "b": 5}
        probs = [rest] * V
        for k, v in p.items():
            probs[ids[k]] = v
        return [math.log(x) for x in probs]
    return {(): lg(eos=0.2, a=0.5), (4,): lg(a=0.45, b=0.45)}          # any other prefix: uniform


def test_beam_search_never_returns_worse_than_a_finished_hypothesis_it_held():
    dec = PrefixDecoder(30, 3, table=_reviewer_table())
    tokens, score = beam_mod.beam_search(dec, _enc(1), BOS, EOS, 2, 3, alpha=1.0, pad_id=PAD)
    held = math.log(0.2)                                   # <eos> after step 1, normalised by length 1
    assert score.item() >= held - 1e-12
    assert tokens[0].tolist() == [EOS]
    assert abs(score.item() - _score(dec, 0, [EOS], 1.0)) < 1e-12


@pytest.mark.parametrize("alpha", [0.0, 0.6, 1.0])
def test_wider_beam_never_returns_a_worse_score_than_a_narrower_one_on_random_decoders(alpha):
    for seed in range(15):
        dec = PrefixDecoder(4, 3, scale=2.5, seed=seed)
        scores = [beam_mod.beam_search(dec, _enc(3), BOS, EOS, K, 3, alpha=alpha, pad_id=PAD)[1]
                  for K in (1, 2, 3, 5, 4 ** 3)]
        for narrow, wide in zip(scores, scores[1:]):
            assert (wide >= narrow - 1e-12).all(), (seed, scores)
        for b in range(3):                                   # the widest is exhaustive search
            assert abs(scores[-1][b].item() - max(_all_scores(dec, b, 3, alpha).values())) < 1e-9


@pytest.mark.parametrize("alpha", [0.0, 0.7, 1.0])
def test_full_width_beam_search_equals_exhaustive_search_on_random_decoders(alpha):
    V, L, B = 4, 3, 2
    for seed in range(4):
        dec = PrefixDecoder(V, L, scale=2.0, seed=seed)
        tokens, scores = beam_mod.beam_search(dec, _enc(B), BOS, EOS, V ** L, L, alpha=alpha, pad_id=PAD)
        for b in range(B):
            table = _all_scores(dec, b, L, alpha)
            best = max(table.values())
            assert abs(scores[b].item() - best) < 1e-9
            assert abs(table[_strip(tokens[b].tolist())] - best) < 1e-9


def test_beam_width_one_equals_greedy_decoding_also_on_exact_ties():
    # every step: <pad>, <unk>, <eos> and "a" tie exactly; greedy's argmax takes the lowest id (<pad>)
    tie = [1.0, 1.0, -5.0, 1.0, 1.0]
    dec = PrefixDecoder(5, 4, table={(): tie, (0,): tie, (0, 0): tie, (0, 0, 0): tie})
    greedy = greedy_mod.greedy_decode(dec, _enc(2), BOS, EOS, 4, PAD)
    beam, _ = beam_mod.beam_search(dec, _enc(2), BOS, EOS, 1, 4, alpha=1.0, pad_id=PAD)
    assert torch.equal(beam, greedy)
    # <eos> (id 3) ties with "a" (id 4) and wins as the lower id: both stop at once
    tie_eos = [-5.0, -5.0, -5.0, 2.0, 2.0]
    dec = PrefixDecoder(5, 4, table={(): tie_eos})
    greedy = greedy_mod.greedy_decode(dec, _enc(1), BOS, EOS, 4, PAD)
    beam, _ = beam_mod.beam_search(dec, _enc(1), BOS, EOS, 1, 4, alpha=1.0, pad_id=PAD)
    assert greedy.tolist() == [[EOS]] and torch.equal(beam, greedy)


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
def test_beam_width_one_equals_greedy_decoding_on_random_decoders(alpha):
    for seed in range(10):
        dec = PrefixDecoder(6, 5, scale=3.0, seed=seed)
        greedy = greedy_mod.greedy_decode(dec, _enc(4), BOS, EOS, 5, PAD)
        beam, _ = beam_mod.beam_search(dec, _enc(4), BOS, EOS, 1, 5, alpha=alpha, pad_id=PAD)
        assert torch.equal(beam, greedy)


def test_beam_search_step_keeps_k_unfinished_live_beams_and_reports_eos_ranked_in_the_top_k():
    lp = torch.log(torch.tensor([[[1e-9, 1e-9, 1e-9, 0.1, 0.5, 0.4], [1e-9, 1e-9, 1e-9, 0.9, 0.05, 0.05]]],
                                dtype=torch.float64))
    sc = torch.tensor([[-0.5, -1.0]], dtype=torch.float64)
    new, parent, token, ended = beam_mod.beam_search_step(sc, lp, EOS)
    # candidates ranked: beam 1 + <eos> (-1.105), beam 0 + a (-1.193), beam 0 + b (-1.416), ...
    assert parent.tolist() == [[0, 0]] and token.tolist() == [[4, 5]]
    assert torch.allclose(new, torch.tensor([[-0.5 + math.log(0.5), -0.5 + math.log(0.4)]], dtype=torch.float64))
    assert ended[0, 0].item() == float("-inf")                       # beam 0 + <eos> ranks 5th: not held
    assert abs(ended[0, 1].item() - (-1.0 + math.log(0.9))) < 1e-12


def test_beam_search_step_breaks_exact_ties_by_lowest_beam_then_token_id():
    lp = torch.zeros(1, 2, 4, dtype=torch.float64)
    new, parent, token, ended = beam_mod.beam_search_step(torch.zeros(1, 2, dtype=torch.float64), lp, EOS)
    assert parent.tolist() == [[0, 0]] and token.tolist() == [[0, 1]]
    assert torch.isinf(ended).all()                                  # <eos> (id 3) ranks 4th and 8th


def test_wider_beam_recovers_the_answer_a_narrow_one_finds_on_the_reviewers_example():
    dec = PrefixDecoder(30, 3, table=_reviewer_table())
    scores = [beam_mod.beam_search(dec, _enc(1), BOS, EOS, K, 3, alpha=1.0, pad_id=PAD)[1].item() for K in (1, 2, 3, 8)]
    assert all(wide >= narrow - 1e-12 for narrow, wide in zip(scores, scores[1:])), scores


@pytest.mark.parametrize("alpha", [-0.5, float("nan")])
def test_beam_search_refuses_a_negative_alpha(alpha):
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        beam_mod.beam_search(PrefixDecoder(), _enc(1), BOS, EOS, 2, 3, alpha=alpha, pad_id=PAD)


@pytest.mark.parametrize("width", [2.0, 2.5, "2", True])
def test_beam_search_refuses_a_non_integer_beam_width(width):
    with pytest.raises(TypeError, match="beam_width must be an integer"):
        beam_mod.beam_search(PrefixDecoder(), _enc(1), BOS, EOS, width, 3, pad_id=PAD)


def test_beam_search_refuses_a_beam_width_below_one():
    with pytest.raises(ValueError, match="beam_width must be an integer >= 1, got 0"):
        beam_mod.beam_search(PrefixDecoder(), _enc(1), BOS, EOS, 0, 3, pad_id=PAD)


def test_length_normalisation_picks_what_the_normalised_score_says():
    p = lambda eos, a, rest=0.0: [math.log(x) if x > 0 else -30.0 for x in  # noqa: E731
                                  (rest, rest, rest, eos, a)]  # ids: pad, unk, bos, eos, a
    table = {(): p(0.5, 0.45), (4,): p(0.95, 0.05), (4, 4): p(0.95, 0.05)}
    dec = PrefixDecoder(5, 4, table=table)
    raw, _ = beam_mod.beam_search(dec, _enc(1), BOS, EOS, 8, 4, alpha=0.0, pad_id=PAD)
    norm, score = beam_mod.beam_search(dec, _enc(1), BOS, EOS, 8, 4, alpha=1.0, pad_id=PAD)
    assert raw[0].tolist() == [EOS]                                      # log 0.5 beats log 0.45 + log 0.95
    assert norm[0].tolist() == [4, EOS]                                  # (log 0.45 + log 0.95) / 2 is higher
    lp = lambda prefix, tok: torch.log_softmax(torch.tensor(table[prefix], dtype=torch.float64), -1)[tok].item()  # noqa: E731
    assert abs(score.item() - (lp((), 4) + lp((4,), EOS)) / 2) < 1e-12


def test_beam_search_cuts_at_max_len_and_batch_rows_are_independent():
    table = {(): [0, 0, 0, -10.0, 5.0], (4,): [0, 0, 0, -10.0, 5.0], (4, 4): [0, 0, 0, -10.0, 5.0]}
    tokens, _ = beam_mod.beam_search(PrefixDecoder(5, 3, table=table), _enc(1), BOS, EOS, 2, 3, pad_id=PAD)
    assert tokens.tolist() == [[4, 4, 4]]
    dec = PrefixDecoder(5, 4, scale=2.0)
    enc3 = _enc(3)
    one, s1 = beam_mod.beam_search(dec, EncoderOutput(enc3.states[2:], enc3.final[:, 2:], enc3.mask[2:]),
                                   BOS, EOS, 4, 4, pad_id=PAD)
    three, s3 = beam_mod.beam_search(dec, enc3, BOS, EOS, 4, 4, pad_id=PAD)
    n = one.shape[1]
    assert three[2, :n].tolist() == one[0].tolist() and (three[2, n:] == PAD).all()
    assert abs(s3[2].item() - s1[0].item()) < 1e-12


def test_lstm_seq2seq_beam_search_outputs_end_with_eos_or_max_len():
    import course_lib.models.seq2seq as s2s
    torch.manual_seed(2)
    model = s2s.Seq2Seq(s2s.Encoder(11, 5, 8, cell="LSTM"), s2s.Decoder(9, 4, 8, cell="LSTM"), BOS, EOS, PAD)
    src = torch.randint(4, 11, (4, 7))
    lengths = torch.tensor([7, 1, 4, 5])
    src[torch.arange(7)[None, :] >= lengths[:, None]] = PAD
    out = model.beam(src, lengths, 7, beam_width=3)
    assert out.shape[0] == 4 and out.shape[1] <= 7
    for row in out.tolist():
        if EOS in row:
            assert all(t == PAD for t in row[row.index(EOS) + 1:])
