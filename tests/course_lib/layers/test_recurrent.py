"""course_lib.layers.recurrent: what LSTM, GRU and ElmanRNN share matches nn.LSTM, nn.GRU and nn.RNN (outputs,
final states and gradients over a grid of configurations, dropout, initialisation, parameter counts, unbatched
input, error messages), the cells match nn.LSTMCell/nn.GRUCell, copy_weights works both ways and refuses
mismatches without changing anything, sigmoid_np and check_cell_args_np."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
from torch import nn

from course_lib.layers.gru import GRU, GRUCell, gru_cell, gru_cell_forward_np, gru_param_count
from course_lib.layers.lstm import LSTM, LSTMCell, lstm_cell, lstm_cell_forward_np, lstm_param_count
from course_lib.layers.recurrent import check_cell_args_np, copy_weights, param_count, sigmoid_np
from course_lib.layers.rnn import ElmanRNN
from support.cells import np_problem

pytestmark = pytest.mark.usefixtures("one_torch_thread")


KINDS = {  # name: (ours, torch.nn's, gate blocks)
    "lstm": (LSTM, nn.LSTM, 4),
    "gru": (GRU, nn.GRU, 3),
    "rnn": (ElmanRNN, nn.RNN, 1),
}


F64 = torch.float64


def _pair(kind: str, D: int, H: int, *, seed: int, direction: str = "from_ref", **kwargs):
    """Our module and torch.nn's with the same settings; different random weights, then one copied onto
    the other (from_ref: nn -> ours, to_ref: ours -> nn)."""
    ours_cls, ref_cls, _ = KINDS[kind]
    torch.manual_seed(seed)
    mine = ours_cls(D, H, **kwargs).double()
    torch.manual_seed(seed + 1000)
    ref = ref_cls(D, H, **kwargs).double()
    assert [(n, p.shape) for n, p in mine.named_parameters()] == [(n, p.shape) for n, p in ref.named_parameters()]
    for name, p in ref.named_parameters():  # really different before the copy
        assert not torch.allclose(getattr(mine, name), p), name
    if direction == "from_ref":
        copy_weights(ref, mine)
    else:
        copy_weights(mine, ref)
    for name, p in ref.named_parameters():
        assert torch.equal(getattr(mine, name), p), name
    return mine, ref


def _state(kind: str, n: int, B: int, H: int, g: torch.Generator, dtype=F64):
    h0 = torch.randn(n, B, H, generator=g, dtype=dtype)
    if kind == "lstm":
        return h0, torch.randn(n, B, H, generator=g, dtype=dtype)
    return h0


def _parts(state) -> tuple[torch.Tensor, ...]:
    return tuple(state) if isinstance(state, tuple) else (state,)


def _leaf(state):
    """A fresh copy of a state that requires grad (None stays None)."""
    if state is None:
        return None
    parts = tuple(p.detach().clone().requires_grad_() for p in _parts(state))
    return parts if isinstance(state, tuple) else parts[0]


# ------------------------------------------------------------------------------ parity with torch.nn
CONFIGS = [  # num_layers, bidirectional, batch_first, bias, given initial state, B, T, dropout (eval mode)
    dict(num_layers=1, bidirectional=False, batch_first=False, bias=True, state=True, B=3, T=4, dropout=0.0),
    dict(num_layers=1, bidirectional=True, batch_first=True, bias=True, state=False, B=2, T=5, dropout=0.0),
    dict(num_layers=2, bidirectional=False, batch_first=True, bias=False, state=True, B=2, T=3, dropout=0.0),
    dict(num_layers=2, bidirectional=True, batch_first=False, bias=True, state=True, B=1, T=4, dropout=0.0),
    dict(num_layers=3, bidirectional=True, batch_first=True, bias=True, state=True, B=2, T=1, dropout=0.0),
    dict(num_layers=3, bidirectional=False, batch_first=False, bias=False, state=False, B=3, T=3, dropout=0.0),
    dict(num_layers=2, bidirectional=True, batch_first=True, bias=False, state=False, B=1, T=1, dropout=0.0),
    dict(num_layers=3, bidirectional=True, batch_first=False, bias=True, state=True, B=2, T=3, dropout=0.5),
    dict(num_layers=2, bidirectional=False, batch_first=True, bias=True, state=True, B=2, T=4, dropout=0.3),
    dict(num_layers=1, bidirectional=False, batch_first=True, bias=False, state=True, B=1, T=6, dropout=0.0),
]


def _config_id(c: dict) -> str:
    return (f"L{c['num_layers']}{'-bi' if c['bidirectional'] else ''}{'-bf' if c['batch_first'] else ''}"
            f"{'' if c['bias'] else '-nobias'}{'-h0' if c['state'] else ''}-B{c['B']}-T{c['T']}"
            f"{'-drop' if c['dropout'] else ''}")


@pytest.mark.parametrize("config", CONFIGS, ids=_config_id)
@pytest.mark.parametrize("kind", list(KINDS))
def test_matches_torch_nn_outputs_states_and_gradients(kind, config):
    c = dict(config)
    B, T, with_state = c.pop("B"), c.pop("T"), c.pop("state")
    D, H = 3, 4
    dirs = 2 if c["bidirectional"] else 1
    seed = CONFIGS.index(config) * 10 + list(KINDS).index(kind)
    mine, ref = _pair(kind, D, H, seed=seed, direction=("from_ref", "to_ref")[seed % 2], **c)
    mine.eval()
    ref.eval()
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(*((B, T, D) if c["batch_first"] else (T, B, D)), generator=g, dtype=F64)
    state = _state(kind, c["num_layers"] * dirs, B, H, g) if with_state else None

    x_mine, x_ref = x.clone().requires_grad_(), x.clone().requires_grad_()
    s_mine, s_ref = _leaf(state), _leaf(state)
    out, final = mine(x_mine, s_mine)
    out_ref, final_ref = ref(x_ref, s_ref)

    want_out = (B, T, dirs * H) if c["batch_first"] else (T, B, dirs * H)
    assert out.shape == out_ref.shape == want_out
    assert out.dtype == F64
    torch.testing.assert_close(out, out_ref, rtol=0, atol=1e-10)
    assert isinstance(final, tuple) == (kind == "lstm")
    assert len(_parts(final)) == len(_parts(final_ref))
    for got, want in zip(_parts(final), _parts(final_ref)):
        assert got.shape == want.shape == (c["num_layers"] * dirs, B, H)
        torch.testing.assert_close(got, want, rtol=0, atol=1e-10)

    # the backward pass: a random linear function of the output and of every final state
    weights = [torch.randn(t.shape, generator=g, dtype=F64) for t in (out, *_parts(final))]

    def loss(o, f):
        return sum((t * w).sum() for t, w in zip((o, *_parts(f)), weights))

    loss(out, final).backward()
    loss(out_ref, final_ref).backward()
    assert x_mine.grad.abs().max() > 0
    torch.testing.assert_close(x_mine.grad, x_ref.grad, rtol=0, atol=1e-10)
    if state is not None:
        for got, want in zip(_parts(s_mine), _parts(s_ref)):
            assert got.grad.abs().max() > 0
            torch.testing.assert_close(got.grad, want.grad, rtol=0, atol=1e-10)
    for name, p in ref.named_parameters():
        torch.testing.assert_close(getattr(mine, name).grad, p.grad, rtol=0, atol=1e-10, msg=name)


@pytest.mark.parametrize("kind", list(KINDS))
def test_float32_default_dtype_matches_torch_nn(kind):
    torch.manual_seed(0)
    ours_cls, ref_cls, _ = KINDS[kind]
    mine, ref = ours_cls(4, 5, num_layers=2, bidirectional=True), ref_cls(4, 5, num_layers=2, bidirectional=True)
    copy_weights(ref, mine)
    x = torch.randn(6, 3, 4)
    out, final = mine(x)
    out_ref, final_ref = ref(x)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, out_ref, rtol=1e-5, atol=1e-6)
    for got, want in zip(_parts(final), _parts(final_ref)):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", list(KINDS))
def test_defaults_and_parameter_layout_are_torch_nns(kind):
    ours_cls, ref_cls, G = KINDS[kind]
    mine, ref = ours_cls(3, 5), ref_cls(3, 5)
    for attr in ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional"):
        assert getattr(mine, attr) == getattr(ref, attr), attr
    deep = ours_cls(3, 5, num_layers=3, bidirectional=True, bias=False)
    ref_deep = ref_cls(3, 5, num_layers=3, bidirectional=True, bias=False)
    assert [(n, p.shape) for n, p in deep.named_parameters()] == [(n, p.shape) for n, p in ref_deep.named_parameters()]
    assert deep.weight_ih_l1_reverse.shape == (G * 5, 10)


@pytest.mark.parametrize("kind", list(KINDS))
def test_initial_state_none_means_zeros(kind):
    torch.manual_seed(1)
    mine = KINDS[kind][0](3, 4, num_layers=2, bidirectional=True).double()
    x = torch.randn(5, 2, 3, dtype=F64)
    zeros = torch.zeros(4, 2, 4, dtype=F64)
    out_none, final_none = mine(x)
    out_zero, final_zero = mine(x, (zeros, zeros) if kind == "lstm" else zeros)
    torch.testing.assert_close(out_none, out_zero, rtol=0, atol=0)
    for a, b in zip(_parts(final_none), _parts(final_zero)):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    h_n = _parts(final_none)[0]  # the last layer: forward ends at t = T-1, backward at t = 0
    torch.testing.assert_close(h_n[2], out_none[-1, :, :4], rtol=0, atol=0)
    torch.testing.assert_close(h_n[3], out_none[0, :, 4:], rtol=0, atol=0)


# ------------------------------------------------------------------------------ gradcheck
@pytest.mark.parametrize("setting", [dict(num_layers=2, bidirectional=True, batch_first=False, bias=True),
                                     dict(num_layers=2, bidirectional=False, batch_first=True, bias=False)],
                         ids=["L2-bi", "L2-bf-nobias"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_gradcheck_input_initial_states_and_weights(kind, setting):
    torch.manual_seed(2)
    D, H, B, T = 2, 2, 2, 2
    model = KINDS[kind][0](D, H, **setting).double()
    names = [n for n, _ in model.named_parameters()]
    params = tuple(p.detach().clone().requires_grad_() for p in model.parameters())
    n = setting["num_layers"] * (2 if setting["bidirectional"] else 1)
    x = torch.randn(*((B, T, D) if setting["batch_first"] else (T, B, D)), dtype=F64, requires_grad=True)
    states = [torch.randn(n, B, H, dtype=F64, requires_grad=True) for _ in range(2 if kind == "lstm" else 1)]

    def f(x, *rest):
        k = len(states)
        st = tuple(rest[:k]) if kind == "lstm" else rest[0]
        out, final = torch.func.functional_call(model, dict(zip(names, rest[k:])), (x, st))
        return (out, *_parts(final))

    assert torch.autograd.gradcheck(f, (x, *states, *params), eps=1e-6, atol=1e-7, rtol=1e-5)


# ------------------------------------------------------------------------------ dropout
def _layerwise(kind: str, model, x: torch.Tensor, state, p: float, seed: int):
    """An independent stack: one single-layer torch.nn module per layer, holding that layer's weights,
    with nn.functional.dropout between layers (time-first input), torch's generator seeded with `seed`."""
    ref_cls = KINDS[kind][1]
    dirs = model.num_directions
    layers = []
    for k in range(model.num_layers):
        layer = ref_cls(model.input_size if k == 0 else dirs * model.hidden_size, model.hidden_size,
                        bidirectional=model.bidirectional).double()
        with torch.no_grad():
            for name, q in layer.named_parameters():
                q.copy_(getattr(model, name.replace("_l0", f"_l{k}")))
        layers.append(layer)
    torch.manual_seed(seed)  # after building the layers: their initialisation draws from it too
    y, finals = x, []
    for k, layer in enumerate(layers):
        s = None if state is None else tuple(t[k * dirs:(k + 1) * dirs] for t in _parts(state))
        y, f = layer(y, None if s is None else (s if kind == "lstm" else s[0]))
        finals.append(_parts(f))
        if k < model.num_layers - 1:
            y = nn.functional.dropout(y, p, training=True)
    return y, tuple(torch.cat(part) for part in zip(*finals))


