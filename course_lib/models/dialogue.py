"""A small persona / context dialogue model for Day 12: predict the next turn of a scene from the previous
turns (a hierarchical encoder, HRED: Serban et al. 2016) and from who speaks (a speaker embedding, Li et al.
2016, plus attention over the speaker's own earlier lines).

Inputs (built by `dialogue_batch` from `course_lib.data.dialogue.DialogueExample`s):

    context (B, N, L) long, context_lengths (B, N) long    the previous turns (>= 1 real turn per row)
    persona (B, M, L) long, persona_lengths (B, M) long    the speaker's earlier lines (a row may have none)
    speaker (B,) long                                      speaker id (0 = unknown speaker)
    dec_in (B, T) long = <bos> y_1 .. y_{T-1};  targets (B, T) = y_1 .. y_T (<eos> last);  mask (B, T) bool

Model, with the two exercise functions passed in (`encode` = encode_dialogues, `attend` = dual_attention_step;
Day 12 passes the student's own, defaults are course_lib.layers.hierarchical's):

    context_states, turn_mask, _ = encode(context, ...)            (B, N, H), (B, N)
    _, _, persona_vectors = encode(persona, ...)                   (B, M, H)   same utterance encoder
    s_0 = tanh(W_b c_last)  (the last real context state)          (1, B, H)
    s_t = GRU([emb(y_{t-1}); spk(speaker)], s_{t-1})               (B, H)
    mixed_t, a_t, b_t = attend(W_q s_t, context_states, turn_mask, persona_vectors, persona_mask)   (B, 2H)
    logits_t = out(tanh(W_o [s_t; mixed_t]))                       (B, V)

Switches (same parameters in every variant, so the variants compare inputs, not sizes):
- use_context=False: the context mask is all False (the context vector is 0) and s_0 = 0;
- use_persona=False: the persona mask is all False and the speaker embedding input is 0 (row 0).
With both off the model is a language model of single turns.

With teacher forcing the decoder GRU runs over all T steps in one call (its states do not read the attention),
and `attend` is called once, on the B * T steps as one batch of queries (context and persona repeated T times);
`generate` calls it once per step.

The persona encoder runs the same `encode` function: a row without any earlier line gets one dummy turn of
length 1 for the encoder (encode needs a real turn), which the persona mask then hides.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import torch
from torch import nn

from ..layers.hierarchical import dual_attention_step, encode_dialogues

__all__ = ["DialogueBatch", "DialogueOutput", "DialogueModel", "dialogue_batch"]


class DialogueBatch(NamedTuple):
    context: torch.Tensor
    context_lengths: torch.Tensor
    persona: torch.Tensor
    persona_lengths: torch.Tensor
    speaker: torch.Tensor
    dec_in: torch.Tensor
    targets: torch.Tensor
    mask: torch.Tensor

    def to(self, device: torch.device | str) -> "DialogueBatch":
        return DialogueBatch(*(x.to(device) for x in self))


class DialogueOutput(NamedTuple):
    """logits (B, T, V); context_weights (B, T, N); persona_weights (B, T, M)."""
    logits: torch.Tensor
    context_weights: torch.Tensor
    persona_weights: torch.Tensor


def _pad_turns(rows: Sequence[Sequence[Sequence[int]]], pad_id: int, min_turns: int = 1
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """B lists of turns (lists of ids) -> (ids (B, N, L), lengths (B, N)), N and L at least 1."""
    N = max([min_turns] + [len(r) for r in rows])
    L = max([1] + [len(t) for r in rows for t in r])
    ids = torch.full((len(rows), N, L), pad_id, dtype=torch.long)
    lengths = torch.zeros(len(rows), N, dtype=torch.long)
    for b, row in enumerate(rows):
        for n, turn in enumerate(row):
            ids[b, n, :len(turn)] = torch.tensor(turn, dtype=torch.long)
            lengths[b, n] = len(turn)
    return ids, lengths


def dialogue_batch(examples: Sequence, stoi: dict[str, int], speaker_ids: dict[tuple[str, str], int], *,
                   pad_id: int = 0, unk_id: int = 1, bos_id: int = 2, eos_id: int = 3) -> DialogueBatch:
    """DialogueExamples -> DialogueBatch. Words not in stoi read as unk_id; speakers not in speaker_ids as 0.
    Empty turns are not expected (the reader drops them); the reply gets <bos> before and <eos> after."""
    if not examples:
        raise ValueError("dialogue_batch: need at least one example")
    if not isinstance(stoi, dict) or not isinstance(speaker_ids, dict):
        raise TypeError(f"dialogue_batch: stoi and speaker_ids must be dicts, got {type(stoi).__name__} and "
                        f"{type(speaker_ids).__name__}")
    if len({pad_id, unk_id, bos_id, eos_id}) != 4:
        raise ValueError(f"dialogue_batch: pad, unk, bos and eos need four different ids, got {pad_id}, {unk_id}, "
                         f"{bos_id}, {eos_id}")

    def tokens_ok(x: object) -> bool:
        return isinstance(x, list) and all(isinstance(w, str) for w in x)

    for k, e in enumerate(examples):
        if not all(hasattr(e, f) for f in ("context", "speaker", "persona", "reply")):
            raise TypeError(f"dialogue_batch: example {k} must be a DialogueExample, got {type(e).__name__}")
        if not (tokens_ok(e.reply) and isinstance(e.context, list) and all(tokens_ok(t) for t in e.context)
                and isinstance(e.persona, list) and all(tokens_ok(t) for t in e.persona)):
            raise TypeError(f"dialogue_batch: example {k} needs reply as a list of str tokens and context / persona as "
                            f"lists of such turns, got reply {e.reply!r:.60}, context {e.context!r:.60}")
    ids = lambda tokens: [stoi.get(w, unk_id) for w in tokens]   # noqa: E731
    context, context_lengths = _pad_turns([[ids(t) for t in e.context] for e in examples], pad_id)
    persona, persona_lengths = _pad_turns([[ids(t) for t in e.persona] for e in examples], pad_id)
    replies = [ids(e.reply) for e in examples]
    T = max(len(r) for r in replies) + 1
    dec_in = torch.full((len(examples), T), pad_id, dtype=torch.long)
    targets = torch.full((len(examples), T), pad_id, dtype=torch.long)
    for b, r in enumerate(replies):
        dec_in[b, :len(r) + 1] = torch.tensor([bos_id] + r, dtype=torch.long)
        targets[b, :len(r) + 1] = torch.tensor(r + [eos_id], dtype=torch.long)
    mask = torch.arange(T) < torch.tensor([len(r) + 1 for r in replies]).unsqueeze(1)   # (B, T)
    speaker = torch.tensor([speaker_ids.get(tuple(e.speaker), 0) for e in examples], dtype=torch.long)
    return DialogueBatch(context, context_lengths, persona, persona_lengths, speaker, dec_in, targets, mask)


class DialogueModel(nn.Module):
    """See the module docstring. vocab_size V, num_speakers S (id 0 = unknown), embed_size E, hidden_size H."""

    def __init__(self, vocab_size: int, num_speakers: int, embed_size: int = 64, hidden_size: int = 128, *,
                 use_context: bool = True, use_persona: bool = True, pad_id: int = 0,
                 encode: Callable = encode_dialogues, attend: Callable = dual_attention_step):
        super().__init__()
        for name, value in (("vocab_size", vocab_size), ("num_speakers", num_speakers), ("embed_size", embed_size),
                            ("hidden_size", hidden_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if isinstance(pad_id, bool) or not isinstance(pad_id, int) or not 0 <= pad_id < vocab_size:
            raise ValueError(f"pad_id must be an int in [0, {vocab_size}), got {pad_id!r}")
        if not isinstance(use_context, bool) or not isinstance(use_persona, bool):
            raise TypeError(f"use_context and use_persona must be True or False, got {use_context!r} and "
                            f"{use_persona!r}")
        if not callable(encode) or not callable(attend):
            raise TypeError(f"encode and attend must be functions, got {type(encode).__name__} and "
                            f"{type(attend).__name__}")
        E, H = embed_size, hidden_size
        self.vocab_size, self.pad_id = vocab_size, pad_id
        self.use_context, self.use_persona = use_context, use_persona
        self.encode, self.attend = encode, attend
        self.embedding = nn.Embedding(vocab_size, E, padding_idx=pad_id)
        self.speakers = nn.Embedding(num_speakers, E, padding_idx=0)
        self.utterance_encoder = nn.GRU(E, H, batch_first=True)
        self.context_encoder = nn.GRU(H, H, batch_first=True)
        self.bridge = nn.Linear(H, H)
        self.decoder = nn.GRU(2 * E, H, batch_first=True)
        self.w_q = nn.Linear(H, H, bias=False)
        self.combine = nn.Linear(3 * H, H)
        self.out = nn.Linear(H, vocab_size)
        # Every path from the context and the persona starts at zero (s_0, the columns of W_o that read the
        # attention vectors, the speaker embeddings): at initialisation the three variants are the same turn
        # language model, and the context and persona can only change the output as far as training finds them
        # useful. (With random initial weights these inputs are noise that a short training run must first
        # learn to undo.)
        nn.init.zeros_(self.bridge.weight)
        nn.init.zeros_(self.bridge.bias)
        nn.init.zeros_(self.speakers.weight)
        with torch.no_grad():
            self.combine.weight[:, H:].zero_()

    def memory(self, batch: DialogueBatch) -> tuple[torch.Tensor, ...]:
        """(context_states (B, N, H), context_mask (B, N), persona_vectors (B, M, H), persona_mask (B, M),
        speaker input (B, E), s0 (1, B, H)), with the switches applied."""
        states, turn_mask, _ = self.encode(batch.context, batch.context_lengths, self.utterance_encoder,
                                           self.context_encoder, self.embedding)     # (B, N, H), (B, N)
        B = states.shape[0]
        persona_mask = batch.persona_lengths > 0                                     # (B, M)
        lengths = batch.persona_lengths.clone()
        lengths[:, 0] = lengths[:, 0].clamp(min=1)                                   # a dummy turn where none
        _, _, persona = self.encode(batch.persona, lengths, self.utterance_encoder, self.context_encoder,
                                    self.embedding)                                  # (B, M, H)
        last = states[torch.arange(B, device=states.device), turn_mask.sum(1) - 1]   # (B, H)
        s0 = torch.tanh(self.bridge(last)).unsqueeze(0)                              # (1, B, H)
        speaker = self.speakers(batch.speaker)                                       # (B, E)
        if not self.use_context:
            turn_mask, s0 = torch.zeros_like(turn_mask), torch.zeros_like(s0)
        if not self.use_persona:
            persona_mask, speaker = torch.zeros_like(persona_mask), torch.zeros_like(speaker)
        return states, turn_mask, persona, persona_mask, speaker, s0

    def _logits(self, s: torch.Tensor, memory: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
        states, turn_mask, persona, persona_mask = memory[:4]
        mixed, cw, pw = self.attend(self.w_q(s), states, turn_mask, persona, persona_mask)   # (B, 2H)
        return self.out(torch.tanh(self.combine(torch.cat([s, mixed], dim=-1)))), cw, pw   # (B, V)

    def forward(self, batch: DialogueBatch) -> DialogueOutput:
        """Teacher forcing over batch.dec_in (B, T) -> DialogueOutput."""
        memory = self.memory(batch)
        speaker, s0 = memory[4], memory[5]
        T = batch.dec_in.shape[1]
        inputs = torch.cat([self.embedding(batch.dec_in), speaker.unsqueeze(1).expand(-1, T, -1)], dim=-1)  # (B, T, 2E)
        outputs, _ = self.decoder(inputs, s0)                                        # (B, T, H)
        B, H = outputs.shape[0], outputs.shape[2]
        # the T steps of all B replies as one batch of B*T queries: one call of `attend` instead of T
        flat = tuple(x.repeat_interleave(T, dim=0) for x in memory[:4])             # (B*T, N, H), (B*T, N), ...
        logits, cw, pw = self._logits(outputs.reshape(B * T, H), flat)              # (B*T, V), (B*T, N), (B*T, M)
        return DialogueOutput(logits.reshape(B, T, -1), cw.reshape(B, T, -1), pw.reshape(B, T, -1))

    @torch.no_grad()
    def generate(self, batch: DialogueBatch, bos_id: int, eos_id: int, max_len: int, *, sample: bool = False,
                 temperature: float = 1.0, generator: torch.Generator | None = None) -> list[list[int]]:
        """Greedy (or sampled, at `temperature`) replies: B lists of ids, without <bos> and cut before <eos>.
        The pad id is never produced."""
        if isinstance(max_len, bool) or not isinstance(max_len, int) or max_len < 1:
            raise ValueError(f"generate: max_len must be an int >= 1, got {max_len!r}")
        if not temperature > 0:
            raise ValueError(f"generate: temperature must be > 0, got {temperature!r}")
        for name, value in (("bos_id", bos_id), ("eos_id", eos_id)):
            if not 0 <= value < self.vocab_size or value == self.pad_id:
                raise ValueError(f"generate: {name} must be a vocabulary id other than pad ({self.pad_id}), in "
                                 f"[0, {self.vocab_size}), got {value}")
        memory = self.memory(batch)
        speaker, state = memory[4], memory[5]
        B = speaker.shape[0]
        prev = torch.full((B,), bos_id, dtype=torch.long, device=speaker.device)
        done = torch.zeros(B, dtype=torch.bool, device=speaker.device)
        replies: list[list[int]] = [[] for _ in range(B)]
        for _ in range(max_len):
            step_in = torch.cat([self.embedding(prev), speaker], dim=-1).unsqueeze(1)   # (B, 1, 2E)
            out, state = self.decoder(step_in, state)
            logits = self._logits(out[:, 0], memory)[0]                                  # (B, V)
            logits[:, self.pad_id] = float("-inf")
            if sample:
                probs = torch.softmax(logits / temperature, dim=-1)
                prev = torch.multinomial(probs.cpu(), 1, generator=generator).squeeze(1).to(logits.device)
            else:
                prev = logits.argmax(dim=-1)
            for b in range(B):
                if not done[b]:
                    if int(prev[b]) == eos_id:
                        done[b] = True
                    else:
                        replies[b].append(int(prev[b]))
            if bool(done.all()):
                break
        return replies
