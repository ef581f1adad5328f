"""The BiLSTM tagger of Day 05 (its exercise BiLSTMTagger), used again on Day 09 as the softmax baseline
and as the emission scorer of a BiLSTM-CRF.

ids (B, T) long and lengths (B,) -> tag scores (B, T, num_tags): embedding -> variational dropout (one mask
per sentence and feature, shared over time) -> bidirectional LSTM run on the packed batch (padding is never
read, a sentence's scores do not depend on its batch-mates) -> variational dropout -> linear head.
"""
from __future__ import annotations

import torch
from torch import nn

from ..batching.padding import pack, unpack


class BiLSTMTagger(nn.Module):
    """Word ids (B, T) and lengths (B,) -> tag logits (B, T, num_tags), padding never read."""

    def __init__(self, vocab_size: int, num_tags: int, embed_dim: int, hidden_size: int, num_layers: int = 1,
                 dropout: float = 0.0, pad_id: int = 0):
        super().__init__()
        for name, n in (("vocab_size", vocab_size), ("num_tags", num_tags), ("embed_dim", embed_dim),
                        ("hidden_size", hidden_size), ("num_layers", num_layers)):
            if not isinstance(n, int) or isinstance(n, bool) or n < 1:
                raise ValueError(f"{name} must be a positive int, got {n!r}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be a number in [0, 1), got {dropout!r}")
        if not isinstance(pad_id, int) or isinstance(pad_id, bool) or not 0 <= pad_id < vocab_size:
            raise ValueError(f"pad_id must be an int in [0, {vocab_size}), got {pad_id!r}")
        self.p = dropout
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers=num_layers, bidirectional=True, batch_first=True,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.head = nn.Linear(2 * hidden_size, num_tags)

    def _sequence_dropout(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, T, D): one Bernoulli mask per (sentence, feature), the same at every step; identity in eval."""
        if not self.training or self.p == 0.0:
            return x
        keep = (torch.rand(x.shape[0], 1, x.shape[2], device=x.device) >= self.p).to(x.dtype)   # (B, 1, D)
        return x * keep / (1.0 - self.p)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        if ids.dim() != 2 or ids.dtype != torch.long:
            raise ValueError(f"ids must be a torch.long tensor (B, T), got shape {tuple(ids.shape)}, dtype {ids.dtype}")
        if not isinstance(lengths, torch.Tensor) or lengths.shape != (ids.shape[0],):
            raise ValueError(f"lengths must be a tensor of shape ({ids.shape[0]},), got "
                             f"{tuple(lengths.shape) if isinstance(lengths, torch.Tensor) else type(lengths).__name__}")
        B, T = ids.shape
        if B == 0 or T == 0:
            raise ValueError(f"ids must hold at least one sentence and one step, got shape {(B, T)}")
        if lengths.dtype.is_floating_point or lengths.dtype.is_complex or lengths.dtype == torch.bool:
            raise ValueError(f"lengths must be integers, got dtype {lengths.dtype}")
        if int(lengths.min()) < 1 or int(lengths.max()) > T:
            raise ValueError(f"lengths must lie in [1, {T}] (T = ids.shape[1]), got values from {int(lengths.min())} "
                             f"to {int(lengths.max())}")
        V = self.embed.num_embeddings
        if int(ids.min()) < 0 or int(ids.max()) >= V:
            raise ValueError(f"ids must lie in [0, {V}) (the vocabulary), got values from {int(ids.min())} to "
                             f"{int(ids.max())}")
        x = self._sequence_dropout(self.embed(ids))                          # (B, T, E)
        out, _ = unpack(self.lstm(pack(x, lengths))[0], total_length=ids.shape[1])    # (B, T, 2H), zeros at padding
        return self.head(self._sequence_dropout(out))                         # (B, T, num_tags)
