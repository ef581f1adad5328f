# %% [markdown]
# # Day 07 — Attention: letting the decoder look back at the source
#
# On Day 06 the decoder saw the source through one vector, the encoder's final state, written before
# the first output token. *Attention* (Bahdanau, Cho & Bengio 2015; Luong, Pham & Manning 2015) removes
# that bottleneck: at every output step the decoder scores **every** encoder state against its own
# state, turns the scores into weights with a softmax, and reads the weighted average of the encoder
# states — a *context vector* made for this step. The weights are also a picture of what the model
# read: today we draw them.
#
# **By the end of today you can**
# 1. compute dot, general (Luong) and additive (Bahdanau) attention scores for a batch;
# 2. write a softmax that ignores padded source positions and stays finite on a row that is all padding;
# 3. write one step of an attention decoder that plugs into Day 06's training loss and decoders;
# 4. measure what attention buys, by input length, against the same model without it;
# 5. read an attention map, and compute BLEU from scratch — and know when to report BLEU, chrF or exact match.
#
# **How this notebook works.** Each exercise is one function: replace `raise NotImplementedError()` with
# your code and run the test cell below it. The visible tests are a first check; grading runs more
# (batch 1, a source of length 1, rows of padding, float64 parity with the course's reference). Before
# submitting, restart the kernel and run everything, then press **Validate**.
# Validate's "Success!" and a test cell's "✓ … passed" mean that the visible tests passed, not a
# grade: graders run hidden tests too.
#
# Points: 13 autograded (six exercises), 2 for the reflection at the end.

# %%
import math
import time
from collections import Counter

import numpy as np
import torch
import matplotlib.pyplot as plt
from torch import nn

from course_lib.notebook.runtime import setup_notebook, budget, seed_everything
from course_lib.notebook.checks import (check_close, check_dtype, check_equal, check_shape, check_true,
                                       check_type, run_answer)
from course_lib.metrics.accuracy import accuracy_by_length
from course_lib.metrics.bleu import sacrebleu_bleu, sacrebleu_chrf
from course_lib.notebook.plotting import plot_lines, plot_attention, PALETTE
from course_lib.training.loop import train
from course_lib.data.dates import date_pairs, build_vocabs, encode_pairs
from course_lib.batching.buckets import bucket_batches, endless_batches
import course_lib.models.seq2seq as day06_s2s
import course_lib.decoding.greedy as day06_greedy
import course_lib.losses.cross_entropy as day06_loss
import course_lib.metrics.accuracy as day06_acc
from course_lib.models.seq2seq import EncoderOutput

device = setup_notebook(seed=0)

# %% [markdown]
# ## 1. The task, again
#
# The same **generated** data as Day 06: every day from 1950 to 2049 written by Babel (Unicode CLDR
# date formats) in one of six languages and seven formats, paired with its ISO form, split by date so
# no test date is seen in training in any form. Nothing is downloaded; Day 06 explains the choice. The
# task suits attention: each output character comes from a few input characters, so we can check by
# eye whether the model reads the right ones.

# %%
pairs = date_pairs()
src_vocab, tgt_vocab = build_vocabs(pairs.train)
PAD, BOS, EOS = tgt_vocab.pad_id, tgt_vocab.bos_id, tgt_vocab.eos_id
train_set = encode_pairs(pairs.train, src_vocab, tgt_vocab)
test_set = encode_pairs(pairs.test, src_vocab, tgt_vocab)
print({name: len(p) for name, p in pairs.items()}, "pairs;", f"source vocabulary {len(src_vocab)} characters")
for src, tgt in pairs.test[:: len(pairs.test) // 5]:
    print(f"  {src!r:38} -> {tgt}")

# %% [markdown]
# ## 2. Scores: how well does each source position answer the decoder's question?
#
# At output step $t$ the decoder holds a state $s_t$, the **query**. The encoder left one state $h_j$
# per source position $j$, the **keys** (here also the values that get averaged). A score function gives
# one number $e_{tj}$ per source position:
#
# | name | score $e_{tj}$ | parameters |
# |---|---|---|
# | dot (Luong) | $s_t^\top h_j$ | none; query and keys of one size |
# | general (Luong) | $s_t^\top W h_j$ | $W \in \mathbb{R}^{H_q \times H_k}$ |
# | additive (Bahdanau) | $v^\top \tanh(W_q s_t + W_k h_j)$ | $W_q \in \mathbb{R}^{A \times H_q}$, $W_k \in \mathbb{R}^{A \times H_k}$, $v \in \mathbb{R}^{A}$ |
#
# Dot and general are *multiplicative*: one batched matrix product. Additive runs a one-hidden-layer
# network on every (query, key) pair: more computation, and it compares vectors of different sizes
# without forcing them into one space. (Transformers divide the dot score by $\sqrt{d_k}$, $d_k$ the size
# of the keys, so that the scores do not grow with it; the dot score here is not divided.)
#
# ### Exercise 1 — dot and general scores (2 points)
#
# `query` is `(B, H_q)` (one decoder step for a batch), `keys` is `(B, S, H_k)`; both functions return
# `(B, S)`. Use batched matrix products (`torch.bmm`, `@` or `torch.einsum`), no Python loops.

# %% nbgrader="answer" grade_id="multiplicative_scores"
def dot_scores(query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
    """query (B, H), keys (B, S, H) -> scores (B, S): the dot product of the query with every key."""
    ### BEGIN SOLUTION
    return torch.bmm(keys, query.unsqueeze(-1)).squeeze(-1)          # (B, S, H) @ (B, H, 1) -> (B, S)
    ### END SOLUTION


def general_scores(query: torch.Tensor, keys: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """query (B, H_q), keys (B, S, H_k), weight (H_q, H_k) -> scores (B, S): query^T W key for every key."""
    ### BEGIN SOLUTION
    return torch.bmm(keys, (query @ weight).unsqueeze(-1)).squeeze(-1)   # (B, S, H_k) @ (B, H_k, 1)
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_multiplicative_scores" points=2
# B = 2, S = 3, H = 4: three different sizes, so a mixed-up axis shows in the shape
_q = torch.tensor([[1.0, 0.0, 2.0, -1.0], [0.0, 1.0, 1.0, 2.0]])
_k = torch.tensor([[[1.0, 1.0, 1.0, 1.0], [2.0, 0.0, 0.0, 1.0], [0.0, -1.0, 1.0, 3.0]],
                   [[1.0, 0.0, 0.0, 0.0], [0.0, 2.0, 1.0, 0.0], [-1.0, 1.0, 0.0, 1.0]]])
_want_d = torch.tensor([[2.0, 1.0, -1.0], [0.0, 3.0, 3.0]])              # query[b] . keys[b, j], worked by hand
_d = run_answer(dot_scores, _q, _k, name="dot_scores(query (2, 4), keys (2, 3, 4))")
check_shape(_d, (2, 3), "dot scores (B=2, S=3)",
            hint="one score per batch row and source position; (2, 2, 3) means query @ keys.transpose(1, 2) "
                 "broadcast each query against every batch row: unsqueeze the query to (B, 1, H) or use bmm")
check_close(_d, _want_d, "dot scores",
            hint="scores[b, j] = query[b] . keys[b, j]: raw scores, not divided by sqrt(H) (that is the "
                 "transformer's scaled score) and not softmaxed (weights come from masked_softmax, Exercise 3)")
check_shape(run_answer(dot_scores, _q[:1], _k[:1, :1], name="dot_scores, batch 1, one source position"), (1, 1),
            "dot scores for a batch of one with one source position", hint="squeeze(-1), not squeeze(): keep the batch axis")
check_dtype(run_answer(dot_scores, _q.double(), _k.double(), name="dot_scores in float64"), torch.float64,
            "dot scores keep the inputs' dtype (float64)", hint="compute with tensor operations on the inputs; a result "
                                                              "made with torch.zeros(B, S) and filled in a loop is float32")
# general: H_q = 3, H_k = 2, W (3, 2) not square, so W the wrong way round cannot be multiplied
_qg = torch.tensor([[1.0, 2.0, 0.0], [0.0, -1.0, 1.0]])
_kg = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [2.0, -1.0]], [[1.0, 1.0], [-1.0, 0.0], [0.0, 2.0]]])
_W = torch.tensor([[1.0, 2.0], [0.0, 1.0], [-1.0, 0.0]])
_want_g = torch.tensor([[1.0, 4.0, -2.0], [-2.0, 1.0, -2.0]])             # (query[b] @ W) . keys[b, j]
check_close(run_answer(general_scores, _q, _k, torch.eye(4), name="general_scores with W = I"), _want_d,
            "general scores with W = I equal the dot scores", hint="q^T I k = q . k: the same contraction as dot_scores")
check_close(run_answer(general_scores, _qg, _kg, _W, name="general_scores(query (2, 3), keys (2, 3, 2), W (3, 2))"), _want_g,
            "general scores with H_q = 3, H_k = 2", hint="query (B, H_q) @ W (H_q, H_k) gives (B, H_k), then the dot "
                                                         "product with every key; not W.T, not keys @ W")
check_shape(run_answer(general_scores, _qg[:1], _kg[:1, :1], _W, name="general_scores, batch 1, one source position"),
            (1, 1), "general scores for a batch of one with one source position", hint="squeeze(-1), not squeeze()")
check_dtype(run_answer(general_scores, _qg.double(), _kg.double(), _W.double(), name="general_scores in float64"),
            torch.float64, "general scores keep the inputs' dtype (float64)",
            hint="no .float() and no float32 buffer: multiply the inputs as they are")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
