"""course_lib.text.bpe: the "</w>" convention; learn_bpe equals a naive re-count-everything learner on seeded random
corpora (runs of equal letters, zero counts, ties), gives the hand-derived merges on Sennrich et al.'s
"low lower newest widest" corpus, counts runs non-overlapping, breaks ties by the smallest pair, stops when no pair
is left; bpe_encode equals HF tokenizers' models.BPE and, for learned merges, applying the merges in order;
learning equals HF's BpeTrainer up to its first tie or run of three equal symbols (where the conventions differ,
both shown); bad input raises errors naming what was expected and what came."""
from __future__ import annotations

import json
import random
import re
import time
from collections import Counter, defaultdict

import numpy as np
import pytest
from tokenizers import Tokenizer, models, pre_tokenizers, trainers

from course_lib.text.bpe import (END_OF_WORD, apply_merges_in_order, bpe_encode, bpe_symbols, learn_bpe, merge_pair,
                                 word_symbols)

SENNRICH = {"low": 5, "lower": 2, "newest": 6, "widest": 3}
SENNRICH_MERGES = [("e", "s"), ("es", "t</w>"), ("l", "o"), ("e", "w"), ("ew", "est</w>"), ("n", "ewest</w>"),
                   ("lo", "w</w>"), ("d", "est</w>"), ("i", "dest</w>"), ("w", "idest</w>"), ("e", "r</w>"),
                   ("lo", "w"), ("low", "er</w>")]


# ------------------------------------------------------------------------------ naive reference
def naive_counts(words: dict[tuple[str, ...], int], overlapping: bool = False) -> Counter:
    """Weighted pair counts, re-counted from scratch: each adjacent pair counted as the number of merges
    naive_merge would make with it (so runs of (x, x) non-overlapping), or at every position if `overlapping`."""
    counts: Counter = Counter()
    for symbols, weight in words.items():
        for pair in set(zip(symbols, symbols[1:])):
            if overlapping:
                counts[pair] += weight * sum(p == pair for p in zip(symbols, symbols[1:]))
            else:
                counts[pair] += weight * (len(symbols) - len(naive_merge(symbols, pair)))
    return +counts


def naive_merge(symbols: tuple[str, ...], pair) -> tuple[str, ...]:
    out, i = [], 0
    while i < len(symbols):
        if symbols[i: i + 2] == pair:
            out.append(pair[0] + pair[1])
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return tuple(out)


def naive_learn(word_counts: dict[str, int], num_merges: int, stop_when_ambiguous: bool = False) -> tuple[list, int]:
    """(merges, the number of steps before the first step where HF's conventions could pick another pair: a tie
    for the highest count, or another best pair (or a tie) when runs are counted overlapping)."""
    words: dict[tuple[str, ...], int] = defaultdict(int)
    for w, c in word_counts.items():
        if c > 0:
            words[tuple(w[:-1]) + (w[-1] + "</w>",)] += c
    merges, unambiguous = [], None
    while len(merges) < num_merges:
        counts = naive_counts(words)
        if not counts:
            break
        best = max(counts.values())
        pair = min(p for p, c in counts.items() if c == best)
        if unambiguous is None:
            overlapping = naive_counts(words, overlapping=True)
            if (sum(c == best for c in counts.values()) > 1
                    or [p for p, c in overlapping.items() if c == max(overlapping.values())] != [pair]):
                unambiguous = len(merges)
                if stop_when_ambiguous:
                    break
        merges.append(pair)
        merged: dict[tuple[str, ...], int] = defaultdict(int)
        for symbols, weight in words.items():
            merged[naive_merge(symbols, pair)] += weight
        words = merged
    return merges, len(merges) if unambiguous is None else unambiguous


def random_corpus(rng: random.Random) -> dict[str, int]:
    """1-8 words of 1-8 letters over a 1-4 letter alphabet (so runs like "aaaa" occur), counts 0-6."""
    alphabet = "abcd"[: rng.randint(1, 4)]
    return {"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8))): rng.randint(0, 6)
            for _ in range(rng.randint(1, 8))}


