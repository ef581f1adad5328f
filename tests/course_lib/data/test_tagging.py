"""course_lib.data.tagging: the generated tagging set has the promised split sizes and shapes, no overlap,
determinism, widely varying lengths, every entity type, valid BIO tags (checked by seqeval), a word vocabulary
and encoding, and names a missing package."""
from __future__ import annotations

import builtins

import pytest
import torch

from course_lib.data.tagging import ENTITY_TYPES, TAGS, encode_examples, load_tagging, word_vocab
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


def test_tagging_names_the_missing_package(monkeypatch) -> None:
    real_import = builtins.__import__

    def no_faker(name, *args, **kwargs):
        if name == "faker" or name.startswith("faker."):
            raise ModuleNotFoundError("No module named 'faker'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_faker)
    with pytest.raises(ModuleNotFoundError, match=r"needs the 'Faker' package: pip install Faker=="):
        load_tagging(n_train=1, n_validation=0, n_test=0)


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
