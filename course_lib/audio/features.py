"""A log-mel front end from scratch: the HTK mel scale, a triangular mel filterbank, and log-mel frames computed
with torch.stft -- what a speech recognizer reads instead of the raw waveform.

Shapes:
    mel_filterbank(n_mels, n_fft, sample_rate) -> (n_mels, n_fft // 2 + 1)
    log_mel(wave (N,), sample_rate)            -> (frames, n_mels),    frames = 1 + N // hop_length
    log_mel(wave (B, N), sample_rate)          -> (B, frames, n_mels)

The filterbank is HTK style (the same as torchaudio.functional.melscale_fbanks(n_fft // 2 + 1, f_min, f_max,
n_mels, sample_rate, norm=None, mel_scale="htk").T for an even n_fft; torchaudio is not a dependency): n_mels
triangles whose peaks (value 1, no area normalisation) sit at n_mels points equally spaced in mel between f_min
and f_max (n_mels + 2 edges in all), evaluated at the FFT bin frequencies k * sample_rate / n_fft. (For an odd
n_fft torchaudio spaces its bins as linspace(0, sample_rate // 2, n_fft // 2 + 1), which is not exactly the bin
frequencies; this module uses the true ones.)

log_mel: torch.stft(wave, n_fft, hop_length, win_length=n_fft, window=hann_window(n_fft, periodic=True),
center=True, pad_mode="reflect") -> power |X|^2 -> filterbank @ power -> log(mel + eps). The constants the
course uses (16 kHz, n_fft 400 = 25 ms, hop 160 = 10 ms, 40 mels) live in course_lib.data.speech.
"""
from __future__ import annotations

import math
import numbers
import warnings

import torch

_MEL_FACTOR, _MEL_BREAK = 2595.0, 700.0


