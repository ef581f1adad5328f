"""Length-bucketed batching: batches of sequences of similar length, so that little of a batch is padding,
that still change from epoch to epoch. One ordering (`bucket_order`) serves the index sampler for a torch
DataLoader and the batch iterators over encoded (source, target) pairs."""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import torch

from .padding import Batch, collate


def bucket_order(lengths: Sequence[int], batch_size: int, *, generator: torch.Generator | None = None,
                 pool_batches: int = 50, bucketed: bool = True, shuffle: bool = True,
                 drop_last: bool = False) -> list[list[int]]:
    """Batches of indices into `lengths`.

    shuffle=True: shuffle all indices; with drop_last, leave out the last len % batch_size of that random
    order (a different remainder each epoch); cut the rest into pools of `pool_batches * batch_size`, sort
    each pool by length (if `bucketed`), cut into batches and shuffle the batches.
    shuffle=False (evaluation): sorted by length over the whole set if `bucketed`, else in index order."""
    if not isinstance(batch_size, int) or not isinstance(pool_batches, int) or batch_size < 1 or pool_batches < 1:
        raise ValueError(f"batch_size and pool_batches must be ints >= 1, got {batch_size!r}, {pool_batches!r}")
    n = len(lengths)
    if not shuffle:
        order = sorted(range(n), key=lambda i: lengths[i]) if bucketed else list(range(n))
        batches = [order[s:s + batch_size] for s in range(0, n, batch_size)]
        return batches[:n // batch_size] if drop_last else batches
    order = torch.randperm(n, generator=generator).tolist()
    if drop_last:
        order = order[: n - n % batch_size]
    if bucketed:
        pool = pool_batches * batch_size
        order = [i for s in range(0, len(order), pool) for i in sorted(order[s:s + pool], key=lambda i: lengths[i])]
    batches = [order[s:s + batch_size] for s in range(0, len(order), batch_size)]
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]


class BucketBatchSampler:
    """Batches of indices whose sequences have similar lengths (`bucket_order`), a new order each epoch
    (each `iter()`). Deterministic: epoch k of a sampler made with `seed` is the same every run. With
    `bucketed=False` it is plain random batching, for comparison. Usable as `batch_sampler=` of a DataLoader."""

    def __init__(self, lengths: Sequence[int], batch_size: int, *, pool_batches: int = 50, bucketed: bool = True,
                 shuffle: bool = True, drop_last: bool = False, seed: int = 0):
        bucket_order([], batch_size, pool_batches=pool_batches)  # validates the sizes
        self.lengths = [int(n) for n in lengths]
        self.batch_size, self.pool_batches = batch_size, pool_batches
        self.bucketed, self.shuffle, self.drop_last, self.seed = bucketed, shuffle, drop_last, seed
        self.epoch = 0

    def __len__(self) -> int:
        n = len(self.lengths)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def batches(self, epoch: int) -> list[list[int]]:
        """The batches of epoch `epoch` (without advancing the sampler's own epoch counter)."""
        g = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
        return bucket_order(self.lengths, self.batch_size, generator=g, pool_batches=self.pool_batches,
                            bucketed=self.bucketed, shuffle=self.shuffle, drop_last=self.drop_last)

    def __iter__(self) -> Iterator[list[int]]:
        batches = self.batches(self.epoch)
        self.epoch += 1
        return iter(batches)


def bucket_batches(examples: Sequence[tuple[torch.Tensor, torch.Tensor]], batch_size: int, *,
                   shuffle: bool = True, generator: torch.Generator | None = None, pad_id: int = 0,
                   pool: int = 50) -> Iterator[Batch]:
    """One pass over encoded (source ids, target ids) pairs in padded `Batch`es bucketed by source length
    (`bucket_order`). shuffle=False: sorted by source length over the whole set, in order (for evaluation)."""
    lengths = [len(s) for s, _ in examples]
    for idx in bucket_order(lengths, batch_size, generator=generator, pool_batches=pool, shuffle=shuffle):
        yield collate([examples[i] for i in idx], idx, pad_id)


def endless_batches(examples: Sequence[tuple[torch.Tensor, torch.Tensor]], batch_size: int, *,
                    seed: int = 0, device: torch.device | str = "cpu", pad_id: int = 0) -> Iterator[Batch]:
    """Training batches forever: bucketed epochs, reshuffled each time (seeded)."""
    generator = torch.Generator().manual_seed(seed)
    while True:
        for batch in bucket_batches(examples, batch_size, generator=generator, pad_id=pad_id):
            yield batch.to(device)


def padding_fraction(batch_lengths: Iterable[Sequence[int]]) -> float:
    """The share of positions in padded batches that are padding, 1 - real tokens / sum(B_k * L_max,k),
    given the lengths of the sequences in each batch (e.g. `[[lengths[i] for i in b] for b in batches]`)."""
    real = total = 0
    for lengths in batch_lengths:
        ls = [int(n) for n in lengths]
        real += sum(ls)
        total += len(ls) * max(ls, default=0)
    if total == 0:
        raise ValueError("no positions in these batches")
    return 1.0 - real / total
