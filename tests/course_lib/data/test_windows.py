"""course_lib.data.windows.make_windows: stride-1 windows whose inputs and targets all lie in [start, stop),
equal to a brute-force loop for (T,) and (T, F) series, N = stop - start - lookback - horizon + 1, targets from
feature 0, new tensors (the series is neither changed nor shared), and a ValueError naming what came for bad
bounds, sizes or shapes."""
from __future__ import annotations

import pytest
import torch

from course_lib.data.windows import make_windows


def _brute(series, lookback, horizon, start, stop):
    xs, ys = [], []
    for i in range(start, stop - lookback - horizon + 1):
        xs.append(series[i:i + lookback])
        ys.append(series[i + lookback:i + lookback + horizon] if series.dim() == 1
                  else series[i + lookback:i + lookback + horizon, 0])
    return torch.stack(xs), torch.stack(ys)


@pytest.mark.parametrize("lookback, horizon, start, stop", [(3, 2, 0, 20), (4, 1, 5, 17), (1, 1, 0, 2), (5, 3, 2, 10)])
def test_windows_equal_a_brute_force_loop_on_a_1d_series(lookback, horizon, start, stop):
    series = torch.arange(20, dtype=torch.float64) ** 1.5
    got, want = make_windows(series, lookback, horizon, start, stop), _brute(series, lookback, horizon, start, stop)
    assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1])
    assert got[0].shape == (stop - start - lookback - horizon + 1, lookback)


def test_windows_of_a_2d_series_keep_every_feature_and_target_feature_0():
    series = torch.randn(30, 3, generator=torch.Generator().manual_seed(0))
    x, y = make_windows(series, 4, 2, 3, 25)
    bx, by = _brute(series, 4, 2, 3, 25)
    assert x.shape == (25 - 3 - 4 - 2 + 1, 4, 3) and torch.equal(x, bx) and torch.equal(y, by)


def test_no_window_reads_outside_start_stop():
    series = torch.arange(50.0)
    x, y = make_windows(series, 6, 4, 10, 30)
    assert x.min() == 10 and y.max() == 29


def test_one_window_when_the_split_holds_exactly_lookback_plus_horizon_points():
    x, y = make_windows(torch.arange(10.0), 3, 2, 4, 9)
    assert x.tolist() == [[4.0, 5.0, 6.0]] and y.tolist() == [[7.0, 8.0]]


def test_the_series_is_unchanged():
    series = torch.arange(12.0)
    before = series.clone()
    make_windows(series, 3, 1, 0, 12)
    assert torch.equal(series, before)


def test_outputs_do_not_share_memory_with_the_series():
    series = torch.arange(12.0)
    before = series.clone()
    x, y = make_windows(series, 3, 1, 0, 12)
    x += 100
    y += 100
    assert torch.equal(series, before)


def test_dtype_is_kept():
    x, y = make_windows(torch.arange(8, dtype=torch.float64), 2, 1, 0, 8)
    assert x.dtype == y.dtype == torch.float64


@pytest.mark.parametrize("args, match", [((3, 2, 0, 4), "too few"), ((3, 2, -1, 10), "start"), ((3, 2, 5, 21), "stop"),
                                         ((3, 2, 6, 6), "start < stop"), ((0, 2, 0, 10), "lookback"),
                                         ((3, 0, 0, 10), "horizon"), ((3, 2, 0.0, 10), "start")])
def test_bad_bounds_or_sizes_raise_a_value_error_saying_what_came(args, match):
    with pytest.raises(ValueError, match=match):
        make_windows(torch.arange(20.0), *args)


def test_a_3d_series_is_refused_naming_its_shape():
    with pytest.raises(ValueError, match=r"\(2, 3, 4\)"):
        make_windows(torch.zeros(2, 3, 4), 1, 1, 0, 2)
