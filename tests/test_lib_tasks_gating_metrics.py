"""course_lib.tasks (copy and adding tasks), course_lib.gating (gate, gated_update, init_forget_bias_) and
course_lib.metrics (masked_accuracy), against layouts written out by hand and independent computations."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
from torch import nn

from course_lib.layers.gating import gate, gated_update, init_forget_bias_
from course_lib.layers.lstm import LSTM, LSTMCell
from course_lib.metrics.accuracy import masked_accuracy
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


# ------------------------------------------------------------------------------ masked_accuracy
def _logits_for(pred: list, C: int) -> torch.Tensor:
    """Logits whose arg-max is `pred` (any nesting), with a runner-up so the arg-max is clear."""
    p = torch.tensor(pred)
    logits = torch.zeros(*p.shape, C)
    logits.scatter_(-1, p.unsqueeze(-1), 2.0)
    logits.scatter_(-1, ((p + 1) % C).unsqueeze(-1), 1.0)
    return logits


def test_masked_accuracy_ignores_padding_in_numerator_and_denominator():
    # batch of 2 sequences, lengths 3 and 1, padded to 4
    pred = [[1, 2, 0, 0], [3, 0, 0, 0]]
    targets = torch.tensor([[1, 2, 1, 0], [3, 0, 0, 0]])  # padding targets 0 = pad token, "predicted" right
    mask = torch.tensor([[True, True, True, False], [True, False, False, False]])
    logits = _logits_for(pred, 4)
    got = masked_accuracy(logits, targets, mask)
    assert got.dim() == 0 and got.is_floating_point()
    assert got.item() == pytest.approx(3 / 4)         # 3 right out of 4 real positions
    mean_over_all = (logits.argmax(-1) == targets).float().mean().item()
    assert mean_over_all == pytest.approx(7 / 8)      # padding would inflate it
    masked_wrong_denominator = ((logits.argmax(-1) == targets) & mask).sum().item() / mask.numel()
    assert masked_wrong_denominator == pytest.approx(3 / 8)  # ... or deflate it
    assert got.item() not in (pytest.approx(7 / 8), pytest.approx(3 / 8))

    # padding predicted wrong instead: unchanged
    targets_ignore = torch.where(mask, targets, torch.tensor(IGNORE))
    assert masked_accuracy(logits, targets_ignore, mask).item() == pytest.approx(3 / 4)


def test_masked_accuracy_against_a_loop_over_positions():
    g = _gen(13)
    logits = torch.randn(6, 7, 5, generator=g)
    targets = torch.randint(0, 5, (6, 7), generator=g)
    mask = torch.rand(6, 7, generator=g) < 0.6
    right = total = 0
    for i in range(6):
        for j in range(7):
            if mask[i, j]:
                total += 1
                right += int(max(range(5), key=lambda c: logits[i, j, c].item()) == targets[i, j].item())
    assert 0 < right < total
    assert masked_accuracy(logits, targets, mask).item() == pytest.approx(right / total, abs=1e-7)
    all_in = torch.ones(6, 7, dtype=torch.bool)
    assert masked_accuracy(logits, targets, all_in).item() == pytest.approx(
        (logits.argmax(-1) == targets).double().mean().item(), abs=1e-7)


def test_masked_accuracy_flat_and_extreme_cases():
    logits = _logits_for([0, 1, 2], 3)
    targets = torch.tensor([0, 1, 0])
    assert masked_accuracy(logits, targets, torch.tensor([True, True, True])).item() == pytest.approx(2 / 3)
    assert masked_accuracy(logits, targets, torch.tensor([False, False, True])).item() == 0.0
    assert masked_accuracy(logits, targets, torch.tensor([True, True, False])).item() == 1.0


def test_masked_accuracy_rejects_bad_input():
    logits, targets = torch.zeros(2, 4, 5), torch.zeros(2, 4, dtype=torch.long)
    mask = torch.ones(2, 4, dtype=torch.bool)
    with pytest.raises(ValueError, match=re.escape("must agree, got (2, 3, 5), (2, 4), (2, 4)")):
        masked_accuracy(torch.zeros(2, 3, 5), targets, mask)
    with pytest.raises(ValueError, match=re.escape("must agree, got (2, 4, 5), (2, 4), (4, 2)")):
        masked_accuracy(logits, targets, mask.T)
    with pytest.raises(ValueError, match=re.escape("must agree, got (2, 4, 5), (8,), (2, 4)")):
        masked_accuracy(logits, targets.flatten(), mask)
    with pytest.raises(ValueError, match=re.escape("must agree, got (2, 4), (2, 4), (2, 4)")):  # logits without C
        masked_accuracy(torch.zeros(2, 4), targets, mask)
    for dtype in (torch.long, torch.uint8, torch.float32):
        with pytest.raises(TypeError, match=re.escape(f"mask must be a bool tensor, got {dtype}")):
            masked_accuracy(logits, targets, mask.to(dtype))
    with pytest.raises(ValueError, match="the mask selects no positions"):
        masked_accuracy(logits, targets, torch.zeros(2, 4, dtype=torch.bool))


def test_accuracy_by_length_buckets_counts_and_rates():
    from course_lib.metrics.accuracy import accuracy_by_length
    lengths = [3, 10, 11, 15, 31, 40, 12]
    correct = {"a": [1, 0, 1, 1, 0, 0, 0], "b": [True] * 7}
    labels, counts, rates = accuracy_by_length(lengths, correct, [0, 10, 15, 20, 25, 30])
    assert labels == ["1-10", "11-15", ">30"]                   # empty buckets left out
    assert counts.tolist() == [2, 3, 2]
    assert np.allclose(rates["a"], [0.5, 2 / 3, 0.0]) and np.allclose(rates["b"], [1, 1, 1])
    with pytest.raises(ValueError, match="increasing"):
        accuracy_by_length(lengths, correct, [0, 10, 10])
    with pytest.raises(ValueError, match=r"correct\['a'\] has shape \(2,\)"):
        accuracy_by_length(lengths, {"a": [1, 0]}, [0, 10])
    with pytest.raises(ValueError, match="one number per example"):
        accuracy_by_length([[1, 2]], {}, [0, 10])
