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


def test_batch_1_horizon_1_is_one_call_on_last_value():
    spy = Spy()
    out = decode_horizon(spy, torch.zeros(()), torch.tensor([3.0]), 1, torch.tensor([[9.0]]), teacher_forcing=True)
    assert out.tolist() == [[6.0]] and len(spy.inputs) == 1 and spy.inputs[0].tolist() == [3.0]


def test_gru_forecaster_maps_a_window_to_one_value_per_row_for_batch_1_and_length_1():
    model = GRUForecaster(features=2, hidden_size=4)
    assert model(torch.randn(3, 5, 2)).shape == (3,)
    assert model(torch.randn(1, 1, 2)).shape == (1,)


def test_gru_forecaster_accepts_b_l_for_one_feature():
    model = GRUForecaster(features=1, hidden_size=4)
    x = torch.randn(2, 6)
    torch.testing.assert_close(model(x), model(x.unsqueeze(-1)))


def test_gru_forecaster_passes_gradcheck_in_float64():
    model = GRUForecaster(features=2, hidden_size=4).double()
    x = torch.randn(3, 5, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v: model(v), (x,))


def test_gru_forecaster_refuses_a_window_without_its_features_naming_the_shape():
    with pytest.raises(ValueError, match=r"\(B, L, 2\).*\(3, 5\)"):
        GRUForecaster(features=2, hidden_size=4)(torch.zeros(3, 5))


def _seq2seq(seed=0):
    torch.manual_seed(seed)
    model = EncoderDecoderForecaster(features=2, covariates=1, hidden_size=4).double()
    g = torch.Generator().manual_seed(seed)
    x, last = torch.randn(2, 6, 2, generator=g, dtype=torch.float64), torch.randn(2, generator=g, dtype=torch.float64)
    cov, targets = (torch.randn(2, 3, 1, generator=g, dtype=torch.float64),
                    torch.randn(2, 3, generator=g, dtype=torch.float64))
    return model, x, last, cov, targets


def test_encoder_decoder_forecasts_b_by_horizon():
    model, x, last, cov, _ = _seq2seq()
    assert model(x, last, 3, decode=decode_horizon, covariates=cov).shape == (2, 3)
    assert model(x[:1], last[:1], 1, decode=decode_horizon, covariates=cov[:1, :1]).shape == (1, 1)


def test_encoder_decoder_free_running_ignores_nan_future_targets():
    model, x, last, cov, _ = _seq2seq()
    free = model(x, last, 3, decode=decode_horizon, covariates=cov)
    nan = torch.full((2, 3), float("nan"), dtype=torch.float64)
    assert torch.equal(model(x, last, 3, decode=decode_horizon, covariates=cov, targets=nan), free)


def test_encoder_decoder_teacher_forcing_changes_only_the_steps_after_the_first():
    model, x, last, cov, targets = _seq2seq()
    free = model(x, last, 3, decode=decode_horizon, covariates=cov)
    forced = model(x, last, 3, decode=decode_horizon, covariates=cov, targets=targets, teacher_forcing=True)
    assert torch.equal(forced[:, 0], free[:, 0]) and not torch.equal(forced[:, 1:], free[:, 1:])


def test_encoder_decoder_runs_the_decode_function_it_is_given():
    model, x, last, cov, _ = _seq2seq()
    calls = []

    def decode(step, state, last_value, horizon, targets=None, teacher_forcing=False):
        calls.append(horizon)
        return decode_horizon(step, state, last_value, horizon, targets, teacher_forcing)

    model(x, last, 3, decode=decode, covariates=cov)
    assert calls == [3]


def test_encoder_decoder_passes_gradcheck_in_float64():
    model, x, last, cov, _ = _seq2seq()
    x.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda v: model(v, last, 3, decode=decode_horizon, covariates=cov), (x,))


def test_encoder_decoder_refuses_missing_covariates():
    model, x, last, _, _ = _seq2seq()
    with pytest.raises(ValueError, match="covariates must have shape"):
        model(x, last, 3, decode=decode_horizon)


def test_residual_encoder_decoder_with_a_zero_head_forecasts_covariate_0():
    model = EncoderDecoderForecaster(features=1, covariates=1, hidden_size=3, residual=True)
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()
    cov = torch.randn(2, 4, 1)
    out = model(torch.randn(2, 5), torch.zeros(2), 4, decode=decode_horizon, covariates=cov)
    assert torch.equal(out, cov[..., 0])


def test_residual_without_covariates_is_refused():
    with pytest.raises(ValueError, match="residual"):
        EncoderDecoderForecaster(covariates=0, residual=True)


def test_lstm_autoencoder_reconstructs_b_by_w_for_batch_1_and_length_1():
    model = LSTMAutoencoder(hidden_size=3)
    assert model(torch.randn(2, 7)).shape == (2, 7)
    assert model(torch.randn(1, 1)).shape == (1, 1)


def test_lstm_autoencoder_passes_gradcheck_in_float64():
    model = LSTMAutoencoder(hidden_size=3).double()
    x = torch.randn(2, 7, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v: model(v), (x,))


def test_lstm_autoencoder_refuses_a_3d_window_naming_its_shape():
    with pytest.raises(ValueError, match=r"\(B, W\).*\(2, 7, 1\)"):
        LSTMAutoencoder(hidden_size=3)(torch.zeros(2, 7, 1))


def test_a_step_returning_another_shape_is_refused_naming_it():
    with pytest.raises(ValueError, match=r"step 0 .*\(2,\).*\(2, 1\)"):
        decode_horizon(lambda p, s, t: (torch.ones(2, 1), s), None, torch.ones(2), 3)


def test_encoder_decoder_refuses_a_last_value_of_another_batch():
    model = EncoderDecoderForecaster(features=1)
    with pytest.raises(ValueError, match=r"last_value must have shape \(B,\) = \(2,\), got \(3,\)"):
        model(torch.ones(2, 5, 1), torch.ones(3), 3, decode=decode_horizon)


def test_encoder_decoder_refuses_covariates_it_was_not_built_for():
    with pytest.raises(ValueError, match="covariates=0"):
        EncoderDecoderForecaster(features=1)(torch.ones(2, 5, 1), torch.ones(2), 3, decode=decode_horizon,
                                             covariates=torch.ones(2, 3, 1))


@pytest.mark.parametrize("kwargs", [dict(covariates=-1), dict(features=0), dict(hidden_size=True)])
def test_encoder_decoder_refuses_bad_sizes(kwargs):
    with pytest.raises(ValueError, match="must be an int"):
        EncoderDecoderForecaster(**kwargs)
