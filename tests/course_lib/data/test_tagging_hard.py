"""course_lib.data.tagging, Day 09's harder set (load_hard_tagging) and invalid_iob2: the set is deterministic
per seed, its splits have the asked sizes and share no sentence, every tag sequence is valid IOB2, the ambiguity
is really there (many words occur as PER, LOC and ORG alike, and the type of an entity is not given by its
words), entities of several words and adjacent entities of different types occur, and invalid_iob2 counts
exactly the I-X that follow neither B-X nor I-X."""
from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from course_lib.data.tagging import (AMBIGUOUS_WORDS, HARD_TAGS, encode_examples, invalid_iob2, load_hard_tagging,
                                     word_vocab)


@pytest.fixture(scope="module")
def hard():
    return load_hard_tagging(n_train=600, n_validation=100, n_test=100, seed=0)


def test_split_sizes_and_no_shared_sentence(hard):
    assert (len(hard.train), len(hard.validation), len(hard.test)) == (600, 100, 100)
    sets = [{tuple(w) for w, _ in part} for part in (hard.train, hard.validation, hard.test)]
    assert not (sets[0] & sets[1]) and not (sets[0] & sets[2]) and not (sets[1] & sets[2])


def test_same_seed_same_data_other_seed_other_data(hard):
    again = load_hard_tagging(n_train=600, n_validation=100, n_test=100, seed=0)
    assert again.train == hard.train and again.test == hard.test
    assert load_hard_tagging(n_train=50, n_validation=0, n_test=0, seed=1).train != hard.train[:50]


def test_every_sequence_is_valid_iob2_with_known_tags(hard):
    for words, tags in hard.train + hard.validation + hard.test:
        assert len(words) == len(tags) and set(tags) <= set(HARD_TAGS)
        assert invalid_iob2(tags) == 0


def test_ambiguous_words_take_every_type(hard):
    kinds = defaultdict(Counter)
    for words, tags in hard.train:
        for w, t in zip(words, tags):
            if t != "O":
                kinds[w][t[2:]] += 1
    all_three = [w for w in AMBIGUOUS_WORDS if all(kinds[w][k] >= 3 for k in ("PER", "LOC", "ORG"))]
    assert len(all_three) >= 20, all_three


def test_entity_words_alone_do_not_give_the_type(hard):
    # the same word sequence occurs as entities of two different types
    types = defaultdict(set)
    for words, tags in hard.train:
        k = 0
        while k < len(tags):
            if tags[k].startswith("B-"):
                j = k + 1
                while j < len(tags) and tags[j] == "I-" + tags[k][2:]:
                    j += 1
                types[tuple(words[k:j])].add(tags[k][2:])
                k = j
            else:
                k += 1
    assert sum(len(v) > 1 for v in types.values()) >= 15


def test_multi_word_and_adjacent_entities_occur(hard):
    multi = adjacent = 0
    for _, tags in hard.train:
        multi += sum(t.startswith("I-") for t in tags)
        adjacent += sum(b.startswith("B-") and a != "O" and a[2:] != b[2:] for a, b in zip(tags, tags[1:]))
    assert multi > 300 and adjacent > 20


def test_encodes_with_the_hard_tag_set(hard):
    vocab = word_vocab(hard.train)
    ids, tags = encode_examples(hard.train[:1], vocab, HARD_TAGS)[0]
    assert ids.shape == tags.shape and int(tags.max()) < len(HARD_TAGS)


@pytest.mark.parametrize("tags, want", [(["O", "B-PER", "I-PER"], 0), (["I-PER"], 1), (["B-LOC", "I-PER"], 1),
                                        (["O", "I-LOC", "I-LOC"], 1), (["B-ORG", "I-ORG", "O", "I-ORG"], 1),
                                        ([], 0)])
def test_invalid_iob2_counts_breaks(tags, want):
    assert invalid_iob2(tags) == want


@pytest.mark.parametrize("bad", [-1, 2.5, True])
def test_sizes_must_be_non_negative_ints(bad):
    with pytest.raises(ValueError, match="n_train must be a non-negative int"):
        load_hard_tagging(n_train=bad)


def test_names_the_missing_package(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_faker(name, *args, **kwargs):
        if name == "faker" or name.startswith("faker."):
            raise ModuleNotFoundError("No module named 'faker'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_faker)
    with pytest.raises(ModuleNotFoundError, match=r"load_hard_tagging needs the 'Faker' package: pip install Faker=="):
        load_hard_tagging(n_train=1, n_validation=0, n_test=0)


@pytest.mark.parametrize("bad, error, message", [("B-PER I-PER", TypeError, "a list of tag names, got str"),
                                                 (["O", "X-PER"], ValueError, "'O', 'B-X' or 'I-X'.*'X-PER'"),
                                                 ([1, 2], ValueError, "'O', 'B-X' or 'I-X'.*1")])
def test_invalid_iob2_refuses_what_is_not_a_list_of_iob2_tag_names(bad, error, message):
    with pytest.raises(error, match=message):
        invalid_iob2(bad)


@pytest.mark.parametrize("bad", ["a", 1.5, None])
def test_seed_must_be_an_int(bad):
    with pytest.raises(ValueError, match="seed must be an int"):
        load_hard_tagging(n_train=1, n_validation=1, n_test=1, seed=bad)
