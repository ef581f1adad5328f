"""course_lib.data.speech: the shipped file matches its sha256 (a changed file is refused naming both hashes);
480 clips, one per voice x speed x pitch x digit; the shipped waves reproduce the stored features through
log_mel; make_utterances is seeded, respects the digit counts and voices, and builds each utterance from one
voice's clips with silence gaps; speech_batch pads and shifts the targets by one; digits_to_words; bad input
raises errors naming what was expected and what came. No espeak-ng needed."""
from __future__ import annotations

import collections
import itertools

import pytest
import torch

from course_lib.audio.features import log_mel
from course_lib.data import speech
from course_lib.data.speech import (DATA_PATH, GAP_FRAMES, HOP_LENGTH, N_FFT, N_MELS, PITCHES, SAMPLE_RATE, SHA256,
                                    SPEEDS, TEST_VOICE, TRAIN_VOICES, VOICES, WAVE_PITCH, WAVE_SPEED, WAVE_VOICE,
                                    DigitClip, digits_to_words, load_digit_clips, load_digit_waves, make_utterances,
                                    make_utterances_with_sources, speech_batch)


@pytest.fixture(scope="module")
def clips() -> list[DigitClip]:
    return load_digit_clips()


# ------------------------------------------------------------------------------ the file
def test_the_shipped_file_matches_its_sha256():
    import hashlib
    assert hashlib.sha256(DATA_PATH.read_bytes()).hexdigest() == SHA256


def test_a_changed_file_is_refused_naming_both_hashes(tmp_path):
    bad = tmp_path / "speech_digits.npz"
    data = bytearray(DATA_PATH.read_bytes())
    data[-1] ^= 1
    bad.write_bytes(bytes(data))
    import hashlib
    got = hashlib.sha256(bytes(data)).hexdigest()
    with pytest.raises(ValueError, match=f"sha256 is {got}, expected {SHA256}"):
        speech._arrays(bad)


def test_a_missing_file_is_a_file_not_found_error_naming_the_script(tmp_path):
    with pytest.raises(FileNotFoundError, match="course_tools.speech_digits"):
        speech._arrays(tmp_path / "nothing.npz")


def test_the_file_was_computed_with_the_modules_front_end_constants():
    assert [int(p) for p in speech._arrays()["params"]] == [SAMPLE_RATE, N_FFT, HOP_LENGTH, N_MELS] \
        == [16000, 400, 160, 40]


def test_the_file_is_a_few_mb_at_most():
    assert DATA_PATH.stat().st_size < 3_000_000


# ------------------------------------------------------------------------------ clips
def test_there_is_one_clip_per_voice_speed_pitch_and_digit(clips):
    assert len(clips) == len(VOICES) * len(SPEEDS) * len(PITCHES) * 10 == 480
    keys = collections.Counter((c.voice, c.speed, c.pitch, c.digit) for c in clips)
    assert set(keys) == set(itertools.product(VOICES, SPEEDS, PITCHES, range(10))) and max(keys.values()) == 1


def test_the_test_voice_is_one_of_the_voices_and_not_a_training_voice():
    assert TEST_VOICE in VOICES and TEST_VOICE not in TRAIN_VOICES
    assert set(TRAIN_VOICES) | {TEST_VOICE} == set(VOICES) and len(VOICES) >= 6


def test_clip_features_are_float32_frames_by_n_mels_and_finite(clips):
    for c in clips:
        assert c.features.dtype == torch.float32 and c.features.dim() == 2 and c.features.shape[1] == N_MELS
        assert 10 <= c.features.shape[0] <= 150 and torch.isfinite(c.features).all()
        assert isinstance(c.digit, int) and isinstance(c.speed, int) and isinstance(c.pitch, int)


def run_of_silent_frames(features: torch.Tensor) -> int:
    silent = (features.max(dim=1).values < -13.5).tolist()   # every mel at log(1e-6) = -13.8: digital silence
    return next((i for i, s in enumerate(silent) if not s), len(silent))


