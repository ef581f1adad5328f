"""Encoder-decoder (seq2seq) models: an RNN encoder over a padded, packed source, a one-step RNN decoder,
and the model that runs them with teacher forcing at a chosen ratio. Decoding lives in `course_lib.decoding`,
the loss in `course_lib.losses.cross_entropy`.

The interface is built so that an attention decoder plugs in unchanged:

- an encoder returns an `EncoderOutput`: every state (B, S, H), the final state and the source mask (B, S);
- a decoder has `init_state(enc)` and `step(prev_tokens (B,), state, enc) -> (logits (B, V), new state)`;
  it may read `enc.states` and `enc.mask` (attention does, the plain decoder here only starts from
  `enc.final`);
- every tensor in a decoder state (a tensor or a nested tuple of tensors, e.g. LSTM's (h, c)) has the
  batch in dimension 1, as nn.GRU / nn.LSTM states do: decoding reorders states with that convention.

`greedy_decode` and `beam_search` take any such decoder, which is how the tests check beam search
against exhaustive search with a hand-built decoder whose scores they control.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import torch
from torch import nn

from ..batching.padding import lengths_to_mask, pack, unpack

State = Any  # a tensor (layers, B, H) or a nested tuple of them


class EncoderOutput(NamedTuple):
    """states: (B, S, H) every top-layer state (zeros at padding), final: the last real state of every
    layer, (layers, B, H), or (h, c) for an LSTM, mask: (B, S) bool, True at real source positions."""
    states: torch.Tensor
    final: State
    mask: torch.Tensor


def map_state(fn: Callable[[torch.Tensor], torch.Tensor], state: State) -> State:
    """Apply `fn` to every tensor of a (nested tuple) state."""
    if isinstance(state, torch.Tensor):
        return fn(state)
    if isinstance(state, (tuple, list)):
        return type(state)(map_state(fn, s) for s in state)
    raise TypeError(f"a decoder state must be a tensor or a tuple of them, got {type(state).__name__}")


def repeat_encoder_output(enc: EncoderOutput, k: int) -> EncoderOutput:
    """Each example k times in a row (batch B -> B * k, example b at rows b*k ... b*k + k - 1): for beams."""
    return EncoderOutput(enc.states.repeat_interleave(k, dim=0),
                         map_state(lambda s: s.repeat_interleave(k, dim=1), enc.final),
                         enc.mask.repeat_interleave(k, dim=0))


def encode(embedding: nn.Embedding, rnn: nn.RNNBase, src: torch.Tensor, lengths: torch.Tensor) -> EncoderOutput:
    """Run a batch-first nn.GRU / nn.LSTM / nn.RNN over padded sources, packed so padding is never read.

    src: (B, S) ids, padded at the end; lengths: (B,) true lengths (>= 1, any order).
    Returns EncoderOutput(states (B, S, H), final (layers, B, H) [or (h, c)], mask (B, S))."""
    if src.dim() != 2 or lengths.shape != src.shape[:1]:
        raise ValueError(f"src must be (B, S) and lengths (B,), got {tuple(src.shape)} and {tuple(lengths.shape)}")
    if not rnn.batch_first:
        raise ValueError("the encoder's RNN must be batch_first=True")
    if (lengths < 1).any():
        raise ValueError("every source needs at least one token (lengths >= 1)")
    S = src.shape[1]
    packed = pack(embedding(src), lengths)                 # (B, S, E) -> packed, padding dropped
    packed_states, final = rnn(packed)                     # final: (layers, B, H), in the original order
    states, _ = unpack(packed_states, total_length=S)      # (B, S, H), zeros at padding
    return EncoderOutput(states, final, lengths_to_mask(lengths, S))


def decoder_step(embedding: nn.Embedding, rnn: nn.RNNBase, out: nn.Linear, prev_tokens: torch.Tensor,
                 state: State) -> tuple[torch.Tensor, State]:
    """One decoder step: embed the previous tokens (B,), advance the batch-first RNN by one step from
    `state` ((layers, B, H) or (h, c)), and map the new top state to logits. Returns (logits (B, V), state)."""
    emb = embedding(prev_tokens).unsqueeze(1)              # (B, 1, E)
    output, state = rnn(emb, state)                        # output (B, 1, H)
    return out(output.squeeze(1)), state                   # (B, V)


class Encoder(nn.Module):
    """Embedding + one batch-first recurrent layer stack ("GRU", "LSTM" or "RNN"), run packed."""

    def __init__(self, vocab_size: int, embed_size: int, hidden_size: int, cell: str = "GRU",
                 num_layers: int = 1, pad_id: int = 0, dropout: float = 0.0):
        super().__init__()
        if cell not in ("GRU", "LSTM", "RNN"):
            raise ValueError(f"cell must be 'GRU', 'LSTM' or 'RNN', got {cell!r}")
        self.hidden_size, self.num_layers, self.cell = hidden_size, num_layers, cell
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=pad_id)
        self.rnn = getattr(nn, cell)(embed_size, hidden_size, num_layers, batch_first=True,
                                     dropout=dropout if num_layers > 1 else 0.0)

    def forward(self, src: torch.Tensor, lengths: torch.Tensor) -> EncoderOutput:
        return encode(self.embedding, self.rnn, src, lengths)


class Decoder(nn.Module):
    """The plain (attention-free) decoder: it starts from the encoder's final state, and that one vector
    per layer is all it ever sees of the source. Same cell type and sizes as the encoder."""

    def __init__(self, vocab_size: int, embed_size: int, hidden_size: int, cell: str = "GRU",
                 num_layers: int = 1, dropout: float = 0.0):
        super().__init__()
        if cell not in ("GRU", "LSTM", "RNN"):
            raise ValueError(f"cell must be 'GRU', 'LSTM' or 'RNN', got {cell!r}")
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = getattr(nn, cell)(embed_size, hidden_size, num_layers, batch_first=True,
                                     dropout=dropout if num_layers > 1 else 0.0)
        self.out = nn.Linear(hidden_size, vocab_size)

    def init_state(self, enc: EncoderOutput) -> State:
        return enc.final

    def step(self, prev_tokens: torch.Tensor, state: State, enc: EncoderOutput) -> tuple[torch.Tensor, State]:
        """prev_tokens (B,) -> (logits (B, V), new state)."""
        return decoder_step(self.embedding, self.rnn, self.out, prev_tokens, state)

    def forward_sequence(self, inputs: torch.Tensor, state: State, enc: EncoderOutput) -> torch.Tensor:
        """Full teacher forcing in one call: inputs (B, T) -> logits (B, T, V); same as T steps."""
        output, _ = self.rnn(self.embedding(inputs), state)    # (B, T, H)
        return self.out(output)


class Seq2Seq(nn.Module):
    """An encoder and a decoder, with the special token ids they share."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module, bos_id: int, eos_id: int, pad_id: int = 0):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder
        self.bos_id, self.eos_id, self.pad_id = bos_id, eos_id, pad_id

    def forward(self, src: torch.Tensor, src_lengths: torch.Tensor, tgt: torch.Tensor,
                teacher_forcing: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
        """Logits (B, T-1, V) for the targets tgt[:, 1:], given tgt (B, T) = <bos> ... <eos> <pad>...

        Step t reads tgt[:, t] (teacher forcing) with probability `teacher_forcing`, drawn per sequence
        and step, else the model's own previous prediction (argmax); step 0 always reads <bos>."""
        enc = self.encoder(src, src_lengths)
        state = self.decoder.init_state(enc)
        if teacher_forcing >= 1.0 and hasattr(self.decoder, "forward_sequence"):
            return self.decoder.forward_sequence(tgt[:, :-1], state, enc)
        prev, steps = tgt[:, 0], []
        for t in range(tgt.shape[1] - 1):
            logits, state = self.decoder.step(prev, state, enc)                 # (B, V)
            steps.append(logits)
            use_truth = torch.rand(tgt.shape[0], generator=generator).to(tgt.device) < teacher_forcing
            prev = torch.where(use_truth, tgt[:, t + 1], logits.argmax(dim=-1))
        return torch.stack(steps, dim=1)                                         # (B, T-1, V)

    @torch.no_grad()
    def greedy(self, src: torch.Tensor, src_lengths: torch.Tensor, max_len: int) -> torch.Tensor:
        """Greedy outputs (B, <= max_len), <eos> included, <pad> after it."""
        from ..decoding.greedy import greedy_decode
        return greedy_decode(self.decoder, self.encoder(src, src_lengths), self.bos_id, self.eos_id,
                             max_len, self.pad_id)

    @torch.no_grad()
    def beam(self, src: torch.Tensor, src_lengths: torch.Tensor, max_len: int, beam_width: int = 5,
             alpha: float = 1.0) -> torch.Tensor:
        """Beam-search outputs (B, <= max_len), the best hypothesis per example."""
        from ..decoding.beam import beam_search
        tokens, _ = beam_search(self.decoder, self.encoder(src, src_lengths), self.bos_id, self.eos_id,
                                beam_width, max_len, alpha, self.pad_id)
        return tokens


