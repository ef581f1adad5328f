"""A pointer-generator summariser / corrector (See, Liu & Manning 2017) small enough for a CPU.

Encoder: embeddings -> packed bidirectional GRU -> states (B, S, 2H); its two final states, joined and
passed through a linear layer and tanh, start the decoder. Decoder, step t:

    s_t = GRU(emb(y_{t-1}), s_{t-1})                                         (B, H)
    e_t,i = s_t . W_h h_i [+ w_c c_t,i]                                      (B, S)   Luong's general score,
    a_t = masked softmax of e_t (padding 0),  ctx_t = sum_i a_t,i h_i        (B, 2H)  coverage c_t optional
    P_vocab = softmax(out(tanh(W_o [s_t; ctx_t])))                           (B, V)
    p_gen = sigmoid(w . [ctx_t; s_t; emb(y_{t-1})] + b)                      (B, 1)   (1 without copying)
    P = mix(P_vocab, a_t, p_gen, src_ext, n_extra)                           (B, V + n_extra)

`mix` is the final-distribution function (default `course_lib.layers.pointer.final_distribution`; Day 11
passes the student's own). With copy=False p_gen is fixed to 1 and the model is a plain attention seq2seq
(OOV targets can only be `<unk>`); with coverage=True the attention reads the coverage vector c_t (the sum of
the earlier steps' attention) through one learned weight w_c (See et al. feed c_t into an additive score;
the general score with a coverage term is cheaper on a CPU). `p_gen_bias` initialises p_gen's bias: negative values start the model copying (sigmoid(-2) = 0.12), as suits grammar correction, where most words are copied.

Token ids: the encoder and the decoder read ids < V (extended ids mapped to unk first, see
`layers.pointer.decoder_inputs`); the output is over V + n_extra ids. `forward` runs teacher forcing,
`greedy` decodes; both return the attention and p_gen of every step, for the coverage loss and for pictures.
The decoder's states do not read the attention (no input feeding, Luong et al.'s global attention), so with
teacher forcing the GRU runs over all T steps in one call; only the coverage (c_t needs a_{t-1}) loops.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..layers.attention import masked_softmax
from ..layers.pointer import final_distribution

Mix = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, int], torch.Tensor]


class PointerOutput(NamedTuple):
    """final (B, T, V + n_extra) probabilities; attentions (B, T, S); p_gen (B, T) (all 1 without copying)."""
    final: torch.Tensor
    attentions: torch.Tensor
    p_gen: torch.Tensor


class Memory(NamedTuple):
    """What the decoder reads of the source: states (B, S, 2H), keys W_h h (B, S, H), mask (B, S) bool, and
    the decoder's first state s0 (1, B, H)."""
    states: torch.Tensor
    keys: torch.Tensor
    mask: torch.Tensor
    s0: torch.Tensor


