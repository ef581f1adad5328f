"""Generate Day 13's spoken digits with espeak-ng and store their log-mel features (course_lib/data/files/
speech_digits.npz), so that students need neither espeak-ng nor a download.

    python -m course_tools.speech_digits            # rewrite the data file (needs espeak-ng on the PATH)
    python -m course_tools.speech_digits --check    # regenerate in memory, compare with the shipped file

For every voice x speed x pitch x digit of course_lib.data.speech (VOICES, SPEEDS, PITCHES; the words "zero" ..
"nine") the script runs `espeak-ng -v VOICE -s SPEED -p PITCH --stdout WORD` (a 22,050 Hz mono 16-bit WAV),
resamples it to SAMPLE_RATE = 16 kHz with scipy.signal.resample_poly (up 320, down 441; rounded back to int16),
trims the leading and trailing silence (frames of HOP_LENGTH samples whose RMS is below TRIM_DB dB of the loudest
frame, keeping TRIM_MARGIN_MS on each side), and stores log_mel(wave / 32768) of the trimmed clip (course_lib.audio.
features, the course's front-end constants) as float16. The trimmed int16 waves of one voice (WAVE_VOICE at
WAVE_SPEED and WAVE_PITCH, ten digits) are stored too, so the notebook can run a student's log_mel on real audio.

The file is written deterministically (fixed zip timestamps), so its sha256 depends on the content only;
after a rewrite the script prints the hash to put in course_lib.data.speech.SHA256. espeak-ng is GPL-3
software; the audio it synthesizes is program output, covered by the GPL-3 only if it "constitutes a covered
work" (GPL-3 section 2; see the loader's docstring). Pure parts (WAV parsing, resampling, trimming, the zip
writer) are tested without espeak-ng.
"""
from __future__ import annotations

import argparse
import functools
import hashlib
import io
import shutil
import struct
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from math import gcd
from pathlib import Path

import numpy as np
import torch

from course_lib.audio.features import log_mel
from course_lib.data import speech
from course_lib.data.speech import (DIGIT_WORDS, HOP_LENGTH, N_FFT, N_MELS, PITCHES, SAMPLE_RATE, SPEEDS, VOICES,
                                    WAVE_PITCH, WAVE_SPEED, WAVE_VOICE)

ESPEAK_RATE = 22_050                  # espeak-ng's output rate
UP, DOWN = 320, 441                   # 22,050 * 320 / 441 = 16,000
TRIM_DB = -50.0                       # a frame is silent below this many dB under the loudest frame
TRIM_MARGIN_MS = 30                   # silence kept before the first and after the last loud frame
ZIP_DATE = (1980, 1, 1, 0, 0, 0)      # fixed timestamps: the file's bytes depend on its arrays only


