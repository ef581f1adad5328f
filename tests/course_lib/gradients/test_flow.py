"""course_lib.gradients.flow: spectral-radius scaling, and the measured gradient norms through time (hidden and
input) against nn.RNN, manual Jacobians/backprop and finite differences; vanishing and exploding regimes; bad
models rejected."""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from torch import nn

from course_lib.gradients.flow import hidden_gradient_norms, input_gradient_norms, scale_to_spectral_radius
from course_lib.layers.gru import GRU
from course_lib.layers.lstm import LSTM
from course_lib.layers.recurrent import copy_weights
from course_lib.layers.rnn import ElmanRNN

pytestmark = pytest.mark.usefixtures("one_torch_thread")


# ------------------------------------------------------------------------------ spectral radius
@pytest.mark.parametrize("radius", [0.5, 1.0, 2.5])
@pytest.mark.parametrize("H", [1, 2, 7, 30])
def test_scale_to_spectral_radius(H, radius):
    g = torch.Generator().manual_seed(H)
    W = torch.randn(H, H, generator=g, dtype=torch.float64)  # non-symmetric: complex eigenvalues
    scaled = scale_to_spectral_radius(W, radius)
    assert scaled.shape == (H, H) and scaled.dtype == torch.float64
    got = np.abs(np.linalg.eigvals(scaled.numpy())).max()  # independent eigen-solver
    assert got == pytest.approx(radius, rel=1e-9)
    # a rescaling: the same matrix up to one positive factor
    factor = radius / np.abs(np.linalg.eigvals(W.numpy())).max()
    np.testing.assert_allclose(scaled.numpy(), factor * W.numpy(), rtol=1e-9)
    assert torch.equal(W, torch.randn(H, H, generator=torch.Generator().manual_seed(H), dtype=torch.float64))


def test_scale_to_spectral_radius_float32():
    W = torch.randn(10, 10, generator=torch.Generator().manual_seed(0))
    scaled = scale_to_spectral_radius(W, 0.9)
    assert scaled.dtype == torch.float32
    assert np.abs(np.linalg.eigvals(scaled.double().numpy())).max() == pytest.approx(0.9, rel=1e-5)


@pytest.mark.parametrize("shape", [(3, 4), (4,), (2, 3, 3)])
def test_scale_to_spectral_radius_rejects_non_square(shape):
    with pytest.raises(ValueError, match=re.escape(f"W must be square (H, H), got {shape}")):
        scale_to_spectral_radius(torch.randn(*shape), 1.0)


# ------------------------------------------------------------------------------ gradient norms
def test_hidden_gradient_norms_is_deterministic_and_has_the_right_length():
    a = hidden_gradient_norms(0.9, seq_len=25, hidden_size=16, batch=8, seed=3)
    b = hidden_gradient_norms(0.9, seq_len=25, hidden_size=16, batch=8, seed=3)
    c = hidden_gradient_norms(0.9, seq_len=25, hidden_size=16, batch=8, seed=4)
    assert isinstance(a, np.ndarray) and a.shape == (25,)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert np.all(np.isfinite(a)) and np.all(a > 0)
    assert hidden_gradient_norms(0.9, seq_len=1, hidden_size=4, batch=2).shape == (1,)


def test_hidden_gradient_norms_vanish_for_small_radius():
    norms = hidden_gradient_norms(0.5)  # defaults: 60 steps, H = 64
    assert norms.shape == (60,)
    assert norms[10] < 1e-3 * norms[0]
    assert norms[30] < 1e-9 * norms[0]
    assert np.all(np.diff(norms[1:]) < 0)  # strictly shrinking with distance


def test_hidden_gradient_norms_explode_for_large_radius():
    norms = hidden_gradient_norms(2.5)
    assert norms[-1] > 100 * norms[0]
    assert norms[30] > 10 * norms[0]
    assert np.mean(np.diff(norms[1:]) > 0) > 0.9  # growing almost every step


def test_hidden_gradient_norms_at_distance_zero_is_the_readout():
    # L = mean_b v . h_T, so dL/dh_T is v / B for every row: norm ||v|| / B, whatever the radius
    a = hidden_gradient_norms(0.5, seq_len=10, hidden_size=8, batch=4, seed=2)
    b = hidden_gradient_norms(2.5, seq_len=10, hidden_size=8, batch=4, seed=2)
    assert a[0] == pytest.approx(b[0], rel=1e-12)


def test_hidden_gradient_norms_matches_nn_rnn_and_manual_jacobians():
    radius, T, H, B, input_scale, seed = 1.3, 8, 5, 3, 0.7, 7
    got = hidden_gradient_norms(radius, seq_len=T, hidden_size=H, batch=B, input_scale=input_scale, seed=seed)

    # the same random draws, in the documented order, then everything else done independently
    g = torch.Generator().manual_seed(seed)
    W_raw = (torch.randn(H, H, generator=g, dtype=torch.float64) / H ** 0.5).numpy()
    W_ih = (torch.randn(H, H, generator=g, dtype=torch.float64) / H ** 0.5).numpy()
    xs = input_scale * torch.randn(T, B, H, generator=g, dtype=torch.float64)
    v = torch.randn(H, generator=g, dtype=torch.float64).numpy()
    W_hh = W_raw * radius / np.abs(np.linalg.eigvals(W_raw)).max()

    rnn = nn.RNN(H, H, bias=False).double()  # forward by torch's own RNN, h0 = 0
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(W_ih))
        rnn.weight_hh_l0.copy_(torch.from_numpy(W_hh))
        hs = rnn(xs)[0].numpy()  # (T, B, H)

    # backward by hand: dL/dh_T = v / B; dL/dh_{t-1} = (dL/dh_t * (1 - h_t^2)) @ W_hh
    dh = np.tile(v / B, (B, 1))
    want = []
    for t in reversed(range(T)):
        want.append(np.linalg.norm(dh, axis=1).mean())
        dh = (dh * (1 - hs[t] ** 2)) @ W_hh
    np.testing.assert_allclose(got, np.array(want), rtol=1e-10)


