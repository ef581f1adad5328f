"""course_lib.layers.gru: the NumPy GRU cell forward/backward against nn.GRUCell, autograd and finite
differences, and PyTorch's GRU variant rather than the paper's."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from course_lib.layers.gru import gru_cell_backward_np, gru_cell_forward_np
from support.cells import autograd_cell_grads, central_differences, np_problem, np_weights

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("B,D,H", [(1, 1, 1), (1, 3, 2), (4, 2, 5), (3, 6, 3)])
def test_gru_cell_forward_np_matches_nn_grucell(B, D, H):
    torch.manual_seed(B * 100 + D * 10 + H)
    cell = nn.GRUCell(D, H).double()
    rng = np.random.default_rng(B + D + H)
    x, h_prev = rng.normal(size=(B, D)), rng.normal(size=(B, H))
    h, cache = gru_cell_forward_np(x, h_prev, *np_weights(cell))
    with torch.no_grad():
        h_ref = cell(torch.from_numpy(x), torch.from_numpy(h_prev))
    assert h.shape == (B, H) and h.dtype == np.float64
    np.testing.assert_allclose(h, h_ref.numpy(), rtol=0, atol=1e-12)
    assert isinstance(cache, dict)


def _gru_loss_np(p, R_h) -> float:
    h, _ = gru_cell_forward_np(p["x"], p["h_prev"], p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
    return float((h * R_h).sum())


@pytest.mark.parametrize("B,D,H", [(1, 1, 1), (2, 3, 2), (3, 2, 4)])
def test_gru_cell_backward_np_matches_autograd_and_finite_differences(B, D, H):
    p = np_problem(B, D, H, 3, seed=B * 10 + H + 1)
    R_h = np.random.default_rng(9).normal(size=(B, H))
    h, cache = gru_cell_forward_np(p["x"], p["h_prev"], p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
    grads = gru_cell_backward_np(R_h, cache)

    assert set(grads) == set(p)
    autograd = autograd_cell_grads("gru", p, [R_h])
    numeric = central_differences(lambda q: _gru_loss_np(q, R_h), p)
    for key in p:
        assert grads[key].shape == p[key].shape, key
        assert np.abs(numeric[key]).max() > 1e-3, key
        np.testing.assert_allclose(grads[key], autograd[key], rtol=1e-10, atol=1e-12, err_msg=key)
        np.testing.assert_allclose(grads[key], numeric[key], rtol=1e-6, atol=1e-8, err_msg=key)
    # b_ih and b_hh differ: the reset gate multiplies only the hidden side of the candidate
    assert np.abs(grads["b_ih"][2 * H:] - grads["b_hh"][2 * H:]).max() > 1e-6
    np.testing.assert_allclose(grads["b_ih"][:2 * H], grads["b_hh"][:2 * H], rtol=1e-12)


def test_gru_is_pytorchs_variant_not_the_papers():
    # Cho et al. apply the reset gate before the matmul, W_hn (r * h); PyTorch after it, r * (W_hn h + b_hn)
    p = np_problem(2, 3, 3, 3, seed=22)
    h, _ = gru_cell_forward_np(p["x"], p["h_prev"], p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
    H = 3
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    gi, gh = p["x"] @ p["W_ih"].T + p["b_ih"], p["h_prev"] @ p["W_hh"].T + p["b_hh"]
    r, z = sig(gi[:, :H] + gh[:, :H]), sig(gi[:, H:2 * H] + gh[:, H:2 * H])
    n_paper = np.tanh(gi[:, 2 * H:] + (r * p["h_prev"]) @ p["W_hh"][2 * H:].T + p["b_hh"][2 * H:])
    n_torch = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
    np.testing.assert_allclose(h, (1 - z) * n_torch + z * p["h_prev"], rtol=0, atol=1e-12)
    assert np.abs(h - ((1 - z) * n_paper + z * p["h_prev"])).max() > 1e-3


@pytest.mark.parametrize("bad", [(1, 4), (4,), (2, 4, 1)])
def test_gru_cell_backward_np_refuses_an_upstream_gradient_of_the_wrong_shape_instead_of_broadcasting(bad):
    import re
    rng = np.random.default_rng(3)
    B, D, H = 2, 3, 4
    _, cache = gru_cell_forward_np(rng.normal(size=(B, D)), rng.normal(size=(B, H)), rng.normal(size=(3 * H, D)),
                                   rng.normal(size=(3 * H, H)), rng.normal(size=3 * H), rng.normal(size=3 * H))
    with pytest.raises(ValueError, match=re.escape(f"gru_cell_backward_np: dh must have the shape of the step's "
                                                   f"state, (B, H) = (2, 4), got {bad}")):
        gru_cell_backward_np(np.ones(bad), cache)
    with pytest.raises(TypeError, match="dh must be a numpy array"):
        gru_cell_backward_np(torch.ones(B, H), cache)