@pytest.mark.parametrize("kind", list(KINDS))
def test_dropout_between_layers_in_train_mode(kind):
    p, L, B, T, H = 0.5, 3, 2, 4, 3
    torch.manual_seed(3)
    model = KINDS[kind][0](2, H, num_layers=L, bidirectional=True, dropout=p).double()
    g = torch.Generator().manual_seed(3)
    x = torch.randn(T, B, 2, generator=g, dtype=F64)
    state = _state(kind, 2 * L, B, H, g)

    model.eval()
    out_eval, final_eval = model(x, state)
    model.train()
    torch.manual_seed(10)
    out_a, final_a = model(x, state)
    torch.manual_seed(11)
    out_b, _ = model(x, state)
    torch.manual_seed(10)
    out_a2, _ = model(x, state)

    assert (out_a - out_eval).abs().max() > 1e-3   # dropout acts in train mode ...
    assert (out_a - out_b).abs().max() > 1e-3      # ... at random
    torch.testing.assert_close(out_a, out_a2, rtol=0, atol=0)  # drawn from torch's generator
    # between layers only: the first layer's final states (both directions) never see a dropped unit
    for got, want in zip(_parts(final_a), _parts(final_eval)):
        torch.testing.assert_close(got[:2], want[:2], rtol=0, atol=0)
        assert (got[-2:] - want[-2:]).abs().max() > 1e-3
    # exactly dropout(p) with 1/(1-p) scaling on each layer's output but the last, as a layer-by-layer stack
    want_out, want_final = _layerwise(kind, model, x, state, p, seed=10)
    torch.testing.assert_close(out_a, want_out, rtol=0, atol=1e-12)
    for got, want in zip(_parts(final_a), want_final):
        torch.testing.assert_close(got, want, rtol=0, atol=1e-12)
    # and eval mode is the same stack without dropout
    model.eval()
    assert not model.training
    torch.testing.assert_close(model(x, state)[0], out_eval, rtol=0, atol=0)