def test_clips_are_silence_trimmed_to_at_most_the_30_ms_margin(clips):
    for c in clips:
        assert run_of_silent_frames(c.features) <= 3 and run_of_silent_frames(c.features.flip(0)) <= 3


def test_a_clips_silence_is_its_per_mel_minimum(clips):
    floor = torch.log(torch.tensor(1e-6))
    for c in clips:
        assert torch.equal(c.silence, c.features.min(dim=0).values) and (c.silence >= floor - 0.01).all()


def test_load_digit_clips_returns_fresh_tensors(clips):
    first = load_digit_clips()
    first[0].features.zero_()
    assert not torch.equal(load_digit_clips()[0].features, first[0].features)


def test_voices_differ_in_their_features(clips):
    means = {v: torch.cat([c.features for c in clips if c.voice == v]).mean(dim=0) for v in VOICES}
    for a, b in itertools.combinations(VOICES, 2):
        assert (means[a] - means[b]).abs().max() > 0.1


# ------------------------------------------------------------------------------ waves
def test_ten_waves_of_the_test_voice_are_shipped_one_per_digit():
    assert WAVE_VOICE == TEST_VOICE
    waves = load_digit_waves()
    assert [d for _, d, _ in waves] == list(range(10)) and {v for _, _, v in waves} == {WAVE_VOICE}
    for wave, _, _ in waves:
        assert wave.dtype == torch.float32 and wave.dim() == 1 and wave.abs().max() < 1
        assert wave.shape[0] > N_FFT and torch.equal(wave * 32768, (wave * 32768).round())


def test_log_mel_of_the_shipped_waves_reproduces_the_stored_features(clips):
    stored = {c.digit: c.features for c in clips if (c.voice, c.speed, c.pitch) == (WAVE_VOICE, WAVE_SPEED, WAVE_PITCH)}
    for wave, digit, _ in load_digit_waves():
        ours = log_mel(wave, SAMPLE_RATE, N_FFT, HOP_LENGTH, N_MELS)
        assert ours.shape == stored[digit].shape
        assert (ours - stored[digit]).abs().max() <= 0.0041    # float16 storage: half a step is 0.0039 at |x| < 16


# ------------------------------------------------------------------------------ utterances
def test_make_utterances_is_seeded(clips):
    a, b = make_utterances(clips, 20, seed=3), make_utterances(clips, 20, seed=3)
    assert all(torch.equal(x[0], y[0]) and x[1] == y[1] for x, y in zip(a, b))
    assert [d for _, d in make_utterances(clips, 20, seed=4)] != [d for _, d in a]


def test_make_utterances_gives_n_utterances_of_min_to_max_digits(clips):
    utts = make_utterances(clips, 300, 2, 5)
    assert len(utts) == 300 and collections.Counter(len(d) for _, d in utts).keys() == {2, 3, 4, 5}
    assert all(isinstance(x, int) and 0 <= x <= 9 for _, d in utts for x in d)
    assert [len(d) for _, d in make_utterances(clips, 10, 1, 1)] == [1] * 10
    assert make_utterances(clips, 0) == []


def test_every_utterance_leaves_ctc_room_after_4x_subsampling(clips):
    """After the recognizer's two stride-2 convolutions an utterance still has more frames than 2L + 1, so no
    target is infeasible (T' >= L + adjacent repeats) whatever the voice, speed or digits."""
    for feats, digits in make_utterances(clips, 500, 1, 5, seed=9):
        frames = feats.shape[0]
        for _ in range(2):
            frames = (frames - 1) // 2 + 1                                     # conv_output_length(., 3, 2, 1)
        assert frames >= 2 * len(digits) + 1


def test_make_utterances_repeats_digits_sometimes(clips):
    utts = make_utterances(clips, 300, 2, 5)
    assert any(d[i] == d[i + 1] for _, d in utts for i in range(len(d) - 1))


