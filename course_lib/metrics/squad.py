"""The SQuAD v1.1 answer metrics (Rajpurkar et al. 2016), written from scratch: answer normalisation, exact
match and token F1, each the maximum over the gold answers, and their means over a data set in percent.

A generated answer rarely matches a reference character for character ("The Eiffel Tower." vs "eiffel
tower"), so both sides are normalised first, in the official script's order:

1. lower-case;
2. remove every character of `string.punctuation` (ASCII only: "don't" -> "dont", "u.s." -> "us"; unicode
   punctuation such as "«", "’" or "—" is kept);
3. remove the words a / an / the, whole words only (the regex r"\\b(a|an|the)\\b", so "theatre" and "anne"
   stay), each replaced by a space;
4. collapse every run of whitespace to one space and strip the ends (`" ".join(text.split())`).

exact_match is 1.0 when the normalised prediction equals a normalised gold answer, else 0.0. token_f1 splits
the normalised strings on whitespace and counts shared tokens with multiplicity (Counter & Counter: "paris
paris" against "paris" shares one token): precision = shared / prediction tokens, recall = shared / gold tokens,
F1 = 2PR / (P + R); 0.0 when no token is shared. When a side is empty after normalisation (e.g. the
prediction "the" or ""), F1 is 0.0 as in the v1.1 script -- even when both sides are empty (SQuAD v2.0's
script would give 1.0 there; exact_match does give 1.0 for two empty strings, as both scripts do). Both
metrics take the maximum over the gold answers: an answer is right if it matches any accepted variant.

squad_scores averages over examples and multiplies by 100: {"exact_match": ..., "f1": ...}, SQuAD's percent
convention.

Inputs: a prediction is a str; gold answers are a non-empty list (or tuple) of str (a bare str is refused,
not read as a list of characters).
"""
from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence

_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def _check_text(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__} {value!r}")
    return value


def _check_golds(gold_answers: object, name: str = "gold_answers") -> Sequence[str]:
    if isinstance(gold_answers, str) or not isinstance(gold_answers, (list, tuple)):
        raise TypeError(f"{name} must be a list of str (the accepted answers), got {type(gold_answers).__name__} "
                        f"{gold_answers!r}" + (f"; write [{gold_answers!r}]" if isinstance(gold_answers, str) else ""))
    if not gold_answers:
        raise ValueError(f"{name} must hold at least one gold answer, got an empty {type(gold_answers).__name__}")
    for k, gold in enumerate(gold_answers):
        _check_text(gold, f"{name}[{k}]")
    return gold_answers


def normalize_answer(text: str) -> str:
    """SQuAD v1.1's normalisation: lower-case -> drop string.punctuation -> articles a/an/the (whole words) to
    spaces -> whitespace runs to one space, ends stripped. normalize_answer("The  Theatre, in Paris!") ==
    "theatre in paris"."""
    _check_text(text, "text")
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def exact_match(prediction: str, gold_answers: list[str]) -> float:
    """1.0 if normalize_answer(prediction) equals normalize_answer of any gold answer, else 0.0."""
    _check_text(prediction, "prediction")
    _check_golds(gold_answers)
    predicted = normalize_answer(prediction)
    return float(any(predicted == normalize_answer(gold) for gold in gold_answers))


def token_f1(prediction: str, gold_answers: list[str]) -> float:
    """The maximum over gold answers of the token F1 between the normalised prediction and gold answer, split
    on whitespace, tokens counted with multiplicity; 0.0 with no shared token or an empty side (v1.1)."""
    _check_text(prediction, "prediction")
    _check_golds(gold_answers)
    predicted = normalize_answer(prediction).split()
    best = 0.0
    for gold in gold_answers:              # precision and recall of ONE gold at a time, then the best F1
        gold_tokens = normalize_answer(gold).split()
        shared = sum((Counter(predicted) & Counter(gold_tokens)).values())   # with multiplicity
        if shared:                         # none shared, or a side empty: F1 0.0 (v1.1)
            precision, recall = shared / len(predicted), shared / len(gold_tokens)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def squad_scores(predictions: list[str], golds: list[list[str]]) -> dict[str, float]:
    """{"exact_match": mean EM * 100, "f1": mean token F1 * 100} over examples; predictions[i] is scored
    against golds[i] (a list of accepted answers). Needs at least one example."""
    for name, value in (("predictions", predictions), ("golds", golds)):
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise TypeError(f"{name} must be a list, got {type(value).__name__} {value!r}")
    if len(predictions) != len(golds):
        raise ValueError(f"predictions and golds must have the same length, got {len(predictions)} predictions "
                         f"and {len(golds)} gold lists")
    if not predictions:
        raise ValueError("squad_scores needs at least one example, got empty lists")
    for i, (prediction, gold) in enumerate(zip(predictions, golds)):
        _check_text(prediction, f"predictions[{i}]")
        _check_golds(gold, f"golds[{i}]")
    em = sum(exact_match(p, g) for p, g in zip(predictions, golds))
    f1 = sum(token_f1(p, g) for p, g in zip(predictions, golds))
    return {"exact_match": 100.0 * em / len(predictions), "f1": 100.0 * f1 / len(predictions)}
