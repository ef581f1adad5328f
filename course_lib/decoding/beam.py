"""Batched beam search with length normalisation, for any decoder with the seq2seq interface
(`init_state`, `step`; see `course_lib.models.seq2seq`).

Finished hypotheses are kept apart from the live beams, as production decoders do: the K live beams are
always K *unfinished* continuations, and a hypothesis that ends with <eos> is moved to a per-example
record of the best finished one (by normalised score), where no live beam can push it out. The answer is
never worse than a finished hypothesis the search held."""
from __future__ import annotations

import numbers
from typing import Any

import torch

from ..models.seq2seq import EncoderOutput, map_state, repeat_encoder_output


def beam_search_step(scores: torch.Tensor, log_probs: torch.Tensor, eos_id: int
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """One step of batched beam search over K live (unfinished) beams per example.

    scores (B, K): the live beams' summed log-probabilities (-inf for an unused slot);
    log_probs (B, K, V): this step's log-probabilities.
    Every beam is extended by every token: K * V candidates per example, each scored
    scores[b, k] + log_probs[b, k, v] and ranked best first; exact ties go to the lower flat index
    k * V + v (so with K = 1, the lowest token id, as argmax does).
    Returns
      scores (B, K), parent (B, K) long, token (B, K) long: the K best candidates whose token is not
          `eos_id`, best first: the new live beams;
      ended (B, K): ended[b, k] is the score of beam k followed by <eos> when that candidate ranks among
          the K best of example b (it ends a hypothesis the search keeps), otherwise -inf."""
    B, K, V = log_probs.shape
    if V < 2:
        raise ValueError(f"beam_search_step needs a vocabulary of at least 2 tokens, got V = {V}")
    candidates = (scores.unsqueeze(-1) + log_probs).reshape(B, K * V)         # (B, K*V)
    order = torch.sort(candidates, dim=1, descending=True, stable=True).indices  # best first, ties: low index
    live = order[order % V != eos_id].reshape(B, K * V - K)[:, :K]           # exactly K <eos> per row
    rank = torch.empty_like(order).scatter_(1, order, torch.arange(K * V, device=order.device).expand(B, -1))
    eos_rank = rank.reshape(B, K, V)[:, :, eos_id]                            # (B, K)
    eos_score = scores + log_probs[:, :, eos_id]
    ended = torch.where(eos_rank < K, eos_score, torch.full_like(eos_score, float("-inf")))
    return candidates.gather(1, live), live // V, live % V, ended


def length_normalised(scores: torch.Tensor, lengths: torch.Tensor, alpha: float) -> torch.Tensor:
    """score / length ** alpha (alpha = 0: raw sum of log-probabilities; alpha = 1: mean per token)."""
    return scores / lengths.clamp(min=1).to(scores.dtype) ** alpha


def _check_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= 1, got {value!r} ({type(value).__name__})")
    if value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value}")
    return int(value)


@torch.no_grad()
def beam_search(decoder: Any, enc: EncoderOutput, bos_id: int, eos_id: int, beam_width: int, max_len: int,
                alpha: float = 1.0, pad_id: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Batched beam search. Keeps `beam_width` live (unfinished) hypotheses per example, ranked by summed
    log-probability (exact ties: lowest beam, then lowest token id first). A hypothesis that ends with
    <eos> while ranking among the `beam_width` best candidates of its step is set aside as finished; a live
    one still running after `max_len` tokens ends there (cut). The answer is the finished (or cut)
    hypothesis with the best length-normalised score, score / length ** alpha (alpha >= 0; length counts
    <eos>); between equal scores the one found first wins. An example stops once no live beam can still
    beat its best finished one (a live beam's summed log-probability only falls, so it can reach at most
    score / max_len ** alpha); with beam_width 1 it stops at its first <eos>, as greedy decoding does.

    Returns (tokens (B, L) as greedy_decode returns them: up to and including <eos>, then <pad>;
    normalised score (B,)). With beam_width 1 it gives greedy decoding's tokens."""
    beam_width = _check_int("beam_width", beam_width)
    max_len = _check_int("max_len", max_len)
    if not alpha >= 0:                                                       # also refuses NaN
        raise ValueError(f"alpha must be >= 0 (0: raw sum, 1: mean per token), got {alpha}")
    B, K = enc.mask.shape[0], beam_width
    device = enc.mask.device
    enc_k = repeat_encoder_output(enc, K)
    state = decoder.init_state(enc_k)
    scores = None
    history = torch.zeros(B, K, 0, dtype=torch.long, device=device)
    prev = torch.full((B * K,), bos_id, dtype=torch.long, device=device)
    offset = torch.arange(B, device=device).unsqueeze(1) * K                 # (B, 1)
    best_tokens = torch.full((B, max_len), pad_id, dtype=torch.long, device=device)
    best_length = torch.zeros(B, dtype=torch.long, device=device)
    n_finished = torch.zeros(B, dtype=torch.long, device=device)
    done = torch.zeros(B, dtype=torch.bool, device=device)
    rows_b = torch.arange(B, device=device)
    for t in range(1, max_len + 1):
        logits, state = decoder.step(prev, state, enc_k)                     # (B*K, V)
        if not logits.is_floating_point() or logits.dtype in (torch.float16, torch.bfloat16):
            logits = logits.float()
        log_probs = torch.log_softmax(logits, dim=-1).reshape(B, K, -1)
        if scores is None:                                                   # one live beam to start
            scores = torch.full((B, K), float("-inf"), dtype=log_probs.dtype, device=device)
            scores[:, 0] = 0.0
            best = torch.full((B,), float("-inf"), dtype=log_probs.dtype, device=device)
        scores, parent, token, ended = beam_search_step(scores, log_probs, eos_id)
        # set the hypotheses that just ended aside (examples already stopped take no more)
        ended = ended.masked_fill(done.unsqueeze(1), float("-inf"))
        n_finished += torch.isfinite(ended).sum(dim=1)
        norm = length_normalised(ended, torch.full_like(parent, t), alpha)
        k_best = norm.argmax(dim=1)                                          # (B,) first among equals
        cand = norm[rows_b, k_best]
        better = cand > best
        if bool(better.any()):
            seq = torch.cat([history[rows_b, k_best], torch.full((B, 1), eos_id, dtype=torch.long,
                                                                  device=device)], dim=1)       # (B, t)
            best_tokens[better, :t] = seq[better]
            best_tokens[better, t:] = pad_id
            best_length[better] = t
            best = torch.where(better, cand, best)
        rows = (parent + offset).reshape(-1)                                 # (B*K,) rows to keep
        state = map_state(lambda s: s.index_select(1, rows), state)
        history = torch.cat([history.gather(1, parent.unsqueeze(-1).expand_as(history)), token.unsqueeze(-1)], 2)
        prev = token.reshape(-1)
        hope = scores.max(dim=1).values / float(max_len) ** alpha
        done = done | (best >= hope)
        if K == 1:                                   # greedy decoding stops at its first <eos>
            done = done | (n_finished > 0)
        if bool(done.all()):
            break
    if not bool(done.all()):                         # ran max_len steps: live beams end there, cut
        norm = length_normalised(scores, torch.full_like(parent, max_len), alpha).masked_fill(
            done.unsqueeze(1), float("-inf"))
        k_best = norm.argmax(dim=1)
        cand = norm[rows_b, k_best]
        better = cand > best
        best_tokens[better] = history[rows_b, k_best][better]
        best_length[better] = max_len
        best = torch.where(better, cand, best)
    longest = int(best_length.max())                                         # drop columns all <pad>
    return best_tokens[:, :longest], best
