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
from course_lib.notebook.checks import check_close, check_equal, check_shape, check_type, check_true
from course_lib.metrics.accuracy import accuracy_by_length
from course_lib.notebook.plotting import plot_lines, plot_attention, PALETTE
from course_lib.training.loop import train
from course_lib.data.dates import date_pairs, build_vocabs, encode_pairs
from course_lib.batching.buckets import bucket_batches, endless_batches
import course_lib.models.seq2seq as ref_s2s
import course_lib.decoding.greedy as ref_greedy
import course_lib.losses.cross_entropy as ref_loss
import course_lib.metrics.accuracy as ref_acc
import course_lib.layers.attention as ref_att
import course_lib.models.attention_decoder as ref_attdec
import course_lib.metrics.bleu as ref_bleu
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
# `(B, S)`. Use batched matrix products (`torch.bmm` or `@`), no Python loops.

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
_q = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
_k = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [[1.0, 1.0], [0.0, -1.0], [2.0, 0.0]]])
_d = dot_scores(_q, _k)
check_shape(_d, (2, 3), "dot scores (B=2, S=3)", hint="one score per source position")
check_close(_d, torch.tensor([[1.0, 3.0, 5.0], [2.0, -2.0, 0.0]]), "dot scores", hint="scores[b, j] = query[b] . keys[b, j]")
_W = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
check_close(general_scores(_q, _k, torch.eye(2)), _d, "general scores with W = I equal dot scores")
check_close(general_scores(_q, _k, _W), torch.tensor([[2.0, 4.0, 6.0], [2.0, 0.0, 4.0]]), "general scores, W swaps the coordinates",
            hint="scores[b, j] = query[b] @ W @ keys[b, j]")
### BEGIN HIDDEN TESTS
from course_lib.notebook.checks import forbid_calls
seed_everything(11)
_q2, _k2 = torch.randn(4, 3, dtype=torch.float64), torch.randn(4, 6, 5, dtype=torch.float64)
_W2 = torch.randn(3, 5, dtype=torch.float64)
_q3, _k3 = torch.randn(4, 5, dtype=torch.float64), torch.randn(4, 6, 5, dtype=torch.float64)
_W3 = torch.randn(5, 5, dtype=torch.float64)
_want_d = ref_att.dot_scores(_q3, _k3)
_want_g = ref_att.general_scores(_q2, _k2, _W2)
_want_g3 = ref_att.general_scores(_q3, _k3, _W3)
_want_1 = ref_att.dot_scores(_q3[:1], _k3[:1, :1])
with forbid_calls(["course_lib.layers.attention.dot_scores", "course_lib.layers.attention.general_scores"], "hidden check: written by you"):
    check_close(dot_scores(_q3, _k3), _want_d, "hidden check: dot scores, float64, B=4, S=6", atol=1e-10)
    check_close(general_scores(_q2, _k2, _W2), _want_g, "hidden check: general scores with H_q = 3, H_k = 5", atol=1e-10)
    check_close(general_scores(_q3, _k3, _W3), _want_g3, "hidden check: general scores with a square, non-symmetric W", atol=1e-10)
    check_close(dot_scores(_q3[:1], _k3[:1, :1]), _want_1, "hidden check: batch 1, one source position (shape (1, 1))")
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
_q = torch.tensor([[1.0, -1.0]])
_k = torch.tensor([[[0.5, 0.0, 1.0], [0.0, 2.0, -1.0]]])
_Wq, _Wk, _v = torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]), torch.tensor([2.0, 1.0])
_e = additive_scores(_q, _k, _Wq, _Wk, _v)
check_shape(_e, (1, 2), "additive scores (B=1, S=2)")
check_close(_e, torch.tensor([[2 * math.tanh(1.5) + math.tanh(0.0), 2 * math.tanh(1.0) + math.tanh(-2.0)]]),
            "additive scores", hint="tanh(W_q q + W_k k_j), then the dot product with v")
