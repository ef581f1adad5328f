"""course_lib.data.grammar: the typo table holds codespell's single-fix entries inverted; the pairs have the asked
sizes, are deterministic per seed (each split its own stream), come from disjoint review sets with no target in
two splits, keep 4-25 real tokens; each injected error is what its kind says (a codespell typo of the word, a/an
swapped or an article dropped, a verb's agreement swapped), kinds are empty exactly for clean pairs, error_rate
sets the share of corrupted sentences; a missing codespell and bad arguments raise errors naming what was expected
and what came."""
from __future__ import annotations

import importlib.util
import os
import random
import re
import subprocess
import sys

import pytest

from course_lib.data import grammar
from course_lib.data.grammar import (AGREEMENT_SWAPS, ARTICLES, ERROR_KINDS, CorrectionPair, codespell_dictionary_path,
                                     inject_errors, load_grammar_pairs, review_sentences, typo_table)
from course_lib.data.reviews import load_reviews


@pytest.fixture(scope="module")
def splits():
    return load_grammar_pairs(n_train=1500, n_validation=300, n_test=300)


def all_pairs(splits) -> list[CorrectionPair]:
    return splits.train + splits.validation + splits.test


def differing_positions(source, target) -> list[int]:
    return [i for i, (s, t) in enumerate(zip(source, target)) if s != t]


# ------------------------------------------------------------------------------ the typo table
def test_typo_table_inverts_codespells_single_fix_entries():
    table = typo_table()
    assert "teh" in table["the"] and "recieve" in table["receive"] and "beleive" in table["believe"]
    assert len(table) > 10_000


def test_typo_table_leaves_out_entries_with_several_fixes():
    # dictionary.txt: "doesnt->doesn't, does not," and "realy->really, relay,"
    assert "doesnt" not in typo_table().get("doesn't", ())
    assert "realy" not in typo_table().get("really", ())


def test_typo_table_has_single_lower_case_tokens_and_no_typo_equal_to_its_fix():
    token = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
    for fix, typos in typo_table().items():
        assert token.fullmatch(fix) and typos and all(token.fullmatch(t) and t != fix for t in typos), fix


