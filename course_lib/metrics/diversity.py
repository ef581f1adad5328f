"""Repetition and diversity of generated text, from n-gram counts: the symptoms of a decoder that loops.

A summarizer without coverage tends to say the same thing twice ("the value of the value of ..."); sampling with
a low temperature makes every output alike. Two numbers catch these:
- `repeated_ngram_rate(tokens, n)`: within ONE output, the share of its n-grams that already occurred earlier in
  it: 0.0 for a text without repeats, 0.5 for "a b a b a" and bigrams (a b, b a, then both again);
- `distinct_n(sequences, n)`: over a whole set of outputs, the number of distinct n-grams divided by the number
  of n-grams (Li et al. 2016's distinct-1/2): 1.0 when no n-gram repeats anywhere, small when outputs are alike.
Both count the n-grams of a sequence of length L as its L - n + 1 windows (none when L < n); a text without any
n-gram gets 0.0.
"""
from __future__ import annotations

import numbers
from collections.abc import Sequence

from course_lib.text.tokens import check_tokens


def _check_n(n: object) -> None:
    if not isinstance(n, numbers.Integral) or isinstance(n, bool):     # numpy ints are fine
        raise TypeError(f"n must be an int, got {type(n).__name__} {n!r}")
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")


def _ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i: i + n]) for i in range(len(tokens) - n + 1)]


def repeated_ngram_rate(tokens: Sequence[str], n: int) -> float:
    """The share of the n-grams of `tokens` that are a repeat of an earlier n-gram of the same sequence
    (overlapping windows); 0.0 when the sequence has no n-gram (len(tokens) < n).
    repeated_ngram_rate("a b a b a".split(), 2) == 0.5   (a b, b a, [a b], [b a]: 2 of 4 repeat)
    repeated_ngram_rate("the cat sat".split(), 1) == 0.0; repeated_ngram_rate(["x"] * 4, 1) == 0.75."""
    check_tokens(tokens, "tokens")
    _check_n(n)
    grams = _ngrams(tokens, n)
    if not grams:
        return 0.0
    return (len(grams) - len(set(grams))) / len(grams)


def distinct_n(sequences: Sequence[Sequence[str]], n: int) -> float:
    """Distinct n-grams / all n-grams, pooled over every sequence (an n-gram never spans two sequences);
    0.0 when there is no n-gram at all. distinct_n([["a", "b"], ["a", "c"]], 1) == 0.75 (a, b, c of 4)."""
    if isinstance(sequences, str) or not isinstance(sequences, Sequence):
        raise TypeError(f"sequences must be a list of token lists, got a {type(sequences).__name__}")
    _check_n(n)
    total, distinct = 0, set()
    for k, tokens in enumerate(sequences):
        check_tokens(tokens, f"sequence {k}")
        grams = _ngrams(tokens, n)
        total += len(grams)
        distinct.update(grams)
    return len(distinct) / total if total else 0.0