@pytest.mark.parametrize("kind", list(KINDS))
def test_dropout_has_no_effect_with_one_layer(kind):
    torch.manual_seed(4)
    ours_cls, ref_cls, _ = KINDS[kind]
    mine = ours_cls(3, 4, dropout=0.5, bidirectional=True).double()
    with pytest.warns(UserWarning, match="dropout"):  # torch.nn says so, and ignores it
        ref = ref_cls(3, 4, dropout=0.5, bidirectional=True).double()
    copy_weights(mine, ref)
    x = torch.randn(5, 2, 3, dtype=F64)
    mine.train()
    ref.train()
    torch.manual_seed(0)
    out_a, final_a = mine(x)
    torch.manual_seed(1)
    out_b, _ = mine(x)
    out_ref, final_ref = ref(x)
    mine.eval()
    out_eval, _ = mine(x)
    torch.testing.assert_close(out_a, out_b, rtol=0, atol=0)
    torch.testing.assert_close(out_a, out_eval, rtol=0, atol=0)
    torch.testing.assert_close(out_a, out_ref, rtol=0, atol=1e-12)
    for got, want in zip(_parts(final_a), _parts(final_ref)):
        torch.testing.assert_close(got, want, rtol=0, atol=1e-12)


# ------------------------------------------------------------------------------ initialisation
@pytest.mark.parametrize("H", [1, 3, 40])
@pytest.mark.parametrize("kind", list(KINDS))
def test_initialisation_within_pytorch_range(kind, H):
    ours_cls, _, G = KINDS[kind]
    bound = 1.0 / math.sqrt(H)
    torch.manual_seed(H)
    modules = {"module": ours_cls(7, H, num_layers=2, bidirectional=True)}
    if kind == "lstm":
        modules["cell"] = LSTMCell(7, H)
    if kind == "gru":
        modules["cell"] = GRUCell(7, H)
    for what, module in modules.items():
        for name, p in module.named_parameters():
            values = p.detach()
            assert values.abs().max() <= bound, (what, name)
            assert values.unique().numel() > 0.9 * values.numel(), (what, name)  # random, not constant
        if H == 40:  # 2-layer, 2-direction: thousands of draws spread over the whole range
            values = torch.cat([p.detach().flatten() for p in module.parameters()]).double()
            assert values.min() < -0.95 * bound and values.max() > 0.95 * bound, what
            n = values.numel()
            assert abs(values.mean().item()) < 4 * bound / math.sqrt(3 * n), what
            assert values.std().item() == pytest.approx(bound / math.sqrt(3), rel=4 / math.sqrt(n)), what


