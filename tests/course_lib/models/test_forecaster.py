"""course_lib.models.forecaster: decode_horizon feeds the last observed value first, then the true previous
value with teacher forcing or its own previous prediction without (never reading targets then: NaN futures
leave the forecast finite), keeps the gradient through fed-back predictions, and refuses missing or misshapen
targets; the GRU one-step forecaster, the encoder-decoder (whose decoding loop is a function passed in) and the
LSTM autoencoder have the documented shapes, gradients (gradcheck in float64) and batch-1 behaviour."""
from __future__ import annotations

import pytest
import torch

from course_lib.models.forecaster import (EncoderDecoderForecaster, GRUForecaster, LSTMAutoencoder, decode_horizon)


class Spy:
    """A step function that records its inputs and predicts previous * 2 + t (so every step is traceable)."""

    def __init__(self):
        self.inputs = []

    def __call__(self, previous, state, t):
        self.inputs.append(previous.clone())
        return previous * 2 + t, state + 1


def test_teacher_forcing_feeds_the_last_value_then_the_shifted_targets():
    spy, last, targets = Spy(), torch.tensor([1.0, 2.0]), torch.tensor([[10.0, 20.0, 30.0], [40.0, 50.0, 60.0]])
    out = decode_horizon(spy, torch.zeros(()), last, 3, targets, teacher_forcing=True)
    assert torch.equal(torch.stack(spy.inputs, 1), torch.cat([last[:, None], targets[:, :-1]], 1))
    assert torch.equal(out, torch.stack(spy.inputs, 1) * 2 + torch.arange(3.0))


def test_free_running_feeds_back_its_own_predictions_and_never_reads_targets():
    spy, last = Spy(), torch.tensor([1.0])
    out = decode_horizon(spy, torch.zeros(()), last, 3, torch.full((1, 3), float("nan")), teacher_forcing=False)
    assert out.tolist() == [[2.0, 5.0, 12.0]]                                  # 1*2+0, 2*2+1, 5*2+2
    assert torch.equal(decode_horizon(Spy(), torch.zeros(()), last, 3, None), out)


def test_the_state_is_threaded_through_the_steps():
    seen = []

    def step(previous, state, t):
        seen.append(int(state))
        return previous, state + 1

    decode_horizon(step, torch.tensor(5), torch.zeros(2), 4)
    assert seen == [5, 6, 7, 8]


def test_the_gradient_flows_through_fed_back_predictions():
    w = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    out = decode_horizon(lambda p, s, t: (p * w, s), None, torch.ones(1, dtype=torch.float64), 3)
    out[0, -1].backward()
    assert float(w.grad) == pytest.approx(3 * 1.5 ** 2)                        # d w^3 / dw


@pytest.mark.parametrize("targets, horizon, match", [(None, 2, "needs targets"), (torch.zeros(2, 3), 2, "shape"),
                                                     (torch.zeros(2, 2), 0, "horizon")])
def test_bad_teacher_forcing_targets_or_horizon_are_refused(targets, horizon, match):
    with pytest.raises(ValueError, match=match):
        decode_horizon(Spy(), None, torch.zeros(2), horizon, targets, teacher_forcing=True)


def test_gru_forecaster_shapes_and_gradcheck():
    model = GRUForecaster(features=2, hidden_size=4).double()
    x = torch.randn(3, 5, 2, dtype=torch.float64, requires_grad=True)
    assert model(x).shape == (3,) and model(x[:1]).shape == (1,)
    assert torch.autograd.gradcheck(lambda v: model(v), (x,))
    with pytest.raises(ValueError, match=r"\(B, L, 2\)"):
        model(torch.zeros(3, 5))


def test_encoder_decoder_shapes_teacher_forcing_and_nan_futures():
    torch.manual_seed(0)
    model = EncoderDecoderForecaster(features=2, covariates=1, hidden_size=4).double()
    x, last = torch.randn(2, 6, 2, dtype=torch.float64), torch.randn(2, dtype=torch.float64)
    cov, targets = torch.randn(2, 3, 1, dtype=torch.float64), torch.randn(2, 3, dtype=torch.float64)
    free = model(x, last, 3, decode=decode_horizon, covariates=cov)
    assert free.shape == (2, 3)
    assert torch.equal(model(x, last, 3, decode=decode_horizon, covariates=cov,
                             targets=torch.full((2, 3), float("nan"), dtype=torch.float64)), free)
    forced = model(x, last, 3, decode=decode_horizon, covariates=cov, targets=targets, teacher_forcing=True)
    assert torch.equal(forced[:, 0], free[:, 0]) and not torch.equal(forced[:, 1:], free[:, 1:])
    x.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda v: model(v, last, 3, decode=decode_horizon, covariates=cov), (x,))
    with pytest.raises(ValueError, match="covariates"):
        model(x, last, 3, decode=decode_horizon)


def test_residual_encoder_decoder_adds_covariate_0():
    model = EncoderDecoderForecaster(features=1, covariates=1, hidden_size=3, residual=True)
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()
    cov = torch.randn(2, 4, 1)
    out = model(torch.randn(2, 5), torch.zeros(2), 4, decode=decode_horizon, covariates=cov)
    assert torch.equal(out, cov[..., 0])
    with pytest.raises(ValueError, match="residual"):
        EncoderDecoderForecaster(covariates=0, residual=True)


def test_lstm_autoencoder_reconstructs_the_window_shape_with_gradients():
    model = LSTMAutoencoder(hidden_size=3).double()
    x = torch.randn(2, 7, dtype=torch.float64, requires_grad=True)
    assert model(x).shape == (2, 7) and model(x[:1, :1]).shape == (1, 1)
    assert torch.autograd.gradcheck(lambda v: model(v), (x,))
    with pytest.raises(ValueError, match=r"\(B, W\)"):
        model(torch.zeros(2, 7, 1))
