"""Encoder-decoder (seq2seq) models and their decoding: an RNN encoder over a padded, packed source, a
one-step RNN decoder, training with teacher forcing at a chosen ratio, greedy decoding and batched beam
search with length normalisation.

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

from .batching import lengths_to_mask, masked_cross_entropy, pack, unpack

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
        return greedy_decode(self.decoder, self.encoder(src, src_lengths), self.bos_id, self.eos_id,
                             max_len, self.pad_id)

    @torch.no_grad()
    def beam(self, src: torch.Tensor, src_lengths: torch.Tensor, max_len: int, beam_width: int = 5,
             alpha: float = 1.0) -> torch.Tensor:
        """Beam-search outputs (B, <= max_len), the best hypothesis per example."""
        tokens, _ = beam_search(self.decoder, self.encoder(src, src_lengths), self.bos_id, self.eos_id,
                                beam_width, max_len, alpha, self.pad_id)
        return tokens


def teacher_forcing_loss(model: Seq2Seq, src: torch.Tensor, src_lengths: torch.Tensor, tgt: torch.Tensor,
                         ratio: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """Mean cross-entropy per real target token: the decoder reads tgt[:, :-1] (with teacher forcing at
    `ratio`) and is scored on tgt[:, 1:], padding excluded. tgt: (B, T) with <bos> first."""
    logits = model(src, src_lengths, tgt, teacher_forcing=ratio, generator=generator)   # (B, T-1, V)
    targets = tgt[:, 1:]                                                                 # (B, T-1)
    return masked_cross_entropy(logits, targets, targets != model.pad_id)


def teacher_forcing_ratio(step: int, decay_steps: int, start: float = 1.0, end: float = 0.0) -> float:
    """Linear decay from `start` (step 0) to `end` (step >= decay_steps), constant afterwards."""
    if decay_steps < 1:
        raise ValueError(f"decay_steps must be >= 1, got {decay_steps}")
    return start + (end - start) * min(max(step, 0) / decay_steps, 1.0)


def _batch_size(enc: EncoderOutput) -> int:
    return enc.mask.shape[0]


@torch.no_grad()
def greedy_decode(decoder: Any, enc: EncoderOutput, bos_id: int, eos_id: int, max_len: int,
                  pad_id: int = 0, with_weights: bool = False):
    """Feed back the arg-max token each step. Returns (B, L) with L <= max_len: each row is the
    generated tokens up to and including <eos>, then <pad>; decoding stops once every row has <eos>.

    with_weights=True (for a decoder with `step_with_weights`, e.g. an attention decoder) also returns
    where it looked: (tokens (B, L), weights (B, L, S)), zero rows after a row's <eos>."""
    if max_len < 1:
        raise ValueError(f"max_len must be >= 1, got {max_len}")
    B = _batch_size(enc)
    state = decoder.init_state(enc)
    prev = torch.full((B,), bos_id, dtype=torch.long, device=enc.mask.device)
    finished = torch.zeros(B, dtype=torch.bool, device=enc.mask.device)
    out, maps = [], []
    for _ in range(max_len):
        if with_weights:
            logits, state, weights = decoder.step_with_weights(prev, state, enc)    # weights (B, S)
            maps.append(weights.masked_fill(finished.unsqueeze(1), 0.0))
        else:
            logits, state = decoder.step(prev, state, enc)                      # (B, V)
        token = logits.argmax(dim=-1).masked_fill(finished, pad_id)         # (B,)
        out.append(token)
        finished = finished | (token == eos_id)
        prev = token
        if finished.all():
            break
    tokens = torch.stack(out, dim=1)
    return (tokens, torch.stack(maps, dim=1)) if with_weights else tokens