### BEGIN HIDDEN TESTS
from course_lib.notebook.checks import forbid_calls
seed_everything(12)
_q2, _k2 = torch.randn(3, 4, dtype=torch.float64), torch.randn(3, 5, 6, dtype=torch.float64)
_Wq2, _Wk2, _v2 = torch.randn(7, 4, dtype=torch.float64), torch.randn(7, 6, dtype=torch.float64), torch.randn(7, dtype=torch.float64)
_want = ref_att.additive_scores(_q2, _k2, _Wq2, _Wk2, _v2)
_want1 = ref_att.additive_scores(_q2[:1], _k2[:1, :1], _Wq2, _Wk2, _v2)
with forbid_calls(["course_lib.layers.attention.additive_scores"], "hidden check: written by you"):
    check_close(additive_scores(_q2, _k2, _Wq2, _Wk2, _v2), _want, "hidden check: float64, H_q=4, H_k=6, A=7", atol=1e-10)
    check_close(additive_scores(_q2[:1], _k2[:1, :1], _Wq2, _Wk2, _v2), _want1, "hidden check: batch 1, one source position")
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
# position. Do not call the course's `masked_softmax`.

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
_w = masked_softmax(_s, _m)
check_shape(_w, (2, 3), "weights (B=2, S=3)")
check_close(_w[0], torch.tensor([math.exp(1) / (math.exp(1) + math.exp(2)), math.exp(2) / (math.exp(1) + math.exp(2)), 0.0]),
            "first row: softmax over the two real positions, 0 at padding", hint="set padded scores to -inf (or the lowest float) before the softmax")
check_close(_w[1], torch.tensor([1.0, 0.0, 0.0]), "second row: one real position gets all the weight")
_w0 = masked_softmax(torch.randn(2, 4), torch.tensor([[False] * 4, [True, False, True, False]]))
check_true(bool(torch.isfinite(_w0).all()), "a row that is all padding gives no NaN",
           f"got {_w0[0].tolist()}", hint="softmax over a row of -inf is 0/0; return zeros for such a row")
check_close(_w0[0], torch.zeros(4), "a row that is all padding is all zeros")
### BEGIN HIDDEN TESTS
from course_lib.notebook.checks import forbid_calls
seed_everything(13)
_s2 = torch.randn(5, 7, dtype=torch.float64) * 5
_m2 = torch.rand(5, 7) < 0.6
_m2[0] = False
_m2[1] = True
_m2[2] = False
_m2[2, 6] = True
_want = ref_att.masked_softmax(_s2, _m2)
_want_low = ref_att.masked_softmax(_s2 - 1000, _m2)
_sg = _s2.clone().requires_grad_()
_big = torch.tensor([[50.0, 100.0, -20.0]], dtype=torch.float32)
_want_big = ref_att.masked_softmax(_big, torch.tensor([[True, False, True]]))
with forbid_calls(["course_lib.layers.attention.masked_softmax"], "hidden check: written by you"):
    check_close(masked_softmax(_s2, _m2), _want, "hidden check: float64, random masks incl. an all-padding row, a full row, only the last position real", atol=1e-12)
    _g = torch.autograd.grad((masked_softmax(_sg, _m2) * torch.arange(7.0, dtype=torch.float64)).sum(), _sg)[0]
    check_true(bool(torch.isfinite(_g).all()), "hidden check: gradients are finite, also for an all-padding row", "found NaN or inf in the gradient")
    check_close(_g[~_m2], torch.zeros(int((~_m2).sum()), dtype=torch.float64), "hidden check: padded scores get zero gradient")
    check_close(masked_softmax(_big, torch.tensor([[True, False, True]])), _want_big, "hidden check: large scores (no overflow)")
    check_close(masked_softmax(_s2 - 1000, _m2), _want_low, "hidden check: very negative scores (padding must still get 0)", atol=1e-12)
    check_close(masked_softmax(_s2[:1, :1], torch.tensor([[True]])), torch.ones(1, 1, dtype=torch.float64), "hidden check: batch 1, length 1")
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
# whole target in one call and attention for all steps is one batched product — the course's
# `AttentionDecoder.forward_sequence` does that, and the tests check it equals step-by-step decoding.
#
# The decoder keeps Day 06's interface (`init_state`, `step`), so Day 06's `teacher_forcing_loss`,
# `greedy_decode` and `beam_search` work with it unchanged.
#
# ### Exercise 4 — one attention decoder step (3 points)
#
# `decoder` is a `course_lib.models.attention_decoder.AttentionDecoder`; use its parts: `decoder.embedding`,
# `decoder.rnn` (batch-first GRU or LSTM; for the LSTM the state is `(h, c)`), `decoder.attention` (a
# score module: `decoder.attention(query (B, H), keys (B, S, H_k)) -> (B, S)`), `decoder.combine`
# (`nn.Linear(H + H_k, H)`) and `decoder.out`. The query is the **top layer's new output** for this step.
# Use `masked_softmax` — yours from Exercise 3, or the course's `ref_att.masked_softmax` if yours does not
# pass yet — with `enc.mask`. Return `(logits (B, V), new state, weights (B, S))`. Do not call the
# decoder's own `step`, `step_with_weights` or `forward_sequence`, or `ref_att.attend`.

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
def _toy(seed, score="general", cell="GRU", dtype=torch.float32):
    seed_everything(seed)
    encoder = ref_s2s.Encoder(12, 4, 6, cell)
    decoder = ref_attdec.AttentionDecoder(9, 3, 6, cell, score=score, attention_size=5)
    return encoder.to(dtype), decoder.to(dtype)


