"""course_lib.metrics.rouge: rouge_tokenize equals rouge-score's tokenizer; rouge_n (n = 1..4) and rouge_l equal
rouge-score's RougeScorer(use_stemmer=False).score(target, prediction) to the last bit on seeded random texts and
edge cases (empty sides, one word, repeated words, n longer than the text); rouge_corpus is the mean F1;
hand-computed cases; the LCS against brute force; bad input raises errors naming what was expected and what came."""
from __future__ import annotations

import itertools
import random
import re

import numpy as np
import pytest
from rouge_score import rouge_scorer
from rouge_score import tokenize as rouge_score_tokenize

from course_lib.metrics.rouge import (RougeScore, lcs_length, ngram_counts, rouge_corpus, rouge_l, rouge_n,
                                     rouge_tokenize)

SCORER = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rouge3", "rouge4", "rougeL"], use_stemmer=False)


def random_pair(rng: random.Random) -> tuple[str, str]:
    """A (target, prediction) pair of 0-14 words over a shared 2-7 word vocabulary with capitals, digits,
    apostrophes, punctuation and non-ASCII; the prediction drawn independently, or the target shuffled, or the
    target with words dropped, or words the target lacks."""
    vocab = rng.sample(["the", "The", "cat", "CAT's", "sat", "on", "mat.", "2", "x1,", "don't", "café", "--", "a-b",
                        "!"], rng.randint(2, 7))
    words = lambda: [rng.choice(vocab) for _ in range(rng.choice([0, 1, 2, 3] + list(range(4, 15)) * 2))]  # noqa: E731
    target = words()
    kind = rng.choice(["independent", "shuffled", "dropped", "disjoint"])
    if kind == "independent":
        prediction = words()
    elif kind == "disjoint":
        prediction = ["q" + w.upper() + "z" for w in words()]
    elif kind == "shuffled":
        prediction = rng.sample(target, len(target))
    else:
        prediction = [w for w in target if rng.random() < 0.7]
    return " ".join(target), " ".join(prediction)


EDGE_TEXTS = ["", "the", "the the the", "the cat", "cat the", "!!!", "a b c d e", "e d c b a", "the the cat cat",
              "The CAT sat on the mat.", "the cat the cat the cat"]
EDGE_PAIRS = list(itertools.product(EDGE_TEXTS, repeat=2))
RANDOM_PAIRS = [random_pair(random.Random(seed)) for seed in range(400)]


def ours(target: str, prediction: str) -> dict[str, RougeScore]:
    ref, hyp = rouge_tokenize(target), rouge_tokenize(prediction)
    out = {f"rouge{n}": rouge_n(ref, hyp, n) for n in range(1, 5)}
    out["rougeL"] = rouge_l(ref, hyp)
    return out


def theirs(target: str, prediction: str) -> dict[str, RougeScore]:
    return {k: RougeScore(*v) for k, v in SCORER.score(target, prediction).items()}


# ------------------------------------------------------------------------------ parity with rouge-score
def test_rouge_tokenize_equals_rouge_scores_tokenizer():
    for text in EDGE_TEXTS + [t for pair in RANDOM_PAIRS for t in pair] + ["Ünïcode ß 3.14"]:
        assert rouge_tokenize(text) == rouge_score_tokenize.tokenize(text, None), text


def test_rouge_n_and_rouge_l_equal_rouge_score_on_edge_cases():
    for target, prediction in EDGE_PAIRS:
        assert ours(target, prediction) == theirs(target, prediction), (target, prediction)


def test_rouge_n_and_rouge_l_equal_rouge_score_on_random_texts():
    for seed, (target, prediction) in enumerate(RANDOM_PAIRS):
        assert ours(target, prediction) == theirs(target, prediction), (seed, target, prediction)


def test_random_texts_cover_empty_sides_partial_overlap_and_perfect_scores():
    seen = {"empty side": 0, "0 < rouge2 < 1": 0, "rougeL < rouge1 < 1": 0, "rouge1 = 1": 0, "no overlap": 0}
    for target, prediction in RANDOM_PAIRS:
        s = theirs(target, prediction)
        seen["empty side"] += not rouge_tokenize(target) or not rouge_tokenize(prediction)
        seen["0 < rouge2 < 1"] += 0 < s["rouge2"].fmeasure < 1
        seen["rougeL < rouge1 < 1"] += s["rougeL"].fmeasure < s["rouge1"].fmeasure < 1
        seen["rouge1 = 1"] += s["rouge1"].fmeasure == 1
        seen["no overlap"] += bool(rouge_tokenize(target) and rouge_tokenize(prediction)) and s["rouge1"].fmeasure == 0
    assert all(count >= 5 for count in seen.values()), seen


