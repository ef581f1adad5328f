"""course_lib.layers.lstm: the NumPy LSTM cell forward/backward against nn.LSTMCell, autograd and finite
differences, the LSTM state as a tuple of two, and the peephole cell against a hand computation and gradcheck."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
from torch import nn

from course_lib.layers.lstm import LSTM, lstm_cell, lstm_cell_backward_np, lstm_cell_forward_np, peephole_lstm_cell
from support.cells import autograd_cell_grads, central_differences, np_problem, np_weights

pytestmark = pytest.mark.usefixtures("one_torch_thread")


F64 = torch.float64


def test_lstm_state_must_be_a_tuple_of_two():
    model = LSTM(3, 4)
    x = torch.randn(5, 2, 3)
    h0 = torch.zeros(1, 2, 4)
    with pytest.raises(TypeError, match=re.escape("the initial state of an LSTM is a tuple (h0, c0), got Tensor")):
        model(x, h0)
    with pytest.raises(TypeError, match=re.escape("the initial state of an LSTM is a tuple (h0, c0), got list")):
        model(x, [h0, h0])
    with pytest.raises(TypeError, match=re.escape("a tuple (h0, c0), got a tuple of length 3")):
        model(x, (h0, h0, h0))
    with pytest.raises(TypeError, match=re.escape("a tuple (h0, c0), got a tuple of length 1")):
        model(x, (h0,))
    with pytest.raises(ValueError, match=re.escape("c0 must have shape (num_layers * num_directions, B, H) = "
                                                   "(1, 2, 4), got NoneType")):
        model(x, (h0, None))


@pytest.mark.parametrize("B,D,H", [(1, 1, 1), (1, 3, 2), (4, 2, 5), (3, 6, 3)])
def test_lstm_cell_forward_np_matches_nn_lstmcell(B, D, H):
    torch.manual_seed(B * 100 + D * 10 + H)
    cell = nn.LSTMCell(D, H).double()
    rng = np.random.default_rng(B + D + H)
    x, h_prev, c_prev = rng.normal(size=(B, D)), rng.normal(size=(B, H)), rng.normal(size=(B, H))
    h, c, cache = lstm_cell_forward_np(x, h_prev, c_prev, *np_weights(cell))
    with torch.no_grad():
        h_ref, c_ref = cell(torch.from_numpy(x), (torch.from_numpy(h_prev), torch.from_numpy(c_prev)))
    assert h.shape == c.shape == (B, H) and h.dtype == c.dtype == np.float64
    np.testing.assert_allclose(h, h_ref.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(c, c_ref.numpy(), rtol=0, atol=1e-12)
    assert isinstance(cache, dict)


def _lstm_loss_np(p, R_h, R_c) -> float:
    h, c, _ = lstm_cell_forward_np(p["x"], p["h_prev"], p["c_prev"], p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
    return float((h * R_h).sum() + (c * R_c).sum())


@pytest.mark.parametrize("B,D,H", [(1, 1, 1), (2, 3, 2), (3, 2, 4)])
def test_lstm_cell_backward_np_matches_autograd_and_finite_differences(B, D, H):
    p = np_problem(B, D, H, 4, seed=B * 10 + H)
    rng = np.random.default_rng(7)
    R_h, R_c = rng.normal(size=(B, H)), rng.normal(size=(B, H))
    h, c, cache = lstm_cell_forward_np(p["x"], p["h_prev"], p["c_prev"], p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
    grads = lstm_cell_backward_np(R_h, R_c, cache)  # dL/dh = R_h and dL/dc = R_c arriving from outside

    assert set(grads) == set(p)
    autograd = autograd_cell_grads("lstm", p, [R_h, R_c])
    numeric = central_differences(lambda q: _lstm_loss_np(q, R_h, R_c), p)
    for key in p:
        assert grads[key].shape == p[key].shape, key
        assert np.abs(numeric[key]).max() > 1e-3, key  # not trivially 0 == 0
        np.testing.assert_allclose(grads[key], autograd[key], rtol=1e-10, atol=1e-12, err_msg=key)
        np.testing.assert_allclose(grads[key], numeric[key], rtol=1e-6, atol=1e-8, err_msg=key)


def test_lstm_cell_backward_np_separates_dh_and_dc():
    # only dc (the cell-state path from t+1) or only dh (the output) arriving: each matches autograd on its own
    p = np_problem(2, 3, 3, 4, seed=8)
    _, _, cache = lstm_cell_forward_np(p["x"], p["h_prev"], p["c_prev"], p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
    R = np.random.default_rng(8).normal(size=(2, 3))
    zero = np.zeros_like(R)
    for dh, dc in ((R, zero), (zero, R)):
        grads = lstm_cell_backward_np(dh, dc, cache)
        want = autograd_cell_grads("lstm", p, [dh, dc])
        for key in p:
            np.testing.assert_allclose(grads[key], want[key], rtol=1e-10, atol=1e-12, err_msg=key)
    # with dh = 0 the only way back to c_prev is through the forget gate: dc_prev = dc * f
    f = 1 / (1 + np.exp(-(p["x"] @ p["W_ih"].T + p["b_ih"] + p["h_prev"] @ p["W_hh"].T + p["b_hh"])[:, 3:6]))
    np.testing.assert_allclose(lstm_cell_backward_np(zero, R, cache)["c_prev"], R * f, rtol=1e-12)


# ------------------------------------------------------------------------------ peephole LSTM
def _peephole_problem(B=2, D=3, H=4, seed=30, requires_grad=False):
    g = torch.Generator().manual_seed(seed)
    shapes = dict(x=(B, D), h=(B, H), c=(B, H), W_ih=(4 * H, D), W_hh=(4 * H, H), b_ih=(4 * H,), b_hh=(4 * H,),
                  p_i=(H,), p_f=(H,), p_o=(H,))
    return {k: (0.7 * torch.randn(s, generator=g, dtype=F64)).requires_grad_(requires_grad) for k, s in shapes.items()}


def _peephole_by_hand(t: dict[str, torch.Tensor], output_gate_sees: str = "c_new") -> tuple[np.ndarray, np.ndarray]:
    """Gers & Schmidhuber (2000), one scalar at a time with math.exp: i and f see c_{t-1}, o sees c_t."""
    v = {k: val.detach().numpy() for k, val in t.items()}
    B, H = v["h"].shape
    D = v["x"].shape[1]
    sig = lambda a: 1.0 / (1.0 + math.exp(-a))  # noqa: E731
    h_out, c_out = np.zeros((B, H)), np.zeros((B, H))
    for b in range(B):
        for j in range(H):
            def pre(block):
                row = block * H + j
                return (sum(v["x"][b, d] * v["W_ih"][row, d] for d in range(D)) + v["b_ih"][row]
                        + sum(v["h"][b, k] * v["W_hh"][row, k] for k in range(H)) + v["b_hh"][row])
            c_prev = v["c"][b, j]
            i = sig(pre(0) + v["p_i"][j] * c_prev)
            f = sig(pre(1) + v["p_f"][j] * c_prev)
            g = math.tanh(pre(2))
            c = f * c_prev + i * g
            o = sig(pre(3) + v["p_o"][j] * (c if output_gate_sees == "c_new" else c_prev))
            h_out[b, j], c_out[b, j] = o * math.tanh(c), c
    return h_out, c_out


def _peephole(t):
    return peephole_lstm_cell(t["x"], (t["h"], t["c"]), t["W_ih"], t["W_hh"], t["b_ih"], t["b_hh"],
                              t["p_i"], t["p_f"], t["p_o"])


def test_peephole_with_zero_peepholes_is_the_plain_lstm_cell():
    t = _peephole_problem()
    for k in ("p_i", "p_f", "p_o"):
        t[k] = torch.zeros_like(t[k])
    h, c = _peephole(t)
    h_ref, c_ref = lstm_cell(t["x"], (t["h"], t["c"]), t["W_ih"], t["W_hh"], t["b_ih"], t["b_hh"])
    torch.testing.assert_close(h, h_ref, rtol=0, atol=1e-14)
    torch.testing.assert_close(c, c_ref, rtol=0, atol=1e-14)
    # and lstm_cell itself is torch's LSTM cell
    cell = nn.LSTMCell(3, 4).double()
    with torch.no_grad():
        for name, key in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), ("W_ih", "W_hh", "b_ih", "b_hh")):
            getattr(cell, name).copy_(t[key])
        want = cell(t["x"], (t["h"], t["c"]))
    torch.testing.assert_close(h, want[0], rtol=0, atol=1e-12)
    torch.testing.assert_close(c, want[1], rtol=0, atol=1e-12)


@pytest.mark.parametrize("B,D,H", [(1, 1, 1), (2, 3, 4)])
def test_peephole_matches_hand_computation(B, D, H):
    t = _peephole_problem(B, D, H, seed=B + D + H)
    h, c = _peephole(t)
    h_want, c_want = _peephole_by_hand(t)
    assert h.shape == c.shape == (B, H)
    np.testing.assert_allclose(h.numpy(), h_want, rtol=0, atol=1e-12)
    np.testing.assert_allclose(c.numpy(), c_want, rtol=0, atol=1e-12)
    # the peepholes matter, and the output gate looks at the new cell state, not the old one
    h_plain, _ = lstm_cell(t["x"], (t["h"], t["c"]), t["W_ih"], t["W_hh"], t["b_ih"], t["b_hh"])
    assert (h - h_plain).abs().max() > 1e-3
    h_old, _ = _peephole_by_hand(t, output_gate_sees="c_prev")
    assert np.abs(h.numpy() - h_old).max() > 1e-4


def test_peephole_each_peephole_has_its_own_effect():
    t = _peephole_problem()
    base_h, base_c = _peephole(t)
    for k in ("p_i", "p_f", "p_o"):
        changed = dict(t)
        changed[k] = t[k] + 0.5
        h, c = _peephole(changed)
        assert (h - base_h).abs().max() > 1e-4, k
        if k == "p_o":  # the output gate cannot change the cell state
            torch.testing.assert_close(c, base_c, rtol=0, atol=0)
        else:
            assert (c - base_c).abs().max() > 1e-4, k


def test_peephole_gradcheck():
    t = _peephole_problem(B=2, D=2, H=3, requires_grad=True)
    keys = list(t)

    def f(*args):
        d = dict(zip(keys, args))
        return _peephole(d)

    assert torch.autograd.gradcheck(f, tuple(t[k] for k in keys), eps=1e-6, atol=1e-7, rtol=1e-5)


@pytest.mark.parametrize("which,bad", [("dh", (1, 3)), ("dh", (3,)), ("dc", (2, 1)), ("dc", (2, 3, 1))])
def test_lstm_cell_backward_np_refuses_an_upstream_gradient_of_the_wrong_shape_instead_of_broadcasting(which, bad):
    p = np_problem(2, 3, 3, 4, seed=9)
    _, _, cache = lstm_cell_forward_np(p["x"], p["h_prev"], p["c_prev"], p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
    grads = {"dh": np.zeros((2, 3)), "dc": np.zeros((2, 3))}
    grads[which] = np.ones(bad)
    with pytest.raises(ValueError, match=re.escape(f"lstm_cell_backward_np: {which} must have the shape of the "
                                                   f"step's state, (B, H) = (2, 3), got {bad}")):
        lstm_cell_backward_np(grads["dh"], grads["dc"], cache)