_encoder, _decoder = _toy(21)
_src, _len = torch.tensor([[4, 5, 6, 7], [8, 9, 0, 0]]), torch.tensor([4, 2])
with torch.no_grad():
    _enc = _encoder(_src, _len)
    _want = _decoder.step_with_weights(torch.tensor([2, 2]), _enc.final, _enc)
    _got = attention_step(_decoder, torch.tensor([2, 2]), _enc.final, _enc)
check_type(_got, tuple, "attention_step output", hint="return (logits, state, weights)")
check_shape(_got[0], (2, 9), "logits (B=2, V=9)")
check_shape(_got[2], (2, 4), "weights (B=2, S=4)")
check_close(_got[2][1, 2:], torch.zeros(2), "no weight on the padded source positions", hint="pass enc.mask to masked_softmax")
check_close(_got[1], _want[1], "new state", hint="run decoder.rnn on the embedded previous tokens (time axis of 1) from `state`")
check_close(_got[2], _want[2], "attention weights", hint="the query is the RNN's new output for this step, not the old state")
check_close(_got[0], _want[0], "logits", hint="logits = out(tanh(combine([query; context]))), query first")
### BEGIN HIDDEN TESTS
from course_lib.notebook.checks import forbid_calls
_encoder2, _decoder2 = _toy(22, "additive", "LSTM", torch.float64)
_decoder2.rnn = nn.LSTM(3, 6, num_layers=2, batch_first=True).double()
_encoder2.rnn = nn.LSTM(4, 6, num_layers=2, batch_first=True).double()
_src2 = torch.tensor([[4, 5, 6, 7, 8], [9, 0, 0, 0, 0], [5, 6, 0, 0, 0]])
_len2 = torch.tensor([5, 1, 3])
_encoder3, _decoder3 = _toy(23, "dot")
with torch.no_grad():
    _enc2 = _encoder2(_src2, _len2)
    _enc2j = EncoderOutput(_enc2.states.masked_fill(~_enc2.mask.unsqueeze(-1), 3.0), _enc2.final, _enc2.mask)
    _want2 = _decoder2.step_with_weights(torch.tensor([2, 7, 4]), _enc2.final, _enc2)
    _enc3 = _encoder3(_src[1:], _len[1:] - 1)
    _want3 = _decoder3.step_with_weights(torch.tensor([5]), _enc3.final, _enc3)
    _want4 = _decoder2.step_with_weights(torch.tensor([1, 3, 5]), _want2[1], _enc2)
