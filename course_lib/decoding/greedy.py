"""Greedy decoding: feed back the most likely token at every step, for any decoder with the seq2seq
interface (`init_state`, `step`; see `course_lib.models.seq2seq`)."""
from __future__ import annotations

from typing import Any

import torch

from ..models.seq2seq import EncoderOutput


@torch.no_grad()
def greedy_decode(decoder: Any, enc: EncoderOutput, bos_id: int, eos_id: int, max_len: int,
                  pad_id: int = 0, with_weights: bool = False):
    """Feed back the arg-max token each step. Returns (B, L) with L <= max_len: each row is the
    generated tokens up to and including <eos>, then <pad>; decoding stops once every row has <eos>.

    with_weights=True (for a decoder with `step_with_weights`, e.g. an attention decoder) also returns
    where it looked: (tokens (B, L), weights (B, L, S)), zero rows after a row's <eos>."""
    if max_len < 1:
        raise ValueError(f"max_len must be >= 1, got {max_len}")
    B = enc.mask.shape[0]
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
