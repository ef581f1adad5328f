"""Helpers for the tests of the encoder-decoder models and their decoding."""
from __future__ import annotations

import torch

PAD, BOS, EOS = 0, 2, 3  # Vocab order: <pad>, <unk>, <bos>, <eos>


def source_batch(B: int = 4, S: int = 7, V: int = 11, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Padded source ids (B, S) with <pad> after each row's length, and the lengths (B,): S, 1, 4, S - 2
    for B <= 4, random lengths in 1..S otherwise."""
    g = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([S, 1, 4, S - 2][:B]) if B <= 4 else torch.randint(1, S + 1, (B,), generator=g)
    src = torch.randint(4, V, (B, S), generator=g)
    src[torch.arange(S)[None, :] >= lengths[:, None]] = PAD
    return src, lengths
