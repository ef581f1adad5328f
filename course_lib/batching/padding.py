"""Batches of sequences of different lengths: padding, length -> mask, packing, and collate functions."""
from __future__ import annotations

from collections.abc import Sequence

import torch
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


def _require_tensor(lengths: object, where: str) -> None:
    if not isinstance(lengths, torch.Tensor):
        raise TypeError(f"{where}: lengths must be a 1-D integer tensor (B,), e.g. torch.tensor(lengths), "
                        f"got {type(lengths).__name__}")


def lengths_to_mask(lengths: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
    """Bool mask (B, max_len), True at real positions: mask[b, t] = t < lengths[b]."""
    _require_tensor(lengths, "lengths_to_mask")
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
    _require_tensor(lengths, "pack")
    return pack_padded_sequence(padded, lengths.cpu(), batch_first=batch_first, enforce_sorted=False)


def unpack(packed: PackedSequence, total_length: int | None = None, batch_first: bool = True
           ) -> tuple[torch.Tensor, torch.Tensor]:
    """Inverse of `pack`: (padded (B, L, ...) [or (L, B, ...)], lengths (B,)), in the original batch order."""
    return pad_packed_sequence(packed, batch_first=batch_first, total_length=total_length)


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


class Batch:
    """A padded batch: src (B, S) ids, src_lengths (B,), tgt (B, T) ids with <bos> ... <eos> then padding,
    and `index` (B,): the positions of these examples in the encoded list (to look up the strings)."""

    def __init__(self, src: torch.Tensor, src_lengths: torch.Tensor, tgt: torch.Tensor, index: torch.Tensor):
        self.src, self.src_lengths, self.tgt, self.index = src, src_lengths, tgt, index

    def to(self, device: torch.device | str) -> "Batch":
        return Batch(self.src.to(device), self.src_lengths.to(device), self.tgt.to(device), self.index)

    def __len__(self) -> int:
        return self.src.shape[0]


def collate(examples: Sequence[tuple[torch.Tensor, torch.Tensor]], index: Sequence[int], pad_id: int = 0) -> Batch:
    """Pad a list of (source ids, target ids) into a Batch."""
    src = pad_sequences([s for s, _ in examples], pad_value=pad_id)            # (B, S)
    tgt = pad_sequences([t for _, t in examples], pad_value=pad_id)            # (B, T)
    lengths = torch.tensor([len(s) for s, _ in examples], dtype=torch.long)    # (B,)
    return Batch(src, lengths, tgt, torch.as_tensor(list(index), dtype=torch.long))
