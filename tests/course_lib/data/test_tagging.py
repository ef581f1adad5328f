"""course_lib.data.tagging: the generated tagging set has the promised split sizes and shapes, no overlap,
determinism, widely varying lengths, every entity type, valid BIO tags (checked by seqeval), a word vocabulary
and encoding, and names a missing package. Day 09's harder set (load_hard_tagging) is deterministic per seed, its
splits have the asked sizes and share no sentence, every tag sequence is valid IOB2, the ambiguity is really there
(many words occur as PER, LOC and ORG alike, and the type of an entity is not given by its words), entities of
several words and adjacent entities of different types occur; invalid_iob2 counts exactly the I-X that follow
neither B-X nor I-X."""
from __future__ import annotations

import builtins
from collections import Counter, defaultdict

import pytest
import torch

from course_lib.data.tagging import (AMBIGUOUS_WORDS, ENTITY_TYPES, HARD_TAGS, TAGS, encode_examples, invalid_iob2,
                                     load_hard_tagging, load_tagging, word_vocab)
from course_lib.text.vocab import SPECIALS


@pytest.fixture(scope="module")
def small() -> dict:
    return load_tagging(n_train=300, n_validation=60, n_test=60, seed=0)


# ------------------------------------------------------------------------------ the tagging set
def _is_bio(tags: list[str]) -> bool:
    prev = "O"
    for t in tags:
        if t.startswith("I-") and prev[2:] != t[2:]:
            return False
        prev = t
    return True


def test_tagging_splits_sizes_and_shapes(small) -> None:
    assert {k: len(v) for k, v in small.items()} == {"train": 300, "validation": 60, "test": 60}
    for examples in small:
        for words, tags in examples:
            assert len(words) == len(tags) >= 3
            assert set(tags) <= set(TAGS)
            assert _is_bio(tags), (words, tags)
            assert all(w and " " not in w for w in words)
            assert words[-1] == "." and not words[0][0].islower()   # capitalised (or a number)


def test_tagging_splits_do_not_overlap(small) -> None:
    sets = {k: {tuple(w) for w, _ in v} for k, v in small.items()}
    assert all(len(sets[k]) == len(getattr(small, k)) for k in sets)      # no duplicates inside a split either
    assert not (sets["train"] & sets["validation"]) and not (sets["train"] & sets["test"]) and not (sets["validation"] & sets["test"])


def test_tagging_is_deterministic(small) -> None:
    assert load_tagging(n_train=300, n_validation=60, n_test=60, seed=0) == small
    assert load_tagging(n_train=300, n_validation=60, n_test=60, seed=1).train != small.train


def test_tagging_lengths_vary_widely_and_every_type_occurs() -> None:
    data = load_tagging(n_train=2000, n_validation=0, n_test=0, seed=0).train
    lengths = [len(w) for w, _ in data]
    assert min(lengths) <= 5 and max(lengths) >= 60
    types = {t[2:] for _, tags in data for t in tags if t != "O"}
    assert types == set(ENTITY_TYPES)


def test_tagging_bio_matches_seqeval(small) -> None:
    from seqeval.metrics.sequence_labeling import get_entities
    for words, tags in small.train[:100]:
        begins = sum(t.startswith("B-") for t in tags)
        assert len(get_entities(tags)) == begins


def test_tagging_errors() -> None:
    with pytest.raises(ValueError, match="n_validation must be a non-negative int"):
        load_tagging(n_validation=-1)


@pytest.mark.parametrize("loader", [load_tagging, load_hard_tagging], ids=lambda f: f.__name__)
def test_each_loader_names_the_missing_package(monkeypatch, loader) -> None:
    real_import = builtins.__import__

    def no_faker(name, *args, **kwargs):
        if name == "faker" or name.startswith("faker."):
            raise ModuleNotFoundError("No module named 'faker'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_faker)
    with pytest.raises(ModuleNotFoundError, match=rf"{loader.__name__} needs the 'Faker' package: pip install Faker=="):
        loader(n_train=1, n_validation=0, n_test=0)


def test_word_vocab_and_encoding(small) -> None:
    vocab = word_vocab(small.train, min_count=2)
    assert vocab.itos[:4] == list(SPECIALS)
    counts: dict[str, int] = {}
    for words, _ in small.train:
        for w in words:
            counts[w] = counts.get(w, 0) + 1
    assert set(vocab.itos[4:]) == {w for w, n in counts.items() if n >= 2}
    pairs = encode_examples(small.test, vocab)
    for (words, tags), (ids, tag_ids) in zip(small.test, pairs):
        assert ids.dtype == tag_ids.dtype == torch.long and ids.shape == tag_ids.shape == (len(words),)
        assert [TAGS[i] for i in tag_ids.tolist()] == tags
        assert all(vocab.itos[i] == w if w in vocab.stoi else i == vocab.unk_id for w, i in zip(words, ids.tolist()))
    with pytest.raises(ValueError, match="min_count must be >= 1"):
        word_vocab(small.train, min_count=0)
    with pytest.raises(ValueError, match="2 words but 1 tags"):
        encode_examples([(["a", "b"], ["O"])], vocab)


# ------------------------------------------------------------------------------ the harder set (Day 09)
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
