"""course_lib.decoding.ctc: ctc_greedy takes the argmax per frame, collapses repeats THEN drops blanks, reads
only each utterance's first lengths[n] frames, equals a plain Python reference on seeded random batches (any
blank id), gives [] for length 0 and Python ints; bad input raises errors naming what was expected and what
came."""
from __future__ import annotations

import random

import pytest
import torch

from course_lib.decoding.ctc import _collapse, ctc_greedy


def one_hot_log_probs(paths: list[list[int]], n_classes: int = 5) -> torch.Tensor:
    """(T, N, C) log-probabilities whose argmax at frame t of utterance n is paths[n][t] (padded with blank 0)."""
    t_max = max(len(p) for p in paths)
    lp = torch.full((t_max, len(paths), n_classes), -5.0)
    for n, path in enumerate(paths):
        for t, c in enumerate(path + [0] * (t_max - len(path))):
            lp[t, n, c] = -0.1
    return lp


def test_repeats_collapse_before_blanks_are_dropped():
    lp = one_hot_log_probs([[1, 1, 0, 1], [1, 1, 1, 1], [0, 2, 0, 2, 2, 0, 3], [0, 0, 0]])
    assert ctc_greedy(lp, torch.tensor([4, 4, 7, 3])) == [[1, 1], [1], [2, 2, 3], []]


def test_the_collapse_helper():
    assert _collapse([1, 1, 0, 1, 2, 2, 0], blank=0) == [1, 1, 2]
    assert _collapse([3, 3, 1, 3], blank=3) == [1]
    assert _collapse([], blank=0) == []


def test_only_the_first_lengths_frames_are_read():
    lp = one_hot_log_probs([[1, 2, 3, 4], [1, 2, 3, 4]])
    assert ctc_greedy(lp, torch.tensor([2, 0])) == [[1, 2], []]


def test_the_result_holds_python_ints():
    out = ctc_greedy(one_hot_log_probs([[3, 0, 4]]), torch.tensor([3]))
    assert out == [[3, 4]] and all(type(x) is int for x in out[0])


def test_a_blank_other_than_0():
    lp = one_hot_log_probs([[4, 1, 1, 4, 1, 0]])
    assert ctc_greedy(lp, torch.tensor([6]), blank=4) == [[1, 1, 0]]


def test_ties_go_to_the_lowest_class_as_argmax():
    assert ctc_greedy(torch.zeros(3, 1, 4), torch.tensor([3])) == [[]]
    lp = torch.zeros(2, 1, 3)
    lp[:, 0, 1:] = 1.0
    assert ctc_greedy(lp, torch.tensor([2])) == [[1]]


def test_ctc_greedy_equals_a_python_reference_on_random_batches():
    for seed in range(200):
        rng = random.Random(seed)
        t, n, c = rng.randint(1, 15), rng.randint(1, 5), rng.randint(2, 6)
        blank = rng.randrange(c)
        lp = torch.randn(t, n, c, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
        lp = (lp * 3).log_softmax(-1)
        lengths = torch.tensor([rng.randint(0, t) for _ in range(n)])
        expected = []
        for i in range(n):
            path = [max(range(c), key=lambda k: (lp[f, i, k].item(), -k)) for f in range(int(lengths[i]))]
            out, prev = [], None
            for k in path:
                if k != prev and k != blank:
                    out.append(k)
                prev = k
            expected.append(out)
        assert ctc_greedy(lp, lengths, blank) == expected
        assert ctc_greedy(lp, lengths.tolist(), blank) == expected


def test_probabilities_or_logits_decode_the_same():
    logits = torch.randn(9, 3, 5)
    lengths = torch.tensor([9, 4, 7])
    assert ctc_greedy(logits, lengths) == ctc_greedy(logits.log_softmax(-1), lengths) \
        == ctc_greedy(logits.softmax(-1), lengths)


def test_batch_of_one_frame_of_one():
    assert ctc_greedy(one_hot_log_probs([[2]]), torch.tensor([1])) == [[2]]


@pytest.mark.parametrize("args, kwargs, error, match", [
    ((torch.zeros(3, 5), torch.tensor([3])), {}, ValueError,
     r"floating tensor \(T, N, C\), got torch.float32 \(3, 5\)"),
    ((torch.zeros(3, 1, 5, dtype=torch.long), torch.tensor([3])), {}, ValueError, "got torch.int64"),
    (([[0.0]], torch.tensor([3])), {}, ValueError, "got list"),
    ((torch.zeros(3, 2, 5), torch.tensor([3])), {}, ValueError, r"shape \(N,\) = \(2,\) .* got \(1,\)"),
    ((torch.zeros(3, 1, 5), torch.tensor([4])), {}, ValueError, r"lengths must lie in \[0, T = 3\], got min 4"),
    ((torch.zeros(3, 1, 5), torch.tensor([-1])), {}, ValueError, "got min -1"),
    ((torch.zeros(3, 1, 5), torch.tensor([3.0])), {}, TypeError, "integer tensor .* got dtype torch.float32"),
    ((torch.zeros(3, 1, 5), torch.tensor([3])), dict(blank=5), ValueError, r"blank must be a class index in \[0, 5\)"),
    ((torch.zeros(3, 1, 5), torch.tensor([3])), dict(blank=None), TypeError, "blank must be an int"),
    ((torch.full((3, 1, 5), float("nan")), torch.tensor([3])), {}, ValueError, "NaN"),
])
def test_ctc_greedy_refuses_bad_input_naming_expected_and_got(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        ctc_greedy(*args, **kwargs)
