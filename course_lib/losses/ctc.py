"""Connectionist temporal classification (Graves et al. 2006) from scratch: the forward (alpha) recursion in log
space and the CTC negative log-likelihood, equal to torch's F.ctc_loss / nn.CTCLoss.

CTC scores a label sequence (e.g. the digits 4 2 2) against T frames of per-class log-probabilities without an
alignment: it sums the probabilities of every frame-level path that reads as the labels once repeats are merged
and blanks dropped ("_44_2_2" -> "4 2 2"; a repeated label needs a blank between its copies). The paths are
counted by dynamic programming over the blank-extended target z = (blank, l1, blank, l2, ..., lL, blank), 2L + 1
states:

    alpha[0, 0] = y[0, blank],  alpha[0, 1] = y[0, l1],  alpha[0, s >= 2] = -inf
    alpha[t, s] = logsumexp(alpha[t-1, s], alpha[t-1, s-1], alpha[t-1, s-2] if z[s] != blank and z[s] != z[s-2])
                  + y[t, z[s]]
    log p(l | y) = logsumexp(alpha[T-1, 2L], alpha[T-1, 2L-1])   (just alpha[T-1, 0] when L = 0)

A target of length L with r adjacent repeats needs T >= L + r frames (not 2L + 1); shorter inputs have no path:
the loss is +inf (0, with zero gradient, under zero_infinity=True).

Shapes (torch's convention): log_probs (T, N, C) (frames, batch, classes; log_softmax over C), targets (N, S)
padded, input_lengths (N,), target_lengths (N,); the blank is class `blank` (0 on Day 13).

Like F.ctc_loss, nothing checks that log_probs are normalised log-probabilities: probabilities (or logits)
passed by mistake give a number, not an error.

Gradients: everything is differentiable by autograd through a logsumexp that is safe when all its terms are -inf
(`_log_add`: torch.logsumexp's gradient is NaN there). So infeasible targets get zero gradients, also without
zero_infinity (torch's own backward gives NaN then); feasible ones get torch's gradients (tested in float64).
"""
from __future__ import annotations

import numbers
from collections.abc import Sequence

import torch

REDUCTIONS = ("none", "mean", "sum")


def _log_add(*terms: torch.Tensor) -> torch.Tensor:
    """Elementwise log(sum(exp(terms))), with -inf (and a zero gradient) where every term is -inf.

    torch.logsumexp over all -inf returns -inf but a NaN gradient (exp(-inf - (-inf))); here the maximum is
    replaced by 0 where it is not finite, and log is taken of the sum only where the sum is positive."""
    stacked = torch.stack(torch.broadcast_tensors(*terms))                     # (K, ...)
    top = stacked.detach().amax(dim=0)                                         # (...)
    top = torch.where(torch.isfinite(top), top, torch.zeros_like(top))
    total = torch.exp(stacked - top).sum(dim=0)                                # (...)
    positive = total > 0
    safe = torch.where(positive, total, torch.ones_like(total))
    return torch.where(positive, torch.log(safe) + top, torch.full_like(total, float("-inf")))