with forbid_calls(["course_lib.models.attention_decoder.AttentionDecoder.step", "course_lib.models.attention_decoder.AttentionDecoder.step_with_weights",
                   "course_lib.models.attention_decoder.AttentionDecoder.forward_sequence", "course_lib.layers.attention.attend"],
                  "hidden check: written by you"), torch.no_grad():
    _got2 = attention_step(_decoder2, torch.tensor([2, 7, 4]), _enc2.final, _enc2)
    check_close(_got2[0], _want2[0], "hidden check: 2-layer LSTM, additive scores, float64: logits", atol=1e-10)
    check_close(_got2[1][0], _want2[1][0], "hidden check: 2-layer LSTM: new h", atol=1e-10)
    check_close(_got2[1][1], _want2[1][1], "hidden check: 2-layer LSTM: new c", atol=1e-10)
    check_close(_got2[2], _want2[2], "hidden check: 2-layer LSTM: weights", atol=1e-10)
    check_close(attention_step(_decoder2, torch.tensor([2, 7, 4]), _enc2.final, _enc2j)[0], _want2[0],
                "hidden check: what the encoder states hold at padding does not matter", atol=1e-10)
    check_close(attention_step(_decoder2, torch.tensor([1, 3, 5]), _want2[1], _enc2)[0], _want4[0],
                "hidden check: a second step continues from the state it is given", atol=1e-10)
    _got3 = attention_step(_decoder3, torch.tensor([5]), _enc3.final, _enc3)
    check_shape(_got3[0], (1, 9), "hidden check: batch 1 keeps its batch axis")
    check_close(_got3[0], _want3[0], "hidden check: batch 1, source of length 1, dot scores")
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Training: the same model with and without attention
#
# Three models, identical except for attention: a one-layer GRU encoder of 128 units over character
# embeddings; a GRU decoder of 128 units started from the encoder's final state; the same optimiser (Adam,
# one-cycle learning rate up to 0.01, gradients clipped at norm 1), the same batches (64 dates from the
# length buckets, same seed) and the same number of steps, with full teacher forcing. The first decoder is
# Day 06's, with no attention; the other two attend, with dot and with additive scores. (While grading,
# each trains for a few steps only.)

# %%
HIDDEN, STEPS, BATCH = 128, budget(full=600, grading=6), 64


def make_model(attention):
    seed_everything(0)
    encoder = ref_s2s.Encoder(len(src_vocab), 32, HIDDEN)
    if attention is None:
        decoder = ref_s2s.Decoder(len(tgt_vocab), 16, HIDDEN)
    else:
        decoder = ref_attdec.AttentionDecoder(len(tgt_vocab), 16, HIDDEN, score=attention)
    return ref_s2s.Seq2Seq(encoder, decoder, BOS, EOS, PAD).to(device)


def fit(model):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2, total_steps=STEPS)

    def loss_fn(model, batch):
        return ref_loss.teacher_forcing_loss(model, batch.src, batch.src_lengths, batch.tgt, ratio=1.0)

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
            got += ref_acc.exact_match(tokens, batch.tgt, EOS).tolist()
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
        tokens, weights = ref_greedy.greedy_decode(model.decoder, enc, BOS, EOS, 12, PAD, with_weights=True)
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
            _, weights = ref_greedy.greedy_decode(model.decoder, enc, BOS, EOS, 12, PAD, with_weights=True)   # (B, L, S)
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
# number of n-grams in the hypothesis, `matches` the clipped count. `collections.Counter` helps (`a | b`
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
_hyp = "the the the the the the the".split()
_refs = ["the cat is on the mat".split(), "there is a cat on the mat".split()]
check_equal(modified_precision(_hyp, _refs, 1), (2, 7), "unigrams of 'the' x 7 (Papineni et al.'s example)",
            hint="'the' occurs at most twice in one reference, so it matches at most twice")
check_equal(modified_precision("the cat the cat on the mat".split(), _refs, 2), (4, 6), "bigrams")
check_equal(modified_precision("the mat".split(), _refs, 3), (0, 0), "a hypothesis shorter than n has no n-grams")
### BEGIN HIDDEN TESTS
from course_lib.notebook.checks import forbid_calls
_cases = [("a b a b a b".split(), ["a b a".split(), "b a b b".split()], 1),
          ("a b a b a b".split(), ["a b a".split(), "b a b b".split()], 2),
          ("x y z x y z".split(), ["x y z".split()], 3),
          ("a a a b".split(), ["a b".split(), "a a c".split(), "b b".split()], 1),
          (["a"], [["a"]], 1), (["a"], [["b", "a"]], 2), (["ab", "c"], [["a", "bc"]], 2)]