import course_lib.layers.attention as _ref_att
seed_everything(11)
_q2, _k2 = torch.randn(4, 3, dtype=torch.float64), torch.randn(4, 6, 5, dtype=torch.float64)
_W2 = torch.randn(3, 5, dtype=torch.float64)
_q3, _k3 = torch.randn(4, 5, dtype=torch.float64), torch.randn(4, 6, 5, dtype=torch.float64)
_W3 = torch.randn(5, 5, dtype=torch.float64)
_want_d = _ref_att.dot_scores(_q3, _k3)
_want_g = _ref_att.general_scores(_q2, _k2, _W2)
_want_g3 = _ref_att.general_scores(_q3, _k3, _W3)
_want_1 = _ref_att.dot_scores(_q3[:1], _k3[:1, :1])
_want_g1 = _ref_att.general_scores(_q2[:1], _k2[:1, :1], _W2)
_want_big = _ref_att.dot_scores(_q3 * 1e3, _k3 * 1e3)
_qr, _Wr = _q2.clone().requires_grad_(), _W2.clone().requires_grad_()
_want_grads = torch.autograd.grad((_ref_att.general_scores(_qr, _k2, _Wr) * _k2[:, :, 0]).sum(), (_qr, _Wr))
with written_by_you("multiplicative_scores"):
    check_close(run_answer(dot_scores, _q3, _k3, name="hidden check: dot scores"), _want_d,
                "hidden check: dot scores, float64, B=4, S=6, H=5", atol=1e-10)
    check_close(run_answer(dot_scores, _q3 * 1e3, _k3 * 1e3, name="hidden check: dot scores"), _want_big,
                "hidden check: dot scores of large vectors (no scaling, no normalising)", rtol=1e-9)
    check_close(run_answer(general_scores, _q2, _k2, _W2, name="hidden check: general scores"), _want_g,
                "hidden check: general scores with H_q = 3, H_k = 5", atol=1e-10)
    check_close(run_answer(general_scores, _q3, _k3, _W3, name="hidden check: general scores"), _want_g3,
                "hidden check: general scores with a square, non-symmetric W", atol=1e-10)
    check_close(run_answer(dot_scores, _q3[:1], _k3[:1, :1], name="hidden check: dot scores"), _want_1,
                "hidden check: dot scores, batch 1, one source position (shape (1, 1))")
    check_close(run_answer(general_scores, _q2[:1], _k2[:1, :1], _W2, name="hidden check: general scores"), _want_g1,
                "hidden check: general scores, batch 1, one source position (shape (1, 1))")
    _qa, _Wa = _q2.clone().requires_grad_(), _W2.clone().requires_grad_()
    _got = run_answer(general_scores, _qa, _k2, _Wa, name="hidden check: general scores", copy=False)
    check_true(isinstance(_got, torch.Tensor) and _got.requires_grad, "hidden check: gradients flow through the general scores",
               "the scores do not depend on W and the query in autograd (detached, numpy or .item()?)")
    _grads = torch.autograd.grad((_got * _k2[:, :, 0]).sum(), (_qa, _Wa))
    check_close(_grads[0], _want_grads[0], "hidden check: gradient of the general scores with respect to the query", atol=1e-10)
    check_close(_grads[1], _want_grads[1], "hidden check: gradient of the general scores with respect to W", atol=1e-10)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2 — additive scores (2 points)
#
# $e_{j} = v^\top \tanh(W_q\, q + W_k\, h_j)$ for every $j$ at once: project the query once `(B, A)`,
# the keys once `(B, S, A)`, add them with broadcasting, apply `tanh`, and contract with $v$. The weights
# are given as plain tensors in the `nn.Linear` layout (output size first): `w_query (A, H_q)`,
# `w_keys (A, H_k)`, `v (A,)`.

# %% nbgrader="answer" grade_id="additive_scores"
def additive_scores(query: torch.Tensor, keys: torch.Tensor, w_query: torch.Tensor, w_keys: torch.Tensor,
                    v: torch.Tensor) -> torch.Tensor:
    """query (B, H_q), keys (B, S, H_k), w_query (A, H_q), w_keys (A, H_k), v (A,) -> scores (B, S)."""
    ### BEGIN SOLUTION
    projected = (query @ w_query.T).unsqueeze(1) + keys @ w_keys.T      # (B, 1, A) + (B, S, A) -> (B, S, A)
    return torch.tanh(projected) @ v                                    # (B, S)
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_additive_scores" points=2
# one query, two keys, identity-like weights: worked by hand
_q = torch.tensor([[1.0, -1.0]])
_k = torch.tensor([[[0.5, 0.0, 1.0], [0.0, 2.0, -1.0]]])
_Wq, _Wk, _v = torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]), torch.tensor([2.0, 1.0])
_want = torch.tensor([[2 * math.tanh(1.5) + math.tanh(0.0), 2 * math.tanh(1.0) + math.tanh(-2.0)]])
_e = run_answer(additive_scores, _q, _k, _Wq, _Wk, _v, name="additive_scores(B=1, S=2)")
check_shape(_e, (1, 2), "additive scores (B=1, S=2)",
            hint="one score per source position: contract the attention units A with v; keep the batch axis (squeeze(-1), not squeeze())")
check_close(_e, _want, "additive scores, one query and two keys",
            hint="v . tanh(W_q q + W_k k_j): tanh (not sigmoid, not none) on the sum, then the dot product with v")
# B = 2, S = 3, H_q = 2, H_k = 3, A = 4, weights not symmetric: each weight fits only one way round
_q = torch.tensor([[1.0, -1.0], [0.5, 2.0]])
_k = torch.tensor([[[0.5, 0.0, 1.0], [0.0, 2.0, -1.0], [1.0, 1.0, 1.0]],
                   [[-1.0, 0.5, 0.0], [2.0, 0.0, 0.5], [0.0, 0.0, 0.0]]])
_Wq = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, -1.0]])
_Wk = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, -1.0, 1.0]])
_v = torch.tensor([2.0, 1.0, -1.0, 0.5])
_want = torch.tensor([[2.310173, -0.4048668, 1.666126], [-1.448569, 2.425803, 0.5208505]])   # computed once, stored
_e = run_answer(additive_scores, _q, _k, _Wq, _Wk, _v, name="additive_scores(B=2, S=3, H_q=2, H_k=3, A=4)",
                hint="w_query is (A, H_q) and w_keys (A, H_k), as in nn.Linear: project with query @ w_query.T "
                     "and keys @ w_keys.T; add the projected query as (B, 1, A) to the keys' (B, S, A)")
check_shape(_e, (2, 3), "additive scores (B=2, S=3)",
            hint="(B, S): sum over the attention units A (the last axis) with v, not over the source positions")
check_close(_e, _want, "additive scores, B=2, S=3, A=4, non-symmetric weights", atol=1e-5,
            hint="W_q multiplies the query and W_k the keys, each as (A, H) @ vector (i.e. x @ W.T); tanh before v")
check_dtype(run_answer(additive_scores, _q.double(), _k.double(), _Wq.double(), _Wk.double(), _v.double(),
                       name="additive_scores in float64"), torch.float64, "additive scores keep the inputs' dtype (float64)",
            hint="no .float() and no float32 buffer: project, add, tanh and contract the inputs as they are")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
import course_lib.layers.attention as _ref_att
seed_everything(12)
_q2, _k2 = torch.randn(3, 4, dtype=torch.float64), torch.randn(3, 5, 6, dtype=torch.float64)
_Wq2, _Wk2, _v2 = torch.randn(7, 4, dtype=torch.float64), torch.randn(7, 6, dtype=torch.float64), torch.randn(7, dtype=torch.float64)
_want = _ref_att.additive_scores(_q2, _k2, _Wq2, _Wk2, _v2)
_want1 = _ref_att.additive_scores(_q2[:1], _k2[:1, :1], _Wq2, _Wk2, _v2)
_wantA1 = _ref_att.additive_scores(_q2, _k2, _Wq2[:1], _Wk2[:1], _v2[:1])
_wantsq = _ref_att.additive_scores(_q2[:, :4], _k2[:, :, :4], _Wq2[:4], _Wk2[:4, :4], _v2[:4])
_leaves = [x.clone().requires_grad_() for x in (_q2, _k2, _Wq2, _Wk2, _v2)]
_want_grads = torch.autograd.grad(_ref_att.additive_scores(*_leaves).sum(), _leaves)
with written_by_you("additive_scores"):
    check_close(run_answer(additive_scores, _q2, _k2, _Wq2, _Wk2, _v2, name="hidden check: additive scores"), _want,
                "hidden check: float64, H_q=4, H_k=6, A=7", atol=1e-10)
    check_close(run_answer(additive_scores, _q2[:1], _k2[:1, :1], _Wq2, _Wk2, _v2, name="hidden check: additive scores"),
                _want1, "hidden check: batch 1, one source position", atol=1e-10)
    check_close(run_answer(additive_scores, _q2, _k2, _Wq2[:1], _Wk2[:1], _v2[:1], name="hidden check: additive scores"),
                _wantA1, "hidden check: one attention unit (A = 1)", atol=1e-10)
    check_close(run_answer(additive_scores, _q2[:, :4], _k2[:, :, :4], _Wq2[:4], _Wk2[:4, :4], _v2[:4],
                           name="hidden check: additive scores"), _wantsq,
                "hidden check: square, non-symmetric weights (H_q = H_k = A = 4)", atol=1e-10)
    _mine = [x.clone().requires_grad_() for x in (_q2, _k2, _Wq2, _Wk2, _v2)]
    _got = run_answer(additive_scores, *_mine, name="hidden check: additive scores", copy=False)
    check_true(isinstance(_got, torch.Tensor) and _got.requires_grad, "hidden check: gradients flow through the additive scores",
               "the scores do not depend on the weights in autograd (detached, numpy or .item()?)")
    for _g, _w, _what in zip(torch.autograd.grad(_got.sum(), _mine, allow_unused=True), _want_grads,
                             ("query", "keys", "w_query", "w_keys", "v")):
        check_true(_g is not None, f"hidden check: gradient with respect to {_what}", "no gradient reaches it")
        check_close(_g, _w, f"hidden check: gradient with respect to {_what}", atol=1e-10)
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Masking: padded positions get no attention
#
# In a batch, short sources are padded to the longest one. The encoder's states at padded positions are
# zeros (we pack, Day 05), but a zero key still gets a score — $e = 0$ for dot attention, which can beat
# the real positions' negative scores — and would take weight away from the real characters. So before
# the softmax the scores at padding are replaced by $-\infty$ (or the most negative float), and they get
# weight exactly 0:
#
# $$\alpha_{tj} = \frac{\exp(e_{tj})\,[j \text{ real}]}{\sum_{k \text{ real}} \exp(e_{tk})}.$$
#
# One trap: a row with **no** real position. It does not occur for a source of length $\geq 1$, but it
# does for padded *queries* — decoder steps after `<eos>`, or empty rows added to fill a batch — and a
# softmax over a row of $-\infty$ is $0/0$:

