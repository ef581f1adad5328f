"""course_lib.metrics.edits: the alignment has minimal edit distance and, among those, the most matches (brute
force over all alignments of short sentences); extracted edits turn the source into the target, are maximal runs
(separated by a copied token), and follow the documented tie-break; edit_prf counts true positives by span and
replacement, sums over the corpus before dividing, follows the M2 conventions for empty denominators and the
F_beta formula (checked against scikit-learn's fbeta_score); bad input raises errors naming what was expected and
what came."""
from __future__ import annotations

import functools
import random
import re

import pytest
from sklearn.metrics import fbeta_score

from course_lib.metrics.edits import Edit, alignment, apply_edits, edit_prf, extract_edits


def random_pair(rng: random.Random) -> tuple[list[str], list[str]]:
    """A source of 0-7 tokens over a 3-word vocabulary and a target made from it by random edits."""
    vocab = ["a", "b", "c"]
    source = [rng.choice(vocab) for _ in range(rng.randint(0, 7))]
    target = list(source)
    for _ in range(rng.randint(0, 3)):
        op = rng.choice(["sub", "ins", "del"])
        if op == "ins" or not target:
            target.insert(rng.randint(0, len(target)), rng.choice(vocab + ["d"]))
        elif op == "sub":
            target[rng.randrange(len(target))] = rng.choice(vocab + ["d"])
        else:
            del target[rng.randrange(len(target))]
    return source, target


PAIRS = [random_pair(random.Random(seed)) for seed in range(300)]


def brute_best(source, target) -> tuple[int, int]:
    """(edit distance, -matches) minimised over every alignment, by exhaustive recursion."""
    @functools.lru_cache(maxsize=None)
    def best(i, j):
        if i == len(source) and j == len(target):
            return (0, 0)
        options = []
        if i < len(source) and j < len(target):
            d, m = best(i + 1, j + 1)
            options.append((d, m - 1) if source[i] == target[j] else (d + 1, m))
        if i < len(source):
            d, m = best(i + 1, j)
            options.append((d + 1, m))
        if j < len(target):
            d, m = best(i, j + 1)
            options.append((d + 1, m))
        return min(options)
    return best(0, 0)


def cost_of(ops) -> tuple[int, int]:
    return sum(op != "match" for op, _, _ in ops), -sum(op == "match" for op, _, _ in ops)


# ------------------------------------------------------------------------------ alignment and edits
def test_alignment_has_minimal_distance_and_the_most_matches_among_those():
    for source, target in PAIRS:
        ops = alignment(source, target)
        assert cost_of(ops) == brute_best(tuple(source), tuple(target)), (source, target, ops)


def test_alignment_visits_every_source_and_target_token_once_in_order():
    for source, target in PAIRS:
        ops = alignment(source, target)
        assert [i for op, i, _ in ops if op != "ins"] == list(range(len(source)))
        assert [j for op, _, j in ops if op != "del"] == list(range(len(target)))


def test_applying_the_extracted_edits_gives_the_target():
    for source, target in PAIRS:
        assert apply_edits(source, extract_edits(source, target)) == target, (source, target)


def test_edits_are_maximal_runs_separated_by_at_least_one_copied_token():
    for source, target in PAIRS:
        edits = extract_edits(source, target)
        assert all(a.end < b.start for a, b in zip(edits, edits[1:])), (source, target, edits)
        assert all(e.end > e.start or e.replacement for e in edits)


def test_equal_sentences_have_no_edit():
    assert extract_edits(["a", "b"], ["a", "b"]) == [] and extract_edits([], []) == []


def test_a_substitution_and_a_deletion_separated_by_a_copied_word_are_two_edits():
    assert extract_edits("he go to the school".split(), "he goes to school".split()) == [
        Edit(1, 2, ("goes",)), Edit(3, 4, ())]


def test_adjacent_changes_make_one_edit():
    assert extract_edits("i has went".split(), "i have gone".split()) == [Edit(1, 3, ("have", "gone"))]


def test_an_insertion_is_an_empty_span():
    assert extract_edits("i have cat".split(), "i have a cat".split()) == [Edit(2, 2, ("a",))]


def test_a_deletion_of_a_repeated_token_falls_on_its_first_copy():
    assert extract_edits("the the cat".split(), "the cat".split()) == [Edit(0, 1, ())]


def test_more_matches_win_over_substitutions_of_equal_cost():
    # x a -> a y: two substitutions or delete x, keep a, insert y (both distance 2): a kept
    assert extract_edits(["x", "a"], ["a", "y"]) == [Edit(0, 1, ()), Edit(2, 2, ("y",))]


