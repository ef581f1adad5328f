"""course_lib.metrics.bleu: the from-scratch BLEU matches sacrebleu (tokenize="none", smooth_method="none") on
seeded random corpora and hand-computed cases; the sacrebleu wrappers (imported lazily); and the input checks."""
from __future__ import annotations

import math
import random
import sys
from collections import Counter

import pytest
import sacrebleu
from sacrebleu.metrics import BLEU

from course_lib.metrics import bleu
from course_lib.metrics.bleu import brevity_penalty, closest_ref_length, corpus_bleu, modified_precision, ngram_counts, sacrebleu_bleu, sacrebleu_chrf


TOL = 1e-9


def sacre_streams(references):
    """Our layout (per sentence, a list of token lists) -> sacrebleu's (one stream per reference position,
    None where a sentence has fewer references than the most any sentence has)."""
    k_max = max(len(refs) for refs in references)
    return [[" ".join(refs[k]) if k < len(refs) else None for refs in references] for k in range(k_max)]


def sacre_score(hyps, refs, max_n=4):
    metric = BLEU(tokenize="none", smooth_method="none", max_ngram_order=max_n)
    return metric.corpus_score([" ".join(h) for h in hyps], sacre_streams(refs))


def random_corpus(seed):
    """1-8 sentences over a 2-6 word vocabulary (so n-grams match), 1-3 references each; hypotheses
    of length 0-12 (some 1-3: fewer n-grams than max_n) against references of length 1-12."""
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(rng.randint(2, 6))]
    words = lambda n: [rng.choice(vocab) for _ in range(n)]   # noqa: E731
    hyps, refs = [], []
    for _ in range(rng.randint(1, 8)):
        hyps.append(words(rng.choice([0, 1, 2, 3] + list(range(4, 13)) * 2)))
        refs.append([words(rng.randint(1, 12)) for _ in range(rng.randint(1, 3))])
    return hyps, refs


SEEDS = range(300)


# ---------------------------------------------------------------- parity with sacrebleu
@pytest.mark.parametrize("seed", SEEDS)
def test_corpus_bleu_matches_sacrebleu_on_random_corpora(seed):
    hyps, refs = random_corpus(seed)
    assert abs(corpus_bleu(hyps, refs) - sacre_score(hyps, refs).score) <= TOL


def test_random_corpora_cover_both_brevity_sides_zero_and_nonzero_scores():
    seen = Counter()
    for seed in SEEDS:
        s = sacre_score(*random_corpus(seed))
        seen["short"] += s.sys_len < s.ref_len
        seen["long"] += s.sys_len > s.ref_len
        seen["zero"] += s.score == 0
        seen["nonzero short (bp < 1)"] += s.score > 0 and s.bp < 1
        seen["nonzero long (bp = 1)"] += s.score > 0 and s.sys_len > s.ref_len
        seen["multi-ref"] += s.score > 0 and len(sacre_streams(random_corpus(seed)[1])) > 1
    assert all(seen[k] >= 5 for k in ("short", "long", "zero", "nonzero short (bp < 1)",
                                      "nonzero long (bp = 1)", "multi-ref")), seen


def test_matches_sacrebleu_compat_api_with_a_fixed_number_of_references():
    rng = random.Random(1)
    vocab = "a b c d".split()
    hyps = [[rng.choice(vocab) for _ in range(rng.randint(4, 10))] for _ in range(20)]
    refs = [[[rng.choice(vocab) for _ in range(rng.randint(4, 10))] for _ in range(2)] for _ in range(20)]
    expected = sacrebleu.corpus_bleu([" ".join(h) for h in hyps], sacre_streams(refs),
                                     tokenize="none", smooth_method="none").score
    assert expected > 0
    assert abs(corpus_bleu(hyps, refs) - expected) <= TOL


def test_short_hypotheses_have_no_4grams_so_score_is_zero():
    hyps = [["a"], ["a", "b"], ["a", "b", "c"]]
    refs = [[["a"]], [["a", "b"]], [["a", "b", "c"]]]
    assert corpus_bleu(hyps, refs) == 0.0 == sacre_score(hyps, refs).score
    assert modified_precision(["a", "b", "c"], [["a", "b", "c"]], 4) == (0, 0)
    # with one long sentence in the corpus every order has matches again
    hyps.append("a b c d e".split()); refs.append([["a", "b", "c", "d", "e"]])
    assert corpus_bleu(hyps, refs) > 0
    assert abs(corpus_bleu(hyps, refs) - sacre_score(hyps, refs).score) <= TOL