class PointerGenerator(nn.Module):
    """See the module docstring. vocab_size V, embed_size E, hidden_size H (the decoder's; the encoder has H
    per direction), copy / coverage switches, p_gen_bias (initial bias of p_gen's logit), unk_id (what an
    extended id reads as), mix (the final-distribution function)."""

    def __init__(self, vocab_size: int, embed_size: int = 64, hidden_size: int = 128, *, copy: bool = True,
                 coverage: bool = False, p_gen_bias: float = 0.0, pad_id: int = 0, unk_id: int = 1,
                 mix: Mix = final_distribution):
        super().__init__()
        for name, value in (("vocab_size", vocab_size), ("embed_size", embed_size), ("hidden_size", hidden_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if not (0 <= pad_id < vocab_size and 0 <= unk_id < vocab_size):
            raise ValueError(f"pad_id and unk_id must be in [0, {vocab_size}), got {pad_id} and {unk_id}")
        H = hidden_size
        self.vocab_size, self.copy, self.coverage = vocab_size, copy, coverage
        self.pad_id, self.unk_id, self.mix = pad_id, unk_id, mix
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=pad_id)
        self.encoder = nn.GRU(embed_size, H, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * H, H)
        self.decoder = nn.GRU(embed_size, H, batch_first=True)
        self.w_h = nn.Linear(2 * H, H, bias=False)
        self.w_c = nn.Parameter(torch.zeros(()))
        self.combine = nn.Linear(3 * H, H)
        self.out = nn.Linear(H, vocab_size)
        self.gen = nn.Linear(2 * H + H + embed_size, 1)
        with torch.no_grad():
            self.gen.bias.fill_(p_gen_bias)

    def _unk(self, ids: torch.Tensor) -> torch.Tensor:
        return ids.masked_fill(ids >= self.vocab_size, self.unk_id)

    def encode(self, src_ext: torch.Tensor, lengths: torch.Tensor) -> Memory:
        """src_ext (B, S) extended ids, lengths (B,) -> Memory(states (B, S, 2H), keys W_h h (B, S, H),
        mask (B, S), s_0 (1, B, H))."""
        if src_ext.dim() != 2 or src_ext.dtype != torch.long:
            raise ValueError(f"src_ext must be a long tensor (B, S), got {src_ext.dtype} {tuple(src_ext.shape)}")
        if lengths.shape != src_ext.shape[:1] or bool((lengths < 1).any()) or int(lengths.max()) > src_ext.shape[1]:
            raise ValueError(f"lengths must be (B,) = ({src_ext.shape[0]},) in [1, {src_ext.shape[1]}], got "
                             f"{tuple(lengths.shape)} {lengths.tolist()}")
        S = src_ext.shape[1]
        x = self.embedding(self._unk(src_ext))                                   # (B, S, E)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, final = self.encoder(packed)                                         # final (2, B, H)
        states, _ = pad_packed_sequence(out, batch_first=True, total_length=S)   # (B, S, 2H)
        mask = torch.arange(S, device=src_ext.device) < lengths.to(src_ext.device).unsqueeze(1)   # (B, S)
        s0 = torch.tanh(self.bridge(torch.cat([final[0], final[1]], dim=-1)))    # (B, H)
        return Memory(states, self.w_h(states), mask, s0.unsqueeze(0))

    def _attend(self, queries: torch.Tensor, memory: Memory, coverage: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """queries (B, T, H), coverage before the first of them (B, S) -> (attention (B, T, S), coverage after
        the last). Without coverage all T steps at once; with it, step by step (c_t needs a_0 .. a_{t-1})."""
        scores = queries @ memory.keys.transpose(1, 2)                            # (B, T, S): s_t . W_h h_i
        mask = memory.mask.unsqueeze(1)                                           # (B, 1, S)
        if not self.coverage:
            return masked_softmax(scores, mask), coverage
        steps = []
        for t in range(scores.shape[1]):
            a = masked_softmax((scores[:, t] + self.w_c * coverage).unsqueeze(1), mask)   # (B, 1, S)
            coverage = coverage + a.squeeze(1)
            steps.append(a)
        return torch.cat(steps, dim=1), coverage

    def _outputs(self, prev: torch.Tensor, state: torch.Tensor, coverage: torch.Tensor, memory: Memory):
        """Decoder steps over prev (B, T) from state (1, B, H) -> (p_vocab (B, T, V), attention (B, T, S),
        p_gen (B, T, 1), new state, new coverage)."""
        emb = self.embedding(self._unk(prev))                                    # (B, T, E)
        queries, state = self.decoder(emb, state)                                 # (B, T, H)
        attention, coverage = self._attend(queries, memory, coverage)             # (B, T, S)
        context = attention @ memory.states                                       # (B, T, 2H)
        hidden = torch.tanh(self.combine(torch.cat([queries, context], dim=-1)))  # (B, T, H)
        p_vocab = torch.softmax(self.out(hidden), dim=-1)                         # (B, T, V)
        if self.copy:
            p_gen = torch.sigmoid(self.gen(torch.cat([context, queries, emb], dim=-1)))   # (B, T, 1)
        else:
            p_gen = torch.ones_like(p_vocab[..., :1])
        return p_vocab, attention, p_gen, state, coverage

    def _mix(self, p_vocab: torch.Tensor, attention: torch.Tensor, p_gen: torch.Tensor, src_ext: torch.Tensor,
             n_extra: int) -> torch.Tensor:
        """`mix` on (B, T, ...) inputs, called once on the B * T steps flattened to rows (the mix's exercise
        takes (B, V), (B, S), (B, 1), (B, S)) -> (B, T, V + n_extra)."""
        B, T, V = p_vocab.shape
        final = self.mix(p_vocab.reshape(B * T, V), attention.reshape(B * T, -1), p_gen.reshape(B * T, 1),
                         src_ext.repeat_interleave(T, dim=0), n_extra)            # (B*T, V + n_extra)
        return final.reshape(B, T, -1)

    def forward(self, src_ext: torch.Tensor, lengths: torch.Tensor, dec_in: torch.Tensor, n_extra: int
                ) -> PointerOutput:
        """Teacher forcing: src_ext (B, S), lengths (B,), dec_in (B, T) the previous tokens (<bos> first) ->
        PointerOutput(final (B, T, V + n_extra), attentions (B, T, S), p_gen (B, T))."""
        memory = self.encode(src_ext, lengths)
        coverage = memory.states.new_zeros(memory.mask.shape)                     # (B, S)
        p_vocab, attention, p_gen, _, _ = self._outputs(dec_in, memory.s0, coverage, memory)
        return PointerOutput(self._mix(p_vocab, attention, p_gen, src_ext, n_extra), attention, p_gen.squeeze(-1))

    @torch.no_grad()
    def greedy(self, src_ext: torch.Tensor, lengths: torch.Tensor, n_extra: int, bos_id: int, eos_id: int,
               max_len: int) -> tuple[list[list[int]], PointerOutput]:
        """Greedy decoding over the extended vocabulary: at each step the most probable id (a copied OOV
        included); the next step reads it (as unk if it is an extended id). Stops when every row has produced
        eos, or after max_len steps. Returns (each row's ids before its first eos, PointerOutput of the steps
        run: final (B, steps, V + n_extra), attentions (B, steps, S), p_gen (B, steps))."""
        memory = self.encode(src_ext, lengths)
        B = src_ext.shape[0]
        state, coverage = memory.s0, memory.states.new_zeros(memory.mask.shape)
        prev = torch.full((B, 1), bos_id, dtype=torch.long, device=src_ext.device)
        done = torch.zeros(B, dtype=torch.bool, device=src_ext.device)
        outs, finals, attentions, p_gens = [], [], [], []
        for _ in range(max_len):
            p_vocab, attention, p_gen, state, coverage = self._outputs(prev, state, coverage, memory)
            final = self._mix(p_vocab, attention, p_gen, src_ext, n_extra)        # (B, 1, V + n_extra)
            prev = final.argmax(dim=-1)                                           # (B, 1)
            outs.append(prev.squeeze(1))
            finals.append(final)
            attentions.append(attention)
            p_gens.append(p_gen.squeeze(-1))
            done = done | (prev.squeeze(1) == eos_id)
            if bool(done.all()):
                break
        ids = torch.stack(outs, 1).tolist()                                       # (B, steps)
        result = [row[:row.index(eos_id)] if eos_id in row else row for row in ids]
        return result, PointerOutput(torch.cat(finals, 1), torch.cat(attentions, 1), torch.cat(p_gens, 1))