def find_block(haystack: torch.Tensor, needle: torch.Tensor, start: int) -> int:
    for i in range(start, haystack.shape[0] - needle.shape[0] + 1):
        if torch.equal(haystack[i: i + needle.shape[0]], needle):
            return i
    return -1


def test_an_utterance_is_one_voices_clips_in_order_with_silence_gaps(clips):
    by_key = {(c.voice, c.speed, c.pitch, c.digit): c for c in clips}
    for feats, digits in make_utterances(clips, 15, seed=1):
        assert feats.dtype == torch.float32 and feats.shape[1] == N_MELS
        found = []
        for voice, speed, pitch in itertools.product(VOICES, SPEEDS, PITCHES):
            pos, gaps = 0, []
            for d in digits:
                clip = by_key[(voice, speed, pitch, d)]
                at = find_block(feats, clip.features, pos)
                if at < 0:
                    break
                gaps.append((pos, at, clip))
                pos = at + clip.features.shape[0]
            else:
                found.append((voice, speed, pitch, gaps, pos))
        assert len(found) == 1
        _, _, _, gaps, end = found[0]
        assert GAP_FRAMES[0] <= feats.shape[0] - end <= GAP_FRAMES[1]
        assert torch.equal(feats[end:], gaps[-1][2].silence.expand(feats.shape[0] - end, N_MELS))
        for i, (start, at, clip) in enumerate(gaps):
            assert GAP_FRAMES[0] <= at - start <= GAP_FRAMES[1]
            before = clip if i == 0 else gaps[i - 1][2]
            assert torch.equal(feats[start:at], before.silence.expand(at - start, N_MELS))


def test_make_utterances_with_sources_gives_the_same_utterances_and_who_spoke_them(clips):
    plain = make_utterances(clips, 12, voices=TRAIN_VOICES, seed=5)
    sourced = make_utterances_with_sources(clips, 12, voices=TRAIN_VOICES, seed=5)
    by_key = {(c.voice, c.speed, c.pitch, c.digit): c for c in clips}
    for (f, d), (g, e, (voice, speed, pitch)) in zip(plain, sourced):
        assert torch.equal(f, g) and d == e and voice in TRAIN_VOICES
        assert all(find_block(f, by_key[(voice, speed, pitch, x)].features, 0) >= 0 for x in d)


def test_make_utterances_uses_only_the_voices_asked_for(clips):
    test_only = {c.features.shape[0]: c for c in clips if c.voice == TEST_VOICE}
    by_voice = {v: [c for c in clips if c.voice == v] for v in VOICES}
    for feats, digits in make_utterances(clips, 10, voices=[TEST_VOICE], seed=2):
        pos = 0
        for d in digits:
            assert any(find_block(feats, c.features, pos) >= 0 for c in by_voice[TEST_VOICE] if c.digit == d)
    assert test_only
    # the training voices never produce the test voice's clips
    test_blocks = [c.features for c in by_voice[TEST_VOICE]]
    for feats, _ in make_utterances(clips, 10, voices=TRAIN_VOICES, seed=2):
        assert all(find_block(feats, b, 0) < 0 for b in test_blocks[:10])


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(n=-1), ValueError, "n must be >= 0, got -1"),
    (dict(n=2.0), TypeError, "n must be an int, got float"),
    (dict(min_digits=0), ValueError, "min_digits must be >= 1"),
    (dict(min_digits=4, max_digits=3), ValueError, "min_digits <= max_digits, got 4 > 3"),
    (dict(voices="en-us"), TypeError, "sequence of voice names"),
    (dict(voices=["klingon"]), ValueError, r"\['klingon'\] missing"),
    (dict(voices=[]), ValueError, "voices must be among"),
])
def test_make_utterances_refuses_bad_arguments(clips, kwargs, error, match):
    args = dict(n=3) | kwargs
    with pytest.raises(error, match=match):
        make_utterances(clips, **args)


