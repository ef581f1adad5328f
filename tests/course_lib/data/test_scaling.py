"""course_lib.data.scaling.Scaler: per-feature mean and population std (correction=0, as numpy's default std and
scikit-learn's StandardScaler) of the slice it is fitted on, transform and its exact inverse, a feature= option
for values of one feature, and a ValueError for a constant feature, NaN, or a fit on nothing."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.preprocessing import StandardScaler

from course_lib.data.scaling import Scaler


def test_statistics_equal_scikit_learns_standard_scaler_in_float64():
    x = torch.randn(40, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 5 + 2
    ref = StandardScaler().fit(x.numpy())
    s = Scaler().fit(x)
    np.testing.assert_allclose(s.mean.numpy(), ref.mean_, rtol=1e-12)
    np.testing.assert_allclose(s.std.numpy(), ref.scale_, rtol=1e-12)
    np.testing.assert_allclose(s.transform(x).numpy(), ref.transform(x.numpy()), rtol=1e-10, atol=1e-12)


def test_a_1d_series_has_0_dim_statistics_and_round_trips():
    y = torch.tensor([1.0, 2.0, 4.0, 7.0], dtype=torch.float64)
    s = Scaler().fit(y)
    assert s.mean.dim() == 0 and float(s.mean) == 3.5 and float(s.std) == float(np.std(y.numpy()))
    torch.testing.assert_close(s.inverse_transform(s.transform(y)), y, rtol=0, atol=1e-12)


def test_statistics_come_from_the_fitted_slice_only():
    y = torch.cat([torch.zeros(5) + torch.arange(5.0), torch.full((5,), 100.0)])
    s = Scaler().fit(y[:5])
    assert float(s.mean) == 2.0


def test_feature_option_scales_values_of_one_feature_of_a_multi_feature_fit():
    x = torch.stack([torch.arange(10.0), 10 * torch.arange(10.0)], 1)
    s = Scaler().fit(x)
    z = torch.tensor([[1.0, 2.0]])
    torch.testing.assert_close(s.inverse_transform(z, feature=1), z * s.std[1] + s.mean[1])
    torch.testing.assert_close(s.transform(x[:, 1], feature=1), s.transform(x)[:, 1])


def test_a_constant_feature_is_refused_naming_it():
    x = torch.stack([torch.arange(5.0), torch.ones(5)], 1)
    with pytest.raises(ValueError, match=r"\[1\].*constant"):
        Scaler().fit(x)


def test_nan_in_the_training_slice_is_refused():
    with pytest.raises(ValueError, match="NaN"):
        Scaler().fit(torch.tensor([1.0, float("nan"), 2.0]))


@pytest.mark.parametrize("bad", [torch.zeros(0), torch.zeros(2, 2, 2), torch.arange(4)])
def test_empty_3d_or_integer_training_slices_are_refused(bad):
    with pytest.raises(ValueError):
        Scaler().fit(bad)


def test_transform_before_fit_is_refused():
    with pytest.raises(RuntimeError, match="fit"):
        Scaler().transform(torch.zeros(3))


def test_a_wrong_feature_count_is_refused_naming_both():
    s = Scaler().fit(torch.randn(6, 2))
    with pytest.raises(ValueError, match=r"2 features.*\(4, 3\)"):
        s.transform(torch.zeros(4, 3))


def test_a_feature_index_out_of_range_is_refused():
    s = Scaler().fit(torch.randn(6, 2))
    with pytest.raises(ValueError, match="feature must be"):
        s.transform(torch.zeros(4), feature=2)


def test_fit_does_not_change_its_input():
    x = torch.randn(8, 2)
    before = x.clone()
    Scaler().fit(x).transform(x)
    assert torch.equal(x, before)


def test_a_float32_constant_with_a_rounding_std_is_refused():
    with pytest.raises(ValueError, match="constant"):
        Scaler().fit(torch.full((1000,), 0.1))


def test_a_small_real_spread_is_not_constant():
    assert float(Scaler().fit(torch.tensor([0.0, 1e-3])).std) == pytest.approx(5e-4)


def test_infinity_in_the_training_slice_is_refused():
    with pytest.raises(ValueError, match="inf"):
        Scaler().fit(torch.tensor([1.0, float("inf")]))
