# %% [markdown]
# # Day 13 — Speech recognition with CTC, and the course in one table
#
# Speech is a sequence problem with a twist: the input is long (100 frames a second) and the output short (a
# few words), and nobody tells the model **which frames belong to which word**. Connectionist Temporal
# Classification (CTC; Graves et al. 2006) trains a network without that alignment: the network emits, at
# every frame, a distribution over the output symbols plus a **blank**; an output string is the sum over all
# the frame-by-frame paths that collapse to it. One dynamic program (the same idea as the CRF's forward
# algorithm of Day 09) sums them all.
#
# Today's data are **spoken digits synthesized with espeak-ng** (a formant speech synthesizer) in several
# voices, speeds and pitches; the course ships their features, so you need neither espeak-ng nor a download.
# Utterances of 2–5 digits are assembled at run time, and one voice is held out: the model is tested on a
# voice it never heard.
#
# **By the end of today you can**
# 1. turn a waveform into log-mel features with `torch.stft` and a mel filterbank you build yourself;
# 2. compute how many frames a strided convolution front end leaves;
# 3. decode CTC outputs greedily (collapse repeats, *then* drop blanks);
# 4. write the CTC forward (alpha) recursion in log space and the CTC loss, equal to `nn.CTCLoss` — infeasible
#    targets and `zero_infinity` included;
# 5. score transcripts with WER and CER written from scratch (Levenshtein), equal to `jiwer`;
# 6. train a conv + BiGRU + CTC recognizer, read its alignment over a spectrogram, and say what it cannot do;
# 7. read a table that measures the course's recurrent models side by side.
#
# **How this notebook works.** Each exercise is one function: replace `raise NotImplementedError()` with your
# code and run the test cell below it. The visible tests are a first check; grading runs more (brute force,
# float64, other sizes, parity with `nn.Conv1d`, `F.ctc_loss` and `jiwer`, gradients). Before submitting,
# restart the kernel and run everything, then press **Validate**. Validate's "Success!" and a test cell's
# "✓ … passed" mean that the visible tests passed, not a grade: graders run hidden tests too.
#
# Points: 12 autograded (nine exercises), 2 for the reflection at the end.

# %%
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import matplotlib.pyplot as plt
from torch import nn

from course_lib.notebook.runtime import setup_notebook, budget, is_grading, seed_everything
from course_lib.notebook.checks import (check_close, check_dtype, check_equal, check_raises, check_shape,
                                        check_true, check_type, names_reaching, run_answer)
from course_lib.notebook.plotting import PALETTE
from course_lib.training.loop import train
from course_lib.data.speech import (HOP_LENGTH, N_FFT, N_MELS, SAMPLE_RATE, TEST_VOICE, VOICES, WAVE_PITCH, WAVE_SPEED,
                                    digits_to_words, load_digit_clips, load_digit_waves, make_utterances, speech_batch)
from course_lib.models.ctc_recognizer import CTCRecognizer

device = setup_notebook(seed=0)

# %% [markdown]
# ## 1. The data: ten digits, many voices
#
# `load_digit_clips` reads the shipped features: one clip per digit, voice, speed (words per minute) and
# pitch, each already turned into log-mel frames (Section 2 says how; you will compute the same features
# yourself). The cell prints what there is and which voice is held out.

# %%
clips = load_digit_clips()
train_voices = [v for v in VOICES if v != TEST_VOICE]
frames = np.array([c.features.shape[0] for c in clips])
print(f"{len(clips)} clips: {len(VOICES)} voices x {len({c.speed for c in clips})} speeds "
      f"{sorted({c.speed for c in clips})} x {len({c.pitch for c in clips})} pitches {sorted({c.pitch for c in clips})} "
      f"x {len({c.digit for c in clips})} digits")
print(f"voices: {', '.join(VOICES)}; held out for testing: {TEST_VOICE}")
print(f"features: {N_MELS} log-mel bands, {SAMPLE_RATE} Hz, window {N_FFT} samples ({1000 * N_FFT / SAMPLE_RATE:.0f} ms), "
      f"hop {HOP_LENGTH} ({1000 * HOP_LENGTH / SAMPLE_RATE:.0f} ms): {SAMPLE_RATE / HOP_LENGTH:.0f} frames a second")
print(f"frames per clip: min {frames.min()}, median {int(np.median(frames))}, max {frames.max()}")
for speed in sorted({c.speed for c in clips}):
    print(f"  speed {speed}: median {int(np.median([c.features.shape[0] for c in clips if c.speed == speed]))} frames")

# %% [markdown]
# An **utterance** strings 2 to 5 digit clips of one voice, speed and pitch together (short pauses between
# them); its transcript is the digit sequence. `make_utterances` assembles them at random, from the voices it
# is given: the training voices for training, the held-out voice for testing.

# %%
n_train = budget(full=4000, grading=96)
train_utts = make_utterances(clips, n_train, voices=train_voices, seed=0)
test_utts = make_utterances(clips, budget(full=400, grading=48), voices=[TEST_VOICE], seed=1)
utt_frames = np.array([f.shape[0] for f, _ in train_utts])
digit_counts = np.bincount([len(d) for _, d in train_utts], minlength=6)[2:]
print(f"{len(train_utts)} training utterances ({len(train_voices)} voices), {len(test_utts)} test utterances "
      f"(voice {TEST_VOICE})")
print(f"frames per training utterance: min {utt_frames.min()}, median {int(np.median(utt_frames))}, "
      f"max {utt_frames.max()}; utterances of 2, 3, 4, 5 digits: {digit_counts.tolist()}")
feats0, digits0 = test_utts[0]
fig, ax = plt.subplots(figsize=(9, 2.8))
ax.imshow(feats0.float().T.numpy(), origin="lower", aspect="auto", cmap="magma",
          extent=(0, feats0.shape[0] * HOP_LENGTH / SAMPLE_RATE, 0, N_MELS))
ax.set(xlabel="time (s)", ylabel="mel band", title=f"log-mel features of a test utterance: '{digits_to_words(digits0)}'")
ax.grid(False)
plt.show()

# %% [markdown]
# ## 2. From a waveform to log-mel features
#
# A waveform is a sequence of air-pressure samples ($16\,000$ a second here). Speech recognisers read it
# through a **short-time Fourier transform** (STFT): the signal is cut into overlapping windows of $n_{fft}$
# samples, `hop_length` apart, each multiplied by a Hann window and Fourier transformed. The **power**
# $|X_t(k)|^2$ of frequency bin $k$ (at $f_k = k \cdot \text{sample\_rate} / n_{fft}$ Hz, $k = 0 \dots n_{fft}/2$)
# says how much energy frame $t$ has at that frequency.
#
# Hearing resolves low frequencies finely and high ones coarsely. The **mel scale** (here the HTK formula)
#
# $$m(f) = 2595 \log_{10}\!\left(1 + \frac{f}{700}\right), \qquad f(m) = 700\,\left(10^{m / 2595} - 1\right)$$
#
# is roughly linear below 1 kHz and logarithmic above. A **mel filterbank** has `n_mels` triangular filters
# whose peaks are equally spaced *in mel*: take `n_mels + 2` points equally spaced in mel from $m(f_{min})$
# to $m(f_{max})$ and convert them back to Hz, $e_0 < e_1 < \dots < e_{n_{mels}+1}$. Filter $j$
# ($j = 0 \dots n_{mels}-1$) rises from 0 at $e_j$ to 1 at $e_{j+1}$ and falls back to 0 at $e_{j+2}$:
#
# $$W_{j,k} = \max\!\left(0,\ \min\!\left(\frac{f_k - e_j}{e_{j+1} - e_j},\ \frac{e_{j+2} - f_k}{e_{j+2} - e_{j+1}}\right)\right).$$
#
# (This is what `torchaudio.functional.melscale_fbanks(..., norm=None, mel_scale="htk")` returns, transposed;
# torchaudio is not installed here, and the tests check the formula itself.)
#
# ### Exercise 1 — the mel filterbank (2 points)
#
# Write `hz_to_mel`, `mel_to_hz` (a float gives a float, a tensor a tensor) and `mel_filterbank(n_mels, n_fft, sample_rate,
# f_min=0.0, f_max=None, dtype=torch.float32)` → a tensor $(n_{mels},\ n_{fft}/\!/2 + 1)$ of the weights
# $W_{j,k}$ above. `f_max=None` means `sample_rate / 2`; $n_{fft}$ may be odd (the bins are still
# $k \cdot \text{sample\_rate} / n_{fft}$ for $k = 0 \dots n_{fft}/\!/2$). Compute in float64 and return the
# result in `dtype`. No loop needed: a column of edges against a row of bin frequencies broadcasts to the
# whole matrix.

# %% nbgrader="answer" grade_id="mel_filterbank"
def hz_to_mel(f):
    """Frequency in Hz (float or tensor) -> mel (HTK): 2595 * log10(1 + f / 700)."""
    ### BEGIN SOLUTION
    if isinstance(f, torch.Tensor):
        return 2595.0 * torch.log10(1.0 + f / 700.0)
    return 2595.0 * math.log10(1.0 + f / 700.0)
    ### END SOLUTION


def mel_to_hz(m):
    """Mel (float or tensor) -> frequency in Hz: the inverse of hz_to_mel."""
    ### BEGIN SOLUTION
    return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    ### END SOLUTION


