"""Batching sequences of different lengths: padding, length -> mask, packing, and a loss that counts
only real tokens; collate functions and a length-bucketed batch sampler."""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence


def pad_sequences(seqs: Sequence[torch.Tensor], pad_value: float = 0, batch_first: bool = True) -> torch.Tensor:
    """Stack 1-D (or (L_i, ...)-shaped) tensors of different lengths into one tensor, padding at the end.
    Returns (B, L_max, ...) if batch_first else (L_max, B, ...)."""
    if len(seqs) == 0:
        raise ValueError("pad_sequences needs at least one sequence")
    for i, s in enumerate(seqs):
        if not isinstance(s, torch.Tensor) or s.dim() == 0:
            raise TypeError(f"sequence {i} is a {type(s).__name__}, not a tensor of shape (L_i, ...)")
    trailing = seqs[0].shape[1:]
    for i, s in enumerate(seqs):
        if s.shape[1:] != trailing or s.dtype != seqs[0].dtype:
            raise ValueError(f"sequence {i} has shape {tuple(s.shape)} and dtype {s.dtype}; all must be "
                             f"(L_i, {', '.join(map(str, trailing))}) with dtype {seqs[0].dtype}")
    L = max(s.shape[0] for s in seqs)
    out = seqs[0].new_full((len(seqs), L, *trailing), pad_value)       # (B, L, ...)
    for i, s in enumerate(seqs):
        out[i, : s.shape[0]] = s
    return out if batch_first else out.transpose(0, 1)


def lengths_to_mask(lengths: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
    """Bool mask (B, max_len), True at real positions: mask[b, t] = t < lengths[b]."""
    if lengths.dim() != 1 or lengths.dtype not in (torch.int32, torch.int64):
        raise ValueError(f"lengths must be a 1-D integer tensor, got shape {tuple(lengths.shape)}, dtype {lengths.dtype}")
    if (lengths < 0).any():
        raise ValueError("lengths must be >= 0")
    max_len = int(lengths.max()) if max_len is None else max_len
    if len(lengths) and int(lengths.max()) > max_len:
        raise ValueError(f"a length {int(lengths.max())} exceeds max_len {max_len}")
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]  # (B, max_len)


def pack(padded: torch.Tensor, lengths: torch.Tensor, batch_first: bool = True) -> PackedSequence:
    """Pack a padded batch for an nn.RNN/LSTM/GRU so that padding is never computed. Lengths may be in
    any order (enforce_sorted=False); they must live on the CPU, which this takes care of."""
    return pack_padded_sequence(padded, lengths.cpu(), batch_first=batch_first, enforce_sorted=False)


def unpack(packed: PackedSequence, total_length: int | None = None, batch_first: bool = True
           ) -> tuple[torch.Tensor, torch.Tensor]:
    """Inverse of `pack`: (padded (B, L, ...) [or (L, B, ...)], lengths (B,)), in the original batch order."""
    return pad_packed_sequence(packed, batch_first=batch_first, total_length=total_length)


def masked_cross_entropy(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over real tokens only: sum of per-token losses where mask is True, divided by
    the number of True positions (not by B * L: padding must not dilute the loss).

    logits: (B, L, C), targets: (B, L) integer ids, mask: (B, L) bool."""
    if logits.dim() != 3 or logits.shape[:2] != targets.shape or targets.shape != mask.shape:
        raise ValueError(f"logits (B, L, C), targets (B, L) and mask (B, L) must agree, got "
                         f"{tuple(logits.shape)}, {tuple(targets.shape)}, {tuple(mask.shape)}")
    if mask.dtype != torch.bool:
        raise TypeError(f"mask must be a bool tensor, got {mask.dtype}")
    n = mask.sum()
    if n == 0:
        raise ValueError("the mask selects no tokens")
    per_token = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                            reduction="none").reshape(targets.shape)   # (B, L)
    return (per_token * mask).sum() / n


def collate_padded(seqs: Sequence[torch.Tensor], pad_value: float = 0
                   ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A batch of 1-D (or (L_i, ...)) tensors as (padded (B, L_max, ...), lengths (B,) long, mask (B, L_max) bool),
    the three things every variable-length batch needs. mask is True at real positions."""
    padded = pad_sequences(seqs, pad_value=pad_value)                        # (B, L_max, ...)
    lengths = torch.tensor([s.shape[0] for s in seqs], dtype=torch.long)    # (B,)
    return padded, lengths, lengths_to_mask(lengths, padded.shape[1])       # mask (B, L_max)


def collate_tagged(pairs: Sequence[tuple[torch.Tensor, torch.Tensor]], pad_id: int = 0, tag_pad_id: int = 0
                   ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """A batch of (word ids (L_i,), tag ids (L_i,)) pairs as (ids (B, L), tags (B, L), lengths (B,), mask (B, L)).
    Padding gets `pad_id` in ids and `tag_pad_id` in tags; the mask, not the padding tag, says what counts."""
    if len(pairs) == 0:
        raise ValueError("collate_tagged needs at least one pair")
    for i, (ids, tags) in enumerate(pairs):
        if ids.shape != tags.shape or ids.dim() != 1:
            raise ValueError(f"pair {i}: ids {tuple(ids.shape)} and tags {tuple(tags.shape)} must be equally long 1-D")
    ids, lengths, mask = collate_padded([p[0] for p in pairs], pad_value=pad_id)
    tags = pad_sequences([p[1] for p in pairs], pad_value=tag_pad_id)      # (B, L)
    return ids, tags, lengths, mask


class BucketBatchSampler:
    """Batches of indices whose sequences have similar lengths, so little padding is needed.

    Each epoch (each `iter()`): shuffle all indices, cut them into pools of `pool_batches * batch_size`,
    sort each pool by length, cut the pools into batches, shuffle the order of the batches. With
    `bucketed=False` it is plain random batching (no sorting), for comparison. Deterministic: epoch k of a
    sampler made with `seed` is the same every run. Usable as `batch_sampler=` of a torch DataLoader."""

    def __init__(self, lengths: Sequence[int], batch_size: int, *, pool_batches: int = 50, bucketed: bool = True,
                 shuffle: bool = True, drop_last: bool = False, seed: int = 0):
        if batch_size < 1 or pool_batches < 1:
            raise ValueError(f"batch_size and pool_batches must be >= 1, got {batch_size}, {pool_batches}")
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
        order = torch.randperm(len(self.lengths), generator=g).tolist() if self.shuffle else list(range(len(self.lengths)))
        if self.bucketed:
            pool = self.pool_batches * self.batch_size
            order = [i for s in range(0, len(order), pool)
                     for i in sorted(order[s:s + pool], key=lambda i: self.lengths[i])]
        batches = [order[s:s + self.batch_size] for s in range(0, len(order), self.batch_size)]
        if self.drop_last and batches and len(batches[-1]) < self.batch_size:
            batches.pop()
        if self.shuffle:
            batches = [batches[i] for i in torch.randperm(len(batches), generator=g).tolist()]
        return batches

    def __iter__(self):
        batches = self.batches(self.epoch)
        self.epoch += 1
        return iter(batches)


def padding_fraction(batches: Sequence[Sequence[int]], lengths: Sequence[int]) -> float:
    """The share of positions in padded batches that are padding: 1 - real tokens / sum(B_k * L_max,k)."""
    real = total = 0
    for batch in batches:
        ls = [int(lengths[i]) for i in batch]
        real += sum(ls)
        total += len(ls) * max(ls, default=0)
    if total == 0:
        raise ValueError("no positions in these batches")
    return 1.0 - real / total
