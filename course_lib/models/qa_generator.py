"""A generative question-answering model small enough for a CPU: a question-aware passage encoder and Day 11's
attention decoder that can copy words from the passage (`course_lib.models.pointer_generator.PointerGenerator`,
subclassed: its decoder, attention, output layer, p_gen and mix are reused unchanged).

Encoder, for a passage p (B, S) and a question q (B, Q):

    u_j = BiGRU_q(emb(q))_j                                                 (B, Q, 2H)   question states
    b_i,j = masked softmax_j( emb(p_i) . W_q u_j )                          (B, S, Q)    each passage word reads
    r_i = sum_j b_i,j u_j                                                   (B, S, 2H)   the question
    m_i = 1 if p_i is a word of the question (not <unk>, not padding)       (B, S, 1)    DrQA's exact-match feature,
                                                                                         on extended ids
    h_i = BiGRU_p([emb(p_i); r_i; m_i])_i                                   (B, S, 2H)   passage states
    s_0 = tanh(W_b [final states of BiGRU_p, both directions; final states of BiGRU_q, both directions])   (B, H)

Decoder (Day 11's, Luong's global attention over the passage states h, no coverage): s_t = GRU(emb(y_{t-1}),
s_{t-1}); a_t = masked softmax(s_t . W_h h); ctx_t = a_t h; P_vocab = softmax(out(tanh(W_o [s_t; ctx_t])));
p_gen = sigmoid(w . [ctx_t; s_t; emb(y_{t-1})] + b); P = mix(P_vocab, a_t, p_gen, passage_ext, n_extra) over
V + n_extra ids. It copies from the passage only (the question is read, never copied from).

With copy=False p_gen is fixed to 1 (the p_gen layer is not even built): a plain attention seq2seq whose answers
can only use the vocabulary (a word outside it can only be written as <unk>) and P puts no mass on ids >= V.

Ids: passage_ext holds extended ids (a passage word outside the vocabulary has id V + k, see
`course_lib.layers.pointer.extended_ids`); the embedding reads them as <unk>. dec_in holds ids < V (copied
words mapped to <unk> by `course_lib.layers.pointer.decoder_inputs`). question holds ids < V (out-of-vocabulary
words as <unk>) -- or, better, extended ids < V + n_extra in the passage's numbering (`QABatch.question_ext`): the
embedding reads them as <unk> too, but the exact-match feature then sees that "hullport" in "was amy born in
hullport ?" is the passage's OOV number V + k, which a question of ids < V cannot say (its <unk> matches
nothing). `course_lib.data.qa.qa_batch` builds all of them.
`forward` runs teacher forcing; `greedy` decodes. Both return Day 11's PointerOutput (final (B, T, V + n_extra),
attentions over the passage (B, T, S), p_gen (B, T)).
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..layers.attention import masked_softmax
from ..layers.pointer import final_distribution
from .pointer_generator import Memory, Mix, PointerGenerator, PointerOutput
from ..validation import check_int



def _check_ids(ids: object, name: str, shape: str) -> torch.Tensor:
    if not isinstance(ids, torch.Tensor) or ids.dtype != torch.long or ids.dim() != 2:
        raise TypeError(f"{name} must be a long tensor {shape}, got "
                        f"{getattr(ids, 'dtype', type(ids).__name__)} {tuple(getattr(ids, 'shape', ()))}")
    if 0 in ids.shape:
        raise ValueError(f"{name} must be {shape} with B >= 1 and at least one position, got {tuple(ids.shape)}")
    return ids


def _check_lengths(lengths: object, ids: torch.Tensor, name: str, of: str) -> torch.Tensor:
    B, S = ids.shape
    if not isinstance(lengths, torch.Tensor) or lengths.dtype not in (torch.long, torch.int32, torch.int64):
        got = getattr(lengths, "dtype", type(lengths).__name__)
        raise TypeError(f"{name} must be an integer tensor ({B},), got {got}")
    if lengths.shape != (B,) or bool((lengths < 1).any()) or int(lengths.max()) > S:
        raise ValueError(f"{name} must be ({B},) with values in [1, {S}] (the width of {of}), got shape "
                         f"{tuple(lengths.shape)} values {lengths.tolist()}")
    return lengths


class QAGenerator(PointerGenerator):
    """See the module docstring. vocab_size V, embed_size E (shared by passage, question and answer words),
    hidden_size H (the decoder's; each encoder has H per direction), copy (the passage may be copied from),
    pad_id, unk_id, mix (the final-distribution function, default Day 11's `final_distribution`), p_gen_bias
    (initial bias of p_gen's logit; negative values start the model copying)."""

    def __init__(self, vocab_size: int, embed_size: int = 64, hidden_size: int = 128, *, copy: bool = True,
                 pad_id: int = 0, unk_id: int = 1, mix: Mix = final_distribution, p_gen_bias: float = 0.0):
        if not isinstance(copy, bool):
            raise TypeError(f"copy must be True or False, got {type(copy).__name__} {copy!r}")
        for name, value in (("pad_id", pad_id), ("unk_id", unk_id)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
        if pad_id == unk_id:
            raise ValueError(f"pad_id and unk_id must differ, got {pad_id} for both")
        if isinstance(p_gen_bias, bool) or not isinstance(p_gen_bias, (int, float)) or not math.isfinite(p_gen_bias):
            raise ValueError(f"p_gen_bias must be a finite number (p_gen's initial logit), got "
                             f"{type(p_gen_bias).__name__} {p_gen_bias!r}")
        if not callable(mix):
            raise TypeError(f"mix must be a function (p_vocab, attention, p_gen, src_ext, n_extra) -> final, got "
                            f"{type(mix).__name__}")
        super().__init__(vocab_size, embed_size, hidden_size, copy=copy, coverage=False, p_gen_bias=p_gen_bias,
                         pad_id=pad_id, unk_id=unk_id, mix=mix)
        E, H = embed_size, hidden_size
        del self.w_c                                       # Day 11's coverage weight: no coverage here
        if not copy:
            del self.gen                                   # p_gen is 1: no layer computes it
        self.question_encoder = nn.GRU(E, H, batch_first=True, bidirectional=True)
        self.w_q = nn.Linear(2 * H, E, bias=False)         # passage word -> question state score
        self.encoder = nn.GRU(E + 2 * H + 1, H, batch_first=True, bidirectional=True)   # replaces Day 11's
        self.bridge = nn.Linear(4 * H, H)                  # passage and question final states -> s_0

    def _check_inputs(self, passage_ext, passage_lengths, question, question_lengths, n_extra) -> None:
        _check_ids(passage_ext, "passage_ext", "(B, S)")
        _check_ids(question, "question", "(B, Q)")
        if question.shape[0] != passage_ext.shape[0]:
            raise ValueError(f"question must have the passage's batch size {passage_ext.shape[0]}, got "
                             f"{tuple(question.shape)}")
        _check_lengths(passage_lengths, passage_ext, "passage_lengths", "passage_ext")
        _check_lengths(question_lengths, question, "question_lengths", "question")
        check_int(n_extra, "n_extra", 0)
        V = self.vocab_size
        if question.device.type != "meta" and not 0 <= int(question.min()) <= int(question.max()) < V + n_extra:
            raise ValueError(f"question ids must be in [0, V + n_extra) = [0, {V + n_extra}) (ids < V, "
                             f"out-of-vocabulary words as unk_id, or the passage's extended ids), got values from "
                             f"{int(question.min())} to {int(question.max())}")
        if (passage_ext.device.type != "meta"
                and not 0 <= int(passage_ext.min()) <= int(passage_ext.max()) < V + n_extra):
            raise ValueError(f"passage_ext ids must be in [0, V + n_extra) = [0, {V + n_extra}), got values from "
                             f"{int(passage_ext.min())} to {int(passage_ext.max())}")

    def encode(self, passage_ext: torch.Tensor, passage_lengths: torch.Tensor, question: torch.Tensor,
               question_lengths: torch.Tensor) -> Memory:
        """passage_ext (B, S) extended ids, passage_lengths (B,), question (B, Q) ids < V or extended ids in the
        passage's numbering, question_lengths (B,) ->
        Memory(passage states (B, S, 2H), keys W_h h (B, S, H), passage mask (B, S), s_0 (1, B, H))."""
        B, S = passage_ext.shape
        Q = question.shape[1]
        device = passage_ext.device
        q_emb = self.embedding(self._unk(question))                                # (B, Q, E)
        packed = pack_padded_sequence(q_emb, question_lengths.cpu(), batch_first=True, enforce_sorted=False)
        q_out, q_final = self.question_encoder(packed)                             # q_final (2, B, H)
        q_states, _ = pad_packed_sequence(q_out, batch_first=True, total_length=Q)  # (B, Q, 2H)
        q_mask = torch.arange(Q, device=device) < question_lengths.to(device).unsqueeze(1)   # (B, Q)

        p_emb = self.embedding(self._unk(passage_ext))                             # (B, S, E)
        scores = p_emb @ self.w_q(q_states).transpose(1, 2)                        # (B, S, Q)
        reads = masked_softmax(scores, q_mask.unsqueeze(1)) @ q_states             # (B, S, 2H)
        known = q_mask & (question != self.unk_id)                                 # (B, Q) real, known words
        match = ((passage_ext.unsqueeze(2) == question.unsqueeze(1)) & known.unsqueeze(1)).any(-1)   # (B, S)
        x = torch.cat([p_emb, reads, match.unsqueeze(-1).to(p_emb.dtype)], dim=-1)   # (B, S, E + 2H + 1)
        packed = pack_padded_sequence(x, passage_lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, p_final = self.encoder(packed)                                        # p_final (2, B, H)
        states, _ = pad_packed_sequence(out, batch_first=True, total_length=S)     # (B, S, 2H)
        mask = torch.arange(S, device=device) < passage_lengths.to(device).unsqueeze(1)   # (B, S)
        s0 = torch.tanh(self.bridge(torch.cat([p_final[0], p_final[1], q_final[0], q_final[1]], dim=-1)))  # (B, H)
        return Memory(states, self.w_h(states), mask, s0.unsqueeze(0))

    def forward(self, passage_ext: torch.Tensor, passage_lengths: torch.Tensor, question: torch.Tensor,
                question_lengths: torch.Tensor, dec_in: torch.Tensor, n_extra: int) -> PointerOutput:
        """Teacher forcing: dec_in (B, T) ids < V, the previous answer tokens (<bos> first) -> PointerOutput(final
        (B, T, V + n_extra), attentions (B, T, S) over the passage, p_gen (B, T))."""
        self._check_inputs(passage_ext, passage_lengths, question, question_lengths, n_extra)
        _check_ids(dec_in, "dec_in", "(B, T)")
        if dec_in.shape[0] != passage_ext.shape[0]:
            raise ValueError(f"dec_in must have the passage's batch size {passage_ext.shape[0]}, got "
                             f"{tuple(dec_in.shape)}")
        if dec_in.device.type != "meta" and not 0 <= int(dec_in.min()) <= int(dec_in.max()) < self.vocab_size:
            raise ValueError(f"dec_in ids must be in [0, V) = [0, {self.vocab_size}), got values from "
                             f"{int(dec_in.min())} to {int(dec_in.max())}; map copied (extended) ids to unk with "
                             f"course_lib.layers.pointer.decoder_inputs")
        memory = self.encode(passage_ext, passage_lengths, question, question_lengths)
        coverage = memory.states.new_zeros(memory.mask.shape)                       # unused: no coverage
        p_vocab, attention, p_gen, _, _ = self._outputs(dec_in, memory.s0, coverage, memory)
        final = self._mix(p_vocab, attention, p_gen, passage_ext, n_extra)          # (B, T, V + n_extra)
        return PointerOutput(final, attention, p_gen.squeeze(-1))

    @torch.no_grad()
    def greedy(self, passage_ext: torch.Tensor, passage_lengths: torch.Tensor, question: torch.Tensor,
               question_lengths: torch.Tensor, n_extra: int, bos_id: int, eos_id: int, max_len: int
               ) -> tuple[torch.Tensor, PointerOutput]:
        """Greedy decoding over the extended vocabulary: each step writes the most probable id (a copied passage
        word included, id >= V), which the next step reads (as <unk> if it is an extended id).

        Returns (tokens (B, max_len) long: each row's ids up to and including its first eos_id, then pad_id;
        PointerOutput of the steps run, final (B, steps, V + n_extra), attentions (B, steps, S), p_gen (B, steps)).
        Decoding stops when every row has written eos_id, or after max_len steps (then a row may have no eos).
        `course_lib.data.qa.decode_answers(tokens, oovs, itos)` turns the tokens into answer strings."""
        self._check_inputs(passage_ext, passage_lengths, question, question_lengths, n_extra)
        for name, value in (("bos_id", bos_id), ("eos_id", eos_id)):
            if not 0 <= check_int(value, name, 0) < self.vocab_size:
                raise ValueError(f"{name} must be an id of the vocabulary, in [0, {self.vocab_size}), got {value}")
        if eos_id in (bos_id, self.pad_id):
            raise ValueError(f"eos_id must differ from bos_id and from pad_id ({self.pad_id}): decoding stops at "
                             f"eos_id; got bos_id {bos_id}, eos_id {eos_id}")
        check_int(max_len, "max_len", 1)
        memory = self.encode(passage_ext, passage_lengths, question, question_lengths)
        B = passage_ext.shape[0]
        device = passage_ext.device
        tokens = torch.full((B, max_len), self.pad_id, dtype=torch.long, device=device)
        state, coverage = memory.s0, memory.states.new_zeros(memory.mask.shape)
        prev = torch.full((B, 1), bos_id, dtype=torch.long, device=device)
        done = torch.zeros(B, dtype=torch.bool, device=device)
        finals, attentions, p_gens = [], [], []
        for t in range(max_len):
            p_vocab, attention, p_gen, state, coverage = self._outputs(prev, state, coverage, memory)
            final = self._mix(p_vocab, attention, p_gen, passage_ext, n_extra)       # (B, 1, V + n_extra)
            prev = final.argmax(dim=-1)                                            # (B, 1)
            tokens[:, t] = prev.squeeze(1).masked_fill(done, self.pad_id)          # pad after a row's eos
            finals.append(final)
            attentions.append(attention)
            p_gens.append(p_gen.squeeze(-1))
            done = done | (prev.squeeze(1) == eos_id)
            if bool(done.all()):
                break
        return tokens, PointerOutput(torch.cat(finals, 1), torch.cat(attentions, 1), torch.cat(p_gens, 1))