# ------------------------------------------------------------------------------ input gradient norms
@pytest.mark.parametrize("make", [lambda: nn.RNN(3, 5, batch_first=True), lambda: nn.GRU(3, 5, batch_first=True),
                                  lambda: nn.LSTM(3, 5, batch_first=True),
                                  lambda: LSTM(3, 5, num_layers=2, batch_first=True),
                                  lambda: ElmanRNN(3, 5, batch_first=True, bidirectional=True)],
                         ids=["nn.RNN", "nn.GRU", "nn.LSTM", "LSTM-2-layers", "ElmanRNN-bi"])
def test_input_gradient_norms_length_and_determinism(make):
    torch.manual_seed(0)
    model = make()
    a = input_gradient_norms(model, seq_len=7, input_size=3, batch=4, seed=1)
    b = input_gradient_norms(model, seq_len=7, input_size=3, batch=4, seed=1)
    c = input_gradient_norms(model, seq_len=7, input_size=3, batch=4, seed=2)
    assert isinstance(a, np.ndarray) and a.shape == (7,)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert np.all(np.isfinite(a)) and np.all(a > 0)
    assert input_gradient_norms(model, seq_len=1, input_size=3, batch=2).shape == (1,)
    assert input_gradient_norms(model, seq_len=12, input_size=3, batch=2).shape == (12,)


def test_input_gradient_norms_matches_nn_rnn_and_manual_backprop():
    T, D, H, B, seed = 6, 2, 3, 4, 5
    torch.manual_seed(3)
    rnn = nn.RNN(D, H, batch_first=True).double()
    with torch.no_grad():
        rnn.weight_hh_l0.mul_(3.0)  # a bit of saturation: the tanh derivative matters
    got = input_gradient_norms(rnn, seq_len=T, input_size=D, batch=B, seed=seed)
    assert got.dtype == np.float64

    # the same random draws (inputs, then the read-out vector), everything else by hand in NumPy
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, T, D, generator=g, dtype=torch.float64).numpy()
    v = torch.randn(H, generator=g, dtype=torch.float64).numpy()
    W_ih, W_hh, b_ih, b_hh = (getattr(rnn, n).detach().numpy()
                              for n in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"))
    hs, h = [], np.zeros((B, H))
    for t in range(T):
        h = np.tanh(x[:, t] @ W_ih.T + b_ih + h @ W_hh.T + b_hh)
        hs.append(h)
    dh = np.tile(v / B, (B, 1))  # L = mean_b v . h_T
    want = []
    for t in reversed(range(T)):  # distance 0, 1, ...
        da = dh * (1 - hs[t] ** 2)
        want.append(np.linalg.norm(da @ W_ih, axis=1).mean())
        dh = da @ W_hh
    np.testing.assert_allclose(got, np.array(want), rtol=1e-10)
    assert got[-1] < got[0]  # the earliest input matters least here


def test_input_gradient_norms_with_lstm_tuple_states_matches_finite_differences():
    T, D, H, B, seed = 4, 2, 3, 2, 6
    torch.manual_seed(4)
    ref = nn.LSTM(D, H, batch_first=True).double()
    got = input_gradient_norms(ref, seq_len=T, input_size=D, batch=B, seed=seed)

    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, T, D, generator=g, dtype=torch.float64)
    v = torch.randn(H, generator=g, dtype=torch.float64)

    def loss(x_):
        with torch.no_grad():
            return float((ref(x_)[0][:, -1] @ v).mean())

    eps, grad = 1e-6, torch.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        plus, minus = x.clone(), x.clone()
        plus[idx] += eps
        minus[idx] -= eps
        grad[idx] = (loss(plus) - loss(minus)) / (2 * eps)
    want = grad.norm(dim=-1).mean(dim=0).flip(0).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-10)

    # the course's LSTM and GRU (tuple and plain states) give the same as torch.nn's with the same weights
    mine = LSTM(D, H, batch_first=True).double()
    copy_weights(ref, mine)
    np.testing.assert_allclose(input_gradient_norms(mine, seq_len=T, input_size=D, batch=B, seed=seed), got,
                               rtol=1e-10)
    gru_ref = nn.GRU(D, H, batch_first=True).double()
    gru = GRU(D, H, batch_first=True).double()
    copy_weights(gru_ref, gru)
    np.testing.assert_allclose(input_gradient_norms(gru, seq_len=T, input_size=D, batch=B, seed=seed),
                               input_gradient_norms(gru_ref, seq_len=T, input_size=D, batch=B, seed=seed),
                               rtol=1e-10)


def test_input_gradient_norms_float32_model():
    torch.manual_seed(7)
    norms = input_gradient_norms(nn.GRU(2, 4, batch_first=True), seq_len=5, input_size=2, batch=3)
    assert norms.shape == (5,) and np.all(np.isfinite(norms)) and np.all(norms > 0)


def test_input_gradient_norms_rejects_time_first_models():
    # (B, T, D) inputs fed to a time-first model would silently measure the wrong thing
    for model in (nn.RNN(2, 3), ElmanRNN(2, 3), LSTM(2, 3, batch_first=False)):
        with pytest.raises(ValueError, match="must have batch_first=True, got batch_first=False"):
            input_gradient_norms(model, seq_len=4, input_size=2)