def parse_wav(data: bytes) -> tuple[np.ndarray, int]:
    """(int16 samples (N,), sample rate) of a mono 16-bit PCM WAV. espeak-ng writing to a pipe puts a bogus size
    (0x7fffffff) in the RIFF and data headers, so the data chunk is read to the end of the bytes."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError(f"expected a RIFF/WAVE file, got {data[:12]!r}")
    pos, rate, channels, bits = 12, None, None, None
    while pos + 8 <= len(data):
        tag, size = data[pos: pos + 4], struct.unpack("<I", data[pos + 4: pos + 8])[0]
        body = pos + 8
        if tag == b"fmt ":
            fmt, channels, rate = struct.unpack("<HHI", data[body: body + 8])
            bits = struct.unpack("<H", data[body + 14: body + 16])[0]
            if fmt != 1 or channels != 1 or bits != 16:
                raise ValueError(f"expected mono 16-bit PCM, got format {fmt}, {channels} channels, {bits} bits")
        elif tag == b"data":
            if rate is None:
                raise ValueError("the WAV data chunk comes before its fmt chunk")
            end = len(data) if size >= 0x7FFF0000 or body + size > len(data) else body + size
            raw = data[body: end]
            return np.frombuffer(raw[: len(raw) // 2 * 2], dtype="<i2").astype(np.int16), rate
        pos = body + size + (size & 1)
    raise ValueError("no data chunk in the WAV bytes")


@functools.lru_cache(maxsize=4)
def _lowpass(up: int, down: int) -> np.ndarray:
    """resample_poly's own default filter (firwin, Kaiser beta 5, cutoff 1 / max(up, down), 20 max(up, down) + 1
    taps), designed once: resample_poly designs it on every call otherwise (~60 ms for 320/441)."""
    from scipy.signal import firwin

    max_rate = max(up, down)
    return firwin(2 * 10 * max_rate + 1, 1.0 / max_rate, window=("kaiser", 5.0))


def resample(samples: np.ndarray, from_rate: int = ESPEAK_RATE, to_rate: int = SAMPLE_RATE) -> np.ndarray:
    """int16 (N,) at from_rate -> int16 at to_rate by scipy.signal.resample_poly (polyphase, Kaiser window),
    rounded and clipped to the int16 range. Exact digital silence stays exactly 0 away from sound."""
    from scipy.signal import resample_poly

    if samples.dtype != np.int16 or samples.ndim != 1:
        raise ValueError(f"expected int16 samples of shape (N,), got {samples.dtype} {samples.shape}")
    g = gcd(to_rate, from_rate)
    up, down = to_rate // g, from_rate // g
    out = resample_poly(samples.astype(np.float64), up, down, window=_lowpass(up, down))
    return np.clip(np.rint(out), -32768, 32767).astype(np.int16)


def trim(samples: np.ndarray, sample_rate: int = SAMPLE_RATE, frame: int = HOP_LENGTH, threshold_db: float = TRIM_DB,
         margin_ms: float = TRIM_MARGIN_MS) -> np.ndarray:
    """The samples from margin_ms before the first loud frame to margin_ms after the last one (clamped to the
    clip). Frames are consecutive blocks of `frame` samples; a frame is loud when its RMS is within threshold_db
    of the loudest frame's. An all-silent clip is an error."""
    if samples.ndim != 1 or len(samples) == 0:
        raise ValueError(f"expected samples of shape (N,) with N > 0, got shape {samples.shape}")
    x = samples.astype(np.float64)
    n_frames = -(-len(x) // frame)
    padded = np.zeros(n_frames * frame)
    padded[: len(x)] = x
    rms = np.sqrt((padded.reshape(n_frames, frame) ** 2).mean(axis=1))
    if rms.max() == 0:
        raise ValueError("the clip is silent: nothing to keep")
    loud = np.nonzero(rms >= rms.max() * 10 ** (threshold_db / 20))[0]
    margin = int(round(margin_ms * sample_rate / 1000))
    start = max(0, loud[0] * frame - margin)
    stop = min(len(x), (loud[-1] + 1) * frame + margin)
    return samples[start:stop]


def features(samples: np.ndarray) -> np.ndarray:
    """float16 (frames, N_MELS) log-mel of int16 samples at SAMPLE_RATE (computed in float64)."""
    wave = torch.from_numpy(samples.astype(np.float64) / 32768.0)
    return log_mel(wave, SAMPLE_RATE, N_FFT, HOP_LENGTH, N_MELS).numpy().astype(np.float16)


def synthesize(word: str, voice: str, speed: int, pitch: int) -> np.ndarray:
    """espeak-ng's int16 samples of one word at 22,050 Hz."""
    done = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", word],
                          capture_output=True, check=True)
    samples, rate = parse_wav(done.stdout)
    if rate != ESPEAK_RATE:
        raise ValueError(f"espeak-ng wrote {rate} Hz, expected {ESPEAK_RATE}")
    return samples


