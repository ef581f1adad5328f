# %% [markdown]
# # Day 03 — The LSTM from scratch
#
# On Day 01 you measured why a vanilla RNN forgets: the gradient reaching an early step is a product of
# one Jacobian per step, and it shrinks geometrically. On Day 02 you built gates. Today you put four of
# them together into the **long short-term memory** cell (Hochreiter & Schmidhuber, 1997, with the
# forget gate of Gers et al., 2000), the recurrent cell that carried sequence modelling for twenty
# years. You write it three times — NumPy forward, NumPy backward, PyTorch — and each time prove that it
# computes exactly what `torch.nn.LSTM` computes. Then you train a tiny LSTM to count brackets and watch
# its gates and its cell state at work.
#
# **By the end of today you can**
# 1. write the LSTM equations and say what each gate does, in PyTorch's weight layout (gate order
#    i, f, g, o, one fused matrix per input, two bias vectors);
# 2. implement the cell's forward and backward pass in NumPy and check the backward pass against
#    finite differences;
# 3. write an LSTM cell and a sequence module in PyTorch that match `nn.LSTMCell` and `nn.LSTM` to the
#    last digit when given their weights;
# 4. count an LSTM's parameters from its sizes, and explain the peephole variant;
# 5. read gate activations and the cell state of a trained LSTM, and explain how the cell state carries
#    information (and gradients) across many steps.
#
# **How this notebook works.** Each exercise is one function or class. Replace
# `raise NotImplementedError()` with your code, then run the test cell right below it: it tells you
# what is wrong if something is. Those visible tests are a first check; when your notebook is graded,
# more tests (edge cases, float64, parity with PyTorch on random weights, gradients) are run too.
# Before submitting, restart the kernel and run everything, then press **Validate**.
# Validate's "Success!" and a test cell's "✓ … passed" mean that the visible tests passed, not a
# grade: graders run hidden tests too.
#
# Points: 14 autograded (six exercises), 2 for the reflection at the end.

# %%

import numpy as np
import torch
import matplotlib.pyplot as plt
from torch import nn

from course_lib.notebook.runtime import setup_notebook, budget, seed_everything
from course_lib.notebook.checks import (check_close, check_equal, check_shape, check_dtype, check_type, check_true,
                                        count_matrix_products, run_answer)
from course_lib.notebook.plotting import PALETTE
from course_lib.notebook.timing import best_time
from course_lib.layers.recurrent import copy_weights

device = setup_notebook(seed=0)

# %% [markdown]
# ## 1. The cell
#
# An LSTM carries **two** states from step to step: the hidden state $h_t \in \mathbb{R}^H$, which is
# its output, and the **cell state** $c_t \in \mathbb{R}^H$, its memory. At every step it computes four
# vectors from the input $x_t \in \mathbb{R}^D$ and the previous hidden state:
#
# $$\begin{aligned}
# i_t &= \sigma\!\left(x_t W_{ii}^\top + b_{ii} + h_{t-1} W_{hi}^\top + b_{hi}\right)\\
# f_t &= \sigma\!\left(x_t W_{if}^\top + b_{if} + h_{t-1} W_{hf}^\top + b_{hf}\right)\\
# g_t &= \tanh\!\left(x_t W_{ig}^\top + b_{ig} + h_{t-1} W_{hg}^\top + b_{hg}\right)\\
# o_t &= \sigma\!\left(x_t W_{io}^\top + b_{io} + h_{t-1} W_{ho}^\top + b_{ho}\right)
# \end{aligned}$$
#
# — the **input gate** $i_t$ (how much to write), the **forget gate** $f_t$ (how much of the old memory
# to keep), the **candidate** $g_t$ (what to write, in $(-1, 1)$) and the **output gate** $o_t$ (how much
# of the memory to show) — and then updates the two states:
#
# $$c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t).$$
#
# $\sigma$ is the logistic sigmoid, so the three gates lie in $(0, 1)$, and $\odot$ multiplies element
# by element. The cell-state update is the heart of the LSTM: the old memory is *scaled* by $f_t$ and
# new content is *added*; no weight matrix and no squashing non-linearity sits on the path from
# $c_{t-1}$ to $c_t$. With $f_t \approx 1$ and $i_t \approx 0$ the memory rides along unchanged — the
# "conveyor belt" — and so does the gradient (Section 2).
#
# **PyTorch's layout.** The four input matrices are stacked into one $W_{ih}$ of shape $(4H, D)$, the
# four recurrent matrices into one $W_{hh}$ of shape $(4H, H)$, and the biases into two vectors
# $b_{ih}, b_{hh}$ of shape $(4H,)$, in the order **i, f, g, o**: rows $0{:}H$ belong to the input gate,
# $H{:}2H$ to the forget gate, $2H{:}3H$ to the candidate, $3H{:}4H$ to the output gate. One matrix
# multiplication per input then computes all four pre-activations at once:
#
# $$a_t = x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh} \in \mathbb{R}^{B \times 4H}, \qquad
# [a_i, a_f, a_g, a_o] = \text{the four column blocks of } a_t.$$
#
# Course notes often write the gates in another order ($f, i, \tilde c, o$ is common) and stack
# $[h_{t-1}, x_t]$ into one matrix. The mathematics is the same; the weights are not interchangeable. Today we use
# PyTorch's convention everywhere, so you can copy weights to and from `nn.LSTM`.
#
# Do not take the order on trust: ask `nn.LSTMCell` itself. Below, a cell with one unit has all its
# weights set to zero and every bias to 2 (so every gate is $\sigma(2) = 0.88$ and $g = \tanh(2) = 0.96$),
# starts from $c_{t-1} = 3$, and then one block of rows at a time gets the bias $-20$.

# %%
probe = nn.LSTMCell(1, 1).double()
x0, h0 = torch.zeros(1, 1, dtype=torch.float64), torch.zeros(1, 1, dtype=torch.float64)
c0 = torch.full((1, 1), 3.0, dtype=torch.float64)
print("bias_ih block set to -20 |   c_t   |   h_t")
for block in [None, 0, 1, 2, 3]:
    with torch.no_grad():
        for p in probe.parameters():
            p.zero_()
        probe.bias_ih.fill_(2.0)
        if block is not None:
            probe.bias_ih[block] = -20.0  # H = 1: block k is row k
    with torch.no_grad():
        h1, c1 = probe(x0, (h0, c0))
    label = "none (every gate 0.88)" if block is None else "rows " + ["0:H", "H:2H", "2H:3H", "3H:4H"][block]
    print(f"{label:23s} | {c1.item():7.3f} | {h1.item():6.3f}")

# %% [markdown]
# Read the table against the equations. Closing rows $0{:}H$ leaves $c_t = 0.88 \cdot 3 = 2.64$: nothing
# is written, so that block is the **input gate**. Closing rows $H{:}2H$ leaves only the newly written
# $0.88 \cdot 0.96 = 0.85$: the old memory is erased, the **forget gate**. Rows $2H{:}3H$ turn what is
# written negative ($g = \tanh(-20) = -1$): the **candidate**. Rows $3H{:}4H$ leave $c_t$ alone and set
# $h_t = 0$: the **output gate**. Order i, f, g, o.
#
# Why two bias vectors? Only their sum $b_{ih} + b_{hh}$ enters the equations, so one of them is
# redundant; PyTorch keeps both for compatibility with cuDNN. Moving any amount from one to the other
# changes nothing:

# %%
torch.manual_seed(0)
cell64 = nn.LSTMCell(3, 4).double()
x_demo = torch.randn(2, 3, dtype=torch.float64)
state_demo = (torch.randn(2, 4, dtype=torch.float64), torch.randn(2, 4, dtype=torch.float64))
with torch.no_grad():
    before = cell64(x_demo, state_demo)
    shift = torch.randn(16, dtype=torch.float64)
    cell64.bias_ih += shift
    cell64.bias_hh -= shift
    after = cell64(x_demo, state_demo)
print(f"max |change| of (h, c) after moving a random vector between the two biases: "
      f"{max((a - b).abs().max().item() for a, b in zip(before, after)):.1e}")

# %% [markdown]
# The probe of the table above, turned into two tools that the tests of Exercises 1 and 2 use, so they
# can check your NumPy code against `nn.LSTMCell` itself. `nn_lstm_step` runs one `nn.LSTMCell` step on
# NumPy arrays. `nn_lstm_gates` reads the four gate activations off `nn.LSTMCell` by forcing blocks of
# the bias, as above: with the candidate forced to $g = \tanh(a_g + 100) = 1$ and $c_{t-1} = 0$, the cell
# returns $c_t = i_t$; with $c_{t-1} = 1$ it returns $c_t = f_t + i_t$; unchanged, $c_t = i_t g_t$; and with
# the forget gate forced to 1 and $c_{t-1} = 100$, $\tanh(c_t) = 1$ in float64, so $h_t = o_t$.

# %%
def nn_lstm_step(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh, force=None):
    """One nn.LSTMCell step on NumPy arrays (float64): returns (h, c). `force` = (block k, shift) adds
    `shift` to rows kH:(k+1)H of the bias (block 0 input gate, 1 forget gate, 2 candidate, 3 output gate)."""
    as64 = lambda a: torch.as_tensor(np.asarray(a), dtype=torch.float64)  # noqa: E731
    H = np.shape(h_prev)[1]
    cell = nn.LSTMCell(np.shape(x)[1], H).double()
    with torch.no_grad():
        for p, w in zip((cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh), (W_ih, W_hh, b_ih, b_hh)):
            p.copy_(as64(w))
        if force is not None:
            cell.bias_ih[force[0] * H:(force[0] + 1) * H] += force[1]
        h, c = cell(as64(x), (as64(h_prev), as64(c_prev)))
    return h.numpy(), c.numpy()


