"""Batching sequences of different lengths: padding, length -> mask, packing, and a loss that counts
only real tokens."""
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
