"""Batched beam search with length normalisation, for any decoder with the seq2seq interface
(`init_state`, `step`; see `course_lib.models.seq2seq`)."""
from __future__ import annotations

from typing import Any

import torch

from ..models.seq2seq import EncoderOutput, map_state, repeat_encoder_output


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
    B, K = enc.mask.shape[0], beam_width
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
