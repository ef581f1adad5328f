"""An RNN decoder with Luong's global attention, on the seq2seq decoder interface (`init_state`, `step`,
`forward_sequence`), so the seq2seq loss, greedy decoding and beam search use it unchanged."""
from __future__ import annotations

import torch
from torch import nn

from ..layers.attention import attend, make_attention
from .seq2seq import EncoderOutput, State


class AttentionDecoder(nn.Module):
    """An RNN decoder with Luong's global attention. Each step: the RNN reads the previous token and moves
    to state s_t; attention over the encoder states with query s_t gives the context c_t; the output is
    logits = out(tanh(combine([s_t; c_t]))). The state is the RNN's (batch in dimension 1), started from
    the encoder's final state, so encoder and decoder need the same cell type, hidden size and layers."""

    def __init__(self, vocab_size: int, embed_size: int, hidden_size: int, cell: str = "GRU",
                 score: str = "general", num_layers: int = 1, key_size: int | None = None,
                 attention_size: int | None = None, dropout: float = 0.0):
        super().__init__()
        if cell not in ("GRU", "LSTM", "RNN"):
            raise ValueError(f"cell must be 'GRU', 'LSTM' or 'RNN', got {cell!r}")
        key_size = key_size or hidden_size
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = getattr(nn, cell)(embed_size, hidden_size, num_layers, batch_first=True,
                                     dropout=dropout if num_layers > 1 else 0.0)
        self.attention = make_attention(score, hidden_size, key_size, attention_size)
        self.combine = nn.Linear(hidden_size + key_size, hidden_size)
        self.out = nn.Linear(hidden_size, vocab_size)

    def init_state(self, enc: EncoderOutput) -> State:
        return enc.final

    def _output(self, top: torch.Tensor, enc: EncoderOutput) -> tuple[torch.Tensor, torch.Tensor]:
        context, weights = attend(self.attention, top, enc.states, enc.mask)   # (B, [T,] H_k), (B, [T,] S)
        mixed = torch.tanh(self.combine(torch.cat([top, context], dim=-1)))    # (B, [T,] H)
        return self.out(mixed), weights                                         # (B, [T,] V)

    def step_with_weights(self, prev_tokens: torch.Tensor, state: State, enc: EncoderOutput
                          ) -> tuple[torch.Tensor, State, torch.Tensor]:
        """prev_tokens (B,) -> (logits (B, V), new state, attention weights (B, S))."""
        output, state = self.rnn(self.embedding(prev_tokens).unsqueeze(1), state)   # (B, 1, H)
        logits, weights = self._output(output.squeeze(1), enc)
        return logits, state, weights

    def step(self, prev_tokens: torch.Tensor, state: State, enc: EncoderOutput) -> tuple[torch.Tensor, State]:
        """prev_tokens (B,) -> (logits (B, V), new state)."""
        logits, state, _ = self.step_with_weights(prev_tokens, state, enc)
        return logits, state

    def forward_sequence(self, inputs: torch.Tensor, state: State, enc: EncoderOutput,
                         return_weights: bool = False):
        """Full teacher forcing in one call: inputs (B, T) -> logits (B, T, V) [and weights (B, T, S)];
        the same numbers as T calls of `step`, since the query at step t does not depend on attention."""
        output, _ = self.rnn(self.embedding(inputs), state)                    # (B, T, H)
        logits, weights = self._output(output, enc)
        return (logits, weights) if return_weights else logits
