"""course_lib.metrics.diversity: repeated_ngram_rate and distinct_n equal brute-force counts on seeded random
sequences, give the documented values on hand cases and edge cases (empty, shorter than n, all alike, n-grams
never spanning two sequences), and refuse bad input with errors naming what was expected and what came."""
from __future__ import annotations

import random
import re

import numpy as np
import pytest

from course_lib.metrics.diversity import distinct_n, repeated_ngram_rate


def brute_repeated(tokens, n) -> float:
    windows = [tuple(tokens[i: i + n]) for i in range(len(tokens) - n + 1)]
    if not windows:
        return 0.0
    return sum(windows[i] in windows[:i] for i in range(len(windows))) / len(windows)


def brute_distinct(sequences, n) -> float:
    windows = [tuple(s[i: i + n]) for s in sequences for i in range(len(s) - n + 1)]
    return len(set(windows)) / len(windows) if windows else 0.0


def random_tokens(rng):
    return [rng.choice("abc") for _ in range(rng.randint(0, 10))]


def test_repeated_ngram_rate_equals_brute_force_counting():
    rng = random.Random(0)
    for _ in range(300):
        tokens, n = random_tokens(rng), rng.randint(1, 4)
        assert repeated_ngram_rate(tokens, n) == brute_repeated(tokens, n), (tokens, n)


def test_distinct_n_equals_brute_force_counting():
    rng = random.Random(1)
    for _ in range(300):
        sequences, n = [random_tokens(rng) for _ in range(rng.randint(0, 5))], rng.randint(1, 4)
        assert distinct_n(sequences, n) == brute_distinct(sequences, n), (sequences, n)


def test_repeated_ngram_rate_of_a_looping_text():
    assert repeated_ngram_rate("a b a b a".split(), 2) == 0.5
    assert repeated_ngram_rate(["x"] * 4, 1) == 0.75


def test_repeated_ngram_rate_is_zero_without_repeats():
    assert repeated_ngram_rate("the cat sat".split(), 1) == 0.0


def test_repeated_ngram_rate_is_zero_without_ngrams():
    assert repeated_ngram_rate(["a", "a"], 3) == 0.0
    assert repeated_ngram_rate([], 1) == 0.0


def test_distinct_n_pools_sequences_without_crossing_their_boundaries():
    assert distinct_n([["a", "b"], ["a", "c"]], 1) == 0.75
    assert distinct_n([["a", "b"], ["b", "a"]], 2) == 1.0      # no (b, b) across the boundary


def test_distinct_n_is_one_without_repeats():
    assert distinct_n([["a", "b", "c"]], 1) == 1.0


def test_distinct_n_is_zero_without_ngrams():
    assert distinct_n([["a"], []], 2) == 0.0 and distinct_n([], 1) == 0.0


def test_identical_outputs_lower_distinct_n():
    one = ["the", "cat", "sat"]
    assert distinct_n([one] * 4, 1) == 0.25


def test_numpy_integer_orders_are_accepted():
    assert repeated_ngram_rate(["x"] * 4, np.int64(1)) == 0.75 and distinct_n([["a", "b"]], np.int32(2)) == 1.0


@pytest.mark.parametrize("call, error, message", [
    (lambda: repeated_ngram_rate("a b", 1), TypeError, "tokens must be a list of tokens, got a str ('a b')"),
    (lambda: repeated_ngram_rate(["a", 2], 1), TypeError, "tokens must hold str tokens, got int 2 at position 1"),
    (lambda: repeated_ngram_rate(["a"], 0), ValueError, "n must be >= 1, got 0"),
    (lambda: repeated_ngram_rate(["a"], 1.5), TypeError, "n must be an int, got float 1.5"),
    (lambda: distinct_n(["a b"], 1), TypeError, "sequence 0 must be a list of tokens, got a str ('a b')"),
    (lambda: distinct_n("a b", 1), TypeError, "sequences must be a list of token lists, got a str"),
    (lambda: distinct_n([["a"]], -1), ValueError, "n must be >= 1, got -1"),
    (lambda: distinct_n([["a"]], True), TypeError, "n must be an int, got bool True"),
])
def test_bad_input_raises_naming_what_was_expected_and_what_came(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()