def nn_lstm_gates(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    """nn.LSTMCell's gate activations for one step, read off with the bias probe: a dict with
    i, f, g, o and tanh_c (tanh of the new cell state), each (B, H) float64."""
    weights = (W_ih, W_hh, b_ih, b_hh)
    zeros = np.zeros(np.shape(c_prev))
    _, i = nn_lstm_step(x, h_prev, zeros, *weights, force=(2, 100.0))            # g = 1, c_prev = 0: c = i
    _, f_plus_i = nn_lstm_step(x, h_prev, zeros + 1, *weights, force=(2, 100.0))  # c_prev = 1: c = f + i
    _, i_times_g = nn_lstm_step(x, h_prev, zeros, *weights)                     # c = i * g
    o, _ = nn_lstm_step(x, h_prev, zeros + 100, *weights, force=(1, 100.0))     # f = 1, tanh(c) = 1: h = o
    _, c = nn_lstm_step(x, h_prev, c_prev, *weights)
    return dict(i=i, f=f_plus_i - i, g=i_times_g / i, o=o, tanh_c=np.tanh(c))


# the probe against what the cell itself returns, on random weights: h = o * tanh(c) must hold
_r = np.random.default_rng(1)
_demo = [_r.normal(size=s) for s in [(2, 3), (2, 4), (2, 4), (16, 3), (16, 4), (16,), (16,)]]
_gates = nn_lstm_gates(*_demo)
print(f"max |o * tanh(c) - h| with the probed gates: {np.abs(_gates['o'] * _gates['tanh_c'] - nn_lstm_step(*_demo)[0]).max():.1e}")

# %% [markdown]
# ### Exercise 1 — one LSTM step in NumPy (2 points)
#
# Write `lstm_cell_forward_np`. Shapes: `x` $(B, D)$, `h_prev` and `c_prev` $(B, H)$, `W_ih` $(4H, D)$,
# `W_hh` $(4H, H)$, `b_ih` and `b_hh` $(4H,)$. Return `(h, c, cache)` where `h` and `c` are $(B, H)$ and
# `cache` is a dict that the backward pass (Exercise 2) will need. It must contain these keys:
#
# | key | value |
# |---|---|
# | `"x"`, `"h_prev"`, `"c_prev"`, `"W_ih"`, `"W_hh"` | the arguments, as given |
# | `"i"`, `"f"`, `"g"`, `"o"` | the gate activations (after $\sigma$ / $\tanh$), each $(B, H)$ |
# | `"tanh_c"` | $\tanh(c_t)$, $(B, H)$ |
#
# One matrix product per weight matrix, then `np.split(a, 4, axis=1)` gives the four blocks in PyTorch's
# order. Compute in the dtype you are given (float64 stays float64).

# %% nbgrader="answer" grade_id="lstm_cell_forward_np"
def sigmoid(a: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + exp(-a)), element by element."""
    return 1.0 / (1.0 + np.exp(-a))


def lstm_cell_forward_np(x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray, W_ih: np.ndarray,
                         W_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray, dict]:
    """One LSTM step, PyTorch's gate order i, f, g, o.

    x: (B, D), h_prev: (B, H), c_prev: (B, H), W_ih: (4H, D), W_hh: (4H, H), b_ih: (4H,), b_hh: (4H,)
    returns h: (B, H), c: (B, H), cache: dict with x, h_prev, c_prev, W_ih, W_hh, i, f, g, o, tanh_c
    """
    ### BEGIN SOLUTION
    a = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh          # (B, 4H)
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)              # each (B, H)
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    c = f * c_prev + i * g                                   # (B, H)
    tanh_c = np.tanh(c)
    h = o * tanh_c                                           # (B, H)
    cache = dict(x=x, h_prev=h_prev, c_prev=c_prev, W_ih=W_ih, W_hh=W_hh, i=i, f=f, g=g, o=o, tanh_c=tanh_c)
    return h, c, cache
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_lstm_cell_forward_np" points=2
_rng = np.random.default_rng(0)
_args = dict(x=_rng.normal(size=(2, 3)), h_prev=_rng.normal(size=(2, 4)), c_prev=_rng.normal(size=(2, 4)),
             W_ih=_rng.normal(size=(16, 3)), W_hh=_rng.normal(size=(16, 4)), b_ih=_rng.normal(size=16),
             b_hh=_rng.normal(size=16))
_want_gates = nn_lstm_gates(**_args)                 # expected values first, from nn.LSTMCell
_want_h, _want_c = nn_lstm_step(**_args)
_zero = {k: np.zeros_like(v) if k[0] in "Wb" else v for k, v in _args.items()}
_out = run_answer(lstm_cell_forward_np, **_args, name="lstm_cell_forward_np (B=2, D=3, H=4)")
check_true(isinstance(_out, tuple) and len(_out) == 3, "lstm_cell_forward_np return value",
           f"expected the tuple (h, c, cache), got {type(_out).__name__}", hint="return h, c, cache")
h, c, cache = _out
check_type(h, np.ndarray, "lstm_cell_forward_np h")
check_shape(h, (2, 4), "lstm_cell_forward_np h (B=2, H=4)", hint="x @ W_ih.T is (B, 4H); each gate is one (B, H) block")
check_shape(c, (2, 4), "lstm_cell_forward_np c (B=2, H=4)", hint="c has the shape of c_prev")
check_dtype(c, np.float64, "lstm_cell_forward_np c for float64 inputs",
            hint="compute in the dtype you are given: no .astype(np.float32), no np.float32 arrays")
check_type(cache, dict, "lstm_cell_forward_np cache")
_missing = sorted({"x", "h_prev", "c_prev", "W_ih", "W_hh", "i", "f", "g", "o", "tanh_c"} - set(cache))
check_true(not _missing, "lstm_cell_forward_np cache keys", f"missing keys {_missing}",
           hint="the table in the exercise lists every key the backward pass reads")
for _k in ("x", "h_prev", "W_ih", "W_hh"):
    check_close(cache[_k], _args[_k], f"cache['{_k}'] is the argument {_k} as given",
                hint=f"store the argument {_k} itself, unchanged")
check_close(cache["c_prev"], _args["c_prev"], "cache['c_prev'] is the old cell state as given",
            hint="the backward pass needs c_(t-1) (dL/df = dL/dc_t * c_prev): store the argument, not the new c, "
                 "and don't update c_prev in place")
_h0w, _c0w, _ = run_answer(lstm_cell_forward_np, **_zero, name="lstm_cell_forward_np with every weight and bias 0")
check_close(_c0w, 0.5 * _args["c_prev"], "c when every weight and bias is 0 (each gate is 0.5, g is 0)",
            hint="c = f * c_prev + i * g, with the forget gate a sigmoid")
check_close(_h0w, 0.5 * np.tanh(0.5 * _args["c_prev"]), "h when every weight and bias is 0",
            hint="h = o * tanh(c), with the output gate a sigmoid")
_a = "a = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh"
for _k, _hint in [("i", f"the input gate is sigmoid of rows 0:H of {_a} (both biases, the recurrent term reads h_prev)"),
                  ("f", "the forget gate is sigmoid of rows H:2H of a (the activation, after the sigmoid)"),
                  ("g", "the candidate is tanh of rows 2H:3H of a: PyTorch's order is i, f, g, o"),
                  ("o", "the output gate is sigmoid of rows 3H:4H of a: PyTorch's order is i, f, g, o")]:
    check_close(cache[_k], _want_gates[_k], f"cache['{_k}'] against nn.LSTMCell's gate (random weights, h_prev != 0)",
                hint=_hint)
check_close(c, _want_c, "c against nn.LSTMCell (random weights, h_prev != 0)",
            hint="c = f * c_prev + i * g: the forget gate scales the old memory, the input gate the candidate")
check_close(h, _want_h, "h against nn.LSTMCell (random weights, h_prev != 0)", hint="h = o * tanh(c)")
check_close(c, _want_c, "c against nn.LSTMCell in float64 (to 1e-10)", atol=1e-10, rtol=1e-8,
            hint="right to float32 precision only: float64 agrees to ~1e-15 unless something (a, a gate) is "
                 "computed in float32; compute in the dtype you are given")
check_close(cache["tanh_c"], _want_gates["tanh_c"], "cache['tanh_c'] against tanh of nn.LSTMCell's c",
            hint="tanh_c is tanh of the new cell state c_t, not c_t itself nor tanh(c_prev)")
### BEGIN HIDDEN TESTS
import course_lib.layers.lstm as _ref_lstm
from course_lib.notebook.rules import written_by_you

_cell = nn.LSTMCell(5, 3).double()
_P = [p.detach().numpy().copy() for p in (_cell.weight_ih, _cell.weight_hh, _cell.bias_ih, _cell.bias_hh)]
_P[1] = _P[1] * 3  # a strong recurrent term: a missing or misplaced h_prev shows
_rng = np.random.default_rng(10)
_x, _h, _c = _rng.normal(size=(4, 5)), _rng.normal(size=(4, 3)), 2 * _rng.normal(size=(4, 3))
with torch.no_grad():  # the same strong recurrent term in nn.LSTMCell
    _cell.weight_hh.mul_(3)
    _want_h, _want_c = (t.numpy() for t in _cell(torch.from_numpy(_x), (torch.from_numpy(_h), torch.from_numpy(_c))))
_, _, _want_cache = _ref_lstm.lstm_cell_forward_np(_x, _h, _c, *_P)
_want_h1, _want_c1, _want_cache1 = _ref_lstm.lstm_cell_forward_np(_x[2:3], _h[2:3], _c[2:3], *_P)
_keys = ("x", "h_prev", "c_prev", "W_ih", "W_hh", "i", "f", "g", "o", "tanh_c")
with written_by_you("lstm_cell_forward_np"):
    _what = "random h_prev and c_prev, both biases, float64"
    _got_h, _got_c, _got_cache = run_answer(lstm_cell_forward_np, _x, _h, _c, *_P, name=f"hidden check: {_what}")
    check_close(_got_h, _want_h, f"hidden check: h matches nn.LSTMCell ({_what})", atol=1e-10, rtol=1e-8)
    check_close(_got_c, _want_c, f"hidden check: c matches nn.LSTMCell ({_what})", atol=1e-10, rtol=1e-8)
    check_dtype(_got_h, np.float64, "hidden check: float64 stays float64 (h)")
    check_dtype(_got_cache["tanh_c"], np.float64, "hidden check: float64 stays float64 (cache)")
    for _k in _keys:
        check_close(_got_cache[_k], _want_cache[_k], f"hidden check: cache['{_k}'] ({_what})", atol=1e-10, rtol=1e-8)
    _got_h, _got_c, _got_cache = run_answer(lstm_cell_forward_np, _x[2:3], _h[2:3], _c[2:3], *_P,
                                            name="hidden check: batch of one with a given state")
    check_close(_got_h, _want_h1, "hidden check: h, batch of one with a given (h_prev, c_prev)", atol=1e-10, rtol=1e-8)
    check_close(_got_c, _want_c1, "hidden check: c, batch of one with a given (h_prev, c_prev)", atol=1e-10, rtol=1e-8)
    for _k in _keys:
        check_close(_got_cache[_k], _want_cache1[_k], f"hidden check: cache['{_k}'], batch of one", atol=1e-10, rtol=1e-8)
### END HIDDEN TESTS

# %% [markdown]
# ## 2. Backward through one cell
#
# To train, we need the gradient of a loss $L$ with respect to everything the step read. Two gradients
# arrive at a step from outside: $\delta h = \partial L / \partial h_t$ (from the output at step $t$ and
# from step $t+1$) and $\delta c = \partial L / \partial c_t$ (from step $t+1$, which read $c_t$). Walk the
# forward equations backwards, using $\sigma'(a) = \sigma(a)(1 - \sigma(a))$ and
# $\tanh'(a) = 1 - \tanh^2(a)$:
#
# 1. $h_t = o_t \odot \tanh(c_t)$ gives $\;\delta o = \delta h \odot \tanh(c_t)$, and a **second path into
#    $c_t$**: everything that reaches $c_t$ is
#    $\;\delta c_{\text{total}} = \delta c + \delta h \odot o_t \odot (1 - \tanh^2(c_t))$.
# 2. $c_t = f_t \odot c_{t-1} + i_t \odot g_t$ gives $\;\delta i = \delta c_{\text{total}} \odot g_t$,
#    $\;\delta f = \delta c_{\text{total}} \odot c_{t-1}$, $\;\delta g = \delta c_{\text{total}} \odot i_t$ and
#    $\;\partial L / \partial c_{t-1} = \delta c_{\text{total}} \odot f_t$.
# 3. Through the non-linearities: $\delta a_i = \delta i \odot i_t (1 - i_t)$, the same for $f$ and $o$, and
#    $\delta a_g = \delta g \odot (1 - g_t^2)$. Put them side by side in the order i, f, g, o:
#    $\delta a$ is $(B, 4H)$.
# 4. Through the fused matrix products, exactly as for a linear layer: $\partial L/\partial x = \delta a\, W_{ih}$,
#    $\partial L/\partial h_{t-1} = \delta a\, W_{hh}$, $\partial L/\partial W_{ih} = \delta a^\top x$,
#    $\partial L/\partial W_{hh} = \delta a^\top h_{t-1}$, and both bias gradients are $\delta a$ summed over
#    the batch.
#
# Look at step 2 again: the gradient reaching $c_{t-1}$ is $\delta c_{\text{total}}$ times $f_t$ — no weight
# matrix, no $\tanh'$. Over many steps it is multiplied by a product of forget gates, which shrinks only
# slowly as long as the gates stay close to 1 — Day 02's additive path, now inside a full cell. Compare
# Day 01, where every step multiplied by $\operatorname{diag}(1 - h_k^2)\, W_{hh}$.
#
# ### Exercise 2 — the backward pass in NumPy (3 points)
#
# Write `lstm_cell_backward_np(dh, dc, cache)`. `dh` and `dc` are $(B, H)$; `cache` is the dict of
# Exercise 1 (use only the keys listed there: the tests build it from `nn.LSTMCell`'s gates, so a slip
# in your forward cannot spoil this exercise). Return a dict with the gradients of
# `"x"`, `"h_prev"`, `"c_prev"`, `"W_ih"`, `"W_hh"`, `"b_ih"`, `"b_hh"`, each shaped like the argument it
# belongs to. No autograd: this is the NumPy that autograd saves you from writing.
#
# The tests compare your gradients with **finite differences**: nudge one input entry by $\pm\varepsilon$,
# rerun the forward pass, and divide the change of $L$ by $2\varepsilon$. That is slow (two forward passes
# per entry) but needs no calculus, so it is the standard check for a hand-written backward pass:

# %%
def numerical_gradient(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central finite differences of the scalar function f() with respect to the array x.
    f takes no arguments and reads x, which is changed in place and restored. Returns x's shape."""
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        up = f()
        x[idx] = old - eps
        down = f()
        x[idx] = old
        grad[idx] = (up - down) / (2 * eps)
    return grad


# %% nbgrader="answer" grade_id="lstm_cell_backward_np"
def lstm_cell_backward_np(dh: np.ndarray, dc: np.ndarray, cache: dict) -> dict[str, np.ndarray]:
    """Gradients of one LSTM step.

    dh: (B, H) = dL/dh_t, dc: (B, H) = dL/dc_t from the next step, cache: from lstm_cell_forward_np
    returns {"x": (B, D), "h_prev": (B, H), "c_prev": (B, H), "W_ih": (4H, D), "W_hh": (4H, H),
             "b_ih": (4H,), "b_hh": (4H,)}
    """
    ### BEGIN SOLUTION
    i, f, g, o, tanh_c = (cache[k] for k in ("i", "f", "g", "o", "tanh_c"))
    do = dh * tanh_c
    dc_total = dc + dh * o * (1.0 - tanh_c ** 2)             # both paths into c_t
    di, df, dg = dc_total * g, dc_total * cache["c_prev"], dc_total * i
    da = np.concatenate([di * i * (1.0 - i), df * f * (1.0 - f), dg * (1.0 - g ** 2), do * o * (1.0 - o)],
                        axis=1)                               # (B, 4H), order i, f, g, o
    return {"x": da @ cache["W_ih"], "h_prev": da @ cache["W_hh"], "c_prev": dc_total * f,
            "W_ih": da.T @ cache["x"], "W_hh": da.T @ cache["h_prev"], "b_ih": da.sum(axis=0),
            "b_hh": da.sum(axis=0)}
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_lstm_cell_backward_np" points=3
_rng = np.random.default_rng(4)
_args = dict(x=_rng.normal(size=(3, 2)), h_prev=_rng.normal(size=(3, 4)), c_prev=_rng.normal(size=(3, 4)),
             W_ih=_rng.normal(size=(16, 2)), W_hh=_rng.normal(size=(16, 4)), b_ih=_rng.normal(size=16),
             b_hh=_rng.normal(size=16))
_cache = {**{k: _args[k] for k in ("x", "h_prev", "c_prev", "W_ih", "W_hh")}, **nn_lstm_gates(**_args)}
_dh, _dc, _none = _rng.normal(size=(3, 4)), _rng.normal(size=(3, 4)), np.zeros((3, 4))
# expected values first: finite differences of L = sum(dh * h_t) + sum(dc * c_t) through nn.LSTMCell
_loss_h = lambda: float(np.sum(_dh * nn_lstm_step(**_args)[0]))  # noqa: E731  (dL/dc_t = 0)
_loss_c = lambda: float(np.sum(_dc * nn_lstm_step(**_args)[1]))  # noqa: E731  (dL/dh_t = 0)
_want_h = {k: numerical_gradient(_loss_h, _args[k]) for k in _args}
_want_c = {k: numerical_gradient(_loss_c, _args[k]) for k in _args}
grads = run_answer(lstm_cell_backward_np, _dh, _none, _cache, name="lstm_cell_backward_np (B=3, D=2, H=4)")
check_type(grads, dict, "lstm_cell_backward_np return value")
check_equal(sorted(grads), sorted(_args), "lstm_cell_backward_np keys")
for _k, _v in _args.items():
    check_shape(grads[_k], _v.shape, f"gradient for {_k}",
                hint="a gradient has the shape of what it is the gradient of (W_ih: da.T @ x, not x.T @ da)")
check_close(grads["c_prev"], _want_h["c_prev"], "dL/dc_prev with dL/dc_t = 0 (finite differences)", atol=1e-6,
            hint="dL/dh_t also reaches c_t through h_t = o * tanh(c_t): dc_total = dc + dh * o * (1 - tanh(c_t)**2); "
                 "then dL/dc_prev = dc_total * f")
_da_hint = ("da = [di * i(1-i), df * f(1-f), dg * (1-g**2), do * o(1-o)] side by side in the order i, f, g, o; "
            "each bias gradient is da summed (not averaged) over the batch")
for _k in ("b_ih", "b_hh"):
    check_close(grads[_k], _want_h[_k], f"dL/d{_k} with dL/dc_t = 0 (finite differences)", atol=1e-6, hint=_da_hint)
for _k, _hint in [("x", "dL/dx = da @ W_ih"), ("h_prev", "dL/dh_prev = da @ W_hh (the recurrent weights)"),
                  ("W_ih", "dL/dW_ih = da.T @ x, summed over the batch by the product"),
                  ("W_hh", "dL/dW_hh = da.T @ h_prev (the previous hidden state, not the new one)")]:
    check_close(grads[_k], _want_h[_k], f"dL/d{_k} with dL/dc_t = 0 (finite differences)", atol=1e-6, hint=_hint)
grads = run_answer(lstm_cell_backward_np, _none, _dc, _cache, name="lstm_cell_backward_np with dL/dh_t = 0")
check_close(grads["c_prev"], _want_c["c_prev"], "dL/dc_prev with dL/dh_t = 0 and dL/dc_t from the next step",
            atol=1e-6, hint="the incoming dc (from step t+1) is part of what reaches c_t; dL/dc_prev = dc_total * f")
for _k in ("x", "h_prev", "W_ih", "W_hh", "b_ih", "b_hh"):
    check_close(grads[_k], _want_c[_k], f"dL/d{_k} with dL/dh_t = 0 and dL/dc_t from the next step", atol=1e-6,
                hint="dc reaches the gates too: di = dc_total * g, df = dc_total * c_prev, dg = dc_total * i "
                     "(do gets nothing from it)")
### BEGIN HIDDEN TESTS
import course_lib.layers.lstm as _ref_lstm
from course_lib.notebook.rules import written_by_you


def _autograd_reference(args, dh, dc):
    t = {k: torch.tensor(v, requires_grad=True) for k, v in args.items()}
    h, c = _ref_lstm.lstm_cell(t["x"], (t["h_prev"], t["c_prev"]), t["W_ih"], t["W_hh"], t["b_ih"], t["b_hh"])
    ((h * torch.tensor(dh)).sum() + (c * torch.tensor(dc)).sum()).backward()
    return {k: v.grad.numpy() for k, v in t.items()}


_rng = np.random.default_rng(40)
_cases = []
for _B, _D, _H in [(3, 5, 2), (1, 2, 3)]:
    _a = dict(x=_rng.normal(size=(_B, _D)), h_prev=_rng.normal(size=(_B, _H)), c_prev=_rng.normal(size=(_B, _H)),
              W_ih=_rng.normal(size=(4 * _H, _D)), W_hh=_rng.normal(size=(4 * _H, _H)),
              b_ih=_rng.normal(size=4 * _H), b_hh=_rng.normal(size=4 * _H))
    _dh, _dc = _rng.normal(size=(_B, _H)), _rng.normal(size=(_B, _H))
    _cases.append((_a, _dh, _dc, _ref_lstm.lstm_cell_forward_np(**_a)[2], _autograd_reference(_a, _dh, _dc),
                   "batch of one" if _B == 1 else "batch 3, D != H"))
with written_by_you("lstm_cell_backward_np"):
    for _a, _dh, _dc, _cache, _want, _what in _cases:
        _got = run_answer(lstm_cell_backward_np, _dh, _dc, _cache, name=f"hidden check: {_what}")
        for _k in _a:
            check_close(_got[_k], _want[_k], f"hidden check: dL/d{_k}, dL/dh_t and dL/dc_t both non-zero, {_what}",
                        atol=1e-10, rtol=1e-8)
        check_dtype(_got["W_ih"], np.float64, "hidden check: float64 stays float64")
### END HIDDEN TESTS

# %% [markdown]
# The test above used $\partial L/\partial c_t = 0$. Here is the full gradient check, with gradients
# arriving at both $h_t$ and $c_t$, for every input of the step. The relative error
# $|a - n| / (|a| + |n|)$ between your analytic gradient $a$ and the numerical one $n$ is limited by the
# finite differences themselves, typically $10^{-6}$ or less in float64; anything above $10^{-4}$ means a
# bug. It runs your own forward and backward passes, so a slip in either shows here.

# %%
rng = np.random.default_rng(7)
B, D, H = 2, 3, 4
args = dict(x=rng.normal(size=(B, D)), h_prev=rng.normal(size=(B, H)), c_prev=rng.normal(size=(B, H)),
            W_ih=rng.normal(size=(4 * H, D)), W_hh=rng.normal(size=(4 * H, H)), b_ih=rng.normal(size=4 * H),
            b_hh=rng.normal(size=4 * H))
dh, dc = rng.normal(size=(B, H)), rng.normal(size=(B, H))


def loss_of_one_step() -> float:
    h, c, _ = lstm_cell_forward_np(**args)
    return float(np.sum(dh * h) + np.sum(dc * c))          # so that dL/dh_t = dh and dL/dc_t = dc


_, _, cache = lstm_cell_forward_np(**args)
analytic = lstm_cell_backward_np(dh, dc, cache)
for name, value in args.items():
    numeric = numerical_gradient(loss_of_one_step, value)
    rel = np.abs(analytic[name] - numeric) / np.maximum(np.abs(analytic[name]) + np.abs(numeric), 1e-12)
    print(f"dL/d{name:7s} {str(value.shape):8s} largest relative error {rel.max():.1e}")

# %% [markdown]
# ### Backpropagation through time with your cell
#
# A whole sequence needs nothing more. Run the forward step $T$ times and keep the caches; then walk
# back from $t = T$ to $1$, feeding each step the gradient from its own output plus the
# `"h_prev"` gradient of the step after it, and the `"c_prev"` gradient of the step after it as its
# `dc`. The weights are shared, so their gradients add up over the steps. Below this is compared with
# PyTorch's autograd through `nn.LSTM` (float64, random weights, $T = 8$); a mistake in either of your
# NumPy functions shows as a large difference:

# %%
torch.manual_seed(1)
T, B, D, H = 8, 2, 3, 4
lstm64 = nn.LSTM(D, H).double()
weights = [getattr(lstm64, n).detach().numpy() for n in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")]
xs, dhs = rng.normal(size=(T, B, D)), rng.normal(size=(T, B, H))   # L = sum over t of dhs[t] * h_t

h, c, caches = np.zeros((B, H)), np.zeros((B, H)), []
for t in range(T):
    h, c, cache = lstm_cell_forward_np(xs[t], h, c, *weights)
    caches.append(cache)
bptt = {"x": np.zeros_like(xs), "W_ih": 0.0, "W_hh": 0.0, "b_ih": 0.0, "b_hh": 0.0}
dh_next, dc_next = np.zeros((B, H)), np.zeros((B, H))
for t in reversed(range(T)):
    g = lstm_cell_backward_np(dhs[t] + dh_next, dc_next, caches[t])
    dh_next, dc_next, bptt["x"][t] = g["h_prev"], g["c_prev"], g["x"]
    for k in ("W_ih", "W_hh", "b_ih", "b_hh"):
        bptt[k] = bptt[k] + g[k]

xs_t = torch.tensor(xs, requires_grad=True)
out, _ = lstm64(xs_t)                                              # (T, B, H)
(out * torch.tensor(dhs)).sum().backward()
autograd = {"x": xs_t.grad, "W_ih": lstm64.weight_ih_l0.grad, "W_hh": lstm64.weight_hh_l0.grad,
            "b_ih": lstm64.bias_ih_l0.grad, "b_hh": lstm64.bias_hh_l0.grad}
for k, v in autograd.items():
    print(f"dL/d{k:5s}: max |your BPTT - autograd through nn.LSTM| = {np.abs(bptt[k] - v.numpy()).max():.1e}")

# %% [markdown]
# ## 3. The LSTM in PyTorch
#
# ### Exercise 3 — the cell in PyTorch, with one fused matrix product (2 points)
#
# Write `lstm_cell(x, state, W_ih, W_hh, b_ih, b_hh)`, the same step on tensors: `x` is $(B, D)$,
# `state` is the tuple `(h_prev, c_prev)`, each $(B, H)$, the weights are laid out as in `nn.LSTMCell`,
# and it returns the tuple `(h, c)`. Requirements:
#
# - **one** matrix product per weight matrix: `x @ W_ih.T` computes all four gate blocks at once (the
#   grader counts the products; four or eight small ones do not count as fused);
# - `b_ih` and `b_hh` may be `None`, for a cell built with `bias=False`: then no bias is added;
# - split with `.chunk(4, dim=1)`, use `torch.sigmoid` and `torch.tanh`, and don't `.detach()` anything,
#   so autograd can differentiate through it;
# - compute in the dtype you are given (float64 stays float64).
#
# Why fuse? One large product does the same arithmetic as four small ones, but reaches the hardware in
# one call instead of four — measured after the exercise.

# %% nbgrader="answer" grade_id="lstm_cell"
def lstm_cell(x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor], W_ih: torch.Tensor, W_hh: torch.Tensor,
              b_ih: torch.Tensor | None, b_hh: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    """One LSTM step in torch, gate order i, f, g, o.

    x: (B, D), state: (h_prev (B, H), c_prev (B, H)), W_ih: (4H, D), W_hh: (4H, H), b_ih, b_hh: (4H,) or None
    returns (h: (B, H), c: (B, H))
    """
    ### BEGIN SOLUTION
    h_prev, c_prev = state
    a = x @ W_ih.T + h_prev @ W_hh.T                         # (B, 4H): all four gates in one product each
    if b_ih is not None:
        a = a + b_ih + b_hh
    a_i, a_f, a_g, a_o = a.chunk(4, dim=1)                   # each (B, H)
    c = torch.sigmoid(a_f) * c_prev + torch.sigmoid(a_i) * torch.tanh(a_g)
    h = torch.sigmoid(a_o) * torch.tanh(c)
    return h, c
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_lstm_cell" points=2
torch.manual_seed(0)
_cell = nn.LSTMCell(3, 4)
_x, _state = torch.randn(2, 3), (torch.randn(2, 4), torch.randn(2, 4))
_W = (_cell.weight_ih, _cell.weight_hh, _cell.bias_ih, _cell.bias_hh)
with torch.no_grad():  # expected values first
    _want_h, _want_c = _cell(_x, _state)
_out = run_answer(lstm_cell, _x, _state, *_W, name="lstm_cell (B=2, D=3, H=4)")
check_type(_out, tuple, "lstm_cell return value", hint="return the tuple (h, c)")
h, c = _out
check_type(h, torch.Tensor, "lstm_cell h")
check_shape(h, (2, 4), "lstm_cell h (B=2, H=4)")
check_shape(c, (2, 4), "lstm_cell c (B=2, H=4)")
check_close(c, _want_c, "c against nn.LSTMCell (random weights and state)",
            hint="gate order i, f, g, o (chunk(4, dim=1)); both biases are added; c = f * c_prev + i * g")
check_close(h, _want_h, "h against nn.LSTMCell (random weights and state)", hint="h = o * tanh(c)")
_cell0 = nn.LSTMCell(3, 4, bias=False).double()
_x1 = torch.randn(1, 3, dtype=torch.float64)
_state1 = (torch.randn(1, 4, dtype=torch.float64), torch.randn(1, 4, dtype=torch.float64))
with torch.no_grad():
    _want_h, _want_c = _cell0(_x1, _state1)
_out = run_answer(lstm_cell, _x1, _state1, _cell0.weight_ih, _cell0.weight_hh, None, None,
                  name="lstm_cell with b_ih = b_hh = None (bias=False), batch of one, float64",
                  hint="add the biases only when they are not None")
check_dtype(_out[0], torch.float64, "lstm_cell h for float64 inputs", hint="compute in the dtype you are given")
check_close(_out[1], _want_c, "c against nn.LSTMCell(bias=False), batch of one with a given state, float64",
            atol=1e-10, rtol=1e-8, hint="with b_ih = b_hh = None no bias is added; float64 agrees to ~1e-15 unless "
                                        "something is computed in float32 (torch.zeros(...) is float32)")
check_close(_out[0], _want_h, "h against nn.LSTMCell(bias=False), batch of one with a given state, float64",
            atol=1e-10, rtol=1e-8, hint="h = o * tanh(c)")
_xg, _hg, _cg = (t.detach().clone().requires_grad_(True) for t in (_x, *_state))
_want_dh, _want_dc = torch.autograd.grad(_cell(_xg, (_hg, _cg))[1].sum(), (_hg, _cg))  # expected gradients first
_hg, _cg = _hg.detach().clone().requires_grad_(True), _cg.detach().clone().requires_grad_(True)
_got_c = run_answer(lstm_cell, _xg.detach(), (_hg, _cg), *(w.detach() for w in _W), copy=False,
                    name="lstm_cell with h_prev and c_prev requiring grad",
                    hint="don't change h_prev or c_prev in place (no mul_, add_, *=): compute new tensors")[1]
_got_dh, _got_dc = torch.autograd.grad(_got_c.sum(), (_hg, _cg), allow_unused=True)
check_true(_got_dc is not None and _got_dh is not None, "gradient of c.sum() reaches h_prev and c_prev",
           "no gradient flows to " + ("c_prev" if _got_dc is None else "h_prev"),
           hint="no .detach(), .data or torch.no_grad() on the state: autograd must see every step")
check_close(_got_dc, _want_dc, "gradient of c.sum() with respect to c_prev against nn.LSTMCell (the forget gate)",
            hint="dc/dc_prev = f: c = f * c_prev + i * g, with c_prev itself, not a detached copy")
check_close(_got_dh, _want_dh, "gradient of c.sum() with respect to h_prev against nn.LSTMCell",
            hint="the gates read h_prev through h_prev @ W_hh.T: nothing detached")
with count_matrix_products() as _products:
    run_answer(lstm_cell, _x, _state, *_W, name="lstm_cell (B=2, D=3, H=4), counting its matrix products")
check_true(_products.count <= 2, "lstm_cell makes one fused matrix product per weight matrix",
           f"one step made {_products.count} matrix products (@, mm, bmm, matmul, einsum, F.linear... all count)",
           hint="x @ W_ih.T gives all four gate blocks at once, and h_prev @ W_hh.T likewise: two products in all")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you

torch.manual_seed(3)
_ref = nn.LSTMCell(5, 3).double()
with torch.no_grad():  # a strong recurrent term
    _ref.weight_hh.mul_(3)
_leaves = lambda ts: [t.detach().clone().requires_grad_(True) for t in ts]  # noqa: E731
_x, _h, _c = (torch.randn(4, n, dtype=torch.float64, requires_grad=True) for n in (5, 3, 3))
_W = (_ref.weight_ih, _ref.weight_hh, _ref.bias_ih, _ref.bias_hh)
_seed = torch.arange(3.0, dtype=torch.float64)
_want_h, _want_c = _ref(_x, (_h, _c))
_want_grads = torch.autograd.grad((_want_h * _seed).sum() + 2 * _want_c.sum(), (_x, _h, _c, *_W))
_want_h, _want_c = _want_h.detach(), _want_c.detach()
_nobias = nn.LSTMCell(5, 3, bias=False).double()
with torch.no_grad():
    _want_nobias = _nobias(_x[1:2], (_h[1:2], _c[1:2]))
    _cell32 = nn.LSTMCell(5, 3)
    _cell32.load_state_dict({k: v.float() for k, v in _ref.state_dict().items()})
    _want32 = _cell32(_x[:1].float(), (_h[:1].float(), _c[:1].float()))
_mine = _leaves((_x, _h, _c, *_W))
with written_by_you("lstm_cell") as rules:
    _what = "random state, strong recurrent term, float64"
    with count_matrix_products() as _counter:
        _got_h, _got_c = run_answer(lstm_cell, _mine[0], (_mine[1], _mine[2]), *_mine[3:], copy=False,
                                    name=f"hidden check: {_what}")  # our own copies: gradients reach them
    check_true(_counter.count <= rules.max_matrix_products, "hidden check: one fused matrix product per weight matrix",
               f"one step made {_counter.count} matrix products; x @ W_ih.T gives all four gate blocks at once")
    check_close(_got_h, _want_h, f"hidden check: h matches nn.LSTMCell ({_what})", atol=1e-10, rtol=1e-8)
    check_close(_got_c, _want_c, f"hidden check: c matches nn.LSTMCell ({_what})", atol=1e-10, rtol=1e-8)
    check_dtype(_got_h, torch.float64, "hidden check: float64 stays float64")
    _got_nobias = run_answer(lstm_cell, _x[1:2].detach(), (_h[1:2].detach(), _c[1:2].detach()), _nobias.weight_ih,
                             _nobias.weight_hh, None, None, name="hidden check: bias=False, batch of one")
    check_close(_got_nobias[0], _want_nobias[0], "hidden check: h, bias=False (b_ih = b_hh = None), batch of one",
                atol=1e-10, rtol=1e-8)
    check_close(_got_nobias[1], _want_nobias[1], "hidden check: c, bias=False (b_ih = b_hh = None), batch of one",
                atol=1e-10, rtol=1e-8)
    _got32 = run_answer(lstm_cell, _x[:1].detach().float(), (_h[:1].detach().float(), _c[:1].detach().float()),
                        *(w.detach().float() for w in _W), name="hidden check: float32")
    check_dtype(_got32[0], torch.float32, "hidden check: float32 stays float32")
    check_close(_got32[1], _want32[1], "hidden check: c in float32, batch of one", atol=1e-5)
_got_grads = torch.autograd.grad((_got_h * _seed).sum() + 2 * _got_c.sum(), _mine, allow_unused=True)
for _name, _g, _w in zip(["x", "h_prev", "c_prev", "W_ih", "W_hh", "b_ih", "b_hh"], _got_grads, _want_grads):
    check_true(_g is not None, f"hidden check: gradient with respect to {_name}",
               "no gradient flows to it: is something detached or unused?")
    check_close(_g, _w, f"hidden check: gradient with respect to {_name} matches nn.LSTMCell", atol=1e-10, rtol=1e-8)
### END HIDDEN TESTS

# %% [markdown]
# The same products, fused (two products) and per gate (eight), timed on this machine for a small step
# — one sequence, $H = 32$ — and a large one — a batch of 64, $H = 256$ (the best of 200 runs each):

# %%
REPEAT = budget(full=200, grading=3)  # while grading, only a few runs: the timings are not graded
torch.manual_seed(0)
for B, H in [(1, 32), (64, 256)]:
    xb, hb, W_ih_b, W_hh_b = torch.randn(B, H), torch.randn(B, H), torch.randn(4 * H, H), torch.randn(4 * H, H)
    per_gate = [(W_ih_b[k * H:(k + 1) * H], W_hh_b[k * H:(k + 1) * H]) for k in range(4)]
    with torch.no_grad():
        fused = best_time(lambda: xb @ W_ih_b.T + hb @ W_hh_b.T, REPEAT)
        separate = best_time(lambda: [xb @ Wi.T + hb @ Wh.T for Wi, Wh in per_gate], REPEAT)
        same = torch.allclose(xb @ W_ih_b.T + hb @ W_hh_b.T,
                              torch.cat([xb @ Wi.T + hb @ Wh.T for Wi, Wh in per_gate], dim=1), atol=1e-4)
    print(f"B={B:2d}, D=H={H:3d}: fused {fused * 1e6:6.1f} µs, per gate {separate * 1e6:6.1f} µs "
          f"({separate / fused:.1f}x the time), same numbers: {same}")

# %% [markdown]
# Fusing pays most when the products are small, so that the fixed cost of each call dominates — and a
# recurrent step is exactly that: a small product, called once per time step. For large products the
# arithmetic dominates and the gain shrinks.

# %% [markdown]
# ### Exercise 4 — an LSTM module (3 points)
#
# Now the sequence. Write a module that can replace `nn.LSTM(input_size, hidden_size,
# batch_first=batch_first)` (one layer, one direction):
#
# - parameters named `weight_ih` $(4H, D)$, `weight_hh` $(4H, H)$, `bias_ih` $(4H,)$, `bias_hh` $(4H,)$, each
#   initialised like PyTorch does, from $\mathcal{U}(-1/\sqrt{H}, 1/\sqrt{H})$;
# - `forward(x, state=None)`: `x` is $(B, T, D)$ when `batch_first` is true, else $(T, B, D)$; `state` is
#   `None` (zeros) or a tuple `(h0, c0)`, each $(1, B, H)$ like `nn.LSTM`'s;
# - it returns `(output, (h_n, c_n))`: `output` holds every $h_t$, $(B, T, H)$ or $(T, B, H)$ in the same
#   layout as `x`, and `h_n`, `c_n` are the final states, $(1, B, H)$ each.
#
# Use your `lstm_cell` for each step. Do not `.detach()` the states: the gradient must flow through every
# step, through $h$ **and** $c$. Like `nn.LSTM`, it must work in any float dtype: after `.double()`, a
# float64 input gives float64 outputs, also when `state` is `None`.

# %% nbgrader="answer" grade_id="lstm_module"
class LSTM(nn.Module):
    """Single-layer LSTM; a drop-in for nn.LSTM(input_size, hidden_size, batch_first=batch_first)."""

    def __init__(self, input_size: int, hidden_size: int, batch_first: bool = False):
        super().__init__()
        self.input_size, self.hidden_size, self.batch_first = input_size, hidden_size, batch_first
        ### BEGIN SOLUTION
        bound = 1.0 / hidden_size ** 0.5
        self.weight_ih = nn.Parameter(torch.empty(4 * hidden_size, input_size).uniform_(-bound, bound))
        self.weight_hh = nn.Parameter(torch.empty(4 * hidden_size, hidden_size).uniform_(-bound, bound))
        self.bias_ih = nn.Parameter(torch.empty(4 * hidden_size).uniform_(-bound, bound))
        self.bias_hh = nn.Parameter(torch.empty(4 * hidden_size).uniform_(-bound, bound))
        ### END SOLUTION

    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
                ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """x: (B, T, D) if batch_first else (T, B, D); state: (h0, c0), each (1, B, H), or None.
        Returns output (B, T, H) if batch_first else (T, B, H), and (h_n, c_n), each (1, B, H)."""
        ### BEGIN SOLUTION
        xs = x.transpose(0, 1) if self.batch_first else x      # (T, B, D)
        T, B, _ = xs.shape
        if state is None:
            zeros = xs.new_zeros(B, self.hidden_size)
            h, c = zeros, zeros
        else:
            h, c = state[0][0], state[1][0]                    # (B, H) each
        outputs = []
        for t in range(T):
            h, c = lstm_cell(xs[t], (h, c), self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
            outputs.append(h)
        output = torch.stack(outputs, dim=1 if self.batch_first else 0)  # (B, T, H) or (T, B, H)
        return output, (h.unsqueeze(0), c.unsqueeze(0))                 # (1, B, H) each
        ### END SOLUTION


# %% nbgrader="tests" grade_id="test_lstm_module" points=3
model = run_answer(LSTM, 3, 5, batch_first=True, name="LSTM(3, 5, batch_first=True)")
_shapes = {name: tuple(p.shape) for name, p in model.named_parameters()}
check_equal(sorted(_shapes), ["bias_hh", "bias_ih", "weight_hh", "weight_ih"], "LSTM parameter names")
check_equal([_shapes[k] for k in ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]], [(20, 3), (20, 5), (20,), (20,)],
            "LSTM parameter shapes [weight_ih, weight_hh, bias_ih, bias_hh] for D=3, H=5",
            hint="four gate blocks: 4 * hidden_size rows")
_bound = 1 / 5 ** 0.5  # PyTorch's U(-1/sqrt(H), 1/sqrt(H)); its standard deviation is _bound / sqrt(3)
_all = torch.cat([_p.detach().flatten() for _p in model.parameters()])
check_true(float(_all.abs().max()) <= _bound, "LSTM initialisation range (H=5)",
           f"largest |parameter| {float(_all.abs().max()):.3f}, above 1/sqrt(5) = {_bound:.3f}",
           hint="initialise like PyTorch: uniform_(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), not randn")
check_true(float(_all.std()) > 0.45 * _bound, "LSTM initialisation spread (H=5)",
           f"standard deviation of all parameters {float(_all.std()):.3f}; U(-1/sqrt(5), 1/sqrt(5)) gives "
           f"{_bound / 3 ** 0.5:.3f}", hint="the bound is 1/sqrt(hidden_size), not 1/hidden_size")
for _name, _p in model.named_parameters():
    check_true(float(_p.detach().std()) > 0.2 * _bound, f"LSTM initialisation of {_name} (H=5)",
               "its values are (nearly) all the same", hint="every parameter, the biases too, is drawn at random")
_result = run_answer(model, torch.randn(2, 4, 3), name="LSTM forward, batch_first=True, state=None")
check_true(isinstance(_result, tuple) and len(_result) == 2 and isinstance(_result[1], tuple),
           "LSTM return value", "expected (output, (h_n, c_n)), like nn.LSTM")
output, (h_n, c_n) = _result
check_shape(output, (2, 4, 5), "LSTM output with batch_first=True (B=2, T=4, H=5)",
            hint="with batch_first the time steps are dim 1, in the input and in the output")
check_shape(h_n, (1, 2, 5), "LSTM h_n", hint="h_n has a leading layer dimension of size 1, like nn.LSTM")
check_shape(c_n, (1, 2, 5), "LSTM c_n", hint="c_n has a leading layer dimension of size 1, like nn.LSTM")
check_close(h_n[0], output[:, -1], "LSTM h_n is the last h_t in output",
            hint="return (output, (h_n, c_n)) in that order: h_n first")
_output_tm, _ = run_answer(LSTM(3, 5), torch.randn(4, 2, 3), name="LSTM forward, batch_first=False")
check_shape(_output_tm, (4, 2, 5), "LSTM output with batch_first=False (T=4, B=2, H=5)",
            hint="without batch_first, x and output are (T, B, ...)")
with torch.no_grad():
    for _p in model.parameters():
        _p.zero_()
    model.bias_ih[10:15] = 1.0  # rows 2H:3H, the candidate: g = tanh(1); every gate is 0.5
    output, (h_n, c_n) = run_answer(model, torch.randn(1, 3, 3), name="LSTM forward with zero weights")
_c_t = torch.tensor([0.5, 0.75, 0.875]) * np.tanh(1.0)  # c_t = 0.5 c_{t-1} + 0.5 tanh(1), c_0 = 0
check_close(c_n, torch.full((1, 1, 5), float(_c_t[-1])), "LSTM c_n with zero weights and bias_ih[2H:3H] = 1",
            hint="c_t = f * c_{t-1} + i * g, carried from step to step (c starts at 0 when state is None)")
check_close(output, (0.5 * torch.tanh(_c_t))[None, :, None].expand(1, 3, 5),
            "LSTM output with zero weights and bias_ih[2H:3H] = 1", hint="every h_t = o * tanh(c_t), in order")
torch.manual_seed(0)
for _bf, _B in [(True, 2), (False, 1)]:  # a given (h0, c0) against nn.LSTM with the same weights
    _ref = nn.LSTM(3, 5, batch_first=_bf)
    _mine = run_answer(LSTM, 3, 5, batch_first=_bf, name=f"LSTM(3, 5, batch_first={_bf})")
    copy_weights(_ref, _mine)
    _x = torch.randn(_B, 4, 3) if _bf else torch.randn(4, _B, 3)
    _state = (torch.randn(1, _B, 5), torch.randn(1, _B, 5))
    with torch.no_grad():
        _want, (_want_h, _want_c) = _ref(_x, _state)
        _got, (_got_h, _got_c) = run_answer(_mine, _x, _state, name=f"LSTM forward with a given (h0, c0), B={_B}")
    _what = f"given (h0, c0), batch_first={_bf}, B={_B}, against nn.LSTM"
    check_close(_got, _want, f"LSTM output ({_what})",
                hint="start from the given state: h = h0[0] and c = c0[0] (each (B, H)); h0 is the hidden state, "
                     "c0 the cell state, and both are (1, B, H) whatever batch_first says")
    check_close(_got_h, _want_h, f"LSTM h_n ({_what})", hint="h_n is the last h_t, shaped (1, B, H)")
    check_close(_got_c, _want_c, f"LSTM c_n ({_what})", hint="c_n is the last c_t, shaped (1, B, H)")
_ref = nn.LSTM(3, 5, batch_first=True).double()  # float64, state=None, and the gradient through every step
_x = torch.randn(2, 4, 3, dtype=torch.float64, requires_grad=True)
_want, (_, _want_c) = _ref(_x)
_want_dx, = torch.autograd.grad(_want.sum() + _want_c.sum(), _x)
_mine = run_answer(LSTM, 3, 5, batch_first=True, name="LSTM(3, 5, batch_first=True)").double()
copy_weights(_ref, _mine)
_xg = _x.detach().clone().requires_grad_(True)
_got, (_, _got_c) = run_answer(_mine, _xg, copy=False, name="LSTM forward in float64, state=None",
                               hint="create the zero state in x's dtype and on its device: x.new_zeros(B, H)")
check_dtype(_got, torch.float64, "LSTM output for a float64 module and input", hint="x.new_zeros(B, H), not torch.zeros")
check_close(_got, _want, "LSTM output in float64, state=None, against nn.LSTM", atol=1e-10, rtol=1e-8,
            hint="start from zeros (h and c), in x's dtype")
_got_dx, = torch.autograd.grad(_got.sum() + _got_c.sum(), _xg, allow_unused=True)
check_true(_got_dx is not None, "gradient of output.sum() + c_n.sum() reaches x", "no gradient flows to x",
           hint="no .detach() and no torch.no_grad() in forward")
check_close(_got_dx, _want_dx, "gradient of output.sum() + c_n.sum() with respect to x against nn.LSTM",
            atol=1e-10, rtol=1e-8, hint="don't .detach() h or c between steps: the gradient must flow back "
                                        "through every step, through h and c")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you

torch.manual_seed(5)
_cases = {}
for _bf in (True, False):
    _ref = nn.LSTM(4, 6, batch_first=_bf).double()
    _x = torch.randn(3, 7, 4, dtype=torch.float64) if _bf else torch.randn(7, 3, 4, dtype=torch.float64)
    _x.requires_grad_(True)
    _h0 = torch.randn(1, 3, 6, dtype=torch.float64)
    _c0 = torch.randn(1, 3, 6, dtype=torch.float64, requires_grad=True)
    _out, (_hn, _cn) = _ref(_x, (_h0, _c0))
    (_out.sum() + 2 * _hn.sum() + 3 * _cn.sum()).backward()
    _cases[_bf] = (_ref, _x, _h0, _c0, _out.detach(), _hn.detach(), _cn.detach())
_ref1 = _cases[False][0]
_x1 = _cases[False][1][:1, 1:2].detach()  # T=1, B=1
_s1 = (_cases[False][2][:, 1:2], _cases[False][3][:, 1:2].detach())
with torch.no_grad():
    _want1 = _ref1(_x1)
    _want1s = _ref1(_cases[False][1][:, 1:2].detach(), _s1)  # B=1 with a given state, T=7
_ref_h1 = nn.LSTM(2, 1).double()  # hidden_size 1, batch of two, a given state
_x_h1, _s_h1 = torch.randn(3, 2, 2, dtype=torch.float64), tuple(torch.randn(1, 2, 1, dtype=torch.float64) for _ in "hc")
with torch.no_grad():
    _want_h1 = _ref_h1(_x_h1, _s_h1)
with written_by_you("lstm_module"):
    _m = run_answer(LSTM, 2, 1, name="hidden check: LSTM(2, 1)").double()
    copy_weights(_ref_h1, _m)
    _got_h1 = run_answer(_m, _x_h1, _s_h1, name="hidden check: hidden_size 1, batch of two, given (h0, c0)")
    check_close(_got_h1[0], _want_h1[0], "hidden check: output, hidden_size 1, given (h0, c0)", atol=1e-10, rtol=1e-8)
    check_close(_got_h1[1][1], _want_h1[1][1], "hidden check: c_n, hidden_size 1, given (h0, c0)", atol=1e-10,
                rtol=1e-8)
    torch.manual_seed(1)
    _m = run_answer(LSTM, 4, 6, batch_first=True, name="hidden check: LSTM(4, 6)").double()
    _bound = 1 / 6 ** 0.5
    _all = torch.cat([p.detach().flatten() for p in _m.parameters()])
    check_true(float(_all.abs().max()) <= _bound, "hidden check: initialisation",
               "some parameters are outside the range PyTorch uses")
    check_true(float(_all.std()) > 0.45 * _bound, "hidden check: initialisation", "the parameters spread too little")
    check_true(all(float(p.detach().std()) > 0.15 * _bound for p in _m.parameters()), "hidden check: initialisation",
               "some parameters are (nearly) constant")
    check_true(not any(cls.__module__.startswith("course_lib") for mod in _m.modules() for cls in type(mod).__mro__),
               "hidden check: written by you", "your LSTM is built on a course_lib class; write the loop yourself")
    for _bf, (_ref, _x, _h0, _c0, _out_ref, _hn_ref, _cn_ref) in _cases.items():
        _m = run_answer(LSTM, 4, 6, batch_first=_bf, name=f"hidden check: LSTM(4, 6, batch_first={_bf})").double()
        copy_weights(_ref, _m)
        _x2 = _x.detach().clone().requires_grad_(True)
        _c02 = _c0.detach().clone().requires_grad_(True)
        _what = f"batch_first={_bf}, random weights, non-zero (h0, c0), float64"
        _out, (_hn, _cn) = run_answer(_m, _x2, (_h0.clone(), _c02), copy=False, name=f"hidden check: {_what}")
        check_close(_out, _out_ref, f"hidden check: output matches nn.LSTM ({_what})", atol=1e-10, rtol=1e-8)
        check_close(_hn, _hn_ref, f"hidden check: h_n matches nn.LSTM ({_what})", atol=1e-10, rtol=1e-8)
        check_close(_cn, _cn_ref, f"hidden check: c_n matches nn.LSTM ({_what})", atol=1e-10, rtol=1e-8)
        (_out.sum() + 2 * _hn.sum() + 3 * _cn.sum()).backward()
        check_close(_x2.grad, _x.grad, f"hidden check: gradient with respect to the input matches nn.LSTM ({_what})",
                    atol=1e-10, rtol=1e-8)
        check_true(_c02.grad is not None, "hidden check: gradient with respect to c0", "no gradient reaches c0")
        check_close(_c02.grad, _c0.grad, f"hidden check: gradient with respect to c0 matches nn.LSTM ({_what})",
                    atol=1e-10, rtol=1e-8)
        check_close(_m.weight_hh.grad, _ref.weight_hh_l0.grad, f"hidden check: gradient of weight_hh ({_what})",
                    atol=1e-10, rtol=1e-8)
    _m = LSTM(4, 6).double()
    copy_weights(_ref1, _m)
    _got1 = run_answer(_m, _x1, name="hidden check: T=1, batch of one, state=None, float64")
    check_close(_got1[0], _want1[0], "hidden check: output, T=1, batch of one, state=None, float64", atol=1e-10, rtol=1e-8)
    check_close(_got1[1][1], _want1[1][1], "hidden check: c_n, T=1, batch of one, state=None, float64", atol=1e-10, rtol=1e-8)
    _got1s = run_answer(_m, _cases[False][1][:, 1:2].detach(), _s1, name="hidden check: batch of one, given state")
    check_close(_got1s[0], _want1s[0], "hidden check: output, batch of one with a given (h0, c0)", atol=1e-10, rtol=1e-8)
    check_close(_got1s[1][0], _want1s[1][0], "hidden check: h_n, batch of one with a given (h0, c0)", atol=1e-10, rtol=1e-8)
    check_close(_got1s[1][1], _want1s[1][1], "hidden check: c_n, batch of one with a given (h0, c0)", atol=1e-10, rtol=1e-8)
### END HIDDEN TESTS

# %% [markdown]
# Your module against `nn.LSTM` with the same weights, in float64, and the price of a Python loop: one
# `lstm_cell` call per time step, where `nn.LSTM` runs the whole sequence in one call to compiled code.

# %%
torch.manual_seed(0)
reference = nn.LSTM(8, 16, batch_first=True).double()
mine = LSTM(8, 16, batch_first=True).double()
copy_weights(reference, mine)
x_seq = torch.randn(5, 30, 8, dtype=torch.float64)
with torch.no_grad():
    out_ref, (h_ref, c_ref) = reference(x_seq)
    out_mine, (h_mine, c_mine) = mine(x_seq)
print(f"max |difference| to nn.LSTM: output {(out_mine - out_ref).abs().max():.1e}, "
      f"h_n {(h_mine - h_ref).abs().max():.1e}, c_n {(c_mine - c_ref).abs().max():.1e}")

x_speed = torch.randn(32, 100, 32)
reference32, mine32 = nn.LSTM(32, 64, batch_first=True), LSTM(32, 64, batch_first=True)
with torch.no_grad():
    repeat = budget(full=20, grading=1)
    t_ref, t_mine = best_time(lambda: reference32(x_speed), repeat), best_time(lambda: mine32(x_speed), repeat)
print(f"forward pass, B=32, T=100, D=32, H=64: nn.LSTM {t_ref * 1e3:.2f} ms, yours {t_mine * 1e3:.2f} ms "
      f"({t_mine / t_ref:.1f}x slower)")

# %% [markdown]
# The same numbers, to float64 rounding error — and several times slower. That is the usual trade: you
# write a cell to understand it (or to change it, as in Section 5), and train with the built-in.
#
# ## 4. Counting parameters
#
# One layer with input size $D$ and hidden size $H$ has, per gate block, an $H \times D$ input matrix, an
# $H \times H$ recurrent matrix and two bias vectors of length $H$. Four blocks:
#
# $$N_{\text{LSTM}}(D, H) = 4H(D + H) + 8H.$$
#
# A vanilla RNN has one block, $H(D + H) + 2H$, and PyTorch's GRU three, so an LSTM costs four times an
# RNN of the same width. (Course notes often write $4H(D + H) + 4H$: right for one bias vector, but
# `nn.LSTM` keeps two.) In a stack of layers, layer 0 reads the input ($D_0 = D$) and layer $k > 0$ reads
# the layer below it: $D_k = H$, or $2H$ when the layers are bidirectional, because both directions'
# outputs are concatenated. A bidirectional layer has two independent sets of weights, one per direction.
#
# ### Exercise 5 — the parameter count (2 points)
#
# Write `lstm_param_count(input_size, hidden_size, num_layers=1, bidirectional=False, bias=True)`: the
# number of parameters of `nn.LSTM` with those arguments, as a Python `int`, from the formula — without
# building any module. `bias=False` drops both bias vectors.

# %% nbgrader="answer" grade_id="lstm_param_count"
def lstm_param_count(input_size: int, hidden_size: int, num_layers: int = 1, bidirectional: bool = False,
                     bias: bool = True) -> int:
    """Number of parameters of nn.LSTM(input_size, hidden_size, num_layers, bias=bias, bidirectional=bidirectional)."""
    ### BEGIN SOLUTION
    directions = 2 if bidirectional else 1
    H, total = hidden_size, 0
    for layer in range(num_layers):
        D = input_size if layer == 0 else H * directions
        per_direction = 4 * H * (D + H) + (8 * H if bias else 0)
        total += directions * per_direction
    return total
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_lstm_param_count" points=2
_nn_count = lambda *args, **kwargs: sum(p.numel() for p in nn.LSTM(*args, **kwargs).parameters())  # noqa: E731
_want = {"(10, 20)": _nn_count(10, 20), "bias=False": _nn_count(10, 20, bias=False),  # expected values first
         "num_layers=2": _nn_count(10, 20, num_layers=2),
         "num_layers=2, bidirectional": _nn_count(10, 20, num_layers=2, bidirectional=True)}
_n = run_answer(lstm_param_count, 10, 20, name="lstm_param_count(10, 20)")
check_type(_n, int, "lstm_param_count(10, 20)", hint="return a Python int")
check_equal(_n, _want["(10, 20)"], "lstm_param_count(10, 20) vs nn.LSTM(10, 20)",
            hint="4H(D + H) weights, plus two bias vectors of 4H each (b_ih and b_hh)")
check_equal(run_answer(lstm_param_count, 10, 20, bias=False, name="lstm_param_count(10, 20, bias=False)"),
            _want["bias=False"], "lstm_param_count(10, 20, bias=False) vs nn.LSTM(10, 20, bias=False)",
            hint="bias=False drops both bias vectors")
check_equal(run_answer(lstm_param_count, 10, 20, num_layers=2, name="lstm_param_count(10, 20, num_layers=2)"),
            _want["num_layers=2"], "lstm_param_count(10, 20, num_layers=2) vs nn.LSTM",
            hint="layer 0 reads the input (D), layer 1 reads the layer below it (D = H)")
check_equal(run_answer(lstm_param_count, 10, 20, num_layers=2, bidirectional=True,
                       name="lstm_param_count(10, 20, num_layers=2, bidirectional=True)"),
            _want["num_layers=2, bidirectional"], "lstm_param_count(10, 20, num_layers=2, bidirectional=True) vs nn.LSTM",
            hint="two directions per layer, each with its own weights; layer 1 reads both directions' outputs: D = 2H")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you

_configs = [(1, 1, 1, False, True), (7, 3, 3, False, True), (5, 8, 2, True, True), (4, 6, 3, True, False),
            (16, 32, 1, True, True), (300, 2, 2, False, True), (3, 9, 1, True, False), (6, 5, 3, False, False)]
_want = [_nn_count(D, H, num_layers=L, bidirectional=bi, bias=b) for D, H, L, bi, b in _configs]
_want_positional = _nn_count(5, 4, num_layers=2, bidirectional=True, bias=False)
with written_by_you("lstm_param_count"):
    for (D, H, L, bi, b), _w in zip(_configs, _want):
        _what = f"input_size={D}, hidden_size={H}, num_layers={L}, bidirectional={bi}, bias={b}"
        _got = run_answer(lstm_param_count, D, H, num_layers=L, bidirectional=bi, bias=b, name=f"hidden check: {_what}")
        check_type(_got, int, "hidden check: returns an int")
        check_equal(_got, _w, f"hidden check: {_what}")
    check_equal(run_answer(lstm_param_count, 5, 4, 2, True, False, name="hidden check: positional arguments"),
                _want_positional, "hidden check: arguments given by position")
### END HIDDEN TESTS

# %% [markdown]
# Your formula against `nn.LSTM`'s own count, side by side, and what the same width costs as an RNN and
# a GRU:

# %%
print(" D    H  layers bidir bias |   yours   nn.LSTM")
for D, H, L, bi, b in [(10, 20, 1, False, True), (10, 20, 1, False, False), (64, 128, 2, False, True),
                       (64, 128, 2, True, True), (300, 512, 3, True, True)]:
    actual = sum(p.numel() for p in nn.LSTM(D, H, num_layers=L, bidirectional=bi, bias=b).parameters())
    print(f"{D:3d} {H:4d} {L:5d}  {bi!s:5s} {b!s:5s}| {lstm_param_count(D, H, L, bi, b):9,d} {actual:9,d}")
counts = {cls.__name__: sum(p.numel() for p in cls(128, 128).parameters()) for cls in (nn.RNN, nn.GRU, nn.LSTM)}
print("D = H = 128, one layer:", ", ".join(f"{k} {v:,d} ({v / counts['RNN']:.0f}x RNN)" for k, v in counts.items()))

# %% [markdown]
# ## 5. Peephole connections
#
# In the standard LSTM the gates see $x_t$ and $h_{t-1}$ but not the memory itself: when the output gate
# is closed, $h_{t-1}$ tells the gates nothing about $c_{t-1}$. Gers & Schmidhuber (2000) added
# **peephole** connections: each gate also looks at the cell state through a diagonal weight, a vector
# $p \in \mathbb{R}^H$ multiplied element by element. The input and forget gates decide what happens to
# $c_{t-1}$, so they look at $c_{t-1}$; the output gate is computed after the update, so it looks at the
# **new** $c_t$:
#
# $$\begin{aligned}
# i_t &= \sigma(a_i + p_i \odot c_{t-1}), \qquad f_t = \sigma(a_f + p_f \odot c_{t-1}), \qquad g_t = \tanh(a_g),\\
# c_t &= f_t \odot c_{t-1} + i_t \odot g_t, \qquad o_t = \sigma(a_o + p_o \odot c_t), \qquad h_t = o_t \odot \tanh(c_t),
# \end{aligned}$$
#
# where $a_i, a_f, a_g, a_o$ are the four blocks of the same fused pre-activation as before. The cost is
# $3H$ extra parameters per layer. Peepholes help on tasks that need precise timing (Gers et al. counted
# intervals with them); on most language tasks they make little difference (Greff et al., 2017, "LSTM: A
# Search Space Odyssey"), and `nn.LSTM` does not have them — which is exactly when writing your own cell
# pays off.
#
# ### Exercise 6 — a peephole LSTM cell (2 points)
#
# Write `peephole_lstm_cell(x, state, W_ih, W_hh, b_ih, b_hh, p_i, p_f, p_o)` in torch: arguments as in
# `lstm_cell` (biases not `None` here), plus the three peephole vectors, each $(H,)$. Return `(h, c)`.

# %% nbgrader="answer" grade_id="peephole_lstm_cell"
def peephole_lstm_cell(x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor], W_ih: torch.Tensor,
                       W_hh: torch.Tensor, b_ih: torch.Tensor, b_hh: torch.Tensor, p_i: torch.Tensor,
                       p_f: torch.Tensor, p_o: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One step of the peephole LSTM.

    x: (B, D), state: (h_prev (B, H), c_prev (B, H)), W_ih: (4H, D), W_hh: (4H, H), b_ih, b_hh: (4H,),
    p_i, p_f, p_o: (H,) peephole weights. Returns (h: (B, H), c: (B, H)).
    """
    ### BEGIN SOLUTION
    h_prev, c_prev = state
    a_i, a_f, a_g, a_o = (x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh).chunk(4, dim=1)  # each (B, H)
    i = torch.sigmoid(a_i + p_i * c_prev)
    f = torch.sigmoid(a_f + p_f * c_prev)
    c = f * c_prev + i * torch.tanh(a_g)
    o = torch.sigmoid(a_o + p_o * c)                         # the output gate sees the new cell state
    return o * torch.tanh(c), c
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_peephole_lstm_cell" points=2
torch.manual_seed(0)
_cell = nn.LSTMCell(3, 4)
_W = (_cell.weight_ih, _cell.weight_hh, _cell.bias_ih, _cell.bias_hh)
_x, _state, _zero = torch.randn(2, 3), (torch.randn(2, 4), torch.randn(2, 4)), torch.zeros(4)
with torch.no_grad():  # expected values first
    _want_h, _want_c = _cell(_x, _state)
_out = run_answer(peephole_lstm_cell, _x, _state, *_W, _zero, _zero, _zero,
                  name="peephole_lstm_cell with p_i = p_f = p_o = 0")
check_type(_out, tuple, "peephole_lstm_cell return value", hint="return the tuple (h, c)")
h, c = _out
check_shape(h, (2, 4), "peephole_lstm_cell h (B=2, H=4)")
check_shape(c, (2, 4), "peephole_lstm_cell c (B=2, H=4)")
check_close(c, _want_c, "peephole cell with p_i = p_f = p_o = 0 against nn.LSTMCell (c)",
            hint="with zero peephole weights it is the ordinary LSTM: gate order i, f, g, o, both biases")
check_close(h, _want_h, "peephole cell with p_i = p_f = p_o = 0 against nn.LSTMCell (h)", hint="h = o * tanh(c)")
# A case small enough to follow by hand: every weight 0, so a_i = a_f = a_o = 0 and g = tanh(b_g), with
# b_g = (1, -0.5, 2); h_prev = 0; three different peephole vectors. Expected values computed once, float64.
_H = 3
_W0 = [torch.zeros(4 * _H, 2, dtype=torch.float64), torch.zeros(4 * _H, _H, dtype=torch.float64),
       torch.zeros(4 * _H, dtype=torch.float64), torch.zeros(4 * _H, dtype=torch.float64)]
_W0[2][2 * _H:3 * _H] = torch.tensor([1.0, -0.5, 2.0], dtype=torch.float64)
_state0 = (torch.zeros(2, _H, dtype=torch.float64),
           torch.tensor([[1.0, -2.0, 0.5], [0.3, 1.5, -1.0]], dtype=torch.float64))
_p = [torch.tensor(v, dtype=torch.float64) for v in ([0.5, -1.0, 2.0], [1.5, 0.3, -0.7], [-1.0, 2.0, 0.8])]
_want_c = torch.tensor([[1.2916358652, -1.1157188293, 0.9114518430], [0.5924951996, 0.8316568865, -0.5532728677]],
                       dtype=torch.float64)
_want_h = torch.tensor([[0.1852993384, -0.0781591606, 0.4869607433], [0.1893141140, 0.5728112447, -0.1967199108]],
                       dtype=torch.float64)
h, c = run_answer(peephole_lstm_cell, torch.zeros(2, 2, dtype=torch.float64), _state0, *_W0, *_p,
                  name="peephole_lstm_cell with zero weights and p_i, p_f, p_o all different")
check_dtype(c, torch.float64, "peephole_lstm_cell c for float64 inputs", hint="compute in the dtype you are given")
check_close(c, _want_c, "c with zero weights, g = tanh((1, -0.5, 2)) and p_i, p_f, p_o all different",
            hint="inside the sigmoid: i = sigmoid(a_i + p_i * c_prev), f = sigmoid(a_f + p_f * c_prev): "
                 "p_i with the input gate, p_f with the forget gate, both looking at the cell state c_prev")
check_close(h, _want_h, "h with zero weights, g = tanh((1, -0.5, 2)) and p_i, p_f, p_o all different",
            hint="the output gate looks at the new cell state: o = sigmoid(a_o + p_o * c_t), then h = o * tanh(c_t)")
_state_g = tuple(t.clone().requires_grad_(True) for t in _state0)
h, c = run_answer(peephole_lstm_cell, torch.zeros(2, 2, dtype=torch.float64), _state_g, *_W0, *_p, copy=False,
                  name="peephole_lstm_cell with h_prev and c_prev requiring grad",
                  hint="don't change h_prev or c_prev in place (no mul_, add_, *=): compute new tensors")
check_close(_state_g[1].detach(), _state0[1], "peephole_lstm_cell leaves c_prev unchanged",
            hint="don't change c_prev in place: the caller still needs it")
_got_dc, = torch.autograd.grad((h.sum() + c.sum()), _state_g[1], allow_unused=True)
check_true(_got_dc is not None, "gradient of h.sum() + c.sum() reaches c_prev", "no gradient flows to c_prev",
           hint="no .detach(), .data or torch.no_grad(): the gates and c_t must read c_prev itself")
### BEGIN HIDDEN TESTS
import course_lib.layers.lstm as _ref_lstm
from course_lib.notebook.rules import written_by_you

torch.manual_seed(6)
_D, _H = 5, 3
_args = [torch.randn(4, _D, dtype=torch.float64), (torch.randn(4, _H, dtype=torch.float64),
         2 * torch.randn(4, _H, dtype=torch.float64)), torch.randn(4 * _H, _D, dtype=torch.float64),
         torch.randn(4 * _H, _H, dtype=torch.float64), torch.randn(4 * _H, dtype=torch.float64),
         torch.randn(4 * _H, dtype=torch.float64)]
_p = [torch.randn(_H, dtype=torch.float64) for _ in range(3)]
_want = _ref_lstm.peephole_lstm_cell(*_args, *_p)
_args1 = [_args[0][2:3], (_args[1][0][2:3], _args[1][1][2:3]), *_args[2:]]
_want1 = _ref_lstm.peephole_lstm_cell(*_args1, *_p)
_args32 = [_args1[0].float(), tuple(s.float() for s in _args1[1]), *(w.float() for w in _args1[2:])]
_want32 = _ref_lstm.peephole_lstm_cell(*_args32, *(p.float() for p in _p))
with written_by_you("peephole_lstm_cell"):
    _what = "random weights and state, three different peephole vectors, float64"
    _got = run_answer(peephole_lstm_cell, *_args, *_p, name=f"hidden check: {_what}")
    check_close(_got[1], _want[1], f"hidden check: c matches the reference ({_what})", atol=1e-10, rtol=1e-8)
    check_close(_got[0], _want[0], f"hidden check: h matches the reference ({_what})", atol=1e-10, rtol=1e-8)
    check_dtype(_got[0], torch.float64, "hidden check: float64 stays float64")
    _got1 = run_answer(peephole_lstm_cell, *_args1, *_p, name="hidden check: batch of one with a given state")
    check_close(_got1[0], _want1[0], "hidden check: h, batch of one with a given state", atol=1e-10, rtol=1e-8)
    check_close(_got1[1], _want1[1], "hidden check: c, batch of one with a given state", atol=1e-10, rtol=1e-8)
    _got32 = run_answer(peephole_lstm_cell, *_args32, *(p.float() for p in _p), name="hidden check: float32")
    check_dtype(_got32[0], torch.float32, "hidden check: float32 stays float32")
    check_close(_got32[0], _want32[0], "hidden check: h in float32", atol=1e-5)
### END HIDDEN TESTS

# %% [markdown]
# What the peepholes change: your peephole cell with zero peephole weights against `nn.LSTMCell`, and
# then, with random peephole weights, how far its $h_t$ moves from your plain `lstm_cell` given the same
# weights (a wrong answer to either exercise shows here too):

# %%
torch.manual_seed(2)
Dp, Hp = 3, 5
step_args = [torch.randn(4, Dp, dtype=torch.float64), (torch.randn(4, Hp, dtype=torch.float64),
             torch.randn(4, Hp, dtype=torch.float64)), torch.randn(4 * Hp, Dp, dtype=torch.float64),
             torch.randn(4 * Hp, Hp, dtype=torch.float64), torch.randn(4 * Hp, dtype=torch.float64),
             torch.randn(4 * Hp, dtype=torch.float64)]
builtin = nn.LSTMCell(Dp, Hp).double()
with torch.no_grad():
    for p, w in zip((builtin.weight_ih, builtin.weight_hh, builtin.bias_ih, builtin.bias_hh), step_args[2:]):
        p.copy_(w)
    h_builtin, c_builtin = builtin(*step_args[:2])
h_zero, c_zero = peephole_lstm_cell(*step_args, *[torch.zeros(Hp, dtype=torch.float64)] * 3)
print(f"zero peepholes, max |yours - nn.LSTMCell|: h {(h_zero - h_builtin).abs().max():.1e}, "
      f"c {(c_zero - c_builtin).abs().max():.1e}")
peepholes = [torch.randn(Hp, dtype=torch.float64) for _ in range(3)]
h_peep, c_peep = peephole_lstm_cell(*step_args, *peepholes)
h_plain, c_plain = lstm_cell(*step_args)
print(f"random peepholes, max |peephole - plain LSTM| with the same weights: h {(h_peep - h_plain).abs().max():.2f}, "
      f"c {(c_peep - c_plain).abs().max():.2f}")

# %% [markdown]
# ## 6. Watching the gates: an LSTM that counts brackets
#
# What do the gates do in a trained network? A task small enough to look at every number: read a string
# of brackets and filler, `(-(--)---(`, and after every symbol say how deeply nested we are (0 to 4). The
# strings are generated: each symbol is a filler `-` with probability 1/2, otherwise `(` or `)` with equal
# probability (never closing below depth 0 or opening beyond depth 4). To answer, the network must keep a
# **count** and hold it unchanged across runs of filler — a job for the cell state.
#
# The model: one-hot symbols, an `nn.LSTM` with only $H = 4$ units, and a linear layer to five classes.
# We train the built-in `nn.LSTM` for speed (Section 3 showed yours computes the same thing), with the
# forget-gate bias initialised to 1 as on Day 02, for 800 Adam steps on batches of 64 strings of length
# 60. (While grading, this cell runs only a few steps.)

# %%
from course_lib.layers.gating import init_forget_bias_
from course_lib.training.loop import train

OPEN, CLOSE, FILL = 0, 1, 2
SYMBOLS = "()-"
MAX_DEPTH = 4


def bracket_batch(batch: int, length: int, p_fill: float = 0.5, generator: torch.Generator | None = None
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """Random bracket strings with filler, and the nesting depth after every symbol.
    Returns tokens (B, T) in {0: '(', 1: ')', 2: '-'} and depth (B, T) in 0..MAX_DEPTH."""
    u, v = torch.rand(batch, length, generator=generator), torch.rand(batch, length, generator=generator)
    tokens = torch.empty(batch, length, dtype=torch.long)
    depth = torch.empty(batch, length, dtype=torch.long)
    d = torch.zeros(batch, dtype=torch.long)
    for t in range(length):
        fill = u[:, t] < p_fill
        opens = ~fill & (((v[:, t] < 0.5) & (d < MAX_DEPTH)) | (d == 0))
        closes = ~fill & ~opens
        tokens[:, t] = torch.where(fill, FILL, torch.where(opens, OPEN, CLOSE))
        d = d + opens.long() - closes.long()
        depth[:, t] = d
    return tokens, depth


class DepthTagger(nn.Module):
    """One-hot symbols -> nn.LSTM -> linear layer: logits for the depth 0..MAX_DEPTH after every symbol."""

    def __init__(self, hidden_size: int = 4):
        super().__init__()
        self.lstm = nn.LSTM(len(SYMBOLS), hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, MAX_DEPTH + 1)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        states, _ = self.lstm(nn.functional.one_hot(tokens, len(SYMBOLS)).float())   # (B, T, H)
        return self.head(states)                                                    # (B, T, MAX_DEPTH + 1)


def bracket_batches(seed: int):
    g = torch.Generator().manual_seed(seed)
    while True:
        tokens, depth = bracket_batch(64, 60, generator=g)
        yield tokens.to(device), depth.to(device)


def depth_loss(model: nn.Module, batch) -> torch.Tensor:
    tokens, depth = batch
    logits = model(tokens)                                   # (B, T, 5)
    return nn.functional.cross_entropy(logits.reshape(-1, MAX_DEPTH + 1), depth.reshape(-1))


example, example_depth = bracket_batch(1, 30, generator=torch.Generator().manual_seed(0))
print("example:", "".join(SYMBOLS[t] for t in example[0]))
print("depth:  ", "".join(str(d) for d in example_depth[0].tolist()))

seed_everything(0)
tagger = DepthTagger().to(device)
init_forget_bias_(tagger.lstm, 1.0)
history = train(tagger, torch.optim.Adam(tagger.parameters(), lr=0.02), bracket_batches(seed=1), depth_loss,
                budget(full=800, grading=20), desc="depth tagger")


@torch.no_grad()
def depth_accuracy(length: int, seed: int = 2) -> float:
    """Fraction of positions whose depth the tagger predicts correctly, on 512 fresh strings."""
    tokens, depth = bracket_batch(512, length, generator=torch.Generator().manual_seed(seed))
    return (tagger(tokens.to(device)).argmax(dim=-1).cpu() == depth).float().mean().item()


print(f"loss: first step {history['loss'][0]:.3f}, mean of the last 50 steps {np.mean(history['loss'][-50:]):.3f}")
print(f"depth accuracy on new strings: length 60 (as trained) {depth_accuracy(60):.2%}, "
      f"length 240 (4x longer) {depth_accuracy(240):.2%}")

# %% [markdown]
# Now open the trained network up. `nn.LSTM` does not report its gates, but your NumPy cell from
# Exercise 1 does (its cache holds $i, f, g, o$). Run it with the trained weights over a new string of
# 120 symbols — with more filler than in training (70 %), so the count must be held longer — and record
# everything. First, the check that your cell really is this network:

# %%
tokens, depth = bracket_batch(1, 120, p_fill=0.7, generator=torch.Generator().manual_seed(5))
lstm = tagger.lstm
trained = [getattr(lstm, n).detach().cpu().double().numpy()
           for n in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")]
xs = nn.functional.one_hot(tokens[0], len(SYMBOLS)).double().numpy()      # (T, 3)
H = lstm.hidden_size
h, c = np.zeros((1, H)), np.zeros((1, H))
record = {k: [] for k in ("i", "f", "g", "o", "c", "h")}
for t in range(len(xs)):
    h, c, cache = lstm_cell_forward_np(xs[t:t + 1], h, c, *trained)
    for k in ("i", "f", "g", "o"):
        record[k].append(cache[k][0])
    record["c"].append(c[0])
    record["h"].append(h[0])
record = {k: np.array(v) for k, v in record.items()}                      # each (T, H)
with torch.no_grad():
    h_torch, _ = lstm(nn.functional.one_hot(tokens, len(SYMBOLS)).float().to(device))   # (1, T, H)
print(f"max |h_t from your NumPy cell (float64) - h_t from nn.LSTM (float32)|: "
      f"{np.abs(record['h'] - h_torch[0].cpu().numpy()).max():.1e}")

d = depth[0].numpy()
tok = tokens[0].numpy()
corr = [np.corrcoef(record["c"][:, k], d)[0, 1] for k in range(H)]
unit = int(np.argmax(np.abs(corr)))
sign = 1.0 if corr[unit] > 0 else -1.0
print("correlation of each unit's c_t with the depth:", ", ".join(f"{r:+.3f}" for r in corr))
print(f"unit {unit} tracks the depth most closely")

# %%
steps_axis = np.arange(1, len(d) + 1)
c_unit = sign * record["c"][:, unit]                  # sign flipped when the correlation is negative
slope, intercept = np.polyfit(d, c_unit, 1)           # the straight line that maps depth to c_t
depth_limits = (-0.4, MAX_DEPTH + 1.3)

fig, axes = plt.subplots(3, 1, figsize=(12, 9), sharex=True, gridspec_kw={"height_ratios": [1.2, 1, 0.8]})
ax = axes[0]
ax.step(steps_axis, d, where="mid", color="black", label="true depth (left axis)")
ax.set(ylabel="depth", title=f"Depth and the cell state of unit {unit}", ylim=depth_limits, yticks=range(MAX_DEPTH + 1))
twin = ax.twinx()
twin.plot(steps_axis, c_unit, color=PALETTE[3], label=f"${'' if sign > 0 else '-'}c_t$ of unit {unit} (right axis)")
twin.set(ylabel="cell state", ylim=tuple(slope * np.array(depth_limits) + intercept))
twin.grid(False)
lines = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
ax.legend(lines, [ln.get_label() for ln in lines], loc="upper center", ncol=2)
for k, (name, label) in enumerate([("i", "input gate $i_t$"), ("f", "forget gate $f_t$"), ("o", "output gate $o_t$"),
                                   ("g", "candidate $g_t$")]):
    axes[1].plot(steps_axis, record[name][:, unit], color=PALETTE[[0, 1, 2, 4][k]],
                 linestyle=["-", "--", ":", "-."][k], label=label)
axes[1].set(ylabel="activation", title=f"Gates of unit {unit}", ylim=(-1.1, 1.6))
axes[1].legend(loc="upper center", ncol=4)
limit = np.abs(record["c"]).max()
axes[2].imshow(record["c"].T, aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit,
               extent=(0.5, len(d) + 0.5, H - 0.5, -0.5), interpolation="nearest")
axes[2].set(ylabel="unit", title="Cell state $c_t$ of every unit (red: positive, blue: negative)", yticks=range(H))
axes[2].grid(False)
axes[2].set_xticks(steps_axis)
axes[2].set_xticklabels([SYMBOLS[s] for s in tok], fontsize=7, family="monospace")
axes[2].set_xlabel("input symbol at step t")
plt.show()

# %% [markdown]
# What the counting unit does with each kind of symbol, averaged over this string: its gate values; the
# two terms that change its memory, what the forget gate lets leak out, $(1 - f_t)\,c_{t-1}$, and what is
# written, $i_t g_t$ (so that $c_t - c_{t-1} = i_t g_t - (1 - f_t)\,c_{t-1}$); and how far the cell state
# moves in one step. Filler is split by where it occurs: at depth 0, or inside brackets, where a count
# has to be held.

# %%
c_prev_unit = np.concatenate([[0.0], record["c"][:-1, unit]])            # c_(t-1), with c_0 = 0
leak = (1 - record["f"][:, unit]) * c_prev_unit
write = record["i"][:, unit] * record["g"][:, unit]
moves = np.abs(record["c"][:, unit] - c_prev_unit)
groups = {"'('": tok == OPEN, "')'": tok == CLOSE, "'-' at depth 0": (tok == FILL) & (d == 0),
          "'-' inside brackets": (tok == FILL) & (d > 0)}
print(f"unit {unit}: symbol        count |   i      f      g      o   | (1-f)c_(t-1)  i*g   | mean |c_t - c_(t-1)|")
for label, at in groups.items():
    print(f"  {label:20s} {at.sum():4d} | " + "  ".join(f"{record[k][at, unit].mean():+.2f}" for k in "ifgo")
          + f"  |    {leak[at].mean():+.3f}    {write[at].mean():+.3f} |   {moves[at].mean():.3f}")

runs, start = [], None                                 # runs of filler inside brackets: (first step, end)
for t in range(len(tok) + 1):
    inside = t < len(tok) and tok[t] == FILL and d[t] > 0
    if inside and start is None:
        start = t
    elif not inside and start is not None:
        runs.append((start, t))
        start = None
first, last = max(runs, key=lambda r: r[1] - r[0])
print(f"longest run of filler inside brackets: steps {first + 1}-{last} ({last - first} symbols) at depth {d[first]}; "
      f"unit {unit}'s c_t went from {record['c'][first - 1, unit]:+.3f} to {record['c'][last - 1, unit]:+.3f}")
print(f"product of its forget gates over the run: {np.prod(record['f'][first:last, unit]):.3f}")

# %% [markdown]
# Read the figure from the top. One unit's cell state is a staircase that mirrors the depth (its sign is
# flipped when the correlation is negative, as the label says; the right axis is scaled to line it up
# with the depth): it steps at every bracket and stays flat through the runs of filler. Two of the other
# units follow the depth too (the printed correlations), more loosely: the network spreads what it knows
# over its units.
#
# The table says how the counting unit does it. At a bracket the input gate is open and the candidate
# $g_t$ is large, with opposite signs for `(` and `)`: the count changes by *adding* to the memory, the
# additive update $c_t = f_t \odot c_{t-1} + i_t \odot g_t$ at work. At a filler inside brackets the
# forget gate is high, so little leaks out, and the small amount written back nearly cancels that leak:
# $c_t$ moves far less than at a bracket, and the count rides along — the conveyor belt. At depth 0 the
# forget gate is lower and both terms are larger, yet they still cancel: a resting value the unit is
# pulled back to, which is all "nothing open" needs. Because the network counts rather than memorising
# patterns, it stays accurate on strings four times longer than any it was trained on (printed after
# training).
#
# The last line connects this to Section 2. Your backward pass says that the gradient reaching $c_{t-1}$
# is the gradient at $c_t$ times $f_t$; across the run it is scaled by the printed product of forget
# gates — element by element, with no weight matrix and no $\tanh'$ in it, unlike Day 01's RNN.
#
# ## Summary
#
# - The LSTM keeps a cell state $c_t$ next to the hidden state; four blocks (PyTorch order i, f, g, o),
#   computed by one fused product per input, decide what is forgotten, what is written and what is shown.
# - Its backward pass has two paths into $c_t$; the path from $c_t$ to $c_{t-1}$ is a multiplication by
#   $f_t$ only. You checked your backward pass against finite differences and against autograd through a
#   whole sequence.
# - Your `lstm_cell` and `LSTM` reproduce `nn.LSTMCell` and `nn.LSTM` to float64 precision; the built-in
#   is much faster.
# - An LSTM layer has $4H(D + H) + 8H$ parameters (two bias vectors); peepholes add $3H$ and let the gates
#   see the memory.
# - A trained LSTM counted brackets by adding to its cell state at every bracket and holding it through
#   the filler, a high forget gate and a small write balancing each other — measured, gate by gate.
#
# ## Reflection (2 points, graded by hand)
#
# Use the gate figure and the printed table of Section 6. (a) During a run of filler inside brackets,
# how does the counting unit keep its cell state nearly constant? Answer with the two terms of
# $c_t - c_{t-1} = i_t g_t - (1 - f_t)\,c_{t-1}$ and quote the measured values. (b) Suppose the loss at the
# end of that run depends on the count stored before it. Using your backward pass, say what the gradient
# reaching the cell state at the start of the run is multiplied by along the cell-state path, and why
# this is better behaved than the vanilla RNN of Day 01. (3–5 sentences.)

# %% [markdown] nbgrader="manual" grade_id="reflection" points=2
# ### BEGIN SOLUTION
# *Model answer (for graders; the numbers are from the solution run, a student's may differ a little).*
# (a) Inside brackets the forget gate is high (about 0.92 on average at filler), so only
# $(1 - f_t)\,c_{t-1} \approx -0.08$ leaks out per step, and the written term $i_t g_t \approx -0.07$ has the
# same sign and nearly cancels it: the cell state moves about 0.01 per filler step against about 0.8 at
# a bracket. (b) The backward pass gives $\partial L/\partial c_{t-1} = \delta c_{\text{total}} \odot f_t$, so
# along the cell-state path the gradient is multiplied by the product of the forget gates over the run
# (0.70 over the 9-step run), element by element, with no weight matrix and no $\tanh'$. In the vanilla
# RNN every step multiplies by $\operatorname{diag}(1 - h^2)\,W_{hh}$, and that product shrinks (or grows)
# geometrically with the distance; with $f$ close to 1 the product decays slowly, so the learning signal
# still reaches the bracket that set the count.
# Full marks: (a) names a high forget gate and a small written term that balances the leak, with
# measured values; (b) says the gradient is scaled by the product of forget gates instead of repeated
# $W_{hh}$ and $\tanh'$ factors, and why that matters over distance.
# ### END SOLUTION