# %%
print("softmax of a row that is all -inf:", torch.softmax(torch.tensor([float("-inf"), float("-inf")]), dim=0))

# %% [markdown]
# One `NaN` anywhere in a batch turns the loss, then every gradient and then every weight into `NaN`.
# A robust masked softmax returns **zeros** for such a row (its context is then a zero vector).
#
# ### Exercise 3 — masked softmax (2 points)
#
# `scores (B, S)` float, `mask (B, S)` bool, True at real positions. Return weights `(B, S)`: a softmax
# over the real positions of each row, 0 at padding, and all zeros (no `NaN`) in a row with no real
# position. Keep the scores' dtype. `torch.softmax` is fine here: the exercise is the masking.

# %% nbgrader="answer" grade_id="masked_softmax"
def masked_softmax(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """scores (B, S) float, mask (B, S) bool (True = real) -> weights (B, S): each row sums to 1 over its
    real positions (0 at padding); a row without real positions is all zeros."""
    ### BEGIN SOLUTION
    lowest = torch.finfo(scores.dtype).min                       # exp(lowest - row max) == 0 exactly
    weights = torch.softmax(scores.masked_fill(~mask, lowest), dim=-1)
    return weights * mask                                        # an all-padding row: uniform * 0 = 0
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_masked_softmax" points=2
_s = torch.tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 7.0]])
_m = torch.tensor([[True, True, False], [True, False, False]])
_w = run_answer(masked_softmax, _s, _m, name="masked_softmax(B=2, S=3)")
check_shape(_w, (2, 3), "weights (B=2, S=3)", hint="one weight per score: the same shape as `scores`")
check_close(_w[0], torch.tensor([math.exp(1) / (math.exp(1) + math.exp(2)), math.exp(2) / (math.exp(1) + math.exp(2)), 0.0]),
            "first row: softmax over its two real positions, 0 at the padding",
            hint="a softmax along each row (dim=-1) over the positions where mask is True; the padded score "
                 "(3.0) must be replaced by -inf or the lowest float BEFORE the softmax, not zeroed after it")
check_close(_w[1], torch.tensor([1.0, 0.0, 0.0]), "second row: its one real position gets all the weight",
            hint="mask is True at the real positions: the 7.0 at a padded position gets nothing")
_w = run_answer(masked_softmax, torch.tensor([[-1e5, -1e5 - 1, 0.0]]), torch.tensor([[True, True, False]]),
                name="masked_softmax of very negative real scores")
check_close(_w, torch.tensor([[1 / (1 + math.exp(-1)), math.exp(-1) / (1 + math.exp(-1)), 0.0]]),
            "real scores around -100000, padding at 0: the padding still gets 0",
            hint="filling the padding with 0 or a number such as -100, -1e4 or float16's lowest (-65504) is not "
                 "enough once the real scores are lower; use float('-inf') or torch.finfo(scores.dtype).min")
_w = run_answer(masked_softmax, torch.tensor([[100.0, 30.0, 90.0]]), torch.tensor([[True, False, True]]),
                name="masked_softmax of large scores")
check_close(_w, torch.tensor([[1 / (1 + math.exp(-10)), 0.0, math.exp(-10) / (1 + math.exp(-10))]]),
            "large scores (100 and 90): no overflow", hint="exp(100) overflows float32: subtract the row's largest "
                                                          "REAL score before exp, or use torch.softmax, which does")
_w = run_answer(masked_softmax, torch.tensor([[0.0, 1.0, 500.0]]), torch.tensor([[True, True, False]]),
                name="masked_softmax with a huge score at a padded position")
check_close(_w, torch.tensor([[1 / (1 + math.e), math.e / (1 + math.e), 0.0]]),
            "a huge score at a padded position changes nothing",
            hint="shift by the largest score among the real positions only (or mask before torch.softmax): "
                 "exp(1 - 500) underflows to 0")
_w0 = run_answer(masked_softmax, torch.tensor([[0.3, -1.2, 2.0, 0.1], [1.0, 4.0, -2.0, 0.5]]),
                 torch.tensor([[False] * 4, [True, False, True, False]]), name="masked_softmax with a row that is all padding")
check_true(bool(torch.isfinite(_w0).all()), "a row that is all padding gives no NaN",
           f"got {_w0[0].tolist()}", hint="softmax over a row of -inf is 0/0; return zeros for such a row")
check_close(_w0[0], torch.zeros(4), "a row that is all padding is all zeros",
            hint="with the lowest float as fill, that row comes out uniform (1/4 each): multiply by the mask afterwards")
check_dtype(run_answer(masked_softmax, _s.double(), _m, name="masked_softmax in float64"), torch.float64,
            "float64 scores give float64 weights", hint="build the result from the scores (masked_fill, softmax), "
                                                       "not in a torch.zeros(...) tensor, which is float32")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
import course_lib.layers.attention as _ref_att
seed_everything(13)
_s2 = torch.randn(5, 7, dtype=torch.float64) * 5
_m2 = torch.rand(5, 7) < 0.6
_m2[0] = False
_m2[1] = True
_m2[2] = False
_m2[2, 6] = True
_want = _ref_att.masked_softmax(_s2, _m2)
_want_low = _ref_att.masked_softmax(_s2 - 1000, _m2)
_want_vlow = _ref_att.masked_softmax(_s2 - 1e5, _m2)
_big = torch.tensor([[50.0, 100.0, -20.0]], dtype=torch.float32)
_want_big = _ref_att.masked_softmax(_big, torch.tensor([[True, False, True]]))
_s16 = (torch.randn(3, 6) * 3).to(torch.float16)
_m16 = torch.tensor([[True] * 6, [True, True, False, False, False, False], [False] * 6])
_want16 = _ref_att.masked_softmax(_s16.double(), _m16)
_sr = _s2.clone().requires_grad_()
_want_grad = torch.autograd.grad((_ref_att.masked_softmax(_sr, _m2) * torch.arange(7.0, dtype=torch.float64)).sum(), _sr)[0]
with written_by_you("masked_softmax"):
    check_close(run_answer(masked_softmax, _s2, _m2, name="hidden check: masked softmax"), _want,
                "hidden check: float64, random masks incl. an all-padding row, a full row, only the last position real", atol=1e-12)
    _sg = _s2.clone().requires_grad_()
    _got = run_answer(masked_softmax, _sg, _m2, name="hidden check: masked softmax, gradients", copy=False)
    _g = torch.autograd.grad((_got * torch.arange(7.0, dtype=torch.float64)).sum(), _sg)[0]
    check_true(bool(torch.isfinite(_g).all()), "hidden check: gradients are finite, also for an all-padding row", "found NaN or inf in the gradient")
    check_close(_g, _want_grad, "hidden check: gradient with respect to the scores (0 at padding)", atol=1e-10)
    check_close(run_answer(masked_softmax, _big, torch.tensor([[True, False, True]]), name="hidden check: masked softmax"),
                _want_big, "hidden check: large scores (no overflow)")
    check_close(run_answer(masked_softmax, _s2 - 1000, _m2, name="hidden check: masked softmax"), _want_low,
                "hidden check: very negative scores (padding must still get 0)", atol=1e-12)
    check_close(run_answer(masked_softmax, _s2 - 1e5, _m2, name="hidden check: masked softmax"), _want_vlow,
                "hidden check: scores around -1e5 (a finite fill such as -1e4 is not low enough)", atol=1e-12)
    check_close(run_answer(masked_softmax, _s2[:1, :1], torch.tensor([[True]]), name="hidden check: masked softmax"),
                torch.ones(1, 1, dtype=torch.float64), "hidden check: batch 1, length 1")
    _got16 = run_answer(masked_softmax, _s16, _m16, name="hidden check: masked softmax in float16")
    check_dtype(_got16, torch.float16, "hidden check: float16 scores give float16 weights")
    check_close(_got16, _want16, "hidden check: float16 (a fill of -1e9 overflows it)", atol=2e-3)
