# %% [markdown]
# # Day 04 — The GRU, and the long-range comparison
#
# The gated recurrent unit (GRU) is the LSTM's leaner sibling: two gates instead of three, and no separate
# cell state. Today you build it to match `torch.nn.GRU` exactly, count what every recurrent layer costs in
# parameters, write the two classic long-range benchmarks, and then test — by training, not by quoting —
# the claim every textbook makes: that gated cells remember across distances where a vanilla RNN cannot.
#
# **By the end of today you can**
# 1. write the GRU equations, and say how PyTorch's GRU differs from the one Cho et al. (2014) published;
# 2. write a GRU cell with one fused matrix product per input, and a batch-first GRU module that matches
#    `nn.GRU` to the last digit when given its weights;
# 3. count the parameters of RNN, GRU and LSTM layers, stacked and bidirectional, without building them;
# 4. generate the copy task and the adding task;
# 5. train an RNN, a GRU and an LSTM on the copy task at several distances, and read recall accuracy
#    against distance — including what initialisation has to do with it.
#
# **How this notebook works.** Each exercise is one function or class. Replace
# `raise NotImplementedError()` with your code, then run the test cell right below it: it tells you
# what is wrong if something is. Those visible tests are a first check; when your notebook is graded,
# more tests (edge cases, float64, parity with PyTorch on random weights, gradients) are run too.
# Before submitting, restart the kernel and run everything, then press **Validate**.
# Validate's "Success!" and a test cell's "✓ … passed" mean that the visible tests passed, not a
# grade: graders run hidden tests too.
#
# Points: 11 autograded (five exercises), 2 for the reflection at the end.

# %%
import copy
import time

import numpy as np
import torch
import matplotlib.pyplot as plt
from torch import nn

from course_lib.notebook.runtime import setup_notebook, budget, seed_everything
from course_lib.notebook.checks import check_close, check_equal, check_shape, check_dtype, check_type, check_true
from course_lib.notebook.checks import run_answer
from course_lib.notebook.plotting import plot_lines, PALETTE
from course_lib.notebook.timing import best_time
from course_lib.layers.recurrent import copy_weights
from course_lib.data.tasks import IGNORE
from course_lib.metrics.accuracy import masked_accuracy
from course_lib.training.loop import train

device = setup_notebook(seed=0)

# %% [markdown]
# ## 1. The GRU
#
# A GRU keeps one state vector $h_t \in \mathbb{R}^H$. At every step it computes two gates from the input
# $x_t \in \mathbb{R}^D$ and the previous state, a **candidate** state $n_t$, and then mixes old and new.
# In PyTorch's variant (the one `nn.GRU` and cuDNN implement):
#
# $$
# \begin{aligned}
# r_t &= \sigma\!\left(x_t W_{ir}^\top + b_{ir} + h_{t-1} W_{hr}^\top + b_{hr}\right) && \text{reset gate}\\
# z_t &= \sigma\!\left(x_t W_{iz}^\top + b_{iz} + h_{t-1} W_{hz}^\top + b_{hz}\right) && \text{update gate}\\
# n_t &= \tanh\!\left(x_t W_{in}^\top + b_{in} + r_t \odot \left(h_{t-1} W_{hn}^\top + b_{hn}\right)\right) && \text{candidate}\\
# h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}
# \end{aligned}
# $$
#
# - The **update gate** $z_t$ decides, unit by unit, how much of the old state to keep. Where $z_t = 1$ the
#   unit copies $h_{t-1}$ unchanged, and its gradient passes back unchanged too:
#   $\partial h_t / \partial h_{t-1}$ contains the term $\operatorname{diag}(z_t)$, an additive path like the
#   LSTM's cell state (Day 02), instead of only the squashed product of Day 01.
# - The **reset gate** $r_t$ decides how much of the old state the candidate may look at. Note *where* it
#   acts: on the already projected state $h_{t-1} W_{hn}^\top + b_{hn}$, bias included.
#
# **Weight layout.** Exactly as in `nn.GRU`, the three blocks are stacked in the order **r, z, n**:
# `weight_ih` $= [W_{ir}; W_{iz}; W_{in}]$ has shape $(3H, D)$, `weight_hh` $(3H, H)$, and the biases
# `bias_ih` $= [b_{ir}; b_{iz}; b_{in}]$ and `bias_hh` $= [b_{hr}; b_{hz}; b_{hn}]$ have shape $(3H,)$. So
# one matrix product per input, `x @ weight_ih.T` and `h @ weight_hh.T`, gives all three blocks at once
# ($B \times 3H$ each), and `.chunk(3, dim=1)` splits them.
#
# **Cho et al. (2014) wrote it differently.** The paper that introduced the GRU applies the reset gate to
# the state *before* the product (it writes no biases; with PyTorch's bias vectors the natural
# translation is):
#
# $$n_t = \tanh\!\left(x_t W_{in}^\top + b_{in} + (r_t \odot h_{t-1}) W_{hn}^\top + b_{hn}\right), \qquad
# h_t = z_t \odot h_{t-1} + (1 - z_t) \odot n_t .$$
#
# With the same weights the two candidates differ — they are different functions (measured below), so
# weights trained in one form cannot simply be loaded into the other. PyTorch's form has a practical reason:
# $h_{t-1} W_{hh}^\top$ can be computed for all three blocks in one product *before* $r_t$ is known; in
# Cho's form the $n$ block must wait for $r_t$, a second product per step.
#
# One more trap when reading other sources: Cho et al. and PyTorch let $z$ *keep* the old state, but
# Chung et al. (2014), many tutorials and the notes this course grew from write
# $h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t$, where $z$ *writes* the new one. That is the same
# model with $z$ renamed $1 - z$ — harmless on paper, a bug when you copy weights or read gate values.
#
# ### Exercise 1 — one GRU step (2 points)
#
# Write `gru_cell` in PyTorch, PyTorch's variant, with **exactly one matrix product with `weight_ih` and
# one with `weight_hh`** (compute all three blocks together, then split them). It must work for any float
# dtype and batch size, and let gradients flow to every argument.

# %% nbgrader="answer" grade_id="gru_cell"
def gru_cell(x: torch.Tensor, h_prev: torch.Tensor, weight_ih: torch.Tensor, weight_hh: torch.Tensor,
             bias_ih: torch.Tensor, bias_hh: torch.Tensor) -> torch.Tensor:
    """One GRU step as in nn.GRUCell: gate blocks ordered r, z, n; the reset gate multiplies W_hn h + b_hn.

    x: (B, D), h_prev: (B, H), weight_ih: (3H, D), weight_hh: (3H, H), bias_ih: (3H,), bias_hh: (3H,)
    returns h: (B, H), the dtype of x
    Exactly one matrix product with weight_ih and one with weight_hh (all three blocks at once).
    """
    ### BEGIN SOLUTION
    gi = x @ weight_ih.T + bias_ih           # (B, 3H): input side of r, z and n
    gh = h_prev @ weight_hh.T + bias_hh      # (B, 3H): hidden side, b_hn included
    i_r, i_z, i_n = gi.chunk(3, dim=1)       # each (B, H)
    h_r, h_z, h_n = gh.chunk(3, dim=1)
    r = torch.sigmoid(i_r + h_r)
    z = torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)
    return (1 - z) * n + z * h_prev          # (B, H)
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_gru_cell" points=2
_g = torch.Generator().manual_seed(0)
_x, _h = torch.randn(2, 3, generator=_g), torch.randn(2, 4, generator=_g)
_W_ih, _W_hh = torch.randn(12, 3, generator=_g), torch.randn(12, 4, generator=_g)
_b_ih, _b_hh = torch.randn(12, generator=_g), torch.randn(12, generator=_g)
_W_in, _b_in = _W_ih[8:], _b_ih[8:]                  # the n block of the input side
_zeros = [torch.zeros(12, 3), torch.zeros(12, 4), torch.zeros(12), torch.zeros(12)]
h = run_answer(gru_cell, _x, _h, *_zeros, name="gru_cell with every weight and bias 0")
check_type(h, torch.Tensor, "gru_cell output")
check_shape(h, (2, 4), "gru_cell output (B=2, H=4)",
            hint="x @ weight_ih.T has shape (B, 3H); split it into three (B, H) blocks with .chunk(3, dim=1)")
check_close(h, 0.5 * _h, "gru_cell output when every weight and bias is 0",
            hint="then r = z = sigmoid(0) = 0.5 and n = tanh(0) = 0, so h = 0.5 * h_prev")


def _gates_forced(r_bias: float, z_bias: float) -> torch.Tensor:
    """bias_ih with the r block and the z block pushed to a large value (gate 1) or a small one (gate 0)."""
    b = _b_ih.clone()
    b[0:4], b[4:8] = r_bias, z_bias
    return b


_keep = run_answer(gru_cell, _x, _h, _W_ih, _W_hh, _gates_forced(40.0, 40.0), _b_hh,
                   name="gru_cell with both gates forced open (r = z = 1)")