def test_codespell_dictionary_is_read_by_path_without_importing_codespell_lib():
    assert codespell_dictionary_path().endswith(os.path.join("codespell_lib", "data", "dictionary.txt"))
    code = ("import sys; from course_lib.data.grammar import typo_table; typo_table(); "
            "print('codespell_lib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------------------------ the pairs
def test_splits_have_the_asked_sizes(splits):
    assert [len(part) for part in splits] == [1500, 300, 300]


def test_the_same_seed_gives_the_same_pairs(splits):
    assert load_grammar_pairs(n_train=1500, n_validation=300, n_test=300) == splits


def test_another_seed_gives_other_pairs(splits):
    assert load_grammar_pairs(n_train=1500, n_validation=300, n_test=300, seed=1).train != splits.train


def test_the_training_pairs_do_not_depend_on_the_other_split_sizes(splits):
    assert load_grammar_pairs(n_train=1500, n_validation=10, n_test=20).train == splits.train


def test_no_target_sentence_is_in_two_splits():
    parts = load_grammar_pairs(n_train=13_000, n_validation=3_000, n_test=4_000)
    targets = [{tuple(p.target) for p in part} for part in parts]
    assert not (targets[0] & targets[1] or targets[0] & targets[2] or targets[1] & targets[2])


def test_test_targets_come_from_the_test_reviews_only(splits):
    test_sentences = {tuple(s) for text, _ in load_reviews().test for s in review_sentences(text)}
    assert all(tuple(p.target) in test_sentences for p in splits.test)


def test_targets_are_real_review_sentences_of_4_to_25_tokens(splits):
    train_sentences = {tuple(s) for text, _ in load_reviews().train for s in review_sentences(text)}
    assert all(tuple(p.target) in train_sentences for p in splits.train)
    assert all(4 <= len(p.target) <= 25 for p in all_pairs(splits))


def test_kinds_are_empty_exactly_when_the_source_equals_the_target(splits):
    for p in all_pairs(splits):
        assert (p.kinds == []) == (p.source == p.target), p
        assert set(p.kinds) <= set(ERROR_KINDS) and len(p.kinds) <= 3


def test_a_typo_is_a_codespell_typo_of_the_word_it_replaces(splits):
    only_typos = [p for p in all_pairs(splits) if p.kinds and set(p.kinds) == {"typo"}]
    assert len(only_typos) > 100
    for p in only_typos:
        assert len(p.source) == len(p.target)
        changed = differing_positions(p.source, p.target)
        assert len(changed) == len(p.kinds)
        assert all(p.source[i] in typo_table()[p.target[i]] for i in changed)


def test_an_article_error_swaps_a_and_an_or_drops_an_article(splits):
    one_article = [p for p in all_pairs(splits) if p.kinds == ["article"]]
    assert len(one_article) > 10
    kinds_seen = set()
    for p in one_article:
        if len(p.source) == len(p.target):
            (i,) = differing_positions(p.source, p.target)
            assert {p.source[i], p.target[i]} == {"a", "an"}
            kinds_seen.add("swap")
        else:
            assert len(p.source) == len(p.target) - 1
            dropped = [i for i in range(len(p.target)) if p.target[:i] + p.target[i + 1:] == p.source]
            assert dropped and any(p.target[i] in ARTICLES for i in dropped)
            kinds_seen.add("drop")
    assert kinds_seen == {"swap", "drop"}


def test_an_agreement_error_swaps_the_verb(splits):
    one = [p for p in all_pairs(splits) if p.kinds == ["agreement"]]
    assert len(one) > 10
    for p in one:
        (i,) = differing_positions(p.source, p.target)
        assert AGREEMENT_SWAPS[p.target[i]] == p.source[i] and len(p.source) == len(p.target)


def test_most_errors_are_real_typos_and_every_kind_occurs(splits):
    kinds = [k for p in splits.train for k in p.kinds]
    share = {k: kinds.count(k) / len(kinds) for k in ERROR_KINDS}
    assert share["typo"] > 0.7 and share["article"] > 0.03 and share["agreement"] > 0.03, share


def test_error_rate_is_the_share_of_corrupted_sentences():
    for rate in (0.0, 0.5, 1.0):
        train = load_grammar_pairs(n_train=2000, n_validation=0, n_test=0, error_rate=rate).train
        corrupted = sum(bool(p.kinds) for p in train) / len(train)
        assert abs(corrupted - rate) <= 0.04 if rate > 0 else corrupted == 0, (rate, corrupted)


def test_a_corrupted_sentence_gets_one_to_three_errors_mostly_one(splits):
    counts = [len(p.kinds) for p in splits.train if p.kinds]
    assert set(counts) == {1, 2, 3} and counts.count(1) > counts.count(2) > counts.count(3)


def test_zero_sizes_give_empty_splits():
    assert load_grammar_pairs(n_train=0, n_validation=0, n_test=5)[:2] == ([], [])


# ------------------------------------------------------------------------------ inject_errors
def test_inject_errors_makes_as_many_errors_as_asked_when_there_are_sites_enough():
    rng = random.Random(0)
    tokens = "the cat is on a mat and the dog has an apple".split()
    for n in range(6):
        noisy, kinds = inject_errors(tokens, rng, n)
        assert len(kinds) == n
        assert (noisy == tokens) == (n == 0)


def test_inject_errors_without_sites_changes_nothing():
    assert inject_errors(["zzqx", "qqzv"], random.Random(0), 3) == (["zzqx", "qqzv"], [])


# ------------------------------------------------------------------------------ errors
def test_a_missing_codespell_names_the_package_and_its_pin(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "codespell_lib" else real(name, *a))
    with pytest.raises(ModuleNotFoundError, match=r"pip install codespell==2\.4\.3"):
        grammar.codespell_dictionary_path()


@pytest.mark.parametrize("kwargs, error, message", [
    ({"n_train": -1}, ValueError, "n_train must be >= 0, got -1"),
    ({"n_test": 2.0}, TypeError, "n_test must be an int, got float 2.0"),
    ({"n_validation": True}, TypeError, "n_validation must be an int, got bool True"),
    ({"seed": -2}, ValueError, "seed must be >= 0, got -2"),
    ({"error_rate": 1.5}, ValueError, "error_rate must be a number in [0, 1], got 1.5"),
    ({"error_rate": "0.5"}, ValueError, "error_rate must be a number in [0, 1], got '0.5'"),
    ({"n_test": 100_000}, ValueError, "n_test = 100000 is more than the"),
])
def test_bad_arguments_raise_naming_what_was_expected_and_what_came(kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        load_grammar_pairs(**kwargs)


@pytest.mark.parametrize("call, error, message", [
    (lambda: inject_errors("the cat", random.Random(0), 1), TypeError, "tokens must be a list of str, got str"),
    (lambda: inject_errors(["the"], random.Random(0), -1), ValueError, "n_errors must be an int >= 0, got -1"),
])
def test_inject_errors_refuses_bad_input(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()