@pytest.mark.parametrize("kind", list(KINDS))
def test_reset_parameters_redraws_every_parameter(kind):
    torch.manual_seed(5)
    model = KINDS[kind][0](3, 4, num_layers=2, bidirectional=True)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    model.reset_parameters()
    for name, p in model.named_parameters():
        assert not torch.equal(before[name], p), name
        assert p.detach().abs().max() <= 0.5, name


# ------------------------------------------------------------------------------ parameter counts
@pytest.mark.parametrize("kind", list(KINDS))
def test_param_counts_equal_torch_nn(kind):
    ours_cls, ref_cls, G = KINDS[kind]
    named = {"lstm": lstm_param_count, "gru": gru_param_count}.get(kind)
    for D in (1, 5):
        for H in (1, 4):
            for L in (1, 2, 3):
                for bi in (False, True):
                    for bias in (True, False):
                        want = sum(p.numel() for p in ref_cls(D, H, num_layers=L, bidirectional=bi,
                                                              bias=bias).parameters())
                        args = (D, H, L, bi, bias)
                        assert param_count(G, *args) == want, args
                        assert param_count(G, D, H, num_layers=L, bidirectional=bi, bias=bias) == want, args
                        if named is not None:
                            assert named(*args) == want, args
                            assert named(D, H, num_layers=L, bidirectional=bi, bias=bias) == want, args
                        mine = ours_cls(D, H, num_layers=L, bidirectional=bi, bias=bias)
                        assert sum(p.numel() for p in mine.parameters()) == want, args
    assert param_count(G, 3, 4) == sum(p.numel() for p in ref_cls(3, 4).parameters())  # defaults


def test_param_count_by_hand():
    # nn.LSTM(10, 20): 4*20*(10+20) + 8*20 = 2,560; nn.GRU(10, 20, num_layers=2): 3*20*30 + 6*20 + 3*20*40 + 6*20
    assert lstm_param_count(10, 20) == 2560
    assert gru_param_count(10, 20, num_layers=2) == 1920 + 2520
    assert param_count(1, 10, 20, bidirectional=True, bias=False) == 2 * 20 * 30


# ------------------------------------------------------------------------------ errors
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("kind", list(KINDS))
def test_rejects_wrong_feature_size_and_non_3d_input(kind, batch_first):
    model = KINDS[kind][0](3, 4, batch_first=batch_first)
    with pytest.raises(ValueError, match=re.escape("x has feature size 5, expected input_size = 3 "
                                                   "(x shape (2, 6, 5))")):
        model(torch.randn(2, 6, 5))
    layout = "(B, T, D)" if batch_first else "(T, B, D)"
    for shape in [(3,), (1, 2, 6, 3)]:  # (T, D) is valid: unbatched input, as in torch.nn
        with pytest.raises(ValueError, match=re.escape(f"x must be 3-D, {layout} with D = 3, or unbatched (T, D); "
                                                       f"got {shape}")):
            model(torch.randn(*shape))
    with pytest.raises(ValueError, match=re.escape("x has feature size 5, expected input_size = 3 (x shape (6, 5))")):
        model(torch.randn(6, 5))
    with pytest.raises(ValueError, match=re.escape(f"x must be 3-D, {layout} with D = 3, or unbatched (T, D); "
                                                   f"got ndarray")):
        model(np.zeros((2, 6, 3), dtype=np.float32))


@pytest.mark.parametrize("kind", list(KINDS))
def test_rejects_wrong_initial_state_shape(kind):
    model = KINDS[kind][0](3, 4, num_layers=2, bidirectional=True, batch_first=True)
    x = torch.randn(2, 6, 3)  # B = 2; expected state (2 * 2, 2, 4)
    good = torch.zeros(4, 2, 4)
    prefix = "must have shape (num_layers * num_directions, B, H) = (4, 2, 4), got "
    for bad in [(2, 2, 4), (4, 6, 4), (4, 2, 3), (2, 4), (1, 4, 2, 4)]:
        wrong = torch.zeros(*bad)
        if kind == "lstm":
            with pytest.raises(ValueError, match=re.escape(f"h0 {prefix}{bad}")):
                model(x, (wrong, good))
            with pytest.raises(ValueError, match=re.escape(f"c0 {prefix}{bad}")):
                model(x, (good, wrong))
        else:
            with pytest.raises(ValueError, match=re.escape(f"h0 {prefix}{bad}")):
                model(x, wrong)


@pytest.mark.parametrize("kind", list(KINDS))
def test_rejects_wrong_dtype(kind):
    model = KINDS[kind][0](3, 4).double()
    with pytest.raises(TypeError, match="x has dtype torch.float32 but the weights are torch.float64"):
        model(torch.randn(5, 2, 3))
    with pytest.raises(TypeError, match="x has dtype torch.int64 but the weights are torch.float64"):
        model(torch.zeros(5, 2, 3, dtype=torch.long))
    x = torch.randn(5, 2, 3, dtype=F64)
    h32, h64 = torch.zeros(1, 2, 4), torch.zeros(1, 2, 4, dtype=F64)
    if kind == "lstm":
        with pytest.raises(TypeError, match="h0 has dtype torch.float32 but the input is torch.float64"):
            model(x, (h32, h64))
        with pytest.raises(TypeError, match="c0 has dtype torch.float32 but the input is torch.float64"):
            model(x, (h64, h32))
    else:
        with pytest.raises(TypeError, match="h0 has dtype torch.float32 but the input is torch.float64"):
            model(x, h32)