def test_rouge_corpus_is_the_mean_of_rouge_scores_f1_over_the_pairs():
    targets, predictions = zip(*RANDOM_PAIRS[:50])
    expected = {k: sum(theirs(t, p)[k].fmeasure for t, p in RANDOM_PAIRS[:50]) / 50
                for k in ("rouge1", "rouge2", "rougeL")}
    got = rouge_corpus(list(targets), list(predictions))
    assert got.keys() == expected.keys()
    assert all(abs(got[k] - expected[k]) <= 1e-12 for k in expected)


# ------------------------------------------------------------------------------ hand-computed cases
def test_rouge_n_clips_a_repeated_word_to_its_count_in_the_reference():
    assert rouge_n(["the", "cat"], ["the", "the", "the"], 1) == RougeScore(1 / 3, 1 / 2, 0.4)


def test_rouge_n_precision_divides_by_hypothesis_ngrams_and_recall_by_reference_ngrams():
    score = rouge_n("the cat sat on the mat".split(), "the cat sat".split(), 2)
    assert score.precision == 1.0 and score.recall == 2 / 5


def test_rouge_n_with_n_longer_than_a_side_is_all_zero():
    assert rouge_n(["a", "b"], ["a", "b"], 3) == RougeScore(0.0, 0.0, 0.0)


def test_an_empty_side_gives_all_zero_for_rouge_n_and_rouge_l():
    for ref, hyp in (([], ["a"]), (["a"], []), ([], [])):
        assert rouge_n(ref, hyp, 1) == rouge_l(ref, hyp) == RougeScore(0.0, 0.0, 0.0)


def test_rouge_l_rewards_order_that_rouge_1_ignores():
    ref = "a b c d".split()
    assert rouge_n(ref, "d c b a".split(), 1).fmeasure == 1.0
    assert rouge_l(ref, "d c b a".split()) == RougeScore(0.25, 0.25, 0.25)
    assert rouge_l(ref, "a x c d".split()) == RougeScore(0.75, 0.75, 0.75)


def test_rouge_n_and_rouge_l_accept_tuples_of_tokens():
    assert rouge_n(("a", "b"), ("a",), 1) == rouge_n(["a", "b"], ["a"], 1)
    assert rouge_l(("a", "b"), ("b",)) == rouge_l(["a", "b"], ["b"])


def test_lcs_length_equals_brute_force_over_all_subsequences():
    rng = random.Random(0)
    for _ in range(300):
        a = [rng.choice("abc") for _ in range(rng.randint(0, 6))]
        b = [rng.choice("abc") for _ in range(rng.randint(0, 6))]
        subsequences = {tuple(a[i] for i in keep)
                        for k in range(len(a) + 1) for keep in itertools.combinations(range(len(a)), k)}
        brute = max(len(s) for s in subsequences if _is_subsequence(s, b))
        assert lcs_length(a, b) == brute, (a, b)


def _is_subsequence(s, b) -> bool:
    it = iter(b)
    return all(x in it for x in s)


def test_rouge_n_accepts_a_numpy_integer_order():
    assert rouge_n(["a", "b"], ["a", "b"], np.int64(2)) == RougeScore(1.0, 1.0, 1.0)


def test_ngram_counts_counts_each_occurrence():
    assert ngram_counts(["a", "a", "a"], 2) == {("a", "a"): 2}
    assert ngram_counts(["a"], 2) == {}


# ------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("call, error, message", [
    (lambda: rouge_n("the cat", ["the"], 1), TypeError, "reference must be a list of tokens, got a str ('the cat')"),
    (lambda: rouge_n(["the"], "the", 1), TypeError, "hypothesis must be a list of tokens, got a str"),
    (lambda: rouge_l("a b", ["a"]), TypeError, "reference must be a list of tokens, got a str"),
    (lambda: rouge_l(["a"], {"a"}), TypeError, "hypothesis must be a list of tokens (str), got set"),
    (lambda: rouge_n(["a", 1], ["a"], 1), TypeError, "reference must hold str tokens, got int 1 at position 1"),
    (lambda: rouge_l(["a"], [["a"]]), TypeError, "hypothesis must hold str tokens, got list ['a'] at position 0"),
    (lambda: rouge_n(["a"], ["a"], 0), ValueError, "n must be >= 1, got 0"),
    (lambda: rouge_n(["a"], ["a"], 1.0), TypeError, "n must be an int, got float 1.0"),
    (lambda: rouge_n(["a"], ["a"], True), TypeError, "n must be an int, got bool True"),
    (lambda: rouge_tokenize(["a"]), TypeError, "rouge_tokenize expects a str, got list"),
    (lambda: rouge_corpus(["a"], ["a", "b"]), ValueError, "got 1 references but 2 hypotheses"),
    (lambda: rouge_corpus([], []), ValueError, "need at least one (reference, hypothesis) pair, got none"),
    (lambda: rouge_corpus("a", "a"), TypeError, "references must be a list of strings (one per example), got a str"),
    (lambda: rouge_corpus([["a"]], ["a"]), TypeError, "references must hold raw strings, got list at position 0"),
])
def test_bad_input_raises_naming_what_was_expected_and_what_came(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()