### END HIDDEN TESTS

# %% [markdown]
# ## 4. The attention decoder step
#
# Where does attention enter the decoder? Bahdanau et al. compute the context from the *previous* state
# and feed it into the RNN; Luong et al. step the RNN first and attend with the *new* state, which is
# simpler and what we build (Luong's "global attention"):
#
# $$s_t = \mathrm{RNN}\big(e(y_{t-1}),\, s_{t-1}\big),\qquad
# \alpha_t = \operatorname{masked\_softmax}\big(\mathrm{score}(s_t, h_{1..S})\big),\qquad
# c_t = \sum_j \alpha_{tj}\, h_j,$$
# $$\tilde s_t = \tanh\big(W_c\,[s_t; c_t] + b_c\big),\qquad \text{logits}_t = W_o\, \tilde s_t + b_o .$$
#
# The decoder still starts from the encoder's final state, but the final state no longer has to carry
# everything: at each step the decoder can read the states it needs. A bonus of Luong's order: the
# query $s_t$ does not depend on earlier contexts, so under full teacher forcing the RNN can run over the
# whole target in one call, and attention for all steps is one batched computation.
#
# The cell below builds the decoder that the rest of the notebook trains, on your answers: its score
# module calls your `dot_scores`, `general_scores` or `additive_scores` (Exercises 1–2), and its `step` is
# your `attention_step` (Exercise 4). It keeps Day 06's interface (`init_state`, `step`), so Day 06's
# `teacher_forcing_loss`, `greedy_decode` and `beam_search` work with it unchanged. Its
# `forward_sequence` (full teacher forcing) runs the RNN over the whole target, then calls your
# `attention_step` **once for all steps**: every (sequence, step) pair becomes one row of a batch, and a
# stand-in RNN hands back the output the real one computed for that row.