def beam_search_step(scores: torch.Tensor, lengths: torch.Tensor, finished: torch.Tensor,
                     log_probs: torch.Tensor, eos_id: int, pad_id: int
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """One step of batched beam search over K beams per example.

    scores (B, K): summed log-probabilities; lengths (B, K): tokens generated (<eos> included);
    finished (B, K) bool; log_probs (B, K, V): this step's log-probabilities.
    An unfinished beam may continue with any token; a finished beam only with <pad>, at no cost, so its
    score and length stay as they are. The K best of the K * V candidates survive (raw scores).
    Returns (scores (B, K), lengths (B, K), finished (B, K), parent (B, K) beam index, token (B, K))."""
    B, K, V = log_probs.shape
    only_pad = torch.full((V,), float("-inf"), dtype=log_probs.dtype, device=log_probs.device)
    only_pad[pad_id] = 0.0
    step = torch.where(finished.unsqueeze(-1), only_pad, log_probs)          # (B, K, V)
    candidates = (scores.unsqueeze(-1) + step).reshape(B, K * V)             # (B, K*V)
    new_scores, index = candidates.topk(K, dim=1)                            # (B, K)
    parent, token = index // V, index % V
    was_finished = finished.gather(1, parent)
    new_lengths = lengths.gather(1, parent) + (~was_finished).long()
    new_finished = was_finished | (token == eos_id)
    return new_scores, new_lengths, new_finished, parent, token


def length_normalised(scores: torch.Tensor, lengths: torch.Tensor, alpha: float) -> torch.Tensor:
    """score / length ** alpha (alpha = 0: raw sum of log-probabilities; alpha = 1: mean per token)."""
    return scores / lengths.clamp(min=1).to(scores.dtype) ** alpha


def _settled(scores: torch.Tensor, lengths: torch.Tensor, finished: torch.Tensor, alpha: float,
             max_len: int) -> bool:
    """True when, for every example, no live beam can still beat its best ended one. A live beam's summed
    log-probability only falls, so its best possible normalised score is score / max_len ** alpha."""
    ninf = torch.tensor(float("-inf"), device=scores.device)
    done = torch.where(finished, length_normalised(scores, lengths, alpha), ninf).max(dim=1).values
    hope = torch.where(finished, ninf, scores / float(max_len) ** alpha).max(dim=1).values
    return bool((done >= hope).all())


@torch.no_grad()
def beam_search(decoder: Any, enc: EncoderOutput, bos_id: int, eos_id: int, beam_width: int, max_len: int,
                alpha: float = 1.0, pad_id: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Batched beam search. Keeps `beam_width` hypotheses per example, ranked by summed log-probability;
    a hypothesis ends at <eos> (or at max_len); the answer is the hypothesis with the best
    length-normalised score, score / length ** alpha. Stops once every beam has ended, or once no live
    beam can still beat the best ended one.

    Returns (tokens (B, L) as greedy_decode returns them, normalised score (B,)). With beam_width 1 it
    gives greedy decoding's tokens."""
    if beam_width < 1 or max_len < 1:
        raise ValueError(f"beam_width and max_len must be >= 1, got {beam_width}, {max_len}")
    B, K = _batch_size(enc), beam_width
    device = enc.mask.device
    enc_k = repeat_encoder_output(enc, K)
    state = decoder.init_state(enc_k)
    scores = torch.full((B, K), float("-inf"), device=device)
    scores[:, 0] = 0.0                                                       # one live beam to start
    lengths = torch.zeros(B, K, dtype=torch.long, device=device)
    finished = torch.zeros(B, K, dtype=torch.bool, device=device)
    history = torch.zeros(B, K, 0, dtype=torch.long, device=device)
    prev = torch.full((B * K,), bos_id, dtype=torch.long, device=device)
    offset = torch.arange(B, device=device).unsqueeze(1) * K                 # (B, 1)
    for _ in range(max_len):
        logits, state = decoder.step(prev, state, enc_k)                     # (B*K, V)
        log_probs = torch.log_softmax(logits.float(), dim=-1).reshape(B, K, -1)
        scores, lengths, finished, parent, token = beam_search_step(scores, lengths, finished, log_probs,
                                                                    eos_id, pad_id)
        rows = (parent + offset).reshape(-1)                                 # (B*K,) rows to keep
        state = map_state(lambda s: s.index_select(1, rows), state)
        history = torch.cat([history.gather(1, parent.unsqueeze(-1).expand_as(history)), token.unsqueeze(-1)], 2)
        prev = token.reshape(-1)
        if finished.all() or _settled(scores, lengths, finished, alpha, max_len):
            break
    complete = finished | (lengths == max_len)                               # ended, or cut at max_len
    final = length_normalised(scores, lengths, alpha).masked_fill(~complete, float("-inf"))   # (B, K)
    best = final.argmax(dim=1)                                               # (B,)
    tokens = history[torch.arange(B, device=device), best]                   # (B, steps run)
    longest = int(lengths.gather(1, best.unsqueeze(1)).max())                # drop columns that are all <pad>
    return tokens[:, :longest], final.gather(1, best.unsqueeze(1)).squeeze(1)


def exact_match(predicted: torch.Tensor, tgt: torch.Tensor, eos_id: int, pad_id: int = 0) -> torch.Tensor:
    """(B,) bool: the prediction (B, L) equals the target tgt[:, 1:] (B, T-1) up to and including <eos>."""
    want = tgt[:, 1:]
    L = max(predicted.shape[1], want.shape[1])
    pad = lambda x: nn.functional.pad(x, (0, L - x.shape[1]), value=pad_id)  # noqa: E731
    return (pad(predicted) == pad(want)).all(dim=1)