def _extend(targets: torch.Tensor, target_lengths: torch.Tensor, blank: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The blank-extended targets z (N, 2S + 1) (padding beyond a target's length reads as blank) and where a
    state may be entered from two states back (N, 2S + 1): z[s] != blank and z[s] != z[s - 2]."""
    n, s = targets.shape
    real = torch.arange(s, device=targets.device)[None, :] < target_lengths[:, None]      # (N, S)
    labels = torch.where(real, targets, torch.full_like(targets, blank))                   # (N, S)
    extended = torch.full((n, 2 * s + 1), blank, dtype=torch.long, device=targets.device)  # (N, 2S + 1)
    extended[:, 1::2] = labels
    skip = torch.zeros_like(extended, dtype=torch.bool)                                    # (N, 2S + 1)
    skip[:, 2:] = (extended[:, 2:] != blank) & (extended[:, 2:] != extended[:, :-2])
    return extended, skip


def _alphas(log_probs: torch.Tensor, extended: torch.Tensor, skip: torch.Tensor, input_lengths: torch.Tensor,
            history: bool) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Run the recursion over (T, N, C) log-probabilities. Returns alpha at each utterance's last frame
    (N, 2S + 1) (frozen once t reaches input_lengths[n]; before frame 0 it is log 1 in state 0 only) and, if
    `history`, the list of alpha[t] (N, 2S + 1) for every t."""
    t_max, n, _ = log_probs.shape
    emit = log_probs.gather(2, extended[None].expand(t_max, -1, -1))                   # (T, N, 2S + 1)
    minus_inf = torch.full((n, 1), float("-inf"), dtype=log_probs.dtype, device=log_probs.device)
    alpha = torch.cat([torch.zeros_like(minus_inf), minus_inf.expand(n, extended.shape[1] - 1)], dim=1)
    frames = []
    for t in range(t_max):
        stay = alpha                                                                   # (N, 2S + 1)
        step = torch.cat([minus_inf, alpha[:, :-1]], dim=1)                            # from s - 1
        jump = torch.cat([minus_inf, minus_inf, alpha[:, :-2]], dim=1)[:, : alpha.shape[1]]   # from s - 2
        jump = torch.where(skip, jump, torch.full_like(jump, float("-inf")))
        new = _log_add(stay, step, jump) + emit[t]                                     # (N, 2S + 1)
        alpha = torch.where((t < input_lengths)[:, None], new, alpha)
        if history:
            frames.append(new)
    return alpha, frames


def _check_log_probs(log_probs: object, dims: int, shape: str) -> None:
    if not isinstance(log_probs, torch.Tensor):
        raise TypeError(f"log_probs must be a tensor {shape}, got {type(log_probs).__name__}")
    if not log_probs.is_floating_point():
        raise TypeError(f"log_probs must be floating point (log_softmax outputs), got dtype {log_probs.dtype}")
    if log_probs.dim() != dims:
        raise ValueError(f"log_probs must have shape {shape}, got {tuple(log_probs.shape)}")
    if torch.isnan(log_probs).any() or (log_probs == float("inf")).any():
        raise ValueError("log_probs must not hold NaN or +inf (-inf, a probability of 0, is fine)")


def _check_blank(blank: object, n_classes: int) -> int:
    if isinstance(blank, bool) or not isinstance(blank, numbers.Integral):
        raise TypeError(f"blank must be an int, got {type(blank).__name__} {blank!r}")
    if not 0 <= blank < n_classes:
        raise ValueError(f"blank must be a class index in [0, {n_classes}), got {blank}")
    return int(blank)


def _as_lengths(lengths: object, name: str, n: int, upper: int, upper_name: str, device: torch.device) -> torch.Tensor:
    if isinstance(lengths, (list, tuple)) and all(isinstance(x, numbers.Integral) and not isinstance(x, bool)
                                                  for x in lengths):
        lengths = torch.tensor(lengths, dtype=torch.long)
    if not isinstance(lengths, torch.Tensor) or lengths.dtype.is_floating_point or lengths.dtype.is_complex \
            or lengths.dtype == torch.bool:
        raise TypeError(f"{name} must be an integer tensor (N,) = ({n},), got "
                        + (f"dtype {lengths.dtype}" if isinstance(lengths, torch.Tensor) else type(lengths).__name__))
    if lengths.shape != (n,):
        raise ValueError(f"{name} must have shape (N,) = ({n},), got {tuple(lengths.shape)}")
    if n and (lengths.min() < 0 or lengths.max() > upper):
        raise ValueError(f"{name} must lie in [0, {upper}] ({upper_name}), got min {int(lengths.min())}, "
                         f"max {int(lengths.max())}")
    return lengths.to(device=device, dtype=torch.long)


def _check_labels(targets: torch.Tensor, real: torch.Tensor, n_classes: int, blank: int) -> None:
    values = targets[real]
    if values.numel() and (values.min() < 0 or values.max() >= n_classes):
        raise ValueError(f"target labels must be classes in [0, {n_classes}), got min {int(values.min())}, "
                         f"max {int(values.max())}")
    if (values == blank).any():
        raise ValueError(f"a target holds the blank ({blank}) within its length: labels are the non-blank classes")


def ctc_alpha(log_probs: torch.Tensor, target: torch.Tensor, blank: int = 0) -> torch.Tensor:
    """The forward variables of one utterance: log_probs (T, C), target (L,) integer labels (no blank) ->
    alpha (T, 2L + 1) in log space, alpha[t, s] = log of the total probability of the paths over frames 0..t that
    end in state s of the blank-extended target (blank, l1, blank, ..., lL, blank); -inf where no path gets.
    log p(target) = logsumexp(alpha[T-1, 2L], alpha[T-1, 2L-1]). L = 0 gives (T, 1)."""
    _check_log_probs(log_probs, 2, "(T, C)")
    blank = _check_blank(blank, log_probs.shape[1])
    if not isinstance(target, torch.Tensor) or target.dtype.is_floating_point or target.dtype == torch.bool \
            or target.dtype.is_complex:
        raise TypeError("target must be an integer tensor (L,), got "
                        + (f"dtype {target.dtype}" if isinstance(target, torch.Tensor) else type(target).__name__))
    if target.dim() != 1:
        raise ValueError(f"target must have shape (L,) (one utterance), got {tuple(target.shape)}")
    target = target.to(device=log_probs.device, dtype=torch.long)
    _check_labels(target, torch.ones_like(target, dtype=torch.bool), log_probs.shape[1], blank)
    length = torch.tensor([len(target)], device=log_probs.device)
    extended, skip = _extend(target[None], length, blank)                              # (1, 2L + 1)
    _, frames = _alphas(log_probs[:, None], extended, skip, torch.tensor([log_probs.shape[0]],
                                                                         device=log_probs.device), history=True)
    if not frames:
        return log_probs.new_empty((0, extended.shape[1]))
    return torch.stack(frames)[:, 0]                                                   # (T, 2L + 1)


def ctc_nll(log_probs: torch.Tensor, targets: torch.Tensor, input_lengths: torch.Tensor | Sequence[int],
            target_lengths: torch.Tensor | Sequence[int], blank: int = 0, reduction: str = "mean",
            zero_infinity: bool = False) -> torch.Tensor:
    """The CTC loss, equal to F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, reduction,
    zero_infinity) for padded targets.

    log_probs (T, N, C); targets (N, S) integer labels padded (values beyond a target's length are ignored);
    input_lengths (N,) in [0, T]; target_lengths (N,) in [0, S] (a list of ints is accepted too). Per utterance,
    loss_n = -log p(target_n | log_probs[:input_lengths[n], n]), +inf when no path fits (T_n < L_n + adjacent
    repeats) unless zero_infinity, which makes it 0 with a zero gradient. A target of length 0 scores the
    all-blank path; an input of length 0 gives 0 for an empty target, +inf otherwise.
    reduction: "none" -> (N,); "sum" -> the sum; "mean" -> mean over the batch of loss_n / max(L_n, 1)
    (torch's convention: each loss divided by its target length first)."""
    _check_log_probs(log_probs, 3, "(T, N, C)")
    t_max, n, n_classes = log_probs.shape
    if t_max == 0 or n == 0:
        raise ValueError(f"log_probs must not be empty (as F.ctc_loss): expected (T, N, C) with T, N >= 1, got "
                         f"{tuple(log_probs.shape)}")
    blank = _check_blank(blank, n_classes)
    if not isinstance(targets, torch.Tensor) or targets.dtype.is_floating_point or targets.dtype == torch.bool \
            or targets.dtype.is_complex:
        raise TypeError("targets must be an integer tensor (N, S), padded, got "
                        + (f"dtype {targets.dtype}" if isinstance(targets, torch.Tensor) else type(targets).__name__))
    if targets.dim() != 2 or targets.shape[0] != n:
        raise ValueError(f"targets must be padded, of shape (N, S) with N = {n} (log_probs is (T, N, C) = "
                         f"{tuple(log_probs.shape)}), got {tuple(targets.shape)}")
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if not isinstance(zero_infinity, bool):
        raise TypeError(f"zero_infinity must be a bool, got {type(zero_infinity).__name__}")
    device = log_probs.device
    input_lengths = _as_lengths(input_lengths, "input_lengths", n, t_max, "T of log_probs (T, N, C)", device)
    target_lengths = _as_lengths(target_lengths, "target_lengths", n, targets.shape[1], "S of targets (N, S)", device)
    targets = targets.to(device=device, dtype=torch.long)
    real = torch.arange(targets.shape[1], device=device)[None, :] < target_lengths[:, None]   # (N, S)
    _check_labels(targets, real, n_classes, blank)

    extended, skip = _extend(targets, target_lengths, blank)                           # (N, 2S + 1)
    alpha, _ = _alphas(log_probs, extended, skip, input_lengths, history=False)        # (N, 2S + 1)
    last = (2 * target_lengths)[:, None]                                               # (N, 1)
    end_blank = alpha.gather(1, last)[:, 0]                                            # (N,)
    end_label = alpha.gather(1, (last - 1).clamp(min=0))[:, 0]                         # (N,)
    end_label = torch.where(target_lengths > 0, end_label, torch.full_like(end_label, float("-inf")))
    loss = -_log_add(end_blank, end_label)                                             # (N,)
    if zero_infinity:
        loss = torch.where(torch.isinf(loss), torch.zeros_like(loss), loss)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return (loss / target_lengths.clamp(min=1).to(loss.dtype)).mean()