def test_make_utterances_refuses_clips_that_are_not_digit_clips():
    with pytest.raises(TypeError, match="list of DigitClip"):
        make_utterances([], 3)
    with pytest.raises(TypeError, match="list of DigitClip"):
        make_utterances([torch.zeros(5, N_MELS)], 3)


def test_make_utterances_needs_a_complete_set_of_ten_digits(clips):
    with pytest.raises(ValueError, match="all ten digits"):
        make_utterances([c for c in clips if c.digit != 3], 3)


# ------------------------------------------------------------------------------ batches
def test_speech_batch_pads_features_with_zeros_and_shifts_targets_by_one():
    a, b = torch.randn(7, N_MELS), torch.randn(4, N_MELS)
    feats, lengths, targets, target_lengths = speech_batch([(a, [0, 9, 9]), (b, [5])])
    assert feats.shape == (2, 7, N_MELS) and feats.dtype == torch.float32
    assert torch.equal(feats[0], a) and torch.equal(feats[1, :4], b) and (feats[1, 4:] == 0).all()
    assert lengths.tolist() == [7, 4] and lengths.dtype == torch.long
    assert targets.tolist() == [[1, 10, 10], [6, 0, 0]] and targets.dtype == torch.long
    assert target_lengths.tolist() == [3, 1] and target_lengths.dtype == torch.long


def test_speech_batch_of_one_and_of_an_empty_target():
    feats, lengths, targets, target_lengths = speech_batch([(torch.zeros(3, N_MELS), [])])
    assert feats.shape == (1, 3, N_MELS) and lengths.tolist() == [3]
    assert targets.shape == (1, 1) and target_lengths.tolist() == [0]


def test_speech_batch_works_on_made_utterances(clips):
    utts = make_utterances(clips, 8)
    feats, lengths, targets, target_lengths = speech_batch(utts)
    assert lengths.tolist() == [f.shape[0] for f, _ in utts]
    for i, (f, d) in enumerate(utts):
        assert torch.equal(feats[i, : len(f)], f) and targets[i, : len(d)].tolist() == [x + 1 for x in d]


@pytest.mark.parametrize("utterances, match", [
    ([], "non-empty list"),
    ((torch.zeros(3, N_MELS), [1]), "non-empty list"),
    ([torch.zeros(3, N_MELS)], "must be a .features, digits. pair"),
    ([(torch.zeros(3, 13), [1])], r"floating tensor \(frames >= 1, 40\), got torch.float32 \(3, 13\)"),
    ([(torch.zeros(3, N_MELS, dtype=torch.long), [1])], "got torch.int64"),
    ([(torch.zeros(0, N_MELS), [1])], r"got torch.float32 \(0, 40\)"),
    ([(torch.zeros(3, N_MELS), [10])], r"digits must be a list of ints 0-9, got \[10\]"),
    ([(torch.full((3, N_MELS), float("nan")), [1])], "utterance 0: features must be finite, got NaN or inf"),
    ([(torch.zeros(3, N_MELS), "42")], "digits must be a list of ints 0-9"),
])
def test_speech_batch_refuses_bad_input(utterances, match):
    with pytest.raises((TypeError, ValueError), match=match):
        speech_batch(utterances)


# ------------------------------------------------------------------------------ words
def test_digits_to_words():
    assert digits_to_words([4, 2]) == "four two"
    assert digits_to_words(list(range(10))) == "zero one two three four five six seven eight nine"
    assert digits_to_words([]) == ""
    assert digits_to_words(torch.tensor([7, 7])) == "seven seven"


@pytest.mark.parametrize("digits, error", [([10], ValueError), ([-1], ValueError), ([1.0], ValueError),
                                           ([True], ValueError), ("42", TypeError), (42, TypeError)])
def test_digits_to_words_refuses_what_is_not_digits(digits, error):
    with pytest.raises(error, match="ints 0-9"):
        digits_to_words(digits)
