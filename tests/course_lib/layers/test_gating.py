"""course_lib.layers.gating: gate and gated_update against hand computations (saturation, convexity, gradients,
shape errors) and init_forget_bias_ setting the effective forget bias of an LSTM."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
from torch import nn

from course_lib.layers.gating import gate, gated_update, init_forget_bias_
from course_lib.layers.lstm import LSTM, LSTMCell

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ------------------------------------------------------------------------------ gate
@pytest.mark.parametrize("B,D,H,H_out", [(1, 1, 1, 1), (3, 4, 2, 5), (2, 3, 6, 6)])
def test_gate_values_by_hand(B, D, H, H_out):
    g = _gen(B * D + H)
    x, h = torch.randn(B, D, generator=g, dtype=torch.float64), torch.randn(B, H, generator=g, dtype=torch.float64)
    W, b = torch.randn(H_out, D + H, generator=g, dtype=torch.float64), torch.randn(H_out, generator=g,
                                                                                   dtype=torch.float64)
    got = gate(x, h, W, b)
    xn, hn, Wn, bn = (t.numpy() for t in (x, h, W, b))
    want = np.empty((B, H_out))
    for i in range(B):
        for j in range(H_out):
            a = sum(xn[i, d] * Wn[j, d] for d in range(D)) + sum(hn[i, k] * Wn[j, D + k] for k in range(H)) + bn[j]
            want[i, j] = 1.0 / (1.0 + math.exp(-a))
    assert got.shape == (B, H_out) and got.dtype == torch.float64
    np.testing.assert_allclose(got.numpy(), want, rtol=0, atol=1e-12)
    assert ((got > 0) & (got < 1)).all()


def test_gate_saturates_and_is_differentiable():
    x, h = torch.zeros(2, 3, dtype=torch.float64), torch.zeros(2, 2, dtype=torch.float64)
    W = torch.zeros(4, 5, dtype=torch.float64)
    b = torch.tensor([0.0, 20.0, -20.0, math.log(3.0)], dtype=torch.float64)
    out = gate(x, h, W, b)
    torch.testing.assert_close(out[0], torch.tensor([0.5, 1 / (1 + math.exp(-20)), 1 / (1 + math.exp(20)), 0.75],
                                                    dtype=torch.float64), rtol=0, atol=1e-15)
    args = tuple(torch.randn(s, generator=_gen(9), dtype=torch.float64).requires_grad_()
                 for s in ((2, 3), (2, 2), (4, 5), (4,)))
    assert torch.autograd.gradcheck(gate, args)


def test_gate_rejects_bad_shapes():
    x, h, W, b = torch.zeros(2, 3), torch.zeros(2, 4), torch.zeros(5, 7), torch.zeros(5)
    with pytest.raises(ValueError, match=re.escape("x must be (B, D) and h (B, H) with the same B, "
                                                   "got (2, 3) and (3, 4)")):
        gate(x, torch.zeros(3, 4), W, b)
    with pytest.raises(ValueError, match=re.escape("got (3,) and (2, 4)")):
        gate(torch.zeros(3), h, W, b)
    with pytest.raises(ValueError, match=re.escape("got (2, 3) and (4,)")):
        gate(x, torch.zeros(4), W, b)
    with pytest.raises(ValueError, match=re.escape("W must be (H_out, D + H) = (?, 7) and b (H_out,), "
                                                   "got (5, 6) and (5,)")):
        gate(x, h, torch.zeros(5, 6), b)
    with pytest.raises(ValueError, match=re.escape("got (7, 5) and (5,)")):  # transposed W
        gate(x, h, torch.zeros(7, 5), b)
    with pytest.raises(ValueError, match=re.escape("got (5, 7) and (4,)")):
        gate(x, h, W, torch.zeros(4))
    with pytest.raises(ValueError, match=re.escape("got (5, 7) and (1, 5)")):
        gate(x, h, W, torch.zeros(1, 5))
    with pytest.raises(ValueError, match=re.escape("got (35,) and (5,)")):
        gate(x, h, torch.zeros(35), b)


# ------------------------------------------------------------------------------ gated_update
def test_gated_update_values():
    g = _gen(10)
    h_prev, cand = torch.randn(3, 4, generator=g), torch.randn(3, 4, generator=g)
    z = torch.rand(3, 4, generator=g)
    got = gated_update(h_prev, cand, z)
    want = np.array([[z[i, j].item() * h_prev[i, j].item() + (1 - z[i, j].item()) * cand[i, j].item()
                      for j in range(4)] for i in range(3)])
    assert got.shape == (3, 4)
    np.testing.assert_allclose(got.numpy(), want, rtol=0, atol=1e-6)
    torch.testing.assert_close(gated_update(h_prev, cand, torch.ones(3, 4)), h_prev, rtol=0, atol=0)   # keep
    torch.testing.assert_close(gated_update(h_prev, cand, torch.zeros(3, 4)), cand, rtol=0, atol=0)    # replace
    torch.testing.assert_close(gated_update(h_prev, cand, torch.full((3, 4), 0.5)), (h_prev + cand) / 2)
    # element by element: a different z per unit
    z_mixed = torch.tensor([[1.0, 0.0, 1.0, 0.0]]).expand(3, 4)
    mixed = gated_update(h_prev, cand, z_mixed)
    torch.testing.assert_close(mixed[:, 0::2], h_prev[:, 0::2], rtol=0, atol=0)
    torch.testing.assert_close(mixed[:, 1::2], cand[:, 1::2], rtol=0, atol=0)


def test_gated_update_is_a_convex_combination_and_differentiable():
    g = _gen(11)
    h_prev, cand = torch.randn(5, 6, generator=g), torch.randn(5, 6, generator=g)
    out = gated_update(h_prev, cand, torch.rand(5, 6, generator=g))
    assert (out >= torch.minimum(h_prev, cand) - 1e-6).all() and (out <= torch.maximum(h_prev, cand) + 1e-6).all()
    args = tuple(torch.randn(2, 3, generator=g, dtype=torch.float64).requires_grad_() for _ in range(3))
    assert torch.autograd.gradcheck(gated_update, args)


@pytest.mark.parametrize("shapes", [((2, 3), (2, 3), (2, 1)), ((2, 3), (3, 2), (2, 3)), ((2, 3), (2, 3), (3,)),
                                    ((1, 3), (2, 3), (2, 3))])
def test_gated_update_rejects_mismatched_shapes(shapes):
    a, b, c = (torch.zeros(s) for s in shapes)
    want = "h_prev, candidate and z must have one shape, got " + ", ".join(str(s) for s in shapes)
    with pytest.raises(ValueError, match=re.escape(want)):  # no silent broadcasting
        gated_update(a, b, c)


# ------------------------------------------------------------------------------ init_forget_bias_
def _lstms():
    torch.manual_seed(12)
    return {
        "nn.LSTM": nn.LSTM(3, 4, num_layers=2, bidirectional=True),
        "course LSTM": LSTM(3, 4, num_layers=2, bidirectional=True),
        "nn.LSTM 1 layer": nn.LSTM(2, 5),
        "course LSTM 3 layers": LSTM(2, 3, num_layers=3, batch_first=True),
        "nn.LSTMCell": nn.LSTMCell(3, 4),
        "course LSTMCell": LSTMCell(3, 4),
    }


@pytest.mark.parametrize("value", [1.0, 2.5, -0.5, 0.0])
@pytest.mark.parametrize("which", list(_lstms()))
def test_init_forget_bias_sets_the_effective_forget_bias(which, value):
    lstm = _lstms()[which]
    H = lstm.hidden_size
    before = {n: p.detach().clone() for n, p in lstm.named_parameters()}
    ids = {n: id(p) for n, p in lstm.named_parameters()}
    returned = init_forget_bias_(lstm) if value == 1.0 else init_forget_bias_(lstm, value)  # default value 1
    assert returned is lstm
    params = dict(lstm.named_parameters())
    assert {n: id(p) for n, p in params.items()} == ids                  # in place
    suffixes = [n[len("bias_ih"):] for n in params if n.startswith("bias_ih")]
    n_layers = getattr(lstm, "num_layers", 1) * (2 if getattr(lstm, "bidirectional", False) else 1)
    assert len(suffixes) == n_layers                                      # every layer and direction
    for sfx in suffixes:
        b_ih, b_hh = params[f"bias_ih{sfx}"].detach(), params[f"bias_hh{sfx}"].detach()
        torch.testing.assert_close(b_ih[H:2 * H] + b_hh[H:2 * H], torch.full((H,), value), rtol=0, atol=0)
        for name, b in ((f"bias_ih{sfx}", b_ih), (f"bias_hh{sfx}", b_hh)):  # i, g, o rows untouched
            torch.testing.assert_close(b[:H], before[name][:H], rtol=0, atol=0)
            torch.testing.assert_close(b[2 * H:], before[name][2 * H:], rtol=0, atol=0)
    for name, p in params.items():
        assert p.requires_grad, name
        if name.startswith("weight"):
            torch.testing.assert_close(p.detach(), before[name], rtol=0, atol=0)


@pytest.mark.parametrize("value", [1.0, -2.0])
def test_init_forget_bias_gives_the_forget_gate_sigmoid_of_value(value):
    # zero weights and other biases: i = sigmoid(0), g = tanh(0) = 0, so one step gives c_1 = sigmoid(value) * c_0
    for lstm in (nn.LSTM(2, 3).double(), LSTM(2, 3).double()):
        with torch.no_grad():
            for p in lstm.parameters():
                p.zero_()
        init_forget_bias_(lstm, value)
        x = torch.randn(1, 4, 2, dtype=torch.float64)
        c0 = torch.randn(1, 4, 3, dtype=torch.float64)
        _, (_, c1) = lstm(x, (torch.zeros_like(c0), c0))
        torch.testing.assert_close(c1, c0 / (1 + math.exp(-value)), rtol=0, atol=1e-15)


def test_init_forget_bias_rejects_lstm_without_bias():
    for lstm in (nn.LSTM(3, 4, bias=False), LSTM(3, 4, num_layers=2, bias=False), LSTMCell(3, 4, bias=False)):
        before = [p.detach().clone() for p in lstm.parameters()]
        with pytest.raises(ValueError, match=re.escape("this module has no bias_ih parameters: "
                                                       "is it an LSTM with bias=True?")):
            init_forget_bias_(lstm)
        assert all(torch.equal(a, b) for a, b in zip(before, lstm.parameters()))


@pytest.mark.parametrize("module", [nn.GRU(3, 4), nn.GRUCell(3, 4), nn.RNN(3, 4)], ids=["GRU", "GRUCell", "RNN"])
def test_init_forget_bias_refuses_a_module_without_a_forget_gate_and_changes_nothing(module):
    before = {n: p.detach().clone() for n, p in module.named_parameters()}
    with pytest.raises(ValueError, match=r"init_forget_bias_ needs an LSTM, whose bias_ih\w* has 4 \* hidden_size = 16"):
        init_forget_bias_(module, 1.0)
    assert all(torch.equal(p, before[n]) for n, p in module.named_parameters())


def test_init_forget_bias_on_a_gru_names_its_update_gate():
    with pytest.raises(ValueError, match="GRU .*no forget gate.*update gate"):
        init_forget_bias_(nn.GRU(3, 4), 1.0)
