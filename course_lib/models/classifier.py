"""A text classifier: word embeddings -> packed BiLSTM -> masked attention pooling -> one logit.

ids (B, T) long, padded with pad_id after each text's real tokens, lengths (B,) the real lengths (>= 1).
forward returns (logits (B,), attention weights (B, T)); a logit > 0 predicts the positive class. The
BiLSTM runs on a PackedSequence, so padding never enters the recurrence, and the pooling gives padding
weight exactly 0: the output does not depend on how much padding a batch has. `pool` is the pooling
function (states (B, T, 2H), mask (B, T), w (2H,)) -> (pooled, weights); Day 08 passes the student's own.
"""
from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..layers.pooling import masked_attention_pool

Pool = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


class BiLSTMAttentionClassifier(nn.Module):
    """Binary classifier over padded id sequences (see the module docstring)."""

    def __init__(self, vocab_size: int, embed_dim: int = 64, hidden: int = 64, *, pad_id: int = 0,
                 dropout: float = 0.3, pool: Pool = masked_attention_pool):
        super().__init__()
        self.pad_id = pad_id
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.lstm = nn.LSTM(embed_dim, hidden, batch_first=True, bidirectional=True)
        self.w = nn.Parameter(torch.randn(2 * hidden) / (2 * hidden) ** 0.5)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(2 * hidden, 1)
        self.pool = pool

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if ids.dim() != 2 or ids.dtype != torch.long:
            raise ValueError(f"ids must be a long tensor (B, T), got {ids.dtype} of shape {tuple(ids.shape)}")
        if ids.shape[0] == 0:
            raise ValueError("an empty batch (B = 0): nothing to classify")
        if bool(((ids < 0) | (ids >= self.embed.num_embeddings)).any()):
            raise ValueError(f"ids must be in [0, {self.embed.num_embeddings}), got values from {int(ids.min())} "
                             f"to {int(ids.max())}")
        if not isinstance(lengths, torch.Tensor) or lengths.is_floating_point() or lengths.dtype == torch.bool:
            raise ValueError(f"lengths must be an integer tensor (B,) = ({ids.shape[0]},), got "
                             f"{getattr(lengths, 'dtype', type(lengths).__name__)}")
        if tuple(lengths.shape) != (ids.shape[0],) or bool((lengths < 1).any()) or int(lengths.max()) > ids.shape[1]:
            raise ValueError(f"lengths must be (B,) = ({ids.shape[0]},) with values in [1, {ids.shape[1]}], "
                             f"got shape {tuple(lengths.shape)} and values {lengths.tolist()}")
        T = ids.shape[1]
        x = self.dropout(self.embed(ids))                                      # (B, T, E)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        states, _ = pad_packed_sequence(self.lstm(packed)[0], batch_first=True, total_length=T)   # (B, T, 2H)
        mask = torch.arange(T, device=ids.device) < lengths.to(ids.device).unsqueeze(1)         # (B, T)
        pooled, weights = self.pool(states, mask, self.w)                      # (B, 2H), (B, T)
        return self.out(self.dropout(pooled)).squeeze(-1), weights             # (B,), (B, T)