_wants = [ref_bleu.modified_precision(h, r, n) for h, r, n in _cases]
with forbid_calls(["course_lib.metrics.bleu.modified_precision", "course_lib.metrics.bleu.ngram_counts"], "hidden check: written by you"):
    for (_h, _r, _n), _want in zip(_cases, _wants):
        check_equal(tuple(modified_precision(_h, _r, _n)), _want,
                    f"hidden check: {len(_r)} reference(s), n={_n}, clipped by the reference with the most copies")
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 6 — corpus BLEU (2 points)
#
# `hypotheses` is a list of token lists; `references[i]` is the list of references (token lists) of
# sentence `i`. Sum matches and totals over the **corpus** for each $n$ before dividing (the mean of
# sentence BLEUs is a different, worse number), use the closest reference length per sentence, and
# return BLEU in $[0, 100]$. No smoothing: return `0.0` if some $n$ has no match. Use your
# `modified_precision` (or `ref_bleu.modified_precision`). The test checks you against **sacrebleu**, the
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

_hyps = ["the cat sat on the mat today".split(), "a dog ran in the park".split()]
_refs = [["the cat sat on the mat".split()], ["the dog ran in the big park".split()]]
_sacre = sacrebleu.corpus_bleu([" ".join(h) for h in _hyps], [[" ".join(r[0]) for r in _refs]],
                               tokenize="none", smooth_method="none").score
check_close(corpus_bleu(_hyps, _refs), _sacre, "BLEU of a two-sentence corpus (= sacrebleu)", atol=1e-6,
            hint="sum matches and totals over the corpus for each n, then the geometric mean, times the brevity penalty")
check_close(corpus_bleu([["a", "b", "c", "d"]], [[["a", "b", "c", "d"]]]), 100.0, "a perfect output scores 100")
check_close(corpus_bleu([["a", "b", "c", "d"]], [[["a", "b", "c", "e"]]]), 0.0, "no 4-gram match: 0 without smoothing")
### BEGIN HIDDEN TESTS
from course_lib.notebook.checks import forbid_calls
_rng = np.random.default_rng(7)
_corpora = []
for _ in range(6):
    _n = int(_rng.integers(2, 6))
    _h = [list(_rng.choice(list("abcd"), size=int(_rng.integers(3, 12)))) for _ in range(_n)]
    _r = [[list(_rng.choice(list("abcd"), size=int(_rng.integers(3, 12)))) for _ in range(int(_rng.integers(1, 3)))] for _ in range(_n)]
    _corpora.append((_h, _r))
_short = ([list("abcab")], [[list("abcabcab")]])
_tie = ([list("abcab")], [[list("abcabca"), list("abc")]])
_wants = [ref_bleu.corpus_bleu(h, r) for h, r in _corpora]
_want_short, _want_tie = ref_bleu.corpus_bleu(*_short), ref_bleu.corpus_bleu(*_tie)
_want_2 = ref_bleu.corpus_bleu(*_corpora[0], max_n=2)
_sentences = ([list("abcd"), list("abab")], [[list("abcd")], [list("abba")]])
_want_sent = ref_bleu.corpus_bleu(*_sentences, max_n=2)
with forbid_calls(["course_lib.metrics.bleu.corpus_bleu", "sacrebleu.metrics.bleu.BLEU.corpus_score",
                   "sacrebleu.metrics.bleu.BLEU.sentence_score", "sacrebleu.metrics.bleu.BLEU.compute_bleu"],
                  "hidden check: written by you"):
    for _i, ((_h, _r), _want) in enumerate(zip(_corpora, _wants)):
        check_close(corpus_bleu(_h, _r), _want, f"hidden check: random corpus {_i} with 1-2 references per sentence", atol=1e-6)
    check_close(corpus_bleu(*_short), _want_short, "hidden check: output shorter than the reference (brevity penalty)", atol=1e-6)
    check_close(corpus_bleu(*_tie), _want_tie, "hidden check: reference length closest to the output's", atol=1e-6)
    check_close(corpus_bleu(*_corpora[0], max_n=2), _want_2, "hidden check: max_n = 2", atol=1e-6)
    check_close(corpus_bleu(*_sentences, max_n=2), _want_sent, "hidden check: corpus-level sums, not the mean of sentence scores", atol=1e-6)
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
    metrics[name] = (right[name].mean() * 100, ref_bleu.sacrebleu_bleu(hyps, refs), mine,
                     ref_bleu.sacrebleu_chrf(hyps, refs))
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
