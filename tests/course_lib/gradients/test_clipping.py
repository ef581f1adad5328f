"""course_lib.gradients.clipping: clip_grad_norm matches torch.nn.utils.clip_grad_norm_ (one common factor, in
place, parameters without grad skipped, generators and single tensors accepted) and rejects non-positive
max_norm."""
from __future__ import annotations

import re

import pytest
import torch
from torch import nn

from course_lib.gradients.clipping import clip_grad_norm

pytestmark = pytest.mark.usefixtures("one_torch_thread")


SHAPES = [(3, 4), (5,), (2, 2, 3), ()]


def _twin_params(scale: float, seed: int, dtype=torch.float32, none_at: tuple[int, ...] = ()):
    """Two identical lists of parameters with identical gradients (None where asked)."""
    g = torch.Generator().manual_seed(seed)
    a, b = [], []
    for i, shape in enumerate(SHAPES):
        value = torch.randn(shape, generator=g, dtype=dtype)
        grad = scale * torch.randn(shape, generator=g, dtype=dtype)
        pa, pb = nn.Parameter(value.clone()), nn.Parameter(value.clone())
        if i not in none_at:
            pa.grad, pb.grad = grad.clone(), grad.clone()
        a.append(pa)
        b.append(pb)
    return a, b


def _global_norm(params) -> float:
    return float(torch.sqrt(sum((p.grad.double() ** 2).sum() for p in params if p.grad is not None)))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("scale,max_norm", [(10.0, 1.0), (1.0, 0.5), (0.01, 1.0), (1.0, 100.0)])
def test_clip_grad_norm_matches_torch(scale, max_norm, dtype):
    mine, ref = _twin_params(scale, seed=int(scale * 100) + int(max_norm), dtype=dtype)
    norm_before = _global_norm(mine)
    got = clip_grad_norm(mine, max_norm)
    want = torch.nn.utils.clip_grad_norm_(ref, max_norm)

    assert isinstance(got, torch.Tensor) and got.dim() == 0
    torch.testing.assert_close(got, want)
    assert got.item() == pytest.approx(norm_before, rel=1e-5)  # the norm *before* clipping
    for pm, pr in zip(mine, ref):
        torch.testing.assert_close(pm.grad, pr.grad)
    if norm_before > max_norm:
        assert _global_norm(mine) == pytest.approx(max_norm, rel=1e-4)
    else:
        assert _global_norm(mine) == pytest.approx(norm_before, rel=1e-6)  # untouched


def test_clip_grad_norm_clips_in_place_by_one_common_factor():
    mine, _ = _twin_params(10.0, seed=3)
    before = [p.grad.clone() for p in mine]
    grad_objects = [p.grad for p in mine]
    total = clip_grad_norm(mine, 2.0)
    factor = 2.0 / (total.item() + 1e-6)
    for p, b, obj in zip(mine, before, grad_objects):
        assert p.grad is obj  # modified in place, not replaced
        torch.testing.assert_close(p.grad, b * factor)


def test_clip_grad_norm_skips_parameters_without_grad():
    mine, ref = _twin_params(5.0, seed=4, none_at=(1, 3))
    got = clip_grad_norm(mine, 1.0)
    want = torch.nn.utils.clip_grad_norm_(ref, 1.0)
    torch.testing.assert_close(got, want)
    assert mine[1].grad is None and mine[3].grad is None
    for pm, pr in zip(mine, ref):
        if pr.grad is not None:
            torch.testing.assert_close(pm.grad, pr.grad)
    assert _global_norm(mine) == pytest.approx(1.0, rel=1e-4)


def test_clip_grad_norm_all_grads_none_returns_zero():
    params = [nn.Parameter(torch.ones(3)), nn.Parameter(torch.ones(2))]
    got = clip_grad_norm(params, 1.0)
    assert got.item() == 0.0
    assert all(p.grad is None for p in params)


def test_clip_grad_norm_single_tensor_argument():
    p = nn.Parameter(torch.zeros(2))
    p.grad = torch.tensor([3.0, 4.0])
    q = nn.Parameter(torch.zeros(2))
    q.grad = torch.tensor([3.0, 4.0])
    got = clip_grad_norm(p, 1.0)
    want = torch.nn.utils.clip_grad_norm_(q, 1.0)
    assert got.item() == pytest.approx(5.0)
    torch.testing.assert_close(got, want)
    torch.testing.assert_close(p.grad, torch.tensor([0.6, 0.8]), atol=1e-6, rtol=0)
    torch.testing.assert_close(p.grad, q.grad)


def test_clip_grad_norm_accepts_a_generator_of_parameters():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
    twin = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
    twin.load_state_dict(model.state_dict())
    x = torch.randn(16, 4)
    for m in (model, twin):
        (m(x) ** 2).sum().mul(50).backward()
    got = clip_grad_norm(model.parameters(), 0.3)
    want = torch.nn.utils.clip_grad_norm_(twin.parameters(), 0.3)
    torch.testing.assert_close(got, want)
    for pm, pt in zip(model.parameters(), twin.parameters()):
        torch.testing.assert_close(pm.grad, pt.grad)


@pytest.mark.parametrize("bad", [0, 0.0, -1.0])
def test_clip_grad_norm_rejects_non_positive_max_norm(bad):
    p = nn.Parameter(torch.zeros(2))
    p.grad = torch.tensor([3.0, 4.0])
    with pytest.raises(ValueError, match=re.escape(f"max_norm must be positive, got {bad}")):
        clip_grad_norm([p], bad)
    torch.testing.assert_close(p.grad, torch.tensor([3.0, 4.0]))  # nothing was changed
