"""A character-level recurrent language model: embedding -> GRU -> linear, predicting the next symbol.

forward: ids (B, T) long -> logits (B, T, V) for the symbol after each position. step: ids (B,) and a
hidden state (1, B, H) or None -> logits (B, V) and the new state, for sampling one symbol at a time.
"""
from __future__ import annotations

import torch
from torch import nn


def _check_ids(ids: torch.Tensor, vocab_size: int) -> None:
    if ids.numel() and bool(((ids < 0) | (ids >= vocab_size)).any()):
        raise ValueError(f"ids must be in [0, {vocab_size}), got values from {int(ids.min())} to {int(ids.max())}")


class CharGRU(nn.Module):
    """Embedding (V, E) -> one-layer GRU (hidden H) -> Linear (H, V)."""

    def __init__(self, vocab_size: int, embed_dim: int = 32, hidden: int = 128, *, pad_id: int = 0):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.gru = nn.GRU(embed_dim, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab_size)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        if ids.dim() != 2 or ids.dtype != torch.long:
            raise ValueError(f"ids must be a long tensor (B, T), got {ids.dtype} of shape {tuple(ids.shape)}")
        _check_ids(ids, self.embed.num_embeddings)
        states, _ = self.gru(self.embed(ids))                                  # (B, T, H)
        return self.out(states)                                                # (B, T, V)

    def step(self, ids: torch.Tensor, hidden: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        if ids.dim() != 1 or ids.dtype != torch.long:
            raise ValueError(f"ids must have shape (B,) and dtype long, got {ids.dtype} of shape {tuple(ids.shape)}")
        _check_ids(ids, self.embed.num_embeddings)
        states, hidden = self.gru(self.embed(ids).unsqueeze(1), hidden)        # (B, 1, H), (1, B, H)
        return self.out(states.squeeze(1)), hidden                             # (B, V)
