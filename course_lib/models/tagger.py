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
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
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
        x = self._sequence_dropout(self.embed(ids))                          # (B, T, E)
        out, _ = unpack(self.lstm(pack(x, lengths))[0], total_length=ids.shape[1])    # (B, T, 2H), zeros at padding
        return self.head(self._sequence_dropout(out))                         # (B, T, num_tags)
