"""Hierarchical dialogue encoding (Serban et al. 2016, HRED) and the dual-attention decoder step of a persona
model: the references of Day 12's exercises.

A batch of B dialogues, each of up to N turns of up to L tokens:

    tokens        (B, N, L) long   token ids; padded tokens and padded turns hold any id (usually pad)
    turn_lengths  (B, N)    long   real tokens of each turn; 0 = a padded turn. A dialogue's real turns come
                                   first (its padded turns after them) and every dialogue has >= 1 real turn.

- `dialogue_masks(turn_lengths, max_len)` -> token_mask (B, N, L) bool, turn_mask (B, N) bool, num_turns (B,)
- `encode_dialogues(tokens, turn_lengths, utterance_encoder, context_encoder, embedding)`: the utterance
  encoder (a batch_first nn.GRU, E -> H) reads every real turn, packed by its length, so padded tokens never
  enter a state; a turn's vector is the GRU's final state (B, N, H), zeros for a padded turn. The context
  encoder (a batch_first nn.GRU, H -> H_c) reads each dialogue's turn vectors, packed by its number of real
  turns; its outputs are the context states (B, N, H_c), zeros at padded turns.
  Returns (context_states (B, N, H_c), turn_mask (B, N) bool, utterance_vectors (B, N, H)).
- `dual_attention_step(query, context, context_mask, persona, persona_mask)`: one decoder step's two
  masked dot-product attentions, over the context turns (B, N, H) and over the speaker's own earlier lines
  (B, M, H); query (B, H). Returns (mixed (B, 2H) = [context vector; persona vector], context_weights (B, N),
  persona_weights (B, M)). Masked positions get weight exactly 0; a row with no real position (a speaker with
  no earlier line) gets all-zero weights and a zero vector, never NaN (in the value or the gradient).
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

__all__ = ["dialogue_masks", "encode_dialogues", "masked_dot_attention", "dual_attention_step"]


def _check_lengths(turn_lengths: torch.Tensor, max_len: int | None, name: str) -> None:
    if not isinstance(turn_lengths, torch.Tensor) or turn_lengths.dim() != 2 or turn_lengths.dtype != torch.long:
        raise ValueError(f"{name}: turn_lengths must be a (B, N) long tensor, got "
                         f"{getattr(turn_lengths, 'dtype', type(turn_lengths).__name__)} of shape "
                         f"{tuple(getattr(turn_lengths, 'shape', ()))}")
    if turn_lengths.device.type == "meta":                                          # shapes only, no values
        return
    if turn_lengths.numel() and int(turn_lengths.min()) < 0:
        raise ValueError(f"{name}: turn_lengths must be >= 0, got a minimum of {int(turn_lengths.min())}")
    if max_len is not None and turn_lengths.numel() and int(turn_lengths.max()) > max_len:
        raise ValueError(f"{name}: turn_lengths must be <= L = {max_len}, got a maximum of {int(turn_lengths.max())}")


def dialogue_masks(turn_lengths: torch.Tensor, max_len: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """turn_lengths (B, N) long, max_len L -> (token_mask (B, N, L) bool: position l of turn n is a real token,
    turn_mask (B, N) bool: turn n is real (length > 0), num_turns (B,) long: real turns per dialogue).
    Only the lengths' range is checked here; encode_dialogues also checks that real turns come first and that
    every dialogue has one."""
    if isinstance(max_len, bool) or not isinstance(max_len, int) or max_len < 0:
        raise ValueError(f"dialogue_masks: max_len must be an int >= 0 (L, the token axis), got {max_len!r}")
    _check_lengths(turn_lengths, max_len, "dialogue_masks")
    positions = torch.arange(max_len, device=turn_lengths.device)                   # (L,)
    token_mask = positions < turn_lengths.unsqueeze(-1)                              # (B, N, L)
    turn_mask = turn_lengths > 0                                                     # (B, N)
    return token_mask, turn_mask, turn_mask.sum(dim=1)


def encode_dialogues(tokens: torch.Tensor, turn_lengths: torch.Tensor, utterance_encoder: nn.GRU,
                     context_encoder: nn.GRU, embedding: nn.Embedding
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """See the module docstring. tokens (B, N, L) long, turn_lengths (B, N) long -> (context_states (B, N, H_c),
    turn_mask (B, N) bool, utterance_vectors (B, N, H))."""
    if not isinstance(tokens, torch.Tensor) or tokens.dim() != 3 or tokens.dtype != torch.long:
        raise ValueError(f"encode_dialogues: tokens must be a (B, N, L) long tensor, got "
                         f"{getattr(tokens, 'dtype', type(tokens).__name__)} of shape {tuple(getattr(tokens, 'shape', ()))}")
    _check_lengths(turn_lengths, tokens.shape[2], "encode_dialogues")
    for name, module in (("utterance_encoder", utterance_encoder), ("context_encoder", context_encoder)):
        if not isinstance(module, nn.GRU) or module.bidirectional or not module.batch_first:
            raise ValueError(f"encode_dialogues: {name} must be a unidirectional nn.GRU with batch_first=True, got "
                             f"{module!r}")
    if not isinstance(embedding, nn.Embedding):
        raise ValueError(f"encode_dialogues: embedding must be an nn.Embedding, got {type(embedding).__name__}")
    if tokens.shape[0] == 0 or tokens.shape[1] == 0:
        raise ValueError(f"encode_dialogues: need at least one dialogue and one turn, got tokens of shape "
                         f"{tuple(tokens.shape)}")
    if tokens.numel() and int(tokens.max()) >= embedding.num_embeddings:
        raise ValueError(f"encode_dialogues: token ids must be < the embedding's {embedding.num_embeddings} rows, got "
                         f"a maximum of {int(tokens.max())}")
    if turn_lengths.shape != tokens.shape[:2]:
        raise ValueError(f"encode_dialogues: turn_lengths must be (B, N) = {tuple(tokens.shape[:2])}, got "
                         f"{tuple(turn_lengths.shape)}")
    B, N, L = tokens.shape
    _, turn_mask, num_turns = dialogue_masks(turn_lengths, L)
    if B and int(num_turns.min()) < 1:
        raise ValueError(f"encode_dialogues: every dialogue needs at least one real turn; dialogues "
                         f"{torch.nonzero(num_turns == 0).flatten().tolist()} have none")
    if bool((turn_mask[:, 1:] & ~turn_mask[:, :-1]).any()):
        raise ValueError("encode_dialogues: a dialogue's real turns must come first (a padded turn, length 0, "
                         "is followed by a real one)")
    H = utterance_encoder.hidden_size
    flat = tokens.reshape(B * N, L)                                                  # (B*N, L)
    flat_lengths = turn_lengths.reshape(B * N)                                       # (B*N,)
    real = flat_lengths > 0
    embedded = embedding(flat[real])                                                 # (R, L, E), R real turns
    packed = pack_padded_sequence(embedded, flat_lengths[real].cpu(), batch_first=True, enforce_sorted=False)
    _, last = utterance_encoder(packed)                                              # (1, R, H)
    vectors = last[-1].new_zeros(B * N, H).index_copy(0, torch.nonzero(real).flatten(), last[-1])   # (B*N, H)
    utterance_vectors = vectors.reshape(B, N, H)                                     # (B, N, H)
    packed = pack_padded_sequence(utterance_vectors, num_turns.cpu(), batch_first=True, enforce_sorted=False)
    states, _ = context_encoder(packed)
    context_states, _ = pad_packed_sequence(states, batch_first=True, total_length=N)   # (B, N, H_c)
    return context_states, turn_mask, utterance_vectors


def masked_dot_attention(query: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor
                         ) -> tuple[torch.Tensor, torch.Tensor]:
    """query (B, H), keys (B, S, H), mask (B, S) bool -> (vector (B, H), weights (B, S)): softmax of q . k over
    the real positions (exactly 0 elsewhere; all zeros, not NaN, in a row with none) and the weighted sum."""
    if not isinstance(query, torch.Tensor) or not isinstance(keys, torch.Tensor) or not isinstance(mask, torch.Tensor):
        raise TypeError(f"masked_dot_attention: query, keys and mask must be tensors, got {type(query).__name__}, "
                        f"{type(keys).__name__}, {type(mask).__name__}")
    if query.dim() != 2 or keys.dim() != 3 or keys.shape[0] != query.shape[0] or keys.shape[2] != query.shape[1]:
        raise ValueError(f"masked_dot_attention: need query (B, H) and keys (B, S, H), got {tuple(query.shape)} "
                         f"and {tuple(keys.shape)}")
    if mask.dtype != torch.bool or mask.shape != keys.shape[:2]:
        raise ValueError(f"masked_dot_attention: mask must be bool (B, S) = {tuple(keys.shape[:2])}, got "
                         f"{mask.dtype} {tuple(mask.shape)}")
    if not query.is_floating_point() or query.dtype != keys.dtype:
        raise TypeError(f"masked_dot_attention: query and keys must be float tensors of one dtype, got {query.dtype} "
                        f"and {keys.dtype}")
    scores = (keys @ query.unsqueeze(-1)).squeeze(-1)                                # (B, S)
    scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)               # finite: no NaN gradient
    weights = torch.softmax(scores, dim=-1) * mask                                   # all-padding row -> zeros
    vector = (weights.unsqueeze(1) @ keys).squeeze(1)                                # (B, H)
    return vector, weights


def dual_attention_step(query: torch.Tensor, context: torch.Tensor, context_mask: torch.Tensor,
                        persona: torch.Tensor, persona_mask: torch.Tensor
                        ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """query (B, H); context (B, N, H), context_mask (B, N) bool; persona (B, M, H), persona_mask (B, M) bool ->
    (mixed (B, 2H) = [context vector; persona vector], context_weights (B, N), persona_weights (B, M))."""
    context_vector, context_weights = masked_dot_attention(query, context, context_mask)    # (B, H), (B, N)
    persona_vector, persona_weights = masked_dot_attention(query, persona, persona_mask)    # (B, H), (B, M)
    return torch.cat([context_vector, persona_vector], dim=-1), context_weights, persona_weights   # (B, 2H)