check_close(_keep, _h, "gru_cell output when r = z = 1 (random weights)",
            hint="z = 1 must keep the old state: PyTorch's h = (1 - z) * n + z * h_prev, not z * n + (1 - z) * h_prev")
_keep = run_answer(gru_cell, _x, _h, _W_ih, _W_hh, _gates_forced(-40.0, 40.0), _b_hh,
                   name="gru_cell with only the update gate forced open (r = 0, z = 1)")
check_close(_keep, _h, "gru_cell output when r = 0 and z = 1 (random weights)",
            hint="the blocks are stacked r, z, n: the update gate z is the SECOND chunk, the reset gate r the first")
_want_n = torch.tanh(_x @ _W_in.T + _b_in)            # r = 0: the candidate sees nothing of h_prev, nor b_hn
_new = run_answer(gru_cell, _x, _h, _W_ih, _W_hh, _gates_forced(-40.0, -40.0), _b_hh,
                  name="gru_cell with both gates forced shut (r = z = 0)")
check_close(_new, _want_n, "gru_cell output when r = z = 0: h = n = tanh(x W_in^T + b_in)",
            hint="PyTorch's reset gate multiplies the projected state INCLUDING its bias, r * (h W_hn^T + b_hn), after "
                 "the product; so with r = 0 neither h_prev nor b_hn reaches the candidate")
_want_n = torch.tanh(_x @ _W_in.T + _b_in + _h @ _W_hh[8:].T + _b_hh[8:])   # r = 1: the whole projected state
_new = run_answer(gru_cell, _x, _h, _W_ih, _W_hh, _gates_forced(40.0, -40.0), _b_hh,
                  name="gru_cell with the reset gate open and the update gate shut (r = 1, z = 0)")
check_close(_new, _want_n, "gru_cell output when r = 1 and z = 0: h = n = tanh(x W_in^T + b_in + h W_hn^T + b_hn)",
            hint="the candidate uses the n blocks of all four arguments: weight_ih, bias_ih, weight_hh AND bias_hh")
_h64 = run_answer(gru_cell, _x.double(), _h.double(), *[t.double() for t in (_W_ih, _W_hh, _b_ih, _b_hh)],
                  name="gru_cell in float64")
check_dtype(_h64, torch.float64, "gru_cell output for float64 inputs",
            hint="compute in the inputs' dtype: no .float(), and any tensor you create takes x's dtype")
_builtin = nn.GRUCell(3, 4)                           # torch's own cell, given the same weights, for one sequence
with torch.no_grad():
    for _p, _v in zip((_builtin.weight_ih, _builtin.weight_hh, _builtin.bias_ih, _builtin.bias_hh),
                      (_W_ih, _W_hh, _b_ih, _b_hh)):
        _p.copy_(_v)
    _want1 = _builtin(_x[1:], _h[1:])
_got1 = run_answer(gru_cell, _x[1:], _h[1:], _W_ih, _W_hh, _b_ih, _b_hh, name="gru_cell, batch of one")
check_shape(_got1, (1, 4), "gru_cell output for a batch of one", hint="keep the batch dimension: no .squeeze()")
check_close(_got1, _want1, "gru_cell output for a batch of one, random weights (nn.GRUCell with the same weights)",
            hint="r and z: sigmoid of input side + hidden side; n: tanh(i_n + r * h_n); h = (1 - z) * n + z * h_prev")
_hg = _h.clone().requires_grad_(True)
_want_dh, = torch.autograd.grad(_builtin(_x, _hg).sum(), _hg)   # expected gradient first, from nn.GRUCell
_hg = _h.clone().requires_grad_(True)
_got = run_answer(gru_cell, _x, _hg, _W_ih, _W_hh, _b_ih, _b_hh, copy=False,
                  name="gru_cell with h_prev requiring grad",
                  hint="don't change h_prev in place (no mul_, add_, *=): compute a new tensor")
check_close(_hg.detach(), _h, "gru_cell leaves h_prev unchanged", hint="don't change h_prev in place")
_got_dh, = torch.autograd.grad(_got.sum(), _hg, allow_unused=True)
check_true(_got_dh is not None, "gradient of the output's sum reaches h_prev", "no gradient flows to h_prev",
           hint="no .detach(), .data or torch.no_grad(): autograd must see h_prev")
check_close(_got_dh, _want_dh, "gradient of the output's sum with respect to h_prev (nn.GRUCell with the same weights)",
            hint="h_prev reaches h through z * h_prev and through the gates and the candidate: nothing detached")
### BEGIN HIDDEN TESTS
from course_lib.notebook.checks import count_matrix_products
from course_lib.notebook.rules import written_by_you

_ref = nn.GRUCell(5, 6).double()
with torch.no_grad():
    for _p in _ref.parameters():
        _p.uniform_(-1.0, 1.0)  # larger than the default, so every gate matters
_xd = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)
_hd = torch.randn(3, 6, dtype=torch.float64, requires_grad=True)
_w = torch.randn(3, 6, dtype=torch.float64)
_want = _ref(_xd, _hd)
(_want * _w).sum().backward()
_want_grads = [_xd.grad, _hd.grad] + [p.grad for p in _ref.parameters()]
_want = _want.detach()
_want1 = _ref(_xd[:1].detach(), _hd[:1].detach()).detach()
_params = [p.detach().clone() for p in _ref.parameters()]
_mine = [p.clone().requires_grad_(True) for p in _params]
_x2, _h2 = _xd.detach().clone().requires_grad_(True), _hd.detach().clone().requires_grad_(True)
_ref32 = nn.GRUCell(2, 3)
_x32, _h32 = torch.randn(4, 2), torch.randn(4, 3)
with torch.no_grad():
    _want32 = _ref32(_x32, _h32)
_params32 = [p.detach().clone() for p in _ref32.parameters()]
with written_by_you("gru_cell") as rules:
    _got = run_answer(gru_cell, _x2, _h2, *_mine, name="hidden check: gru_cell on random float64 weights", copy=False)
    check_dtype(_got, torch.float64, "hidden check: float64 stays float64")
    check_close(_got, _want, "hidden check: parity with nn.GRUCell (random weights and biases, float64)", atol=1e-10)
    (_got * _w).sum().backward()
    for _name, _a, _b in zip(["x", "h_prev", "weight_ih", "weight_hh", "bias_ih", "bias_hh"],
                             [_x2.grad, _h2.grad] + [p.grad for p in _mine], _want_grads):
        check_true(_a is not None, f"hidden check: gradient with respect to {_name}",
                   f"no gradient reached {_name}: something detaches it or computes it without autograd")
        check_close(_a, _b, f"hidden check: gradient with respect to {_name} matches nn.GRUCell", atol=1e-10)
    check_close(run_answer(gru_cell, _xd[:1].detach(), _hd[:1].detach(), *_params, name="hidden check: batch 1"),
                _want1, "hidden check: batch 1 (float64)", atol=1e-10)
    check_close(run_answer(gru_cell, _x32, _h32, *_params32, name="hidden check: float32, D=2, H=3"), _want32,
                "hidden check: float32, input size 2, hidden size 3, batch 4", atol=1e-6)
    with count_matrix_products() as _counter:
        run_answer(gru_cell, _xd.detach(), _hd.detach(), *_params, name="hidden check: matrix products")
    check_true(_counter.count <= rules.max_matrix_products, "hidden check: one fused matrix product per input",
               f"counted {_counter.count} matrix products in one step; at most {rules.max_matrix_products} "
               "(x @ weight_ih.T and h_prev @ weight_hh.T, each giving all three blocks)")
### END HIDDEN TESTS

# %% [markdown]
# Now the two variants side by side. Below, `cho_gru_cell` is Cho et al.'s form; it runs on the weights of
# an `nn.GRUCell`, next to your cell and the cell itself. Then the reset gate is forced open ($r = 1$, by a
# large bias on the r block): where nothing is reset, the two forms must agree.

