"""Standardising a time series with statistics of its training slice only (fitting on the whole series would
let the test period's level and spread leak into training).

    scaler = Scaler().fit(series[:train_end])        # (T_train,) or (T_train, F)
    z = scaler.transform(series)                     # same shape as its input: (x - mean) / std per feature
    y = scaler.inverse_transform(z_pred, feature=0)  # any shape, in the units of feature 0

mean and std are per feature (the last axis of a (T, F) input; a (T,) input is one feature) and std is the
population standard deviation (divide by T, torch.std(..., correction=0)). A feature that is constant over
the training slice (all its values equal: tested on the values, as rounding can leave a tiny non-zero std) or a
NaN or infinity in it is refused with a ValueError.
"""
from __future__ import annotations

import torch


class Scaler:
    """Per-feature standardisation fitted on a training slice: `mean` and `std` are (F,) tensors, or 0-dim
    for a (T,) series, in the training slice's dtype."""

    def __init__(self) -> None:
        """An unfitted scaler: mean and std are None until fit."""
        self.mean: torch.Tensor | None = None
        self.std: torch.Tensor | None = None

    def fit(self, train: torch.Tensor) -> "Scaler":
        """train (T,) or (T, F), T >= 1, floating point, no NaN -> self (with mean and std set)."""
        if not isinstance(train, torch.Tensor) or train.dim() not in (1, 2) or train.shape[0] < 1:
            raise ValueError(f"fit needs a (T,) or (T, F) tensor with T >= 1, got "
                             f"{tuple(train.shape) if isinstance(train, torch.Tensor) else type(train).__name__}")
        if not train.is_floating_point():
            raise ValueError(f"fit needs a floating-point tensor, got {train.dtype}")
        if not torch.isfinite(train).all():
            where = torch.nonzero(~torch.isfinite(train))[0].tolist()
            raise ValueError(f"the training slice holds NaN or inf (first at index {where}): fill or drop it before "
                             f"fitting")
        mean = train.mean(dim=0)                                             # (F,) or ()
        std = train.std(dim=0, correction=0)                                 # (F,) or (): population
        constant = (train == train[:1]).all(dim=0)                          # (F,) or (): every value equal
        if constant.any():
            features = torch.nonzero(constant.reshape(-1)).flatten().tolist()
            raise ValueError(f"feature(s) {features} are constant over the training slice (std 0): cannot scale")
        self.mean, self.std = mean, std
        return self

    def _stats(self, feature: int | None) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean, std) of every feature (feature=None) or of feature k; refused before fit."""
        if self.mean is None or self.std is None:
            raise RuntimeError("call fit(train) before transform / inverse_transform")
        if feature is None:
            return self.mean, self.std
        flat_mean, flat_std = self.mean.reshape(-1), self.std.reshape(-1)
        if isinstance(feature, bool) or not isinstance(feature, int) or not 0 <= feature < flat_mean.numel():
            raise ValueError(f"feature must be an int in [0, {flat_mean.numel()}), got {feature!r}")
        return flat_mean[feature], flat_std[feature]

    def _check_features(self, x: torch.Tensor, feature: int | None) -> None:
        """Without `feature`, a multi-feature scaler needs x's last axis to hold its F features."""
        if feature is None and self.mean is not None and self.mean.dim() == 1 and \
                (x.dim() == 0 or x.shape[-1] != self.mean.shape[0]):
            raise ValueError(f"fitted on {self.mean.shape[0]} features (last axis), got shape {tuple(x.shape)}; "
                             f"pass feature=k to scale values of feature k alone")

    def transform(self, x: torch.Tensor, feature: int | None = None) -> torch.Tensor:
        """(x - mean) / std: x shaped like the training slice (any length), or of any shape with `feature`."""
        mean, std = self._stats(feature)
        self._check_features(x, feature)
        return (x - mean) / std

    def inverse_transform(self, z: torch.Tensor, feature: int | None = None) -> torch.Tensor:
        """z * std + mean, the inverse of transform (with the same `feature`)."""
        mean, std = self._stats(feature)
        self._check_features(z, feature)
        return z * std + mean
