"""course_lib.batching.buckets: the bucketed sampler covers every index once per epoch, is seeded and changes
between epochs, cuts padding, drops a different remainder each epoch, works in a DataLoader; padding_fraction
is the share of padded positions; bucket_batches covers every pair once with little padding; bad arguments are
named."""
from __future__ import annotations

import random
import datetime

import pytest
import torch

from course_lib.batching.buckets import BucketBatchSampler, padding_fraction
from course_lib.batching.padding import collate_padded
from course_lib.batching.buckets import bucket_batches
from course_lib.data.dates import build_vocabs, date_pairs, encode_pairs


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


PAD, BOS, EOS = 0, 2, 3  # Vocab order: <pad>, <unk>, <bos>, <eos>


# ---------------------------------------------------------------- data
@pytest.fixture(scope="module")
def dates():
    return date_pairs(first=datetime.date(2000, 1, 1), last=datetime.date(2003, 12, 31))


def test_bucket_batches_cover_everything_once_with_little_padding(dates):
    src_vocab, tgt_vocab = build_vocabs(dates.train)
    examples = encode_pairs(dates.train, src_vocab, tgt_vocab)
    g = torch.Generator().manual_seed(0)
    batches = list(bucket_batches(examples, 32, generator=g))
    seen = torch.cat([b.index for b in batches]).sort().values
    assert torch.equal(seen, torch.arange(len(examples)))
    spread = sum((b.src_lengths.max() - b.src_lengths.min()).item() for b in batches) / len(batches)
    rand = torch.randperm(len(examples), generator=g)[:32 * 20].reshape(20, 32)
    lengths = torch.tensor([len(s) for s, _ in examples])
    random_spread = (lengths[rand].max(1).values - lengths[rand].min(1).values).float().mean().item()
    assert spread < random_spread / 3
    b = batches[0]
    assert b.src.shape == (len(b), int(b.src_lengths.max())) and (b.tgt[:, 0] == BOS).all()
    for row, i in enumerate(b.index.tolist()):
        assert torch.equal(b.src[row, : len(examples[i][0])], examples[i][0])
        assert (b.src[row, len(examples[i][0]):] == PAD).all()
    ordered = list(bucket_batches(examples, 100, shuffle=False))
    firsts = [int(x.src_lengths.min()) for x in ordered]
    assert firsts == sorted(firsts)