def test_zero_matches_at_one_order_gives_zero():
    hyps = [["a", "b", "a", "b", "b"]]
    refs = [[["a", "b", "b", "a", "b", "a"]]]
    assert modified_precision(hyps[0], refs[0], 2)[0] > 0
    assert modified_precision(hyps[0], refs[0], 4) == (0, 2)
    assert corpus_bleu(hyps, refs) == 0.0 == sacre_score(hyps, refs).score
    assert corpus_bleu(hyps, refs, max_n=3) > 0


@pytest.mark.parametrize("max_n", [1, 2, 3, 5, 6])
def test_other_max_n_matches_sacrebleu(max_n):
    nonzero = 0
    for seed in SEEDS:
        hyps, refs = random_corpus(seed)
        expected = sacre_score(hyps, refs, max_n).score
        nonzero += expected > 0
        assert abs(corpus_bleu(hyps, refs, max_n=max_n) - expected) <= TOL, seed
    assert nonzero >= 10   # the parity above is not only 0 == 0


# ---------------------------------------------------------------- hand-computed
def test_ngram_counts():
    assert ngram_counts("a b a b".split(), 2) == Counter({("a", "b"): 2, ("b", "a"): 1})
    assert ngram_counts("a b a".split(), 1) == Counter({("a",): 2, ("b",): 1})
    assert ngram_counts(["a", "b"], 3) == Counter()
    assert ngram_counts([], 1) == Counter()


def test_clipping_example_from_papineni():
    hyp = "the the the the the the the".split()
    ref1, ref2 = "the cat is on the mat".split(), "there is a cat on the mat".split()
    assert modified_precision(hyp, [ref1], 1) == (2, 7)
    assert modified_precision(hyp, [ref1, ref2], 1) == (2, 7)   # clipped by the max over references, not the sum
    assert modified_precision(hyp, [ref2], 1) == (1, 7)
    assert modified_precision(hyp, [ref1, ref2], 2) == (0, 6)


def test_clip_uses_max_over_references_per_ngram():
    hyp = "a a b b".split()
    refs = ["a a".split(), "b b".split()]   # each n-gram clipped by its own best reference
    assert modified_precision(hyp, refs, 1) == (4, 4)
    assert modified_precision(hyp, refs, 2) == (2, 3)


def test_identical_corpus_scores_100():
    sents = ["the cat sat on the mat".split(), "a dog barked at the moon today".split()]
    assert corpus_bleu(sents, [[s] for s in sents]) == pytest.approx(100.0, abs=TOL)


def test_empty_hypothesis():
    assert modified_precision([], [["a", "b"]], 1) == (0, 0)
    assert corpus_bleu([[]], [[["a", "b", "c", "d"]]]) == 0.0 == sacre_score([[]], [[["a", "b", "c", "d"]]]).score
    hyps = [[], "a b c d".split()]
    refs = [[["x", "y"]], [["a", "b", "c", "d"]]]
    assert abs(corpus_bleu(hyps, refs) - 100 * math.exp(1 - 6 / 4)) <= TOL   # only the brevity penalty
    assert abs(corpus_bleu(hyps, refs) - sacre_score(hyps, refs).score) <= TOL


def test_brevity_penalty():
    assert brevity_penalty(5, 5) == 1.0
    assert brevity_penalty(6, 5) == 1.0
    assert brevity_penalty(4, 5) == pytest.approx(math.exp(1 - 5 / 4))
    assert brevity_penalty(0, 5) == 0.0
    assert brevity_penalty(0, 0) == 1.0
    for h in range(0, 12):
        for r in range(0, 12):
            assert brevity_penalty(h, r) == BLEU.compute_bleu([1], [1], h, r, max_ngram_order=1).bp, (h, r)


def test_closest_ref_length_breaks_ties_towards_the_shorter_reference():
    assert closest_ref_length(5, [3, 7]) == 3
    assert closest_ref_length(5, [7, 3]) == 3
    assert closest_ref_length(5, [6, 2]) == 6
    assert closest_ref_length(5, [9]) == 9
    metric, rng = BLEU(), random.Random(0)
    for _ in range(500):
        h, lens = rng.randint(0, 10), [rng.randint(0, 10) for _ in range(rng.randint(1, 4))]
        assert closest_ref_length(h, lens) == metric._get_closest_ref_len(h, lens), (h, lens)


# ---------------------------------------------------------------- sacrebleu wrappers
HYPS = ["The cat sat on the mat.", "Hello, world!", "It's 3:45 p.m. now", "a b c"]


REFS = ["The cat is sitting on the mat.", "Hello world!", "It is 3:45 pm now.", "a b c d"]


