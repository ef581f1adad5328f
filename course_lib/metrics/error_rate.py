"""Word and character error rates from scratch: the Levenshtein edit distance (unit-cost substitutions,
deletions, insertions) and the corpus WER / CER a speech recognizer is scored by, equal to jiwer 4's.

    WER = (S + D + I) / N over the whole corpus: total word edits of every hypothesis against its reference,
          divided by the total number of reference words (jiwer's convention; NOT the mean of per-sentence
          WERs, which would weigh a two-word sentence like a ten-word one). It can exceed 1 (insertions).
    CER = the same on characters.

Words are str.split() (any whitespace; case and punctuation count: "Four" != "four"); characters are those of
the string with leading and trailing whitespace stripped, inner spaces counting as characters (jiwer.cer's
default transform: Strip, then a list of characters). jiwer differs in two corners: it splits words on single
spaces only (a tab stays inside a word), and it scores a corpus with no reference word as if it had one (here:
ValueError, since the rate is undefined).
"""
from __future__ import annotations

from collections.abc import Sequence


def edit_distance(reference: Sequence, hypothesis: Sequence) -> int:
    """Levenshtein distance: the fewest substitutions, deletions and insertions (each costing 1) that turn
    `reference` into `hypothesis`. Items are compared with ==; a str is a sequence of characters, a list of
    words is a sequence of words. edit_distance("kitten", "sitting") == 3; edit_distance([], x) == len(x)."""
    for name, value in (("reference", reference), ("hypothesis", hypothesis)):
        if not isinstance(value, Sequence):
            raise TypeError(f"{name} must be a sequence (a str, or a list of words / ids), got {type(value).__name__}")
    previous = list(range(len(hypothesis) + 1))          # row i - 1: distances from reference[:i-1]
    for i, r in enumerate(reference, start=1):
        current = [i] + [0] * len(hypothesis)
        for j, h in enumerate(hypothesis, start=1):
            current[j] = min(previous[j] + 1,            # delete r
                             current[j - 1] + 1,         # insert h
                             previous[j - 1] + (r != h))  # substitute (free when equal)
        previous = current
    return int(previous[-1])


def _check_corpus(references: object, hypotheses: object) -> None:
    for name, value in (("references", references), ("hypotheses", hypotheses)):
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise TypeError(f"{name} must be a list of sentences (str), got {type(value).__name__}"
                            + (" (wrap a single sentence in a list)" if isinstance(value, str) else ""))
        bad = [type(s).__name__ for s in value if not isinstance(s, str)]
        if bad:
            raise TypeError(f"{name} must hold str sentences, got {bad[0]}")
    if len(references) != len(hypotheses):
        raise ValueError(f"expected as many hypotheses as references, got {len(hypotheses)} hypotheses for "
                         f"{len(references)} references")
    if len(references) == 0:
        raise ValueError("the error rate of an empty corpus is undefined: got no references")


def wer(references: list[str], hypotheses: list[str]) -> float:
    """Corpus word error rate: sum of word-level edit distances / total reference words (words = str.split()).
    wer(["four two", "seven"], ["four", "seven one"]) == 2 / 3."""
    _check_corpus(references, hypotheses)
    edits = words = 0
    for reference, hypothesis in zip(references, hypotheses):
        ref_words = reference.split()
        edits += edit_distance(ref_words, hypothesis.split())
        words += len(ref_words)
    if words == 0:
        raise ValueError("the references hold no words: the rate (edits / reference words) is undefined")
    return edits / words


def cer(references: list[str], hypotheses: list[str]) -> float:
    """Corpus character error rate: sum of character-level edit distances / total reference characters, each
    string stripped of leading and trailing whitespace first (inner spaces count). cer(["ab  c"], ["ab c"]) == 0.2."""
    _check_corpus(references, hypotheses)
    edits = chars = 0
    for reference, hypothesis in zip(references, hypotheses):
        ref_chars = list(reference.strip())
        edits += edit_distance(ref_chars, list(hypothesis.strip()))
        chars += len(ref_chars)
    if chars == 0:
        raise ValueError("the references hold no characters: the rate (edits / reference characters) is undefined")
    return edits / chars