def generate() -> dict[str, np.ndarray]:
    """Every clip's features, concatenated along time with offsets, its labels, and the shipped waves."""
    if shutil.which("espeak-ng") is None:
        raise FileNotFoundError("espeak-ng is not on the PATH (Debian/Ubuntu: apt-get install espeak-ng)")
    jobs = [(v, voice, speed, pitch, digit) for v, voice in enumerate(VOICES) for speed in SPEEDS
            for pitch in PITCHES for digit in range(len(DIGIT_WORDS))]
    with ThreadPoolExecutor(max_workers=4) as pool:        # espeak-ng runs as a subprocess: threads overlap them
        raw = list(pool.map(lambda job: synthesize(DIGIT_WORDS[job[4]], *job[1:4]), jobs))
    feats, offsets, digits, voices, speeds, pitches = [], [0], [], [], [], []
    waves, wave_offsets, wave_digits = [], [0], []
    for (v, voice, speed, pitch, digit), samples in zip(jobs, raw):
        clip = trim(resample(samples))
        f = features(clip)
        feats.append(f)
        offsets.append(offsets[-1] + len(f))
        digits.append(digit)
        voices.append(v)
        speeds.append(speed)
        pitches.append(pitch)
        if (voice, speed, pitch) == (WAVE_VOICE, WAVE_SPEED, WAVE_PITCH):
            waves.append(clip)
            wave_offsets.append(wave_offsets[-1] + len(clip))
            wave_digits.append(digit)
    return {
        "features": np.concatenate(feats),                          # (total frames, N_MELS) float16
        "offsets": np.array(offsets, dtype=np.int64),               # (clips + 1,)
        "digit": np.array(digits, dtype=np.int8),                   # (clips,)
        "voice": np.array(voices, dtype=np.int8),                   # (clips,) index into voices
        "speed": np.array(speeds, dtype=np.int16),
        "pitch": np.array(pitches, dtype=np.int16),
        "voices": np.array(VOICES),                                 # (V,) unicode
        "params": np.array([SAMPLE_RATE, N_FFT, HOP_LENGTH, N_MELS], dtype=np.int64),
        "waves": np.concatenate(waves),                             # (total samples,) int16
        "wave_offsets": np.array(wave_offsets, dtype=np.int64),
        "wave_digit": np.array(wave_digits, dtype=np.int8),
    }


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """A .npz archive (readable by np.load, allow_pickle=False) whose bytes depend on the arrays only."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(f"{name}.npy", date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            body = io.BytesIO()
            np.lib.format.write_array(body, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            archive.writestr(info, body.getvalue(), compresslevel=9)
    return buffer.getvalue()


def npz_members(data: bytes) -> dict[str, bytes]:
    """The uncompressed members of a .npz archive: what --check compares (the compressed bytes could differ
    under another zlib build even when every array is the same)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def describe_difference(old: bytes, new: bytes) -> str:
    """Which arrays of two .npz archives differ, and by how much (another espeak-ng version or FFT library can
    move a few float16 features by one step)."""
    with np.load(io.BytesIO(old), allow_pickle=False) as a, np.load(io.BytesIO(new), allow_pickle=False) as b:
        lines = []
        for name in sorted(set(a.files) | set(b.files)):
            if name not in a.files or name not in b.files:
                lines.append(f"  {name}: only in the {'new' if name in b.files else 'shipped'} file")
            elif a[name].shape != b[name].shape or a[name].dtype != b[name].dtype:
                lines.append(f"  {name}: {a[name].dtype} {a[name].shape} shipped, {b[name].dtype} {b[name].shape} new")
            elif not np.array_equal(a[name], b[name]):
                diff = np.abs(a[name].astype(np.float64) - b[name].astype(np.float64))
                lines.append(f"  {name}: {int((diff > 0).sum())} values differ, max |difference| {diff.max():.4g}")
        return "\n".join(lines) or "  (no array differs)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_tools.speech_digits", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="regenerate in memory and compare with the file")
    parser.add_argument("--out", type=Path, default=speech.DATA_PATH, help="where to write (default: %(default)s)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    data = npz_bytes(generate())
    digest = hashlib.sha256(data).hexdigest()
    seconds = time.perf_counter() - start
    if args.check:
        if not args.out.is_file():
            print(f"{args.out} does not exist")
            return 1
        shipped = args.out.read_bytes()
        same = npz_members(shipped) == npz_members(data)
        print(f"regenerated in {seconds:.1f} s: sha256 {digest}; {args.out}: {hashlib.sha256(shipped).hexdigest()}"
              f" -> arrays {'identical' if same else 'DIFFERENT'}"
              + ("" if shipped == data or not same else " (same arrays, other compressed bytes: another zlib?)"))
        if not same:
            print(describe_difference(shipped, data))
        return 0 if same else 1
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data):,} bytes) in {seconds:.1f} s; sha256 {digest}"
          + ("" if digest == speech.SHA256 else "  <- put this in course_lib.data.speech.SHA256"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
