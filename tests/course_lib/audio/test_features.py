"""course_lib.audio.features: the HTK mel scale and its inverse; mel_filterbank equals the triangle formula
evaluated by brute force (float64, several n_mels / n_fft / sample rates / bands, odd n_fft); log_mel equals a
NumPy computation of the same pipeline (reflect padding, periodic Hann window, rfft, power, filterbank, log) for
single waves and batches, with 1 + N // hop frames; it is differentiable (gradcheck); bad input raises errors
naming what was expected and what came."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from course_lib.audio.features import hz_to_mel, log_mel, mel_filterbank, mel_to_hz


# ------------------------------------------------------------------------------ mel scale
def test_hz_to_mel_is_the_htk_formula():
    for f in [0.0, 100.0, 700.0, 1000.0, 8000.0, 11025.0]:
        assert hz_to_mel(f) == pytest.approx(2595 * math.log10(1 + f / 700), rel=1e-15)
    assert hz_to_mel(700.0) == pytest.approx(2595 * math.log10(2))


def test_hz_to_mel_accepts_an_int_and_returns_a_float():
    assert isinstance(hz_to_mel(1000), float) and isinstance(mel_to_hz(1000), float)


def test_mel_to_hz_inverts_hz_to_mel_for_floats_and_tensors():
    for f in [0.0, 1.0, 440.0, 4000.0, 8000.0]:
        assert mel_to_hz(hz_to_mel(f)) == pytest.approx(f, abs=1e-9)
    f = torch.linspace(0, 8000, 101, dtype=torch.float64)
    torch.testing.assert_close(mel_to_hz(hz_to_mel(f)), f, rtol=0, atol=1e-9)


def test_the_mel_scale_on_tensors_keeps_shape_and_dtype():
    for dtype in (torch.float32, torch.float64):
        f = torch.rand(3, 4, dtype=dtype) * 8000
        m = hz_to_mel(f)
        assert m.shape == (3, 4) and m.dtype == dtype
        torch.testing.assert_close(m, 2595 * torch.log10(1 + f / 700))
        assert mel_to_hz(m).dtype == dtype


@pytest.mark.parametrize("fn", [hz_to_mel, mel_to_hz])
def test_the_mel_scale_refuses_negative_values_integer_tensors_and_non_numbers(fn):
    with pytest.raises(ValueError, match=">= 0"):
        fn(-1.0)
    with pytest.raises(ValueError, match="minimum"):
        fn(torch.tensor([1.0, -2.0]))
    with pytest.raises(TypeError, match="floating tensor"):
        fn(torch.tensor([1, 2]))
    with pytest.raises(TypeError, match="str"):
        fn("100")
    with pytest.raises(TypeError, match="bool"):
        fn(True)
    with pytest.raises(ValueError, match="finite"):
        fn(float("nan"))
    with pytest.raises(ValueError, match="finite .*, got NaN or inf"):
        fn(torch.tensor([1.0, float("inf")]))


# ------------------------------------------------------------------------------ filterbank
def brute_filterbank(n_mels, n_fft, sr, f_min=0.0, f_max=None):
    f_max = sr / 2 if f_max is None else f_max
    lo, hi = 2595 * math.log10(1 + f_min / 700), 2595 * math.log10(1 + f_max / 700)
    edges = [700 * (10 ** ((lo + (hi - lo) * i / (n_mels + 1)) / 2595) - 1) for i in range(n_mels + 2)]
    fb = np.zeros((n_mels, n_fft // 2 + 1))
    for m in range(n_mels):
        left, centre, right = edges[m], edges[m + 1], edges[m + 2]
        for k in range(n_fft // 2 + 1):
            f = k * sr / n_fft
            if left <= f <= centre:
                fb[m, k] = (f - left) / (centre - left)
            elif centre < f <= right:
                fb[m, k] = (right - f) / (right - centre)
    return torch.tensor(fb)


CONFIGS = [(40, 400, 16000, 0.0, None), (10, 64, 8000, 0.0, None), (23, 512, 22050, 0.0, None),
           (40, 400, 16000, 20.0, 7600.0), (8, 33, 16000, 100.0, 4000.0), (1, 16, 1000, 0.0, None),
           (80, 1024, 16000, 0.0, 8000.0), (5, 257, 44100, 300.0, 3000.0)]


@pytest.mark.parametrize("n_mels, n_fft, sr, f_min, f_max", CONFIGS)
def test_mel_filterbank_equals_the_triangle_formula_by_brute_force(n_mels, n_fft, sr, f_min, f_max):
    fb = mel_filterbank(n_mels, n_fft, sr, f_min, f_max, dtype=torch.float64)
    assert fb.shape == (n_mels, n_fft // 2 + 1) and fb.dtype == torch.float64
    torch.testing.assert_close(fb, brute_filterbank(n_mels, n_fft, sr, f_min, f_max), rtol=0, atol=1e-12)


def test_mel_filterbank_f_max_defaults_to_half_the_sample_rate():
    torch.testing.assert_close(mel_filterbank(40, 400, 16000), mel_filterbank(40, 400, 16000, 0.0, 8000.0))


def test_mel_filterbank_is_float32_by_default_with_values_in_0_1():
    fb = mel_filterbank(40, 400, 16000)
    assert fb.dtype == torch.float32 and fb.min() >= 0 and fb.max() <= 1
    assert (fb > 0).any(dim=1).all()          # no empty filter at the course's settings


def test_mel_filterbank_peak_is_1_when_a_bin_sits_on_the_centre():
    # one mel whose centre is 1000 Hz; n_fft = sample_rate puts a bin on every whole Hz
    f_max = mel_to_hz(2 * hz_to_mel(1000.0))
    fb = mel_filterbank(1, 8000, 8000, 0.0, f_max, dtype=torch.float64)
    assert fb[0].argmax() == 1000 and fb[0, 1000].item() == pytest.approx(1.0, abs=1e-9)


def test_mel_filterbank_warns_when_filters_are_all_zero_and_returns_them():
    with pytest.warns(UserWarning, match=r"mel_filterbank: \d+ of the 200 filters are all zero .* 9 FFT bins"):
        fb = mel_filterbank(200, 16, 8000)
    assert fb.shape == (200, 9) and (fb.max(dim=1).values == 0).any()


def test_mel_filterbank_does_not_warn_at_the_courses_settings():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mel_filterbank(40, 400, 16000)
        mel_filterbank(40, 512, 22050)


def test_mel_filterbank_triangles_are_zero_outside_their_edges():
    n_mels, n_fft, sr = 12, 256, 16000
    fb = mel_filterbank(n_mels, n_fft, sr, dtype=torch.float64)
    edges = mel_to_hz(torch.linspace(0, hz_to_mel(8000.0), n_mels + 2, dtype=torch.float64))
    freqs = torch.arange(n_fft // 2 + 1, dtype=torch.float64) * sr / n_fft
    for m in range(n_mels):
        outside = (freqs <= edges[m]) | (freqs >= edges[m + 2])
        assert torch.all(fb[m][outside] == 0)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(n_mels=0), ValueError, "n_mels must be >= 1, got 0"),
    (dict(n_mels=4.0), TypeError, "n_mels must be an int, got float"),
    (dict(n_fft=1), ValueError, "n_fft must be >= 2"),
    (dict(sample_rate=True), TypeError, "sample_rate must be an int, got bool"),
    (dict(f_max=9000.0), ValueError, "f_max <= sample_rate / 2 = 8000 Hz, got f_min=0.0, f_max=9000.0"),
    (dict(f_min=4000.0, f_max=4000.0), ValueError, "0 <= f_min < f_max"),
    (dict(f_min=-1.0), ValueError, "0 <= f_min"),
    (dict(f_min="0"), TypeError, "f_min must be a real number"),
    (dict(dtype=torch.int64), TypeError, "floating torch dtype"),
    (dict(dtype="float32"), TypeError, "floating torch dtype"),
])
def test_mel_filterbank_refuses_bad_arguments_naming_expected_and_got(kwargs, error, match):
    args = dict(n_mels=40, n_fft=400, sample_rate=16000) | kwargs
    with pytest.raises(error, match=match.replace("(", r"\(").replace(")", r"\)")):
        mel_filterbank(**args)


# ------------------------------------------------------------------------------ log-mel
def numpy_log_mel(wave, sr, n_fft=400, hop=160, n_mels=40, f_min=0.0, f_max=None, eps=1e-6):
    x = np.pad(np.asarray(wave, dtype=np.float64), n_fft // 2, mode="reflect")
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)          # periodic Hann
    frames = 1 + (len(x) - n_fft) // hop
    spec = np.stack([np.fft.rfft(x[t * hop: t * hop + n_fft] * window) for t in range(frames)])  # (frames, F)
    power = spec.real ** 2 + spec.imag ** 2
    mel = power @ brute_filterbank(n_mels, n_fft, sr, f_min, f_max).numpy().T
    return torch.tensor(np.log(mel + eps))


@pytest.mark.parametrize("n, sr, n_fft, hop, n_mels, f_min, f_max", [
    (1600, 16000, 400, 160, 40, 0.0, None), (1000, 16000, 400, 160, 40, 50.0, 7000.0),
    (517, 8000, 128, 50, 20, 0.0, None),
    (300, 16000, 64, 1, 8, 0.0, None), (2205, 22050, 512, 220, 30, 0.0, None), (201, 16000, 400, 160, 40, 0.0, None)])
def test_log_mel_equals_a_numpy_computation_of_the_pipeline(n, sr, n_fft, hop, n_mels, f_min, f_max):
    wave = torch.randn(n, dtype=torch.float64, generator=torch.Generator().manual_seed(n)) * 0.1
    ours = log_mel(wave, sr, n_fft, hop, n_mels, f_min, f_max)
    torch.testing.assert_close(ours, numpy_log_mel(wave, sr, n_fft, hop, n_mels, f_min, f_max), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("n", [201, 202, 319, 320, 321, 1600, 1759])
def test_log_mel_has_1_plus_n_over_hop_frames(n):
    assert log_mel(torch.randn(n), 16000).shape == (1 + n // 160, 40)


def test_log_mel_of_a_batch_equals_each_wave_on_its_own():
    waves = torch.randn(3, 1000, dtype=torch.float64)
    batch = log_mel(waves, 16000)
    assert batch.shape == (3, 1 + 1000 // 160, 40)
    for b in range(3):
        torch.testing.assert_close(batch[b], log_mel(waves[b], 16000))


def test_log_mel_of_a_batch_of_one_keeps_the_batch_dimension():
    assert log_mel(torch.randn(1, 800), 16000).shape == (1, 6, 40)


def test_log_mel_keeps_the_waves_dtype():
    assert log_mel(torch.randn(800), 16000).dtype == torch.float32
    assert log_mel(torch.randn(800, dtype=torch.float64), 16000).dtype == torch.float64


def test_log_mel_of_silence_is_log_eps():
    torch.testing.assert_close(log_mel(torch.zeros(800), 16000, eps=1e-3), torch.full((6, 40), math.log(1e-3)))


def test_log_mel_is_differentiable_gradcheck():
    wave = torch.randn(40, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda w: log_mel(w, 1000, n_fft=16, hop_length=4, n_mels=4, eps=1e-3), (wave,))


@pytest.mark.parametrize("wave, kwargs, error, match", [
    ([0.0] * 800, {}, TypeError, "tensor .N,. or .B, N., got list"),
    (torch.zeros(800, dtype=torch.int16), {}, TypeError, "floating wave .* got dtype torch.int16"),
    (torch.zeros(2, 2, 800), {}, ValueError, r"shape \(N,\) or \(B, N\), got shape \(2, 2, 800\)"),
    (torch.zeros(800, dtype=torch.float16), {}, TypeError, "float32 or float64 .* got dtype torch.float16"),
    (torch.zeros(800, dtype=torch.bfloat16), {}, TypeError, "got dtype torch.bfloat16: use wave.float"),
    (torch.zeros(800, dtype=torch.complex64), {}, TypeError, "floating wave .* got dtype torch.complex64"),
    (torch.zeros(0, 800), {}, ValueError, r"at least one wave .* got shape \(0, 800\)"),
    (torch.zeros(200), {}, ValueError, r"more than n_fft // 2 = 200 samples .* got a wave of shape \(200,\)"),
    (torch.tensor([0.0, float("nan")] * 400), {}, ValueError, "NaN or inf"),
    (torch.zeros(800), dict(eps=0.0), ValueError, "eps must be > 0"),
    (torch.zeros(800), dict(hop_length=0), ValueError, "hop_length must be >= 1"),
    (torch.zeros(800), dict(n_fft=400.0), TypeError, "n_fft must be an int"),
    (torch.zeros(800), dict(f_max=8001.0), ValueError, "f_max <= sample_rate / 2"),
])
def test_log_mel_refuses_bad_input_naming_expected_and_got(wave, kwargs, error, match):
    with pytest.raises(error, match=match):
        log_mel(wave, 16000, **kwargs)