def mel_filterbank(n_mels: int, n_fft: int, sample_rate: int, f_min: float = 0.0, f_max: float | None = None,
                   dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """(n_mels, n_fft // 2 + 1) triangular filters, peaks equally spaced in mel between f_min and f_max
    (default sample_rate / 2), evaluated at the bin frequencies k * sample_rate / n_fft; peak 1, no normalisation."""
    ### BEGIN SOLUTION
    f_max = sample_rate / 2 if f_max is None else f_max
    freqs = torch.arange(n_fft // 2 + 1, dtype=torch.float64) * sample_rate / n_fft       # (F,) bin frequencies
    mels = torch.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2, dtype=torch.float64)
    edges = mel_to_hz(mels)                                                                # (n_mels + 2,) in Hz
    left, centre, right = edges[:-2, None], edges[1:-1, None], edges[2:, None]            # (n_mels, 1) each
    rising = (freqs - left) / (centre - left)                                              # (n_mels, F)
    falling = (right - freqs) / (right - centre)                                           # (n_mels, F)
    return torch.clamp(torch.minimum(rising, falling), min=0.0).to(dtype)
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_mel_filterbank" points=2
check_close(run_answer(hz_to_mel, 1000.0, name="hz_to_mel(1000.0)"), 999.98554, "hz_to_mel(1000 Hz)", atol=1e-3,
            hint="HTK mel: 2595 * log10(1 + f / 700): 1000 Hz is about 1000 mel")
check_close(run_answer(mel_to_hz, run_answer(hz_to_mel, 3000.0, name="hz_to_mel(3000.0)"), name="mel_to_hz"), 3000.0,
            "mel_to_hz(hz_to_mel(3000 Hz)) gives 3000 Hz back", atol=1e-6, hint="700 * (10 ** (m / 2595) - 1)")
_fb = run_answer(mel_filterbank, 4, 16, 8000, name="mel_filterbank(4, 16, 8000)")
check_type(_fb, torch.Tensor, "mel_filterbank output")
check_shape(_fb, (4, 9), "mel_filterbank(n_mels=4, n_fft=16) output", hint="(n_mels, n_fft // 2 + 1): one row per filter")
check_dtype(_fb, torch.float32, "mel_filterbank's default dtype", hint="return the result .to(dtype)")
check_close(_fb, torch.tensor([
    [0.0, 0.6303523, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [0.0, 0.3696477, 0.7112604, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.2887396, 0.9944055, 0.5028195, 0.0112335, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.0, 0.0055945, 0.4971805, 0.9887664, 0.6717838, 0.3358919, 0.0]]),
    "mel_filterbank(4, 16, 8000): the triangles at the bins 0, 500, ..., 4000 Hz", atol=1e-5,
    hint="n_mels + 2 edges equally spaced in MEL (not Hz) from m(0) to m(4000), converted back to Hz; filter j rises "
         "from edge j to edge j + 1 and falls to edge j + 2; bins at k * sample_rate / n_fft")
check_close(run_answer(mel_filterbank, 4, 16, 8000, 0.0, 4000.0, name="mel_filterbank with f_max=4000"), _fb,
            "f_max=None means sample_rate / 2", hint="f_max = sample_rate / 2 when it is None")
_fb64 = run_answer(mel_filterbank, 4, 16, 8000, dtype=torch.float64, name="mel_filterbank(..., dtype=float64)")
check_dtype(_fb64, torch.float64, "mel_filterbank(..., dtype=torch.float64)")
check_close(run_answer(mel_filterbank, 4, 16, 11025, name="mel_filterbank at 11025 Hz"),
            run_answer(mel_filterbank, 4, 16, 11025, 0.0, 5512.5, name="mel_filterbank at 11025 Hz, f_max=5512.5"),
            "f_max=None means sample_rate / 2, also for an odd sample rate (11025 Hz -> 5512.5 Hz)",
            hint="sample_rate / 2, not sample_rate // 2")
check_type(run_answer(mel_to_hz, 1000.0, name="mel_to_hz(1000.0)"), float, "mel_to_hz of a float is a float",
           hint="10.0 ** (m / 2595.0) works for floats and tensors alike; torch.pow turns a float into a tensor")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import check_close, check_dtype, check_shape, check_true, run_answer   # the course's helpers


def _brute_fb(n_mels, n_fft, sr, f_min=0.0, f_max=None):
    f_max = sr / 2 if f_max is None else f_max
    lo, hi = 2595 * math.log10(1 + f_min / 700), 2595 * math.log10(1 + f_max / 700)
    e = [700 * (10 ** ((lo + (hi - lo) * i / (n_mels + 1)) / 2595) - 1) for i in range(n_mels + 2)]
    out = torch.zeros(n_mels, n_fft // 2 + 1, dtype=torch.float64)
    for j in range(n_mels):
        for k in range(n_fft // 2 + 1):
            f = k * sr / n_fft
            out[j, k] = max(0.0, min((f - e[j]) / (e[j + 1] - e[j]), (e[j + 2] - f) / (e[j + 2] - e[j + 1])))
    return out


_cases = [(40, 400, 16000, 0.0, None), (10, 511, 22050, 300.0, 5000.0), (5, 64, 8000, 100.0, None),
          (1, 32, 16000, 0.0, 6000.0), (80, 512, 16000, 20.0, 7600.0), (12, 256, 11025, 0.0, None)]
_wants = [_brute_fb(*c) for c in _cases]
_mel_t = 2595 * torch.log10(1 + torch.tensor([0.0, 440.0, 7999.0], dtype=torch.float64) / 700)
with written_by_you("mel_filterbank"):
    for _c, _w in zip(_cases, _wants):
        _got = run_answer(mel_filterbank, *_c[:3], f_min=_c[3], f_max=_c[4], dtype=torch.float64,
                          name=f"hidden check: mel_filterbank{_c}")
        check_close(_got, _w, f"hidden check: mel_filterbank(n_mels, n_fft, sample_rate, f_min, f_max) = {_c} equals "
                    "the formula computed bin by bin (float64)", atol=1e-10, rtol=1e-9)
    check_close(run_answer(mel_filterbank, 40, 400, 16000, name="hidden check: float32"), _wants[0].float(),
                "hidden check: the default float32 result", atol=1e-6)
    check_dtype(run_answer(mel_filterbank, 5, 64, 8000, 100.0, dtype=torch.float64, name="hidden check: dtype"),
                torch.float64, "hidden check: dtype=float64 gives float64")
    check_close(run_answer(hz_to_mel, torch.tensor([0.0, 440.0, 7999.0], dtype=torch.float64), name="hidden check: "
                "hz_to_mel of a tensor"), _mel_t, "hidden check: hz_to_mel of a float64 tensor", atol=1e-9)
    check_close(run_answer(mel_to_hz, _mel_t, name="hidden check: mel_to_hz of a tensor"),
                torch.tensor([0.0, 440.0, 7999.0], dtype=torch.float64), "hidden check: mel_to_hz inverts hz_to_mel "
                "(float64 tensor)", atol=1e-8)
    _floats = (run_answer(hz_to_mel, 440.0, name="hidden check: hz_to_mel(440.0)"),
               run_answer(mel_to_hz, 1000.0, name="hidden check: mel_to_hz(1000.0)"))
    check_true(all(type(v) is float for v in _floats), "hidden check: hz_to_mel and mel_to_hz of a float give floats",
               f"got {[type(v).__name__ for v in _floats]}")
### END HIDDEN TESTS

# %% [markdown]
# The filterbank that the course's features use, drawn with **your** function: narrow triangles at low
# frequencies, wide ones at high frequencies.

# %%
fb = mel_filterbank(N_MELS, N_FFT, SAMPLE_RATE)
bin_hz = np.arange(N_FFT // 2 + 1) * SAMPLE_RATE / N_FFT
fig, ax = plt.subplots(figsize=(9, 2.6))
for j in range(0, N_MELS, 3):
    ax.plot(bin_hz, fb[j].numpy(), color=PALETTE[j % len(PALETTE)], linewidth=1.2)
ax.set(xlabel="frequency (Hz)", ylabel="weight", title=f"every third of your {N_MELS} mel filters")
plt.show()
widths = [(bin_hz[fb[j].numpy() > 0].max() - bin_hz[fb[j].numpy() > 0].min()) if (fb[j] > 0).any() else 0.0
          for j in (0, N_MELS - 1)]
print(f"the bins where the first filter is above 0 span {widths[0]:.0f} Hz, those of the last {widths[1]:.0f} Hz; "
      f"filters with no bin above 0: {int((fb.sum(1) == 0).sum())}")

# %% [markdown]
# ### Exercise 2 — log-mel features (1 point)
#
# Write `log_mel(wave, sample_rate, n_fft=400, hop_length=160, n_mels=40, f_min=0.0, f_max=None, eps=1e-6)`:
#
# 1. `torch.stft(wave, n_fft, hop_length, win_length=n_fft, window=torch.hann_window(n_fft, periodic=True,
#    dtype=wave.dtype, device=wave.device), center=True, pad_mode="reflect", return_complex=True)`: the
#    spectrum, shaped $(n_{fft}/\!/2 + 1,\ \text{frames})$ for one wave (a batch dimension in front for a batch);
# 2. the power $|X|^2$;
# 3. your `mel_filterbank` (in the wave's dtype, on its device) times the power: $(n_{mels}, \text{frames})$;
# 4. $\log(\text{mel} + \varepsilon)$ (natural log), so that silence gives $\log \varepsilon$, not $-\infty$;
# 5. time first: `wave` $(N,)$ → $(\text{frames}, n_{mels})$, `wave` $(B, N)$ → $(B, \text{frames}, n_{mels})$, with
#    $\text{frames} = 1 + N /\!/ \text{hop\_length}$ (`center=True` pads $n_{fft}/2$ samples on each side).

# %% nbgrader="answer" grade_id="log_mel"
def log_mel(wave: torch.Tensor, sample_rate: int, n_fft: int = 400, hop_length: int = 160, n_mels: int = 40,
            f_min: float = 0.0, f_max: float | None = None, eps: float = 1e-6) -> torch.Tensor:
    """wave (N,) or (B, N) float -> log-mel features (frames, n_mels) or (B, frames, n_mels),
    frames = 1 + N // hop_length: log(mel_filterbank @ |stft|^2 + eps)."""
    ### BEGIN SOLUTION
    window = torch.hann_window(n_fft, periodic=True, dtype=wave.dtype, device=wave.device)
    spec = torch.stft(wave, n_fft, hop_length, win_length=n_fft, window=window, center=True, pad_mode="reflect",
                      return_complex=True)                                               # (..., F, frames)
    power = spec.real ** 2 + spec.imag ** 2                                              # (..., F, frames)
    fb = mel_filterbank(n_mels, n_fft, sample_rate, f_min, f_max, dtype=wave.dtype).to(wave.device)  # (n_mels, F)
    return torch.log(fb @ power + eps).transpose(-1, -2)                                 # (..., frames, n_mels)
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_log_mel" points=1
_wave = torch.tensor([0.0, 0.5, 0.9, 1.0, 0.6, -0.1, -0.7, -1.0, -0.8, -0.2, 0.4, 0.8])
_got = run_answer(log_mel, _wave, 8000, n_fft=8, hop_length=4, n_mels=3, name="log_mel of 12 samples")
check_type(_got, torch.Tensor, "log_mel output")
check_shape(_got, (4, 3), "log_mel of 12 samples, hop 4, 3 mel bands",
            hint="(frames, n_mels) with frames = 1 + N // hop_length; torch.stft returns (freq, frames): transpose")
check_close(_got, torch.tensor([[-3.6480148, -1.2306983, -0.3047229], [-0.3989324, 1.2616771, -0.4860474],
                                [-0.4580066, 1.2027735, -0.5408767], [-0.9054150, 0.7954497, -0.3128365]]),
            "log_mel of 12 samples (n_fft 8, hop 4, 3 bands, 8 kHz)", atol=1e-5,
            hint="periodic Hann window, center=True with reflect padding, POWER |X|^2 (not the magnitude), your "
                 "filterbank times the power, then the natural log of (mel + eps)")
_silent = run_answer(log_mel, torch.zeros(20), 8000, n_fft=8, hop_length=4, n_mels=3, name="log_mel of silence")
check_close(_silent, torch.full((6, 3), math.log(1e-6)), "log_mel of silence is log(eps) everywhere",
            hint="add eps inside the log: log(0 + 1e-6)")
_batch = run_answer(log_mel, torch.stack([_wave, -_wave, 0.5 * _wave]), 8000, n_fft=8, hop_length=4, n_mels=3,
                    name="log_mel of a batch of 3")
check_shape(_batch, (3, 4, 3), "log_mel of a batch (B=3, N=12)", hint="(B, frames, n_mels): transpose the LAST two axes")
check_close(_batch[1], _got, "log_mel of -wave equals log_mel of wave (the power ignores the sign), in a batch",
            atol=1e-5)
check_shape(run_answer(log_mel, _wave[None], 8000, n_fft=8, hop_length=4, n_mels=3, name="log_mel of a batch of one"),
            (1, 4, 3), "log_mel of a batch of one (1, 12)", hint="a batch of one keeps its batch axis: no squeeze()")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import check_close, check_dtype, check_shape, run_answer   # the course's helpers
from course_lib.audio import features as _ref_f
_g = torch.Generator().manual_seed(13)
_hw = torch.randn(3, 1601, generator=_g, dtype=torch.float64)
_want = _ref_f.log_mel(_hw, 16000)
_want_one = _ref_f.log_mel(_hw[0], 16000)
_want_opts = _ref_f.log_mel(_hw[1], 8000, n_fft=256, hop_length=80, n_mels=20, f_min=100.0, f_max=3000.0, eps=1e-3)
_want_odd = _ref_f.log_mel(_hw[2, :999].float(), 22050, n_fft=511, hop_length=220, n_mels=30)
_want_b1 = _ref_f.log_mel(_hw[:1], 16000)
_want_m1 = _ref_f.log_mel(_hw[0], 16000, n_mels=1)
_short = _hw[0, :10].clone()
_want_f1 = _ref_f.log_mel(_short, 8000, n_fft=8, hop_length=16, n_mels=3)
with written_by_you("log_mel"):
    _got = run_answer(log_mel, _hw, 16000, name="hidden check: a float64 batch")
    check_shape(_got, (3, 11, 40), "hidden check: (3, 1601) samples at the defaults give (3, 11, 40)")
    check_dtype(_got, torch.float64, "hidden check: a float64 wave gives float64 features")
    check_close(_got, _want, "hidden check: float64 batch equals the formula (to 1e-9, float64 throughout)", atol=1e-9,
                rtol=1e-9)
    check_close(run_answer(log_mel, _hw[0], 16000, name="hidden check: one wave"), _want_one,
                "hidden check: one float64 wave", atol=1e-9, rtol=1e-9)
    check_close(run_answer(log_mel, _hw[1], 8000, n_fft=256, hop_length=80, n_mels=20, f_min=100.0, f_max=3000.0,
                           eps=1e-3, name="hidden check: other settings"), _want_opts,
                "hidden check: n_fft 256, hop 80, 20 bands, f_min 100, f_max 3000, eps 1e-3 are all used", atol=1e-9,
                rtol=1e-9)
    check_close(run_answer(log_mel, _hw[:1], 16000, name="hidden check: a batch of one"), _want_b1,
                "hidden check: a batch of one (1, N) gives (1, frames, n_mels)", atol=1e-9, rtol=1e-9)
    check_close(run_answer(log_mel, _hw[0], 16000, n_mels=1, name="hidden check: one mel band"), _want_m1,
                "hidden check: n_mels=1 gives (frames, 1)", atol=1e-9, rtol=1e-9)
    check_close(run_answer(log_mel, _short, 8000, n_fft=8, hop_length=16, n_mels=3, name="hidden check: one frame"),
                _want_f1, "hidden check: 10 samples with hop 16 give one frame: (1, n_mels)", atol=1e-9, rtol=1e-9)
    _caller = _hw[0].clone()
    run_answer(log_mel, _caller, 16000, name="hidden check: the caller's wave", copy=False)
    check_true(_caller.shape == _hw[0].shape and bool(torch.equal(_caller, _hw[0])),
               "hidden check: log_mel leaves the caller's wave unchanged (shape and values)",
               f"the wave became {tuple(_caller.shape)}")
    check_close(run_answer(log_mel, _hw[2, :999].float(), 22050, n_fft=511, hop_length=220, n_mels=30,
                           name="hidden check: odd n_fft"), _want_odd,
                "hidden check: odd n_fft (511) at 22,050 Hz, float32", atol=1e-3)
### END HIDDEN TESTS

# %% [markdown]
# The course shipped its features, but a few raw waveforms ship too (`load_digit_waves`: the held-out voice
# saying each digit, at one speed and pitch; the stored clips were computed from these very samples). **Your**
# `log_mel` on one of them, next to the stored features of the same clip — stored as float16, so the two can
# agree only to within float16's rounding:

# %%
waves = load_digit_waves()
wave, wave_digit, wave_voice = waves[0]
mine = log_mel(wave, SAMPLE_RATE, N_FFT, HOP_LENGTH, N_MELS)
stored = next(c for c in clips if (c.voice, c.digit, c.speed, c.pitch) == (wave_voice, wave_digit, WAVE_SPEED, WAVE_PITCH))
print(f"{len(waves)} waveforms of voice {wave_voice} (speed {WAVE_SPEED}, pitch {WAVE_PITCH}); "
      f"'{digits_to_words([wave_digit])}': {wave.shape[0]} samples ({wave.shape[0] / SAMPLE_RATE:.2f} s)")
print(f"your log_mel: {tuple(mine.shape)}; the stored clip: {tuple(stored.features.shape)}; max |difference| "
      f"{float((stored.features.float() - mine).abs().max()):.4f}" if stored.features.shape == mine.shape else
      f"your log_mel: {tuple(mine.shape)} but the stored clip is {tuple(stored.features.shape)}: the frame counts differ")
print(f"your features range from {float(mine.min()):.1f} to {float(mine.max()):.1f}; rounding to float16 moves a "
      f"number of size 8-16 by up to {2.0 ** -8:.4f} (half its step of {2.0 ** -7:.4f})")

# %% [markdown]
# ## 3. A convolutional front end, and how many frames it leaves
#
# 100 frames a second is more than a recognizer needs to tell digits apart, and a recurrent layer's cost grows
# with the length it reads. The recognizer today starts with two 2-D convolutions over (time, mel) with stride 2
# in both directions: a quarter of the frames, each summarising more context. Padded utterances in a batch
# keep their own lengths, so the model must know **how long each one is after the convolutions** — the CTC loss
# needs that number (a frame that is only padding must not be counted as a frame of speech). For a
# convolution with kernel size $k$, stride $s$, padding $p$ and dilation $d$ (what `nn.Conv1d` and
# `nn.Conv2d` compute, per axis):
#
# $$L_{out} = \left\lfloor \frac{L_{in} + 2p - d\,(k - 1) - 1}{s} \right\rfloor + 1.$$
#
# ### Exercise 3 — the output length of a convolution (1 point)
#
# Write `conv_output_length(lengths, kernel_size, stride=1, padding=0, dilation=1)`: `lengths` is a Python
# `int` (return an `int`) or an integer tensor of any shape (return a `torch.long` tensor of that shape, one
# length each). Do not modify `lengths`. Integer arithmetic only: plain Python for an `int` (no tensor needed), and
# one tensor expression for all the lengths of a tensor (exact for lengths beyond $2^{24}$, where float32 is not).
# (Lengths too short for the kernel, where `nn.Conv1d` raises an error, are not tested.)

# %% nbgrader="answer" grade_id="conv_output_length"
def conv_output_length(lengths, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1):
    """lengths: int or integer tensor -> the length(s) after a convolution (int, or a long tensor of the same
    shape): floor((L + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1, as nn.Conv1d computes."""
    ### BEGIN SOLUTION
    return (lengths + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_conv_output_length" points=1
_got = run_answer(conv_output_length, 100, 3, 2, 1, name="conv_output_length(100, 3, 2, 1)")
check_type(_got, int, "conv_output_length of an int", hint="an int in, an int out: use // (floor division), not /")
check_equal(_got, 50, "conv_output_length(100, kernel 3, stride 2, padding 1)",
            hint="floor((L + 2p - d(k - 1) - 1) / s) + 1 = floor((100 + 2 - 2 - 1) / 2) + 1")
check_equal(run_answer(conv_output_length, 101, 3, 2, 1, name="conv_output_length(101, 3, 2, 1)"), 51,
            "conv_output_length(101, kernel 3, stride 2, padding 1)", hint="the floor comes before the + 1")
_lens = torch.tensor([100, 7, 1])
_got = run_answer(conv_output_length, _lens, 3, 2, 1, name="conv_output_length of a tensor")
check_type(_got, torch.Tensor, "conv_output_length of a tensor")
check_dtype(_got, torch.long, "conv_output_length of a long tensor", hint="integer arithmetic only: // keeps torch.long")
check_equal(_got, torch.tensor([50, 4, 1]), "conv_output_length of the lengths [100, 7, 1] (kernel 3, stride 2, padding 1)")
check_equal(run_answer(conv_output_length, torch.tensor([2 ** 25 + 3]), 3, 2, 1, name="a length beyond 2**24"),
            torch.tensor([2 ** 24 + 2]), "conv_output_length of a tensor length 2**25 + 3 is exact",
            hint="true division of a long tensor gives float32, which cannot hold every integer beyond 2**24: use //")
for _k, _s, _p, _d, _L in [(4, 1, 0, 1, 20), (5, 3, 2, 2, 50), (3, 1, 1, 3, 9)]:
    _want = nn.Conv1d(1, 1, _k, stride=_s, padding=_p, dilation=_d)(torch.zeros(1, 1, _L)).shape[-1]
    check_equal(run_answer(conv_output_length, _L, _k, _s, _p, _d, name="conv_output_length vs nn.Conv1d"), _want,
                f"conv_output_length(L={_L}, kernel {_k}, stride {_s}, padding {_p}, dilation {_d}) = nn.Conv1d's length",
                hint="padding is added on BOTH sides (2p); dilation d spreads the kernel over d(k - 1) + 1 samples")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import check_dtype, check_equal, check_true, run_answer   # the course's helpers
_grid = [(k, s, p, d, L) for k in (1, 2, 3, 5) for s in (1, 2, 3, 4) for p in (0, 1, 2) for d in (1, 2, 3)
         for L in (17, 30) if L + 2 * p >= d * (k - 1) + 1]
_want1 = [nn.Conv1d(1, 1, k, stride=s, padding=p, dilation=d)(torch.zeros(1, 1, L)).shape[-1] for k, s, p, d, L in _grid]
_want2 = nn.Conv2d(1, 1, 3, stride=2, padding=1)(torch.zeros(1, 1, 123, 40)).shape[2:]
_hl = torch.tensor([[123, 40], [9, 2]])
_big = torch.tensor([2 ** 25 + 3, 2 ** 30 + 1])
_want_big = torch.tensor([(2 ** 25 + 3 + 2 - 2 - 1) // 2 + 1, (2 ** 30 + 1 + 2 - 2 - 1) // 2 + 1])


from course_lib.notebook.checks import count_torch_calls   # a dummy tensor run through a layer makes torch calls


with written_by_you("conv_output_length"):
    _got = [run_answer(conv_output_length, L, k, s, p, d, name="hidden check: nn.Conv1d grid") for k, s, p, d, L in _grid]
    _bad = [(g, w, c) for g, w, c in zip(_got, _want1, _grid) if g != w]
    check_true(not _bad, f"hidden check: {len(_grid)} (kernel, stride, padding, dilation, L) equal nn.Conv1d's lengths",
               f"first difference: got {_bad[0][0]}, nn.Conv1d gives {_bad[0][1]} for (k, s, p, d, L) = {_bad[0][2]}"
               if _bad else "")
    check_equal(run_answer(conv_output_length, 123, 3, 2, 1, name="hidden check: Conv2d time axis"), _want2[0],
                "hidden check: the time axis of nn.Conv2d(kernel 3, stride 2, padding 1) over 123 frames")
    _got = run_answer(conv_output_length, _hl, 3, 2, 1, name="hidden check: a (2, 2) tensor", copy=False)
    check_equal(_hl, torch.tensor([[123, 40], [9, 2]]), "hidden check: the lengths tensor is not modified")
    check_equal(_got, torch.tensor([[62, 20], [5, 1]]), "hidden check: a (2, 2) tensor of lengths, kernel 3, stride 2")
    _got = run_answer(conv_output_length, torch.tensor(64), 3, 2, 1, name="hidden check: a 0-dim tensor")
    check_equal(_got, torch.tensor(32), "hidden check: a 0-dim tensor gives a 0-dim tensor")
    check_equal(run_answer(conv_output_length, 10 ** 9 + 1, 4, 3, 0, 1, name="hidden check: a large length"),
                (10 ** 9 + 1 - 3 - 1) // 3 + 1, "hidden check: a length of 10^9 + 1 is exact (integer arithmetic)")
    check_equal(run_answer(conv_output_length, 9, 3, name="hidden check: defaults"), 7,
                "hidden check: the defaults stride 1, padding 0, dilation 1")
    check_equal(run_answer(conv_output_length, _big, 3, 2, 1, name="hidden check: lengths beyond 2**24"), _want_big,
                "hidden check: a tensor of lengths beyond 2**24 is exact (integer arithmetic, no float32)")
    with count_torch_calls() as _calls:
        run_answer(conv_output_length, 1000, 5, 2, 2, 1, name="hidden check: an int")
    check_true(_calls.count == 0, "hidden check: an int length is computed in plain Python (no tensor made or run)",
               f"{_calls.count} torch calls for one int")
    with count_torch_calls() as _few:
        run_answer(conv_output_length, torch.arange(10, 13), 3, 2, 1, name="hidden check: 3 lengths")
    with count_torch_calls() as _lots:
        run_answer(conv_output_length, torch.arange(10, 40), 3, 2, 1, name="hidden check: 30 lengths")
    check_true(_few.count == _lots.count, "hidden check: no loop over the lengths (as many torch calls for 30 as for 3)",
               f"{_few.count} torch calls for 3 lengths, {_lots.count} for 30")
### END HIDDEN TESTS

# %% [markdown]
# What the recognizer's two convolutions (kernel 3, stride 2, padding 1, twice) do to the utterances, with
# **your** function — the model is built with it, so it uses your lengths:

# %%
lens = torch.tensor([f.shape[0] for f, _ in train_utts])
after = conv_output_length(conv_output_length(lens, 3, 2, 1), 3, 2, 1)
n_digits = torch.tensor([len(d) for _, d in train_utts])
print(f"training utterances: {int(lens.min())}-{int(lens.max())} frames -> {int(after.min())}-{int(after.max())} "
      f"after the front end (median {int(lens.median())} -> {int(after.median())})")
print(f"output frames per digit after the front end: min {float((after / n_digits).min()):.1f}, "
      f"median {float((after / n_digits).median()):.1f}")

# %% [markdown]
# ## 4. CTC: many paths, one transcript
#
# The network emits, for each of its $T$ output frames, log-probabilities over $C$ classes: the **blank**
# (class 0) and the ten digits (digit $d$ is class $d + 1$), shaped $(T, N, C)$ for a batch of $N$ (the layout
# of `nn.CTCLoss`). A **path** picks one class per frame; the collapse map $\mathcal{B}$ turns it into a
# transcript: **first merge repeated classes, then drop the blanks**. With letters for the classes:
#
# - `a a _ b b` → `a b`;  `a _ _ a` → `a a`;  `a a a a` → `a`.
#
# The blank is what lets a transcript hold the same symbol twice: `a a` needs a blank between the two a's.
# Dropping blanks first would merge them (`a _ a` → `aa` → `a`): wrong.
#
# ### Exercise 4 — greedy decoding (1 point)
#
# The simplest decoder takes the most probable class at every frame and collapses that path. (It is not
# the most probable *transcript* — that sums over paths and needs a beam search — but on a confident model
# it is nearly always the same.) Write `ctc_greedy(log_probs, lengths, blank=0)`: `log_probs` $(T, N, C)$,
# `lengths` $(N,)$ the number of real frames of each utterance (frames from `lengths[n]` on are padding:
# ignore them). Return a list of $N$ lists of Python `int` class ids, repeats merged, then blanks dropped.

# %% nbgrader="answer" grade_id="ctc_greedy"
def ctc_greedy(log_probs: torch.Tensor, lengths: torch.Tensor, blank: int = 0) -> list[list[int]]:
    """log_probs (T, N, C), lengths (N,) -> N lists of class ids: per-frame argmax over the first lengths[n]
    frames, repeats merged, then blanks dropped."""
    ### BEGIN SOLUTION
    best = log_probs.argmax(dim=-1)                                   # (T, N)
    decoded = []
    for n in range(best.shape[1]):
        path = best[: int(lengths[n]), n].tolist()                    # the real frames of utterance n
        tokens, previous = [], None
        for k in path:
            if k != previous and k != blank:
                tokens.append(k)
            previous = k
        decoded.append(tokens)
    return decoded
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_ctc_greedy" points=1
def _peaked(paths: torch.Tensor, C: int) -> torch.Tensor:
    """(N, T) class ids -> (T, N, C) log-probabilities whose argmax at every frame is that id."""
    return torch.log_softmax(5.0 * F.one_hot(paths, C).float(), dim=-1).transpose(0, 1)


_paths = torch.tensor([[1, 1, 0, 1, 2, 2, 0, 0],      # a a _ a b b _ _  -> a a b
                       [0, 3, 3, 3, 0, 3, 1, 1]])     # real frames: _ c c c _ c  -> c c  (the last two are padding)
_got = run_answer(ctc_greedy, _peaked(_paths, 4), torch.tensor([8, 6]), name="ctc_greedy on two utterances")
check_type(_got, list, "ctc_greedy output", hint="a list with one list of ints per utterance")
check_equal(len(_got), 2, "ctc_greedy returns one list per utterance (N = 2)",
            hint="log_probs is (T, N, C): the batch is the SECOND axis")
check_equal(_got[0], [1, 1, 2], "ctc_greedy('a a _ a b b _ _')",
            hint="merge repeats FIRST (a a -> a), then drop blanks: the blank between the a's keeps two a's")
check_equal(_got[1], [3, 3], "ctc_greedy of an utterance of 6 real frames ('_ c c c _ c', then padding)",
            hint="only the first lengths[n] frames are real; the padding frames (class 1 here) must not be decoded")
check_equal(run_answer(ctc_greedy, _peaked(torch.tensor([[0, 0, 0]]), 4), torch.tensor([3]), name="all blanks"), [[]],
            "ctc_greedy of a path of blanks is an empty transcript")
check_equal(run_answer(ctc_greedy, _peaked(torch.tensor([[3, 0, 0, 3, 1]]), 4), torch.tensor([5]), blank=3,
                       name="ctc_greedy with blank=3"), [[0, 1]], "ctc_greedy with blank=3 ('_ a a _ b', a = 0, b = 1)",
            hint="use the blank argument: class 0 is an ordinary symbol when blank=3")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import check_equal, check_true, run_answer   # the course's helpers


def _collapse(path, blank):
    out = []
    for i, k in enumerate(path):
        if k != blank and (i == 0 or path[i - 1] != k):
            out.append(k)
    return out


_g = torch.Generator().manual_seed(4)
_hlp = torch.log_softmax(torch.randn(15, 6, 5, generator=_g, dtype=torch.float64), -1)
_hlen = torch.tensor([15, 1, 7, 0, 12, 15])
_hbest = _hlp.argmax(-1)
_want = [_collapse(_hbest[: int(_hlen[n]), n].tolist(), 0) for n in range(6)]
_want_b4 = [_collapse(_hbest[: int(_hlen[n]), n].tolist(), 4) for n in range(6)]
_chain = _peaked(torch.tensor([[2, 2, 2], [2, 3, 3]]), 5)                       # the second starts where the first ends
with written_by_you("ctc_greedy"):
    _got = run_answer(ctc_greedy, _hlp, _hlen, name="hidden check: random batch")
    check_equal(_got, _want, "hidden check: a random batch of 6 (lengths 15, 1, 7, 0, 12, 15)")
    check_true(all(type(seq) is list for seq in _got), "hidden check: one list per utterance (lists, not tuples or "
               "tensors)", f"got {sorted({type(seq).__name__ for seq in _got})}")
    check_true(all(type(k) is int for seq in _got for k in seq), "hidden check: the class ids are Python ints",
               f"got {sorted({type(k).__name__ for seq in _got for k in seq})}", hint="tensor.tolist() gives ints")
    check_equal(run_answer(ctc_greedy, _hlp, _hlen, blank=4, name="hidden check: blank=4"), _want_b4,
                "hidden check: the blank argument (blank = 4, the last class)")
    check_equal(run_answer(ctc_greedy, _hlp[:, 2:3], _hlen[2:3], name="hidden check: batch of one"), _want[2:3],
                "hidden check: a batch of one")
    check_equal(run_answer(ctc_greedy, _chain, torch.tensor([3, 3]), name="hidden check: two utterances"), [[2], [2, 3]],
                "hidden check: each utterance is collapsed on its own (utterance 2 starts with the class utterance 1 "
                "ended with)")
### END HIDDEN TESTS

# %% [markdown]
# ### The forward (alpha) recursion
#
# Training needs $p(\mathbf{l} \mid x) = \sum_{\pi:\ \mathcal{B}(\pi) = \mathbf{l}} \prod_t y_t(\pi_t)$, the total
# probability of every path that collapses to the target $\mathbf{l} = (l_1, \dots, l_L)$. There are
# exponentially many; a dynamic program sums them in $O(T \cdot L)$. Write the target with a blank before,
# between and after its symbols: the **extended target** $\mathbf{l}' = (\_, l_1, \_, l_2, \dots, l_L, \_)$ of
# $S = 2L + 1$ states. A path that collapses to $\mathbf{l}$ walks through $\mathbf{l}'$ from left to right;
# at each frame it stays in its state, moves to the next, or **skips a blank** — moves two states on, from
# $l_{i}$ to $l_{i+1}$ — which is allowed only when $l_{i+1} \neq l_i$ (a repeat needs its blank). With
# $\alpha_t(s)$ the total probability of the paths over frames $0 \dots t$ that end in state $s$:
#
# $$\alpha_0(0) = y_0(\_), \qquad \alpha_0(1) = y_0(l_1), \qquad \alpha_0(s) = 0 \text{ for } s \geq 2,$$
#
# $$\alpha_t(s) = \Big(\alpha_{t-1}(s) + \alpha_{t-1}(s-1) + [\,l'_s \neq \_ \text{ and } l'_s \neq l'_{s-2}\,]\ \alpha_{t-1}(s-2)\Big)\ y_t(l'_s),$$
#
# (terms with $s - 1 < 0$ or $s - 2 < 0$ are 0), and a path must end in the last symbol or the final blank:
#
# $$p(\mathbf{l} \mid x) = \alpha_{T-1}(S-1) + \alpha_{T-1}(S-2), \qquad \text{loss} = -\log p(\mathbf{l} \mid x).$$
#
# If $T$ is too short — a target of $L$ symbols with $r$ adjacent repeats needs $T \geq L + r$ frames (not
# $2L + 1$) — no path exists: $p = 0$ and the loss is $+\infty$.
#
# **Log space.** Products of hundreds of probabilities underflow, so everything is done with logs: a
# product becomes a sum and a sum becomes `logsumexp`. A probability 0 is $\log 0 = -\infty$. One trap: where
# *every* term of a `torch.logsumexp` is $-\infty$ (a state no path can reach yet — there are many of them),
# the value is $-\infty$, correctly, but its **gradient is NaN**, and one NaN poisons every gradient of the
# model. The helper below gives the same values with a zero gradient there; use it instead of
# `torch.logsumexp` in your recursion and in the loss.

# %%
def logsumexp_safe(x: torch.Tensor, dim: int) -> torch.Tensor:
    """torch.logsumexp(x, dim), except that where every term is -inf the result is -inf with a zero gradient
    (torch's own gives a NaN gradient there)."""
    top = x.detach().amax(dim, keepdim=True)
    top = torch.where(torch.isfinite(top), top, torch.zeros_like(top))       # -inf everywhere: shift by 0
    total = (x - top).exp().sum(dim, keepdim=True)
    tiny = torch.finfo(x.dtype).tiny
    out = torch.where(total > 0, total.clamp(min=tiny).log(), torch.full_like(total, -math.inf)) + top
    return out.squeeze(dim)


_x = torch.tensor([[-math.inf, -math.inf], [0.0, -math.inf]], requires_grad=True)
_y = logsumexp_safe(_x, dim=1)
_y.sum().backward()
_x2 = _x.detach().clone().requires_grad_(True)
torch.logsumexp(_x2, dim=1).sum().backward()
print(f"values {_y.tolist()} (torch.logsumexp: {torch.logsumexp(_x.detach(), 1).tolist()}); gradient of the all--inf "
      f"row: {_x.grad[0].tolist()} (torch.logsumexp's: {_x2.grad[0].tolist()})")

# %% [markdown]
# ### Exercise 5 — the alpha recursion (2 points)
#
# Write `ctc_alpha(log_probs, target, blank=0)` for **one** utterance: `log_probs` $(T, C)$ (log-probabilities of
# the $T$ real frames), `target` $(L,)$ long, the symbols (never the blank). Return $\log \alpha$ as a tensor
# $(T, 2L + 1)$ of `log_probs`' dtype, $-\infty$ where $\alpha = 0$. Use `logsumexp_safe` for the sums, keep the
# gradient, and loop over the frames only: one vector operation per frame for all states at once (shift the
# previous row by one and by two states); the hidden tests count torch calls, which must not grow with $L$. An
# empty target ($L = 0$) gives $(T, 1)$: the all-blank path.

# %% nbgrader="answer" grade_id="ctc_alpha"
def ctc_alpha(log_probs: torch.Tensor, target: torch.Tensor, blank: int = 0) -> torch.Tensor:
    """log_probs (T, C) of one utterance, target (L,) long -> log alpha (T, 2L + 1) over the extended target
    (blank, l1, blank, ..., lL, blank); -inf where no path reaches a state."""
    ### BEGIN SOLUTION
    S = 2 * target.shape[0] + 1
    ext = torch.full((S,), blank, dtype=torch.long, device=log_probs.device)
    ext[1::2] = target                                                    # (S,) blank, l1, blank, ..., lL, blank
    skip = torch.zeros(S, dtype=torch.bool, device=log_probs.device)
    skip[2:] = (ext[2:] != blank) & (ext[2:] != ext[:-2])                 # state s may be reached from s - 2
    minus_inf = log_probs.new_full((S,), -math.inf)
    alpha = [torch.cat([log_probs[0, ext[:2]], minus_inf[2:]])]           # t = 0: the first blank or the first symbol
    for t in range(1, log_probs.shape[0]):
        prev = alpha[-1]                                                  # (S,)
        from_one = torch.cat([minus_inf[:1], prev[:-1]])                  # alpha_{t-1}(s - 1)
        from_two = torch.where(skip, torch.cat([minus_inf[:2], prev[:-2]]), minus_inf)   # alpha_{t-1}(s - 2)
        alpha.append(logsumexp_safe(torch.stack([prev, from_one, from_two]), dim=0) + log_probs[t, ext])
    return torch.stack(alpha)                                             # (T, S)
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_ctc_alpha" points=2
_half = torch.log(torch.full((3, 2), 0.5))                                # T = 3 frames, blank and 'a' at 0.5 each
_got = run_answer(ctc_alpha, _half, torch.tensor([1]), name="ctc_alpha for 'a' over 3 frames")
check_type(_got, torch.Tensor, "ctc_alpha output")
check_shape(_got, (3, 3), "ctc_alpha for a target of 1 symbol over 3 frames", hint="(T, 2L + 1): states _ a _")
check_close(_got.exp(), torch.tensor([[0.5, 0.5, 0.0], [0.25, 0.5, 0.25], [0.125, 0.375, 0.375]]),
            "alpha for 'a' over 3 frames (every class probability 0.5)",
            hint="alpha_0 = (y(_), y(a), 0); alpha_t(s) = (alpha_{t-1}(s) + alpha_{t-1}(s-1) [+ alpha_{t-1}(s-2) if "
                 "allowed]) * y_t(l'_s); in logs: logsumexp_safe of the log terms, plus the log-probability")
check_close(_got[-1, -2:].exp().sum(), torch.tensor(0.75), "p('a') over 3 frames = 6 of the 8 equally likely paths",
            hint="a__, _a_, __a, aa_, _aa, aaa collapse to 'a'")
_rep = run_answer(ctc_alpha, _half, torch.tensor([1, 1]), name="ctc_alpha for 'a a' over 3 frames")
check_close(_rep.exp(), torch.tensor([[0.5, 0.5, 0.0, 0.0, 0.0], [0.25, 0.5, 0.25, 0.0, 0.0],
                                      [0.125, 0.375, 0.375, 0.125, 0.0]]),
            "alpha for the repeat 'a a' over 3 frames (only the path a _ a fits)",
            hint="no skip from the first a to the second: a repeated symbol must pass through the blank between")
check_true(bool(torch.isneginf(_rep[0, 2:]).all()), "unreachable states hold -inf (log 0)",
           f"got {_rep[0, 2:].tolist()} at frame 0, states 2-4")
_ab = run_answer(ctc_alpha, torch.log(torch.full((2, 3), 1 / 3)), torch.tensor([1, 2]), name="ctc_alpha for 'a b' in 2 frames")
check_close(_ab[-1, -2:].exp().sum(), torch.tensor(1 / 9), "p('a b') over 2 frames (3 classes at 1/3 each): only the path a b",
            hint="the path a b jumps from state 1 (a) to state 3 (b), skipping the blank between: allowed because a != b")
_lp = torch.log_softmax(torch.randn(5, 4, generator=torch.Generator().manual_seed(0)), -1).requires_grad_(True)
_a = run_answer(ctc_alpha, _lp, torch.tensor([2, 3, 1]), name="ctc_alpha with a gradient", copy=False)
check_true(isinstance(_a, torch.Tensor) and _a.requires_grad, "ctc_alpha keeps the gradient",
           "the result is not connected to log_probs")
(-torch.logsumexp(_a[-1, -2:], 0)).backward()
check_true(bool(torch.isfinite(_lp.grad).all()), "the gradient of -log p through your alpha is finite (no NaN)",
           f"gradient {_lp.grad}", hint="torch.logsumexp over all -inf terms has a NaN gradient: use logsumexp_safe")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import check_close, check_dtype, check_shape, check_true, run_answer   # the course's helpers


def _alpha_loop(probs, target, blank):
    """alpha in probability space, state by state (float64)."""
    ext = [blank]
    for k in target:
        ext += [k, blank]
    T, S = probs.shape[0], len(ext)
    a = torch.zeros(T, S, dtype=torch.float64)
    a[0, 0] = probs[0, blank]
    if S > 1:
        a[0, 1] = probs[0, ext[1]]
    for t in range(1, T):
        for s in range(S):
            v = a[t - 1, s] + (a[t - 1, s - 1] if s >= 1 else 0.0)
            if s >= 2 and ext[s] != blank and ext[s] != ext[s - 2]:
                v = v + a[t - 1, s - 2]
            a[t, s] = v * probs[t, ext[s]]
    return a.log()


_g = torch.Generator().manual_seed(5)
_hlp = torch.log_softmax(torch.randn(9, 6, generator=_g, dtype=torch.float64), -1)
_ht = torch.tensor([3, 3, 1, 4])
_want = _alpha_loop(_hlp.exp(), _ht.tolist(), 0)
_want_b5 = _alpha_loop(_hlp.exp(), [3, 3, 1, 4], 5)
_want_empty = _alpha_loop(_hlp.exp(), [], 0)
_want_one = _alpha_loop(_hlp[:1].exp(), [2], 0)
_want_short = _alpha_loop(_hlp[:4].exp(), [2, 2, 2], 0)
_ref_nll = F.ctc_loss(_hlp[:, None], _ht[None], torch.tensor([9]), torch.tensor([4]), reduction="sum")
_hlogits = torch.randn(8, 6, generator=_g, dtype=torch.float64)
_leaf = _hlogits.clone().requires_grad_(True)
F.ctc_loss(torch.log_softmax(_leaf, -1)[:, None], torch.tensor([[1, 2, 2, 3]]), torch.tensor([8]), torch.tensor([4]),
           reduction="sum").backward()
_grad_ref = _leaf.grad
_flat = torch.full((400, 11), -math.log(11.0), dtype=torch.float64)              # 400 frames, every class 1/11
_want_long = F.ctc_loss(_flat[:, None], torch.tensor([[3, 3, 7]]), torch.tensor([400]), torch.tensor([3]), reduction="sum")


from course_lib.notebook.checks import count_torch_calls   # a loop over the states makes more calls for longer targets


with written_by_you("ctc_alpha"):
    _got = run_answer(ctc_alpha, _hlp, _ht, name="hidden check: a repeat and 9 frames")
    check_dtype(_got, torch.float64, "hidden check: float64 log_probs give float64 alpha")
    check_close(_got, _want, "hidden check: alpha for (3, 3, 1, 4) over 9 random frames equals the probability-space "
                "loop (float64)", atol=1e-10, rtol=1e-10)
    check_close(-torch.logsumexp(_got[-1, -2:], 0), _ref_nll, "hidden check: -log p from alpha equals F.ctc_loss",
                atol=1e-10, rtol=1e-10)
    check_close(run_answer(ctc_alpha, _hlp, _ht, blank=5, name="hidden check: blank=5"), _want_b5,
                "hidden check: the blank argument (blank = 5, the last class)", atol=1e-10, rtol=1e-10)
    _e = run_answer(ctc_alpha, _hlp, torch.tensor([], dtype=torch.long), name="hidden check: empty target")
    check_shape(_e, (9, 1), "hidden check: an empty target gives (T, 1)")
    check_close(_e, _want_empty, "hidden check: an empty target: the all-blank path", atol=1e-10, rtol=1e-10)
    check_close(run_answer(ctc_alpha, _hlp[:1], torch.tensor([2]), name="hidden check: one frame"), _want_one,
                "hidden check: a single frame", atol=1e-10, rtol=1e-10)
    check_close(run_answer(ctc_alpha, _hlp[:4], torch.tensor([2, 2, 2]), name="hidden check: infeasible"), _want_short,
                "hidden check: (2, 2, 2) over 4 frames (needs 5): the last states stay -inf", atol=1e-10, rtol=1e-10)
    _leaf = _hlogits.clone().requires_grad_(True)
    _a = run_answer(ctc_alpha, torch.log_softmax(_leaf, -1), torch.tensor([1, 2, 2, 3]), name="hidden check: gradient",
                    copy=False)
    (-torch.logsumexp(_a[-1, -2:], 0)).backward()
    check_close(_leaf.grad, _grad_ref, "hidden check: the gradient of -log p through alpha (with respect to the logits "
                "under a log_softmax) equals F.ctc_loss's (float64)", atol=1e-9)
    _long = run_answer(ctc_alpha, _flat, torch.tensor([3, 3, 7]), name="hidden check: 400 frames")
    check_close(-torch.logsumexp(_long[-1, -2:], 0), _want_long, "hidden check: 400 frames at probability 1/11 each "
                "(p underflows to 0 unless alpha stays in log space)", atol=1e-7)
    with count_torch_calls() as _few:
        run_answer(ctc_alpha, _hlp, torch.tensor([1, 2]), name="hidden check: 2 symbols")
    with count_torch_calls() as _lots:
        run_answer(ctc_alpha, _hlp, torch.tensor([1, 2, 3, 4, 5, 1, 2, 3]), name="hidden check: 8 symbols")
    check_true(_few.count == _lots.count, "hidden check: no Python loop over the states (as many torch calls for 8 "
               "symbols as for 2, over the same 9 frames)", f"{_few.count} torch calls for 2 symbols, {_lots.count} for 8")
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 6 — the CTC loss (2 points)
#
# Write `ctc_nll(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
# zero_infinity=False)` with the arguments and results of `F.ctc_loss`: `log_probs` $(T, N, C)$, `targets`
# $(N, S_{max})$ long, padded (only the first `target_lengths[n]` entries of row $n$ are the target; the rest may
# hold anything), `input_lengths` and `target_lengths` $(N,)$. For each utterance, the loss is
# $-\log p$ from **your** `ctc_alpha` over its first `input_lengths[n]` frames ($+\infty$ if the target is
# infeasible); with `zero_infinity=True` an infinite loss becomes 0, with a zero gradient (not NaN). Then
# `reduction="none"` returns the $(N,)$ losses, `"sum"` their sum, and `"mean"` — careful, this is torch's
# convention — the mean over the batch of **each loss divided by its target length** (a length 0 counts as 1).
# A Python loop over the batch is fine.

# %% nbgrader="answer" grade_id="ctc_nll"
def ctc_nll(log_probs: torch.Tensor, targets: torch.Tensor, input_lengths: torch.Tensor, target_lengths: torch.Tensor,
            blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> torch.Tensor:
    """log_probs (T, N, C), targets (N, S) padded long, input_lengths (N,), target_lengths (N,) -> the CTC
    negative log-likelihood as F.ctc_loss computes it: (N,) for reduction "none", else 0-dim."""
    ### BEGIN SOLUTION
    losses = []
    for n in range(log_probs.shape[1]):
        T_n, L_n = int(input_lengths[n]), int(target_lengths[n])
        alpha = ctc_alpha(log_probs[:T_n, n], targets[n, :L_n], blank)              # (T_n, 2 L_n + 1)
        losses.append(-logsumexp_safe(alpha[-1, -2:], dim=0))                       # end in the last symbol or blank
    loss = torch.stack(losses)                                                      # (N,)
    if zero_infinity:
        loss = torch.where(torch.isinf(loss), torch.zeros_like(loss), loss)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return (loss / target_lengths.to(loss.dtype).clamp(min=1)).mean()
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_ctc_nll" points=2
_g = torch.Generator().manual_seed(1)
_lp = torch.log_softmax(torch.randn(7, 3, 5, generator=_g), -1)
_tg = torch.tensor([[1, 2, 2, 0], [3, 4, 4, 4], [2, 9, 9, 9]])            # padded with junk after target_lengths
_il, _tl = torch.tensor([7, 5, 6]), torch.tensor([3, 1, 1])
_want = F.ctc_loss(_lp, _tg, _il, _tl, reduction="none")
_got = run_answer(ctc_nll, _lp, _tg, _il, _tl, reduction="none", name="ctc_nll(reduction='none')")
check_type(_got, torch.Tensor, "ctc_nll output")
check_shape(_got, (3,), "ctc_nll(reduction='none') of a batch of 3", hint="one loss per utterance")
check_close(_got, _want, "ctc_nll(reduction='none') equals F.ctc_loss", atol=1e-4,
            hint="utterance n uses only its first input_lengths[n] frames and first target_lengths[n] symbols; "
                 "-log p = -logsumexp of the last two states of the last real frame")
check_close(run_answer(ctc_nll, _lp, _tg, _il, _tl, name="ctc_nll(reduction='mean')"),
            F.ctc_loss(_lp, _tg, _il, _tl), "ctc_nll with the default reduction 'mean' equals F.ctc_loss", atol=1e-4,
            hint="'mean' divides EACH loss by its target length, then averages over the batch")
check_close(run_answer(ctc_nll, _lp, _tg, _il, _tl, reduction="sum", name="ctc_nll(reduction='sum')"),
            F.ctc_loss(_lp, _tg, _il, _tl, reduction="sum"), "ctc_nll(reduction='sum') equals F.ctc_loss", atol=1e-4)
_short = torch.tensor([3, 5, 6])                                          # 'b c c' in 3 frames needs 4
check_close(run_answer(ctc_nll, _lp, _tg, _short, _tl, reduction="none", name="ctc_nll of an infeasible target"),
            F.ctc_loss(_lp, _tg, _short, _tl, reduction="none"), "an infeasible target ('b c c' in 3 frames) costs +inf",
            atol=1e-4, hint="no path: alpha of the last states is -inf, so the loss is +inf (a repeat needs a blank)")
check_dtype(run_answer(ctc_nll, _lp.double(), _tg, _il, _tl, name="ctc_nll in float64"), torch.float64,
            "ctc_nll of float64 log_probs is float64", hint="keep the input's dtype: no .float() on the way")
_leaf = _lp.clone().requires_grad_(True)
_z = run_answer(ctc_nll, _leaf, _tg, _short, _tl, zero_infinity=True, name="ctc_nll(zero_infinity=True)", copy=False)
check_close(_z, F.ctc_loss(_lp, _tg, _short, _tl, zero_infinity=True), "ctc_nll with zero_infinity=True: the "
            "infeasible loss counts as 0", atol=1e-4, hint="replace an infinite loss by 0 before the reduction")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import check_close, check_dtype, check_shape, check_true, run_answer   # the course's helpers
_g = torch.Generator().manual_seed(7)
_hlp = torch.log_softmax(torch.randn(12, 5, 6, generator=_g, dtype=torch.float64), -1)
_htg = torch.tensor([[1, 1, 2, 0, 0], [3, 4, 5, 1, 2], [5, 5, 5, 5, 5], [2, 0, 0, 0, 0], [4, 3, 3, 1, 1]])
_hil, _htl = torch.tensor([12, 9, 6, 1, 12]), torch.tensor([3, 5, 4, 0, 5])   # row 2 needs 7 frames: infeasible
_want = {r: F.ctc_loss(_hlp, _htg, _hil, _htl, reduction=r) for r in ("none", "sum", "mean")}
_want_z = {r: F.ctc_loss(_hlp, _htg, _hil, _htl, reduction=r, zero_infinity=True) for r in ("none", "mean")}
_ok_rows = torch.tensor([0, 1, 3, 4])
_hlogits = torch.randn(12, 5, 6, generator=_g, dtype=torch.float64)   # F.ctc_loss's gradient is right for the logits
_leaf_ref = _hlogits[:, _ok_rows].clone().requires_grad_(True)        # under a log_softmax (not for log_probs alone)
F.ctc_loss(torch.log_softmax(_leaf_ref, -1), _htg[_ok_rows], _hil[_ok_rows], _htl[_ok_rows]).backward()
_grad_ref = _leaf_ref.grad
_leaf_z = _hlogits.clone().requires_grad_(True)
F.ctc_loss(torch.log_softmax(_leaf_z, -1), _htg, _hil, _htl, zero_infinity=True).backward()
_grad_z = _leaf_z.grad
_tg_b = torch.where(_htg == 5, torch.tensor(0), _htg)                     # symbols 0-4, blank = 5
_want_b = F.ctc_loss(_hlp, _tg_b, _hil, _htl, blank=5, reduction="none")
_want_32 = F.ctc_loss(_hlp.float(), _htg, _hil, _htl, reduction="none")
with written_by_you("ctc_nll"):
    for _r in ("none", "sum", "mean"):
        _got = run_answer(ctc_nll, _hlp, _htg, _hil, _htl, reduction=_r, name=f"hidden check: reduction {_r}")
        check_close(_got, _want[_r], f"hidden check: reduction='{_r}' equals F.ctc_loss on a float64 batch with "
                    "repeats, an infeasible row and a target of length 0", atol=1e-9, rtol=1e-9)
        check_dtype(_got, torch.float64, f"hidden check: reduction='{_r}' keeps float64")
    for _r in ("none", "mean"):
        check_close(run_answer(ctc_nll, _hlp, _htg, _hil, _htl, reduction=_r, zero_infinity=True,
                               name="hidden check: zero_infinity"), _want_z[_r],
                    f"hidden check: zero_infinity=True, reduction='{_r}' (float64, target length 0 counts as 1)",
                    atol=1e-9, rtol=1e-9)
    _leaf = _hlogits[:, _ok_rows].clone().requires_grad_(True)
    run_answer(lambda x: ctc_nll(torch.log_softmax(x, -1), _htg[_ok_rows], _hil[_ok_rows], _htl[_ok_rows]), _leaf,
               name="hidden check: gradient", copy=False).backward()
    check_close(_leaf.grad, _grad_ref, "hidden check: the gradient with respect to the logits (under a log_softmax) "
                "equals F.ctc_loss's (float64, feasible rows)", atol=1e-8)
    _leaf = _hlogits.clone().requires_grad_(True)
    run_answer(lambda x: ctc_nll(torch.log_softmax(x, -1), _htg, _hil, _htl, zero_infinity=True), _leaf,
               name="hidden check: zero_infinity gradient", copy=False).backward()
    check_true(bool(torch.isfinite(_leaf.grad).all()), "hidden check: zero_infinity=True gives a finite gradient "
               "(no NaN) with an infeasible row", f"{int(torch.isnan(_leaf.grad).sum())} NaN gradient entries")
    check_close(_leaf.grad, _grad_z, "hidden check: with zero_infinity=True the gradient equals F.ctc_loss's "
                "(0 for the infeasible row)", atol=1e-8)
    check_close(run_answer(ctc_nll, _hlp, _tg_b, _hil, _htl, blank=5, reduction="none", name="hidden check: blank=5"),
                _want_b, "hidden check: the blank argument (blank = 5, the last class)", atol=1e-9)
    _got = run_answer(ctc_nll, _hlp.float(), _htg, _hil, _htl, reduction="none", name="hidden check: float32")
    check_dtype(_got, torch.float32, "hidden check: float32 log_probs give a float32 loss")
    check_close(_got, _want_32, "hidden check: float32 equals F.ctc_loss", atol=1e-4)
    check_close(run_answer(ctc_nll, _hlp[:, 1:2], _htg[1:2], _hil[1:2], _htl[1:2], reduction="none",
                           name="hidden check: batch of one"), _want["none"][1:2], "hidden check: a batch of one",
                atol=1e-9)
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Scoring transcripts: WER and CER
#
# A recognizer is scored by the **word error rate**: align its output (the *hypothesis*) with the reference
# transcript by the fewest word edits — substitutions $S$, deletions $D$, insertions $I$ — and divide by the
# number of reference words $N$: $\text{WER} = (S + D + I) / N$. The fewest edits is the **Levenshtein
# distance**, a dynamic program over prefixes:
#
# $$d(i, j) = \min\big(d(i-1, j) + 1,\ \ d(i, j-1) + 1,\ \ d(i-1, j-1) + [r_i \neq h_j]\big), \qquad d(i, 0) = i,\ d(0, j) = j.$$
#
# Over a test set, WER is a **corpus** figure: the total edits over the total reference words — not the mean
# of the sentences' WERs (which would give a two-word sentence as much weight as a twenty-word one). WER can
# exceed 1: a hypothesis may insert more words than the reference has. The **character error rate** (CER) is the
# same on characters. These are `jiwer`'s conventions (its defaults: words split at whitespace; characters of
# each string with leading and trailing whitespace removed, inner spaces counted; case and punctuation count).
#
# ### Exercise 7 — edit distance (1 point)
#
# Write `edit_distance(reference, hypothesis)` → `int`: the Levenshtein distance (unit costs) between two
# sequences (lists of words, strings, lists of ints…), of any length. Items are compared with `==` only: they need
# not be hashable (a list of lists is a sequence too), and two items that print alike may differ.

# %% nbgrader="answer" grade_id="edit_distance"
def edit_distance(reference, hypothesis) -> int:
    """The fewest substitutions, deletions and insertions (each costing 1) that turn reference into hypothesis."""
    ### BEGIN SOLUTION
    previous = list(range(len(hypothesis) + 1))                          # d(0, j) = j
    for i, r in enumerate(reference, 1):
        current = [i]                                                    # d(i, 0) = i
        for j, h in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1]
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_edit_distance" points=1
_got = run_answer(edit_distance, "kitten", "sitting", name="edit_distance('kitten', 'sitting')")
check_type(_got, int, "edit_distance output", hint="return a Python int")
check_equal(_got, 3, "edit_distance('kitten', 'sitting')", hint="k->s, e->i, insert g: 3 edits")
check_equal(run_answer(edit_distance, ["one", "two", "three"], ["one", "three"], name="a deletion"), 1,
            "edit_distance of word lists with one word deleted")
check_equal(run_answer(edit_distance, ["one", "two"], ["one", "two", "two", "five"], name="insertions"), 2,
            "edit_distance with two words inserted")
check_equal(run_answer(edit_distance, [], ["x", "y"], name="empty reference"), 2,
            "edit_distance from an empty reference is the hypothesis length", hint="d(0, j) = j")
check_equal(run_answer(edit_distance, "abc", "", name="empty hypothesis"), 3,
            "edit_distance to an empty hypothesis is the reference length", hint="d(i, 0) = i")
check_equal(run_answer(edit_distance, ["a"] * 270, ["b"] * 10, name="edit_distance of 270 and 10 items"), 270,
            "edit_distance of 270 a's and 10 b's", hint="10 substitutions and 260 deletions; a NumPy uint8 table "
            "would overflow at 256")
check_equal(run_answer(edit_distance, "flaw", "lawn", name="edit_distance('flaw', 'lawn')"), 2,
            "edit_distance('flaw', 'lawn'): delete f, insert n", hint="deletions and insertions cost 1 each, "
            "and the alignment may shift: this is not a position-by-position comparison")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import check_equal, check_true, run_answer   # the course's helpers
import random as _random
from rapidfuzz.distance import Levenshtein as _Lev
_rng = _random.Random(7)
_pairs = [([_rng.choice("abcd") for _ in range(_rng.randint(0, 9))], [_rng.choice("abcd") for _ in range(_rng.randint(0, 9))])
          for _ in range(60)]
_wants = [_Lev.distance(a, b) for a, b in _pairs]


class _Item:
    """Compared by value, not hashable, and every one prints the same."""
    __hash__ = None

    def __init__(self, v):
        self.v = v

    def __eq__(self, other):
        return isinstance(other, _Item) and self.v == other.v

    def __repr__(self):
        return "item"


_items_a, _items_b = [_Item(k) for k in (1, 2, 3, 4)], [_Item(k) for k in (1, 3, 3, 5, 4)]




with written_by_you("edit_distance"):
    _got = [run_answer(edit_distance, a, b, name="hidden check: random pairs") for a, b in _pairs]
    _bad = [(a, b, g, w) for (a, b), g, w in zip(_pairs, _got, _wants) if g != w]
    check_true(not _bad, "hidden check: 60 random pairs of sequences (lengths 0-9) equal rapidfuzz's Levenshtein",
               f"first difference: {_bad[0][:2]}: got {_bad[0][2]}, expected {_bad[0][3]}" if _bad else "")
    check_true(all(type(g) is int for g in _got), "hidden check: the distance is a Python int",
               f"got {sorted({type(g).__name__ for g in _got})}")
    check_equal(run_answer(edit_distance, "ab", "ba", name="hidden check: a swap"), 2,
                "hidden check: a swap of two neighbours costs 2 (no transpositions in Levenshtein)")
    check_equal(run_answer(edit_distance, [1, 2, 3], (1, 2, 3), name="hidden check: list and tuple"), 0,
                "hidden check: a list and a tuple with the same items: distance 0")
    check_equal(run_answer(edit_distance, [], [], name="hidden check: two empty"), 0, "hidden check: two empty sequences")
    check_equal(run_answer(edit_distance, ["a"] * 30, ["b"] * 30, name="hidden check: 30 substitutions"), 30,
                "hidden check: 30 substitutions")
    check_equal(run_answer(edit_distance, [[1, 2], [3], {"x": 1}], [[1, 2], [4], [3], {"x": 1}],
                           name="hidden check: unhashable items"), 1,
                "hidden check: items that are compared with == only (lists and dicts, not hashable)")
    check_equal(run_answer(edit_distance, _items_a, _items_b, name="hidden check: items that print alike"), 2,
                "hidden check: unhashable items that print alike but differ (compared with == only)")
    check_equal(run_answer(edit_distance, ["a"] * 270, ["b"] * 10, name="hidden check: 270 items"), 270,
                "hidden check: a distance of 270 (no small integer type that overflows)")
    check_true(not names_reaching(edit_distance, "rapidfuzz"), "hidden check: written by you (no edit-distance library)",
               f"your edit_distance names {names_reaching(edit_distance, 'rapidfuzz')}", hint="the exercise text lists what it may not call")
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 8 — word error rate (1 point)
#
# Write `wer(references, hypotheses)` → `float`: two equally long lists of strings; words are `str.split()`
# pieces (any whitespace separates; case and punctuation count). Corpus WER with **your** `edit_distance`. Raise a
# `ValueError` when the lists differ in length, and when the references hold no word at all (WER is undefined).

# %% nbgrader="answer" grade_id="wer"
def wer(references: list[str], hypotheses: list[str]) -> float:
    """Corpus word error rate: total word edits / total reference words."""
    ### BEGIN SOLUTION
    if len(references) != len(hypotheses):
        raise ValueError(f"wer needs as many hypotheses as references, got {len(references)} and {len(hypotheses)}")
    words = sum(len(r.split()) for r in references)
    if words == 0:
        raise ValueError("wer needs at least one reference word, got none")
    edits = sum(edit_distance(r.split(), h.split()) for r, h in zip(references, hypotheses))
    return edits / words
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_wer" points=1
_got = run_answer(wer, ["one two three", "four five"], ["one too three", "four"], name="wer of two sentences")
check_type(_got, float, "wer output", hint="a Python float: edits / words")
check_close(_got, 0.4, "wer: (1 substitution + 1 deletion) / 5 reference words",
            hint="the CORPUS rate: total edits over total reference words, not the mean of the sentence rates "
                 "(1/3 and 1/2)")
check_close(run_answer(wer, ["one two"], ["one two three four five"], name="wer with insertions"), 1.5,
            "wer can exceed 1: 3 insertions against 2 reference words", hint="divide by the REFERENCE words")
check_close(run_answer(wer, ["seven", "eight nine"], ["", "eight nine"], name="wer with an empty hypothesis"), 1 / 3,
            "wer with an empty hypothesis: one deletion out of 3 words")
check_close(run_answer(wer, ["one two"], ["onetwo"], name="wer of a merged word"), 1.0,
            "wer counts words, not characters: 'onetwo' is 1 substitution + 1 deletion of 2 words",
            hint="split each string into words (str.split()) before the edit distance")
check_close(run_answer(wer, ["Four two"], ["four two"], name="wer with a capital"), 0.5, "wer: case counts",
            hint="compare the words as they are (no lower-casing)")
check_close(run_answer(wer, ["five, six."], ["five six"], name="wer with punctuation"), 1.0,
            "wer: punctuation counts ('five,' is not 'five')", hint="compare the words as they are (no stripping)")
check_raises(lambda: wer([""], ["one"]), ValueError, "wer with no reference word raises ValueError",
             hint="total reference words 0: the rate is undefined")
check_raises(lambda: wer(["one two", "three"], ["one two"]), ValueError,
             "wer of 2 references and 1 hypothesis raises ValueError", hint="zip would silently drop the extra sentence")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import check_close, check_raises, check_type, run_answer   # the course's helpers
import random as _random
import jiwer as _jiwer




_rng = _random.Random(8)
_vocab = ["one", "two", "three", "four", "One", "five,", "five", "six."]
_refs = [" ".join(_rng.choice(_vocab) for _ in range(_rng.randint(1, 7))) for _ in range(40)]
_hyps = [" ".join(_rng.choice(_vocab) for _ in range(_rng.randint(0, 8))) for _ in range(40)]
_want = _jiwer.wer(_refs, _hyps)
_want_sp = _jiwer.wer(["one  two three", " four five "], ["one two  three", "four  six"])
_want_one = _jiwer.wer(_refs[:1], _hyps[:1])
with written_by_you("wer"):
    _got = run_answer(wer, _refs, _hyps, name="hidden check: 40 random sentences")
    check_type(_got, float, "hidden check: wer returns a float")
    check_close(_got, _want, "hidden check: 40 random sentence pairs (case and punctuation count) equal jiwer.wer",
                atol=1e-12)
    check_close(run_answer(wer, _refs[:1], _hyps[:1], name="hidden check: one sentence"), _want_one,
                "hidden check: a single sentence pair", atol=1e-12)
    check_close(run_answer(wer, ["one  two three", " four five "], ["one two  three", "four  six"],
                           name="hidden check: spaces"), _want_sp,
                "hidden check: double spaces and leading/trailing spaces only separate words (str.split())", atol=1e-12)
    check_close(run_answer(wer, ["one two three"], ["one\ttwo\nthree"], name="hidden check: tabs"), 0.0,
                "hidden check: tabs and newlines separate words too (str.split())", atol=1e-12)
    check_raises(lambda: wer(["one"], ["one", "two"]), ValueError,
                 "hidden check: more hypotheses than references raise ValueError")
    check_close(run_answer(wer, ["", "one two"], ["", "one two"], name="hidden check: an empty reference"), 0.0,
                "hidden check: an empty reference with an empty hypothesis adds no edit", atol=1e-12)
    check_raises(lambda: wer(["  ", ""], ["a", "b"]), ValueError,
                 "hidden check: references with no word at all raise ValueError")
    check_raises(lambda: wer([], []), ValueError, "hidden check: empty lists raise ValueError")
    check_close(run_answer(wer, ["five, six."], ["five six"], name="hidden check: punctuation"), 1.0,
                "hidden check: punctuation counts ('five,' is not 'five')", atol=1e-12)
    check_true(not names_reaching(wer, "rapidfuzz"), "hidden check: written by you (no edit-distance library)",
               f"your wer names {names_reaching(wer, 'rapidfuzz')}", hint="the exercise text lists what it may not call")
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 9 — character error rate (1 point)
#
# Write `cer(references, hypotheses)` → `float`: the same corpus rate on characters, with **your**
# `edit_distance` on the strings with leading and trailing whitespace removed (`str.strip()`); inner spaces are
# characters and count. Same `ValueError`s as `wer` (no reference character at all: undefined).

# %% nbgrader="answer" grade_id="cer"
def cer(references: list[str], hypotheses: list[str]) -> float:
    """Corpus character error rate: total character edits / total reference characters (ends stripped)."""
    ### BEGIN SOLUTION
    if len(references) != len(hypotheses):
        raise ValueError(f"cer needs as many hypotheses as references, got {len(references)} and {len(hypotheses)}")
    refs, hyps = [r.strip() for r in references], [h.strip() for h in hypotheses]
    chars = sum(len(r) for r in refs)
    if chars == 0:
        raise ValueError("cer needs at least one reference character, got none")
    return sum(edit_distance(r, h) for r, h in zip(refs, hyps)) / chars
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_cer" points=1
_got = run_answer(cer, ["one two", "three"], ["one tw", "tree"], name="cer of two sentences")
check_type(_got, float, "cer output")
check_close(_got, 2 / 12, "cer: 2 character edits over 12 reference characters (the space counts)",
            hint="'one two' has 7 characters including the space; the corpus rate is total edits / total characters")
check_close(run_answer(cer, ["ab cd"], ["abcd"], name="cer of a lost space"), 0.2,
            "cer: a missing space is one deletion out of 5 characters", hint="do not remove the inner spaces")
check_close(run_answer(cer, ["nine"], ["Nine"], name="cer with a capital"), 0.25, "cer: case counts",
            hint="compare the characters as they are (no lower-casing)")
check_raises(lambda: cer([""], ["x"]), ValueError, "cer with no reference character raises ValueError")
check_close(run_answer(cer, ["", "ab"], ["x", "ab"], name="cer with one empty reference"), 0.5,
            "cer with an empty reference among others: 1 insertion over 2 reference characters",
            hint="only a corpus with no reference character at all is undefined")
check_raises(lambda: cer(["ab", "c"], ["ab"]), ValueError, "cer of 2 references and 1 hypothesis raises ValueError")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import check_close, check_raises, check_type, run_answer   # the course's helpers
import random as _random
import jiwer as _jiwer
_rng = _random.Random(9)
_refs = ["".join(_rng.choice("ab cD,") for _ in range(_rng.randint(1, 12))).strip() or "a" for _ in range(40)]
_hyps = ["".join(_rng.choice("ab cD,") for _ in range(_rng.randint(0, 12))).strip() for _ in range(40)]
_want = _jiwer.cer(_refs, _hyps)
_want_ends = _jiwer.cer([" one two ", "three"], ["one  two", "  three "])
_want_empty = _jiwer.cer(["", "ab"], ["x", "ab"])




with written_by_you("cer"):
    _got = run_answer(cer, _refs, _hyps, name="hidden check: 40 random strings")
    check_type(_got, float, "hidden check: cer returns a float")
    check_close(_got, _want, "hidden check: 40 random strings (spaces, case, punctuation) equal jiwer.cer", atol=1e-12)
    check_close(run_answer(cer, [" one two ", "three"], ["one  two", "  three "], name="hidden check: ends"), _want_ends,
                "hidden check: leading and trailing spaces are stripped, inner spaces count (as jiwer.cer)", atol=1e-12)
    check_raises(lambda: cer(["ab"], ["ab", "c"]), ValueError, "hidden check: more hypotheses than references raise "
                 "ValueError")
    check_raises(lambda: cer(["  "], ["a"]), ValueError, "hidden check: references of only spaces raise ValueError")
    check_close(run_answer(cer, ["", "ab"], ["x", "ab"], name="hidden check: an empty reference"), _want_empty,
                "hidden check: an empty reference among others is fine (its hypothesis' characters are insertions)",
                atol=1e-12)
    check_true(not names_reaching(cer, "rapidfuzz"), "hidden check: written by you (no edit-distance library)",
               f"your cer names {names_reaching(cer, 'rapidfuzz')}", hint="the exercise text lists what it may not call")
### END HIDDEN TESTS

# %% [markdown]
# ## 6. A recognizer: convolutions, a bidirectional GRU, CTC
#
# `CTCRecognizer` (course_lib) is the model of the reference figure: the two stride-2 convolutions of Section 3
# (32 channels, ReLU) over the log-mel frames, a one-layer **bidirectional GRU** (128 units each way) over the
# quarter-rate frames, and a linear layer to the 11 classes with a log-softmax: log-probabilities $(T', N, 11)$
# and the output lengths — computed with **your** `conv_output_length`, which the model is given. It trains
# with torch's `F.ctc_loss` (fast, in C++), on batches of 32 training utterances, Adam, gradients clipped at
# norm 5; your `ctc_nll` is checked against it on the model's own outputs below, your `ctc_greedy` decodes and
# your `wer` and `cer` score. The reference figure to beat: **WER 0.325 on the unseen voice after two epochs
# (about 100 s)**.
#
# One step of the front end is not learned: every utterance is **normalised per mel band** over its own frames
# (mean 0, standard deviation 1; *cepstral mean and variance normalisation* in the literature). A microphone
# or a louder voice multiplies the power spectrum by a factor per band, which the log turns into a constant
# per band; the normalisation removes exactly such constants, whatever the voice. The cell prints how far apart
# the voices' mean levels are before it.

# %%
def normalise(feats: torch.Tensor) -> torch.Tensor:
    """(T, n_mels) -> each mel band with mean 0 and standard deviation 1 over the utterance's frames."""
    return (feats - feats.mean(0)) / (feats.std(0) + 1e-3)


voice_level = {v: float(torch.cat([c.features for c in clips if c.voice == v]).float().mean()) for v in VOICES}
print(f"mean log-mel level of each voice's clips: {min(voice_level.values()):.2f} ({min(voice_level, key=voice_level.get)}) "
      f"to {max(voice_level.values()):.2f} ({max(voice_level, key=voice_level.get)}); after normalising, every "
      f"utterance has mean 0 in every band")
train_norm = [(normalise(f), d) for f, d in train_utts]
test_norm = [(normalise(f), d) for f, d in test_utts]


def to_words(class_ids: list[int]) -> str:
    """CTC class ids (digit d is class d + 1) -> the words of the digits, e.g. [5, 3] -> 'four two'."""
    return digits_to_words([k - 1 for k in class_ids])


def transcribe(model: nn.Module, utterances: list, batch_size: int = 100) -> list[str]:
    """Greedy transcripts (with your ctc_greedy) of a list of (features, digits) utterances."""
    model.eval()
    out = []
    with torch.no_grad():
        for k in range(0, len(utterances), batch_size):
            feats, lengths, _, _ = speech_batch(utterances[k:k + batch_size])
            log_probs, out_lengths = model(feats.to(device), lengths.to(device))
            out += [to_words(ids) for ids in ctc_greedy(log_probs.cpu(), out_lengths.cpu())]
    model.train()
    return out


def endless_batches(utterances: list, batch_size: int, seed: int = 0):
    """Shuffled batches of `batch_size` utterances, epoch after epoch."""
    rng = np.random.default_rng(seed)
    while True:
        order = rng.permutation(len(utterances))
        for k in range(0, len(order) - batch_size + 1, batch_size):
            yield speech_batch([utterances[i] for i in order[k:k + batch_size]])


def ctc_step_loss(model: nn.Module, batch) -> torch.Tensor:
    feats, lengths, targets, target_lengths = batch
    log_probs, out_lengths = model(feats.to(device), lengths.to(device))
    return F.ctc_loss(log_probs, targets.to(device), out_lengths, target_lengths.to(device))


seed_everything(0)
recognizer = CTCRecognizer(output_length=conv_output_length).to(device)
n_params = sum(p.numel() for p in recognizer.parameters())
print(recognizer)
optimizer = torch.optim.Adam(recognizer.parameters(), lr=5e-3)
steps = budget(full=160, grading=2)
start = time.perf_counter()
history = train(recognizer, optimizer, endless_batches(train_norm, 32), ctc_step_loss, steps, max_grad_norm=5.0,
                progress=False)
train_seconds = time.perf_counter() - start
print(f"{n_params:,} parameters; {steps} steps of 32 utterances ({steps * 32 / len(train_utts):.2f} epochs of "
      f"{len(train_utts)}) in {train_seconds:.1f} s")
print(f"CTC loss: first 10 steps {np.mean(history['loss'][:10]):.3f}, last 10 {np.mean(history['loss'][-10:]):.3f}")

# %% [markdown]
# First, **your** `ctc_nll` on the trained model's real outputs for one batch of test utterances, next to
# `F.ctc_loss` (both in float64), and the per-frame lengths your `conv_output_length` gave the model:

# %%
feats, lengths, targets, target_lengths = speech_batch(test_norm[:16])
with torch.no_grad():
    log_probs, out_lengths = recognizer(feats.to(device), lengths.to(device))
log_probs64 = log_probs.detach().cpu().double()
start = time.perf_counter()
yours = ctc_nll(log_probs64, targets, out_lengths.cpu(), target_lengths, reduction="none")
yours_seconds = time.perf_counter() - start
torch_loss = F.ctc_loss(log_probs64, targets, out_lengths.cpu(), target_lengths, reduction="none")
print(f"log_probs {tuple(log_probs.shape)} for {len(lengths)} utterances of {int(lengths.min())}-{int(lengths.max())} "
      f"frames -> {int(out_lengths.min())}-{int(out_lengths.max())} output frames")
print(f"your ctc_nll: mean {float(yours.mean()):.4f} nats per utterance in {yours_seconds:.2f} s; F.ctc_loss: "
      f"{float(torch_loss.mean()):.4f}; max |difference| {float((yours - torch_loss).abs().max()):.2e}")

# %% [markdown]
# Now the test: greedy transcripts of the held-out voice (decoded by your `ctc_greedy`, scored by your `wer` and
# `cer`), and, for contrast, of new utterances assembled from the **training** voices' clips.

# %%
refs = [digits_to_words(d) for _, d in test_utts]
hyps = transcribe(recognizer, test_norm)
seen_utts = make_utterances(clips, budget(full=400, grading=24), voices=train_voices, seed=2)
seen_refs = [digits_to_words(d) for _, d in seen_utts]
seen_hyps = transcribe(recognizer, [(normalise(f), d) for f, d in seen_utts])
test_wer, test_cer = wer(refs, hyps), cer(refs, hyps)
print(f"unseen voice {TEST_VOICE}: WER {test_wer:.3f}, CER {test_cer:.3f}, whole utterances right "
      f"{np.mean([r == h for r, h in zip(refs, hyps)]):.1%} ({len(refs)} utterances)")
print(f"training voices (new digit strings): WER {wer(seen_refs, seen_hyps):.3f}, CER {cer(seen_refs, seen_hyps):.3f}")
print(f"reference to beat, WER 0.325 after two epochs (~100 s): this run "
      f"{'beats it' if test_wer < 0.325 else 'does NOT beat it'} (WER {test_wer:.3f} after {steps * 32 / len(train_utts):.2f} "
      f"epochs, {train_seconds:.0f} s)")
for r, h in list(zip(refs, hyps))[:5]:
    print(f"  truth: {r:32s} heard: {h}")

# %% [markdown]
# ## 7. What CTC learned: an alignment over a spectrogram
#
# Nobody told the model where each digit starts. The picture shows what it found, for one test utterance:
# the log-mel features on top; below, the model's probability of each class at every output frame (one output
# frame covers four input frames). CTC models typically emit each symbol as a **spike** in one or two frames and
# the blank everywhere else — the blank is not "silence", it is "nothing new here".

# %%
example = next((k for k, (r, h) in enumerate(zip(refs, hyps)) if r == h and len(r.split()) >= 3), 0)
feats_x, digits_x = test_utts[example]
norm_x = normalise(feats_x)
with torch.no_grad():
    lp_x, len_x = recognizer(norm_x[None].to(device), torch.tensor([feats_x.shape[0]], device=device))
probs_x = lp_x[: int(len_x[0]), 0].exp().cpu().numpy()                       # (T', 11)
frame_s = HOP_LENGTH / SAMPLE_RATE
out_s = feats_x.shape[0] * frame_s / probs_x.shape[0]                         # seconds per output frame
fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 5), sharex=True)
ax1.imshow(feats_x.float().T.numpy(), origin="lower", aspect="auto", cmap="magma",
           extent=(0, feats_x.shape[0] * frame_s, 0, N_MELS))
ax1.set(ylabel="mel band", title=f"test utterance '{digits_to_words(digits_x)}' (voice {TEST_VOICE}); "
        f"heard '{hyps[example]}'")
ax1.grid(False)
times = (np.arange(probs_x.shape[0]) + 0.5) * out_s
ax2.plot(times, probs_x[:, 0], color="0.6", linestyle="--", label="blank")
for d in sorted(set(digits_x)):
    ax2.plot(times, probs_x[:, d + 1], color=PALETTE[d % len(PALETTE)], label=digits_to_words([d]))
ax2.set(xlabel="time (s)", ylabel="probability", ylim=(0, 1.05))
ax2.legend(loc="upper right", ncol=6, fontsize=8)
plt.tight_layout()
plt.show()
best_x = probs_x.argmax(1)
print(f"output frames: {probs_x.shape[0]}; blank is the most probable class in {np.mean(best_x == 0):.0%} of them; "
      f"frames where a digit wins: {int((best_x != 0).sum())} for {len(digits_x)} digits")
print(f"mean probability of the winning digit where a digit wins: {probs_x.max(1)[best_x != 0].mean():.2f}")

# %% [markdown]
# ## 8. A real recording? What the model does on audio it never saw
#
# The issue asked what the model does on a real recording, if one ships in an installed package. The cell
# searches the installed packages for audio files:

# %%
import importlib.metadata
import warnings

AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".mp3", ".au", ".aiff"}


def seconds(path) -> float | None:
    """The duration of a WAV file that scipy can read, else None."""
    from scipy.io import wavfile
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")                 # some test files are broken on purpose
            rate, samples = wavfile.read(path)
    except Exception:  # noqa: BLE001 - unreadable: not counted
        return None
    return len(samples) / rate


if is_grading():
    print("(the search is skipped while grading)")
else:
    packages = list(importlib.metadata.distributions())
    audio_files = [(dist.metadata["Name"], f) for dist in packages for f in (dist.files or ())
                   if f.suffix.lower() in AUDIO_SUFFIXES]
    print(f"{len(audio_files)} audio files in the {len(packages)} installed packages:")
    for name in sorted({n for n, _ in audio_files}):
        found = [f for n, f in audio_files if n == name]
        durations = [d for d in (seconds(f.locate()) for f in found if f.suffix.lower() == ".wav") if d is not None]
        longest = f"; the longest readable lasts {max(durations):.3f} s" if durations else ""
        print(f"  {name}: {len(found)} files (e.g. {found[0].name}){longest}")

# %% [markdown]
# None of them is speech: SciPy's are the test files of its WAV reader, named by their formats and far too short
# to hold a spoken word (the printed longest; a digit takes about half a second), and the others are an interface
# sound; no recording of a human voice ships. So instead of a real recording: the held-out voice's own waveforms
# (`load_digit_waves`), strung into new digit strings and turned into features by **your** `log_mel`, under two
# changes the training data never had: white noise at a given signal-to-noise ratio (SNR), and a faster, higher
# voice (the waveform resampled to 80 % of its samples: 25 % faster and 25 % higher, like a tape played fast).

# %%
def digit_string_wave(digits: list[int], rate: float = 1.0, snr_db: float | None = None, seed: int = 0) -> torch.Tensor:
    """The shipped waveforms of `digits` joined by 0.1 s pauses, played `rate` times faster (resampled), with
    white noise at `snr_db` dB (None: none)."""
    g = torch.Generator().manual_seed(seed)
    pause = torch.zeros(int(0.1 * SAMPLE_RATE))
    wave = torch.cat([pause] + [piece for d in digits for piece in (wave_of[d], pause)])
    if rate != 1.0:
        n = int(wave.shape[0] / rate)
        wave = torch.from_numpy(np.interp(np.linspace(0, wave.shape[0] - 1, n), np.arange(wave.shape[0]),
                                          wave.numpy())).float()
    if snr_db is not None:
        noise = torch.randn(wave.shape[0], generator=g)
        noise *= wave.pow(2).mean().sqrt() / noise.pow(2).mean().sqrt() / 10 ** (snr_db / 20)
        wave = wave + noise
    return wave


wave_of = {d: w for w, d, _ in waves}
rng = np.random.default_rng(5)
strings = [rng.integers(0, 10, rng.integers(2, 6)).tolist() for _ in range(budget(full=150, grading=10))]
conditions = {"clean": dict(), "SNR 20 dB": dict(snr_db=20.0), "SNR 10 dB": dict(snr_db=10.0),
              "SNR 0 dB": dict(snr_db=0.0), "25% faster": dict(rate=1.25)}
robust = {}
for name, kw in conditions.items():
    utts = [(normalise(log_mel(digit_string_wave(s, seed=k, **kw), SAMPLE_RATE, N_FFT, HOP_LENGTH, N_MELS)), s)
            for k, s in enumerate(strings)]
    r, h = [digits_to_words(s) for s in strings], transcribe(recognizer, utts)
    robust[name] = (wer(r, h), cer(r, h))
    print(f"{name:12s}: WER {robust[name][0]:.3f}, CER {robust[name][1]:.3f}  (e.g. '{r[0]}' -> '{h[0]}')")
worst = max(robust, key=lambda k: robust[k][0])
broken = [k for k in conditions if k != "clean" and robust[k][0] > max(2 * robust["clean"][0], 0.2)]
print(f"\nthe held-out voice from the stored features: WER {test_wer:.3f}; from its waveforms through your log_mel, "
      f"clean: {robust['clean'][0]:.3f}; the worst condition here is '{worst}' (WER {robust[worst][0]:.3f})")
print(f"conditions where the WER is above 0.2 and more than twice the clean one: {', '.join(broken) or 'none'}")

# %% [markdown]
# The last line lists where the model breaks down in this run. Know why it does: every voice it heard comes
# from **one synthesizer** — espeak-ng's formant voices are variations of one set of rules, so "an unseen
# voice" here is a mild change, not a new human speaker — and it never heard noise, a room, a microphone, or a
# speaking rate and pitch outside espeak's three speeds and two pitches. A real recognizer is trained on thousands
# of hours of many speakers in many conditions, and its training data is augmented with noise and speed changes:
# exactly what this model's training lacked.

# %% [markdown]
# ## 9. The course in one table: RNN, LSTM, GRU and attention, measured
#
# The notes this course grew from closed with a comparison of RNN, LSTM, GRU and attention made of claims
# ("GRU: faster", "LSTM: better on long sequences") and a timing plot whose numbers were **simulated**. Here
# every cell of the table is measured by this run, on this machine.
#
# **Four models, one shape.** An embedding of 16, one recurrent layer of 64 units, a linear read-out that
# predicts a token at every position (`course_lib.training.benchmark.SequenceModel`; torch's built-in
# `nn.RNN` (tanh), `nn.LSTM`, `nn.GRU`, PyTorch's default initialisation for all). The fourth model is the GRU
# plus **attention over its own earlier states**: at step $t$ the state $h_t$ is the query, $h_1 \dots h_t$ are
# the keys and values, the score is Day 07's "general" $h_t^\top W h_s$, and the context joins $h_t$ before the
# read-out. A symbol seen 50 steps ago is then one attention hop away instead of 50 recurrent steps.
#
# **Columns.**
# - *parameters* of the recurrent layer, counted, next to the formula of Days 01–04: $H(D + H) + 2H$ for the
#   RNN, 3 times that for the GRU, 4 times for the LSTM; and of the whole model;
# - *time per training step* (forward, backward, Adam step; batch 32; median of several steps after a warm-up,
#   every model and length taking turns) at length 100 and 400: linear scaling would make the second 4 times
#   the first;
# - *long-range recall*: Day 04's copy task ($K = 2$ symbols out of 8) at distances 5 and 50, after the same
#   number of training steps for every model, on 500 new sequences (guessing: 0.125);
# - *quality*: held-out nats per character on Day 08's names (same split), after the same number of steps, for
#   two seeds, next to Day 08's best count-based n-gram model (order and $k$ chosen on validation).
#
# The budget is small on purpose (the whole section takes under 20 seconds of CPU; its last line prints how long
# it took): the table says what each model does **with the same small budget**, not what it could do with
# unlimited training. (While grading, every training runs a few steps and one seed, and the timed sequences are
# shorter; the numbers then mean nothing.)

# %%
import os
import time

import matplotlib.pyplot as plt
import numpy as np
import torch

from course_lib.notebook.plotting import PALETTE
from course_lib.notebook.runtime import budget, is_grading
from course_lib.training import benchmark as bench

table_start = time.perf_counter()
TABLE_CELLS, EMBED_T, HIDDEN_T = bench.CELLS, 16, 64
COPY_SYMBOLS, NEAR, FAR = 8, 5, 50
DISTANCES_T = (NEAR, FAR)
names_splits, names_vocab = bench.names_data(seed=0)               # Day 08's 80 / 10 / 10 split


def table_model(cell, vocab_size, seed, pad_id=None):
    torch.manual_seed(seed)
    return bench.SequenceModel(cell, vocab_size, EMBED_T, HIDDEN_T, pad_id=pad_id).to(device)


params = {}
for cell in TABLE_CELLS:
    model = table_model(cell, len(names_vocab), 0)
    params[cell] = dict(recurrent=bench.count_parameters(model.rnn), total=bench.count_parameters(model),
                        formula=bench.recurrent_parameter_formula(cell, EMBED_T, HIDDEN_T))
rnn_recurrent = params["RNN"]["recurrent"]
print(f"{'model':15s}{'recurrent layer':>16}{'formula':>9}{'x RNN':>7}{'whole model (names)':>21}")
for cell, p in params.items():
    print(f"{cell:15s}{p['recurrent']:16,}{p['formula']:9,}{p['recurrent'] / rnn_recurrent:7.2f}{p['total']:21,}")
print("every recurrent layer has exactly the formula's parameters:",
      all(p["recurrent"] == p["formula"] for p in params.values()))

# %% [markdown]
# ### Time per training step

# %%
SHORT, LONG = budget(full=100, grading=20), budget(full=400, grading=60)      # while grading: shorter
timed = {cell: table_model(cell, len(names_vocab), 0) for cell in TABLE_CELLS}         # fresh models
step_time = bench.time_train_steps(timed, batch=32, lengths=(SHORT, LONG), warmup=1,
                                   repeat=budget(full=9, grading=2), device=device)
print(f"median ms per training step on {device.type} (batch 32, {torch.get_num_threads()} thread(s)); "
      f"linear scaling: {LONG} / {SHORT} = {LONG / SHORT:.1f}")
print(f"{'model':15s}{f'length {SHORT}':>12}{f'length {LONG}':>12}{f'{LONG} / {SHORT}':>11}")
for cell in TABLE_CELLS:
    short, long = step_time[SHORT][cell], step_time[LONG][cell]
    print(f"{cell:15s}{1e3 * short:12.1f}{1e3 * long:12.1f}{long / short:11.1f}")
if hasattr(os, "getloadavg") and device.type == "cpu":
    load, cores = os.getloadavg()[0], os.cpu_count() or 1
    print(f"load average {load:.1f} on {cores} cores: " + ("the machine was busy: these times are inflated, the short "
          "steps most, so read the ratios with care" if load > 0.75 * cores else "the machine was not busy"))

# %% [markdown]
# ### Long-range recall: the copy task at distances 5 and 50

# %%
copy_steps = budget(full=150, grading=5)
recall, copy_seconds = {}, {}
for cell in TABLE_CELLS:
    start = time.perf_counter()
    for distance in DISTANCES_T:
        model = table_model(cell, COPY_SYMBOLS + 2, 0)
        recall[cell, distance] = bench.copy_recall(model, distance, copy_steps, n_copy=2, n_symbols=COPY_SYMBOLS,
                                                   batch=32, lr=3e-2, seed=0, device=device)
    copy_seconds[cell] = time.perf_counter() - start
guess = 1 / COPY_SYMBOLS
print(f"recall accuracy after {copy_steps} steps (batch 32), 500 new sequences, seed 0; guessing {guess:.3f}")
print(f"{'model':15s}" + "".join(f"{f'distance {d}':>13}" for d in DISTANCES_T) + f"{'seconds':>9}")
for cell in TABLE_CELLS:
    print(f"{cell:15s}" + "".join(f"{recall[cell, d]:13.2f}" for d in DISTANCES_T) + f"{copy_seconds[cell]:9.1f}")
print(f"one seed only: a second would add {sum(copy_seconds.values()):.1f} s to this section")

# %% [markdown]
# ### Quality on a course task: names, nats per character

# %%
lm_steps, lm_seeds = budget(full=150, grading=5), list(range(budget(full=2, grading=1)))
lm_nats = {cell: [] for cell in TABLE_CELLS}
for seed in lm_seeds:
    for cell in TABLE_CELLS:
        model = table_model(cell, len(names_vocab), seed, pad_id=names_vocab.pad_id)
        bench.train_char_lm(model, names_splits.train, names_vocab, lm_steps, batch=64, lr=1e-2, seed=seed,
                            device=device)
        lm_nats[cell].append(bench.nats_per_char(model, names_splits.test, names_vocab, device=device))
ngram = bench.ngram_nats(names_splits, orders=(2, 3, 4)[-budget(full=3, grading=1):])   # while grading: 4-grams only
print(f"test nats per character after {lm_steps} steps (batch 64), seeds {lm_seeds}")
print(f"{'model':15s}" + "".join(f"{f'seed {s}':>9}" for s in lm_seeds) + f"{'mean':>8}{'spread':>8}")
for cell in TABLE_CELLS:
    v = lm_nats[cell]
    print(f"{cell:15s}" + "".join(f"{x:9.3f}" for x in v) + f"{np.mean(v):8.3f}{bench.seed_spread(v):8.3f}")
print(f"{f'{ngram.order}-gram, k={ngram.k}':15s}{ngram.test:9.3f}   (Day 08's baseline: order and k chosen on "
      "validation)")
rankings = [sorted(TABLE_CELLS, key=lambda c: lm_nats[c][i]) for i in range(len(lm_seeds))]
for s, r in zip(lm_seeds, rankings):
    print(f"seed {s}, best to worst: " + " < ".join(r))
if len(rankings) > 1:
    print("the seeds " + ("agree on the ranking" if all(r == rankings[0] for r in rankings) else
                          "DISAGREE on the ranking: both are shown above"))

# %% [markdown]
# ### The table

# %%
lm_mean = {cell: float(np.mean(v)) for cell, v in lm_nats.items()}
if is_grading():
    print("(grading mode: a few steps and one seed; these numbers mean nothing)")
print(f"{'':15s}{'parameters':>21}{'ms / step':>17}{'copy recall':>15}{'names':>11}")
print(f"{'model':15s}{'recurrent':>11}{'all':>10}{f'T={SHORT}':>9}{f'T={LONG}':>8}{f'd={NEAR}':>7}{f'd={FAR}':>8}"
      f"{'nats/char':>11}")
for cell in TABLE_CELLS:
    p = params[cell]
    print(f"{cell:15s}{p['recurrent']:11,}{p['total']:10,}{1e3 * step_time[SHORT][cell]:9.1f}"
          f"{1e3 * step_time[LONG][cell]:8.1f}{recall[cell, NEAR]:7.2f}{recall[cell, FAR]:8.2f}"
          f"{lm_mean[cell]:11.3f}")
print(f"{f'{ngram.order}-gram':15s}{'':>11}{'':>10}{'':>9}{'':>8}{'':>7}{'':>8}{ngram.test:11.3f}")

fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
x = np.arange(len(TABLE_CELLS))
for i, length in enumerate((SHORT, LONG)):
    axes[0].bar(x + (i - 0.5) * 0.38, [1e3 * step_time[length][c] for c in TABLE_CELLS], 0.38,
                color=PALETTE[i], label=f"length {length}")
axes[0].set(ylabel="ms per training step", title=f"Time per step ({device.type}, batch 32)")
for i, d in enumerate(DISTANCES_T):
    axes[1].bar(x + (i - 0.5) * 0.38, [recall[c, d] for c in TABLE_CELLS], 0.38, color=PALETTE[i],
                label=f"distance {d}")
axes[1].axhline(guess, color="grey", linestyle=":", linewidth=1)
axes[1].set(ylabel="recall accuracy", ylim=(0, 1.05), title=f"Copy task after {copy_steps} steps")
for i, cell in enumerate(TABLE_CELLS):
    axes[2].scatter([i] * len(lm_seeds), lm_nats[cell], color=PALETTE[i], s=30)
axes[2].axhline(ngram.test, color="grey", linestyle="--", linewidth=1, label=f"{ngram.order}-gram")
axes[2].set(ylabel="test nats per character", title=f"Names after {lm_steps} steps (dots: seeds)")
for ax in axes:
    ax.set_xticks(x, TABLE_CELLS, fontsize=8)
    ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ### Which model when — read off the table
#
# The sentences below are computed from the numbers above; run the section again and they follow the new
# numbers. A difference in nats per character counts only if it is larger than the spread between seeds (the
# largest minus the smallest value of a model over the seeds).

# %%
def within_noise(a, b):
    """Whether two models' mean nats/char differ by no more than the largest seed-to-seed spread of the two."""
    if len(lm_seeds) < 2:
        return None                                    # one seed: the noise is unknown
    return abs(lm_mean[a] - lm_mean[b]) <= max(bench.seed_spread(lm_nats[a]), bench.seed_spread(lm_nats[b]))


def compare(a, b):
    gap, same = lm_mean[b] - lm_mean[a], within_noise(a, b)
    if same is None:
        verdict = "one seed only, so the seeds cannot tell whether that is noise"
    elif same:
        verdict = "within the seed-to-seed spread: this budget cannot separate them"
    else:
        verdict = f"larger than the seed-to-seed spread: {a if gap > 0 else b} is better here"
    return f"{a} {lm_mean[a]:.3f} vs {b} {lm_mean[b]:.3f} nats/char ({verdict})"


fastest = min(TABLE_CELLS, key=lambda c: step_time[SHORT][c])
gru_lstm_params = params["GRU"]["recurrent"] / params["LSTM"]["recurrent"]
gru_lstm_time = step_time[SHORT]["GRU"] / step_time[SHORT]["LSTM"]
print(f"1. Parameters: the GRU has {gru_lstm_params:.2f} of the LSTM's recurrent parameters "
      f"({params['GRU']['recurrent']:,} vs {params['LSTM']['recurrent']:,}); attention adds "
      f"{params['GRU+attention']['total'] - params['GRU']['total']:,} (W and the wider read-out).")
print(f"2. Speed on {device.type}: the fastest step at length {SHORT} is the {fastest}'s; the GRU's step took "
      f"{gru_lstm_time:.1f}x the LSTM's, so fewer parameters "
      f"{'did not mean' if gru_lstm_time >= 1 else 'meant'} a faster step here.")
for cell in TABLE_CELLS:
    r = step_time[LONG][cell] / step_time[SHORT][cell]
    linear = LONG / SHORT
    shape = "less than linear" if r < 0.75 * linear else "more than linear" if r > 1.25 * linear else "about linear"
    print(f"   {cell}: {LONG / SHORT:.0f}x the length took {r:.1f}x the time ({shape})")
relative = {c: step_time[SHORT][c] / step_time[SHORT]["RNN"] for c in ("RNN", "GRU", "LSTM")}
print("   The notes' simulated plot had RNN 1.0 < GRU 1.5 < LSTM 2.0 (time relative to the RNN); measured here: "
      + " < ".join(f"{c} {relative[c]:.2f}" for c in sorted(relative, key=relative.get)))
recallers = [c for c in TABLE_CELLS if recall[c, FAR] >= 0.9]
guessers = [c for c in TABLE_CELLS if recall[c, FAR] < 2 * guess]
near_recallers = [c for c in TABLE_CELLS if recall[c, NEAR] >= 0.9]
print(f"3. Long range: after {copy_steps} steps, recall >= 0.9 at distance {FAR}: "
      f"{', '.join(recallers) or 'no model'}; "
      f"no better than twice guessing: {', '.join(guessers) or 'no model'} "
      f"(at distance {NEAR}: {', '.join(near_recallers) or 'no model'} >= 0.9).")
if "LSTM" in guessers:
    lstm = table_model("LSTM", COPY_SYMBOLS + 2, 0).rnn
    H = lstm.hidden_size
    forget = torch.sigmoid(lstm.bias_ih_l0[H:2 * H] + lstm.bias_hh_l0[H:2 * H]).mean().item()   # gate order i, f, g, o
    print(f"   The LSTM starts with PyTorch's default initialisation: sigmoid of its forget-gate biases {forget:.2f} "
          "on average, the case Day 04's chrono initialisation was made for (not used here: every model starts "
          "from its default).")
print(f"4. Names: {compare('GRU', 'LSTM')}.")
if within_noise("GRU", "LSTM"):
    print(f"   So the GRU matched the LSTM within {abs(lm_mean['GRU'] - lm_mean['LSTM']):.3f} nats/char with "
          f"{gru_lstm_params:.2f} of its recurrent parameters, at {gru_lstm_time:.1f}x its step time on {device.type}.")
print(f"   {compare('RNN', 'GRU')}.")
print(f"   {compare('GRU', 'GRU+attention')}.")
for cell in TABLE_CELLS:
    gap, spread = ngram.test - lm_mean[cell], bench.seed_spread(lm_nats[cell])
    verdict = ("beats it" if gap > spread else "is within its seed spread of it" if gap >= -spread else "loses to it") \
        if len(lm_seeds) > 1 else ("beats it (one seed: noise unknown)" if gap > 0 else "does not beat it (one seed)")
    print(f"   {cell} vs the {ngram.order}-gram ({ngram.test:.3f}): {gap:+.3f} nats/char, {verdict}")
best_lm = min(TABLE_CELLS, key=lm_mean.get)
runner_up = min((c for c in TABLE_CELLS if c != best_lm), key=lm_mean.get)
long_choice = min(recallers, key=lambda c: step_time[SHORT][c]) if recallers else None
long_text = f"the {long_choice} (the fastest model that recalled)" if long_choice else "no model within this budget"
print(f"5. In short, on this device and budget: for a cheap step, the {fastest}; for recall across a gap of "
      f"{FAR}, {long_text}; for names, the {best_lm}, "
      + ("separated from" if within_noise(best_lm, runner_up) is False else "NOT separated from")
      + f" the {runner_up} by the seeds.")
print(f"this section took {time.perf_counter() - table_start:.1f} s (wall clock; more on a busy machine)")

# %% [markdown]
# **Reading it.** The numbered lines are the measured "which model when" for this device and this budget; where
# a line says a difference is within the seed-to-seed spread, the table does not separate the models, and a
# longer budget or more seeds would be needed to. Compare them with the claims of the notes: line 2 puts the
# parameter counts of line 1 next to the time of a step (more parameters need not mean a slower step: the time
# depends on how torch computes each cell on this device), and replaces the simulated timing plot with a
# measured order; line 3 says which cells learned to recall across 50 steps within the same small budget — a
# gate makes a long memory possible, but line 3 shows whether training found it, as Day 04 did; line 4 says
# whether a recurrent model beats Day 08's count-based model on names, whose dependencies span only a few
# characters. Measure on the device you will train on before you choose.

# %% [markdown]
# ## Summary
#
# - Log-mel features: a Hann-windowed STFT, the power $|X|^2$, triangular filters equally spaced in mel, then
#   $\log(\cdot + \varepsilon)$; your `log_mel` reproduced the stored features to the printed difference.
# - A strided convolution leaves $\lfloor (L + 2p - d(k-1) - 1)/s \rfloor + 1$ frames; the model needs these
#   lengths so that CTC never counts padding as speech.
# - CTC sums over every path that collapses (merge repeats, then drop blanks) to the target, with the alpha
#   recursion over the blank-extended target in log space; a repeat needs a blank between, so a target needs
#   $T \geq L + r$ frames, and an infeasible one costs $+\infty$ (`zero_infinity` turns it into 0). `logsumexp`
#   over all $-\infty$ has a NaN gradient: the safe version keeps training finite.
# - WER and CER are corpus rates from the Levenshtein distance; they can exceed 1.
# - Normalising each mel band per utterance removes what a microphone or a loudness adds to every frame.
# - A conv + BiGRU + CTC model learned the digits of voices it heard and was tested on one it did not; the
#   printed WER says whether it beat the reference figure, and Section 8 measured where it breaks.
# - The course table measured parameters, time per step, long-range recall and quality side by side; its
#   numbered lines say which model when — on this machine, with this budget, and where the seeds cannot tell.
#
# ## Reflection (2 points, graded by hand)
#
# Use your printed numbers and pictures. (a) In the alignment picture, how many output frames does each digit
# take, and what does the blank do between them? Why would it be wrong to read "blank" as "silence"? (b) Compare
# the WER on the held-out voice with the WER on the training voices and with the noisy and faster conditions of
# Section 8. What does the model rely on that a real recognizer could not, and what would you add to the
# training data first? (c) From the course table: which recurrent model would you pick for a task with a
# long-range dependency on a CPU budget, and what in the table supports it — or why the table cannot tell?
# (4–6 sentences.)

# %% [markdown] nbgrader="manual" grade_id="reflection" points=2
# ### BEGIN SOLUTION
# *Model answer (for graders; the numbers depend on the run).* (a) Each digit appears as a spike of one or two
# output frames (the printed count of frames where a digit wins is close to the number of digits); the blank
# wins everywhere else, including in the middle of a spoken digit. Blank means "no new symbol at this frame",
# not "no sound": CTC lets the model announce a symbol once and wait, which is why spikes rather than spans are
# typical. (b) The held-out voice's WER is higher than the training voices' (the printed pair), and noise or a
# faster voice raises it further, sharply at low SNR: the model relies on espeak-ng's clean, regular formant
# spectra and three fixed speaking rates; it has never heard noise or a new rate. First additions: noise and
# speed/pitch augmentation of the existing clips, then more (and more different, ideally real) speakers.
# (c) A good answer cites the table's own columns — e.g. GRU or LSTM over the vanilla RNN where the long-range
# recall column shows the RNN failing at the longer distance, GRU when it matches LSTM with 3/4 of the
# parameters and less time per step, attention where recall at distance needs direct access — and says so where
# the short budget leaves models within noise of each other.
# Full marks: (a) spikes + blank meaning; (b) reads the numbers and names the missing variability + a concrete
# augmentation; (c) a choice backed by the table, or an honest "the table cannot separate them" with the reason.
# ### END SOLUTION
