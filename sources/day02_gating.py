# %% [markdown]
# # Day 02 — Gates: learned valves for memory and for gradients
#
# Day 01 ended with a measured problem: in a vanilla RNN the gradient that reaches a state $k$ steps
# back is a product of $k$ Jacobians, and it shrinks (or grows) geometrically with $k$. Today you build
# the idea that the LSTM and the GRU are made of: **gates**, vectors of numbers between 0 and 1 that
# decide, unit by unit, how much of a signal passes. You will see why a gated, *additive* state update
# lets gradients travel much further than the *multiplicative* update of the vanilla RNN — computed
# exactly, then measured in `nn.RNN`, `nn.GRU` and `nn.LSTM` with real backward passes — and why one
# line of initialisation, the forget-gate bias, can decide whether an LSTM learns a long-memory task.
#
# **By the end of today you can**
# 1. say why a sigmoid makes a good valve, and apply a gate element by element;
# 2. write a gate $\sigma([x_t, h_{t-1}] W^\top + b)$ and a gated update, the two building blocks of the
#    LSTM and the GRU;
# 3. compute the Jacobian $\partial s_T / \partial s_0$ of a multiplicative (tanh RNN) and of an additive
#    (gated) update by hand, and check both against autograd;
# 4. set an LSTM's forget-gate bias in PyTorch's parameter layout (gate order i, f, g, o; two bias vectors);
# 5. read a measured plot of gradient size against distance, and a training run, for gated and ungated cells.
#
# **How this notebook works.** Each exercise is one function. Replace `raise NotImplementedError()` with
# your code, then run the test cell right below it: it tells you what is wrong if something is. Those
# visible tests are a first check; when your notebook is graded, more tests (edge cases, float64,
# comparisons with the course's reference and with autograd on random inputs, gradients) are run too.
# Before submitting, restart the kernel and run everything, then press **Validate**.
# Validate's "Success!" and a test cell's "✓ … passed" mean that the visible tests passed, not a
# grade: graders run hidden tests too.
#
# Points: 9 autograded (five exercises), 2 for the reflection at the end.

# %%
import numpy as np
import torch
import matplotlib.pyplot as plt
from torch import nn

from course_lib.notebook.runtime import setup_notebook, budget, seed_everything
from course_lib.notebook.checks import check_close, check_shape, check_dtype, check_type, check_true, run_answer
from course_lib.notebook.plotting import plot_lines

device = setup_notebook(seed=0)

# %% [markdown]
# ## 1. A sigmoid is a valve
#
# A **gate** is a vector $g \in (0, 1)^H$ that multiplies a signal $v \in \mathbb{R}^H$ element by element,
# $g \odot v$: where $g_j \approx 0$ unit $j$ is blocked, where $g_j \approx 1$ it passes unchanged, and in
# between it is scaled down. The gate's values come from the **sigmoid** (logistic) function of a
# pre-activation $a$,
#
# $$\sigma(a) = \frac{1}{1 + e^{-a}}, \qquad \sigma'(a) = \sigma(a)\,\bigl(1 - \sigma(a)\bigr).$$
#
# Three properties make it the valve of choice: its values lie strictly between 0 and 1, so it can only
# pass or block, never flip a sign (tanh, with values in $(-1, 1)$, would); it is smooth, so gradient
# descent can *learn* when to open it; and it saturates: a pre-activation of a few units already gives
# an almost closed or almost open valve.

# %%
a = torch.linspace(-6, 6, 241)
fig, ax = plt.subplots()
plot_lines(ax, a.numpy(), {r"$\sigma(a)$ (gate)": torch.sigmoid(a).numpy(), r"$\tanh(a)$": torch.tanh(a).numpy(),
                           r"$\sigma'(a)$": (torch.sigmoid(a) * (1 - torch.sigmoid(a))).numpy()},
           xlabel="pre-activation a", ylabel="value", title="The sigmoid opens and closes; tanh can flip a sign")
plt.show()
points = torch.tensor([-4.0, -1.0, 0.0, 1.0, 4.0])
print("sigmoid at -4, -1, 0, 1, 4:", ", ".join(f"{v:.3f}" for v in torch.sigmoid(points).tolist()))
slope = torch.sigmoid(a) * (1 - torch.sigmoid(a))
print(f"largest slope sigma'(a) on the grid: {slope.max().item():.3f}, at a = {abs(a[slope.argmax()].item()):.1f}")

# %% [markdown]
# A gate acts **element-wise**: every unit has its own valve. Below, six channels carry sine waves of
# different periods (left). Each channel's gate is open during its own window of time (middle), and the
# product (right) lets each signal through only inside its window. In a network the pre-activations are
# not drawn by hand like here: they are computed from the data, and learned.

# %%
t = torch.arange(60.0)
periods = torch.tensor([8.0, 12.0, 16.0, 24.0, 32.0, 48.0])[:, None]       # (6, 1)
signal = torch.sin(2 * np.pi * t / periods)                                # (6, 60): channel x time
centres = torch.linspace(8, 52, 6)[:, None]                                # (6, 1)
gate_values = torch.sigmoid(4.0 - ((t - centres) / 5.0) ** 2)               # (6, 60), open near each centre
fig, axes = plt.subplots(1, 3, figsize=(13, 3.2), sharey=True)
panels = [(signal, "signal v", "RdBu_r", (-1, 1)), (gate_values, "gate g = sigmoid(a)", "viridis", (0, 1)),
          (gate_values * signal, "gated signal g * v", "RdBu_r", (-1, 1))]
for ax, (values, title, cmap, (lo, hi)) in zip(axes, panels):
    image = ax.imshow(values.numpy(), aspect="auto", cmap=cmap, vmin=lo, vmax=hi, interpolation="nearest")
    ax.set(title=title, xlabel="time step")
    ax.grid(False)
    fig.colorbar(image, ax=ax, fraction=0.05)
axes[0].set_ylabel("channel (unit)")
plt.show()
print(f"entries with the gate almost closed (< 0.05): {(gate_values < 0.05).float().mean().item():.0%}; "
      f"almost open (> 0.95): {(gate_values > 0.95).float().mean().item():.0%}")

# %% [markdown]
# ### Exercise 1 — a gate (2 points)
#
# In the LSTM and the GRU, every gate looks at the current input $x_t \in \mathbb{R}^D$ and the previous
# state $h_{t-1} \in \mathbb{R}^H$:
#
# $$\operatorname{gate}(x_t, h_{t-1}) = \sigma\bigl([x_t, h_{t-1}]\, W^\top + b\bigr),
# \qquad W \in \mathbb{R}^{G \times (D + H)},\; b \in \mathbb{R}^{G},$$
#
# where $[x_t, h_{t-1}]$ is the concatenation along the feature axis, **$x$ first**, and $G$ is the number
# of gate units. For a batch, $x$ is $(B, D)$, $h$ is $(B, H)$ and the gate is $(B, G)$.
#
# Splitting $W = [W_x \mid W_h]$ gives $x_t W_x^\top + h_{t-1} W_h^\top + b$: the same thing, which is how
# PyTorch stores it (`weight_ih` and `weight_hh`, Day 01). Some texts write $[h_{t-1}, x_t]$; the order
# only decides which columns of $W$ read which input, but for a given $W$ it matters.
#
# Write `gate(x, h, W, b)` with tensor operations (`torch.cat`, `@`, `torch.sigmoid`).

