"""course_lib.layers.rnn: the NumPy forward/BPTT, the torch cell and ElmanRNN against torch.nn.RNN, autograd,
finite differences and gradcheck; initialisation; and the error messages for bad input."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
from torch import nn

from course_lib.layers.recurrent import copy_weights
from course_lib.layers.rnn import ElmanRNN, rnn_backward, rnn_cell, rnn_cell_step, rnn_forward
from support.cells import central_differences

pytestmark = pytest.mark.usefixtures("one_torch_thread")


SIZES = [  # (T, B, D, H): random-ish sizes, batch 1 and length 1 included
    (1, 1, 1, 1),
    (1, 1, 4, 3),
    (5, 1, 3, 6),
    (1, 4, 2, 5),
    (7, 3, 5, 4),
    (12, 2, 1, 8),
]


def _torch_rnn(D: int, H: int, seed: int, bias: bool = True, batch_first: bool = False) -> nn.RNN:
    torch.manual_seed(seed)
    return nn.RNN(D, H, bias=bias, batch_first=batch_first, nonlinearity="tanh").double()


def _np_weights(rnn: nn.RNN) -> tuple[np.ndarray, ...]:
    return tuple(getattr(rnn, n).detach().numpy().copy()
                 for n in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"))


def _random_problem(T: int, B: int, D: int, H: int, seed: int):
    rng = np.random.default_rng(seed)
    xs = rng.normal(size=(T, B, D))
    h0 = rng.normal(scale=0.8, size=(B, H))  # non-zero initial state
    W_ih = rng.normal(scale=0.7, size=(H, D))
    W_hh = rng.normal(scale=0.7, size=(H, H))
    b_ih = rng.normal(scale=0.3, size=H)
    b_hh = rng.normal(scale=0.3, size=H)
    return xs, h0, W_ih, W_hh, b_ih, b_hh


# ------------------------------------------------------------------------------ numpy forward
@pytest.mark.parametrize("T,B,D,H", SIZES)
def test_rnn_forward_np_matches_nn_rnn_float64(T, B, D, H):
    rnn = _torch_rnn(D, H, seed=T * 100 + B * 10 + D + H)
    W_ih, W_hh, b_ih, b_hh = _np_weights(rnn)
    rng = np.random.default_rng(H)
    xs = rng.normal(size=(T, B, D))
    h0 = rng.normal(size=(B, H))
    assert np.abs(h0).min() > 0  # the initial state really is non-zero

    hs, h_T = rnn_forward(xs, h0, W_ih, W_hh, b_ih, b_hh)

    with torch.no_grad():
        out, h_n = rnn(torch.from_numpy(xs), torch.from_numpy(h0)[None])
    assert hs.shape == (T, B, H) and h_T.shape == (B, H)
    assert hs.dtype == np.float64 and h_T.dtype == np.float64
    np.testing.assert_allclose(hs, out.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(h_T, h_n[0].numpy(), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(h_T, hs[-1])


def test_rnn_forward_np_depends_on_h0():
    xs, h0, *W = _random_problem(3, 2, 3, 4, seed=1)
    hs_a, _ = rnn_forward(xs, h0, *W)
    hs_b, _ = rnn_forward(xs, np.zeros_like(h0), *W)
    assert np.abs(hs_a[0] - hs_b[0]).max() > 1e-3


@pytest.mark.parametrize("B,D,H", [(1, 1, 1), (1, 3, 2), (4, 2, 5), (3, 6, 3)])
def test_rnn_cell_step_np_matches_nn_rnn_one_step(B, D, H):
    rnn = _torch_rnn(D, H, seed=B + D + H)
    W_ih, W_hh, b_ih, b_hh = _np_weights(rnn)
    rng = np.random.default_rng(B * D * H)
    x = rng.normal(size=(B, D))
    h_prev = rng.normal(size=(B, H))

    h = rnn_cell_step(x, h_prev, W_ih, W_hh, b_ih, b_hh)

    with torch.no_grad():
        _, h_ref = rnn(torch.from_numpy(x)[None], torch.from_numpy(h_prev)[None])
    assert h.shape == (B, H) and h.dtype == np.float64
    np.testing.assert_allclose(h, h_ref[0].numpy(), rtol=0, atol=1e-12)


def test_rnn_cell_step_np_matches_nn_rnncell():
    torch.manual_seed(3)
    cell = nn.RNNCell(4, 3).double()
    W = [getattr(cell, n).detach().numpy() for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    rng = np.random.default_rng(3)
    x, h_prev = rng.normal(size=(2, 4)), rng.normal(size=(2, 3))
    with torch.no_grad():
        want = cell(torch.from_numpy(x), torch.from_numpy(h_prev)).numpy()
    np.testing.assert_allclose(rnn_cell_step(x, h_prev, *W), want, rtol=0, atol=1e-12)


def test_rnn_cell_torch_matches_numpy_and_handles_no_bias():
    xs, h0, W_ih, W_hh, b_ih, b_hh = _random_problem(1, 3, 4, 5, seed=2)
    t = torch.from_numpy
    got = rnn_cell(t(xs[0]), t(h0), t(W_ih), t(W_hh), t(b_ih), t(b_hh))
    np.testing.assert_allclose(got.numpy(), rnn_cell_step(xs[0], h0, W_ih, W_hh, b_ih, b_hh), atol=1e-12)
    got_nb = rnn_cell(t(xs[0]), t(h0), t(W_ih), t(W_hh), None, None)
    np.testing.assert_allclose(got_nb.numpy(), np.tanh(xs[0] @ W_ih.T + h0 @ W_hh.T), atol=1e-12)


# ------------------------------------------------------------------------------ numpy backward
def _torch_loss_grads(xs, h0, W_ih, W_hh, b_ih, b_hh, R):
    """Gradients of L = sum_t sum(h_t * R_t) by torch autograd, through torch's own nn.RNN."""
    T, B, D = xs.shape
    H = W_ih.shape[0]
    rnn = nn.RNN(D, H).double()
    with torch.no_grad():
        for name, value in zip(("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"),
                               (W_ih, W_hh, b_ih, b_hh)):
            getattr(rnn, name).copy_(torch.from_numpy(value))
    x = torch.from_numpy(xs.copy()).requires_grad_()
    h = torch.from_numpy(h0.copy())[None].requires_grad_()
    out, _ = rnn(x, h)
    (out * torch.from_numpy(R)).sum().backward()
    return {"xs": x.grad.numpy(), "h0": h.grad[0].numpy(), "W_ih": rnn.weight_ih_l0.grad.numpy(),
            "W_hh": rnn.weight_hh_l0.grad.numpy(), "b_ih": rnn.bias_ih_l0.grad.numpy(),
            "b_hh": rnn.bias_hh_l0.grad.numpy()}


