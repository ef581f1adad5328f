"""ROUGE (Lin 2004) from scratch: ROUGE-N by clipped n-gram overlap, ROUGE-L by longest common subsequence.

ROUGE scores a summary (the hypothesis, or prediction) against a reference (the target) by the words they share:
recall = how much of the reference the summary recovers, precision = how much of the summary is in the
reference, and their F1. Like BLEU it rewards surface overlap only: a paraphrase scores nothing, and a long
summary buys recall with precision.

Everything here matches Google's `rouge-score` package (pip rouge-score==0.1.2, Apache-2.0) with stemming off:
`RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=False).score(target, prediction)` -- mind the order,
the reference first -- gives, for texts a and b, `rouge_n(rouge_tokenize(a), rouge_tokenize(b), n)` and
`rouge_l(rouge_tokenize(a), rouge_tokenize(b))`, to the last bit. The zero cases are rouge-score's: an empty side
gives precision = recall = F1 = 0.0, and F1 = 0.0 when precision + recall = 0. (rougeLsum, the summary-level LCS
over sentences split at newlines, is not reproduced here.)

Inputs of rouge_n and rouge_l are token lists (any sequence of str but a str itself); rouge_corpus takes raw strings.
"""
from __future__ import annotations

import numbers
import re
from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

from course_lib.text.tokens import check_tokens

_HINT = "tokenize it first, e.g. rouge_tokenize(text)"  # what a str passed as tokens is told

_NON_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")


class RougeScore(NamedTuple):
    """Precision, recall and F1 of one hypothesis against one reference, each in [0, 1]."""
    precision: float
    recall: float
    fmeasure: float


def rouge_tokenize(text: str) -> list[str]:
    """rouge-score's default tokenizer without stemming: lower-case the text, turn every character outside
    [a-z0-9] into a space (so "don't" -> "don t", "café" -> "caf"), split on whitespace.
    rouge_tokenize("The cat's 2 mats!") == ["the", "cat", "s", "2", "mats"]."""
    if not isinstance(text, str):
        raise TypeError(f"rouge_tokenize expects a str, got {type(text).__name__}")
    return _NON_ALPHANUMERIC.sub(" ", text.lower()).split()


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0


def ngram_counts(tokens: Sequence[str], n: int) -> Counter:
    """How often each n-gram (a tuple of n tokens) occurs in `tokens`; empty when len(tokens) < n."""
    check_tokens(tokens, "tokens", _HINT)
    _check_n(n)
    return Counter(tuple(tokens[i: i + n]) for i in range(len(tokens) - n + 1))


def _check_n(n: object) -> None:
    if not isinstance(n, numbers.Integral) or isinstance(n, bool):     # numpy ints are fine
        raise TypeError(f"n must be an int, got {type(n).__name__} {n!r}")
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")


def rouge_n(reference: Sequence[str], hypothesis: Sequence[str], n: int = 1) -> RougeScore:
    """ROUGE-N of a hypothesis against a reference, both token lists.

    overlap = sum over n-grams g of min(count of g in hypothesis, count of g in reference) (clipped: saying a
    word twice earns it twice only if the reference has it twice). precision = overlap / (number of hypothesis
    n-grams), recall = overlap / (number of reference n-grams), fmeasure = their F1. A side with no n-gram (empty,
    or shorter than n) counts as having one in the denominator, as rouge-score does, so every field is 0.0."""
    check_tokens(reference, "reference", _HINT)
    check_tokens(hypothesis, "hypothesis", _HINT)
    _check_n(n)
    ref, hyp = ngram_counts(reference, n), ngram_counts(hypothesis, n)
    overlap = sum(min(count, ref[g]) for g, count in hyp.items())
    precision = overlap / max(sum(hyp.values()), 1)
    recall = overlap / max(sum(ref.values()), 1)
    return RougeScore(precision, recall, _f1(precision, recall))


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence of two token lists (in order, not necessarily adjacent),
    by dynamic programming in O(len(a) * len(b)) time and O(len(b)) memory."""
    check_tokens(a, "a", _HINT)
    check_tokens(b, "b", _HINT)
    previous = [0] * (len(b) + 1)               # row i-1 of the table: LCS of a[:i-1] and b[:j]
    for x in a:
        current = [0] * (len(b) + 1)
        for j, y in enumerate(b, start=1):
            current[j] = previous[j - 1] + 1 if x == y else max(previous[j], current[j - 1])
        previous = current
    return previous[-1]


def rouge_l(reference: Sequence[str], hypothesis: Sequence[str]) -> RougeScore:
    """ROUGE-L of a hypothesis against a reference, both token lists: with lcs = `lcs_length(reference,
    hypothesis)`, precision = lcs / len(hypothesis), recall = lcs / len(reference), fmeasure = their F1;
    all 0.0 when either side is empty (rouge-score's convention)."""
    check_tokens(reference, "reference", _HINT)
    check_tokens(hypothesis, "hypothesis", _HINT)
    if len(reference) == 0 or len(hypothesis) == 0:
        return RougeScore(0.0, 0.0, 0.0)
    lcs = lcs_length(reference, hypothesis)
    precision, recall = lcs / len(hypothesis), lcs / len(reference)
    return RougeScore(precision, recall, _f1(precision, recall))


def rouge_corpus(references: Sequence[str], hypotheses: Sequence[str]) -> dict[str, float]:
    """{"rouge1": ..., "rouge2": ..., "rougeL": ...}: the mean F1 (in [0, 1], not percent) over pairs of raw
    strings, each tokenized with `rouge_tokenize` -- what averaging rouge-score's per-pair fmeasure gives.
    references[i] is the reference of hypotheses[i]."""
    for name, texts in (("references", references), ("hypotheses", hypotheses)):
        if isinstance(texts, str) or not isinstance(texts, Sequence):
            raise TypeError(f"{name} must be a list of strings (one per example), got a {type(texts).__name__}")
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"{name} must hold raw strings, got {type(text).__name__} at position {i}; "
                                "join token lists with ' '.join(tokens)")
    if len(references) != len(hypotheses):
        raise ValueError(f"got {len(references)} references but {len(hypotheses)} hypotheses; need one each")
    if len(references) == 0:
        raise ValueError("need at least one (reference, hypothesis) pair, got none")
    totals = {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    for reference, hypothesis in zip(references, hypotheses):
        ref, hyp = rouge_tokenize(reference), rouge_tokenize(hypothesis)
        totals["rouge1"] += rouge_n(ref, hyp, 1).fmeasure
        totals["rouge2"] += rouge_n(ref, hyp, 2).fmeasure
        totals["rougeL"] += rouge_l(ref, hyp).fmeasure
    return {name: total / len(references) for name, total in totals.items()}