# ------------------------------------------------------------------------------ HF tokenizers helpers
def hf_train(word_counts: dict[str, int], num_merges: int) -> list[tuple[str, str]]:
    initial = {s for w, c in word_counts.items() if c > 0 for s in set(w) | {w[-1] + "</w>"}}
    tok = Tokenizer(models.BPE(end_of_word_suffix="</w>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    trainer = trainers.BpeTrainer(vocab_size=len(initial) + num_merges, show_progress=False, special_tokens=[],
                                  end_of_word_suffix="</w>")
    tok.train_from_iterator([w for w, c in word_counts.items() for _ in range(c)], trainer=trainer)
    return [tuple(m) for m in json.loads(tok.to_str())["model"]["merges"]]


def hf_encoder(merges, words):
    vocab = sorted({s for w in words for s in word_symbols(w) + list(w)}
                   | {s for a, b in merges for s in (a, b, a + b)})
    bpe = models.BPE({s: i for i, s in enumerate(vocab)}, list(merges), end_of_word_suffix="</w>")
    tok = Tokenizer(bpe)
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return lambda word: tok.encode(word).tokens


# ------------------------------------------------------------------------------ word_symbols, merge_pair
def test_a_word_is_its_characters_with_the_end_marker_on_the_last():
    assert END_OF_WORD == "</w>"
    assert word_symbols("low") == ["l", "o", "w</w>"]
    assert word_symbols("a") == ["a</w>"]


def test_merge_pair_merges_left_to_right_without_overlap():
    assert merge_pair(["a", "a", "a", "a</w>"], ("a", "a")) == ["aa", "a", "a</w>"]
    assert merge_pair(["a", "a", "a", "a"], ("a", "a")) == ["aa", "aa"]
    assert merge_pair(["a", "b"], ("b", "a")) == ["a", "b"]


# ------------------------------------------------------------------------------ learn_bpe
def test_learn_bpe_gives_the_hand_derived_merges_on_sennrichs_corpus():
    assert learn_bpe(SENNRICH, 100) == SENNRICH_MERGES


def test_learn_bpe_returns_the_first_num_merges_merges():
    assert learn_bpe(SENNRICH, 3) == SENNRICH_MERGES[:3]


def test_learn_bpe_with_zero_merges_returns_none():
    assert learn_bpe(SENNRICH, 0) == []


def test_learn_bpe_merges_a_pair_seen_once():
    assert learn_bpe({"ab": 1}, 1) == [("a", "b</w>")]


def test_learn_bpe_stops_early_when_no_pair_is_left():
    assert learn_bpe({"ab": 1, "cd": 1}, 10) == [("a", "b</w>"), ("c", "d</w>")]
    assert learn_bpe({"a": 3, "b": 1}, 10) == []


def test_learn_bpe_counts_a_run_of_equal_symbols_as_the_merge_applies_it():
    # a a a a a</w> holds (a, a) twice (positions 0-1 and 2-3): a 2-2 tie with ("b", "c</w>"), ("a", "a") smaller
    assert learn_bpe({"aaaaa": 1, "bc": 2}, 1) == [("a", "a")]
    # a a a a</w> holds (a, a) once (0-1; 1-2 overlaps it; 2-3 is (a, a</w>)): 1 < 2
    assert learn_bpe({"aaaa": 1, "bc": 2}, 1) == [("b", "c</w>")]


def test_learn_bpe_breaks_ties_by_the_smallest_pair():
    assert learn_bpe({"ba": 1, "ab": 1}, 1) == [("a", "b</w>")]
    assert learn_bpe({"zy": 1, "Zy": 1}, 1) == [("Z", "y</w>")]


def test_learn_bpe_accepts_numpy_integer_counts_and_num_merges():
    counts = dict(zip(SENNRICH, np.array(list(SENNRICH.values()))))
    assert learn_bpe(counts, np.int64(5)) == SENNRICH_MERGES[:5]


def test_learn_bpe_ignores_words_of_count_zero():
    assert learn_bpe({"ab": 0, "cd": 1}, 5) == [("c", "d</w>")]


def test_learn_bpe_equals_a_naive_learner_on_random_corpora():
    for seed in range(300):
        rng = random.Random(seed)
        corpus = random_corpus(rng)
        num_merges = rng.randint(0, 15)
        assert learn_bpe(corpus, num_merges) == naive_learn(corpus, num_merges)[0], (seed, corpus)


def test_random_corpora_hold_runs_of_three_equal_letters_zero_counts_and_ties():
    seen = Counter()
    for seed in range(300):
        rng = random.Random(seed)
        corpus = random_corpus(rng)
        seen["run"] += any(re.search(r"(.)\1\1", w) is not None for w, c in corpus.items() if c > 0)
        seen["zero count"] += 0 in corpus.values()
        seen["tie or run decides a step"] += 0 < naive_learn(corpus, 15)[1] < len(naive_learn(corpus, 15)[0])
    assert all(seen[k] >= 30 for k in ("run", "zero count", "tie or run decides a step")), seen


def test_learn_bpe_takes_about_a_second_for_two_thousand_merges_on_three_thousand_word_types():
    rng = random.Random(0)
    syllables = ["ka", "to", "ri", "men", "sa", "lo", "pe", "dun", "ith", "or", "es", "ng"]
    corpus = Counter("".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) for _ in range(20000))
    start = time.perf_counter()
    merges = learn_bpe(dict(corpus), 2000)
    elapsed = time.perf_counter() - start
    assert len(merges) > 100
    assert elapsed < 10, f"{elapsed:.1f} s"