@pytest.mark.parametrize("kind", list(KINDS))
def test_rejects_bad_constructor_arguments(kind):
    cls = KINDS[kind][0]
    with pytest.raises(ValueError, match=re.escape("must be >= 1, got 0, 4, 1")):
        cls(0, 4)
    with pytest.raises(ValueError, match=re.escape("must be >= 1, got 3, 4, 0")):
        cls(3, 4, num_layers=0)
    with pytest.raises(ValueError, match=re.escape("dropout must be in [0, 1), got 1.5")):
        cls(3, 4, num_layers=2, dropout=1.5)


# ------------------------------------------------------------------------------ cells and copy_weights
CELLS = {"lstm": (LSTMCell, nn.LSTMCell), "gru": (GRUCell, nn.GRUCell)}


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("direction", ["from_ref", "to_ref"])
@pytest.mark.parametrize("kind", list(CELLS))
def test_cells_match_torch_nn_cells(kind, direction, bias):
    ours_cls, ref_cls = CELLS[kind]
    seed = 2 * (direction == "to_ref") + bias + 10 * (kind == "gru")
    torch.manual_seed(seed)
    mine = ours_cls(3, 5, bias=bias).double()
    torch.manual_seed(seed + 1000)
    ref = ref_cls(3, 5, bias=bias).double()
    assert [(n, p.shape) for n, p in mine.named_parameters()] == [(n, p.shape) for n, p in ref.named_parameters()]
    assert not torch.allclose(mine.weight_hh, ref.weight_hh)
    copy_weights(ref, mine) if direction == "from_ref" else copy_weights(mine, ref)
    g = torch.Generator().manual_seed(seed)
    for B in (1, 4):
        x = torch.randn(B, 3, generator=g, dtype=F64)
        state = tuple(torch.randn(B, 5, generator=g, dtype=F64) for _ in range(2 if kind == "lstm" else 1))
        for given in (True, False):
            x_m, x_r = x.clone().requires_grad_(), x.clone().requires_grad_()
            s_m = tuple(s.clone().requires_grad_() for s in state)
            s_r = tuple(s.clone().requires_grad_() for s in state)
            arg_m = (s_m if kind == "lstm" else s_m[0]) if given else None
            arg_r = (s_r if kind == "lstm" else s_r[0]) if given else None
            got, want = _parts(mine(x_m, arg_m)), _parts(ref(x_r, arg_r))
            assert len(got) == len(want)
            w = [torch.randn(t.shape, generator=g, dtype=F64) for t in want]
            for a, b in zip(got, want):
                torch.testing.assert_close(a, b, rtol=0, atol=1e-12)
            mine.zero_grad()
            ref.zero_grad()
            sum((a * wi).sum() for a, wi in zip(got, w)).backward()
            sum((b * wi).sum() for b, wi in zip(want, w)).backward()
            torch.testing.assert_close(x_m.grad, x_r.grad, rtol=0, atol=1e-12)
            if given:
                for a, b in zip(s_m, s_r):
                    torch.testing.assert_close(a.grad, b.grad, rtol=0, atol=1e-12)
            for name, p in ref.named_parameters():
                torch.testing.assert_close(getattr(mine, name).grad, p.grad, rtol=0, atol=1e-12, msg=name)


@pytest.mark.parametrize("kind", list(CELLS))
def test_copy_weights_between_one_layer_module_and_cell(kind):
    # weight_ih_l0 (one-layer module) <-> weight_ih (cell): one step of the module is one step of the cell
    ours_cls, ref_cell_cls = CELLS[kind]
    torch.manual_seed(6)
    module = KINDS[kind][1](3, 4).double()
    cell = ours_cls(3, 4).double()
    copy_weights(module, cell)
    x = torch.randn(1, 2, 3, dtype=F64)
    _, final = module(x)
    got = _parts(cell(x[0]))
    for a, b in zip(got, _parts(final)):
        torch.testing.assert_close(a, b[0], rtol=0, atol=1e-12)
    ref_cell = ref_cell_cls(3, 4).double()
    copy_weights(cell, ref_cell)  # and on to torch's cell
    for a, b in zip(_parts(ref_cell(x[0])), got):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)
    ours_module = KINDS[kind][0](3, 4).double()
    copy_weights(ref_cell, ours_module)  # cell -> our one-layer module
    for a, b in zip(_parts(ours_module(x)[1]), _parts(final)):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


def test_copy_weights_rejects_mismatches_and_changes_nothing():
    with pytest.raises(ValueError, match=r"parameter names differ: .*weight_ih_l1"):
        copy_weights(nn.LSTM(3, 4, num_layers=2), LSTMCell(3, 4))
    with pytest.raises(ValueError, match=re.escape("weight_ih: source shape (16, 3), destination shape (12, 3)")):
        copy_weights(nn.LSTMCell(3, 4), GRUCell(3, 4))
    dst = GRU(3, 4, num_layers=2)
    src = nn.GRU(3, 4, num_layers=2)
    with torch.no_grad():
        src.bias_hh_l1 = nn.Parameter(torch.zeros(13))  # only the last parameter is wrong
    before = {n: p.detach().clone() for n, p in dst.named_parameters()}
    with pytest.raises(ValueError, match=re.escape("bias_hh_l1: source shape (13,), destination shape (12,)")):
        copy_weights(src, dst)
    for name, p in dst.named_parameters():
        assert torch.equal(p, before[name]), name