# %%
class ScoreModule(nn.Module):
    """decoder.attention: your Exercise 1-2 score functions as a module, (query (B, H), keys (B, S, H)) -> (B, S)."""

    def __init__(self, score: str, hidden_size: int, attention_size: int | None = None):
        super().__init__()
        self.score = score
        if score == "general":
            self.weight = nn.Parameter(nn.init.xavier_uniform_(torch.empty(hidden_size, hidden_size)))
        elif score == "additive":
            size = attention_size or hidden_size
            self.w_query = nn.Linear(hidden_size, size, bias=False)       # .weight (A, H): the nn.Linear layout
            self.w_keys = nn.Linear(hidden_size, size, bias=False)
            self.v = nn.Linear(size, 1, bias=False)
        elif score != "dot":
            raise ValueError(f"score must be 'dot', 'general' or 'additive', got {score!r}")

    def forward(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        if self.score == "dot":
            return dot_scores(query, keys)
        if self.score == "general":
            return general_scores(query, keys, self.weight)
        return additive_scores(query, keys, self.w_query.weight, self.w_keys.weight, self.v.weight[0])


class _Replay(nn.Module):
    """Stand-in for the embedding and the RNN in forward_sequence: row i reads the output computed for it."""

    def __init__(self, outputs: torch.Tensor):
        super().__init__()
        self.outputs = outputs                                     # (N, H)

    def forward(self, x, hx=None):
        if hx is None:                                             # as the embedding: ids (N,) -> (N, H)
            return self.outputs[x]
        return x, hx                                               # as the RNN: output = input, state unchanged


class AttentionDecoder(nn.Module):
    """Luong's attention decoder on Day 06's interface, built on your answers (Exercises 1-4)."""

    def __init__(self, vocab_size: int, embed_size: int, hidden_size: int, cell: str = "GRU", num_layers: int = 1,
                 score="general", attention_size: int | None = None):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = getattr(nn, cell)(embed_size, hidden_size, num_layers, batch_first=True)
        # score: "dot", "general" or "additive" (your functions), or any module (query, keys) -> scores
        self.attention = score if isinstance(score, nn.Module) else ScoreModule(score, hidden_size, attention_size)
        self.combine = nn.Linear(2 * hidden_size, hidden_size)
        self.out = nn.Linear(hidden_size, vocab_size)

    def init_state(self, enc: EncoderOutput):
        return enc.final                                           # the encoder's final state, as on Day 06

    def step_with_weights(self, prev_tokens, state, enc):
        return attention_step(self, prev_tokens, state, enc)      # your Exercise 4

    def step(self, prev_tokens, state, enc):
        logits, state, _ = attention_step(self, prev_tokens, state, enc)
        return logits, state

    def forward_sequence(self, inputs: torch.Tensor, state, enc: EncoderOutput) -> torch.Tensor:
        """Full teacher forcing: inputs (B, T) -> logits (B, T, V), with one call of your attention_step."""
        B, T = inputs.shape
        output, _ = self.rnn(self.embedding(inputs), state)                     # (B, T, H): every step's query
        rows = output.reshape(B * T, -1)                                        # row b*T + t: sequence b, step t
        replay = _Replay(rows)
        stand_in = nn.Module()
        stand_in.embedding, stand_in.rnn = replay, replay
        stand_in.attention, stand_in.combine, stand_in.out = self.attention, self.combine, self.out
        stand_in.init_state = self.init_state
        top = rows.unsqueeze(0).expand(self.rnn.num_layers, -1, -1)             # a state whose top layer is the output
        rows_state = (top, torch.zeros_like(top)) if isinstance(self.rnn, nn.LSTM) else top
        rows_enc = EncoderOutput(enc.states.repeat_interleave(T, dim=0), rows_state, enc.mask.repeat_interleave(T, dim=0))
        logits, _, _ = attention_step(stand_in, torch.arange(B * T, device=inputs.device), rows_state, rows_enc)
        return logits.reshape(B, T, -1)


# %% [markdown]
# ### Exercise 4 — one attention decoder step (3 points)
#
# `decoder` is an `AttentionDecoder` as above; use its parts: `decoder.embedding`, `decoder.rnn`
# (batch-first GRU or LSTM, one or more layers; for the LSTM the state is `(h, c)`), `decoder.attention` (a
# score module: `decoder.attention(query (B, H), keys (B, S, H_k)) -> (B, S)`), `decoder.combine`
# (`nn.Linear(H + H_k, H)`) and `decoder.out`. Start the RNN from the `state` you are given (at step 1 it is
# the encoder's final state, later the previous step's). The query is the **top layer's new output** for
# this step. Use your `masked_softmax` from Exercise 3 with `enc.mask` (make it pass first). Return
# `(logits (B, V), new state, weights (B, S))`. The decoder's own `step` calls your function, so do not
# call it from here.

# %% nbgrader="answer" grade_id="attention_step"
def attention_step(decoder, prev_tokens: torch.Tensor, state, enc: EncoderOutput):
    """One step of Luong attention decoding.

    prev_tokens (B,) ids; state: (layers, B, H), or (h, c) for an LSTM; enc: EncoderOutput with
    states (B, S, H_k) and mask (B, S)
    returns (logits (B, V), new state like `state`, attention weights (B, S))
    """
    ### BEGIN SOLUTION
    output, state = decoder.rnn(decoder.embedding(prev_tokens).unsqueeze(1), state)   # (B, 1, H)
    query = output.squeeze(1)                                                        # (B, H)
    weights = masked_softmax(decoder.attention(query, enc.states), enc.mask)          # (B, S)
    context = torch.bmm(weights.unsqueeze(1), enc.states).squeeze(1)                 # (B, H_k)
    mixed = torch.tanh(decoder.combine(torch.cat([query, context], dim=-1)))          # (B, H)
    return decoder.out(mixed), state, weights
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_attention_step" points=3
class _NegativeDistance(nn.Module):
    """A toy score, -|query - key|^2 (not one of Exercises 1-2, so this test does not depend on them)."""

    def forward(self, query, keys):
        return -((keys - query.unsqueeze(1)) ** 2).sum(dim=-1)


def _toy(seed, cell, layers, batch, src_len, hidden):
    """A small decoder (V=5, E=3), encoder states that are NOT zero at padding, and a given state that is
    not the encoder's final one (as at a later step)."""
    seed_everything(seed)
    decoder = AttentionDecoder(5, 3, hidden, cell, layers, score=_NegativeDistance())
    states = torch.randn(batch, src_len, hidden) / 2
    given = torch.randn(layers, batch, hidden) / 2
    final = torch.zeros(layers, batch, hidden)
    if cell == "LSTM":
        given, final = (given, torch.randn(layers, batch, hidden)), (final, final)
    return decoder, states, given, final


# GRU, one layer, B=2, S=4; the second source has 2 real positions
_decoder, _states, _given, _final = _toy(21, "GRU", 1, 2, 4, 4)
_enc = EncoderOutput(_states, _final, torch.tensor([[True, True, True, True], [True, True, False, False]]))
with torch.no_grad():
    _got = run_answer(attention_step, _decoder, torch.tensor([2, 3]), _given, _enc, name="attention_step (GRU, B=2, S=4)")
check_true(isinstance(_got, tuple) and len(_got) == 3, "attention_step returns (logits, new state, weights)",
           f"got {type(_got).__name__}{f' of length {len(_got)}' if isinstance(_got, tuple) else ''}",
           hint="return logits, state, weights: three values, in that order")
check_shape(_got[0], (2, 5), "logits (B=2, V=5)",
            hint="decoder.out on the (B, H) combined vector; a (B, 1, ...) shape means a time axis was not squeezed (squeeze(1))")
check_shape(_got[1], (1, 2, 4), "new state (layers=1, B=2, H=4)", hint="return the state decoder.rnn returns")
check_shape(_got[2], (2, 4), "weights (B=2, S=4)", hint="one weight per source position")
check_close(_got[2][1, 2:], torch.zeros(2), "no weight on the padded source positions",
            hint="pass enc.mask to your masked_softmax; the padded states are not zero here, so do not guess the padding from them")
check_close(_got[2].sum(dim=-1), torch.ones(2), "each row of weights sums to 1",
            hint="the weights are masked_softmax(scores, enc.mask), not the raw scores")
check_close(_got[1], torch.tensor([[[-0.744728, 1.23931, -0.0416628, 0.574708],
                                    [0.511109, -0.235478, -0.15013, -0.16099]]]), "new state", atol=1e-5,
            hint="decoder.rnn on the embedded previous tokens with a time axis of 1 (B, 1, E), starting from the "
                 "`state` you are given, not from decoder.init_state(enc)")
check_close(_got[2], torch.tensor([[0.0425367, 0.041825, 0.660825, 0.254813], [0.87645, 0.12355, 0.0, 0.0]]),
            "attention weights", atol=1e-5,
            hint="the query is the RNN's NEW output for this step (B, H), not the state you were given")
check_close(_got[0], torch.tensor([[-0.107668, 0.088948, -0.102637, 0.348311, -0.0166763],
                                   [-0.204877, 0.548656, -0.229881, 0.503446, 0.743668]]), "logits", atol=1e-5,
            hint="context = the weights (after the softmax) times enc.states, (B, S) x (B, S, H) -> (B, H); "
                 "logits = decoder.out(tanh(decoder.combine([query; context]))), query first, tanh included")
# LSTM, two layers, a batch of one (B=1, S=3); the state is (h, c)
_decoder, _states, _given, _final = _toy(22, "LSTM", 2, 1, 3, 3)
_enc = EncoderOutput(_states, _final, torch.ones(1, 3, dtype=torch.bool))
with torch.no_grad():
    _got = run_answer(attention_step, _decoder, torch.tensor([4]), _given, _enc, name="attention_step (2-layer LSTM, B=1)")
check_shape(_got[0], (1, 5), "logits for a batch of one (B=1, V=5)", hint="squeeze(1), not squeeze(): keep the batch axis")
check_close(_got[1][0], torch.tensor([[[0.351356, -0.0802406, -0.0435269]], [[-0.139799, -0.212904, 0.0127689]]]),
            "2-layer LSTM: new h", atol=1e-5,
            hint="the LSTM's state is the pair (h, c): pass it whole to decoder.rnn and return the pair it gives back")
check_close(_got[1][1], torch.tensor([[[1.2495, -0.146048, -0.127618]], [[-0.274477, -0.43129, 0.0211727]]]),
            "2-layer LSTM: new c", atol=1e-5,
            hint="return the new (h, c) pair from decoder.rnn")
check_close(_got[2], torch.tensor([[0.349123, 0.133062, 0.517815]]), "2-layer LSTM: attention weights", atol=1e-5,
            hint="the query is the TOP layer's new h, i.e. the RNN's output for this step: not the cell state c "
                 "(state[-1] of an LSTM's (h, c)) and not the bottom layer")
check_close(_got[0], torch.tensor([[0.63138, -0.161061, 0.101469, 0.582873, 0.112042]]), "2-layer LSTM: logits", atol=1e-5,
            hint="logits = decoder.out(tanh(decoder.combine([query; context]))) with the top layer's output as query")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
import copy as _copy
import course_lib.models.attention_decoder as _ref_attdec


def _ref_toy(seed, score="general", cell="GRU", dtype=torch.float32, layers=1):
    seed_everything(seed)
    encoder = day06_s2s.Encoder(12, 4, 6, cell, num_layers=layers)
    decoder = _ref_attdec.AttentionDecoder(9, 3, 6, cell, score=score, num_layers=layers, attention_size=5)
    return encoder.to(dtype), decoder.to(dtype)


_src2 = torch.tensor([[4, 5, 6, 7, 8], [9, 0, 0, 0, 0], [5, 6, 0, 0, 0]])
_len2 = torch.tensor([5, 1, 3])
_encoder2, _decoder2 = _ref_toy(22, "additive", "LSTM", torch.float64, layers=2)
_encoder3, _decoder3 = _ref_toy(23, "dot")
_encoder4, _decoder4 = _ref_toy(24, "general", "GRU", torch.float64, layers=3)
with torch.no_grad():
    _enc2 = _encoder2(_src2, _len2)
    _enc2j = EncoderOutput(_enc2.states.masked_fill(~_enc2.mask.unsqueeze(-1), 3.0), _enc2.final, _enc2.mask)
    _want2 = _decoder2.step_with_weights(torch.tensor([2, 7, 4]), _enc2.final, _enc2)
    _want2b = _decoder2.step_with_weights(torch.tensor([1, 3, 5]), _want2[1], _enc2)
    _enc3 = _encoder3(torch.tensor([[8]]), torch.tensor([1]))
    _want3 = _decoder3.step_with_weights(torch.tensor([5]), _enc3.final, _enc3)
    _enc4 = _encoder4(_src2, _len2)
    _given4 = torch.randn_like(_enc4.final)
    _want4 = _decoder4.step_with_weights(torch.tensor([2, 7, 4]), _given4, _enc4)
    _enc5 = _encoder4(_src2[1:2], _len2[1:2])
    _given5 = torch.randn_like(_enc5.final)
    _want5 = _decoder4.step_with_weights(torch.tensor([3]), _given5, _enc5)
_decoder2.train()   # no dropout here: train mode must give the same numbers
_gd = _copy.deepcopy(_decoder2)
_lg, _, _wg = _gd.step_with_weights(torch.tensor([2, 7, 4]), _enc2.final, _enc2)
_want_grads = torch.autograd.grad((_lg * torch.arange(9.0, dtype=torch.float64)).sum() + (_wg ** 2).sum(),
                                  list(_gd.attention.parameters()) + list(_gd.rnn.parameters()))
with written_by_you("attention_step"):
    with torch.no_grad():
        _got2 = run_answer(attention_step, _decoder2, torch.tensor([2, 7, 4]), _enc2.final, _enc2, name="hidden check: attention_step")
        check_close(_got2[0], _want2[0], "hidden check: 2-layer LSTM, additive scores, float64: logits", atol=1e-10)
        check_close(_got2[1][0], _want2[1][0], "hidden check: 2-layer LSTM: new h", atol=1e-10)
        check_close(_got2[1][1], _want2[1][1], "hidden check: 2-layer LSTM: new c", atol=1e-10)
        check_close(_got2[2], _want2[2], "hidden check: 2-layer LSTM: weights", atol=1e-10)
        check_close(run_answer(attention_step, _decoder2, torch.tensor([2, 7, 4]), _enc2.final, _enc2j, name="hidden check: attention_step")[0],
                    _want2[0], "hidden check: what the encoder states hold at padding does not matter", atol=1e-10)
        check_close(run_answer(attention_step, _decoder2, torch.tensor([1, 3, 5]), _want2[1], _enc2, name="hidden check: attention_step")[0],
                    _want2b[0], "hidden check: a second step continues from the state it is given", atol=1e-10)
        _got3 = run_answer(attention_step, _decoder3, torch.tensor([5]), _enc3.final, _enc3, name="hidden check: attention_step")
        check_shape(_got3[0], (1, 9), "hidden check: batch 1 keeps its batch axis")
        check_close(_got3[0], _want3[0], "hidden check: batch 1, source of length 1, dot scores")
        check_close(_got3[2], _want3[2], "hidden check: batch 1, source of length 1: weights")
        _got4 = run_answer(attention_step, _decoder4, torch.tensor([2, 7, 4]), _given4, _enc4, name="hidden check: attention_step")
        check_close(_got4[1], _want4[1], "hidden check: 3-layer GRU from a given state: new state", atol=1e-10)
        check_close(_got4[0], _want4[0], "hidden check: 3-layer GRU, general scores: logits", atol=1e-10)
        _got5 = run_answer(attention_step, _decoder4, torch.tensor([3]), _given5, _enc5, name="hidden check: attention_step")
        check_close(_got5[0], _want5[0], "hidden check: 3-layer GRU, batch 1, a given state: logits", atol=1e-10)
        check_close(_got5[1], _want5[1], "hidden check: 3-layer GRU, batch 1, a given state: new state", atol=1e-10)
    _gm = _copy.deepcopy(_decoder2)
    _lm, _, _wm = run_answer(attention_step, _gm, torch.tensor([2, 7, 4]), _enc2.final, _enc2, name="hidden check: gradients", copy=False)
    _params = list(_gm.attention.parameters()) + list(_gm.rnn.parameters())
    _grads = torch.autograd.grad((_lm * torch.arange(9.0, dtype=torch.float64)).sum() + (_wm ** 2).sum(), _params, allow_unused=True)
    check_true(all(g is not None for g in _grads), "hidden check: gradients reach the attention and RNN weights",
               "some weights get no gradient (weights or context detached?)")
    for _g, _w in zip(_grads, _want_grads):
        check_close(_g, _w, "hidden check: gradients of the attention and RNN weights", atol=1e-9)
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Training: the same model with and without attention
#
# Three models, identical except for attention: a one-layer GRU encoder of 128 units over character
# embeddings; a GRU decoder of 128 units started from the encoder's final state; the same optimiser (Adam,
# one-cycle learning rate up to 0.01, gradients clipped at norm 1), the same batches (64 dates from the
# length buckets, same seed) and the same number of steps, with full teacher forcing. The first decoder is
# Day 06's, with no attention; the other two are the `AttentionDecoder` above, with dot and with additive
# scores, so they run on **your** answers: `dot_scores` or `additive_scores`, `masked_softmax` and
# `attention_step`. A wrong answer shows here — in the training curves, in the accuracy table and in the
# attention maps below. (While grading, each trains for a few steps only.)

# %%
HIDDEN, STEPS, BATCH = 128, budget(full=600, grading=6), 64


def make_model(attention):
    seed_everything(0)
    encoder = day06_s2s.Encoder(len(src_vocab), 32, HIDDEN)
    if attention is None:
        decoder = day06_s2s.Decoder(len(tgt_vocab), 16, HIDDEN)
    else:
        decoder = AttentionDecoder(len(tgt_vocab), 16, HIDDEN, score=attention)   # on your Exercises 1-4
    return day06_s2s.Seq2Seq(encoder, decoder, BOS, EOS, PAD).to(device)


def fit(model):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2, total_steps=STEPS)

    def loss_fn(model, batch):
        return day06_loss.teacher_forcing_loss(model, batch.src, batch.src_lengths, batch.tgt, ratio=1.0)

    return train(model, optimizer, endless_batches(train_set, BATCH, seed=0, device=device), loss_fn, STEPS,
                 max_grad_norm=1.0, scheduler=scheduler)


