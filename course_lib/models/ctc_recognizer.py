"""A small CTC speech recognizer for Day 13's spoken digits: convolutional subsampling, a bidirectional GRU,
and a linear layer to per-frame log-probabilities over the blank and the ten digits.

    feats (B, T, n_mels), lengths (B,)
      -> [optional: per-utterance, per-mel mean/variance normalisation over the real frames]
      -> ConvSubsampler (two Conv2d(3, stride 2, padding 1) + ReLU)   (B, T', channels * n_mels'), out_lengths
      -> packed BiGRU (num_layers, hidden_size per direction)         (B, T', 2 * hidden_size)
      -> Linear -> log_softmax over classes, time first               log_probs (T', B, n_classes)

log_probs is shaped (T', B, C) as nn.CTCLoss / F.ctc_loss want; class 0 is the blank and digit d is class d + 1
(n_classes = 11). The GRU runs packed, so padding never reaches either direction; frames past out_lengths[b]
hold the output of a zero GRU state (ignore them: the loss and ctc_greedy read out_lengths). With the default
sizes (40 mels, 32 channels, hidden 128) the model has 357,995 parameters.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import torch
from torch import nn

from ..batching.padding import pack, unpack
from ..data.speech import N_MELS
from ..layers.subsampling import ConvSubsampler, conv_output_length
from ..validation import check_int



def normalize_utterances(feats: torch.Tensor, lengths: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    """Per utterance and per mel: (x - mean) / (std + eps) with mean and (biased) std over the utterance's real
    frames t < lengths[b]; padding frames come out as 0. feats (B, T, M) floating, lengths (B,) integer in
    [1, T], eps >= 0 -> (B, T, M)."""
    if not isinstance(feats, torch.Tensor) or not feats.is_floating_point() or feats.dim() != 3:
        raise ValueError("feats must be a floating tensor (B, T, M), got "
                         + (f"{feats.dtype} {tuple(feats.shape)}" if isinstance(feats, torch.Tensor)
                            else type(feats).__name__))
    b, t, _ = feats.shape
    if not isinstance(lengths, torch.Tensor) or lengths.dtype.is_floating_point or lengths.dtype.is_complex \
            or lengths.dtype == torch.bool or lengths.shape != (b,):
        raise ValueError(f"lengths must be an integer tensor (B,) = ({b},), got "
                         + (f"{lengths.dtype} {tuple(lengths.shape)}" if isinstance(lengths, torch.Tensor)
                            else type(lengths).__name__))
    if b and (lengths.min() < 1 or lengths.max() > t):
        raise ValueError(f"lengths must lie in [1, T = {t}], got min {int(lengths.min())}, max {int(lengths.max())}")
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not math.isfinite(eps) or eps < 0:
        raise ValueError(f"eps must be a finite number >= 0, got {eps!r}")
    if not torch.isfinite(feats).all():
        raise ValueError("feats must be finite, got NaN or inf")
    lengths = lengths.to(feats.device)
    keep = (torch.arange(feats.shape[1], device=feats.device)[None, :] < lengths[:, None])  # (B, T)
    keep = keep[..., None].to(feats.dtype)                                                  # (B, T, 1)
    count = keep.sum(dim=1, keepdim=True).clamp(min=1)                                      # (B, 1, 1)
    mean = (feats * keep).sum(dim=1, keepdim=True) / count                                  # (B, 1, M)
    std = ((((feats - mean) * keep) ** 2).sum(dim=1, keepdim=True) / count).sqrt()          # (B, 1, M)
    return (feats - mean) / (std + eps) * keep


class CTCRecognizer(nn.Module):
    """ConvSubsampler -> packed BiGRU -> Linear -> log_softmax, for CTC (see the module docstring).

    output_length: passed to the ConvSubsampler (default conv_output_length; the Day 13 notebook passes the
    student's own). normalize: normalise each utterance's features inside forward (normalize_utterances) --
    an addition to the contract, off by default."""

    def __init__(self, n_mels: int = N_MELS, n_classes: int = 11, channels: int = 32, hidden_size: int = 128,
                 num_layers: int = 1, output_length: Callable[..., torch.Tensor] = conv_output_length,
                 normalize: bool = False):
        super().__init__()
        check_int(n_classes, "n_classes", 2)
        check_int(hidden_size, "hidden_size", 1)
        check_int(num_layers, "num_layers", 1)
        if not isinstance(normalize, bool):
            raise TypeError(f"normalize must be a bool, got {type(normalize).__name__}")
        self.normalize = normalize
        self.n_classes = n_classes
        self.subsampler = ConvSubsampler(n_mels, channels, output_length)
        self.gru = nn.GRU(self.subsampler.out_features, hidden_size, num_layers=num_layers, batch_first=True,
                          bidirectional=True)
        self.out = nn.Linear(2 * hidden_size, n_classes)

    def forward(self, feats: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """feats (B, T, n_mels), lengths (B,) in [1, T] -> (log_probs (T', B, n_classes), out_lengths (B,))."""
        if self.normalize:
            feats = normalize_utterances(feats, lengths)                                     # (B, T, M)
        x, out_lengths = self.subsampler(feats, lengths)                                     # (B, T', D)
        states, _ = self.gru(pack(x, out_lengths))
        states, _ = unpack(states, total_length=x.shape[1])                                  # (B, T', 2H)
        log_probs = self.out(states).log_softmax(dim=-1)                                     # (B, T', C)
        return log_probs.transpose(0, 1), out_lengths                                        # (T', B, C)
