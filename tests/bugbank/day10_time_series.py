"""Wrong answers for Day 10 (time series: windows, a scaler fitted on the training slice, MASE, the decoding loop of
an encoder-decoder forecaster, point scores from window errors, a threshold from validation scores)."""
from __future__ import annotations

from bugbank import Bank

BUGS: Bank = {
    'make_windows': [
        ('lookback and horizon swapped in the index arithmetic', [
            ('    read = first[:, None] + torch.arange(lookback) ', '    read = first[:, None] + torch.arange(horizon) '),
        ]),
        ('the range error does not say what came', [
            ('        raise ValueError(f"need 0 <= start < stop <= T = {T}, got start={start}, stop={stop}")',
             '        raise ValueError("start or stop out of range")'),
        ]),
        ('targets start at the last input (off by one): the first target is the value the window ends with', [
            ('ahead = first[:, None] + lookback + torch.arange(horizon)',
             'ahead = first[:, None] + lookback - 1 + torch.arange(horizon)'),
        ]),
        ('windows start at 0 instead of at `start`', [
            ('    first = start + torch.arange(n) ', '    first = torch.arange(n) '),
        ]),
        ('one window too many: the last one reads the point at `stop`', [
            ('    n = stop - start - lookback - horizon + 1\n', '    n = stop - start - lookback - horizon + 2\n'),
        ]),
        ('one window too few (N = stop - start - lookback - horizon)', [
            ('    n = stop - start - lookback - horizon + 1\n', '    n = stop - start - lookback - horizon\n'),
        ]),
        ('targets of a (T, F) series from the last feature instead of the first', [
            ('series[:, 0]', 'series[:, -1]'),
        ]),
        ('N counted up to the end of the series, not to `stop`: windows cross the split boundary', [
            ('    n = stop - start - lookback - horizon + 1\n', '    n = T - start - lookback - horizon + 1\n'),
        ]),
        ('a negative start is not refused (Python reads it from the end of the series)', [
            ('    if not 0 <= start < stop <= T:', '    if not start < stop <= T:'),
        ]),
        # whole answer: right windows, one Python iteration per window
        ('a Python loop over the windows (torch.stack of slices)', """
def make_windows(series, lookback, horizon, start, stop):
    T = series.shape[0]
    if not 0 <= start < stop <= T:
        raise ValueError(f"need 0 <= start < stop <= {T}, got {start}, {stop}")
    n = stop - start - lookback - horizon + 1
    if n <= 0:
        raise ValueError(f"too few points for one window (N = {n})")
    target = series if series.dim() == 1 else series[:, 0]
    xs = [series[i:i + lookback] for i in range(start, start + n)]
    ys = [target[i + lookback:i + lookback + horizon] for i in range(start, start + n)]
    return torch.stack(xs), torch.stack(ys)
"""),
        ('windows cast to float32 whatever the series\' dtype', [
            ('    return series[read], target_series[ahead]', '    return series[read].float(), target_series[ahead].float()'),
        ]),
    ],
    'Scaler': [
        ('fit returns nothing (no `return self`): Scaler().fit(train) is None', [
            ('        self.mean, self.std = mean, std\n        return self', '        self.mean, self.std = mean, std'),
        ]),
        ('inverse_transform divides by the std instead of multiplying', [
            ('            return z * self.std + self.mean', '            return z / self.std + self.mean'),
        ]),
        ('the constant-feature error does not name the feature', [
            ('            raise ValueError(f"feature(s) {features} are constant over the training slice (std 0)")',
             '            raise ValueError("a feature is constant")'),
        ]),
        ('sample standard deviation (torch.std\'s default, divides by T - 1)', [
            ('std = train.std(dim=0, correction=0)', 'std = train.std(dim=0)'),
        ]),
        ('one mean over every feature (no dim=0)', [
            ('mean = train.mean(dim=0) ', 'mean = train.mean() '),
        ]),
        ('a constant feature is not refused (its std is 0: transform divides by zero)', [
            ('        if constant.any():', '        if False:'),
        ]),
        ('NaN in the training slice is not refused (every statistic becomes NaN)', [
            ('        if torch.isnan(train).any():', '        if False:'),
        ]),
        ('inverse_transform adds the mean before multiplying by the std', [
            ('            return z * self.std + self.mean', '            return (z + self.mean) * self.std'),
        ]),
        ('transform with feature=k uses feature 0\'s statistics', [
            ('        return (x - self.mean.reshape(-1)[feature]) / self.std.reshape(-1)[feature]',
             '        return (x - self.mean.reshape(-1)[0]) / self.std.reshape(-1)[0]'),
        ]),
        ('transform scales its input in place', [
            ('            return (x - self.mean) / self.std\n',
             '            x -= self.mean\n            x /= self.std\n            return x\n'),
        ]),
        ('statistics computed in float32 whatever the slice\'s dtype', [
            ('        mean = train.mean(dim=0) ', '        train = train.float()\n        mean = train.mean(dim=0) '),
        ]),
        ('feature=k indexes the statistics directly: a (T,) fit has 0-dim ones, so feature=0 fails', [
            ('        return (x - self.mean.reshape(-1)[feature]) / self.std.reshape(-1)[feature]',
             '        return (x - self.mean[feature]) / self.std[feature]'),
            ('        return z * self.std.reshape(-1)[feature] + self.mean.reshape(-1)[feature]',
             '        return z * self.std[feature] + self.mean[feature]'),
        ]),
        ('a feature with std below 1e-3 refused as constant (a small real spread is a valid scale)', [
            ('constant = (train == train[:1]).all(dim=0)', 'constant = std < 1e-3'),
        ]),
        ('constant tested as std == 0: in float32, 1,000 copies of 0.1 have a std of ~1e-8 and pass', [
            ('constant = (train == train[:1]).all(dim=0)', 'constant = std == 0'),
        ]),
        ('one-pass variance sqrt(E[x^2] - mean^2): cancels when the mean is large against the spread', [
            ('std = train.std(dim=0, correction=0)', 'std = ((train ** 2).mean(dim=0) - mean ** 2).sqrt()'),
        ]),
    ],
    'mase': [
        ('signed errors averaged (errors of opposite signs cancel)', [
            ('    return (y_true - y_pred).abs().mean() / scale', '    return (y_true - y_pred).mean().abs() / scale'),
        ]),
        ('the shape error does not name the shapes', [
            ('        raise ValueError(f"y_true and y_pred must have the same shape, got {tuple(y_true.shape)} and "\n'
             '                         f"{tuple(y_pred.shape)}")',
             '        raise ValueError("shapes differ")'),
        ]),
        ('the scale uses lag 1 whatever the season m', [
            ('scale = (y_train[m:] - y_train[:-m]).abs().mean()', 'scale = (y_train[1:] - y_train[:-1]).abs().mean()'),
        ]),
        ('the scale computed on the test values (y_true) instead of the training series', [
            ('scale = (y_train[m:] - y_train[:-m]).abs().mean()', 'scale = (y_true[m:] - y_true[:-m]).abs().mean()'),
        ]),
        ('squared errors in the numerator', [
            ('    return (y_true - y_pred).abs().mean() / scale', '    return ((y_true - y_pred) ** 2).mean() / scale'),
        ]),
        ('a zero scale is not refused (returns inf)', [
            ('    if scale == 0:', '    if False:'),
        ]),
        ('the scale divides the sum by n instead of n - m', [
            ('scale = (y_train[m:] - y_train[:-m]).abs().mean()', 'scale = (y_train[m:] - y_train[:-m]).abs().sum() / len(y_train)'),
        ]),
        ('shapes compared by their number of elements: (4, 6) against (6, 4) is accepted', [
            ('    if y_true.shape != y_pred.shape:', '    if y_true.numel() != y_pred.numel():'),
        ]),
        ('shapes compared by len(): (3,) against (3, 1) is accepted and broadcasts', [
            ('    if y_true.shape != y_pred.shape:', '    if len(y_true) != len(y_pred):'),
        ]),
        ('the result cast to float32 whatever the inputs\' dtype', [
            ('    return (y_true - y_pred).abs().mean() / scale', '    return ((y_true - y_pred).abs().mean() / scale).float()'),
        ]),
        ('the zero-scale ValueError does not say what is wrong', [
            ('        raise ValueError(f"the MASE scale is zero: y_train repeats itself exactly with season m={m}")',
             '        raise ValueError("cannot compute MASE")'),
        ]),
        ('shapes not compared: (3,) against (2,) fails with a RuntimeError, (1, 6) against (4, 6) broadcasts', [
            ('    if y_true.shape != y_pred.shape:', '    if False:'),
        ]),
        ('a zero scale detected from the result (inf): a perfect forecast gives 0 / 0 = nan, not refused', [
            ('    if scale == 0:\n        raise ValueError(f"the MASE scale is zero: y_train repeats itself exactly with season m={m}")\n'
             '    return (y_true - y_pred).abs().mean() / scale',
             '    out = (y_true - y_pred).abs().mean() / scale\n    if torch.isinf(out):\n'
             '        raise ValueError(f"the MASE scale is zero (m={m})")\n    return out'),
        ]),
        ('the MAE by torch.nn.functional.l1_loss (a library MAE)', [
            ('    return (y_true - y_pred).abs().mean() / scale', '    return torch.nn.functional.l1_loss(y_pred, y_true) / scale'),
        ]),
        ('a scale below 1e-6 refused as zero (a small real scale is valid)', [
            ('    if scale == 0:', '    if scale < 1e-6:'),
        ]),
    ],
    'decode_horizon': [
        ('the list of predictions returned, not stacked into a tensor', [
            ('    return torch.stack(predictions, dim=1)', '    return predictions'),
        ]),
        # whole answer: step t reads the value it is meant to predict
        ('teacher forcing feeds targets[:, t] at step t (the value being predicted: a leak)', """
def decode_horizon(step, state, last_value, horizon, targets=None, teacher_forcing=False):
    if teacher_forcing and targets is None:
        raise ValueError("teacher forcing needs targets")
    predictions = []
    for t in range(horizon):
        previous = targets[:, t] if teacher_forcing else (last_value if t == 0 else predictions[-1])
        prediction, state = step(previous, state, t)
        predictions.append(prediction)
    return torch.stack(predictions, dim=1)
"""),
        ('fed-back predictions detached: no gradient through the free-running chain', [
            ('        previous = targets[:, t] if teacher_forcing else prediction',
             '        previous = targets[:, t] if teacher_forcing else prediction.detach()'),
        ]),
        ('predictions stacked along dim 0: (horizon, B)', [
            ('    return torch.stack(predictions, dim=1)', '    return torch.stack(predictions, dim=0)'),
        ]),
        ('free running reads the targets whenever they are given (NaN futures leak into the forecast)', [
            ('        previous = targets[:, t] if teacher_forcing else prediction',
             '        previous = targets[:, t] if targets is not None else prediction'),
        ]),
        ('teacher forcing without targets is not refused (a TypeError later)', [
            ('    if teacher_forcing and (targets is None or tuple(targets.shape) != (last_value.shape[0], horizon)):',
             '    if False:'),
        ]),
        ('the state returned by a step is dropped: every step starts from the encoder state', [
            ('        prediction, state = step(previous, state, t)', '        prediction, _ = step(previous, state, t)'),
        ]),
        ('the step index is always 0', [
            ('        prediction, state = step(previous, state, t)', '        prediction, state = step(previous, state, 0)'),
        ]),
        ('targets of the wrong shape are not refused (only None is)', [
            ('(targets is None or tuple(targets.shape) != (last_value.shape[0], horizon))', '(targets is None)'),
        ]),
        ('free running feeds the targets wherever they are finite (a leak that NaN futures do not show)', [
            ('        previous = targets[:, t] if teacher_forcing else prediction',
             '        previous = targets[:, t] if teacher_forcing else (prediction if targets is None else '
             'torch.where(torch.isnan(targets[:, t]), prediction, targets[:, t]))'),
        ]),
        ('the step index passed as a 0-dim tensor (for t in torch.arange(horizon))', [
            ('    for t in range(horizon):', '    for t in torch.arange(horizon):'),
        ]),
        ('free running indexes targets[:, t] and throws it away', [
            ('        previous = targets[:, t] if teacher_forcing else prediction',
             '        seen = targets[:, t] if targets is not None else None\n        previous = seen if teacher_forcing else prediction'),
        ]),
    ],
    'point_scores': [
        ('each point divided by min(point + 1, window): the windows missing at the end are counted', [
            ('    return torch.where(count > 0, total / count.clamp(min=1), torch.full_like(total, float("nan")))',
             '    count = torch.minimum(torch.arange(1, length + 1, dtype=total.dtype), torch.tensor(float(window)))\n'
             '    return torch.where(torch.arange(length) < n + window - 1, total / count, torch.full_like(total, float("nan")))'),
        ]),
        ('the sum of the covering windows\' errors, not their mean', [
            ('torch.where(count > 0, total / count.clamp(min=1),', 'torch.where(count > 0, total,'),
        ]),
        ('uncovered points get 0 instead of NaN', [
            ('torch.full_like(total, float("nan"))', 'torch.zeros_like(total)'),
        ]),
        ('every point divided by the window length, however many windows cover it', [
            ('total / count.clamp(min=1)', 'total / window'),
        ]),
        ('a length too short is not refused (an index error inside index_add_)', [
            ('    if length < n + window - 1:', '    if False:'),
        ]),
        ('window i taken to cover points i + 1 .. i + window (off by one)', [
            ('covered = (torch.arange(n)[:, None] + torch.arange(window))',
             'covered = (torch.arange(n)[:, None] + 1 + torch.arange(window))'),
        ]),
        ('errors repeated in the wrong order (repeat, not repeat_interleave): errors land on other windows\' points', [
            ('window_errors.repeat_interleave(window)', 'window_errors.repeat(window)'),
        ]),
        # whole answer: correct arithmetic in float32 buffers
        ('sums and counts kept in float32 (torch.zeros(length)) whatever the errors\' dtype', """
def point_scores(window_errors, window, length):
    n = window_errors.shape[0]
    if length < n + window - 1:
        raise ValueError(f"length {length} < {n + window - 1}")
    total, count = torch.zeros(length), torch.zeros(length)
    for i in range(n):
        total[i:i + window] += float(window_errors[i])
        count[i:i + window] += 1
    return total / count
"""),
        # whole answer: a cumulative sum in float32, cast back at the end
        ('a cumulative-sum computation in float32 for float64 errors (the dtype is kept, the precision is not)', """
def point_scores(window_errors, window, length):
    n = window_errors.shape[0]
    if length < n + window - 1:
        raise ValueError(f"{n} windows of {window} cover {n + window - 1} points, length {length}")
    c = torch.cat([torch.zeros(1), window_errors.float().cumsum(0)])
    p = torch.arange(length)
    hi = (p + 1).clamp(max=n)
    lo = (p - window + 1).clamp(min=0).clamp(max=n)
    return ((c[hi] - c[lo]) / (hi - lo)).to(window_errors.dtype)
"""),
    ],
    'threshold_from_validation': [
        ('the share compared with < instead of <= (one score fewer allowed above t)', [
            ('        if (ordered > t).sum().item() / n <= false_alarm_rate:',
             '        if (ordered > t).sum().item() / n < false_alarm_rate or (ordered > t).sum().item() == 0:'),
        ]),
        ('scores equal to t counted as flagged (>= instead of >)', [
            ('        if (ordered > t).sum().item() / n <= false_alarm_rate:',
             '        if (ordered >= t).sum().item() / n <= false_alarm_rate:'),
        ]),
        # whole answer: a quantile interpolates between scores
        ('torch.quantile(scores, 1 - rate): interpolates between scores', """
def threshold_from_validation(val_scores, false_alarm_rate):
    if torch.isnan(val_scores).any():
        raise ValueError("NaN")
    return float(torch.quantile(val_scores, 1 - false_alarm_rate))
"""),
        # whole answer: the allowed count rounded up
        ('the allowed count of scores above t rounded up (ceil(rate * n))', """
import math

def threshold_from_validation(val_scores, false_alarm_rate):
    if torch.isnan(val_scores).any():
        raise ValueError("NaN")
    ordered = torch.sort(val_scores).values
    k = math.ceil(false_alarm_rate * len(ordered))
    return float(ordered[max(len(ordered) - k - 1, 0)])
"""),
        ('a 0-dim tensor returned instead of a float', [
            ('            return float(t)', '            return torch.tensor(t)'),
        ]),
        ('a rate of 1 is accepted', [
            ('    if not 0 <= false_alarm_rate < 1:', '    if not 0 <= false_alarm_rate <= 1:'),
        ]),
        # whole answer: int(rate * n) loses one to floating point (0.29 * 100 = 28.999...)
        ('the allowed count as int(rate * n): floating point makes 0.29 * 100 = 28.99... -> 28', """
def threshold_from_validation(val_scores, false_alarm_rate):
    if torch.isnan(val_scores).any():
        raise ValueError("NaN")
    if not 0 <= false_alarm_rate < 1:
        raise ValueError("rate")
    ordered = torch.sort(val_scores).values
    k = int(false_alarm_rate * len(ordered))
    return float(ordered[len(ordered) - k - 1])
"""),
        ('the upper quantile (interpolation="higher"): one score too high', """
def threshold_from_validation(val_scores, false_alarm_rate):
    if torch.isnan(val_scores).any():
        raise ValueError("NaN")
    return float(torch.quantile(val_scores, 1 - false_alarm_rate, interpolation="higher"))
"""),
        # whole answer: the order statistic at ceil((1 - r) n); 1 - 0.7 = 0.30000000000000004
        ('the order statistic at ceil((1 - rate) * n): floating point rounds 1 - rate up', """
import math

def threshold_from_validation(val_scores, false_alarm_rate):
    if torch.isnan(val_scores).any():
        raise ValueError("val_scores holds NaN")
    if not 0 <= false_alarm_rate < 1:
        raise ValueError(f"false_alarm_rate must be in [0, 1), got {false_alarm_rate}")
    ordered = torch.sort(val_scores).values
    return float(ordered[math.ceil((1 - false_alarm_rate) * len(ordered)) - 1])
"""),
        # whole answer: numpy's inverted-CDF quantile at 1 - rate
        ('numpy quantile (inverted_cdf) at 1 - rate', """
import numpy as np

def threshold_from_validation(val_scores, false_alarm_rate):
    if torch.isnan(val_scores).any():
        raise ValueError("val_scores holds NaN")
    if not 0 <= false_alarm_rate < 1:
        raise ValueError(f"false_alarm_rate must be in [0, 1), got {false_alarm_rate}")
    return float(np.quantile(val_scores.numpy(), 1 - false_alarm_rate, method="inverted_cdf"))
"""),
    ],
}
