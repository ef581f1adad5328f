"""Convolutional subsampling for speech: the output length of a convolution, and a front end of two strided
Conv2d layers that shortens a log-mel sequence 4x in time (and in frequency) before the recurrent encoder --
fewer frames make the BiGRU 4x cheaper, and 40 ms per output frame is still finer than any spoken digit.

    conv_output_length(L, k, s, p, d) = floor((L + 2p - d(k - 1) - 1) / s) + 1      (as nn.Conv1d / nn.Conv2d)
    ConvSubsampler: feats (B, T, n_mels), lengths (B,) -> out (B, T', channels * n_mels'), out_lengths (B,)
        with two Conv2d(kernel 3, stride 2, padding 1) + ReLU over (B, 1, T, n_mels): T' and n_mels' are
        conv_output_length(., 3, 2, 1) applied twice (T = 100 -> 50 -> 25; 40 mels -> 20 -> 10).

Frames past an utterance's length are zeroed before each convolution (the input's padding, and the first
layer's outputs past its own output length), so an utterance's output does not depend on how much padding its
batch adds: it equals the output of the utterance alone.
"""
from __future__ import annotations

import numbers
from collections.abc import Callable

import torch
from torch import nn


def _check_int(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def conv_output_length(lengths: torch.Tensor | int, kernel_size: int, stride: int = 1, padding: int = 0,
                       dilation: int = 1) -> torch.Tensor | int:
    """Output length of a convolution over inputs of length `lengths`:
    floor((L + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1, exactly what nn.Conv1d and
    nn.Conv2d (per dimension) produce. An int gives an int; an integer tensor of any shape gives a long tensor
    of the same shape. A length of 0 (an all-padding row) gives 0; a length > 0 shorter than the kernel's reach
    (L + 2 * padding < dilation * (kernel_size - 1) + 1, which nn.Conv refuses) is a ValueError."""
    k = _check_int(kernel_size, "kernel_size", 1)
    s = _check_int(stride, "stride", 1)
    p = _check_int(padding, "padding", 0)
    d = _check_int(dilation, "dilation", 1)
    reach = d * (k - 1) + 1
    if isinstance(lengths, torch.Tensor):
        if lengths.dtype.is_floating_point or lengths.dtype.is_complex or lengths.dtype == torch.bool:
            raise TypeError(f"lengths must be an int or an integer tensor, got a tensor of dtype {lengths.dtype}")
        lengths = lengths.long()
        if (lengths < 0).any():
            raise ValueError(f"lengths must be >= 0, got a minimum of {int(lengths.min())}")
        short = (lengths > 0) & (lengths + 2 * p < reach)
        if short.any():
            raise ValueError(f"a length of {int(lengths[short].min())} is shorter than the kernel's reach: needs "
                             f"L + 2 * padding >= dilation * (kernel_size - 1) + 1 = {reach}")
        out = torch.div(lengths + 2 * p - reach, s, rounding_mode="floor") + 1
        return torch.where(lengths > 0, out, torch.zeros_like(out))
    length = _check_int(lengths, "lengths", 0)
    if length == 0:
        return 0
    if length + 2 * p < reach:
        raise ValueError(f"a length of {length} is shorter than the kernel's reach: needs L + 2 * padding >= "
                         f"dilation * (kernel_size - 1) + 1 = {reach}")
    return (length + 2 * p - reach) // s + 1


def _mask_time(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Zero x (B, C, T, F) at frames t >= lengths[b]."""
    keep = torch.arange(x.shape[2], device=x.device)[None, :] < lengths[:, None]          # (B, T)
    return x * keep[:, None, :, None].to(x.dtype)


class ConvSubsampler(nn.Module):
    """Two Conv2d(kernel 3, stride 2, padding 1) + ReLU over the log-mel "image" (B, 1, T, n_mels):
    (B, T, n_mels) -> (B, T', channels * n_mels'), T' ~ T / 4, n_mels' ~ n_mels / 4.

    output_length: the function that computes the lengths after each convolution, called as
    output_length(lengths, kernel_size=3, stride=2, padding=1) with a long tensor (B,) (default
    conv_output_length; the Day 13 notebook passes the student's own). Its lengths are checked, row by row, against
    the frames each convolution really gives (ValueError naming the first row that differs), so an off-by-one
    output_length cannot train a model with wrong lengths silently."""

    def __init__(self, n_mels: int, channels: int = 32,
                 output_length: Callable[..., torch.Tensor] = conv_output_length):
        super().__init__()
        self.n_mels = _check_int(n_mels, "n_mels", 1)
        self.channels = _check_int(channels, "channels", 1)
        if not callable(output_length):
            raise TypeError(f"output_length must be a function like conv_output_length, got "
                            f"{type(output_length).__name__}")
        self.output_length = output_length
        self.conv1 = nn.Conv2d(1, channels, kernel_size=3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, kernel_size=3, stride=2, padding=1)
        with torch.no_grad():                        # n_mels' measured on the layers themselves
            probe = self.conv2(self.conv1(torch.zeros(1, 1, 3, n_mels)))
        self.out_mels = probe.shape[-1]
        self.out_features = channels * self.out_mels

    def _lengths(self, lengths: torch.Tensor, frames: int, layer: int) -> torch.Tensor:
        """output_length's lengths after convolution `layer` (1 or 2), checked to be the frames that convolution
        gives each row: the output frames whose window lies within the row's frames plus the padding."""
        out = self.output_length(lengths, kernel_size=3, stride=2, padding=1)
        if not isinstance(out, torch.Tensor) or out.shape != lengths.shape:
            raise ValueError(f"output_length must return a tensor of shape {tuple(lengths.shape)} for lengths of that "
                             f"shape, got " + (f"shape {tuple(out.shape)}" if isinstance(out, torch.Tensor)
                                               else type(out).__name__))
        if out.dtype.is_floating_point or out.dtype.is_complex or out.dtype == torch.bool:
            raise TypeError(f"output_length must return an integer tensor (lengths are counts of frames), got dtype "
                            f"{out.dtype}")
        out = out.to(device=lengths.device, dtype=torch.long)
        if (out < 1).any() or (out > frames).any():
            raise ValueError(f"output_length gave lengths in [{int(out.min())}, {int(out.max())}] after convolution "
                             f"{layer}, but its output has {frames} frames: expected lengths in [1, {frames}]")
        conv = self.conv1 if layer == 1 else self.conv2
        (k, _), (s, _), (p, _), (d, _) = conv.kernel_size, conv.stride, conv.padding, conv.dilation
        last_read = torch.arange(frames, device=lengths.device) * s - p + d * (k - 1)   # (frames,) input index
        true = (last_read[None, :] <= lengths[:, None] - 1 + p).sum(dim=1)               # (B,)
        wrong = (out != true).nonzero()
        if len(wrong):
            i = int(wrong[0, 0])
            raise ValueError(f"output_length({int(lengths[i])}, kernel_size=3, stride=2, padding=1) gave "
                             f"{int(out[i])} frames after convolution {layer}, but the convolution makes "
                             f"{int(true[i])} frames of a row of {int(lengths[i])}")
        return out

    def forward(self, feats: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """feats (B, T, n_mels) floating, lengths (B,) integer in [1, T] -> (out (B, T', channels * n_mels'),
        out_lengths (B,) long)."""
        if not isinstance(feats, torch.Tensor) or not feats.is_floating_point() or feats.dim() != 3 \
                or feats.shape[2] != self.n_mels:
            raise ValueError(f"feats must be a floating tensor (B, T, n_mels = {self.n_mels}), got "
                             + (f"{feats.dtype} {tuple(feats.shape)}" if isinstance(feats, torch.Tensor)
                                else type(feats).__name__))
        b, t, _ = feats.shape
        if not isinstance(lengths, torch.Tensor) or lengths.dtype.is_floating_point or lengths.dtype == torch.bool \
                or lengths.shape != (b,):
            raise ValueError(f"lengths must be an integer tensor (B,) = ({b},), got "
                             + (f"{lengths.dtype} {tuple(lengths.shape)}" if isinstance(lengths, torch.Tensor)
                                else type(lengths).__name__))
        if b and (lengths.min() < 1 or lengths.max() > t):
            raise ValueError(f"lengths must lie in [1, T = {t}], got min {int(lengths.min())}, "
                             f"max {int(lengths.max())}")
        if not torch.isfinite(feats).all():
            raise ValueError("feats must be finite, got NaN or inf")
        lengths = lengths.to(device=feats.device, dtype=torch.long)
        x = _mask_time(feats[:, None], lengths)                                    # (B, 1, T, n_mels)
        x = torch.relu(self.conv1(x))                                              # (B, C, T1, n_mels1)
        lengths1 = self._lengths(lengths, x.shape[2], 1)
        x = torch.relu(self.conv2(_mask_time(x, lengths1)))                        # (B, C, T', n_mels')
        lengths2 = self._lengths(lengths1, x.shape[2], 2)
        x = _mask_time(x, lengths2)
        out = x.permute(0, 2, 1, 3).reshape(b, x.shape[2], self.out_features)      # (B, T', C * n_mels')
        return out, lengths2