# %% nbgrader="answer" grade_id="gate"
def gate(x: torch.Tensor, h: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """A sigmoid gate: sigmoid([x, h] W^T + b), values in (0, 1).

    x: (B, D), h: (B, H), W: (G, D + H), b: (G,)
    returns (B, G)
    """
    ### BEGIN SOLUTION
    xh = torch.cat([x, h], dim=1)        # (B, D + H)
    return torch.sigmoid(xh @ W.T + b)   # (B, G)
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_gate" points=2
torch.manual_seed(0)
_x, _h = torch.randn(2, 3), torch.randn(2, 4)
_W, _b = torch.randn(5, 7), torch.randn(5)
g = run_answer(gate, _x, _h, _W, _b, name="gate(x, h, W, b) with B = 2, D = 3, H = 4, G = 5",
               hint="x is (B, D) = (2, 3) and h is (B, H) = (2, 4), so [x, h] (concatenated along dim=1, the "
                    "feature axis) is (2, 7); W is (G, D + H) = (5, 7): multiply by W.T. If you split W, its first "
                    "D columns read x")
check_type(g, torch.Tensor, "gate output")
check_shape(g, (2, 5), "gate output (B=2, G=5)", hint="[x, h] is (B, D + H) and W is (G, D + H): multiply by W.T")
check_true(bool(((g > 0) & (g < 1)).all()), "gate output", "values outside (0, 1): is the sigmoid applied last?",
           hint="the bias goes inside the sigmoid, and the sigmoid (not tanh) is the last operation")
check_close(run_answer(gate, _x, _h, torch.zeros(5, 7), torch.zeros(5), name="gate with W = 0 and b = 0"),
            torch.full((2, 5), 0.5), "gate with W = 0 and b = 0",
            hint="sigmoid(0) = 0.5 for every unit: a sigmoid, not a softmax over the gate units")
_b_only = torch.tensor([-3.0, -1.0, 0.0, 1.0, 3.0])
check_close(run_answer(gate, _x, _h, torch.zeros(5, 7), _b_only, name="gate with W = 0 and b = [-3, -1, 0, 1, 3]"),
            torch.tensor([[0.0474259, 0.2689414, 0.5, 0.7310586, 0.9525741]] * 2),
            "gate with W = 0 and b = [-3, -1, 0, 1, 3] (expected sigmoid(b) in every row)", atol=1e-6,
            hint="the bias goes inside the sigmoid, one bias per gate unit")
_W_x = torch.cat([torch.eye(3), torch.zeros(3, 4)], dim=1)  # (3, 7): reads the first three features only
check_close(run_answer(gate, _x, _h, _W_x, torch.zeros(3), name="gate with W = [I | 0]"), torch.sigmoid(_x),
            "gate with W = [I | 0] (it reads only x, so the result is sigmoid(x))",
            hint="concatenate x first, then h: torch.cat([x, h], dim=1)")
# float64 inputs written out, expected values computed once and stored (B = 2, D = 2, H = 3, G = 4)
_x64 = torch.tensor([[1.0, -2.0], [0.5, 0.0]], dtype=torch.float64)
_h64 = torch.tensor([[0.0, 1.0, -1.0], [2.0, -0.5, 0.25]], dtype=torch.float64)
_W64 = torch.tensor([[0.5, -1.0, 0.25, 0.0, 1.0], [-0.5, 0.0, 1.0, -2.0, 0.5],
                     [1.0, 0.5, -0.25, 0.75, 0.0], [0.0, -0.5, 0.5, 1.0, -1.0]], dtype=torch.float64)
_b64 = torch.tensor([0.1, -0.2, 0.3, 0.0], dtype=torch.float64)
_want64 = torch.tensor([[0.8320183851, 0.0391657228, 0.7407748992, 0.9525741268],
                        [0.7502601056, 0.9355352342, 0.4812587841, 0.5621765009]], dtype=torch.float64)
_g64 = run_answer(gate, _x64, _h64, _W64, _b64, name="gate on float64 inputs (B = 2, D = 2, H = 3, G = 4)")
check_dtype(_g64, torch.float64, "gate on float64 inputs: float64 stays float64",
            hint="use the inputs' own dtype: no .float(), and no new tensors made in float32")
check_close(_g64, _want64, "gate on float64 inputs with every weight different (stored expected values)", atol=1e-8,
            rtol=1e-9, hint="sigmoid([x, h] W^T + b): x first in the concatenation, W transposed, b inside the sigmoid")
_g1 = run_answer(gate, _x64[1:], _h64[1:], _W64, _b64, name="gate with a batch of one (B = 1)")
check_shape(_g1, (1, 4), "gate output for a batch of one (B = 1, G = 4)",
            hint="keep the batch axis: no .squeeze(), and concatenate along dim=1, the feature axis")
check_close(_g1, _want64[1:], "gate for a batch of one (the second example alone)", atol=1e-8, rtol=1e-9,
            hint="each example's gate depends only on its own row of x and h")
_sat = run_answer(gate, _x[:1], _h[:1], torch.zeros(2, 7), torch.tensor([-100.0, 100.0]),
                  name="gate with pre-activations -100 and +100")
check_close(_sat, torch.tensor([[0.0, 1.0]]), "gate with pre-activations -100 and +100 (saturated, not NaN)",
            atol=1e-12, rtol=1e-9,
            hint="exp(100) overflows in float32: write the sigmoid as torch.sigmoid, not exp(a) / (1 + exp(a))")
### BEGIN HIDDEN TESTS
import course_lib.layers.gating as _gating
from course_lib.notebook.rules import written_by_you
torch.manual_seed(10)
_x, _h = torch.randn(3, 4, dtype=torch.float64), torch.randn(3, 6, dtype=torch.float64)
_W, _b = torch.randn(5, 10, dtype=torch.float64), torch.randn(5, dtype=torch.float64)
_v = torch.randn(3, 5, dtype=torch.float64)
_ref_in = [t.clone().requires_grad_(True) for t in (_x, _h, _W, _b)]
_want = _gating.gate(*_ref_in)
(_want * _v).sum().backward()
_want = _want.detach()
_want1 = _gating.gate(_x[:1], _h[:1], _W, _b)
_sat_b = torch.tensor([-1000.0, 1000.0, -40.0, 40.0], dtype=torch.float64)
_want_sat = torch.sigmoid(_sat_b).expand(2, 4)
_x1, _h1 = torch.randn(4, 1), torch.randn(4, 1)                      # D = H = 1, G = 3, float32
_W1, _b1 = torch.randn(3, 2), torch.randn(3)
_want_small = _gating.gate(_x1, _h1, _W1, _b1)
with written_by_you("gate") as rules:
    _in = [t.clone().requires_grad_(True) for t in (_x, _h, _W, _b)]
    _got = run_answer(gate, *_in, name="hidden check: random x, h, W and b (float64)", copy=False)
    check_close(_got, _want, "hidden check: random x, h, W and b (float64, B = 3, D = 4, H = 6, G = 5)", atol=1e-12,
                rtol=1e-9, hint="sigmoid([x, h] W^T + b), x first")
    check_dtype(_got, torch.float64, "hidden check: float64 stays float64", hint="no .float() and no float32 tensors")
    check_true(isinstance(_got, torch.Tensor) and _got.requires_grad, "hidden check: gradients flow",
               "the result is not connected to x, h, W and b: was it computed outside torch, or detached?",
               hint="compute the gate with torch operations on the given tensors")
    (_got * _v).sum().backward()
    for _name, _mine, _ref in zip(["x", "h", "W", "b"], _in, _ref_in):
        check_close(_mine.grad, _ref.grad, f"hidden check: gradient with respect to {_name}", atol=1e-12, rtol=1e-9,
                    hint=f"{_name} must reach the result only through sigmoid([x, h] W^T + b)")
    check_close(run_answer(gate, _x[:1], _h[:1], _W, _b, name="hidden check: batch 1"), _want1,
                "hidden check: batch 1 keeps its batch axis", atol=1e-12, rtol=1e-9, hint="no .squeeze()")
    check_close(run_answer(gate, _x1, _h1, _W1, _b1, name="hidden check: D = H = 1, G = 3 (float32)"), _want_small,
                "hidden check: one input feature and one state unit (D = H = 1, G = 3, float32)", atol=1e-6,
                hint="concatenate along the feature axis, dim=1")
    check_close(run_answer(gate, _x[:2], _h[:2], torch.zeros(4, 10, dtype=torch.float64), _sat_b,
                           name="hidden check: saturated gates"), _want_sat,
                "hidden check: saturated gates (pre-activations of +-1000) are exactly 0 and 1, not NaN", atol=1e-12,
                rtol=1e-9, hint="use torch.sigmoid")
### END HIDDEN TESTS

# %% [markdown]
# ## 2. The gated update: keep or overwrite, unit by unit
#
# The simplest use of a gate is to decide, for every unit of the state, how much of the old value to
# keep and how much to overwrite with a new **candidate** $\tilde h_t$:
#
# $$h_t = z_t \odot h_{t-1} + (1 - z_t) \odot \tilde h_t, \qquad z_t \in (0, 1)^H.$$
#
# $z_t = 1$ keeps the old value, $z_t = 0$ replaces it, and values in between mix the two. This is the
# GRU's update (Day 04, with $z_t$ its *update gate*). The LSTM uses two separate valves instead of $z$ and
# $1 - z$ — a forget gate on the old state and an input gate on the candidate (Section 3 and Day 03).
#
# ### Exercise 2 — a gated update (1 point)
#
# Write `gated_update(h_prev, candidate, z)`. All three are $(B, H)$; the result is $(B, H)$. Do not
# modify the tensors you are given (no in-place operations on them).

# %% nbgrader="answer" grade_id="gated_update"
def gated_update(h_prev: torch.Tensor, candidate: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """Keep (z = 1) or overwrite (z = 0), element by element: z * h_prev + (1 - z) * candidate.

    h_prev, candidate, z: (B, H), z in [0, 1]
    returns (B, H)
    """
    ### BEGIN SOLUTION
    return z * h_prev + (1 - z) * candidate   # (B, H)
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_gated_update" points=1
_hp = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
_cd = torch.tensor([[-1.0, 0.0, 1.0], [0.5, 0.5, 0.5]])
out = run_answer(gated_update, _hp, _cd, torch.ones(2, 3), name="gated_update with z = 1")
check_type(out, torch.Tensor, "gated_update output")
check_shape(out, (2, 3), "gated_update output (B=2, H=3)", hint="every operation here is element-wise")
check_close(out, _hp, "gated_update with z = 1 (keep everything)", hint="z = 1 must return h_prev: z multiplies h_prev")
check_close(run_answer(gated_update, _hp, _cd, torch.zeros(2, 3), name="gated_update with z = 0"), _cd,
            "gated_update with z = 0 (overwrite)", hint="z = 0 must return the candidate: (1 - z) multiplies it")
check_close(run_answer(gated_update, _hp, _cd, torch.full((2, 3), 0.25), name="gated_update with z = 0.25"),
            0.25 * _hp + 0.75 * _cd, "gated_update with z = 0.25 everywhere",
            hint="a blend, not a switch: a quarter of h_prev plus three quarters of the candidate")
# a different gate value for every unit and every example, strictly between 0 and 1 (float64)
_hp64, _cd64 = _hp.double(), _cd.double()
_z64 = torch.tensor([[0.1, 0.5, 0.9], [0.8, 0.3, 0.6]], dtype=torch.float64)
_want64 = torch.tensor([[-0.8, 1.0, 2.8], [3.3, 1.85, 3.8]], dtype=torch.float64)   # computed once, stored
_out64 = run_answer(gated_update, _hp64, _cd64, _z64, name="gated_update with z different in every entry")
check_close(_out64, _want64, "gated_update with z = [[0.1, 0.5, 0.9], [0.8, 0.3, 0.6]] (one value per unit and "
            "example)", atol=1e-12, rtol=1e-9,
            hint="element by element: entry [b, j] uses z[b, j] only (no mean over units, "
            "no row of z shared by the whole batch)")
check_dtype(_out64, torch.float64, "gated_update on float64 inputs: float64 stays float64",
            hint="no .float(), and no new tensors made in float32")
check_close(run_answer(gated_update, _hp64[1:], _cd64[1:], _z64[1:], name="gated_update with a batch of one"),
            _want64[1:], "gated_update with a batch of one (B = 1: the second example alone)", atol=1e-12, rtol=1e-9,
            hint="keep the batch axis, and use that example's own gate values")
_given = [t.clone() for t in (_hp64, _cd64, _z64)]
run_answer(gated_update, *_given, name="gated_update on tensors the caller keeps", copy=False)
for _name, _mine, _orig in zip(["h_prev", "candidate", "z"], _given, (_hp64, _cd64, _z64)):
    check_close(_mine, _orig, f"gated_update must not modify {_name}", atol=0,
                hint=f"no in-place operation (mul_, add_, *=, +=) on {_name}: it belongs to the caller")
### BEGIN HIDDEN TESTS
import course_lib.layers.gating as _gating
from course_lib.notebook.rules import written_by_you
torch.manual_seed(11)
_hp, _cd = torch.randn(3, 5, dtype=torch.float64), torch.randn(3, 5, dtype=torch.float64)
_z = torch.rand(3, 5, dtype=torch.float64)
_want = _gating.gated_update(_hp, _cd, _z)
_v = torch.randn(3, 5, dtype=torch.float64)
_ref_in = [t.clone().requires_grad_(True) for t in (_hp, _cd, _z)]
(_gating.gated_update(*_ref_in) * _v).sum().backward()
_want1 = _gating.gated_update(_hp[:1], _cd[:1], _z[:1])
_h32, _c32, _z32 = torch.randn(4, 1), torch.randn(4, 1), torch.rand(4, 1)   # H = 1, float32
_want32 = _gating.gated_update(_h32, _c32, _z32)
_copies = [t.clone() for t in (_hp, _cd, _z)]
with written_by_you("gated_update") as rules:
    _got = run_answer(gated_update, *_copies, name="hidden check: random z (float64)", copy=False)
    check_close(_got, _want, "hidden check: a different gate value for every unit (random z, float64)", atol=1e-12,
                rtol=1e-9, hint="z * h_prev + (1 - z) * candidate, element by element")
    check_dtype(_got, torch.float64, "hidden check: float64 stays float64", hint="no float32 tensors")
    for _name, _mine, _orig in zip(["h_prev", "candidate", "z"], _copies, (_hp, _cd, _z)):
        check_close(_mine, _orig, f"hidden check: {_name} is not modified", atol=0, hint="no in-place operations")
    check_close(run_answer(gated_update, _hp[:1], _cd[:1], _z[:1], name="hidden check: batch 1"), _want1,
                "hidden check: batch 1", atol=1e-12, rtol=1e-9, hint="keep the batch axis")
    check_close(run_answer(gated_update, _h32, _c32, _z32, name="hidden check: H = 1, float32"), _want32,
                "hidden check: one unit (H = 1), float32", atol=1e-6, hint="element by element")
    _in = [t.clone().requires_grad_(True) for t in (_hp, _cd, _z)]
    (run_answer(gated_update, *_in, name="hidden check: gradients", copy=False) * _v).sum().backward()
    for _name, _mine, _ref in zip(["h_prev", "candidate", "z"], _in, _ref_in):
        check_close(_mine.grad, _ref.grad, f"hidden check: gradient with respect to {_name}", atol=1e-12, rtol=1e-9,
                    hint="the gate is learned: gradients must reach z too (no detach, no .data)")
### END HIDDEN TESTS

# %% [markdown]
# ### A gate value is a time scale
#
# Store a 1 in three units, then keep feeding a candidate of 0 with a constant gate $z$: after $k$ steps
# unit $j$ holds $z_j^k$. A memory with $z = 0.5$ halves every step; the **half-life** (the steps until half
# of it is left) is $\ln\frac12 / \ln z$. One call of your `gated_update` updates all three units, each
# with its own $z$: that is what element-wise means.

# %%
z_units = torch.tensor([[0.5, 0.9, 0.99]], dtype=torch.float64)   # (1, 3): one gate value per unit
memory = [torch.ones(1, 3, dtype=torch.float64)]
for _ in range(100):
    memory.append(gated_update(memory[-1], torch.zeros(1, 3, dtype=torch.float64), z_units))
memory = torch.cat(memory).numpy()                                  # (101, 3)
fig, ax = plt.subplots()
plot_lines(ax, np.arange(101), {f"z = {z:g}": memory[:, j] for j, z in enumerate(z_units[0].tolist())},
           xlabel="steps since the value was stored", ylabel="what is left of it", title="Memory under a constant gate",
           logy=True)
plt.show()
for j, z in enumerate(z_units[0].tolist()):
    measured = int(np.argmax(memory[:, j] <= 0.5))
    print(f"z = {z:4g}: half left after {measured:3d} steps (ln(1/2) / ln z = {np.log(0.5) / np.log(z):6.2f}); "
          f"after 100 steps {memory[100, j]:.1e} is left")

# %% [markdown]
# ### A valve that learns when to open
#
# Put both pieces together. A one-unit memory $s_t$ reads a stream of random values $v_t \in [-1, 1]$ and
# a marker $m_t$ that is 1 at exactly one (random) step. At the end, $s_T$ should hold the value that was
# marked. The gate sees $x_t = [v_t, m_t]$ and the memory itself:
#
# $$z_t = \operatorname{gate}\bigl([v_t, m_t], s_{t-1}\bigr), \qquad s_t = z_t\, s_{t-1} + (1 - z_t)\, v_t.$$
#
# Its four parameters (one weight each for $v_t$, $m_t$, $s_{t-1}$, and a bias) start at 0, so at first
# every $z_t = 0.5$. Nobody tells the gate what to do; it is trained only on the squared error of $s_T$,
# through your `gate` and `gated_update`. (While grading, this cell runs only a few steps.)

# %%
VALVE_T = 20


def valve_batch(generator: torch.Generator, batch: int = 64):
    """values (B, T) in [-1, 1], marks (B, T) one-hot at a random step, target (B,): the marked value."""
    values = 2 * torch.rand(batch, VALVE_T, generator=generator) - 1
    where = torch.randint(0, VALVE_T, (batch,), generator=generator)
    marks = nn.functional.one_hot(where, VALVE_T).float()
    return values, marks, values[torch.arange(batch), where]


def run_valve(W: torch.Tensor, b: torch.Tensor, values: torch.Tensor, marks: torch.Tensor):
    """Read the stream with a learned gate. Returns s_T (B,) and the gate values z (B, T)."""
    s, zs = values.new_zeros(values.shape[0], 1), []                  # s: (B, 1)
    for t in range(values.shape[1]):
        x = torch.stack([values[:, t], marks[:, t]], dim=1)           # (B, 2)
        z = gate(x, s, W, b)                                          # (B, 1): 1 keeps, 0 writes
        s = gated_update(s, values[:, t:t + 1], z)                    # (B, 1)
        zs.append(z)
    return s[:, 0], torch.cat(zs, dim=1)


seed_everything(0)
W_valve = torch.zeros(1, 3, requires_grad=True)                       # weights for [v_t, m_t, s_{t-1}]
b_valve = torch.zeros(1, requires_grad=True)
opt = torch.optim.Adam([W_valve, b_valve], lr=0.1)
g_train = torch.Generator().manual_seed(1)
valve_losses = []
for step in range(budget(full=200, grading=5)):
    values, marks, target = valve_batch(g_train)
    loss = ((run_valve(W_valve, b_valve, values, marks)[0] - target) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    valve_losses.append(loss.item())

values, marks, target = valve_batch(torch.Generator().manual_seed(2), batch=1000)  # fresh test streams
with torch.no_grad():                                                     # evaluation only
    s_T, z_test = run_valve(W_valve, b_valve, values, marks)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4))
plot_lines(ax1, np.arange(1, len(valve_losses) + 1), {"training batch": valve_losses}, xlabel="step",
           ylabel="squared error of s_T", title="Learning the valve", logy=True)
k = int(marks[0].argmax())
plot_lines(ax2, np.arange(1, VALVE_T + 1), {"value v_t": values[0].numpy(), "gate z_t (1 = keep)": z_test[0].numpy()},
           xlabel="step t", title=f"One test stream (marked step {k + 1})")
ax2.axvline(k + 1, color="grey", linestyle=":")
plt.show()
coef = W_valve.detach()[0].tolist() + [b_valve.item()]           # weights of v_t, m_t, s_{t-1}, then the bias
terms = " ".join(f"{c:+.2f} {n}" for c, n in zip(coef, ["v_t", "m_t", "s_{t-1}", ""]))
print(f"learned gate: z_t = sigmoid({terms.strip()})")
print(f"mean gate value at the marked step {z_test[marks.bool()].mean():.3f}, at all other steps "
      f"{z_test[~marks.bool()].mean():.3f}")
print(f"test squared error {((s_T - target) ** 2).mean():.4f}; always answering 0 costs {(target ** 2).mean():.4f}")

# %% [markdown]
# The trained gate has a large negative weight on the marker and a positive bias (printed above): it is
# almost closed — *write* — at the marked step and almost open — *keep* — everywhere else, and the final
# error is far below that of answering 0. That is all a gate is: a logistic regression, computed at
# every step, whose output is used as a valve. The LSTM has three of them, the GRU two.
#
# ## 3. Multiplicative versus additive updates: where gradients go
#
# Backpropagation through time multiplies one Jacobian per step (Day 01, Section 4). Take one sequence
# (vectors are columns here; a batch just repeats this for every row) and the vanilla recurrence
#
# $$h_t = \tanh(W h_{t-1} + x_t), \qquad
# \frac{\partial h_t}{\partial h_{t-1}} = \operatorname{diag}\!\bigl(1 - h_t^2\bigr)\, W, \qquad
# \frac{\partial h_T}{\partial h_0} = \frac{\partial h_T}{\partial h_{T-1}} \cdots \frac{\partial h_2}{\partial h_1}\,
# \frac{\partial h_1}{\partial h_0}.$$
#
# Entry $(i, j)$ of the Jacobian is $\partial h_T[i] / \partial h_0[j]$. Each step's factor goes
# **on the left** of the product so far, and it is evaluated at the state *after* that step, $h_t$.
# Every factor passes the signal through $W$ and through $\tanh' = 1 - h_t^2 \le 1$: this update is
# **multiplicative**, and whether the product survives depends on $W$.
#
# ### Exercise 3 — the Jacobian of the multiplicative update (2 points)
#
# Write `multiplicative_jacobian(h0, W, xs)`: run the recurrence over the inputs `xs` ($T \times H$; row
# $t - 1$ is $x_t$), and build $\partial h_T / \partial h_0$ step by step as you go. Compute it from the
# formula, without autograd; the tests compare your matrix with autograd's.
# With no inputs ($T = 0$) nothing happens to $h_0$, so the Jacobian is the identity. Do not modify `h0`.

# %% nbgrader="answer" grade_id="multiplicative_jacobian"
def multiplicative_jacobian(h0: torch.Tensor, W: torch.Tensor, xs: torch.Tensor) -> torch.Tensor:
    """d h_T / d h_0 for h_t = tanh(W h_{t-1} + x_t), by the chain rule (no autograd).

    h0: (H,), W: (H, H), xs: (T, H) with T >= 0
    returns J: (H, H) with J[i, j] = d h_T[i] / d h_0[j] (the identity when T = 0)
    """
    ### BEGIN SOLUTION
    h = h0
    J = torch.eye(h0.shape[0], dtype=h0.dtype, device=h0.device)   # (H, H)
    for x in xs:
        h = torch.tanh(W @ h + x)                                   # (H,)
        J = ((1 - h ** 2)[:, None] * W) @ J                         # diag(1 - h_t^2) W, on the left
    return J
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_multiplicative_jacobian" points=2
torch.manual_seed(1)
_W = torch.randn(4, 4) / 2                     # not symmetric
_h0, _xs = torch.randn(4), torch.randn(3, 4)
J = run_answer(multiplicative_jacobian, _h0, _W, _xs, name="multiplicative_jacobian with H = 4, T = 3")
check_type(J, torch.Tensor, "multiplicative_jacobian output")
check_shape(J, (4, 4), "multiplicative_jacobian output (H = 4)",
            hint="one row per entry of h_T, one column per entry of h_0")
check_close(run_answer(multiplicative_jacobian, torch.zeros(4), 0.5 * torch.eye(4), torch.zeros(3, 4),
                       name="multiplicative_jacobian with W = 0.5 I"), 0.125 * torch.eye(4),
            "multiplicative_jacobian with W = 0.5 I, h_0 = 0 and zero inputs (T = 3)",
            hint="h stays 0, so 1 - h^2 = 1 and every step multiplies by W: 0.5^3 = 0.125")
check_close(run_answer(multiplicative_jacobian, torch.zeros(4), _W, torch.zeros(1, 4),
                       name="multiplicative_jacobian with h_0 = 0 and x_1 = 0 (T = 1)"), _W,
            "multiplicative_jacobian with h_0 = 0, x_1 = 0 and a non-symmetric W (T = 1): h_1 = 0, so J = W",
            hint="entry (i, j) is d h_1[i] / d h_0[j] = (1 - h_1[i]^2) W[i, j]: W itself, not W.T")
_J1 = torch.autograd.functional.jacobian(lambda h: torch.tanh(_W @ h + _xs[0]), _h0)   # autograd, one step
check_close(run_answer(multiplicative_jacobian, _h0, _W, _xs[:1], name="multiplicative_jacobian for T = 1"), _J1,
            "multiplicative_jacobian for one step (T = 1), against autograd", atol=1e-5,
            hint="one step is diag(1 - h_1^2) W: row i of W scaled by 1 - h_1[i]^2, with h_1 = tanh(W h_0 + x_1) "
                 "the state after the step (not h_0)")
# three steps, float64, non-symmetric W, against autograd through the whole recurrence
_W64, _h064, _xs64 = _W.double(), _h0.double(), _xs.double()


def _unroll_tanh3(h):
    for x in _xs64:
        h = torch.tanh(_W64 @ h + x)
    return h


_J3 = torch.autograd.functional.jacobian(_unroll_tanh3, _h064)
_got3 = run_answer(multiplicative_jacobian, _h064, _W64, _xs64, name="multiplicative_jacobian for T = 3 (float64)",
                   hint="make the identity you start from with h0's dtype: torch.eye(H, dtype=h0.dtype)")
check_dtype(_got3, torch.float64, "multiplicative_jacobian on float64 inputs: float64 stays float64",
            hint="torch.eye(H) is float32: pass dtype=h0.dtype")
check_close(_got3, _J3, "multiplicative_jacobian for T = 3 steps (float64), against autograd", atol=1e-10, rtol=1e-9,
            hint="advance h at every step, and put each new step's factor on the LEFT of the product so far: "
                 "J = diag(1 - h_t^2) W @ J")
check_close(run_answer(multiplicative_jacobian, _h064, _W64, _xs64[:0], name="multiplicative_jacobian for T = 0"),
            torch.eye(4, dtype=torch.float64), "multiplicative_jacobian with no inputs (T = 0) is the identity",
            atol=0, hint="start from J = I and multiply one factor per step; with no step, nothing is multiplied")
_h0_given = _h064.clone()
run_answer(multiplicative_jacobian, _h0_given, _W64, _xs64, name="multiplicative_jacobian on the caller's h0",
           copy=False)
check_true(torch.equal(_h0_given, _h064), "h0 after multiplicative_jacobian",
           "multiplicative_jacobian changed the h0 it was given",
           "start from h = h0 and rebind h to each new state (h = torch.tanh(...)); an in-place update "
           "(h.copy_(...), h[:] = ...) on h = h0 overwrites the caller's h0")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
torch.manual_seed(12)
_W = 0.6 * torch.randn(6, 6, dtype=torch.float64)
_h0, _xs = torch.randn(6, dtype=torch.float64), 0.5 * torch.randn(12, 6, dtype=torch.float64)


def _unroll(h, W=_W, xs=_xs):
    for x in xs:
        h = torch.tanh(W @ h + x)
    return h


_want = torch.autograd.functional.jacobian(_unroll, _h0)
_want_short = torch.autograd.functional.jacobian(lambda h: _unroll(h, _W, _xs[:2]), _h0)
_W1, _h01, _xs1 = torch.tensor([[1.5]]), torch.tensor([0.3]), torch.randn(5, 1)        # H = 1, float32
_want1 = torch.autograd.functional.jacobian(lambda h: _unroll(h, _W1, _xs1), _h01)
_W_big = 3.0 * torch.randn(5, 5, dtype=torch.float64)                                  # saturating tanh
_xs_big = torch.randn(8, 5, dtype=torch.float64)
_want_big = torch.autograd.functional.jacobian(lambda h: _unroll(h, _W_big, _xs_big), _h0[:5])
with written_by_you("multiplicative_jacobian") as rules:
    _got = run_answer(multiplicative_jacobian, _h0, _W, _xs, name="hidden check: T = 12 (float64)")
    check_close(_got, _want, "hidden check: T = 12, random non-symmetric W, float64, against autograd", atol=1e-10,
                rtol=1e-9, hint="J = diag(1 - h_t^2) W @ J at every step, h_t the state after the step")
    check_dtype(_got, torch.float64, "hidden check: float64 stays float64", hint="torch.eye(H, dtype=h0.dtype)")
    check_close(run_answer(multiplicative_jacobian, _h0, _W, _xs[:2], name="hidden check: T = 2"), _want_short,
                "hidden check: T = 2 against autograd", atol=1e-10, rtol=1e-9, hint="new factors go on the left")
    check_close(run_answer(multiplicative_jacobian, _h0, _W, _xs[:0], name="hidden check: T = 0"),
                torch.eye(6, dtype=torch.float64), "hidden check: T = 0 gives the identity", atol=0,
                hint="start from the identity")
    check_close(run_answer(multiplicative_jacobian, _h01, _W1, _xs1, name="hidden check: H = 1"), _want1,
                "hidden check: one unit (H = 1), T = 5, float32, against autograd", atol=1e-6,
                hint="a (1, 1) matrix: keep both axes")
    check_close(run_answer(multiplicative_jacobian, _h0[:5], _W_big, _xs_big, name="hidden check: large W"),
                _want_big, "hidden check: a large W that saturates tanh (T = 8), against autograd", atol=1e-10,
                rtol=1e-9, hint="tanh' = 1 - h_t^2, with h_t the state after the step")
### END HIDDEN TESTS

# %% [markdown]
# Now a gated, **additive** update. The state $c_t$ keeps a gated copy of itself and *adds* a gated
# candidate, the form of the LSTM's cell state (Day 03):
#
# $$g_t = \tanh(W c_{t-1} + x_t), \qquad c_t = f_t \odot c_{t-1} + i_t \odot g_t,$$
#
# with a forget gate $f_t$ and an input gate $i_t$ in $(0, 1)^H$. To isolate the path through the state,
# the gate values here are given numbers (in an LSTM they are computed from $x_t$ and $h_{t-1}$, which
# adds more terms; Day 03). Differentiating both terms,
#
# $$\frac{\partial c_t}{\partial c_{t-1}} = \operatorname{diag}(f_t) + \operatorname{diag}\!\bigl(i_t \odot (1 - g_t^2)\bigr)\, W.$$
#
# The first term is a **direct path**: the old state is copied forward, scaled only by the forget gate —
# no $W$, no $\tanh'$. With the input gate closed ($i = 0$) the whole Jacobian is
# $\partial c_T / \partial c_0 = \operatorname{diag}(f_T \odot \cdots \odot f_1)$: how long a gradient survives
# is then decided by the forget gate alone, a quantity the network learns, instead of by the size of $W$.
#
# ### Exercise 4 — the Jacobian of the additive update (2 points)
#
# Write `additive_jacobian(c0, W, xs, f, i)`: $\partial c_T / \partial c_0$ for the update above, with `xs`,
# `f` and `i` all $(T, H)$ (row $t - 1$ holds step $t$). As before: from the formula, without autograd, and the
# identity for $T = 0$, and `c0` left as it is. Note where $g_t$ comes from: the state *before* the step.

# %% nbgrader="answer" grade_id="additive_jacobian"
def additive_jacobian(c0: torch.Tensor, W: torch.Tensor, xs: torch.Tensor, f: torch.Tensor,
                      i: torch.Tensor) -> torch.Tensor:
    """d c_T / d c_0 for g_t = tanh(W c_{t-1} + x_t), c_t = f_t * c_{t-1} + i_t * g_t (no autograd).

    c0: (H,), W: (H, H), xs, f, i: (T, H) with T >= 0 (f and i are given gate values in (0, 1))
    returns J: (H, H) with J[a, b] = d c_T[a] / d c_0[b] (the identity when T = 0)
    """
    ### BEGIN SOLUTION
    c = c0
    J = torch.eye(c0.shape[0], dtype=c0.dtype, device=c0.device)          # (H, H)
    for x_t, f_t, i_t in zip(xs, f, i):
        g = torch.tanh(W @ c + x_t)                                        # (H,), from c_{t-1}
        step = torch.diag(f_t) + (i_t * (1 - g ** 2))[:, None] * W         # (H, H): d c_t / d c_{t-1}
        c = f_t * c + i_t * g                                              # (H,)
        J = step @ J
    return J
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_additive_jacobian" points=2
torch.manual_seed(2)
_W = torch.randn(4, 4) / 2
_c0, _xs = torch.randn(4), torch.randn(3, 4)
_f, _i = torch.rand(3, 4), torch.rand(3, 4)
J = run_answer(additive_jacobian, _c0, _W, _xs, _f, _i, name="additive_jacobian with H = 4, T = 3")
check_type(J, torch.Tensor, "additive_jacobian output")
check_shape(J, (4, 4), "additive_jacobian output (H = 4)", hint="one row per entry of c_T, one column per entry of c_0")
check_close(run_answer(additive_jacobian, _c0, _W, _xs, _f, torch.zeros(3, 4), name="additive_jacobian with i = 0"),
            torch.diag(_f.prod(dim=0)), "additive_jacobian with the input gate closed (i = 0, T = 3)", atol=1e-6,
            hint="with i = 0, c_T = f_3 * f_2 * f_1 * c_0: the Jacobian is diagonal, the product of the forget gates "
                 "(the direct path diag(f_t) must be there, and it is f, not i)")
check_close(run_answer(additive_jacobian, torch.zeros(4), _W, torch.zeros(1, 4), torch.zeros(1, 4), torch.ones(1, 4),
                       name="additive_jacobian with f = 0, i = 1, c_0 = 0, x_1 = 0"), _W,
            "additive_jacobian with f = 0, i = 1, c_0 = 0 and x_1 = 0 (T = 1): g_1 = 0, so J = W", atol=1e-6,
            hint="only the candidate branch is left: diag(i_1 (1 - g_1^2)) W = W itself here (W, not W.T)")
_one_step = lambda c: _f[0] * c + _i[0] * torch.tanh(_W @ c + _xs[0])   # noqa: E731
check_close(run_answer(additive_jacobian, _c0, _W, _xs[:1], _f[:1], _i[:1], name="additive_jacobian for T = 1"),
            torch.autograd.functional.jacobian(_one_step, _c0),
            "additive_jacobian for one step (T = 1), against autograd", atol=1e-5,
            hint="diag(f_1) + diag(i_1 * (1 - g_1^2)) W: row a of W scaled by i_1[a] (1 - g_1[a]^2), with "
                 "g_1 = tanh(W c_0 + x_1) from the state before the step")
# three steps, float64, random gates strictly between 0 and 1, against autograd through the whole update
_W64, _c064, _xs64, _f64, _i64 = (t.double() for t in (_W, _c0, _xs, _f, _i))


def _unroll_additive3(c):
    for x_t, f_t, i_t in zip(_xs64, _f64, _i64):
        c = f_t * c + i_t * torch.tanh(_W64 @ c + x_t)
    return c


_J3 = torch.autograd.functional.jacobian(_unroll_additive3, _c064)
_got3 = run_answer(additive_jacobian, _c064, _W64, _xs64, _f64, _i64, name="additive_jacobian for T = 3 (float64)",
                   hint="make the identity you start from with c0's dtype: torch.eye(H, dtype=c0.dtype)")
check_dtype(_got3, torch.float64, "additive_jacobian on float64 inputs: float64 stays float64",
            hint="torch.eye(H) is float32: pass dtype=c0.dtype")
check_close(_got3, _J3, "additive_jacobian for T = 3 steps with random gates (float64), against autograd",
            atol=1e-10, rtol=1e-9,
            hint="take the steps in order (row t - 1 is step t), advance c after each step, and put each "
                             "new step's Jacobian on the LEFT: J = step @ J")
check_close(run_answer(additive_jacobian, _c064, _W64, _xs64[:0], _f64[:0], _i64[:0],
                       name="additive_jacobian for T = 0"), torch.eye(4, dtype=torch.float64),
            "additive_jacobian with no inputs (T = 0) is the identity", atol=0,
            hint="start from J = I and multiply one step's Jacobian per step")
_c0_given = _c064.clone()
run_answer(additive_jacobian, _c0_given, _W64, _xs64, _f64, _i64, name="additive_jacobian on the caller's c0",
           copy=False)
check_true(torch.equal(_c0_given, _c064), "c0 after additive_jacobian", "additive_jacobian changed the c0 it was given",
           "start from c = c0 and rebind c to each new state (c = f_t * c + i_t * g); an in-place update "
           "(c.mul_(...), c *= ...) on c = c0 overwrites the caller's c0")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
torch.manual_seed(13)
_W = 0.6 * torch.randn(6, 6, dtype=torch.float64)
_c0, _xs = torch.randn(6, dtype=torch.float64), 0.5 * torch.randn(10, 6, dtype=torch.float64)
_f, _i = torch.rand(10, 6, dtype=torch.float64), torch.rand(10, 6, dtype=torch.float64)


def _unroll_additive(c, W=_W, xs=_xs, f=_f, i=_i):
    for x_t, f_t, i_t in zip(xs, f, i):
        c = f_t * c + i_t * torch.tanh(W @ c + x_t)
    return c


_want = torch.autograd.functional.jacobian(_unroll_additive, _c0)
_ones, _zeros = torch.ones(10, 6, dtype=torch.float64), torch.zeros(10, 6, dtype=torch.float64)
_want_tanh = torch.autograd.functional.jacobian(lambda c: _unroll_additive(c, _W, _xs, _zeros, _ones), _c0)
_want_short = torch.autograd.functional.jacobian(lambda c: _unroll_additive(c, _W, _xs[:2], _f[:2], _i[:2]), _c0)
_W1, _c01, _xs1, _f1, _i1 = torch.tensor([[-1.2]]), torch.tensor([0.4]), torch.randn(4, 1), torch.rand(4, 1), \
    torch.rand(4, 1)                                                                      # H = 1, float32
_want1 = torch.autograd.functional.jacobian(lambda c: _unroll_additive(c, _W1, _xs1, _f1, _i1), _c01)
with written_by_you("additive_jacobian") as rules:
    _got = run_answer(additive_jacobian, _c0, _W, _xs, _f, _i, name="hidden check: T = 10 (float64)")
    check_close(_got, _want, "hidden check: T = 10, random gates and non-symmetric W, float64, against autograd",
                atol=1e-10, rtol=1e-9, hint="step = diag(f_t) + diag(i_t (1 - g_t^2)) W; J = step @ J")
    check_dtype(_got, torch.float64, "hidden check: float64 stays float64", hint="torch.eye(H, dtype=c0.dtype)")
    check_close(run_answer(additive_jacobian, _c0, _W, _xs, _zeros, _ones, name="hidden check: f = 0, i = 1"),
                _want_tanh, "hidden check: f = 0, i = 1 is the tanh recurrence (T = 10), against autograd", atol=1e-10,
                rtol=1e-9, hint="g_t comes from the state before the step")
    check_close(run_answer(additive_jacobian, _c0, _W, _xs[:2], _f[:2], _i[:2], name="hidden check: T = 2"),
                _want_short, "hidden check: T = 2 against autograd", atol=1e-10, rtol=1e-9,
                hint="new steps go on the left")
    check_close(run_answer(additive_jacobian, _c0, _W, _xs[:0], _f[:0], _i[:0], name="hidden check: T = 0"),
                torch.eye(6, dtype=torch.float64), "hidden check: T = 0 gives the identity", atol=0,
                hint="start from the identity")
    check_close(run_answer(additive_jacobian, _c01, _W1, _xs1, _f1, _i1, name="hidden check: H = 1"), _want1,
                "hidden check: one unit (H = 1), T = 4, float32, against autograd", atol=1e-6,
                hint="a (1, 1) matrix: keep both axes")
### END HIDDEN TESTS

# %% [markdown]
# ### The two updates side by side
#
# Same random $W$ (rescaled to spectral radius 1, the most favourable size for the tanh recurrence), same
# inputs, 32 units. For every length $T$ we compute $\partial s_T / \partial s_0$ with your functions and
# plot its spectral norm $\lVert J \rVert_2$, the most that the Jacobian can stretch any gradient vector.
# The additive update gets an input gate of 0.5 and several constant forget-gate values. (Any error in
# your functions shows up in the printed comparison with autograd.)

# %%
from course_lib.gradients.flow import scale_to_spectral_radius

H_J, T_J = 32, 60
g_J = torch.Generator().manual_seed(3)
W_J = scale_to_spectral_radius(torch.randn(H_J, H_J, generator=g_J, dtype=torch.float64) / H_J ** 0.5, 1.0)
xs_J = 0.5 * torch.randn(T_J, H_J, generator=g_J, dtype=torch.float64)
s0_J = torch.zeros(H_J, dtype=torch.float64)
lengths = np.arange(T_J + 1)
spectral = lambda J: torch.linalg.matrix_norm(J, ord=2).item()   # noqa: E731
jac_norms = {"tanh RNN (multiplicative)": [spectral(multiplicative_jacobian(s0_J, W_J, xs_J[:T])) for T in lengths]}
forget_values = [0.5, 0.9, 0.99, 1.0]
for f_value in forget_values:
    f_J = torch.full((T_J, H_J), f_value, dtype=torch.float64)
    i_J = torch.full((T_J, H_J), 0.5, dtype=torch.float64)
    jac_norms[f"additive, f = {f_value:g}"] = [spectral(additive_jacobian(s0_J, W_J, xs_J[:T], f_J[:T], i_J[:T]))
                                                for T in lengths]
fig, ax = plt.subplots()
plot_lines(ax, lengths, jac_norms, xlabel="T (steps between s_0 and s_T)",
           ylabel=r"$\|\partial s_T / \partial s_0\|_2$", title="How much of the gradient survives T steps", logy=True)
plt.show()
for name, norms in jac_norms.items():
    print(f"{name:26s}: T = 10: {norms[10]:8.1e}   T = 30: {norms[30]:8.1e}   T = 60: {norms[60]:8.1e}")


def _unroll_tanh(h):
    for x in xs_J:
        h = torch.tanh(W_J @ h + x)
    return h


J_autograd = torch.autograd.functional.jacobian(_unroll_tanh, s0_J)
print(f"your multiplicative Jacobian (T = 60) vs autograd: max |difference| = "
      f"{(multiplicative_jacobian(s0_J, W_J, xs_J) - J_autograd).abs().max():.1e}")

# %% [markdown]
# Read the printed numbers. The tanh recurrence loses its gradient geometrically even with $W$ at
# spectral radius 1, because every step multiplies by $\tanh' < 1$ as well. The additive update with
# $f = 0.5$ vanishes too: a half-closed forget gate halves the direct path at every step. With the forget
# gate near 1 the picture changes completely: the gradient does not vanish over 60 steps — here it even
# *grows*, because the candidate branch adds paths of its own on top of the direct one. An additive update
# cures the vanishing side of Day 01's problem, not the exploding side; gradient clipping (Day 01) is still
# used with LSTMs.
#
# ## 4. The forget-gate bias
#
# In an LSTM the forget gate is itself a gate, $f_t = \sigma(x_t W_{if}^\top + b_{if} + h_{t-1} W_{hf}^\top + b_{hf})$.
# Its **bias** sets where it starts: at initialisation the weights are small, so $f_t \approx \sigma(b_{if} + b_{hf})$.
# PyTorch's `nn.LSTM` stores all four gates of a layer in one matrix per input, stacked in the order
# **i, f, g, o** (input gate, forget gate, candidate, output gate), each block $H$ rows long, and it has
# **two** bias vectors that are simply added:
#
# | parameter | shape | rows $0{:}H$ | rows $H{:}2H$ | rows $2H{:}3H$ | rows $3H{:}4H$ |
# |---|---|---|---|---|---|
# | `weight_ih_l0` | $(4H, D)$ | $W_{ii}$ | $W_{if}$ | $W_{ig}$ | $W_{io}$ |
# | `weight_hh_l0` | $(4H, H)$ | $W_{hi}$ | $W_{hf}$ | $W_{hg}$ | $W_{ho}$ |
# | `bias_ih_l0`, `bias_hh_l0` | $(4H,)$ | $b_i$ | $b_f$ | $b_g$ | $b_o$ |
#
# (Other libraries use other orders; TensorFlow's old `LSTMCell`, for one, stacks i, g, f, o.)
# Every parameter starts uniform in $\pm 1/\sqrt{H}$, so the effective forget bias $b_{if} + b_{hf}$ is a
# small random number around 0 and the forget gate starts around $\sigma(0) = 0.5$: the direct path of
# Section 3 is roughly halved at every step.
# Setting the forget bias to 1, as Jozefowicz et al. (2015) recommend, starts the gate mostly open.

# %%
lstm = nn.LSTM(input_size=3, hidden_size=5)
for name, param in lstm.named_parameters():
    print(f"{name:14s} {tuple(param.shape)}")
H = lstm.hidden_size
b_f = (lstm.bias_ih_l0 + lstm.bias_hh_l0)[H:2 * H].detach()
print(f"effective forget bias at PyTorch's initialisation: {np.round(b_f.numpy(), 2)} -> "
      f"sigmoid: {np.round(torch.sigmoid(b_f).numpy(), 2)}")
big = nn.LSTM(16, 64)
b_f64 = (big.bias_ih_l0 + big.bias_hh_l0)[64:128].detach()
print(f"nn.LSTM(16, 64): forget biases between {b_f64.min():.2f} and {b_f64.max():.2f}, "
      f"mean sigmoid {torch.sigmoid(b_f64).mean():.2f}")
for b in (0.0, 1.0, 2.0):
    f0 = torch.sigmoid(torch.tensor(b)).item()
    print(f"forget bias {b:g}: f = {f0:.3f}, direct path after 30 steps f^30 = {f0 ** 30:.1e}")

# %% [markdown]
# ### Exercise 5 — initialise the forget-gate bias (2 points)
#
# Write `init_forget_bias(lstm, value=1.0)`. For **every** layer and direction of the LSTM, make the
# forget-gate part of `bias_ih + bias_hh` equal `value` (for example: `value` in `bias_ih`, 0 in `bias_hh`),
# and leave every other entry of every parameter as it is. Change the parameters in place (wrap the change
# in `torch.no_grad()`: autograd does not allow in-place changes to parameters otherwise) and return the
# LSTM. It must work for an `nn.LSTM` with any `num_layers` and `bidirectional` (bias parameters named
# `bias_ih_l0`, `bias_hh_l0`, `bias_ih_l0_reverse`, `bias_ih_l1`, …) and for an `nn.LSTMCell` (named
# `bias_ih` and `bias_hh`). `lstm.named_parameters()` lists them all; `lstm.hidden_size` is $H$.

# %% nbgrader="answer" grade_id="init_forget_bias"
def init_forget_bias(lstm: nn.Module, value: float = 1.0) -> nn.Module:
    """Set the forget-gate bias of every layer and direction so that b_ih + b_hh = value there, in place.

    lstm: nn.LSTM or nn.LSTMCell; each bias_ih*/bias_hh* parameter is (4H,), gate blocks in the order i, f, g, o
    returns the same module
    """
    ### BEGIN SOLUTION
    H = lstm.hidden_size
    with torch.no_grad():
        for name, p in lstm.named_parameters():
            if name.startswith("bias_ih"):
                p[H:2 * H] = value    # rows H:2H are the forget gate
            elif name.startswith("bias_hh"):
                p[H:2 * H] = 0.0
    return lstm
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_init_forget_bias" points=2
torch.manual_seed(0)
_lstm = nn.LSTM(3, 5)                                                     # D = 3, H = 5: one layer, one direction
_before = {k: p.detach().clone() for k, p in _lstm.named_parameters()}
_objects = dict(_lstm.named_parameters())
_result = run_answer(init_forget_bias, _lstm, name="init_forget_bias(nn.LSTM(3, 5))", copy=False,
                     hint="change the parameters inside `with torch.no_grad():` (autograd refuses in-place changes "
                          "to a parameter otherwise)")
check_true(_result is _lstm, "init_forget_bias return value", "expected the LSTM it was given",
           hint="change the parameters in place, then return lstm")
check_true(all(p is _objects[k] for k, p in _lstm.named_parameters()), "the LSTM's parameters after init_forget_bias",
           "a parameter was replaced by a new nn.Parameter (an optimizer made before would still hold the old one)",
           hint="assign into the existing parameter under torch.no_grad(): p[H:2 * H] = value")
_blocks = {"input gate i, rows 0:5": slice(0, 5), "candidate g, rows 10:15": slice(10, 15),
           "output gate o, rows 15:20": slice(15, 20)}                  # H = 5: every block but the forget gate's
for _k in ["bias_ih_l0", "bias_hh_l0"]:
    _changed = [n for n, r in _blocks.items() if not torch.equal(getattr(_lstm, _k)[r], _before[_k][r])]
    check_true(not _changed, f"{_k} outside the forget block, which must not change",
               f"these blocks changed: {'; '.join(_changed)}",
               hint="the gate order is i, f, g, o, so the forget block is rows H:2H = 5:10, with H = "
                    "lstm.hidden_size (5 here), not the input size (3); change nothing else")
_sum = (_lstm.bias_ih_l0 + _lstm.bias_hh_l0).detach()                 # (4H,) = (20,), blocks i, f, g, o
if torch.allclose(_sum[5:10], torch.full((5,), 2.0)):
    _why = "the forget bias came out as 2 = 2 * value: both vectors are added, so put value in one and 0 in the other"
elif torch.allclose(_lstm.bias_ih_l0[5:10], torch.ones(5)):
    _why = "bias_ih_l0 holds value, but bias_hh_l0's forget block still adds to it: set that block to 0"
else:
    _why = "assign the value (p[H:2 * H] = value) rather than adding it to PyTorch's random initial biases"
check_close(_sum[5:10], torch.ones(5), "forget-gate part of bias_ih_l0 + bias_hh_l0 (rows 5:10 for H = 5), value 1",
            hint=_why)
for _k in ["weight_ih_l0", "weight_hh_l0"]:
    check_close(getattr(_lstm, _k), _before[_k], f"{_k}, which must not change", atol=0, hint="only biases change")
run_answer(init_forget_bias, _lstm, value=2.5, name="init_forget_bias(lstm, value=2.5)", copy=False)
check_close((_lstm.bias_ih_l0 + _lstm.bias_hh_l0)[5:10], torch.full((5,), 2.5),
            "forget-gate part of bias_ih_l0 + bias_hh_l0 after init_forget_bias(lstm, value=2.5)",
            hint="use the value argument, and assign it: calling the function twice must not add up")
# two layers, both directions: every bias_ih*/bias_hh* pair has its own forget block
_deep = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
_deep_before = {k: p.detach().clone() for k, p in _deep.named_parameters()}
run_answer(init_forget_bias, _deep, value=1.5, name="init_forget_bias on a 2-layer bidirectional nn.LSTM", copy=False)
for _sfx in ["l0", "l0_reverse", "l1", "l1_reverse"]:
    check_close((getattr(_deep, f"bias_ih_{_sfx}") + getattr(_deep, f"bias_hh_{_sfx}"))[4:8], torch.full((4,), 1.5),
                f"forget-gate part of bias_ih_{_sfx} + bias_hh_{_sfx} "
                "(nn.LSTM(3, 4, num_layers=2, bidirectional=True))",
                hint="loop over every parameter in lstm.named_parameters(): every layer (l0, l1, ...) and the "
                     "reverse direction (_reverse) have their own biases")
check_true(all(torch.equal(p[:4], _deep_before[k][:4]) and torch.equal(p[8:], _deep_before[k][8:])
               for k, p in _deep.named_parameters() if k.startswith("bias")),
           "other gates' biases of the 2-layer bidirectional LSTM", "a bias outside rows 4:8 changed",
           hint="only the forget block, rows H:2H, changes")
_cell = nn.LSTMCell(2, 3)
run_answer(init_forget_bias, _cell, value=-1.0, name="init_forget_bias on nn.LSTMCell(2, 3)", copy=False,
           hint="an nn.LSTMCell has no num_layers or bidirectional: find the biases through named_parameters() "
                "(bias_ih, bias_hh)")
check_close((_cell.bias_ih + _cell.bias_hh)[3:6], torch.full((3,), -1.0),
            "forget-gate part of bias_ih + bias_hh of nn.LSTMCell(2, 3), value -1",
            hint="an nn.LSTMCell's biases are called bias_ih and bias_hh (no _l0 suffix)")
### BEGIN HIDDEN TESTS
import copy
import course_lib.layers.gating as _gating
from course_lib.notebook.rules import written_by_you
torch.manual_seed(14)
_lstm = nn.LSTM(4, 6, num_layers=2, bidirectional=True, batch_first=True).double()
_before = {k: p.detach().clone() for k, p in _lstm.named_parameters()}
_params = dict(_lstm.named_parameters())
_xin = torch.randn(2, 5, 4, dtype=torch.float64)
_want_out = _gating.init_forget_bias_(copy.deepcopy(_lstm), 2.0)(_xin)[0].detach()
_cell = nn.LSTMCell(3, 4).double()
_cell_before = {k: p.detach().clone() for k, p in _cell.named_parameters()}
_three = nn.LSTM(2, 3, num_layers=3)                                      # default value, three layers
_three_params = dict(_three.named_parameters())
_proj = nn.LSTM(3, 6, proj_size=2)                                       # weight_hh_l0 is (24, 2)
with written_by_you("init_forget_bias") as rules:
    _result = run_answer(init_forget_bias, _lstm, 2.0, name="hidden check: 2 layers, bidirectional", copy=False)
    check_true(_result is _lstm, "hidden check: returns the LSTM", "another object was returned",
               hint="return lstm")
    for _sfx in ["l0", "l0_reverse", "l1", "l1_reverse"]:
        check_close((_params[f"bias_ih_{_sfx}"] + _params[f"bias_hh_{_sfx}"])[6:12], torch.full((6,), 2.0),
                    f"hidden check: forget-gate bias of {_sfx} (2 layers, both directions)", atol=1e-12, rtol=1e-9,
                    hint="change the existing parameters in place, for every layer and direction")
    _forget = torch.zeros(24, dtype=torch.bool)
    _forget[6:12] = True
    for _k, _p in _lstm.named_parameters():
        _keep = ~_forget if _k.startswith("bias") else torch.ones(_p.shape[0], dtype=torch.bool)
        check_close(_p[_keep], _before[_k][_keep], "hidden check: every other entry (other gates' biases, all "
                    "weights) unchanged", atol=0, hint="only rows H:2H of the biases change")
    check_true(all(_p is _params[_k] for _k, _p in _lstm.named_parameters()), "hidden check: changed in place",
               "a parameter was replaced by a new one (an optimizer made earlier would not see it)",
               hint="assign into the existing parameter under torch.no_grad(): p[H:2 * H] = value")
    check_close(_lstm(_xin)[0], _want_out, "hidden check: the LSTM computes the same as with the reference "
                "initialisation", atol=1e-12, rtol=1e-9,
                hint="b_ih + b_hh = value on the forget block, nothing else changed")
    run_answer(init_forget_bias, _cell, 3.0, name="hidden check: nn.LSTMCell", copy=False)
    check_close((_cell.bias_ih + _cell.bias_hh)[4:8], torch.full((4,), 3.0),
                "hidden check: works on nn.LSTMCell (parameters bias_ih and bias_hh)", atol=1e-12, rtol=1e-9,
                hint="find the biases through named_parameters()")
    check_close(_cell.weight_hh, _cell_before["weight_hh"], "hidden check: nn.LSTMCell weights unchanged", atol=0,
                hint="only biases change")
    run_answer(init_forget_bias, _three, name="hidden check: default value, 3 layers", copy=False)
    for _l in range(3):
        check_close((_three_params[f"bias_ih_l{_l}"] + _three_params[f"bias_hh_l{_l}"])[3:6], torch.ones(3),
                    f"hidden check: default value 1.0, layer {_l} of a 3-layer LSTM", atol=1e-7,
                    hint="value defaults to 1.0; every layer has its own biases")
    run_answer(init_forget_bias, _proj, 0.5, name="hidden check: proj_size", copy=False)
    check_close((_proj.bias_ih_l0 + _proj.bias_hh_l0)[6:12], torch.full((6,), 0.5),
                "hidden check: an LSTM with proj_size=2 (hidden_size 6, weight_hh_l0 is (24, 2))", atol=1e-7,
                hint="H is lstm.hidden_size, not a dimension of weight_hh")
### END HIDDEN TESTS

# %% [markdown]
# ### Gradient flow in real cells, measured
#
# Now the real modules, with the gates computed from the data. Each model reads 100 steps of random
# input; the loss looks only at the last output, and one backward pass gives
# $\lVert \partial L / \partial x_t \rVert$ for every step: how strongly the loss can still "feel" an input
# that came $T - t$ steps earlier (`course_lib.gradients.flow.input_gradient_norms`). Curves are averaged over
# five random initialisations, in float64 so that tiny values do not round to 0. The LSTM appears three
# times: with PyTorch's initialisation, and with your `init_forget_bias` at 1 and at 2 (an answer that sets
# the wrong block, or only some layers, shows here: its curves fall like the default LSTM's).

# %%
from course_lib.gradients.flow import input_gradient_norms

SEQ, D_IN, HIDDEN, INITS = 100, 16, 64, 5
cells = {"nn.RNN": (nn.RNN, None), "nn.GRU": (nn.GRU, None), "nn.LSTM": (nn.LSTM, None),
         "nn.LSTM, forget bias 1": (nn.LSTM, 1.0), "nn.LSTM, forget bias 2": (nn.LSTM, 2.0)}
flow = {}
for name, (cls, forget_bias) in cells.items():
    runs = []
    for seed in range(INITS):
        seed_everything(seed)
        model = cls(D_IN, HIDDEN, batch_first=True).double()
        if forget_bias is not None:
            init_forget_bias(model, forget_bias)
        runs.append(input_gradient_norms(model, seq_len=SEQ, input_size=D_IN, seed=seed))
    flow[name] = np.mean(runs, axis=0)
fig, ax = plt.subplots()
plot_lines(ax, np.arange(SEQ), flow, xlabel="distance T - t (steps back from the loss)",
           ylabel=r"mean $\|\partial L / \partial x_t\|$", title="Gradient reaching x_t (measured)", logy=True)
plt.show()
for name, g in flow.items():
    print(f"{name:23s}: at the last step {g[0]:.1e}; 25 steps back {g[25] / g[0]:.0e} of it, "
          f"50 steps back {g[50] / g[0]:.0e}, 99 steps back {g[99] / g[0]:.0e}")

# %% [markdown]
# Gates alone are not enough: at PyTorch's initialisation the GRU and the LSTM lose their gradient
# geometrically too — more slowly than the vanilla RNN, but 50 steps back the printed fractions are all
# tiny. What changes the picture is where the forget gate starts: with the forget bias at 1, and more so
# at 2, the LSTM's curve falls far more slowly, because the direct path of Section 3 is multiplied by
# about $\sigma(1) = 0.73$ or $\sigma(2) = 0.88$ per step instead of about 0.5.
#
# ### Does it matter for learning? A long-memory task
#
# The task: the first of 30 steps carries a number $v \sim \mathcal{N}(0, 1)$ (and a marker saying "this
# one"); the other 29 steps are zeros; after the last step the model must output $v$. Always answering 0
# costs a squared error of about 1. We train the same small LSTM (32 units, Adam) from five random seeds,
# with PyTorch's initialisation and with the forget bias at 1 and at 2 — same data, same seeds.
# (While grading, this cell runs only a few steps.)

# %%
MEMORY_T = 30


def remember_batch(generator: torch.Generator, batch: int = 32):
    """inputs (B, T, 2): [v, 1] at the first step, zeros after; target (B,): v."""
    v = torch.randn(batch, generator=generator)
    x = torch.zeros(batch, MEMORY_T, 2)
    x[:, 0, 0], x[:, 0, 1] = v, 1.0
    return x.to(device), v.to(device)


class Rememberer(nn.Module):
    """LSTM -> linear read-out of the last state."""

    def __init__(self, forget_bias: float | None):
        super().__init__()
        self.lstm = nn.LSTM(2, 32, batch_first=True)
        self.head = nn.Linear(32, 1)
        if forget_bias is not None:
            init_forget_bias(self.lstm, forget_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        states, _ = self.lstm(x)                      # (B, T, 32)
        return self.head(states[:, -1]).squeeze(-1)   # (B,)


steps = budget(full=300, grading=5)
curves, finals = {}, {}
for label, forget_bias in [("PyTorch init", None), ("forget bias 1", 1.0), ("forget bias 2", 2.0)]:
    losses = []
    for seed in range(5):
        seed_everything(seed)
        model = Rememberer(forget_bias).to(device)
        opt = torch.optim.Adam(model.parameters(), lr=3e-3)
        g_data = torch.Generator().manual_seed(100 + seed)
        run = []
        for _ in range(steps):
            x, v = remember_batch(g_data)
            loss = ((model(x) - v) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            run.append(loss.item())
        losses.append(run)
    losses = np.array(losses)                                            # (seeds, steps)
    curves[label] = losses.mean(axis=0)
    finals[label] = losses[:, -50:].mean(axis=1)                         # per seed: mean of the last 50 steps
fig, ax = plt.subplots()
plot_lines(ax, np.arange(1, steps + 1), curves, xlabel="step", ylabel="squared error (mean of 5 seeds)",
           title=f"Remember a number for {MEMORY_T} steps", logy=True)
plt.show()
for label, f in finals.items():
    print(f"{label:14s}: final error per seed {np.round(f, 3)}; seeds below 0.05: {(f < 0.05).sum()} of {len(f)}")

# %% [markdown]
# With PyTorch's initialisation the LSTM stays at the error of answering 0 on every seed: the gradient
# from the loss at step 30 does not reach the input at step 1 strongly enough to teach the cell to store
# it. With the forget bias at 1 the outcome varies from seed to seed (see the printed per-seed errors),
# and at 2 every seed drives the error close to 0. Nothing else changed — the same cell, data and seeds. The
# forget gate can still learn to close where the task needs forgetting; the bias only decides where it
# starts. (The printed figures are from this run; on a GPU they can differ slightly.)
#
# ## Summary
#
# - A gate $\sigma([x_t, h_{t-1}] W^\top + b)$ is a learned valve in $(0, 1)$, applied element by element.
# - A gated update $z \odot h_{t-1} + (1 - z) \odot \tilde h_t$ keeps or overwrites each unit; a constant gate
#   value $z$ is a memory with half-life $\ln\frac12 / \ln z$, and a trained gate learns *when* to write.
# - The tanh RNN's Jacobian $\prod_t \operatorname{diag}(1 - h_t^2) W$ is multiplicative. The additive update
#   $c_t = f_t \odot c_{t-1} + i_t \odot g_t$ adds a direct path $\operatorname{diag}(f_t)$ that needs no $W$: with
#   $f \approx 1$ the gradient does not vanish (it can still grow).
# - PyTorch's LSTM stacks its gates as i, f, g, o and adds two bias vectors; a forget bias of 1 or 2 keeps
#   gradients alive over many more steps at initialisation, measured above, and made the long-memory task
#   learnable here.
#
# ## Reflection (2 points, graded by hand)
#
# Use the additive Jacobian of Section 3 to explain, in 3–5 sentences, why a larger forget-gate bias made
# the measured gradient curves of Section 4 fall more slowly, and why that let the LSTM learn to remember
# a number for 30 steps. Then give one reason why a very large forget bias (say 10) could hurt on a task
# where the model must forget quickly.

# %% [markdown] nbgrader="manual" grade_id="reflection" points=2
# ### BEGIN SOLUTION
# *Model answer (for graders).* At initialisation the LSTM's weights are small, so every forget gate is
# about sigmoid(forget bias). The direct path of the additive update contributes diag(f_T ... f_1) to
# d c_T / d c_0, roughly sigmoid(b)^T: about 0.5^30 (~1e-9) at PyTorch's default bias near 0, 0.73^30
# (~1e-4) at bias 1 and 0.88^30 (~0.02) at bias 2. The gradient of the loss at step 30 reaches the
# input at step 1 through that path, so with the default bias the weights that should store the number
# receive almost no signal and the error stays at that of answering 0; with a larger bias the signal is
# large enough for training to discover the storing behaviour. With a bias of 10 the gate starts at
# sigmoid(10) ~ 0.99995, saturated: the cell keeps everything (old content crowds out new, and the state
# can grow), and since sigmoid'(10) ~ 5e-5 the gradient that should teach the gate to close is tiny, so
# learning to forget is slow.
# Full marks: links the bias to f ~ sigmoid(b) and to the product of forget gates along the direct path,
# connects the larger surviving gradient to learning the long dependency, and names a cost of a huge bias
# (no forgetting / saturated gate with a vanishing gate gradient / growing state).
# ### END SOLUTION