def test_sacrebleu_bleu_wrapper():
    assert sacrebleu_bleu(HYPS, REFS) == sacrebleu.corpus_bleu(HYPS, [REFS]).score
    assert sacrebleu_bleu(HYPS[:1], HYPS[:1]) == pytest.approx(100.0)


def test_sacrebleu_chrf_wrapper():
    assert sacrebleu_chrf(HYPS, REFS) == sacrebleu.corpus_chrf(HYPS, [REFS]).score
    assert sacrebleu_chrf(tuple(HYPS), tuple(REFS)) == sacrebleu.corpus_chrf(HYPS, [REFS]).score


def test_wrappers_name_the_package_when_sacrebleu_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "sacrebleu", None)
    for fn in (sacrebleu_bleu, sacrebleu_chrf):
        with pytest.raises(ModuleNotFoundError, match=r"pip install sacrebleu==2\.6\.0"):
            fn(HYPS, REFS)


# ---------------------------------------------------------------- bad input
def test_length_mismatch():
    with pytest.raises(ValueError, match=r"2 hypotheses but 1 reference"):
        corpus_bleu([["a"], ["b"]], [[["a"]]])
    with pytest.raises(ValueError, match=r"2 hypotheses but 1 reference"):
        sacrebleu_bleu(["a", "b"], ["a"])
    with pytest.raises(ValueError, match=r"1 hypotheses but 2 reference"):
        sacrebleu_chrf(["a"], ["a", "b"])


def test_hypothesis_given_as_a_string():
    with pytest.raises(TypeError, match=r"hypothesis 1 is a str.*list of tokens, e\.g\. text\.split\(\)"):
        corpus_bleu([["a"], "a b"], [[["a"]], [["a", "b"]]])
    with pytest.raises(TypeError, match=r"hypothesis is a str.*text\.split\(\)"):
        modified_precision("a b", [["a", "b"]], 1)
    with pytest.raises(TypeError, match=r"text\.split\(\)"):
        ngram_counts("a b", 1)


def test_reference_given_as_a_string():
    with pytest.raises(TypeError, match=r"reference 0 of sentence 0 is a str.*text\.split\(\)"):
        corpus_bleu([["a", "b"]], [["a b"]])
    with pytest.raises(TypeError, match=r"references of sentence 0 .* a str"):
        corpus_bleu([["a", "b"]], ["a b"])


def test_whole_corpus_given_as_a_string():
    with pytest.raises(TypeError, match=r"hypotheses .* a str"):
        corpus_bleu("a b", [[["a", "b"]]])


def test_sentence_with_zero_references():
    with pytest.raises(ValueError, match=r"sentence 1 has no references"):
        corpus_bleu([["a"], ["b"]], [[["a"]], []])
    with pytest.raises(ValueError, match=r"no references"):
        modified_precision(["a"], [], 1)


def test_bad_orders():
    with pytest.raises(ValueError, match=r"max_n must be >= 1, got 0"):
        corpus_bleu([["a"]], [[["a"]]], max_n=0)
    with pytest.raises(ValueError, match=r"n must be >= 1, got 0"):
        ngram_counts(["a"], 0)
    with pytest.raises(ValueError, match=r"n must be >= 1, got -1"):
        modified_precision(["a"], [["a"]], -1)


def test_empty_corpus_and_empty_reference_list():
    with pytest.raises(ValueError, match=r"at least one hypothesis"):
        corpus_bleu([], [])
    with pytest.raises(ValueError, match=r"at least one reference length"):
        closest_ref_length(3, [])


def test_wrappers_want_strings_not_token_lists():
    with pytest.raises(TypeError, match=r"hypotheses must be a list of strings, got a str"):
        sacrebleu_bleu("a b", ["a b"])
    with pytest.raises(TypeError, match=r"hypothesis 0 is a list.*' '\.join\(tokens\)"):
        sacrebleu_bleu([["a", "b"]], ["a b"])
    with pytest.raises(TypeError, match=r"reference 0 is a list"):
        sacrebleu_chrf(["a b"], [["a", "b"]])


def test_sacrebleu_is_imported_lazily():
    assert "sacrebleu" not in bleu.__dict__


@pytest.mark.parametrize("name", ["sacrebleu_bleu", "sacrebleu_chrf"])
def test_sacrebleu_wrappers_refuse_an_empty_corpus_clearly(name):
    import course_lib.metrics.bleu as bleu_mod
    with pytest.raises(ValueError, match=r"need at least one hypothesis and its reference, got an empty corpus"):
        getattr(bleu_mod, name)([], [])
