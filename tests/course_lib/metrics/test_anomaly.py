"""course_lib.metrics.anomaly: point_scores equals a brute force over windows (mean error of the windows that
cover each point, NaN where none does, dtype kept); threshold_from_validation equals a brute force over
candidate thresholds (the smallest t whose share of scores > t is at most the rate), ties included, and refuses
NaN or rates outside [0, 1); the rolling z-score and nearest-neighbour baselines equal their definitions."""
from __future__ import annotations

import math

import pytest
import torch

from course_lib.metrics.anomaly import (nearest_neighbour_scores, point_scores, rolling_zscore,
                                        threshold_from_validation)


def _brute_points(errors, window, length):
    out = []
    for p in range(length):
        covering = [float(errors[i]) for i in range(len(errors)) if i <= p < i + window]
        out.append(sum(covering) / len(covering) if covering else math.nan)
    return torch.tensor(out, dtype=torch.float64)


@pytest.mark.parametrize("n, window, length", [(10, 3, 12), (10, 3, 15), (1, 1, 1), (1, 4, 4), (5, 1, 5)])
def test_point_scores_equal_a_brute_force_over_windows(n, window, length):
    errors = torch.rand(n, generator=torch.Generator().manual_seed(n), dtype=torch.float64)
    got = point_scores(errors, window, length)
    torch.testing.assert_close(got, _brute_points(errors, window, length), equal_nan=True, rtol=0, atol=1e-12)


def test_point_scores_keep_the_dtype():
    assert point_scores(torch.rand(6, dtype=torch.float32), 2, 7).dtype == torch.float32
    assert point_scores(torch.rand(6, dtype=torch.float64), 2, 7).dtype == torch.float64


def test_point_scores_leave_the_errors_unchanged():
    errors = torch.rand(6)
    before = errors.clone()
    point_scores(errors, 2, 7)
    assert torch.equal(errors, before)


@pytest.mark.parametrize("args", [(torch.rand(5), 3, 6), (torch.rand(5), 0, 10), (torch.rand(2, 3), 2, 6),
                                  (torch.rand(0), 2, 3)])
def test_point_scores_refuse_a_length_too_short_or_bad_shapes(args):
    with pytest.raises(ValueError):
        point_scores(*args)


def _brute_threshold(scores, rate):
    n = len(scores)
    ok = [float(t) for t in scores if int((scores > t).sum()) / n <= rate]
    return min(ok)


@pytest.mark.parametrize("rate", [0.0, 0.01, 0.05, 0.1, 0.29, 0.5, 0.99])
def test_threshold_equals_a_brute_force_with_ties(rate):
    g = torch.Generator().manual_seed(3)
    scores = torch.randint(0, 20, (100,), generator=g).double()            # many ties
    assert threshold_from_validation(scores, rate) == _brute_threshold(scores, rate)


def test_threshold_at_rate_zero_is_the_largest_score():
    scores = torch.rand(1000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert threshold_from_validation(scores, 0.0) == float(scores.max())


def test_threshold_flags_exactly_the_allowed_share_of_distinct_scores():
    scores = torch.rand(1000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert int((scores > threshold_from_validation(scores, 0.03)).sum()) == 30


def test_threshold_leaves_the_scores_unchanged():
    scores = torch.rand(50)
    before = scores.clone()
    threshold_from_validation(scores, 0.1)
    assert torch.equal(scores, before)


@pytest.mark.parametrize("scores, rate", [(torch.tensor([1.0, float("nan")]), 0.1), (torch.rand(5), 1.0),
                                          (torch.rand(5), -0.1), (torch.rand(0), 0.1), (torch.rand(2, 2), 0.1)])
def test_threshold_refuses_nan_bad_rates_and_bad_shapes(scores, rate):
    with pytest.raises(ValueError):
        threshold_from_validation(scores, rate)


def test_rolling_zscore_equals_its_definition():
    x = torch.randn(30, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    z = rolling_zscore(x, 5)
    assert torch.isnan(z[:5]).all()
    t = 17
    past = x[t - 5:t]
    assert float(z[t]) == pytest.approx(float((x[t] - past.mean()).abs() / past.std(correction=0)))


def test_nearest_neighbour_scores_equal_a_brute_force():
    g = torch.Generator().manual_seed(2)
    ref, series = torch.randn(20, generator=g, dtype=torch.float64), torch.randn(12, generator=g, dtype=torch.float64)
    got = nearest_neighbour_scores(ref, series, 4, chunk=3)
    want = [min(float(torch.linalg.vector_norm(series[i:i + 4] - ref[j:j + 4])) for j in range(17)) for i in range(9)]
    torch.testing.assert_close(got, torch.tensor(want, dtype=torch.float64))


def test_point_scores_refuse_integer_errors_naming_the_dtype():
    with pytest.raises(ValueError, match="floating point.*int64"):
        point_scores(torch.ones(3, dtype=torch.long), 2, 4)


def test_nearest_neighbour_scores_refuse_a_chunk_below_one():
    with pytest.raises(ValueError, match="chunk"):
        nearest_neighbour_scores(torch.randn(10), torch.randn(10), 3, chunk=0)