# ------------------------------------------------------------------------------ bpe_encode
def test_bpe_encode_without_merges_gives_the_word_symbols():
    assert bpe_encode("low", []) == ["l", "o", "w</w>"]


def test_bpe_encode_splits_an_unseen_word_into_learned_pieces():
    assert bpe_encode("lowest", SENNRICH_MERGES) == ["low", "est</w>"]
    assert bpe_encode("newer", SENNRICH_MERGES) == ["n", "ew", "er</w>"]


def test_bpe_encode_turns_every_training_word_into_one_symbol_once_all_merges_are_made():
    assert all(bpe_encode(w, SENNRICH_MERGES) == [w + "</w>"] for w in SENNRICH)


def test_bpe_encode_leaves_unknown_characters_as_single_symbols():
    assert bpe_encode("löw", SENNRICH_MERGES) == ["l", "ö", "w</w>"]


def test_bpe_encode_merges_by_rank_where_order_of_application_would_differ():
    merges = [("ab", "c</w>"), ("a", "b")]
    assert bpe_encode("abc", merges) == ["abc</w>"]
    assert apply_merges_in_order("abc", merges) == ["ab", "c</w>"]


def test_bpe_encode_equals_applying_learned_merges_in_order():
    rng = random.Random(0)
    for _ in range(500):
        merges = learn_bpe(random_corpus(rng), rng.randint(0, 15))
        for _ in range(5):
            word = "".join(rng.choice("abcde") for _ in range(rng.randint(1, 10)))
            assert bpe_encode(word, merges) == apply_merges_in_order(word, merges), (merges, word)


def test_bpe_encode_sees_a_merge_list_changed_in_place_between_calls():
    merges = [("l", "o")]
    assert bpe_encode("low", merges) == ["lo", "w</w>"]
    merges[0] = ("o", "w</w>")
    assert bpe_encode("low", merges) == ["l", "ow</w>"]
    merges.insert(0, ("l", "o"))
    assert bpe_encode("low", merges) == ["lo", "w</w>"]
    inner = [["l", "o"]]
    assert bpe_encode("low", inner) == ["lo", "w</w>"]
    inner[0][1] = "x"
    assert bpe_encode("low", inner) == ["l", "o", "w</w>"]


def test_bpe_encode_is_fast_word_by_word_with_thousands_of_merges():
    rng = random.Random(0)
    corpus = Counter("".join(rng.choice("abcdefghij") for _ in range(rng.randint(2, 9))) for _ in range(5000))
    merges = learn_bpe(dict(corpus), 2000)
    words = list(corpus)[:2000]
    start = time.perf_counter()
    encoded = [bpe_encode(w, merges) for w in words]
    elapsed = time.perf_counter() - start
    assert encoded[:100] == [apply_merges_in_order(w, merges) for w in words[:100]]
    assert elapsed < 2, f"{elapsed:.2f} s for 2,000 words (about 0.05 s expected)"


def test_a_pair_listed_twice_has_the_rank_of_its_last_listing_as_in_hf_tokenizers():
    merges = [("b", "c</w>"), ("a", "b"), ("b", "c</w>")]
    assert bpe_encode("abc", merges) == ["ab", "c</w>"] == hf_encoder(merges, ["abc"])("abc")


def test_bpe_encode_accepts_merges_as_lists_of_two_strings():
    assert bpe_encode("low", [["l", "o"]]) == ["lo", "w</w>"]


# ------------------------------------------------------------------------------ parity with HF tokenizers
def test_bpe_encode_equals_hf_tokenizers_bpe_model():
    for seed in range(200):
        rng = random.Random(seed)
        merges = learn_bpe(random_corpus(rng), rng.randint(0, 15))
        words = ["".join(rng.choice("abcd") for _ in range(rng.randint(1, 10))) for _ in range(10)]
        encode = hf_encoder(merges, words)
        for word in words:
            assert bpe_encode(word, merges) == encode(word), (seed, merges, word)


def test_bpe_encode_equals_hf_tokenizers_on_sennrichs_merges():
    words = ["lowest", "newer", "wider", "low", "l", "slow", "west"]
    encode = hf_encoder(SENNRICH_MERGES, words)
    assert [bpe_encode(w, SENNRICH_MERGES) for w in words] == [encode(w) for w in words]