models, histories, seconds = {}, {}, {}
for name, attention in [("no attention", None), ("dot attention", "dot"), ("additive attention", "additive")]:
    start = time.perf_counter()
    models[name] = make_model(attention)
    histories[name] = fit(models[name])
    seconds[name] = time.perf_counter() - start
    print(f"{name:19s}: {sum(p.numel() for p in models[name].parameters()):6d} parameters, {STEPS} steps in "
          f"{seconds[name]:4.1f} s, mean loss over the last 50 steps {np.mean(histories[name]['loss'][-50:]):.4f}")
fig, ax = plt.subplots(figsize=(8, 3.5))
plot_lines(ax, np.arange(1, STEPS + 1), {k: h["loss"] for k, h in histories.items()}, xlabel="step",
           ylabel="training loss per token", title="Same data, same steps: with and without attention", logy=True)
plt.show()

# %% [markdown]
# ## 6. What attention buys, by input length
#
# Exact match on the held-out dates (the whole ISO date right, `<eos>` included), greedy decoding, for
# the three models, overall and by source length. (While grading: a sample of the test set.)

# %%
N_TEST = budget(full=len(test_set), grading=256)
evaluation = test_set[:N_TEST]
outputs = {}                       # model name -> {test index: decoded string}
lengths, right = {}, {}
for name, model in models.items():
    model.eval()
    outputs[name], got, lens = {}, [], []
    with torch.no_grad():
        for batch in bucket_batches(evaluation, 256, shuffle=False):
            batch = batch.to(device)
            tokens = model.greedy(batch.src, batch.src_lengths, 12)
            got += day06_acc.exact_match(tokens, batch.tgt, EOS).tolist()
            lens += batch.src_lengths.tolist()
            for row, i in zip(tokens.tolist(), batch.index.tolist()):
                outputs[name][i] = tgt_vocab.decode(row)
    right[name], lengths = np.array(got), np.array(lens)
for name, r in right.items():
    print(f"exact match on {len(r)} held-out dates, {name:19s}: {r.mean():.1%}")

labels, counts, rates = accuracy_by_length(lengths, right, edges=[0, 10, 15, 20, 25, 30])
print(f"\n{'source length':>14}{'dates':>7}" + "".join(f"{k:>20}" for k in rates))
for j, label in enumerate(labels):
    print(f"{label:>14}{counts[j]:7d}" + "".join(f"{r[j]:20.1%}" for r in rates.values()))
fig, ax = plt.subplots(figsize=(7, 3.8))
plot_lines(ax, np.arange(len(labels)), rates, xlabel="source length (characters)", ylabel="exact match",
           title="Exact match on held-out dates by input length")
ax.set_xticks(np.arange(len(labels)), labels)
ax.set_ylim(0, 1.02)
plt.show()

# %% [markdown]
# With the same data, steps and sizes, the decoder that can look back gets nearly every held-out date
# right, at every source length, while the one that must carry the whole date in one vector is still far
# from it after these few steps (Day 06 trained the same model five times as long, with a teacher-forcing
# schedule). The printed figures above are the evidence; the training curves show the gap opening within
# the first two hundred steps. Attention does not only raise the ceiling, it makes the task *easier to learn*: the
# gradient reaches the encoder state that holds the month directly, instead of through every later
# step of the encoder.
#
# ## 7. Where does the decoder look?
#
# `greedy_decode(..., with_weights=True)` decodes greedily and returns, next to the tokens, the weights $(L, S)$ of
# every step. Six held-out dates, from the shortest source to the longest, for the additive model:

# %%
def attention_map(model, index):
    """Greedy output characters and their (L, S) weights for test example `index`."""
    src_ids, _ = test_set[index]
    with torch.no_grad():
        enc = model.encoder(src_ids[None].to(device), torch.tensor([len(src_ids)]))
        tokens, weights = day06_greedy.greedy_decode(model.decoder, enc, BOS, EOS, 12, PAD, with_weights=True)
    out = [tgt_vocab.itos[t] for t in tokens[0].tolist()]
    return out, weights[0, : len(out)].cpu().numpy()


by_length = sorted(range(N_TEST), key=lambda i: (len(pairs.test[i][0]), i))
shown = [by_length[int(q * (N_TEST - 1))] for q in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)]
fig, axes = plt.subplots(2, 3, figsize=(16, 7))
for ax, i in zip(axes.flat, shown):
    out, weights = attention_map(models["additive attention"], i)
    plot_attention(ax, weights, list(pairs.test[i][0]), out, title=f"{pairs.test[i][0]} -> {''.join(out[:-1])}")
fig.tight_layout()
plt.show()

# %% [markdown]
# Each row is one output character; dark cells are where it read. A check in numbers for one field: for
# every held-out source that contains the four-digit year, the share of attention that the four year
# characters of the output put on the year in the source, against what uniform attention would put there.

# %%
def year_focus(model):
    """Mean attention mass that the 4 year characters of the output put on the year in the source."""
    mass, uniform = [], []
    with torch.no_grad():
        for batch in bucket_batches(evaluation, 256, shuffle=False):
            batch = batch.to(device)
            enc = model.encoder(batch.src, batch.src_lengths)
            _, weights = day06_greedy.greedy_decode(model.decoder, enc, BOS, EOS, 12, PAD, with_weights=True)   # (B, L, S)
            for row, i in enumerate(batch.index.tolist()):
                text, iso = pairs.test[i]
                where = text.find(iso[:4])
                if where >= 0 and weights.shape[1] >= 4:
                    mass.append(weights[row, :4, where: where + 4].sum(dim=1).mean().item())
                    uniform.append(4 / len(text))
    return np.mean(mass), np.mean(uniform), len(mass)


for name in ("dot attention", "additive attention"):
    m, u, n = year_focus(models[name])
    print(f"{name:19s}: the year's output characters put {m:.0%} of their attention on the source year "
          f"({n} dates; uniform attention would put {u:.0%} there)")

# %% [markdown]
# Read the maps:
#
# - The year's output digits read the year in the source, but not one digit after the other: in these
#   six maps the first three mostly read the source year's second-to-last character, the fourth its last
#   one. The month's digits read the month (digits or a name), the day's the day; the bands jump around
#   because the order of the fields in the source (day-month-year, year-month-day, …) differs from the
#   ISO output's.
# - The weekdays in these maps ("dom", "miércoles") get almost no weight.
# - The encoder is unidirectional, so $h_j$ has read the source only up to position $j$: a state late in
#   a field has seen the whole field. That fits what the maps show: month names are read at a later
#   letter, not at the first ("März" at "r", "feb" at "b", "settembre" at "tt"; "diciembre"
#   gets only faint weight, spread over several letters), just as the year is read at its end. A first
#   letter alone would not do: "ma" could still be March or May, "ju" June or July.
# - Where a weight is spread over a few cells, the decoder combines them; attention weights are a view of
#   what the model reads, not a proof of why it answers as it does (Jain & Wallace 2019).
#
# ## 8. BLEU and chrF
#
# For translation, exact match is too strict: many outputs are right and few match the reference word
# for word. **BLEU** (Papineni et al. 2002) counts n-grams ($n = 1..4$) the output shares with the
# reference, over the whole corpus, and multiplies by a penalty for outputs shorter than the reference:
#
# $$p_n = \frac{\sum_{\text{sentences}} \text{clipped matches}_n}{\sum_{\text{sentences}} \text{n-grams in the output}_n},\qquad
# \mathrm{BLEU} = 100 \cdot \mathrm{BP} \cdot \exp\Big(\tfrac{1}{4}\sum_{n=1}^{4} \log p_n\Big),\qquad
# \mathrm{BP} = \begin{cases} 1 & c \ge r \\ e^{1 - r/c} & c < r \end{cases}$$
#
# with $c$ the total output length and $r$ the total reference length (for a sentence with several
# references, the one whose length is closest to the output's, the shorter on a tie). *Clipped*: an
# output n-gram counts at most as often as it occurs in the reference where it occurs most — otherwise
# "the the the the" would score a perfect unigram precision against "the cat is on the mat".
#
# ### Exercise 5 — clipped n-gram matches (2 points)
#
# For one output sentence and its references (token lists), return `(matches, total)`: `total` is the
# number of n-grams in the hypothesis, `matches` the clipped count. Compare the tokens exactly as given
# (no lower-casing), and keep an n-gram as a tuple of tokens. `collections.Counter` helps (`a | b`
# keeps the larger count of each key).

