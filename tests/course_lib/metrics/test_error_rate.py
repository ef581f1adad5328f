"""course_lib.metrics.error_rate: edit_distance equals a brute-force search on short sequences and the known
cases; wer and cer equal jiwer 4's (jiwer.wer, jiwer.cer, jiwer.process_words' counts) on seeded random corpora
including empty hypotheses, empty sentences, repeated words and extra spaces; the corpus convention (total edits /
total reference words, not the mean of sentence rates); bad input raises errors naming expected and got."""
from __future__ import annotations

import itertools
import random

import jiwer
import pytest

from course_lib.metrics.error_rate import cer, edit_distance, wer


# ------------------------------------------------------------------------------ edit distance
def test_edit_distance_known_cases():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3 and edit_distance("abc", "") == 3 and edit_distance("", "") == 0
    assert edit_distance(["four", "two"], ["four", "two"]) == 0
    assert edit_distance(["four", "two"], ["two", "four"]) == 2
    assert edit_distance([1, 2, 3], (1, 3)) == 1


def test_edit_distance_returns_a_python_int():
    assert type(edit_distance("ab", "b")) is int


def brute_distance(a: tuple, b: tuple) -> int:
    """Breadth-first search over single edits from a (alphabet: the symbols of a and b)."""
    symbols = sorted(set(a) | set(b)) or ["x"]
    seen, frontier, steps = {a}, {a}, 0
    while b not in frontier:
        nxt = set()
        for s in frontier:
            for i in range(len(s) + 1):
                for c in symbols:
                    nxt.add(s[:i] + (c,) + s[i:])
                if i < len(s):
                    nxt.add(s[:i] + s[i + 1:])
                    for c in symbols:
                        nxt.add(s[:i] + (c,) + s[i + 1:])
        frontier = nxt - seen
        seen |= frontier
        steps += 1
    return steps


def test_edit_distance_equals_brute_force_search_on_short_sequences():
    for a_len, b_len in itertools.product(range(4), repeat=2):
        for a in itertools.product("ab", repeat=a_len):
            for b in itertools.product("abc", repeat=b_len):
                assert edit_distance(a, b) == brute_distance(a, b), (a, b)


def test_edit_distance_is_symmetric_and_bounded():
    rng = random.Random(0)
    for _ in range(300):
        a = [rng.choice("abcd") for _ in range(rng.randint(0, 9))]
        b = [rng.choice("abcd") for _ in range(rng.randint(0, 9))]
        d = edit_distance(a, b)
        assert d == edit_distance(b, a) and abs(len(a) - len(b)) <= d <= max(len(a), len(b))


def test_edit_distance_refuses_what_is_not_a_sequence():
    with pytest.raises(TypeError, match="reference must be a sequence .* got int"):
        edit_distance(5, "a")
    with pytest.raises(TypeError, match="hypothesis must be a sequence .* got set"):
        edit_distance("a", {"a"})


# ------------------------------------------------------------------------------ parity with jiwer
WORDS = ["zero", "one", "two", "three", "four", "Four", "five", "six", "seven", "eight", "nine", "four,"]


def random_corpus(seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    refs, hyps = [], []
    for _ in range(rng.randint(1, 6)):
        ref = [rng.choice(WORDS[:5]) for _ in range(rng.randint(1, 6))]
        kind = rng.choice(["copy", "noisy", "empty", "independent", "extra spaces"])
        if kind == "copy":
            hyp = list(ref)
        elif kind == "empty":
            hyp = []
        elif kind == "independent":
            hyp = [rng.choice(WORDS) for _ in range(rng.randint(0, 8))]
        else:
            hyp = [w for w in ref if rng.random() < 0.8]
            hyp = [rng.choice(WORDS) if rng.random() < 0.2 else w for w in hyp]
            if rng.random() < 0.5:
                hyp.insert(rng.randint(0, len(hyp)), rng.choice(WORDS))
        sep = "  " if kind == "extra spaces" else " "
        refs.append(" ".join(ref))
        hyps.append((" " if kind == "extra spaces" else "") + sep.join(hyp))
    return refs, hyps


CORPORA = [random_corpus(seed) for seed in range(300)]


def test_wer_equals_jiwer_on_random_corpora():
    for refs, hyps in CORPORA:
        assert wer(refs, hyps) == pytest.approx(jiwer.wer(refs, hyps), abs=1e-12), (refs, hyps)


def test_cer_equals_jiwer_on_random_corpora():
    for refs, hyps in CORPORA:
        assert cer(refs, hyps) == pytest.approx(jiwer.cer(refs, hyps), abs=1e-12), (refs, hyps)


def test_word_edits_equal_jiwer_process_words_counts():
    for refs, hyps in CORPORA[:100]:
        out = jiwer.process_words(refs, hyps)
        edits = sum(edit_distance(r.split(), h.split()) for r, h in zip(refs, hyps))
        assert edits == out.substitutions + out.deletions + out.insertions


def test_empty_hypotheses_cost_every_reference_word():
    assert wer(["four two", "one"], ["", ""]) == 1.0 == jiwer.wer(["four two", "one"], ["", ""])
    assert cer(["ab"], [""]) == 1.0


def test_an_empty_reference_sentence_counts_its_hypothesis_as_insertions():
    assert wer(["", "four two"], ["one", "four two"]) == 0.5 == jiwer.wer(["", "four two"], ["one", "four two"])


def test_wer_is_the_corpus_rate_not_the_mean_of_sentence_rates():
    refs, hyps = ["one two three four five six seven eight", "nine"], ["one two three four five six seven eight", "two"]
    assert wer(refs, hyps) == 1 / 9 and (wer(refs[:1], hyps[:1]) + wer(refs[1:], hyps[1:])) / 2 == 0.5


def test_wer_can_exceed_1_with_insertions():
    assert wer(["one"], ["two three four"]) == 3.0


def test_case_and_punctuation_count():
    assert wer(["four two"], ["Four two"]) == 0.5 and wer(["four two"], ["four, two"]) == 0.5


def test_cer_strips_outer_whitespace_and_counts_inner_spaces():
    assert cer([" ab  c "], ["ab c"]) == 0.2 == jiwer.cer([" ab  c "], ["ab c"])


def test_wer_splits_on_any_whitespace():
    assert wer(["four\ttwo\n"], ["four two"]) == 0.0


# ------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("fn", [wer, cer])
@pytest.mark.parametrize("refs, hyps, error, match", [
    ("four two", ["four two"], TypeError, r"references must be a list of sentences .* got str \(wrap"),
    (["four two"], "four two", TypeError, "hypotheses must be a list of sentences"),
    ([["four", "two"]], ["four two"], TypeError, "references must hold str sentences, got list"),
    (["four"], [4], TypeError, "hypotheses must hold str sentences, got int"),
    (["four", "two"], ["four"], ValueError, "as many hypotheses as references, got 1 hypotheses for 2 references"),
    ([], [], ValueError, "empty corpus"),
    ([""], ["four"], ValueError, "references hold no"),
    (["  ", ""], ["a", "b"], ValueError, "references hold no"),
])
def test_error_rates_refuse_bad_input_naming_expected_and_got(fn, refs, hyps, error, match):
    with pytest.raises(error, match=match):
        fn(refs, hyps)
