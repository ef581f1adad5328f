"""course_lib.batching's collate functions, bucketed sampler and padding share, and the generated tagging set
course_lib.data.tagging."""
from __future__ import annotations

import builtins
import random

import pytest
import torch
from torch.nn.utils.rnn import pad_sequence

from course_lib.batching.buckets import BucketBatchSampler, padding_fraction
from course_lib.batching.padding import collate_padded, collate_tagged
from course_lib.data.tagging import ENTITY_TYPES, TAGS, encode_examples, load_tagging, word_vocab
from course_lib.text.vocab import SPECIALS


@pytest.fixture(scope="module")
def small() -> dict:
    return load_tagging(n_train=300, n_validation=60, n_test=60, seed=0)


# ------------------------------------------------------------------------------ collate
@pytest.mark.parametrize("lengths", [[3, 1, 2], [1], [4, 4], [2, 5, 5, 1]])
def test_collate_padded_matches_torch_and_the_mask(lengths) -> None:
    g = torch.Generator().manual_seed(0)
    seqs = [torch.randint(1, 9, (n,), generator=g) for n in lengths]
    padded, lens, mask = collate_padded(seqs, pad_value=-1)
    assert torch.equal(padded, pad_sequence(seqs, batch_first=True, padding_value=-1))
    assert lens.dtype == torch.long and lens.tolist() == lengths
    assert mask.dtype == torch.bool and mask.shape == padded.shape
    assert torch.equal(mask, padded != -1)


def test_collate_tagged_pads_ids_and_tags_separately() -> None:
    pairs = [(torch.tensor([5, 6, 7]), torch.tensor([1, 2, 0])), (torch.tensor([8]), torch.tensor([3]))]
    ids, tags, lens, mask = collate_tagged(pairs, pad_id=9, tag_pad_id=4)
    assert ids.tolist() == [[5, 6, 7], [8, 9, 9]]
    assert tags.tolist() == [[1, 2, 0], [3, 4, 4]]
    assert lens.tolist() == [3, 1]
    assert mask.tolist() == [[True, True, True], [True, False, False]]


def test_collate_tagged_errors() -> None:
    with pytest.raises(ValueError, match="at least one"):
        collate_tagged([])
    with pytest.raises(ValueError, match=r"pair 0: ids \(3,\) and tags \(2,\)"):
        collate_tagged([(torch.tensor([1, 2, 3]), torch.tensor([1, 2]))])


# ------------------------------------------------------------------------------ bucketed batches
@pytest.mark.parametrize("bucketed", [True, False])
@pytest.mark.parametrize("drop_last", [True, False])
def test_sampler_covers_every_index_once(bucketed, drop_last) -> None:
    lengths = [random.Random(i).randint(1, 60) for i in range(203)]
    sampler = BucketBatchSampler(lengths, 16, pool_batches=4, bucketed=bucketed, drop_last=drop_last, seed=3)
    batches = list(sampler)
    assert len(batches) == len(sampler) == (12 if drop_last else 13)
    flat = [i for b in batches for i in b]
    assert len(flat) == len(set(flat))
    assert set(flat) == set(range(203)) if not drop_last else set(flat) <= set(range(203))
    assert all(len(b) == 16 for b in batches) if drop_last else all(1 <= len(b) <= 16 for b in batches)


def test_sampler_is_deterministic_and_changes_between_epochs() -> None:
    lengths = list(range(1, 101))
    a, b = BucketBatchSampler(lengths, 10, seed=1), BucketBatchSampler(lengths, 10, seed=1)
    first_a, first_b = list(a), list(b)
    assert first_a == first_b == a.batches(0)
    assert list(a) != first_a                           # epoch 1 differs from epoch 0
    assert list(BucketBatchSampler(lengths, 10, seed=2)) != first_a


def test_bucketing_cuts_padding() -> None:
    lengths = [random.Random(i).randint(1, 80) for i in range(1000)]
    bucketed = BucketBatchSampler(lengths, 32, seed=0).batches(0)
    plain = BucketBatchSampler(lengths, 32, bucketed=False, seed=0).batches(0)
    as_lengths = lambda batches: [[lengths[i] for i in b] for b in batches]  # noqa: E731
    assert padding_fraction(as_lengths(bucketed)) < 0.1 < 0.4 < padding_fraction(as_lengths(plain))
    # inside a pool the batches are sorted, so each batch spans a narrow range of lengths
    spans = [max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in bucketed]
    assert sorted(spans)[len(spans) // 2] <= 5


def test_sampler_without_shuffle_keeps_the_order() -> None:
    sampler = BucketBatchSampler([5, 1, 3, 2], 2, bucketed=False, shuffle=False)
    assert list(sampler) == [[0, 1], [2, 3]]
    assert BucketBatchSampler([5, 1, 3, 2], 2, shuffle=False).batches(0) == [[1, 3], [2, 0]]


def test_sampler_works_with_a_dataloader() -> None:
    data = [torch.arange(n) for n in [3, 1, 4, 1, 5, 9, 2, 6]]
    loader = torch.utils.data.DataLoader(data, batch_sampler=BucketBatchSampler([len(d) for d in data], 3),
                                         collate_fn=collate_padded)
    sizes = [padded.shape[0] for padded, _, _ in loader]
    assert sorted(sizes) == [2, 3, 3]


def test_sampler_errors() -> None:
    with pytest.raises(ValueError, match="batch_size and pool_batches must be ints >= 1"):
        BucketBatchSampler([1, 2], 0)


def test_padding_fraction_is_the_share_of_padded_positions() -> None:
    assert padding_fraction([[2, 2]]) == 0.0
    assert padding_fraction([[4, 2], [3]]) == pytest.approx(1 - 9 / 11)
    assert padding_fraction(iter([[4, 2], [3]])) == pytest.approx(1 - 9 / 11)   # any iterable of batches


def test_padding_fraction_of_no_batches_is_an_error() -> None:
    with pytest.raises(ValueError, match="no positions"):
        padding_fraction([])


def test_drop_last_drops_a_different_remainder_each_epoch() -> None:
    lengths = list(range(1, 101))
    sampler = BucketBatchSampler(lengths, 8, drop_last=True, seed=0)
    seen = set()
    for epoch in range(200):
        batches = sampler.batches(epoch)
        assert len(batches) == len(sampler) == 12 and all(len(b) == 8 for b in batches)
        seen |= {i for b in batches for i in b}
    assert seen == set(range(100))          # the longest examples are not always the ones dropped


def test_drop_last_without_shuffle_drops_the_final_partial_batch() -> None:
    assert BucketBatchSampler([5, 1, 3], 2, shuffle=False, drop_last=True).batches(0) == [[1, 2]]


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