# %% nbgrader="answer" grade_id="modified_precision"
def modified_precision(hypothesis: list[str], references: list[list[str]], n: int) -> tuple[int, int]:
    """hypothesis: tokens; references: one or more token lists; n >= 1 -> (clipped matches, hypothesis n-grams)."""
    ### BEGIN SOLUTION
    def ngrams(tokens):
        return Counter(tuple(tokens[i: i + n]) for i in range(len(tokens) - n + 1))

    hyp, most = ngrams(hypothesis), Counter()
    for reference in references:
        most |= ngrams(reference)                         # the most any one reference has of each n-gram
    return sum(min(count, most[g]) for g, count in hyp.items()), sum(hyp.values())
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_modified_precision" points=2
_refs = ["the cat is on the mat".split(), "there is a cat on the mat".split()]
check_equal(tuple(run_answer(modified_precision, "the the the the the the the".split(), _refs, 1, name="modified_precision, unigrams")),
            (2, 7), "unigrams of 'the' x 7 against two references (Papineni et al.'s example)",
            hint="total = every n-gram of the hypothesis, repeats included (7); 'the' occurs at most twice in ONE "
                 "reference, so it matches at most twice (not 2 + 1 over both references, not once)")
check_equal(tuple(run_answer(modified_precision, "the cat the cat on the mat".split(), _refs, 2, name="modified_precision, bigrams")),
            (4, 6), "bigrams of 'the cat the cat on the mat'",
            hint="each distinct n-gram is clipped by its largest count in any single reference: 'the cat' (1, first "
                 "reference), 'cat on' (1, second), 'on the', 'the mat'; the references are not scored one by one")
check_equal(tuple(run_answer(modified_precision, "a a a b".split(), ["a b".split(), "a a c".split()], 1,
                             name="modified_precision, the second reference has the most")),
            (3, 4), "'a' x 3 clipped by the reference with the most 'a's (the second one, 2)",
            hint="the clip of each n-gram is the max of its counts over ALL the references, not the first one's")
check_equal(tuple(run_answer(modified_precision, ["the", "cat"], [["the", "the", "the", "cat"]], 1,
                             name="modified_precision, a reference with more copies")),
            (2, 2), "a reference with more copies than the hypothesis does not add matches",
            hint="matches of an n-gram = min(its count in the hypothesis, its max count in a reference)")
check_equal(tuple(run_answer(modified_precision, ["ab", "c"], [["a", "bc"]], 2, name="modified_precision, n-grams as tuples")),
            (0, 1), "the bigram ('ab', 'c') is not ('a', 'bc')",
            hint="keep n-grams as tuples of tokens: joined into strings, 'ab'+'c' and 'a'+'bc' are both 'abc'")
check_equal(tuple(run_answer(modified_precision, "The cat".split(), [["the", "cat"]], 1, name="modified_precision, case")),
            (1, 2), "'The' is not the token 'the'", hint="compare the tokens as given: no lower-casing or other normalising")
check_equal(tuple(run_answer(modified_precision, "the mat".split(), _refs, 3, name="modified_precision, n > length")),
            (0, 0), "a hypothesis of 2 tokens has no 3-grams", hint="n-grams start at i = 0 .. len - n, none if len < n")
check_equal(tuple(run_answer(modified_precision, "the mat".split(), _refs, 4, name="modified_precision, n > length + 1")),
            (0, 0), "a hypothesis of 2 tokens has no 4-grams (the total is 0, never negative)",
            hint="count the n-grams you made; len(hypothesis) - n + 1 is -1 here")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
import course_lib.metrics.bleu as _ref_bleu
_rng = np.random.default_rng(5)
_cases = [("a b a b a b".split(), ["a b a".split(), "b a b b".split()], 1),
          ("a b a b a b".split(), ["a b a".split(), "b a b b".split()], 2),
          ("x y z x y z".split(), ["x y z".split()], 3),
          ("a a a b".split(), ["a b".split(), "a a c".split(), "b b".split()], 1),
          (["a"], [["a"]], 1), (["a"], [["b", "a"]], 2), (["ab", "c"], [["a", "bc"]], 2),
          ("The cat sat".split(), ["the cat sat".split()], 1), ([], [["a"]], 1), (["a b", "c"], [["a", "b c"]], 2),
          ("a b c d e".split(), ["a b c d e".split(), "a b".split()], 5)]
for _ in range(6):
    _n = int(_rng.integers(1, 5))
    _cases.append((list(_rng.choice(list("abc"), size=int(_rng.integers(0, 14)))),
                   [list(_rng.choice(list("abc"), size=int(_rng.integers(1, 12)))) for _ in range(int(_rng.integers(1, 4)))], _n))
_wants = [_ref_bleu.modified_precision(h, r, n) for h, r, n in _cases]
with written_by_you("modified_precision"):
    for (_h, _r, _n), _want in zip(_cases, _wants):
        check_equal(tuple(run_answer(modified_precision, _h, _r, _n, name="hidden check: modified precision")), _want,
                    f"hidden check: {len(_h)} tokens, {len(_r)} reference(s), n={_n}")
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 6 — corpus BLEU (2 points)
#
# `hypotheses` is a list of token lists; `references[i]` is the list of references (token lists) of
# sentence `i`. Sum matches and totals over the **corpus** for each $n$ before dividing (the mean of
# sentence BLEUs is a different, worse number), use the closest reference length per sentence, and
# return BLEU in $[0, 100]$. No smoothing: return `0.0` if some $n$ has no match (also when the corpus has
# no $n$-gram of that order at all: outputs shorter than $n$). Use your
# `modified_precision` from Exercise 5 (make it pass first). The test checks you against **sacrebleu**, the
# reference implementation used to report BLEU in papers.

# %% nbgrader="answer" grade_id="corpus_bleu"
def corpus_bleu(hypotheses: list[list[str]], references: list[list[list[str]]], max_n: int = 4) -> float:
    """Corpus BLEU in [0, 100], uniform weights over n = 1..max_n, brevity penalty, no smoothing."""
    ### BEGIN SOLUTION
    matches, totals = [0] * max_n, [0] * max_n
    hyp_len = ref_len = 0
    for hyp, refs in zip(hypotheses, references):
        for n in range(1, max_n + 1):
            m, t = modified_precision(hyp, refs, n)
            matches[n - 1] += m
            totals[n - 1] += t
        hyp_len += len(hyp)
        ref_len += min((len(r) for r in refs), key=lambda r: (abs(len(hyp) - r), r))   # closest, shorter on a tie
    if min(matches) == 0:
        return 0.0
    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals)) / max_n
    brevity = 1.0 if hyp_len >= ref_len else math.exp(1 - ref_len / hyp_len)
    return 100 * brevity * math.exp(log_precision)
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_corpus_bleu" points=2
import sacrebleu


def _sacre(hyps, refs, max_n=4):
    """sacrebleu's corpus BLEU of token lists (no smoothing, no tokenisation), as the expected value."""
    streams = [[" ".join(r[k]) if k < len(r) else None for r in refs] for k in range(max(len(r) for r in refs))]
    bleu = sacrebleu.metrics.BLEU(tokenize="none", smooth_method="none", max_ngram_order=max_n)
    return bleu.corpus_score([" ".join(h) for h in hyps], streams).score


_hyps = ["the cat sat on the mat today".split(), "a dog ran in the park".split()]
_refs = [["the cat sat on the mat".split()], ["the dog ran in the big park".split()]]
_want = _sacre(_hyps, _refs)
check_close(run_answer(corpus_bleu, _hyps, _refs, name="corpus_bleu of a two-sentence corpus"), _want,
            "BLEU of a two-sentence corpus (= sacrebleu)", atol=1e-6,
            hint="sum matches and totals over the corpus for each n, THEN divide; geometric mean of the p_n (mean of "
                 "their logs), times the brevity penalty, times 100; not the mean of two sentence BLEUs")
check_close(run_answer(corpus_bleu, [["a", "b", "c", "d"]], [[["a", "b", "c", "d"]]], name="corpus_bleu, perfect"), 100.0,
            "a perfect output scores 100", hint="BLEU is reported in [0, 100]: multiply by 100")
check_close(run_answer(corpus_bleu, [["a", "b", "c", "d"]], [[["a", "b", "c", "e"]]], name="corpus_bleu, no 4-gram match",
                       hint="log(0) fails: return 0.0 as soon as some order n has no match"), 0.0,
            "no 4-gram match: 0 without smoothing", hint="no smoothing: if some order n has no match, BLEU is 0.0")
_hyps = [list("abcab")]
_refs = [[list("abcabcab")]]
check_close(run_answer(corpus_bleu, _hyps, _refs, name="corpus_bleu, a short output"), _sacre(_hyps, _refs),
            "output (5) shorter than its reference (8): brevity penalty", atol=1e-6,
            hint="BP = exp(1 - r / c) when the output length c is below the reference length r, else 1")