def test_learn_bpe_equals_hf_bpe_trainer_up_to_the_first_tie_or_run():
    rng = random.Random(0)
    compared = []
    for _ in range(400):
        alphabet = "abcdefgh"[: rng.randint(3, 8)]
        corpus = {"".join(rng.choice(alphabet) for _ in range(rng.randint(2, 8))): rng.randint(1, 300)
                  for _ in range(rng.randint(3, 40))}
        merges, k = naive_learn(corpus, 50, stop_when_ambiguous=True)
        if k >= 2:
            assert hf_train(corpus, k)[:k] == merges[:k] == learn_bpe(corpus, k), corpus
            compared.append(k)
    assert len(compared) >= 200 and sum(k >= 10 for k in compared) >= 50, Counter(compared)


def test_hf_bpe_trainer_counts_a_run_overlapping_where_learn_bpe_does_not():
    # a a a a</w>: (a, a) once non-overlapping, twice overlapping; HF then breaks its 2-2 tie with ("b", "c</w>")
    # by ids (a before b)
    corpus = {"aaaa": 1, "bc": 2}
    assert learn_bpe(corpus, 1) == [("b", "c</w>")]
    assert hf_train(corpus, 1)[:1] == [("a", "a")]


def test_hf_bpe_trainer_breaks_ties_by_symbol_ids_where_learn_bpe_compares_strings():
    assert SENNRICH_MERGES[4] == ("ew", "est</w>")
    hf = hf_train(SENNRICH, len(SENNRICH_MERGES))
    assert hf[:4] == SENNRICH_MERGES[:4] and hf[4] == ("n", "ew")


# ------------------------------------------------------------------------------ bpe_symbols
def test_bpe_symbols_are_the_training_characters_and_every_merged_symbol():
    symbols = bpe_symbols({"ab": 2, "b": 1, "zz": 0}, [("a", "b</w>")])
    assert symbols == {"a", "b</w>", "ab</w>"}


# ------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("call, error, message", [
    (lambda: learn_bpe(SENNRICH, -1), ValueError, "num_merges must be >= 0, got -1"),
    (lambda: learn_bpe(SENNRICH, 2.0), TypeError, "num_merges must be an int, got float 2.0"),
    (lambda: learn_bpe(SENNRICH, True), TypeError, "num_merges must be an int, got bool True"),
    (lambda: learn_bpe(["low", "low"], 2), TypeError,
     "word_counts must be a dict of word -> count, got list; count them first"),
    (lambda: learn_bpe({"": 3}, 2), ValueError, "every word (key of word_counts) must be a non-empty str, got ''"),
    (lambda: learn_bpe({5: 3}, 2), TypeError, "every word (key of word_counts) must be a str, got int 5"),
    (lambda: learn_bpe({"low": 2.5}, 2), TypeError, "word counts must be ints, got float 2.5 for 'low'"),
    (lambda: learn_bpe({"low": -1}, 2), ValueError, "word counts must be >= 0, got -1 for 'low'"),
    (lambda: bpe_encode("", []), ValueError, "word must be a non-empty str, got ''"),
    (lambda: bpe_encode(["l", "o"], []), TypeError, "word must be a str, got list ['l', 'o']"),
    (lambda: bpe_encode("low", "lo"), TypeError, "merges must be a list of (left, right) pairs of str, got str"),
    (lambda: bpe_encode("low", [("l", "o", "w")]), TypeError, "merge 0 is tuple ('l', 'o', 'w')"),
    (lambda: bpe_encode("low", [("l", 1)]), TypeError, "merge 0 is tuple ('l', 1)"),
    (lambda: bpe_encode("low", [("l", "o"), ("", "w")]), TypeError, "merge 1 is tuple ('', 'w')"),
    (lambda: word_symbols(""), ValueError, "word must be a non-empty str, got ''"),
    (lambda: word_symbols("a</w>b"), ValueError, "word must not contain the end-of-word marker '</w>'"),
    (lambda: learn_bpe({"a</w>b": 2}, 3), ValueError,
     "every word (key of word_counts) must not contain the end-of-word marker '</w>'"),
    (lambda: bpe_encode("low</w>", []), ValueError, "word must not contain the end-of-word marker '</w>'"),
    (lambda: merge_pair(["a", "b"], ("a",)), TypeError,
     "pair must be a (left, right) pair of non-empty str, got tuple ('a',)"),
    (lambda: merge_pair(["a", "b"], "ab"), TypeError,
     "pair must be a (left, right) pair of non-empty str, got str 'ab'"),
    (lambda: merge_pair("ab", ("a", "b")), TypeError, "symbols must be a list of str symbols, got str 'ab'"),
    (lambda: merge_pair(["a", 1], ("a", "b")), TypeError, "symbols must hold str, got int 1 at position 1"),
])
def test_bad_input_raises_naming_what_was_expected_and_what_came(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()