@pytest.mark.parametrize("T,B,D,H", SIZES)
def test_rnn_backward_np_matches_autograd(T, B, D, H):
    xs, h0, W_ih, W_hh, b_ih, b_hh = _random_problem(T, B, D, H, seed=T + 7 * H)
    R = np.random.default_rng(99).normal(size=(T, B, H))
    hs, _ = rnn_forward(xs, h0, W_ih, W_hh, b_ih, b_hh)

    grads = rnn_backward(xs, h0, hs, R, W_ih, W_hh)
    want = _torch_loss_grads(xs, h0, W_ih, W_hh, b_ih, b_hh, R)

    assert set(grads) == {"xs", "h0", "W_ih", "W_hh", "b_ih", "b_hh"}
    for key, ref in want.items():
        assert grads[key].shape == ref.shape, key
        np.testing.assert_allclose(grads[key], ref, rtol=1e-10, atol=1e-12, err_msg=key)


def test_rnn_backward_np_matches_central_finite_differences():
    T, B, D, H = 4, 2, 3, 3
    params = dict(zip(("xs", "h0", "W_ih", "W_hh", "b_ih", "b_hh"), _random_problem(T, B, D, H, seed=11)))
    R = np.random.default_rng(12).normal(size=(T, B, H))

    def loss(p):
        hs, _ = rnn_forward(p["xs"], p["h0"], p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
        return float((hs * R).sum())

    hs, _ = rnn_forward(params["xs"], params["h0"], params["W_ih"], params["W_hh"],
                           params["b_ih"], params["b_hh"])
    grads = rnn_backward(params["xs"], params["h0"], hs, R, params["W_ih"], params["W_hh"])

    numeric = central_differences(loss, params)
    for key in params:
        assert np.abs(numeric[key]).max() > 1e-3, key  # the comparison is not trivially 0 == 0
        np.testing.assert_allclose(grads[key], numeric[key], rtol=1e-6, atol=1e-8, err_msg=key)


def test_rnn_backward_np_only_last_step_loss_reaches_every_step():
    # dL/dh_t only at the last step: the gradient still reaches x_0 and h0 through the recurrence.
    xs, h0, W_ih, W_hh, b_ih, b_hh = _random_problem(6, 2, 3, 4, seed=5)
    hs, _ = rnn_forward(xs, h0, W_ih, W_hh, b_ih, b_hh)
    dhs = np.zeros_like(hs)
    dhs[-1] = 1.0
    grads = rnn_backward(xs, h0, hs, dhs, W_ih, W_hh)
    want = _torch_loss_grads(xs, h0, W_ih, W_hh, b_ih, b_hh, dhs)
    assert np.abs(grads["xs"][0]).max() > 0 and np.abs(grads["h0"]).max() > 0
    for key, ref in want.items():
        np.testing.assert_allclose(grads[key], ref, rtol=1e-10, atol=1e-13, err_msg=key)


# ------------------------------------------------------------------------------ numpy errors
def _shapes_msg(name: str, got: tuple[int, ...], *expected_parts: str) -> str:
    """Regex: '<name> must have shape (...<expected parts>...), got <got>'."""
    exp = r"\([^)]*" + r"[^)]*".join(re.escape(p) for p in expected_parts) + r"[^)]*\)"
    return rf"{re.escape(name)} must have shape {exp}, got {re.escape(str(got))}"


def test_rnn_cell_step_np_rejects_wrong_shapes():
    _, _, W_ih, W_hh, b_ih, b_hh = _random_problem(1, 2, 3, 4, seed=0)
    x, h = np.zeros((2, 3)), np.zeros((2, 4))
    with pytest.raises(ValueError, match=_shapes_msg("x", (2, 5), "3")):
        rnn_cell_step(np.zeros((2, 5)), h, W_ih, W_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match=_shapes_msg("x", (3,), "3")):
        rnn_cell_step(np.zeros(3), h, W_ih, W_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match=_shapes_msg("h_prev", (1, 4), "2, 4")):
        rnn_cell_step(x, np.zeros((1, 4)), W_ih, W_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match=_shapes_msg("h_prev", (2, 3), "2, 4")):
        rnn_cell_step(x, np.zeros((2, 3)), W_ih, W_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match=_shapes_msg("W_hh", (4, 3), "4, 4")):
        rnn_cell_step(x, h, W_ih, W_hh[:, :3], b_ih, b_hh)
    with pytest.raises(ValueError, match=_shapes_msg("W_hh", (3, 4), "4, 4")):  # a transposed weight
        rnn_cell_step(x, h, W_ih, np.zeros((3, 4)), b_ih, b_hh)
    with pytest.raises(ValueError, match=_shapes_msg("b_ih", (3,), "4")):
        rnn_cell_step(x, h, W_ih, W_hh, b_ih[:3], b_hh)
    with pytest.raises(ValueError, match=_shapes_msg("b_hh", (1, 4), "4")):
        rnn_cell_step(x, h, W_ih, W_hh, b_ih, b_hh[None])
    with pytest.raises(ValueError, match=_shapes_msg("W_ih", (4, 3, 1), "")):
        rnn_cell_step(x, h, W_ih[..., None], W_hh, b_ih, b_hh)


def test_rnn_np_rejects_non_arrays():
    _, _, W_ih, W_hh, b_ih, b_hh = _random_problem(1, 2, 3, 4, seed=0)
    with pytest.raises(TypeError, match="x must be a numpy array, got list"):
        rnn_cell_step([[0.0, 0.0, 0.0]], np.zeros((1, 4)), W_ih, W_hh, b_ih, b_hh)
    with pytest.raises(TypeError, match="W_ih must be a numpy array, got Tensor"):
        rnn_cell_step(np.zeros((1, 3)), np.zeros((1, 4)), torch.zeros(4, 3), W_hh, b_ih, b_hh)


def test_rnn_forward_np_rejects_wrong_shapes():
    xs, h0, *W = _random_problem(5, 2, 3, 4, seed=0)
    xs_msg = r"xs must be a numpy array of shape \(T, B, 3\) with T >= 1, got "
    with pytest.raises(ValueError, match=xs_msg + re.escape("(5, 3)")):
        rnn_forward(xs[:, 0], h0, *W)  # batch axis dropped
    with pytest.raises(ValueError, match=xs_msg + re.escape("(5, 2, 4)")):
        rnn_forward(np.zeros((5, 2, 4)), h0, *W)
    with pytest.raises(ValueError, match=xs_msg + "list"):
        rnn_forward(xs.tolist(), h0, *W)
    with pytest.raises(ValueError, match=_shapes_msg("h0", (1, 2, 4), "2, 4")):
        rnn_forward(xs, h0[None], *W)  # nn.RNN's (1, B, H) layout
    with pytest.raises(ValueError, match=_shapes_msg("h0", (3, 4), "2, 4")):
        rnn_forward(xs, np.zeros((3, 4)), *W)
    with pytest.raises(ValueError, match=xs_msg + re.escape("(0, 2, 3)")):  # no time steps
        rnn_forward(xs[:0], h0, *W)
    W_ih, W_hh, b_ih, b_hh = W  # a bad weight is named as such, not blamed on xs or h0
    with pytest.raises(ValueError, match=_shapes_msg("W_hh", (3, 4), "4, 4")):
        rnn_forward(xs, h0, W_ih, W_hh[:3], b_ih, b_hh)
    with pytest.raises(ValueError, match=_shapes_msg("W_ih", (4, 3, 1), "")):
        rnn_forward(xs, h0, W_ih[..., None], W_hh, b_ih, b_hh)


def test_rnn_backward_np_rejects_wrong_dhs_shape():
    xs, h0, W_ih, W_hh, b_ih, b_hh = _random_problem(5, 2, 3, 4, seed=0)
    hs, _ = rnn_forward(xs, h0, W_ih, W_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match=re.escape("dhs must have the shape of hs, (5, 2, 4), got (2, 4)")):
        rnn_backward(xs, h0, hs, hs[-1], W_ih, W_hh)
    with pytest.raises(ValueError, match=re.escape("dhs must have the shape of hs, (5, 2, 4), got (5, 4, 2)")):
        rnn_backward(xs, h0, hs, hs.transpose(0, 2, 1).copy(), W_ih, W_hh)


# ------------------------------------------------------------------------------ ElmanRNN vs nn.RNN
def _pair(D: int, H: int, *, bias: bool = True, batch_first: bool = False, seed: int = 0,
          direction: str = "from_ref", num_layers: int = 1, bidirectional: bool = False
          ) -> tuple[ElmanRNN, nn.RNN]:
    kwargs = dict(bias=bias, batch_first=batch_first, num_layers=num_layers, bidirectional=bidirectional)
    torch.manual_seed(seed)
    mine = ElmanRNN(D, H, **kwargs).double()
    torch.manual_seed(seed + 1000)
    ref = nn.RNN(D, H, **kwargs).double()
    # same parameter names and shapes as nn.RNN
    assert {n: p.shape for n, p in mine.named_parameters()} == {n: p.shape for n, p in ref.named_parameters()}
    # freshly initialised, the two really differ, so a passing parity test proves the copy worked
    for name, p in ref.named_parameters():
        assert not torch.allclose(getattr(mine, name), p), name
    if direction == "from_ref":
        copy_weights(ref, mine)
    else:
        copy_weights(mine, ref)
    return mine, ref


@pytest.mark.parametrize("direction", ["from_ref", "to_ref"])
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("with_h0", [True, False])
def test_elman_rnn_matches_nn_rnn(direction, batch_first, bias, with_h0):
    D, H, B, T = 3, 5, 4, 6
    seed = 8 * ["from_ref", "to_ref"].index(direction) + 4 * batch_first + 2 * bias + with_h0
    mine, ref = _pair(D, H, bias=bias, batch_first=batch_first, seed=seed, direction=direction)
    for name, p in ref.named_parameters():  # the copy put identical values on both sides
        assert torch.equal(getattr(mine, name), p)
    g = torch.Generator().manual_seed(seed)
    shape = (B, T, D) if batch_first else (T, B, D)
    x = torch.randn(*shape, generator=g, dtype=torch.float64)
    h0 = torch.randn(1, B, H, generator=g, dtype=torch.float64) if with_h0 else None

    x_mine, x_ref = x.clone().requires_grad_(), x.clone().requires_grad_()
    out, h_n = mine(x_mine, h0)
    out_ref, h_n_ref = ref(x_ref, h0)

    assert out.shape == out_ref.shape == ((B, T, H) if batch_first else (T, B, H))
    assert h_n.shape == h_n_ref.shape == (1, B, H)
    assert out.dtype == torch.float64
    torch.testing.assert_close(out, out_ref, rtol=0, atol=1e-12)
    torch.testing.assert_close(h_n, h_n_ref, rtol=0, atol=1e-12)

    # and the backward pass: same gradients for the input and every parameter
    (out.square().sum() + h_n.sum()).backward()
    (out_ref.square().sum() + h_n_ref.sum()).backward()
    torch.testing.assert_close(x_mine.grad, x_ref.grad, rtol=0, atol=1e-11)
    for name, p in ref.named_parameters():
        torch.testing.assert_close(getattr(mine, name).grad, p.grad, rtol=0, atol=1e-11)


@pytest.mark.parametrize("num_layers,bidirectional", [(2, False), (1, True), (3, True)])
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("bias", [True, False])
def test_elman_rnn_stacked_and_bidirectional_match_nn_rnn(num_layers, bidirectional, batch_first, bias):
    D, H, B, T = 3, 4, 2, 5
    dirs = 2 if bidirectional else 1
    seed = 100 * num_layers + 10 * bidirectional + 2 * batch_first + bias
    mine, ref = _pair(D, H, bias=bias, batch_first=batch_first, seed=seed, num_layers=num_layers,
                      bidirectional=bidirectional, direction="from_ref" if seed % 2 else "to_ref")
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(*((B, T, D) if batch_first else (T, B, D)), generator=g, dtype=torch.float64)
    h0 = torch.randn(num_layers * dirs, B, H, generator=g, dtype=torch.float64)
    for state in (h0, None):
        x_mine, x_ref = x.clone().requires_grad_(), x.clone().requires_grad_()
        h_mine = None if state is None else state.clone().requires_grad_()
        h_ref = None if state is None else state.clone().requires_grad_()
        mine.zero_grad()
        ref.zero_grad()
        out, h_n = mine(x_mine, h_mine)
        out_ref, h_n_ref = ref(x_ref, h_ref)
        assert out.shape == out_ref.shape == ((B, T, dirs * H) if batch_first else (T, B, dirs * H))
        assert h_n.shape == h_n_ref.shape == (num_layers * dirs, B, H)
        torch.testing.assert_close(out, out_ref, rtol=0, atol=1e-12)
        torch.testing.assert_close(h_n, h_n_ref, rtol=0, atol=1e-12)

        w = torch.randn(out.shape, generator=g, dtype=torch.float64)
        ((out * w).sum() + h_n.square().sum()).backward()
        ((out_ref * w).sum() + h_n_ref.square().sum()).backward()
        torch.testing.assert_close(x_mine.grad, x_ref.grad, rtol=0, atol=1e-11)
        if state is not None:
            torch.testing.assert_close(h_mine.grad, h_ref.grad, rtol=0, atol=1e-11)
        for name, p in ref.named_parameters():
            assert getattr(mine, name).grad.abs().max() > 0, name
            torch.testing.assert_close(getattr(mine, name).grad, p.grad, rtol=0, atol=1e-11, msg=name)


@pytest.mark.parametrize("batch_first", [True, False])
def test_elman_rnn_batch_one_length_one(batch_first):
    mine, ref = _pair(2, 3, batch_first=batch_first, seed=4)
    x = torch.randn(1, 1, 2, dtype=torch.float64)
    h0 = torch.randn(1, 1, 3, dtype=torch.float64)
    for h in (h0, None):
        out, h_n = mine(x, h)
        out_ref, h_n_ref = ref(x, h)
        torch.testing.assert_close(out, out_ref, rtol=0, atol=1e-12)
        torch.testing.assert_close(h_n, h_n_ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("batch_first", [True, False])
def test_elman_rnn_h0_none_means_zeros(batch_first):
    torch.manual_seed(0)
    mine = ElmanRNN(3, 4, batch_first=batch_first).double()
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    B = 2 if batch_first else 5
    out_none, hn_none = mine(x)
    out_zero, hn_zero = mine(x, torch.zeros(1, B, 4, dtype=torch.float64))
    torch.testing.assert_close(out_none, out_zero, rtol=0, atol=0)
    torch.testing.assert_close(hn_none, hn_zero, rtol=0, atol=0)
    last = out_none[:, -1] if batch_first else out_none[-1]
    torch.testing.assert_close(hn_none[0], last, rtol=0, atol=0)


def test_elman_rnn_float32_default_matches_nn_rnn():
    torch.manual_seed(0)
    mine = ElmanRNN(4, 6)
    ref = nn.RNN(4, 6)
    copy_weights(ref, mine)
    x = torch.randn(5, 3, 4)  # (T, B, D): both default to batch_first=False
    assert mine(x)[0].dtype == torch.float32
    torch.testing.assert_close(mine(x)[0], ref(x)[0], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(mine(x)[1], ref(x)[1], rtol=1e-5, atol=1e-6)


def test_elman_rnn_defaults_and_parameter_names_are_nn_rnns():
    mine, ref = ElmanRNN(3, 5), nn.RNN(3, 5)
    for attr in ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional"):
        assert getattr(mine, attr) == getattr(ref, attr), attr
    assert mine.batch_first is False
    shapes = {n: tuple(p.shape) for n, p in mine.named_parameters()}
    assert shapes == {"weight_ih_l0": (5, 3), "weight_hh_l0": (5, 5), "bias_ih_l0": (5,), "bias_hh_l0": (5,)}
    assert list(shapes) == [n for n, _ in ref.named_parameters()]  # same order too
    no_bias = ElmanRNN(3, 5, bias=False)
    assert {n for n, _ in no_bias.named_parameters()} == {"weight_ih_l0", "weight_hh_l0"}
    assert not hasattr(no_bias, "bias_ih_l0") and not hasattr(no_bias, "bias_hh_l0")
    deep = ElmanRNN(3, 5, num_layers=2, bidirectional=True)
    ref_deep = nn.RNN(3, 5, num_layers=2, bidirectional=True)
    assert [(n, p.shape) for n, p in deep.named_parameters()] == [(n, p.shape) for n, p in ref_deep.named_parameters()]


# ------------------------------------------------------------------------------ gradcheck
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("bias", [True, False])
def test_elman_rnn_gradcheck_input_h0_weights(batch_first, bias):
    torch.manual_seed(1)
    D, H, B, T = 2, 3, 2, 3
    model = ElmanRNN(D, H, bias=bias, batch_first=batch_first).double()
    names = [n for n, _ in model.named_parameters()]
    params = tuple(p.detach().clone().requires_grad_() for p in model.parameters())
    x = torch.randn(*((B, T, D) if batch_first else (T, B, D)), dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(1, B, H, dtype=torch.float64, requires_grad=True)

    def f(x, h0, *ps):
        return torch.func.functional_call(model, dict(zip(names, ps)), (x, h0))

    assert torch.autograd.gradcheck(f, (x, h0, *params), eps=1e-6, atol=1e-7, rtol=1e-5)


def test_gradcheck_would_catch_a_broken_cell_gradient(monkeypatch):
    # the gradcheck above can fail: ElmanRNN with a cell whose backward is wrong is rejected
    class WrongTanh(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return torch.tanh(a)

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g * (1 - a ** 2)  # should be 1 - tanh(a)^2

    def wrong_cell(x, h_prev, W_ih, W_hh, b_ih, b_hh):
        return WrongTanh.apply(x @ W_ih.T + h_prev @ W_hh.T + b_ih + b_hh)

    import course_lib.layers.rnn as rnn_module
    monkeypatch.setattr(rnn_module, "rnn_cell", wrong_cell)
    torch.manual_seed(1)
    model = ElmanRNN(2, 3).double()
    x = torch.randn(2, 3, 2, dtype=torch.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        torch.autograd.gradcheck(lambda x: model(x)[0], (x,), eps=1e-6, atol=1e-7, rtol=1e-5)


# ------------------------------------------------------------------------------ initialisation
@pytest.mark.parametrize("H", [1, 4, 50])
def test_elman_rnn_initialisation_stays_in_pytorch_range(H):
    torch.manual_seed(H)
    bound = 1.0 / math.sqrt(H)
    model = ElmanRNN(30, H, num_layers=2, bidirectional=True)
    for name, p in model.named_parameters():
        values = p.detach()
        assert values.abs().max() <= bound, name
        assert values.abs().max() > 0, name
        assert values.unique().numel() > 0.9 * values.numel(), name  # drawn at random, not constant


def test_elman_rnn_initialisation_is_uniform():
    torch.manual_seed(0)
    H = 50
    bound = 1.0 / math.sqrt(H)
    model = ElmanRNN(30, H)
    values = torch.cat([p.detach().flatten() for p in model.parameters()]).double()
    n = values.numel()  # 4,100 draws of U(-b, b): mean 0, std b/sqrt(3), both ends reached
    assert abs(values.mean().item()) < 4 * bound / math.sqrt(3 * n)
    assert values.std().item() == pytest.approx(bound / math.sqrt(3), rel=2 / math.sqrt(n))
    assert values.min() < -0.99 * bound and values.max() > 0.99 * bound
    for name, p in model.named_parameters():  # every tensor is spread over the range, biases included
        assert p.detach().min() < -0.5 * bound and p.detach().max() > 0.5 * bound, name


def test_elman_rnn_initialisation_same_distribution_as_nn_rnn():
    torch.manual_seed(0)
    mine = torch.cat([p.detach().flatten() for p in ElmanRNN(20, 40).parameters()])
    ref = torch.cat([p.detach().flatten() for p in nn.RNN(20, 40).parameters()])
    assert mine.numel() == ref.numel()
    qs = torch.tensor([0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99])
    torch.testing.assert_close(torch.quantile(mine, qs), torch.quantile(ref, qs), atol=0.01, rtol=0)


def test_elman_rnn_reset_parameters_redraws():
    torch.manual_seed(0)
    model = ElmanRNN(3, 4, num_layers=2)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    model.reset_parameters()
    for name, p in model.named_parameters():
        assert not torch.equal(before[name], p), name


# ------------------------------------------------------------------------------ ElmanRNN errors
def test_elman_rnn_rejects_bad_sizes():
    with pytest.raises(ValueError, match=re.escape("input_size, hidden_size and num_layers must be >= 1, got 0, 3, 1")):
        ElmanRNN(0, 3)
    with pytest.raises(ValueError, match=re.escape("got 3, 0, 1")):
        ElmanRNN(3, 0)
    with pytest.raises(ValueError, match=re.escape("got 3, 4, 0")):
        ElmanRNN(3, 4, num_layers=0)
    for bad in (-0.1, 1.0):
        with pytest.raises(ValueError, match=re.escape(f"dropout must be in [0, 1), got {bad}")):
            ElmanRNN(3, 4, num_layers=2, dropout=bad)


def test_elman_rnn_rejects_wrong_feature_size():
    model = ElmanRNN(3, 4, batch_first=True)
    with pytest.raises(ValueError, match=re.escape("x has feature size 4, expected input_size = 3 "
                                                   "(x shape (2, 5, 4))")):
        model(torch.randn(2, 5, 4))
    model_tf = ElmanRNN(3, 4, batch_first=False)
    with pytest.raises(ValueError, match=re.escape("x has feature size 2, expected input_size = 3 "
                                                   "(x shape (5, 2, 2))")):
        model_tf(torch.randn(5, 2, 2))


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("shape", [(3,), (1, 2, 5, 3)])  # (T, D) is valid: unbatched, as in nn.RNN
def test_elman_rnn_rejects_non_3d_input(shape, batch_first):
    model = ElmanRNN(3, 4, batch_first=batch_first)
    layout = "(B, T, D)" if batch_first else "(T, B, D)"
    with pytest.raises(ValueError, match=re.escape(f"x must be 3-D, {layout} with D = 3, or unbatched (T, D); "
                                                   f"got {shape}")):
        model(torch.randn(*shape))


def test_elman_rnn_rejects_wrong_h0_shape():
    model = ElmanRNN(3, 4, batch_first=True)
    x = torch.randn(2, 5, 3)
    for bad in [(2, 4), (1, 3, 4), (1, 2, 5), (2, 2, 4)]:
        with pytest.raises(ValueError, match=re.escape(f"h0 must have shape (num_layers * num_directions, B, H) = "
                                                       f"(1, 2, 4), got {bad}")):
            model(x, torch.zeros(*bad))
    model_tf = ElmanRNN(3, 4)  # batch_first=False: batch is the second axis here
    with pytest.raises(ValueError, match=re.escape("= (1, 5, 4), got (1, 2, 4)")):
        model_tf(x, torch.zeros(1, 2, 4))
    deep = ElmanRNN(3, 4, num_layers=2, bidirectional=True)  # (layers * directions, B, H)
    with pytest.raises(ValueError, match=re.escape("= (4, 5, 4), got (2, 5, 4)")):
        deep(x, torch.zeros(2, 5, 4))
    with pytest.raises(ValueError, match=re.escape("= (1, 5, 4), got list")):
        model_tf(x, [torch.zeros(1, 5, 4)])


def test_elman_rnn_rejects_wrong_dtype():
    model = ElmanRNN(3, 4).double()
    with pytest.raises(TypeError, match="x has dtype torch.float32 but the weights are torch.float64"):
        model(torch.randn(2, 5, 3))
    with pytest.raises(TypeError, match="x has dtype torch.int64 but the weights are torch.float64"):
        model(torch.zeros(2, 5, 3, dtype=torch.long))
    with pytest.raises(TypeError, match="h0 has dtype torch.float32 but the input is torch.float64"):
        model(torch.randn(2, 5, 3, dtype=torch.float64), torch.zeros(1, 5, 4, dtype=torch.float32))


@pytest.mark.parametrize("bad", [(2, 3), (1, 2, 3), (3, 2, 1)])
def test_rnn_backward_np_refuses_an_upstream_gradient_of_the_wrong_shape_instead_of_broadcasting(bad):
    xs, h0, W_ih, W_hh, b_ih, b_hh = _random_problem(3, 2, 4, 3, seed=1)
    hs, _ = rnn_forward(xs, h0, W_ih, W_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match=re.escape(f"dhs must have the shape of hs, (3, 2, 3), got {bad}")):
        rnn_backward(xs, h0, hs, np.ones(bad), W_ih, W_hh)
