"""course_lib.metrics.forecast: MAE equals scikit-learn's mean_absolute_error; MASE equals a hand loop in
float64 (MAE over the in-sample seasonal-naive MAE with season m) and raises a ValueError saying the scale is
zero for a series that repeats exactly; MAPE is in percent (scikit-learn's fraction times 100); the naive and
seasonal-naive forecasts repeat the last value or the last season; shape mismatches are refused."""
from __future__ import annotations

import pytest
import torch
from sklearn.metrics import mean_absolute_error, mean_absolute_percentage_error

from course_lib.metrics.forecast import mae, mape, mase, naive_forecast, seasonal_naive_forecast, seasonal_scale


def _data(seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(12, generator=g, dtype=torch.float64) + 5, torch.randn(12, generator=g, dtype=torch.float64) + 5,
            torch.randn(30, generator=g, dtype=torch.float64))


def test_mae_equals_scikit_learn():
    y, p, _ = _data()
    assert abs(float(mae(y, p)) - mean_absolute_error(y.numpy(), p.numpy())) < 1e-12


@pytest.mark.parametrize("m", [1, 4, 7])
def test_mase_equals_a_hand_loop_in_float64(m):
    y, p, train = _data(m)
    scale = sum(abs(float(train[t]) - float(train[t - m])) for t in range(m, len(train))) / (len(train) - m)
    want = sum(abs(float(a) - float(b)) for a, b in zip(y, p)) / len(y) / scale
    got = mase(y, p, train, m)
    assert got.dim() == 0 and got.dtype == torch.float64 and abs(float(got) - want) < 1e-12


def test_mase_of_a_forecast_as_good_as_the_in_sample_seasonal_naive_is_one():
    train = torch.tensor([0.0, 1.0, 3.0, 6.0])
    y = torch.tensor([10.0, 11.0])
    assert float(mase(y, y + float(seasonal_scale(train, 1)), train, 1)) == pytest.approx(1.0)


def test_mase_with_a_zero_scale_raises_saying_so():
    with pytest.raises(ValueError, match="scale is zero"):
        mase(torch.ones(3), torch.zeros(3), torch.tensor([1.0, 2.0, 1.0, 2.0, 1.0, 2.0]), 2)


@pytest.mark.parametrize("m", [0, 6, 2.0, True])
def test_mase_refuses_a_season_outside_one_to_len_minus_one(m):
    with pytest.raises(ValueError, match="m must be"):
        mase(torch.ones(3), torch.zeros(3), torch.arange(6.0), m)


def test_mase_refuses_a_shape_mismatch_naming_both_shapes():
    with pytest.raises(ValueError, match=r"\(3,\) and \(1, 3\)"):
        mase(torch.ones(3), torch.zeros(1, 3), torch.arange(6.0), 1)


def test_mae_refuses_a_shape_mismatch():
    with pytest.raises(ValueError, match="same shape"):
        mae(torch.ones(2), torch.ones(3))


def test_mape_is_scikit_learns_fraction_in_percent():
    y, p, _ = _data()
    assert abs(float(mape(y, p)) - 100 * mean_absolute_percentage_error(y.numpy(), p.numpy())) < 1e-9


def test_mape_is_infinite_when_a_true_value_is_zero():
    assert torch.isinf(mape(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 1.0])))


def test_naive_forecast_holds_the_last_value():
    assert naive_forecast(torch.arange(10.0), 3).tolist() == [9.0, 9.0, 9.0]


def test_seasonal_naive_forecast_repeats_the_last_season():
    assert seasonal_naive_forecast(torch.arange(10.0), 5, 3).tolist() == [7.0, 8.0, 9.0, 7.0, 8.0]


def test_seasonal_naive_forecast_refuses_a_season_longer_than_the_history():
    with pytest.raises(ValueError, match="m=11"):
        seasonal_naive_forecast(torch.arange(10.0), 2, 11)
