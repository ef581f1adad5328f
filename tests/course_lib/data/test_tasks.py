"""course_lib.data.tasks: the copy and adding tasks have the documented layout, cover their symbol ranges, are
deterministic with a seeded generator and reject bad arguments."""
from __future__ import annotations

import re

import pytest
import torch
from torch import nn

from course_lib.data.tasks import IGNORE, adding_task, copy_task

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ------------------------------------------------------------------------------ copy task
@pytest.mark.parametrize("batch,n_copy,distance,n_symbols", [(4, 3, 5, 8), (1, 1, 0, 2), (3, 5, 1, 4),
                                                             (2, 2, 10, 30)])
def test_copy_task_layout(batch, n_copy, distance, n_symbols):
    inputs, targets = copy_task(batch, n_copy, distance, n_symbols, generator=_gen(batch + distance))
    K, T = n_copy, 2 * n_copy + distance
    go = n_symbols + 1
    assert inputs.shape == targets.shape == (batch, T)
    assert inputs.dtype == targets.dtype == torch.long
    for b in range(batch):  # position by position, as the docstring lays it out
        row, tgt = inputs[b].tolist(), targets[b].tolist()
        symbols = row[:K]
        assert all(1 <= s <= n_symbols for s in symbols)
        assert row[K:K + distance] == [0] * distance                  # blanks
        assert row[K + distance] == go                                # the "go" marker, once
        assert row[K + distance + 1:] == [0] * (K - 1)                # blanks while writing back
        assert row.count(go) == 1
        assert tgt[:K + distance] == [IGNORE] * (K + distance)        # nothing to predict yet
        assert tgt[K + distance:] == symbols                          # then the symbols, in order
    assert int(inputs.max()) <= go and int(inputs.min()) >= 0        # vocabulary size n_symbols + 2


def test_copy_task_symbols_cover_the_range_and_vary():
    inputs, targets = copy_task(500, 4, 2, n_symbols=6, generator=_gen(0))
    symbols = inputs[:, :4]
    assert set(symbols.unique().tolist()) == set(range(1, 7))        # 1..n_symbols, never blank or marker
    counts = torch.bincount(symbols.flatten(), minlength=7)[1:].double()
    assert counts.min() > 0.8 * counts.mean()                        # roughly uniform (2000 draws)
    assert (symbols[:, 0] != symbols[:, 1]).any()                    # positions drawn independently
    assert (targets != IGNORE).sum() == 500 * 4


def test_copy_task_ignore_is_cross_entropys_ignore_index():
    assert IGNORE == -100 == nn.CrossEntropyLoss().ignore_index
    inputs, targets = copy_task(3, 2, 3, n_symbols=5, generator=_gen(1))
    logits = torch.randn(*targets.shape, 7, generator=_gen(2))
    loss = nn.functional.cross_entropy(logits.reshape(-1, 7), targets.reshape(-1))
    mask = targets != IGNORE
    want = nn.functional.cross_entropy(logits[mask], targets[mask])  # only the real positions
    torch.testing.assert_close(loss, want)


def test_copy_task_is_deterministic_with_a_seeded_generator():
    a = copy_task(8, 3, 4, generator=_gen(5))
    b = copy_task(8, 3, 4, generator=_gen(5))
    c = copy_task(8, 3, 4, generator=_gen(6))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])
    g = _gen(5)
    first, second = copy_task(8, 3, 4, generator=g), copy_task(8, 3, 4, generator=g)
    assert torch.equal(first[0], a[0]) and not torch.equal(first[0], second[0])  # the generator advances
    torch.manual_seed(0)  # no generator: torch's global one
    d = copy_task(8, 3, 4)
    torch.manual_seed(0)
    assert torch.equal(d[0], copy_task(8, 3, 4)[0])


@pytest.mark.parametrize("args", [(0, 3, 5, 8), (2, 0, 5, 8), (2, 3, -1, 8), (2, 3, 5, 1)])
def test_copy_task_rejects_bad_arguments(args):
    with pytest.raises(ValueError, match=re.escape(
            f"need batch >= 1, n_copy >= 1, distance >= 0, n_symbols >= 2; got {', '.join(map(str, args))}")):
        copy_task(*args)


# ------------------------------------------------------------------------------ adding task
@pytest.mark.parametrize("batch,length", [(64, 10), (5, 2), (7, 3), (16, 51)])
def test_adding_task_layout(batch, length):
    inputs, target = adding_task(batch, length, generator=_gen(length))
    assert inputs.shape == (batch, length, 2) and target.shape == (batch,)
    assert inputs.dtype == target.dtype == torch.float32
    values, marks = inputs[..., 0], inputs[..., 1]
    assert values.min() >= 0 and values.max() < 1
    assert set(marks.unique().tolist()) <= {0.0, 1.0}
    half = length // 2
    for b in range(batch):
        marked = [t for t in range(length) if marks[b, t] == 1.0]
        assert len(marked) == 2                                      # exactly two marks
        assert marked[0] < half <= marked[1]                         # one in each half
        assert target[b].item() == pytest.approx(values[b, marked[0]].item() + values[b, marked[1]].item(),
                                                 abs=1e-6)


def test_adding_task_marks_spread_over_each_half():
    inputs, _ = adding_task(2000, 10, generator=_gen(3))
    counts = inputs[..., 1].sum(0)                                   # how often each position is marked
    assert counts[:5].sum() == counts[5:].sum() == 2000
    assert counts.min() > 0.7 * 400                                  # ~uniform: 400 per position


def test_adding_task_constant_one_predictor_mse_is_one_sixth():
    # target = U1 + U2 with U ~ U[0, 1): mean 1, variance 2/12, so predicting 1 has MSE 1/6
    _, target = adding_task(20000, 20, generator=_gen(4))
    mse = ((target.double() - 1.0) ** 2).mean().item()
    assert mse == pytest.approx(1 / 6, abs=0.01)                     # std error ~0.0014
    assert target.double().mean().item() == pytest.approx(1.0, abs=0.01)


def test_adding_task_is_deterministic_with_a_seeded_generator():
    a, b, c = (adding_task(8, 12, generator=_gen(s)) for s in (7, 7, 8))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])


@pytest.mark.parametrize("args", [(0, 10), (4, 1), (4, 0)])
def test_adding_task_rejects_bad_arguments(args):
    with pytest.raises(ValueError, match=re.escape(f"need batch >= 1 and length >= 2, got {args[0]}, {args[1]}")):
        adding_task(*args)
