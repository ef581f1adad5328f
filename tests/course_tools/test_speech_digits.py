"""course_tools.speech_digits without espeak-ng (CI has none): the parameters (22,050 Hz -> 16 kHz), WAV parsing
(including espeak-ng's bogus pipe sizes), resampling (length, frequency kept, silence stays 0, int16), trimming
(margin, all-silent clip refused), the deterministic zip writer (the shipped file is rewritten bit for bit from
its own arrays), and the script's features of a shipped wave equal the stored ones bit for bit."""
from __future__ import annotations

import io
import struct
import wave

import numpy as np
import pytest

from course_lib.data import speech
from course_tools import speech_digits as sd


def wav_bytes(samples: np.ndarray, rate: int = 22050, bogus_sizes: bool = False) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())
    data = bytearray(buffer.getvalue())
    if bogus_sizes:                              # what espeak-ng writes to a pipe
        data[4:8] = struct.pack("<I", 0x7FFFFFFF)
        data[40:44] = struct.pack("<I", 0x7FFFFFFF)
    return bytes(data)


def test_the_parameters_resample_espeaks_22050_hz_to_the_courses_16_khz():
    assert sd.ESPEAK_RATE * sd.UP / sd.DOWN == speech.SAMPLE_RATE == 16000
    assert speech.N_FFT / speech.SAMPLE_RATE == 0.025 and speech.HOP_LENGTH / speech.SAMPLE_RATE == 0.010
    assert len(speech.VOICES) >= 6 and len(speech.SPEEDS) == 3 and len(speech.PITCHES) == 2
    assert (speech.WAVE_VOICE, speech.WAVE_SPEED, speech.WAVE_PITCH) in [
        (v, s, p) for v in speech.VOICES for s in speech.SPEEDS for p in speech.PITCHES]


@pytest.mark.parametrize("bogus", [False, True])
def test_parse_wav_reads_mono_16_bit_samples_and_the_rate(bogus):
    samples = np.array([0, 1, -1, 32767, -32768, 1234], dtype=np.int16)
    got, rate = sd.parse_wav(wav_bytes(samples, 22050, bogus))
    assert rate == 22050 and got.dtype == np.int16 and got.tolist() == samples.tolist()


def test_parse_wav_refuses_what_is_not_mono_16_bit_pcm():
    with pytest.raises(ValueError, match="RIFF/WAVE"):
        sd.parse_wav(b"not a wav file at all")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0" * 8)
    with pytest.raises(ValueError, match="mono 16-bit PCM, got format 1, 2 channels"):
        sd.parse_wav(buffer.getvalue())


def test_resample_gives_320_samples_per_441_as_int16():
    out = sd.resample(np.zeros(22050, dtype=np.int16))
    assert out.dtype == np.int16 and len(out) == 16000 and not out.any()


def test_resample_keeps_a_tones_frequency():
    t = np.arange(22050) / 22050
    tone = np.rint(10000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    out = sd.resample(tone)
    spectrum = np.abs(np.fft.rfft(out.astype(np.float64)))
    assert np.argmax(spectrum) * 16000 / len(out) == pytest.approx(440, abs=1)


def test_resample_equals_scipys_resample_poly_rounded():
    from scipy.signal import resample_poly
    x = np.random.default_rng(0).integers(-3000, 3000, 3000).astype(np.int16)
    expected = np.clip(np.rint(resample_poly(x.astype(np.float64), 320, 441)), -32768, 32767).astype(np.int16)
    assert np.array_equal(sd.resample(x), expected)


def test_resample_refuses_what_is_not_int16_samples():
    with pytest.raises(ValueError, match="int16 samples of shape .N,., got float64"):
        sd.resample(np.zeros(10))


def test_trim_keeps_the_loud_part_and_a_30_ms_margin():
    x = np.zeros(16000, dtype=np.int16)
    x[4000:8000] = 1000
    out = sd.trim(x)
    assert len(out) == 4000 + 2 * 480 and out[480:-480].min() == 1000 and not out[:480].any()


def test_trim_clamps_the_margin_to_the_clip():
    x = np.full(1000, 500, dtype=np.int16)
    assert np.array_equal(sd.trim(x), x)


def test_trim_drops_frames_50_db_below_the_loudest():
    x = np.zeros(8000, dtype=np.int16)
    x[:1600] = 2                                   # -74 dB: silence
    x[3200:4800] = 10000
    out = sd.trim(x, margin_ms=0)
    assert len(out) == 1600 and out.min() == 10000


def test_trim_refuses_a_silent_or_empty_clip():
    with pytest.raises(ValueError, match="silent"):
        sd.trim(np.zeros(100, dtype=np.int16))
    with pytest.raises(ValueError, match="N > 0"):
        sd.trim(np.zeros(0, dtype=np.int16))


def test_npz_bytes_is_deterministic_and_readable_by_np_load():
    arrays = {"a": np.arange(5, dtype=np.int16), "b": np.array(["x", "yz"]), "c": np.ones((2, 3), np.float16)}
    data = sd.npz_bytes(arrays)
    assert data == sd.npz_bytes(dict(reversed(list(arrays.items()))))
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        assert sorted(npz.files) == ["a", "b", "c"]
        assert all(np.array_equal(npz[k], v) and npz[k].dtype == v.dtype for k, v in arrays.items())


def test_the_shipped_file_holds_exactly_its_arrays_serialised_with_fixed_timestamps():
    import zipfile
    rewritten = sd.npz_bytes(speech._arrays())
    assert sd.npz_members(rewritten) == sd.npz_members(speech.DATA_PATH.read_bytes())    # zlib-independent
    with zipfile.ZipFile(speech.DATA_PATH) as archive:
        assert {info.date_time for info in archive.infolist()} == {sd.ZIP_DATE}
        assert archive.namelist() == sorted(archive.namelist())


def test_describe_difference_names_the_arrays_that_differ_and_by_how_much():
    a = {"x": np.zeros(4, np.float16), "y": np.arange(3), "z": np.ones(2)}
    b = {"x": np.array([0, 0, 0.5, 0], np.float16), "y": np.arange(4), "w": np.ones(1)}
    text = sd.describe_difference(sd.npz_bytes(a), sd.npz_bytes(b))
    assert "x: 1 values differ, max |difference| 0.5" in text and "y: int64 (3,) shipped, int64 (4,) new" in text
    assert "z: only in the shipped file" in text and "w: only in the new file" in text
    assert sd.describe_difference(sd.npz_bytes(a), sd.npz_bytes(a)) == "  (no array differs)"


def test_the_scripts_features_of_a_shipped_wave_equal_the_stored_ones_bit_for_bit():
    a = speech._arrays()
    first = [i for i in range(len(a["digit"])) if speech.VOICES[a["voice"][i]] == speech.WAVE_VOICE
             and a["speed"][i] == speech.WAVE_SPEED and a["pitch"][i] == speech.WAVE_PITCH]
    o, w = a["offsets"], a["wave_offsets"]
    for k, i in enumerate(first):
        assert a["wave_digit"][k] == a["digit"][i]
        stored = a["features"][o[i]: o[i + 1]]
        assert np.array_equal(sd.features(a["waves"][w[k]: w[k + 1]]), stored)


def test_generate_without_espeak_ng_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(sd.shutil, "which", lambda name: None)
    with pytest.raises(FileNotFoundError, match="apt-get install espeak-ng"):
        sd.generate()