_hyps = [list("abcab")]
_refs = [[list("abcabca"), list("abc")]]
check_close(run_answer(corpus_bleu, _hyps, _refs, name="corpus_bleu, two references at the same distance"),
            _sacre(_hyps, _refs), "output of 5, references of 7 and 3: on a tie, the shorter reference (3) counts",
            atol=1e-6, hint="r is the length of the reference closest to the output's; of two at the same distance, "
                            "the shorter one, whatever the order they are listed in")
_hyps = [list("abcab")]
_refs = [[list("abcabc"), list("ab")]]
check_close(run_answer(corpus_bleu, _hyps, _refs, name="corpus_bleu, the closest reference is the longer"),
            _sacre(_hyps, _refs), "output of 5, references of 6 and 2: the closest (6) counts, not the shortest",
            atol=1e-6, hint="r is the length of the reference closest to the output's length, not the shortest one")
check_close(run_answer(corpus_bleu, [["a", "b", "c"]], [[["a", "b", "c"]]], name="corpus_bleu, outputs shorter than max_n"),
            0.0, "three tokens, max_n = 4: no 4-gram at all, so no 4-gram match: 0 without smoothing",
            hint="an order n with no n-grams in the whole corpus has no match either: return 0.0, do not skip that order")
_hyps = [list("abcd"), list("abab"), list("bcdabc")]
_refs = [[list("abcd")], [list("abba")], [list("bcdcbc")]]
check_close(run_answer(corpus_bleu, _hyps, _refs, max_n=2, name="corpus_bleu, three sentences, max_n=2"),
            _sacre(_hyps, _refs, max_n=2), "three sentences, max_n = 2: matches and totals summed over the corpus", atol=1e-6,
            hint="use n = 1 .. max_n, and sum each order's matches and totals over all sentences before dividing")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
import course_lib.metrics.bleu as _ref_bleu
_rng = np.random.default_rng(7)
_corpora = []
for _ in range(6):
    _n = int(_rng.integers(2, 6))
    _h = [list(_rng.choice(list("abcd"), size=int(_rng.integers(3, 12)))) for _ in range(_n)]
    _r = [[list(_rng.choice(list("abcd"), size=int(_rng.integers(3, 12)))) for _ in range(int(_rng.integers(1, 4)))] for _ in range(_n)]
    _corpora.append((_h, _r))
_short = ([list("abcab")], [[list("abcabcab")]])
_tie = ([list("abcab")], [[list("abcabca"), list("abc")]])
_tie2 = ([list("abcab"), list("bcab")], [[list("abc"), list("abcabca")], [list("bcabca"), list("bc")]])
_wants = [_ref_bleu.corpus_bleu(h, r) for h, r in _corpora]
_want_short, _want_tie, _want_tie2 = _ref_bleu.corpus_bleu(*_short), _ref_bleu.corpus_bleu(*_tie), _ref_bleu.corpus_bleu(*_tie2)
_want_2 = _ref_bleu.corpus_bleu(*_corpora[0], max_n=2)
_want_3 = _ref_bleu.corpus_bleu(*_corpora[1], max_n=3)
_want_1 = _ref_bleu.corpus_bleu(*_corpora[2], max_n=1)
_sentences = ([list("abcd"), list("abab")], [[list("abcd")], [list("abba")]])
_want_sent = _ref_bleu.corpus_bleu(*_sentences, max_n=2)
_one = ([list("abcdab")], [[list("abcdab")]])
with written_by_you("corpus_bleu"):
    for _i, ((_h, _r), _want) in enumerate(zip(_corpora, _wants)):
        check_close(run_answer(corpus_bleu, _h, _r, name="hidden check: corpus BLEU"), _want,
                    f"hidden check: random corpus {_i} with 1-3 references per sentence", atol=1e-6)
    check_close(run_answer(corpus_bleu, *_short, name="hidden check: corpus BLEU"), _want_short,
                "hidden check: output shorter than the reference (brevity penalty)", atol=1e-6)
    check_close(run_answer(corpus_bleu, *_tie, name="hidden check: corpus BLEU"), _want_tie,
                "hidden check: reference length closest to the output's, shorter on a tie", atol=1e-6)
    check_close(run_answer(corpus_bleu, *_tie2, name="hidden check: corpus BLEU"), _want_tie2,
                "hidden check: ties with the shorter reference listed first and second", atol=1e-6)
    check_close(run_answer(corpus_bleu, *_corpora[0], max_n=2, name="hidden check: corpus BLEU"), _want_2, "hidden check: max_n = 2", atol=1e-6)
    check_close(run_answer(corpus_bleu, *_corpora[1], max_n=3, name="hidden check: corpus BLEU"), _want_3, "hidden check: max_n = 3", atol=1e-6)
    check_close(run_answer(corpus_bleu, *_corpora[2], max_n=1, name="hidden check: corpus BLEU"), _want_1, "hidden check: max_n = 1", atol=1e-6)
    check_close(run_answer(corpus_bleu, *_sentences, max_n=2, name="hidden check: corpus BLEU"), _want_sent,
                "hidden check: corpus-level sums, not the mean of sentence scores", atol=1e-6)
    check_close(run_answer(corpus_bleu, *_one, name="hidden check: corpus BLEU"), 100.0, "hidden check: one perfect sentence", atol=1e-9)
### END HIDDEN TESTS

# %% [markdown]
# Now the three models' held-out outputs, scored three ways. BLEU needs tokens: sacrebleu's standard
# tokeniser splits "2017-03-09" into `2017 - 03 - 09`; we split the same way for your `corpus_bleu`, and
# with the same tokens your number and sacrebleu's should agree. **chrF** (Popović 2015) compares
# character n-grams (up to 6) with an F-score that weights recall twice: it gives credit to a partly
# right field ("2017-03-19" for "2017-03-09"), which suits character-level outputs and morphologically
# rich languages.

# %%
metrics = {}
for name in models:
    index = sorted(outputs[name])
    hyps = [outputs[name][i] for i in index]
    refs = [pairs.test[i][1] for i in index]
    mine = corpus_bleu([h.replace("-", " - ").split() for h in hyps], [[r.replace("-", " - ").split()] for r in refs])
    metrics[name] = (right[name].mean() * 100, sacrebleu_bleu(hyps, refs), mine, sacrebleu_chrf(hyps, refs))
print(f"{'':19s}{'exact match':>13}{'BLEU (sacrebleu)':>18}{'your BLEU':>11}{'chrF':>7}")
for name, (em, bleu, mine, chrf) in metrics.items():
    print(f"{name:19s}{em:12.1f}%{bleu:18.1f}{mine:11.1f}{chrf:7.1f}")

# %% [markdown]
# On this task exact match is the number that matters: a date with a wrong day is wrong, however many
# n-grams it shares with the right one. BLEU and chrF give partial credit, so they sit well above exact
# match for a weak model; they earn their keep where no single output is right, as in translation.
# Whatever you report, report it with sacrebleu (it fixes tokenisation and says so in its signature),
# because BLEU computed with another tokeniser is a different number.
#
# ## Summary
#
# - Attention scores every encoder state against the decoder's state (dot, general or additive), turns
#   the scores into weights with a softmax over the **real** source positions, and reads their weighted
#   average as a context for this step.
# - Masking sets padded scores to the lowest value before the softmax; a row with no real position must
#   come out as zeros, not `NaN`.
# - Luong's decoder steps the RNN first and attends with the new state: under teacher forcing all steps
#   run at once. It keeps the seq2seq interface, so the Day 06 loss and decoders work unchanged.
# - With the same data and steps, attention lifts held-out exact match from the level printed for the plain
#   decoder to nearly every date, at every length; the maps show the output fields reading the matching
#   source fields.
# - BLEU is a corpus-level clipped n-gram precision with a brevity penalty; report sacrebleu's, next to
#   chrF, and prefer exact match where one answer is right.
#
# ## Reflection (2 points, graded by hand)
#
# (a) Pick one of the six attention maps above. Describe in 2–3 sentences which source characters the
# month's output characters read, and explain from how the encoder works (it reads left to right) why
# the weight sits where it does rather than on the first letter of the month.
# (b) A classmate reports their date model with BLEU only: 85 BLEU. Using the table in Section 8, explain
# what that number can hide, and which number you would ask for instead.

# %% [markdown] nbgrader="manual" grade_id="reflection" points=2
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) The month's two output digits put most of their weight on the month
# in the source — on the letters of a month name where it becomes unambiguous ("ä"/"r" of "März", "se"
# of "settembre", "dic" of "diciembre"), or on the month digits of a numeric date. The encoder is
# unidirectional: $h_j$ summarises the source up to position $j$, so the state at the first letter
# cannot know the month yet ("ma" could be March or May, "ju" June or July); attention reads the first
# state that holds the answer. A bidirectional encoder would spread the information and could move it.
# (b) BLEU gives partial credit for shared n-grams (year, dashes, a right month) so a model with many
# wrong dates still scores high; the table shows BLEU/chrF far above exact match for the weak model.
# For dates one wrong digit makes the answer wrong, so ask for exact match (and the error breakdown by
# field, and BLEU computed with sacrebleu's signature if BLEU at all).
# Full marks: (a) a specific map described + the left-to-right / state-knows-late argument;
# (b) partial credit hides wrong answers + ask for exact match.
# ### END SOLUTION