@pytest.mark.parametrize("kind", list(CELLS))
def test_cells_reject_wrong_shapes(kind):
    cell = CELLS[kind][0](3, 4)
    for shape in [(2, 5), (1, 2, 3), (5,)]:
        with pytest.raises(ValueError, match=re.escape(f"x must have shape (B, 3) or (3,), got {shape}")):
            cell(torch.randn(*shape))
    x, good, bad = torch.randn(2, 3), torch.zeros(2, 4), torch.zeros(3, 4)
    if kind == "lstm":
        with pytest.raises(ValueError, match=re.escape("h must have shape (2, 4), got (3, 4)")):
            cell(x, (bad, good))
        with pytest.raises(ValueError, match=re.escape("c must have shape (2, 4), got (3, 4)")):
            cell(x, (good, bad))
    else:
        with pytest.raises(ValueError, match=re.escape("h must have shape (2, 4), got (3, 4)")):
            cell(x, bad)


def test_torch_cell_functions_match_numpy_cells_with_and_without_bias():
    p4, p3 = np_problem(3, 2, 4, 4, seed=20), np_problem(3, 2, 4, 3, seed=21)
    t = {k: torch.from_numpy(v) for k, v in p4.items()}
    h, c, _ = lstm_cell_forward_np(*(p4[k] for k in ("x", "h_prev", "c_prev", "W_ih", "W_hh", "b_ih", "b_hh")))
    h_t, c_t = lstm_cell(t["x"], (t["h_prev"], t["c_prev"]), t["W_ih"], t["W_hh"], t["b_ih"], t["b_hh"])
    np.testing.assert_allclose(h_t.numpy(), h, rtol=0, atol=1e-12)
    np.testing.assert_allclose(c_t.numpy(), c, rtol=0, atol=1e-12)
    zeros4 = np.zeros(16)
    h0, c0, _ = lstm_cell_forward_np(p4["x"], p4["h_prev"], p4["c_prev"], p4["W_ih"], p4["W_hh"], zeros4, zeros4)
    h_nb, c_nb = lstm_cell(t["x"], (t["h_prev"], t["c_prev"]), t["W_ih"], t["W_hh"], None, None)
    np.testing.assert_allclose(h_nb.numpy(), h0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(c_nb.numpy(), c0, rtol=0, atol=1e-12)

    t = {k: torch.from_numpy(v) for k, v in p3.items()}
    h, _ = gru_cell_forward_np(*(p3[k] for k in ("x", "h_prev", "W_ih", "W_hh", "b_ih", "b_hh")))
    np.testing.assert_allclose(gru_cell(t["x"], t["h_prev"], t["W_ih"], t["W_hh"], t["b_ih"], t["b_hh"]).numpy(),
                               h, rtol=0, atol=1e-12)
    zeros3 = np.zeros(12)
    h0, _ = gru_cell_forward_np(p3["x"], p3["h_prev"], p3["W_ih"], p3["W_hh"], zeros3, zeros3)
    np.testing.assert_allclose(gru_cell(t["x"], t["h_prev"], t["W_ih"], t["W_hh"], None, None).numpy(),
                               h0, rtol=0, atol=1e-12)


def test_sigmoid_np_matches_torch():
    a = np.linspace(-30, 30, 241)
    np.testing.assert_allclose(sigmoid_np(a), torch.sigmoid(torch.from_numpy(a)).numpy(), rtol=1e-12, atol=1e-15)
    assert sigmoid_np(np.zeros((2, 3))).shape == (2, 3) and sigmoid_np(np.array(0.0)) == 0.5


# ------------------------------------------------------------------------------ check_cell_args_np
def _args(B=2, D=3, H=4, G=4, c=True):
    p = np_problem(B, D, H, G, seed=0)
    return dict(x=p["x"], h_prev=p["h_prev"], c_prev=p.get("c_prev") if c else None, W_ih=p["W_ih"],
                W_hh=p["W_hh"], b_ih=p["b_ih"], b_hh=p["b_hh"])


def _check(name="cellname", gates=4, **override):
    a = _args(G=gates, c=gates == 4)
    a.update(override)
    return check_cell_args_np(a["x"], a["h_prev"], a["c_prev"], a["W_ih"], a["W_hh"], a["b_ih"], a["b_hh"],
                              gates, name)


def test_check_cell_args_np_accepts_matching_arguments():
    assert _check() is None
    assert _check(gates=3) is None
    assert _check(gates=1, W_ih=np.zeros((4, 3)), W_hh=np.zeros((4, 4)), b_ih=np.zeros(4), b_hh=np.zeros(4)) is None


@pytest.mark.parametrize("override,message", [
    (dict(x=np.zeros((2, 5))), "cellname: x must have shape (2, 3), got (2, 5)"),
    (dict(x=np.zeros(3)), "cellname: x must have shape (B, 3), got (3,)"),
    (dict(x=np.zeros((1, 2, 3))), "cellname: x must have shape (B, 3), got (1, 2, 3)"),
    (dict(h_prev=np.zeros((1, 4))), "cellname: h_prev must have shape (2, 4), got (1, 4)"),
    (dict(h_prev=np.zeros((2, 16))), "cellname: h_prev must have shape (2, 4), got (2, 16)"),
    (dict(c_prev=np.zeros((2, 3))), "cellname: c_prev must have shape (2, 4), got (2, 3)"),
    (dict(W_ih=np.zeros((15, 3))), "cellname: W_ih must have shape (4*H, D), got (15, 3)"),
    (dict(W_ih=np.zeros((16, 3, 1))), "cellname: W_ih must have shape (4*H, D), got (16, 3, 1)"),
    (dict(W_hh=np.zeros((4, 16))), "cellname: W_hh must have shape (16, 4), got (4, 16)"),  # transposed
    (dict(b_ih=np.zeros(4)), "cellname: b_ih must have shape (16,), got (4,)"),
    (dict(b_hh=np.zeros((1, 16))), "cellname: b_hh must have shape (16,), got (1, 16)"),
])
def test_check_cell_args_np_names_expected_and_actual_shapes(override, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        _check(**override)


def test_check_cell_args_np_rejects_non_arrays_and_wrong_gate_count():
    with pytest.raises(TypeError, match=re.escape("cellname: x must be a numpy array, got list")):
        _check(x=[[0.0, 0.0, 0.0]] * 2)
    with pytest.raises(TypeError, match=re.escape("cellname: c_prev must be a numpy array, got Tensor")):
        _check(c_prev=torch.zeros(2, 4))
    with pytest.raises(TypeError, match=re.escape("cellname: b_hh must be a numpy array, got float")):
        _check(b_hh=0.0)
    with pytest.raises(ValueError, match=re.escape("cellname: W_ih must have shape (3*H, D), got (16, 3)")):
        _check(gates=3, W_ih=np.zeros((16, 3)))  # an LSTM's weights given to a GRU cell


def test_numpy_cells_check_their_arguments_by_name():
    a = _args()
    with pytest.raises(ValueError, match=re.escape("lstm_cell_forward_np: c_prev must have shape (2, 4), got (4,)")):
        lstm_cell_forward_np(a["x"], a["h_prev"], a["c_prev"][0], a["W_ih"], a["W_hh"], a["b_ih"], a["b_hh"])
    g = _args(G=3, c=False)
    with pytest.raises(ValueError, match=re.escape("gru_cell_forward_np: h_prev must have shape (2, 4), got (2, 3)")):
        gru_cell_forward_np(g["x"], g["h_prev"][:, :3], g["W_ih"], g["W_hh"], g["b_ih"], g["b_hh"])
    with pytest.raises(ValueError, match=re.escape("gru_cell_forward_np: W_ih must have shape (3*H, D), got (16, 3)")):
        gru_cell_forward_np(a["x"], a["h_prev"], a["W_ih"], a["W_hh"], a["b_ih"], a["b_hh"])


# ------------------------------------------------------------------------------ unbatched input, as torch.nn
@pytest.mark.parametrize("ours_cls, ref_cls", [(LSTM, nn.LSTM), (GRU, nn.GRU), (ElmanRNN, nn.RNN)])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("with_state", [False, True])
def test_unbatched_input_matches_torch_nn(ours_cls, ref_cls, batch_first: bool, with_state: bool) -> None:
    torch.manual_seed(7)
    ref = ref_cls(3, 4, num_layers=2, bidirectional=True, batch_first=batch_first).double()
    ours = ours_cls(3, 4, num_layers=2, bidirectional=True, batch_first=batch_first).double()
    copy_weights(ref, ours)
    x = torch.randn(5, 3, dtype=torch.float64)              # (T, D), no batch dimension
    state = None
    if with_state:
        h0 = torch.randn(4, 4, dtype=torch.float64)           # (L * dirs, H)
        state = (h0, torch.randn(4, 4, dtype=torch.float64)) if ours_cls is LSTM else h0
    out_ref, st_ref = ref(x, state)
    out, st = ours(x, state)
    assert out.shape == out_ref.shape == (5, 8)
    torch.testing.assert_close(out, out_ref, atol=1e-10, rtol=0)
    for a, b in zip(st if ours_cls is LSTM else (st,), st_ref if ours_cls is LSTM else (st_ref,)):
        assert a.shape == b.shape == (4, 4)
        torch.testing.assert_close(a, b, atol=1e-10, rtol=0)


@pytest.mark.parametrize("ours_cls, ref_cls", [(LSTMCell, nn.LSTMCell), (GRUCell, nn.GRUCell)])
@pytest.mark.parametrize("with_state", [False, True])
def test_unbatched_cells_match_torch_nn(ours_cls, ref_cls, with_state: bool) -> None:
    torch.manual_seed(8)
    ref, ours = ref_cls(3, 4).double(), ours_cls(3, 4).double()
    copy_weights(ref, ours)
    x = torch.randn(3, dtype=torch.float64)
    state = None
    if with_state:
        h = torch.randn(4, dtype=torch.float64)
        state = (h, torch.randn(4, dtype=torch.float64)) if ours_cls is LSTMCell else h
    got, want = ours(x, state), ref(x, state)
    for a, b in zip(got if ours_cls is LSTMCell else (got,), want if ours_cls is LSTMCell else (want,)):
        assert a.shape == b.shape == (4,)
        torch.testing.assert_close(a, b, atol=1e-10, rtol=0)


# ------------------------------------------------------------------------------ copy_weights
def test_copy_weights_rejects_mismatched_parameter_names():
    with pytest.raises(ValueError, match=re.escape(
            "parameter names differ: source has ['weight_hh', 'weight_ih'], destination has "
            "['bias_hh', 'bias_ih', 'weight_hh', 'weight_ih']")):
        copy_weights(nn.RNN(3, 4, bias=False), ElmanRNN(3, 4, bias=True))
    with pytest.raises(ValueError, match=r"parameter names differ: .*weight_ih_l1"):
        copy_weights(nn.RNN(3, 4, num_layers=2), ElmanRNN(3, 4))
    with pytest.raises(ValueError, match=r"parameter names differ: .*_reverse"):
        copy_weights(ElmanRNN(3, 4), nn.RNN(3, 4, bidirectional=True))
    with pytest.raises(ValueError, match=r"parameter names differ: .*_reverse"):
        copy_weights(nn.RNN(3, 4, num_layers=2, bidirectional=True), ElmanRNN(3, 4, num_layers=2))


def test_copy_weights_rejects_mismatched_shapes_and_changes_nothing():
    with pytest.raises(ValueError, match=re.escape("weight_ih_l0: source shape (4, 3), destination shape (4, 2)")):
        copy_weights(nn.RNN(3, 4), ElmanRNN(2, 4))
    with pytest.raises(ValueError, match=r"source shape \(5, \d\), destination shape \(4, \d\)"):
        copy_weights(ElmanRNN(3, 5), nn.RNN(3, 4))
    # layer 0 fits, layer 1 does not (input 2H vs H): the error comes before anything is copied
    src, dst = nn.RNN(3, 4, num_layers=2, bidirectional=True), ElmanRNN(3, 4, num_layers=2, bidirectional=True)
    with torch.no_grad():
        src.weight_ih_l1 = nn.Parameter(torch.zeros(4, 4))  # a wrong shape in a later parameter
    before = {n: p.detach().clone() for n, p in dst.named_parameters()}
    with pytest.raises(ValueError, match=re.escape("weight_ih_l1: source shape (4, 4), destination shape (4, 8)")):
        copy_weights(src, dst)
    for name, p in dst.named_parameters():
        assert torch.equal(p, before[name]), name


def test_copy_weights_between_two_elman_rnns_and_across_dtypes():
    torch.manual_seed(0)
    a, b = ElmanRNN(3, 4, num_layers=2, bidirectional=True), ElmanRNN(3, 4, num_layers=2, bidirectional=True).double()
    copy_weights(a, b)
    for (name, pa), (_, pb) in zip(a.named_parameters(), b.named_parameters()):
        assert pb.dtype == torch.float64
        torch.testing.assert_close(pb, pa.double(), rtol=0, atol=0, msg=name)
    assert all(p.requires_grad for p in b.parameters())
    assert all(isinstance(p, nn.Parameter) for p in b.parameters())


def test_copy_weights_refuses_a_relu_rnn_into_the_courses_tanh_rnn_whose_outputs_would_differ():
    torch.manual_seed(0)
    relu = nn.RNN(3, 4, nonlinearity="relu", batch_first=True)
    mine = ElmanRNN(3, 4)
    before = {n: p.detach().clone() for n, p in mine.named_parameters()}
    with pytest.raises(ValueError, match=r"source RNN uses nonlinearity='relu'.*destination ElmanRNN uses 'tanh'"):
        copy_weights(relu, mine)
    with pytest.raises(ValueError, match="nonlinearity"):
        copy_weights(mine, relu)
    assert all(torch.equal(p, before[n]) for n, p in mine.named_parameters())


def test_copy_weights_between_two_relu_rnns_still_copies():
    a, b = nn.RNN(3, 4, nonlinearity="relu"), nn.RNN(3, 4, nonlinearity="relu")
    copy_weights(a, b)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


@pytest.mark.parametrize("make", [lambda: ElmanRNN(3, 4), lambda: GRU(3, 4), lambda: LSTM(3, 4),
                                  lambda: LSTM(3, 4, batch_first=True)], ids=["RNN", "GRU", "LSTM", "LSTM-batch-first"])
def test_recurrent_layers_refuse_an_empty_sequence_naming_t_0_and_the_shape(make):
    layer = make()
    x = torch.zeros(2, 0, 3) if layer.batch_first else torch.zeros(0, 2, 3)
    with pytest.raises(ValueError, match=r"x has no time steps \(T = 0, x shape \((2, 0|0, 2), 3\)\)"):
        layer(x)
    with pytest.raises(ValueError, match=r"T = 0, x shape \(0, 3\)"):
        layer(torch.zeros(0, 3))


def test_unbatched_input_with_a_3d_h0_names_the_users_shape_and_the_expected_one():
    rnn = GRU(3, 4, num_layers=2)
    with pytest.raises(ValueError, match=re.escape("for unbatched input x (5, 3), h0 must have shape "
                                                   "(num_layers * num_directions, H) = (2, 4), got (2, 1, 4)")):
        rnn(torch.zeros(5, 3), torch.zeros(2, 1, 4))
    lstm = LSTM(3, 4)
    with pytest.raises(ValueError, match=re.escape("c0 must have shape (num_layers * num_directions, H) = (1, 4), got (1, 1, 4)")):
        lstm(torch.zeros(5, 3), (torch.zeros(1, 4), torch.zeros(1, 1, 4)))
    out, h = rnn(torch.zeros(5, 3), torch.zeros(2, 4))           # the right shape still works
    assert out.shape == (5, 4) and h.shape == (2, 4)


@pytest.mark.parametrize("state", [torch.zeros(2, 4), (torch.zeros(2, 4),), [torch.zeros(2, 4)] * 3],
                         ids=["tensor", "1-tuple", "3-list"])
def test_lstm_cell_refuses_a_state_that_is_not_an_h_c_pair(state):
    cell = LSTMCell(3, 4)
    with pytest.raises(TypeError, match=r"LSTMCell's state must be a pair \(h, c\) of tensors, each \(B, 4\)"):
        cell(torch.zeros(2, 3), state)