def _check_number(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number or a floating tensor, got {type(value).__name__}")
    if not math.isfinite(float(value)):
        raise ValueError(f"{name} must be finite, got {value}")


def hz_to_mel(f: torch.Tensor | float) -> torch.Tensor | float:
    """HTK mel scale: 2595 * log10(1 + f / 700). A float (or int) gives a float; a floating tensor gives a tensor
    of the same shape and dtype. Frequencies must be >= 0 Hz."""
    if isinstance(f, torch.Tensor):
        if not f.is_floating_point():
            raise TypeError(f"hz_to_mel expects a floating tensor, got dtype {f.dtype}")
        if not torch.isfinite(f).all():
            raise ValueError("hz_to_mel expects finite frequencies, got NaN or inf")
        if (f < 0).any():
            raise ValueError(f"hz_to_mel expects frequencies >= 0 Hz, got a minimum of {f.min().item()}")
        return _MEL_FACTOR * torch.log10(1.0 + f / _MEL_BREAK)
    _check_number(f, "hz_to_mel's f")
    if f < 0:
        raise ValueError(f"hz_to_mel expects a frequency >= 0 Hz, got {f}")
    return _MEL_FACTOR * math.log10(1.0 + float(f) / _MEL_BREAK)


def mel_to_hz(m: torch.Tensor | float) -> torch.Tensor | float:
    """Inverse of hz_to_mel: 700 * (10 ** (m / 2595) - 1). Mels must be >= 0."""
    if isinstance(m, torch.Tensor):
        if not m.is_floating_point():
            raise TypeError(f"mel_to_hz expects a floating tensor, got dtype {m.dtype}")
        if not torch.isfinite(m).all():
            raise ValueError("mel_to_hz expects finite mels, got NaN or inf")
        if (m < 0).any():
            raise ValueError(f"mel_to_hz expects mels >= 0, got a minimum of {m.min().item()}")
        return _MEL_BREAK * (torch.pow(10.0, m / _MEL_FACTOR) - 1.0)
    _check_number(m, "mel_to_hz's m")
    if m < 0:
        raise ValueError(f"mel_to_hz expects mels >= 0, got {m}")
    return _MEL_BREAK * (10.0 ** (float(m) / _MEL_FACTOR) - 1.0)


def _check_int(value: object, name: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")


def _check_band(f_min: object, f_max: object, sample_rate: int) -> tuple[float, float]:
    _check_number(f_min, "f_min")
    nyquist = sample_rate / 2
    if f_max is None:
        f_max = nyquist
    _check_number(f_max, "f_max")
    if not 0 <= f_min < f_max <= nyquist:
        raise ValueError(f"expected 0 <= f_min < f_max <= sample_rate / 2 = {nyquist:g} Hz, got f_min={f_min}, "
                         f"f_max={f_max}")
    return float(f_min), float(f_max)


def mel_filterbank(n_mels: int, n_fft: int, sample_rate: int, f_min: float = 0.0, f_max: float | None = None,
                   dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Triangular HTK mel filters: (n_mels, n_fft // 2 + 1), row m = filter m over the FFT bins.

    Edges: n_mels + 2 points equally spaced in mel from hz_to_mel(f_min) to hz_to_mel(f_max) (f_max defaults to
    sample_rate / 2), mapped back to Hz: f_0 < f_1 < ... < f_{n_mels+1}. Filter m rises linearly from 0 at f_m to
    1 at f_{m+1} and falls back to 0 at f_{m+2}, evaluated at the bin frequencies k * sample_rate / n_fft:
    fb[m, k] = max(0, min((f_k - f_m) / (f_{m+1} - f_m), (f_{m+2} - f_k) / (f_{m+2} - f_{m+1}))).
    Computed in float64, returned in `dtype` (a floating dtype). With many mels and a small n_fft a filter can
    fall between two bins and be all zeros: returned all the same, with a UserWarning (as torchaudio)."""
    _check_int(n_mels, "n_mels", 1)
    _check_int(n_fft, "n_fft", 2)
    _check_int(sample_rate, "sample_rate", 1)
    f_min, f_max = _check_band(f_min, f_max, sample_rate)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point or dtype.is_complex:
        raise TypeError(f"dtype must be a floating torch dtype (e.g. torch.float32), got {dtype!r}")
    n_freqs = n_fft // 2 + 1
    bins = torch.arange(n_freqs, dtype=torch.float64) * (sample_rate / n_fft)            # (F,) Hz
    mels = torch.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2, dtype=torch.float64)
    edges = mel_to_hz(mels)                                                              # (n_mels + 2,) Hz
    widths = edges[1:] - edges[:-1]                                                      # (n_mels + 1,)
    offsets = bins[None, :] - edges[:, None]                                             # (n_mels + 2, F)
    rising = offsets[:-2] / widths[:-1, None]                                            # (n_mels, F)
    falling = -offsets[2:] / widths[1:, None]                                            # (n_mels, F)
    fb = torch.clamp(torch.minimum(rising, falling), min=0.0)                           # (n_mels, F)
    empty = int((fb.max(dim=1).values == 0).sum())
    if empty:
        warnings.warn(f"mel_filterbank: {empty} of the {n_mels} filters are all zero (they fall between two of the "
                      f"{n_freqs} FFT bins): use fewer mels or a larger n_fft", UserWarning, stacklevel=2)
    return fb.to(dtype)


def log_mel(wave: torch.Tensor, sample_rate: int, n_fft: int = 400, hop_length: int = 160, n_mels: int = 40,
            f_min: float = 0.0, f_max: float | None = None, eps: float = 1e-6) -> torch.Tensor:
    """Log-mel features of a waveform: (N,) -> (frames, n_mels) or (B, N) -> (B, frames, n_mels),
    frames = 1 + N // hop_length, in the wave's floating dtype and device.

    torch.stft with a periodic Hann window of n_fft samples, center=True and reflect padding (so the wave needs
    N > n_fft // 2 samples), power |X|^2 per bin, the mel_filterbank applied to the power spectrum, then
    log(mel + eps) with eps > 0 (silence gives log(eps), never -inf)."""
    if not isinstance(wave, torch.Tensor):
        raise TypeError(f"log_mel expects the wave as a tensor (N,) or (B, N), got {type(wave).__name__}")
    if not wave.is_floating_point():
        raise TypeError(f"log_mel expects a floating wave (e.g. int16 samples / 32768), got dtype {wave.dtype}")
    if wave.dtype not in (torch.float32, torch.float64):
        raise TypeError(f"log_mel expects a float32 or float64 wave (torch.stft has no half precision on the CPU), "
                        f"got dtype {wave.dtype}: use wave.float()")
    if wave.dim() not in (1, 2):
        raise ValueError(f"log_mel expects a wave of shape (N,) or (B, N), got shape {tuple(wave.shape)}")
    if wave.dim() == 2 and wave.shape[0] == 0:
        raise ValueError(f"log_mel expects at least one wave in a batch (B, N), got shape {tuple(wave.shape)}")
    _check_int(sample_rate, "sample_rate", 1)
    _check_int(n_fft, "n_fft", 2)
    _check_int(hop_length, "hop_length", 1)
    _check_int(n_mels, "n_mels", 1)
    _check_number(eps, "eps")
    if eps <= 0:
        raise ValueError(f"eps must be > 0 (log(0) = -inf on silence), got {eps}")
    if wave.shape[-1] <= n_fft // 2:
        raise ValueError(f"log_mel needs more than n_fft // 2 = {n_fft // 2} samples (reflect padding), "
                         f"got a wave of shape {tuple(wave.shape)}")
    if not torch.isfinite(wave).all():
        raise ValueError("log_mel expects finite samples, got NaN or inf in the wave")
    window = torch.hann_window(n_fft, periodic=True, dtype=wave.dtype, device=wave.device)
    spec = torch.stft(wave, n_fft, hop_length=hop_length, win_length=n_fft, window=window, center=True,
                      pad_mode="reflect", return_complex=True)                  # ([B,] F, frames) complex
    power = spec.real ** 2 + spec.imag ** 2                                     # ([B,] F, frames)
    fb = mel_filterbank(n_mels, n_fft, sample_rate, f_min, f_max, dtype=wave.dtype).to(wave.device)  # (M, F)
    mel = torch.matmul(fb, power)                                               # ([B,] M, frames)
    return torch.log(mel + eps).transpose(-1, -2)                               # ([B,] frames, M)