# %%
def cho_gru_cell(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """Cho et al. (2014): the reset gate multiplies h_prev *before* the product with W_hn. Shapes as gru_cell."""
    H = h_prev.shape[1]
    a_r, a_z, a_n = (x @ weight_ih.T + bias_ih).chunk(3, dim=1)                  # each (B, H)
    c_r, c_z = (h_prev @ weight_hh[:2 * H].T + bias_hh[:2 * H]).chunk(2, dim=1)   # r and z: one product
    reset, update = torch.sigmoid(a_r + c_r), torch.sigmoid(a_z + c_z)
    candidate = torch.tanh(a_n + (reset * h_prev) @ weight_hh[2 * H:].T + bias_hh[2 * H:])  # a second product
    return update * h_prev + (1 - update) * candidate


torch.manual_seed(0)
ref_cell = nn.GRUCell(4, 6).double()
weights = [p.detach().clone() for p in (ref_cell.weight_ih, ref_cell.weight_hh, ref_cell.bias_ih, ref_cell.bias_hh)]
x, h = torch.randn(5, 4, dtype=torch.float64), torch.randn(5, 6, dtype=torch.float64)
with torch.no_grad():
    reference = ref_cell(x, h)
    print(f"max |your gru_cell - nn.GRUCell|  = {(gru_cell(x, h, *weights) - reference).abs().max():.1e}")
    print(f"max |Cho et al.    - nn.GRUCell|  = {(cho_gru_cell(x, h, *weights) - reference).abs().max():.1e}")
    weights[2][:6] = 50.0   # r block of bias_ih: reset gate fully open
    print(f"reset gate forced open: max |Cho et al. - your gru_cell| = "
          f"{(cho_gru_cell(x, h, *weights) - gru_cell(x, h, *weights)).abs().max():.1e}")

# %% [markdown]
# Same weights, different outputs — by far more than rounding — until the reset gate is fully open, when
# the forms coincide. (If your own line is not at the level of rounding error, $\sim 10^{-16}$, your cell
# is not yet PyTorch's variant.)
#
# ### Exercise 2 — a GRU module (3 points)
#
# Now the sequence version, a drop-in for `nn.GRU(input_size, hidden_size, batch_first=True)` (one layer):
#
# - parameters named `weight_ih` $(3H, D)$, `weight_hh` $(3H, H)$, `bias_ih` $(3H,)$, `bias_hh` $(3H,)$,
#   each initialised like PyTorch does, from $\mathcal{U}(-1/\sqrt{H}, 1/\sqrt{H})$;
# - `forward(x, h0=None)` takes `x` of shape $(B, T, D)$ and an optional initial state `h0` of shape
#   $(1, B, H)$ (zeros when `None`), and returns `(output, h_n)`: every state, $(B, T, H)$, and the last
#   one, $(1, B, H)$ — the shapes `nn.GRU` returns.
#
# Use your `gru_cell`, and do not `.detach()` the state: the gradient must flow back through every step, to `x`,
# to the weights and to `h0`.

# %% nbgrader="answer" grade_id="gru_module"
class GRU(nn.Module):
    """Single-layer GRU, batch first; a drop-in for nn.GRU(input_size, hidden_size, batch_first=True).

    Parameters weight_ih (3H, D), weight_hh (3H, H), bias_ih (3H,), bias_hh (3H,), each ~ U(-1/sqrt(H), 1/sqrt(H)).
    """

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        ### BEGIN SOLUTION
        bound = 1.0 / hidden_size ** 0.5
        self.weight_ih = nn.Parameter(torch.empty(3 * hidden_size, input_size).uniform_(-bound, bound))
        self.weight_hh = nn.Parameter(torch.empty(3 * hidden_size, hidden_size).uniform_(-bound, bound))
        self.bias_ih = nn.Parameter(torch.empty(3 * hidden_size).uniform_(-bound, bound))
        self.bias_hh = nn.Parameter(torch.empty(3 * hidden_size).uniform_(-bound, bound))
        ### END SOLUTION

    def forward(self, x: torch.Tensor, h0: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, T, D), h0: (1, B, H) or None -> (output: (B, T, H), h_n: (1, B, H))"""
        ### BEGIN SOLUTION
        B, T, _ = x.shape
        state = x.new_zeros(B, self.hidden_size) if h0 is None else h0[0]   # (B, H)
        states = []
        for t in range(T):
            state = gru_cell(x[:, t], state, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
            states.append(state)
        return torch.stack(states, dim=1), state.unsqueeze(0)   # (B, T, H), (1, B, H)
        ### END SOLUTION


# %% nbgrader="tests" grade_id="test_gru_module" points=3
model = run_answer(GRU, 3, 5, name="GRU(3, 5)")
_shapes = {name: tuple(p.shape) for name, p in model.named_parameters()}
check_equal(sorted(_shapes), ["bias_hh", "bias_ih", "weight_hh", "weight_ih"], "GRU parameter names",
            hint="four nn.Parameter attributes: weight_ih, weight_hh, bias_ih, bias_hh")
check_equal([_shapes[k] for k in ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]], [(15, 3), (15, 5), (15,), (15,)],
            "GRU parameter shapes [weight_ih, weight_hh, bias_ih, bias_hh]", hint="three gate blocks: 3 * hidden_size rows")
_largest = max(float(p.detach().abs().max()) for p in model.parameters())
check_true(_largest <= 5 ** -0.5, "GRU(3, 5) initialisation",
           f"the largest |parameter| is {_largest:.3f}, outside PyTorch's range +-1/sqrt(hidden_size) = {5 ** -0.5:.3f}",
           hint="every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)): hidden_size, not input_size")
_spread = {name: float(p.detach().abs().max()) for name, p in model.named_parameters()}
check_true(min(_spread.values()) >= 0.5 * 5 ** -0.5, "GRU(3, 5) initialisation",
           f"largest |value| per parameter {', '.join(f'{k} {v:.3f}' for k, v in sorted(_spread.items()))}: some "
           f"parameter stays far inside +-1/sqrt(hidden_size) = {5 ** -0.5:.3f}",
           hint="every parameter, biases too, is drawn from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)); no zeros")
_x = torch.randn(2, 4, 3)
output, h_n = run_answer(model, _x, name="GRU(3, 5) on x of shape (B=2, T=4, D=3), h0=None")
check_shape(output, (2, 4, 5), "GRU output (B=2, T=4, H=5)",
            hint="loop over the time steps x[:, t] (dim 1, batch first) and stack the states along dim=1")
check_shape(h_n, (1, 2, 5), "GRU h_n", hint="h_n has a leading layer dimension of size 1, like nn.GRU")
check_close(h_n[0], output[:, -1], "GRU h_n", hint="h_n should be the last state in output")
with torch.no_grad():
    for _p in model.parameters():
        _p.zero_()
_h0 = torch.randn(1, 2, 5)
_out0, _ = run_answer(model, torch.randn(2, 4, 3), _h0, name="GRU with zero weights and a given h0")
check_close(_out0, _h0[0][:, None, :] * 0.5 ** torch.arange(1, 5)[None, :, None],
            "GRU output when every weight is 0 (each step halves the state, starting from h0)",
            hint="start from h0[0] and carry the state from step to step")
_builtin = nn.GRU(3, 5, batch_first=True)             # torch's own GRU, its weights copied into your module
copy_weights(_builtin, model)
_x1, _h01 = torch.randn(1, 3, 3), torch.randn(1, 1, 5)
with torch.no_grad():
    _want_out, _want_hn = _builtin(_x1, _h01)
_out1, _hn1 = run_answer(model, _x1, _h01, name="GRU on a batch of one with a given h0")
check_shape(_out1, (1, 3, 5), "GRU output for a batch of one (B=1, T=3)", hint="keep the batch dimension: no .squeeze()")
check_shape(_hn1, (1, 1, 5), "GRU h_n for a batch of one", hint="keep both leading dimensions: (1, B, H)")
check_close(_out1, _want_out, "GRU output for a batch of one with a given h0 (nn.GRU with the same weights)",
            hint="the state starts from h0[0], of shape (1, H) here: index the layer dimension away, don't .squeeze() "
                 "(if your gru_cell fails its own tests, fix it first: this check runs it)")
_xg = torch.randn(2, 4, 3, requires_grad=True)
_out_g, _ = run_answer(model, _xg, name="GRU forward for the gradient check", copy=False)
_out_g[:, -1].sum().backward()
check_true(bool(_xg.grad[:, 0].abs().sum() > 0), "gradient of the last output with respect to the first input",
           "it is zero: the state is cut from the graph between steps",
           hint="no .detach() (and no torch.no_grad()) on the state: the last output depends on every earlier step")
_model64 = copy.deepcopy(model).double()
_out64, _hn64 = run_answer(_model64, torch.randn(2, 3, 3, dtype=torch.float64), name="GRU in float64, h0=None")
check_dtype(_out64, torch.float64, "GRU output of a float64 module (h0=None)",
            hint="the zero initial state must take x's dtype: x.new_zeros(B, H) or torch.zeros(..., dtype=x.dtype)")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.layers.recurrent import Recurrent as _Recurrent
_ref = nn.GRU(4, 6, batch_first=True).double()
_x = torch.randn(3, 9, 4, dtype=torch.float64, requires_grad=True)
_h0 = torch.randn(1, 3, 6, dtype=torch.float64, requires_grad=True)
_out_ref, _hn_ref = _ref(_x, _h0)
(_out_ref.sum() + 2 * _hn_ref.sum()).backward()
_out_ref, _hn_ref = _out_ref.detach(), _hn_ref.detach()
with torch.no_grad():
    _o1_ref, _h1_ref = _ref(_x[:1, :1].detach())
    _xb, _hb = torch.randn(1, 5, 4, dtype=torch.float64), torch.randn(1, 1, 6, dtype=torch.float64)
    _ob_ref, _hbn_ref = _ref(_xb, _hb)
_ref_grads = {n: p.grad.clone() for n, p in _ref.named_parameters()}
with written_by_you("gru_module"):
    torch.manual_seed(1)
    _m = run_answer(GRU, 4, 6, name="hidden check: GRU(4, 6)").double()
    check_true(not any(isinstance(_sub, _Recurrent) for _sub in _m.modules()), "hidden check: written by you",
               "your GRU is, or holds, one of course_lib's recurrent layers: this exercise asks you to write the loop")
    _bound = 1 / 6 ** 0.5
    check_true(all(float(p.detach().abs().max()) <= _bound for p in _m.parameters()), "hidden check: initialisation",
               "some parameters are outside the range PyTorch uses")
    check_true(all(float(p.detach().std()) > 0.15 * _bound for p in _m.parameters()), "hidden check: initialisation",
               "some parameters are (nearly) constant")
    _wide = run_answer(GRU, 2, 64, name="hidden check: GRU(2, 64)")
    for _name, _p in _wide.named_parameters():  # U(-b, b): max |value| close to b, standard deviation b / sqrt(3)
        _p = _p.detach()
        check_true(0.9 * 64 ** -0.5 <= float(_p.abs().max()) <= 64 ** -0.5
                   and 0.8 <= float(_p.std()) / (64 ** -0.5 / 3 ** 0.5) <= 1.2,
                   f"hidden check: initialisation of {_name} in GRU(2, 64)",
                   f"max |value| {float(_p.abs().max()):.4f} and std {float(_p.std()):.4f}; U(-1/8, 1/8) gives max "
                   f"close to 0.125 and std 0.0722")
    copy_weights(_ref, _m)
    _x2 = _x.detach().clone().requires_grad_(True)
    _h02 = _h0.detach().clone().requires_grad_(True)
    _out, _hn = run_answer(_m, _x2, _h02, name="hidden check: GRU on random float64 weights", copy=False)
    check_close(_out, _out_ref, "hidden check: output matches nn.GRU (random weights, non-zero h0, float64)",
                atol=1e-10)
    check_close(_hn, _hn_ref, "hidden check: h_n matches nn.GRU", atol=1e-10)
    (_out.sum() + 2 * _hn.sum()).backward()
    for _name, _a, _b in [("the input", _x2.grad, _x.grad), ("h0", _h02.grad, _h0.grad),
                          ("weight_ih", _m.weight_ih.grad, _ref_grads["weight_ih_l0"]),
                          ("weight_hh", _m.weight_hh.grad, _ref_grads["weight_hh_l0"]),
                          ("bias_ih", _m.bias_ih.grad, _ref_grads["bias_ih_l0"]),
                          ("bias_hh", _m.bias_hh.grad, _ref_grads["bias_hh_l0"])]:
        check_true(_a is not None, f"hidden check: gradient with respect to {_name}",
                   f"no gradient reached {_name}: the state or a parameter is detached somewhere")
        check_close(_a, _b, f"hidden check: gradient with respect to {_name} matches nn.GRU (through every step)",
                    atol=1e-10)
    _o1, _h1 = run_answer(_m, _x[:1, :1].detach(), name="hidden check: T=1, batch 1, h0=None")
    check_close(_o1, _o1_ref, "hidden check: T=1, batch 1, h0=None", atol=1e-10)
    check_close(_h1, _h1_ref, "hidden check: h_n for T=1, batch 1, h0=None", atol=1e-10)
    _ob, _hbn = run_answer(_m, _xb, _hb, name="hidden check: batch 1 with a given h0")
    check_close(_ob, _ob_ref, "hidden check: batch 1, T=5, with a given h0", atol=1e-10)
    check_close(_hbn, _hbn_ref, "hidden check: h_n for batch 1, T=5, with a given h0", atol=1e-10)
### END HIDDEN TESTS

# %% [markdown]
# Your module and `nn.GRU` should compute the same function; below, both run on the same weights in
# float64. `nn.GRU` runs its loop over time in compiled code (in cuDNN on a GPU), and we will train with it;
# the timing (forward and backward, at the experiment's size) shows what that buys on this machine.

# %%
torch.manual_seed(0)
builtin, mine = nn.GRU(16, 32, batch_first=True).double(), GRU(16, 32).double()
copy_weights(builtin, mine)
x, h0 = torch.randn(64, 44, 16, dtype=torch.float64), torch.randn(1, 64, 32, dtype=torch.float64)
with torch.no_grad():
    (out_a, hn_a), (out_b, hn_b) = builtin(x, h0), mine(x, h0)
print(f"float64: max |output difference| = {(out_a - out_b).abs().max():.1e}, "
      f"max |h_n difference| = {(hn_a - hn_b).abs().max():.1e}")


def time_forward_backward(module: nn.Module, x: torch.Tensor) -> float:
    """Seconds of one forward + backward pass (best of 5)."""
    return best_time(lambda: module(x)[0].sum().backward(), repeat=5)


builtin, mine = builtin.float(), mine.float()
t_builtin, t_mine = time_forward_backward(builtin, x.float()), time_forward_backward(mine, x.float())
print(f"float32, B=64, T=44: nn.GRU {1e3 * t_builtin:.1f} ms, your GRU {1e3 * t_mine:.1f} ms "
      f"({t_mine / t_builtin:.1f}x the time of nn.GRU)")

# %% [markdown]
# ## 2. What a recurrent layer costs: parameter counts
#
# A layer of `nn.RNN`, `nn.GRU` or `nn.LSTM` with $G$ gate blocks ($G = 1$ for the RNN, 3 for the GRU, 4
# for the LSTM: i, f, g, o) has, **per layer and per direction**,
#
# - `weight_ih` of shape $(G H, D_k)$ and `weight_hh` of shape $(G H, H)$;
# - with `bias=True`, **two** bias vectors, `bias_ih` and `bias_hh`, each $(G H,)$. In the RNN and the
#   LSTM the two are always added, so one would do; in the GRU, $b_{hn}$ sits inside the reset product and
#   is not redundant. PyTorch keeps both for every cell, matching cuDNN's weight layout.
#
# The first layer reads the input, $D_0$ = `input_size`. Layer $k > 0$ reads the output of layer $k - 1$:
# its $H$ features — or, in a bidirectional network, both directions' outputs concatenated.
#
# ### Exercise 3 — parameter counts (2 points)
#
# Write `param_count(cell, input_size, hidden_size, num_layers=1, bidirectional=False, bias=True)`, the
# number that `sum(p.numel() for p in module.parameters())` gives for `nn.RNN`, `nn.GRU` or `nn.LSTM`
# built with these arguments — from the shapes above, without building the module. `cell` is `"RNN"`,
# `"GRU"` or `"LSTM"`; any other value raises a `ValueError`. Return a Python `int`.

# %% nbgrader="answer" grade_id="param_count"
def param_count(cell: str, input_size: int, hidden_size: int, num_layers: int = 1,
                bidirectional: bool = False, bias: bool = True) -> int:
    """Number of parameters of nn.<cell>(input_size, hidden_size, num_layers, bias=bias,
    bidirectional=bidirectional), cell in {"RNN", "GRU", "LSTM"}, computed from the weight shapes.
    Returns an int; raises ValueError for any other cell name."""
    ### BEGIN SOLUTION
    blocks = {"RNN": 1, "GRU": 3, "LSTM": 4}
    if cell not in blocks:
        raise ValueError(f"cell must be 'RNN', 'GRU' or 'LSTM', got {cell!r}")
    GH = blocks[cell] * hidden_size
    directions = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        layer_input = input_size if layer == 0 else directions * hidden_size
        per_direction = GH * layer_input + GH * hidden_size + (2 * GH if bias else 0)
        total += directions * per_direction
    return total
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_param_count" points=2
def _built(cell, D, H, **kwargs):
    """What PyTorch counts, for the module built with these arguments (computed before your function runs)."""
    return sum(p.numel() for p in getattr(nn, cell)(D, H, **kwargs).parameters())


_n = run_answer(param_count, "GRU", 10, 20, name="param_count('GRU', 10, 20)")
check_type(_n, int, "param_count('GRU', 10, 20)", hint="return a Python int (no float division, no numpy or torch number)")
for _cell, _D, _H in [("RNN", 5, 8), ("GRU", 10, 20), ("LSTM", 5, 8)]:
    _want = _built(_cell, _D, _H)
    check_equal(run_answer(param_count, _cell, _D, _H, name=f"param_count('{_cell}', {_D}, {_H})"), _want,
                f"param_count('{_cell}', {_D}, {_H}) (one layer)",
                hint="G blocks (RNN 1, GRU 3, LSTM 4): weight_ih (G*H, D), weight_hh (G*H, H) and TWO bias vectors "
                     "of G*H each")
_want = _built("GRU", 6, 4, num_layers=3)
check_equal(run_answer(param_count, "GRU", 6, 4, num_layers=3, name="param_count('GRU', 6, 4, num_layers=3)"), _want,
            "param_count('GRU', 6, 4, num_layers=3)",
            hint="every layer has its own weights; layer k > 0 reads the H features of the layer below, not input_size")
_want = _built("LSTM", 6, 4, bidirectional=True)
check_equal(run_answer(param_count, "LSTM", 6, 4, bidirectional=True,
                       name="param_count('LSTM', 6, 4, bidirectional=True)"), _want,
            "param_count('LSTM', 6, 4, bidirectional=True) (one layer)",
            hint="a bidirectional layer has two full sets of weights and biases, one per direction")
_want = _built("GRU", 6, 4, num_layers=2, bidirectional=True)
check_equal(run_answer(param_count, "GRU", 6, 4, num_layers=2, bidirectional=True,
                       name="param_count('GRU', 6, 4, num_layers=2, bidirectional=True)"), _want,
            "param_count('GRU', 6, 4, num_layers=2, bidirectional=True)",
            hint="in a bidirectional network, layer 2 reads both directions' outputs concatenated: 2H features")
_want = _built("RNN", 6, 4, num_layers=2, bias=False)
check_equal(run_answer(param_count, "RNN", 6, 4, num_layers=2, bias=False,
                       name="param_count('RNN', 6, 4, num_layers=2, bias=False)"), _want,
            "param_count('RNN', 6, 4, num_layers=2, bias=False)", hint="bias=False: no bias vectors at all, only weights")
from course_lib.notebook.checks import check_raises
check_raises(lambda: param_count("Transformer", 6, 4), ValueError, "param_count('Transformer', 6, 4)",
             hint="any cell name other than 'RNN', 'GRU' or 'LSTM' raises ValueError: not a KeyError, not 0")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
_configs = [(7, 16, 2, False, True, "two stacked layers"), (7, 16, 3, True, True, "bidirectional, three layers"),
            (3, 5, 1, True, True, "bidirectional, one layer"), (12, 4, 2, True, False, "bias=False, bidirectional"),
            (6, 9, 1, False, False, "bias=False"), (1, 1, 4, False, True, "input_size = hidden_size = 1"),
            (16, 16, 2, True, True, "input_size = hidden_size, bidirectional"),
            (40, 3, 3, True, False, "bias=False, bidirectional, three layers")]
_expected = {(c, cfg): sum(p.numel() for p in getattr(nn, c)(cfg[0], cfg[1], num_layers=cfg[2], bidirectional=cfg[3],
                                                           bias=cfg[4]).parameters())
             for c in ("RNN", "GRU", "LSTM") for cfg in _configs}
_want_positional = _built("GRU", 5, 7, num_layers=2, bidirectional=True, bias=False)


class _BuildsALayer(torch.overrides.TorchFunctionMode):
    """Notes every parameter initialisation (what building any torch or course_lib layer does)."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if getattr(func, "__name__", "") in ("uniform_", "normal_", "kaiming_uniform_", "xavier_uniform_", "orthogonal_"):
            self.seen.append(func.__name__)
        return func(*args, **(kwargs or {}))


with written_by_you("param_count"), _BuildsALayer() as _builds:
    for (_c, _cfg), _want in _expected.items():
        _got = run_answer(param_count, _c, _cfg[0], _cfg[1], num_layers=_cfg[2], bidirectional=_cfg[3], bias=_cfg[4],
                          name=f"hidden check: {_c}, {_cfg[5]}")
        check_type(_got, int, f"hidden check: {_c}, {_cfg[5]}: a Python int")
        check_equal(_got, _want, f"hidden check: {_c}, {_cfg[5]}")
    check_equal(run_answer(param_count, "GRU", 5, 7, 2, True, False, name="hidden check: positional arguments"),
                _want_positional, "hidden check: positional arguments (cell, D, H, num_layers, bidirectional, bias)")
    check_raises(lambda: param_count("Transformer", 4, 4), ValueError, "hidden check: an unknown cell name")
    check_raises(lambda: param_count("gru_cell", 4, 4), ValueError, "hidden check: an unknown cell name ('gru_cell')")
check_true(not _builds.seen, "hidden check: computed from the shapes, without building a layer",
           f"param_count initialised parameters ({', '.join(sorted(set(_builds.seen)))}): it builds a layer and counts it")
### END HIDDEN TESTS

# %% [markdown]
# The recurrent layers of today's experiment (input 16, hidden 32), counted by your function and by
# PyTorch, and the count the course notes give for a GRU, $3H(D + H) + 3H$:

# %%
counts = {cell: param_count(cell, 16, 32) for cell in ("RNN", "GRU", "LSTM")}
for cell, n in counts.items():
    built = sum(p.numel() for p in getattr(nn, cell)(16, 32).parameters())
    print(f"{cell:5s}: {n:6,d} parameters (PyTorch: {built:,d}), {n / counts['RNN']:.2f}x the RNN")
print(f"LSTM / GRU = {counts['LSTM'] / counts['GRU']:.3f};  the notes' GRU formula gives {3 * 32 * (16 + 32) + 3 * 32:,d}"
      f" — one bias vector short")
print(f"a 2-layer bidirectional GRU: {param_count('GRU', 16, 32, num_layers=2, bidirectional=True):,d}")

# %% [markdown]
# At the same hidden size a GRU costs three times an RNN and an LSTM four — keep that in mind when you
# compare them: a wider RNN could be given the same budget (see the reflection).
#
# ## 3. Two long-range benchmarks
#
# ### The copy task
#
# The network reads $K$ symbols, then `distance` blank steps, then a **go** marker; from the go marker on
# it must write the $K$ symbols back, in order. Nothing in between hints at them, so the only way to
# succeed is to carry them in the state for $K + \text{distance}$ steps. Tokens: `0` blank, `1`..`n_symbols`
# data, `n_symbols + 1` go. For $K = 2$, distance 3:
#
# | | | | | | | | |
# |---|---|---|---|---|---|---|---|
# | inputs | $s_1$ | $s_2$ | 0 | 0 | 0 | go | 0 |
# | targets | – | – | – | – | – | $s_1$ | $s_2$ |
#
# "–" is `IGNORE` ($-100$, the `ignore_index` of `cross_entropy`): nothing to predict there, and it
# doubles as the mask for scoring.
#
# ### Exercise 4 — the copy task generator (2 points)
#
# Write `make_copy_task` to the layout in its docstring. Randomness: draw the symbols with **one** call,
# `torch.randint(1, n_symbols + 1, (batch, n_copy), generator=generator)`, and draw nothing else, so
# that the same seeded generator gives the batch the tests expect.

# %% nbgrader="answer" grade_id="make_copy_task"
def make_copy_task(batch: int, n_copy: int, distance: int, n_symbols: int = 8,
                   generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Copy task. Tokens: 0 = blank, 1..n_symbols = data, n_symbols + 1 = go. With K = n_copy, T = 2K + distance:

    inputs  (batch, T) long: s_1 .. s_K, then 0 x distance, then go, then 0 x (K - 1)
    targets (batch, T) long: IGNORE x (K + distance), then s_1 .. s_K
    The symbols s (batch, K) come from one call torch.randint(1, n_symbols + 1, (batch, K), generator=generator);
    nothing else is random.
    """
    ### BEGIN SOLUTION
    K, T = n_copy, 2 * n_copy + distance
    symbols = torch.randint(1, n_symbols + 1, (batch, K), generator=generator)   # (B, K)
    inputs = torch.zeros(batch, T, dtype=torch.long)
    inputs[:, :K] = symbols
    inputs[:, K + distance] = n_symbols + 1                                      # the go marker
    targets = torch.full((batch, T), IGNORE, dtype=torch.long)
    targets[:, K + distance:] = symbols
    return inputs, targets
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_make_copy_task" points=2
inputs, targets = run_answer(make_copy_task, 2, 2, 3, generator=torch.Generator().manual_seed(0),
                             name="make_copy_task(2, 2, 3)")
check_type(inputs, torch.Tensor, "make_copy_task inputs")
check_dtype(inputs, torch.long, "make_copy_task inputs", hint="token ids are integers: dtype=torch.long")
check_dtype(targets, torch.long, "make_copy_task targets", hint="token ids are integers: dtype=torch.long")
check_shape(inputs, (2, 7), "make_copy_task inputs (batch=2, T = 2*2 + 3)")
check_shape(targets, (2, 7), "make_copy_task targets (batch=2, T = 2*2 + 3)")
check_equal(inputs[:, 2:], torch.tensor([[0, 0, 0, 9, 0], [0, 0, 0, 9, 0]]),
            "make_copy_task(2, 2, 3) inputs after the symbols (3 blanks, go, 1 blank)",
            hint="blanks are 0, nothing random; the go marker n_symbols + 1 comes right after the `distance` blanks")
check_equal(targets[:, :5], torch.full((2, 5), IGNORE),
            "make_copy_task(2, 2, 3) targets before the go marker",
            hint="nothing to predict there: IGNORE (-100, imported above) at positions 0 .. n_copy + distance - 1")
check_equal(inputs, torch.tensor([[5, 8, 0, 0, 0, 9, 0], [6, 1, 0, 0, 0, 9, 0]]),
            "make_copy_task(2, 2, 3) inputs with torch.Generator().manual_seed(0)",
            hint="the symbols come from ONE call torch.randint(1, n_symbols + 1, (batch, n_copy), generator=generator)")
check_equal(targets, torch.tensor([[IGNORE] * 5 + [5, 8], [IGNORE] * 5 + [6, 1]]),
            "make_copy_task(2, 2, 3) targets with torch.Generator().manual_seed(0)",
            hint="the symbols, in order, from the go marker's position on")
inputs, targets = run_answer(make_copy_task, 1, 3, 0, n_symbols=5, generator=torch.Generator().manual_seed(1),
                             name="make_copy_task(1, 3, 0, n_symbols=5)")
check_equal(inputs, torch.tensor([[1, 5, 5, 6, 0, 0]]),
            "make_copy_task(1, 3, 0, n_symbols=5) inputs with torch.Generator().manual_seed(1)",
            hint="symbols are 1..n_symbols and the go marker is n_symbols + 1 (here 6): use n_symbols, not 8 or 9")
check_equal(targets, torch.tensor([[IGNORE] * 3 + [1, 5, 5]]),
            "make_copy_task(1, 3, 0, n_symbols=5) targets (distance 0: recall starts at the go marker)")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
import course_lib.data.tasks as _ref_tasks
_cases = [(16, 3, 10, 8, "three symbols, distance 10"), (5, 1, 0, 8, "n_copy=1, distance 0"),
          (1, 4, 7, 5, "batch 1, n_symbols=5"), (64, 2, 20, 3, "n_symbols=3"), (8, 2, 5, 12, "n_symbols=12"),
          (3, 5, 1, 2, "n_symbols=2, n_copy=5, distance 1")]
_expected = [_ref_tasks.copy_task(b, k, d, n, generator=torch.Generator().manual_seed(i))
             for i, (b, k, d, n, _) in enumerate(_cases)]
torch.manual_seed(123)
_expected_global = _ref_tasks.copy_task(4, 2, 3, 6)
_state = torch.get_rng_state()
with written_by_you("make_copy_task"):
    for _i, ((_b, _k, _d, _ns, _what), (_ei, _et)) in enumerate(zip(_cases, _expected)):
        _inp, _tgt = run_answer(make_copy_task, _b, _k, _d, _ns, generator=torch.Generator().manual_seed(_i),
                                name=f"hidden check: {_what}")
        check_equal(_inp, _ei, f"hidden check: inputs, {_what}")
        check_equal(_tgt, _et, f"hidden check: targets, {_what}")
    _inp, _ = run_answer(make_copy_task, 2000, 1, 0, 4, name="hidden check: no generator")
    check_equal(sorted(set(_inp[:, 0].tolist())), [1, 2, 3, 4],
                "hidden check: without a generator, every symbol 1..n_symbols occurs")
    torch.manual_seed(123)
    _inp, _tgt = run_answer(make_copy_task, 4, 2, 3, 6, name="hidden check: no generator, global seed")
    check_equal(_inp, _expected_global[0], "hidden check: without a generator, torch's global generator is used "
                                           "(torch.manual_seed(123) first)")
    check_true(torch.equal(torch.get_rng_state(), _state), "hidden check: one draw from the global generator",
               "without a generator, the function must draw once from torch's global generator and reseed nothing")
### END HIDDEN TESTS

# %% [markdown]
# One batch, shown as text (`.` blank, `>` go, `_` nothing to predict):

# %%
def show(ids: torch.Tensor, n_symbols: int = 8) -> str:
    names = {0: ".", n_symbols + 1: ">", IGNORE: "_"}
    return " ".join(names.get(i, str(i)) for i in ids.tolist())


inputs, targets = make_copy_task(3, 3, 6, generator=torch.Generator().manual_seed(1))
for row in range(3):
    print(f"inputs  {show(inputs[row])}\ntargets {show(targets[row])}\n")

# %% [markdown]
# ### The adding task
#
# Hochreiter & Schmidhuber's adding problem is the regression counterpart. Each step carries two numbers:
# a random value in $[0, 1)$ and a mark that is 1 at exactly two positions — one in the first half of the
# sequence, one in the second — and 0 elsewhere. The target, read after the last step, is the sum of the
# two marked values. A model that ignores the marks can do no better than predict the average sum, 1.
#
# ### Exercise 5 — the adding task generator (2 points)
#
# Write `make_adding_task`. With $T$ = `length`, "first half" means positions $[0, T // 2)$ and "second
# half" $[T // 2, T)$ (so for odd $T$ the second half is one longer). Draw, in this order and each with the
# generator: the values `torch.rand(batch, length)`, the first positions `torch.randint(0, length // 2,
# (batch,))`, the second positions `torch.randint(length // 2, length, (batch,))`.

# %% nbgrader="answer" grade_id="make_adding_task"
def make_adding_task(batch: int, length: int,
                     generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Adding problem. inputs (batch, length, 2) float32: channel 0 values in [0, 1), channel 1 marks
    (1.0 at one position in [0, length // 2) and one in [length // 2, length), 0.0 elsewhere).
    target (batch,) float32: the sum of the two marked values. Draw order: values, first, second positions."""
    ### BEGIN SOLUTION
    values = torch.rand(batch, length, generator=generator)                       # (B, T)
    half = length // 2
    first = torch.randint(0, half, (batch,), generator=generator)                 # (B,)
    second = torch.randint(half, length, (batch,), generator=generator)           # (B,)
    rows = torch.arange(batch)
    marks = torch.zeros(batch, length)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    return torch.stack([values, marks], dim=-1), values[rows, first] + values[rows, second]
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_make_adding_task" points=2
inputs, target = run_answer(make_adding_task, 200, 10, generator=torch.Generator().manual_seed(0),
                            name="make_adding_task(200, 10)")
check_type(inputs, torch.Tensor, "make_adding_task inputs")
check_shape(inputs, (200, 10, 2), "make_adding_task inputs (batch=200, length=10, 2 channels)",
            hint="torch.stack([values, marks], dim=-1)")
check_shape(target, (200,), "make_adding_task target", hint="one number per sequence: shape (batch,), not (batch, 1)")
check_dtype(inputs, torch.float32, "make_adding_task inputs")
check_dtype(target, torch.float32, "make_adding_task target")
_values, _marks = inputs[..., 0], inputs[..., 1]
check_true(bool(((_values >= 0) & (_values < 1)).all()), "make_adding_task values (channel 0)",
           "some values are outside [0, 1)", hint="channel 0 holds the values, torch.rand(batch, length, generator=generator)")
check_equal(_marks.sum(dim=1), torch.full((200,), 2.0), "number of marks per sequence (channel 1)",
            hint="exactly two positions are 1.0 in every row, one in each half: they never coincide")
check_equal(_marks[:, :5].sum(dim=1), torch.ones(200), "number of marks in the first half (positions 0..4)",
            hint="one mark in [0, length // 2), the other in [length // 2, length)")
check_close(target, (_values * _marks).sum(dim=1), "make_adding_task target (the sum of the two marked values)",
            hint="the SUM of the two marked values, not their mean")
inputs, target = run_answer(make_adding_task, 2, 5, generator=torch.Generator().manual_seed(0),
                            name="make_adding_task(2, 5)")
check_close(inputs[..., 0], torch.tensor([[0.4962566, 0.7682218, 0.0884774, 0.1320305, 0.3074228],
                                          [0.6340787, 0.4900934, 0.8964447, 0.4556280, 0.6323063]]),
            "make_adding_task(2, 5) values with torch.Generator().manual_seed(0)",
            hint="draw the values FIRST: torch.rand(batch, length, generator=generator), then the positions")
check_equal(inputs[..., 1], torch.tensor([[0.0, 1.0, 1.0, 0.0, 0.0], [1.0, 0.0, 1.0, 0.0, 0.0]]),
            "make_adding_task(2, 5) marks with torch.Generator().manual_seed(0) (odd length: halves [0, 2) and [2, 5))",
            hint="after the values: torch.randint(0, length // 2, (batch,)), then torch.randint(length // 2, length, "
                 "(batch,)), two calls, both with generator=generator; length // 2 rounds down")
check_close(target, torch.tensor([0.8566992, 1.5305234]), "make_adding_task(2, 5) target with torch.Generator().manual_seed(0)")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
import course_lib.data.tasks as _ref_tasks
_cases = [(32, 10, "length 10"), (16, 7, "odd length 7"), (1, 2, "batch 1, length 2"), (8, 101, "odd length 101"),
          (5, 3, "length 3")]
_expected = [_ref_tasks.adding_task(b, T, generator=torch.Generator().manual_seed(10 + i))
             for i, (b, T, _) in enumerate(_cases)]
torch.manual_seed(321)
_expected_global = _ref_tasks.adding_task(6, 8)
_state = torch.get_rng_state()
with written_by_you("make_adding_task"):
    for _i, ((_b, _T, _what), (_ei, _et)) in enumerate(zip(_cases, _expected)):
        _inp, _tgt = run_answer(make_adding_task, _b, _T, generator=torch.Generator().manual_seed(10 + _i),
                                name=f"hidden check: {_what}")
        check_equal(_inp, _ei, f"hidden check: inputs with a seeded generator (documented draw order), {_what}")
        check_close(_tgt, _et, f"hidden check: target with a seeded generator, {_what}")
    _inp, _tgt = run_answer(make_adding_task, 500, 9, name="hidden check: no generator")
    check_equal(_inp[:, :4, 1].sum(dim=1), torch.ones(500), "hidden check: without a generator, one mark in [0, 4)")
    check_equal(_inp[:, 4:, 1].sum(dim=1), torch.ones(500), "hidden check: without a generator, one mark in [4, 9)")
    torch.manual_seed(321)
    _inp, _tgt = run_answer(make_adding_task, 6, 8, name="hidden check: no generator, global seed")
    check_equal(_inp, _expected_global[0], "hidden check: without a generator, torch's global generator is used "
                                           "(torch.manual_seed(321) first)")
    check_true(torch.equal(torch.get_rng_state(), _state), "hidden check: three draws from the global generator",
               "without a generator, the function must draw from torch's global generator and reseed nothing")
### END HIDDEN TESTS

# %% [markdown]
# The baseline a model has to beat: always predicting the mean sum. The sum of two independent
# $\mathcal{U}(0, 1)$ values has mean 1 and variance $2 \cdot \tfrac{1}{12} = \tfrac16$, so that baseline's
# mean squared error is about $0.167$ — measured on your generator:

# %%
inputs, target = make_adding_task(20_000, 50, generator=torch.Generator().manual_seed(0))
print(f"mean target {target.mean():.3f};  MSE of always predicting 1.0: {((target - 1.0) ** 2).mean():.4f}"
      f"  (1/6 = {1 / 6:.4f})")
print("one sequence's marked positions:", torch.nonzero(inputs[0, :, 1]).flatten().tolist(),
      "values", [round(v, 4) for v in inputs[0, inputs[0, :, 1] > 0, 0].tolist()], f"target {target[0]:.4f}")

# %% [markdown]
# ## 4. The experiment: do gated cells really remember further?
#
# The notes this course grew from *assert* that GRUs and LSTMs handle long-range dependencies and vanilla
# RNNs do not. Here we train all three on the copy task and measure.
#
# **Setup, identical for every cell.** $K = 2$ symbols out of 8, distances 0, 5, 10, 20 and 40 blank steps
# (the first symbol has to be carried $K + \text{distance}$ steps). Model: an embedding of size 16, one
# recurrent layer of 32 units — the built-in `nn.RNN`, `nn.GRU` or `nn.LSTM` (your module above computes
# exactly what `nn.GRU` does) — and a linear read-out. Training: Adam (learning rate 0.02), batches of 64
# fresh sequences, gradients clipped at norm 1, at most 400 steps; every 25 steps the recall accuracy on
# 256 validation sequences is measured, and training stops once it reaches 99%. Reported: **recall
# accuracy** on 1,000 new sequences — the fraction of the symbols written back correctly (guessing gives
# 1/8) — for two seeds.
# The batches come from your `make_copy_task`: if it is wrong (a misplaced go marker, targets off by one), no
# model can learn the task and every curve below stays near guessing — rerun this section once it passes its tests.
#
# **The LSTM, twice.** With PyTorch's default initialisation all biases are small, so an LSTM's forget
# gate starts near $\sigma(0) = 0.5$: the cell state roughly halves every step (measured in the table at
# the end of this section). The *chrono* initialisation (Tallec & Ollivier, 2018) sets the forget-gate bias
# of each unit to $\log u$ with $u \sim \mathcal{U}(1, T_{\max} - 1)$, and the input-gate bias to $-\log u$. Since
# $\sigma(\log u) = u / (1 + u)$, a unit then starts out keeping its content for about $1 + u$ steps:
# memory time scales spread from 2 up to the sequence length. (Day 02's `init_forget_bias_` sets one value
# for all units; this spreads them.) We train the LSTM both ways. The RNN and the GRU keep PyTorch's
# default initialisation.
#
# (While grading, this cell runs two distances, one seed and a few steps.)

# %%
N_SYMBOLS, N_COPY, EMBED, HIDDEN, BATCH, LR = 8, 2, 16, 32, 64, 2e-2
DISTANCES = [0, 5, 10, 20, 40][: budget(full=5, grading=2)]
SEEDS = list(range(budget(full=2, grading=1)))
MAX_STEPS, EVAL_EVERY, TARGET = budget(full=400, grading=4), 25, 0.99


def chrono_init_(lstm: nn.LSTM, t_max: int) -> nn.LSTM:
    """Chrono initialisation of a one-layer nn.LSTM, in place: forget bias log(u), u ~ U(1, t_max - 1), per unit;
    input bias -log(u); the other biases 0 (gate order i, f, g, o)."""
    H = lstm.hidden_size
    with torch.no_grad():
        log_u = torch.log(torch.empty(H).uniform_(1, t_max - 1))
        lstm.bias_ih_l0.zero_()
        lstm.bias_hh_l0.zero_()
        lstm.bias_ih_l0[H:2 * H] = log_u
        lstm.bias_ih_l0[:H] = -log_u
    return lstm


class CopyModel(nn.Module):
    """Embedding -> one recurrent layer (nn.RNN, nn.GRU or nn.LSTM) -> linear read-out over the tokens."""

    def __init__(self, cell: str, seq_len: int, chrono: bool = False):
        super().__init__()
        self.embed = nn.Embedding(N_SYMBOLS + 2, EMBED)
        self.rnn = getattr(nn, cell)(EMBED, HIDDEN, batch_first=True)
        if chrono:
            chrono_init_(self.rnn, seq_len)
        self.head = nn.Linear(HIDDEN, N_SYMBOLS + 2)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        states, _ = self.rnn(self.embed(ids))   # (B, T, H)
        return self.head(states)                # (B, T, N_SYMBOLS + 2)


def copy_loss(model: nn.Module, batch) -> torch.Tensor:
    inputs, targets = batch
    logits = model(inputs)
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                       ignore_index=IGNORE)


@torch.no_grad()
def recall_accuracy(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    return masked_accuracy(model(inputs), targets, targets != IGNORE).item()


def copy_data(n: int, distance: int, seed: int):
    inputs, targets = make_copy_task(n, N_COPY, distance, N_SYMBOLS, generator=torch.Generator().manual_seed(seed))
    return inputs.to(device), targets.to(device)


def copy_batches(distance: int, seed: int):
    """Endless fresh training batches."""
    g = torch.Generator().manual_seed(seed)
    while True:
        inputs, targets = make_copy_task(BATCH, N_COPY, distance, N_SYMBOLS, generator=g)
        yield inputs.to(device), targets.to(device)


def run(cell: str, distance: int, seed: int, chrono: bool = False):
    """Train one model; return (test recall accuracy, steps trained, model)."""
    seed_everything(seed)
    model = CopyModel(cell, 2 * N_COPY + distance, chrono).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    validation, batches, steps = copy_data(256, distance, 100 + seed), copy_batches(distance, seed), 0
    while steps < MAX_STEPS:
        chunk = min(EVAL_EVERY, MAX_STEPS - steps)
        train(model, optimizer, batches, copy_loss, chunk, max_grad_norm=1.0, progress=False)
        steps += chunk
        if recall_accuracy(model, *validation) >= TARGET:
            break
    return recall_accuracy(model, *copy_data(1000, distance, 200 + seed)), steps, model


RUNS = {"RNN": ("RNN", False), "GRU": ("GRU", False), "LSTM, chrono init": ("LSTM", True),
        "LSTM, default init": ("LSTM", False)}
accuracy = {name: np.zeros((len(SEEDS), len(DISTANCES))) for name in RUNS}
steps_used = {name: np.zeros((len(SEEDS), len(DISTANCES)), dtype=int) for name in RUNS}
longest = {}   # the models trained at the longest distance with seed 0, for a look inside below
start = time.perf_counter()
for name, (cell, chrono) in RUNS.items():
    for j, distance in enumerate(DISTANCES):
        for i, seed in enumerate(SEEDS):
            accuracy[name][i, j], steps_used[name][i, j], model = run(cell, distance, seed, chrono)
            if distance == DISTANCES[-1] and seed == 0:
                longest[name] = model
print(f"trained {len(RUNS) * len(DISTANCES) * len(SEEDS)} models in {time.perf_counter() - start:.0f} s\n")

print(f"recall accuracy on 1,000 new sequences, mean of {len(SEEDS)} seed(s)  (guessing: {1 / N_SYMBOLS:.3f})")
print(f"{'distance':20s}" + "".join(f"{d:>7d}" for d in DISTANCES))
for name in RUNS:
    print(f"{name:20s}" + "".join(f"{a:7.2f}" for a in accuracy[name].mean(axis=0)))
print(f"\nsteps trained (training stops at {TARGET:.0%} validation recall; {MAX_STEPS} = never reached), mean")
for name in RUNS:
    print(f"{name:20s}" + "".join(f"{s:7.0f}" for s in steps_used[name].mean(axis=0)))
print()
for name in RUNS:
    solved = [d for d, a in zip(DISTANCES, accuracy[name].mean(axis=0)) if a >= 0.95]
    print(f"{name:20s} longest distance with mean recall >= 95%: {max(solved) if solved else 'none'}")

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
plot_lines(ax1, DISTANCES, {k: v.mean(axis=0) for k, v in accuracy.items()}, xlabel="distance (blank steps)",
           ylabel="recall accuracy", title="Copy task: recall vs distance")
for i, name in enumerate(RUNS):
    for row in accuracy[name]:
        ax1.scatter(DISTANCES, row, color=PALETTE[i], s=14, alpha=0.6)
ax1.axhline(1 / N_SYMBOLS, color="grey", linestyle=":", linewidth=1)
ax1.text(DISTANCES[-1], 1 / N_SYMBOLS + 0.02, "guessing", ha="right", color="grey")
ax1.set_ylim(0, 1.05)
plot_lines(ax2, DISTANCES, {k: v.mean(axis=0) for k, v in steps_used.items()}, xlabel="distance (blank steps)",
           ylabel="training steps", title=f"Steps to {TARGET:.0%} recall (capped at {MAX_STEPS})")
plt.show()

# %% [markdown]
# Read the table and the plot (dots are single seeds, lines their mean):
#
# - The **RNN** recalls well only at the shortest distances; as the gap grows its accuracy falls towards
#   guessing, even though it trains for the full 400 steps.
# - The **GRU** and the **chrono-initialised LSTM** recall (almost) perfectly at every distance, and they
#   get there in a few hundred steps or less.
# - The **LSTM with PyTorch's default initialisation** does no better than the RNN at the long distances.
#   Having gates is what makes a long memory *possible*; whether training finds it within a budget also
#   depends on where the gates start.
#
# So the claim holds — with a qualification the notes leave out. (Each figure is a measurement of this
# run, within this training budget; on another machine or a GPU the numbers move a little.)
#
# **A look inside.** How does a trained cell hold a symbol across 40 blank steps? A GRU unit passes its
# state on unchanged where $z \approx 1$; across the gap the direct path keeps the fraction
# $\prod_t z_t$ of it. An LSTM unit's cell state keeps $\prod_t f_t$. Below, for the models trained at the
# longest distance (seed 0), the keep gate ($z$ or $f$) is recomputed from each model's weights on 256 new
# sequences, and we count the units that keep more than half of their content across the whole gap.

# %%
@torch.no_grad()
def keep_gates(model: CopyModel, ids: torch.Tensor) -> torch.Tensor:
    """The update gate z (GRU) or forget gate f (LSTM) of every unit at every step: (B, T, H)."""
    layer, emb = model.rnn, model.embed(ids)                                      # emb: (B, T, E)
    W_x, W_s, b_x, b_s = layer.weight_ih_l0, layer.weight_hh_l0, layer.bias_ih_l0, layer.bias_hh_l0
    s = emb.new_zeros(ids.shape[0], layer.hidden_size)                           # h: (B, H)
    c, keep = torch.zeros_like(s), []
    for t in range(ids.shape[1]):
        from_x, from_s = emb[:, t] @ W_x.T + b_x, s @ W_s.T + b_s                 # (B, G*H) each
        if isinstance(layer, nn.GRU):
            (xr, xz, xn), (sr, sz, sn) = from_x.chunk(3, 1), from_s.chunk(3, 1)
            gate = torch.sigmoid(xz + sz)
            s = gate * s + (1 - gate) * torch.tanh(xn + torch.sigmoid(xr + sr) * sn)
        else:
            pi, pf, pg, po = (from_x + from_s).chunk(4, 1)
            gate = torch.sigmoid(pf)
            c = gate * c + torch.sigmoid(pi) * torch.tanh(pg)
            s = torch.sigmoid(po) * torch.tanh(c)
        keep.append(gate)
    return torch.stack(keep, dim=1)


distance = DISTANCES[-1]
ids, _ = copy_data(256, distance, 300)
gap = slice(N_COPY, N_COPY + distance)                       # the blank steps
print(f"distance {distance}, seed 0. Keep gate on the blank steps (mean over units and sequences), and the number of\n"
      f"units (of {HIDDEN}) that keep more than half of their content across the whole gap")
print(f"{'':20s}{'mean gate':>22s}{'units keeping > 50%':>24s}{'recall':>9s}")
print(f"{'':20s}{'initial':>11s}{'trained':>11s}{'initial':>12s}{'trained':>12s}")
for name, (cell, chrono) in RUNS.items():
    if cell == "RNN":
        continue
    seed_everything(0)
    fresh = CopyModel(cell, 2 * N_COPY + distance, chrono).to(device)   # the same initial weights as the trained one
    gates = [keep_gates(m, ids)[:, gap] for m in (fresh, longest[name])]                # each (B, distance, H)
    means = [g.mean().item() for g in gates]
    kept = [(g.prod(dim=1).mean(dim=0) > 0.5).sum().item() for g in gates]
    print(f"{name:20s}{means[0]:11.2f}{means[1]:11.2f}{kept[0]:12d}{kept[1]:12d}{accuracy[name][0, -1]:9.2f}")

# %% [markdown]
# At initialisation the GRU's update gate and the default LSTM's forget gate sit near 0.5, and no unit
# keeps half of its content across the gap; the chrono LSTM's forget gates start much closer to 1, and a
# few of its units already keep half. The models that solved the task ended training with a group of
# units that keep their content (the GRU *learned* to push its update gate to 1 in them on blank steps —
# the mean hides this, since the other units still forget); the default-initialised LSTM ended with none:
# it never found the memory its gates make possible.
#
# ## Summary
#
# - PyTorch's GRU: $r$ and $z$ gates, a candidate $n = \tanh(x W_{in}^\top + b_{in} + r \odot (h W_{hn}^\top + b_{hn}))$,
#   and $h_t = (1 - z) \odot n + z \odot h_{t-1}$. Cho et al. reset *before* the product — a different
#   function, and one that cannot fuse the three hidden-side products.
# - One fused product per input and `.chunk(3, dim=1)` give the three blocks; your module matches `nn.GRU`.
# - Per layer and direction a recurrent layer has $G H (D_k + H)$ weights and $2 G H$ biases; stacked
#   bidirectional layers read $2H$ features.
# - The copy and adding tasks isolate memory over a chosen distance. Trained on the copy task, the GRU and
#   an LSTM with a long-memory initialisation recalled across every distance we tried; the vanilla RNN and
#   the default-initialised LSTM did not within the same budget.
#
# ## Reflection (2 points, graded by hand)
#
# (a) Using the gate table of Section 4, explain in 2–3 sentences why the LSTM with PyTorch's default
# initialisation could not learn the long distances within 400 steps, and what the chrono initialisation
# changes. (b) Was the comparison fair to the vanilla RNN? Name one change to the experiment that would
# make it fairer (your parameter counts may help), and say whether you expect it to close the gap at
# distance 40, and why.

# %% [markdown] nbgrader="manual" grade_id="reflection" points=2
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) With default biases the forget gate sits near 0.5, so a cell state
# keeps about 0.5^40 ≈ 1e-12 of its content across the gap — and the gradient from the recall step back to
# the step where the symbol was stored is multiplied by the same forget-gate values, so it vanishes just as
# it does in an RNN; the table shows no unit that keeps half its content, at the start or after training.
# Training can only open the gate if some gradient says it should, and within 400 steps it did not. Chrono
# initialisation starts some units with forget gates close to 1 (time scales up to the sequence length),
# so the stored symbol and its gradient survive from the first step, and training only has to refine them.
# (b) Not entirely: at hidden size 32 the RNN has a third of the GRU's and a quarter of the LSTM's
# parameters, and it got no initialisation designed for memory. Fairer: give it the same parameter budget
# (hidden size ≈ 60–70), tune its learning rate separately, or initialise W_hh to the identity / an
# orthogonal matrix (IRNN). These may push its curve out somewhat, but not close the gap at 40: its
# gradient is a product of 40+ Jacobians diag(1 - h²) W_hh that shrinks or explodes geometrically
# (Day 01), with no additive path to carry it.
# Full marks: (a) forget gate ≈ 0.5 → content and gradient decay geometrically, chrono starts gates near 1;
# (b) a concrete fairness change (parameter count / init / tuning) with a reasoned expectation.
# ### END SOLUTION