def test_edits_from_and_to_an_empty_sentence():
    assert extract_edits([], ["a", "b"]) == [Edit(0, 0, ("a", "b"))]
    assert extract_edits(["a", "b"], []) == [Edit(0, 2, ())]


# ------------------------------------------------------------------------------ edit_prf
def test_edit_prf_counts_an_edit_right_only_with_the_same_span_and_replacement():
    sources = ["he go to the school".split(), "she like cats".split()]
    references = ["he goes to school".split(), "she likes cats".split()]
    hypotheses = ["he goes to the school".split(), "she liked cats".split()]
    # proposed: (1,2,goes) right; (1,2,liked) wrong -> P = 1/2; needed 3 -> R = 1/3
    p, r, f = edit_prf(sources, hypotheses, references)
    assert (p, r) == (0.5, 1 / 3)
    assert f == pytest.approx(1.25 * p * r / (0.25 * p + r), abs=1e-15)


def test_edit_prf_sums_over_the_corpus_before_dividing():
    sources = [["a", "b", "c"], ["x"]]
    references = [["A", "b", "C"], ["X"]]
    hypotheses = [["A", "b", "c"], ["y"]]
    p, r, _ = edit_prf(sources, hypotheses, references)
    assert (p, r) == (1 / 2, 1 / 3)         # not the mean of per-sentence (1, 1/2) and (0, 0)


def test_copying_the_source_gives_precision_1_recall_0_and_f_0():
    sources = [["a", "b"], ["c"]]
    assert edit_prf(sources, sources, [["a", "c"], ["c"]]) == (1.0, 0.0, 0.0)


def test_no_needed_and_no_proposed_edit_gives_all_ones():
    assert edit_prf([["a"]], [["a"]], [["a"]]) == (1.0, 1.0, 1.0)


def test_edits_proposed_where_none_are_needed_give_precision_0_recall_1():
    assert edit_prf([["a"]], [["b"]], [["a"]]) == (0.0, 1.0, 0.0)


def test_the_perfect_hypothesis_scores_1():
    sources = [s for s, _ in PAIRS[:50]]
    targets = [t for _, t in PAIRS[:50]]
    assert edit_prf(sources, targets, targets) == (1.0, 1.0, 1.0)


@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0])
def test_f_beta_equals_scikit_learns_fbeta_score_on_the_same_counts(beta):
    rng = random.Random(1)
    sources = [s for s, _ in PAIRS[:100]]
    references = [t for _, t in PAIRS[:100]]
    hypotheses = [t if rng.random() < 0.5 else random_pair(rng)[1] for t in references]
    tp = fp = fn = 0
    for s, h, g in zip(sources, hypotheses, references):
        hs, gs = set(extract_edits(s, h)), set(extract_edits(s, g))
        tp, fp, fn = tp + len(hs & gs), fp + len(hs - gs), fn + len(gs - hs)
    y_true = [1] * tp + [0] * fp + [1] * fn
    y_pred = [1] * tp + [1] * fp + [0] * fn
    assert tp and fp and fn
    assert edit_prf(sources, hypotheses, references, beta=beta)[2] == pytest.approx(
        fbeta_score(y_true, y_pred, beta=beta), abs=1e-12)


# ------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("call, error, message", [
    (lambda: extract_edits("a b", ["a"]), TypeError, "source must be a list of tokens, got a str ('a b')"),
    (lambda: extract_edits(["a"], [1]), TypeError, "target must hold str tokens, got int 1 at position 0"),
    (lambda: edit_prf([["a"]], [["a"]], [["a"], ["b"]]), ValueError,
     "got 1 sources, 1 hypotheses, 2 references"),
    (lambda: edit_prf("a", ["a"], ["a"]), TypeError,
     "sources must be a list of token lists (one per sentence), got a str"),
    (lambda: edit_prf([["a"]], ["a"], [["a"]]), TypeError, "hypothesis 0 must be a list of tokens, got a str ('a')"),
    (lambda: edit_prf([["a"]], [["a"]], [["a"]], beta=0), ValueError, "beta must be a positive number, got 0"),
    (lambda: apply_edits(["a", "b"], [Edit(1, 2, ()), Edit(0, 1, ())]), ValueError,
     "edits must be in source order, non-overlapping and within the source (length 2)"),
])
def test_bad_input_raises_naming_what_was_expected_and_what_came(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()
