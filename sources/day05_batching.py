# %% [markdown]
# # Day 05 — Batching variable lengths; a BiLSTM tagger
#
# Until now every batch held sequences of one length. Real sentences are 3 words long or 80. To put
# them in one tensor we **pad** the short ones; from then on every step of the pipeline must know which
# positions are real. Today you build that machinery — padding, masks, a loss and a metric that count
# only real tokens, packed sequences — and measure what it costs and what it saves. Then you stack and
# reverse LSTMs, regularise them with dropout that keeps one mask for a whole sequence, and train a
# bidirectional LSTM that finds names, places, companies and dates in sentences.
#
# **By the end of today you can**
# 1. pad a batch, build the mask from the lengths, and say why the padding id alone is not enough;
# 2. write a cross-entropy that averages over real tokens only — and spot the version that averages
#    over all positions, a bug that shipped in a popular textbook's code;
# 3. run an LSTM on a packed batch in any order and get the outputs and final states back in order;
# 4. explain bidirectional and stacked LSTMs, dropout between layers, and variational dropout;
# 5. measure what padding, bucketing and packing cost and save, on this machine, in seconds;
# 6. train a BiLSTM tagger and report masked accuracy and entity-level F1 on held-out sentences.
#
# **How this notebook works.** Each exercise is one function or class. Replace
# `raise NotImplementedError()` with your code, then run the test cell right below it: it tells you
# what is wrong if something is. Those visible tests are a first check; when your notebook is graded,
# more tests (edge cases, float64, parity with PyTorch, all-padding rows) are run too.
# Before submitting, restart the kernel and run everything, then press **Validate**.
# Validate's "Success!" and a test cell's "✓ … passed" mean that the visible tests passed, not a
# grade: graders run hidden tests too.
#
# Points: 10 autograded (six exercises), 2 for the reflection at the end.

# %%
import time

import numpy as np
import torch
import matplotlib.pyplot as plt
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from course_lib.notebook.runtime import setup_notebook, budget, seed_everything
from course_lib.notebook.checks import (check_close, check_equal, check_shape, check_dtype, check_type, check_true,
                                       run_answer)
from course_lib.notebook.plotting import PALETTE, plot_lines
from course_lib.notebook.timing import best_time
from course_lib.batching.buckets import BucketBatchSampler, padding_fraction
from course_lib.metrics.accuracy import masked_accuracy
from course_lib.data.tagging import TAGS, ENTITY_TYPES, load_tagging, word_vocab, encode_examples

device = setup_notebook(seed=0)

# %% [markdown]
# ## 1. The data: a generated named-entity set
#
# A **tagger** gives every word a label. Ours finds named entities with the **BIO** scheme: `B-PER`
# begins a person's name, `I-PER` continues it, `O` is outside any entity; likewise `LOC` (places),
# `ORG` (companies) and `DATE`.
#
# **The data is generated, not real text.** No clean English entity-tagged corpus installs offline, so
# `course_lib.data.tagging` makes one: entities drawn from the Faker package (MIT licence) — names,
# cities, states, countries, companies, dates — are put into hand-written sentence templates, and one
# to eight clauses are joined into a sentence. That gives exact tags and, on purpose, lengths from 3 to
# about 90 words. It is a fair tagging task because Faker's cities are often built from first names
# ("New Thomas"), its companies are surnames joined by commas and "and", and words seen fewer than twice
# in training are replaced by `<unk>`: the context has to decide. It is *not* real text — scores on it
# say nothing about news or tweets. The splits are fixed by a seed and share no sentence. (While the
# notebook is graded, a smaller set is generated to save time.)

# %%
held_out = budget(full=500, grading=150)          # while grading, a smaller set is generated
data = load_tagging(n_train=budget(full=4000, grading=600), n_validation=held_out, n_test=held_out, seed=0)
for split, examples in data.items():
    lengths = [len(words) for words, _ in examples]
    print(f"{split:5s}: {len(examples):4d} sentences, length {min(lengths)}-{max(lengths)} words, "
          f"median {int(np.median(lengths))}")
split_sets = {k: {tuple(w) for w, _ in v} for k, v in data.items()}
print("sentences shared by two splits:", sum(len(split_sets[a] & split_sets[b])
                                             for a, b in [("train", "validation"), ("train", "test"), ("validation", "test")]))
for words, tags in data.train[:3]:
    print(" ".join(w if t == "O" else f"[{w}|{t}]" for w, t in zip(words, tags)))

vocab = word_vocab(data.train, min_count=2)
encoded = data.map(lambda part: encode_examples(part, vocab))
unk_rate = {k: float(np.mean([(ids == vocab.unk_id).float().mean().item() for ids, _ in v])) for k, v in encoded.items()}
print(f"word vocabulary: {len(vocab)} (specials included); tags: {TAGS}")
print("share of <unk> words per sentence (mean):", {k: f"{r:.1%}" for k, r in unk_rate.items()})

# %%
train_lengths = [len(ids) for ids, _ in encoded.train]
_ = plt.hist(train_lengths, bins=range(0, max(train_lengths) + 3, 2), color=PALETTE[0])
plt.gca().set(xlabel="sentence length (words)", ylabel="sentences", title="Lengths in the training split")
plt.show()

# %% [markdown]
# ## 2. Padding and masks
#
# To batch sequences of lengths $L_1, \dots, L_B$ we copy them into a tensor of shape $(B, L_{\max})$ and
# fill the rest with a **padding** value. Two companions travel with the padded tensor: the **lengths**
# $(B,)$ and the **mask** $(B, L_{\max})$, $m_{bt} = [\,t < L_b\,]$, True at real positions.
#
# Why a mask when padding has its own id? Because the padding value is not always recognisable: tag
# tensors are padded with a real tag (`O` is id 0 here), continuous inputs with 0.0, and after the first
# layer every position holds a vector, padded or not. The mask is the one record of what is real.
#
# ### Exercise 1 — pad a batch (1 point)
#
# Write `pad_batch(seqs, pad_value=0)`. `seqs` is a list of $B$ tensors of shapes $(L_i,)$ or
# $(L_i, D)$ (all of the same trailing shape and dtype). Return `(padded, lengths)`: `padded` has shape
# $(B, L_{\max})$ or $(B, L_{\max}, D)$, the dtype of the sequences, sequence $i$ in row $i$ starting at
# position 0, every other entry `pad_value`; `lengths` is a `torch.long` tensor of shape $(B,)$.

# %% nbgrader="answer" grade_id="pad_batch"
def pad_batch(seqs: list[torch.Tensor], pad_value: float = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad `seqs` (each (L_i,) or (L_i, D)) into one tensor.

    returns padded: (B, L_max) or (B, L_max, D), dtype of the sequences; lengths: (B,) torch.long
    """
    ### BEGIN SOLUTION
    lengths = torch.tensor([s.shape[0] for s in seqs], dtype=torch.long)        # (B,)
    padded = seqs[0].new_full((len(seqs), int(lengths.max()), *seqs[0].shape[1:]), pad_value)
    for i, s in enumerate(seqs):
        padded[i, : s.shape[0]] = s                                              # row i: (L_i, ...)
    return padded, lengths
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_pad_batch" points=1
_seqs = [torch.tensor([5, 6]), torch.tensor([7, 8, 9]), torch.tensor([4])]
_out = run_answer(pad_batch, _seqs, name="pad_batch([5, 6], [7, 8, 9], [4])")
check_true(isinstance(_out, tuple) and len(_out) == 2, "pad_batch return value",
           f"expected a tuple (padded, lengths), got {type(_out).__name__}", hint="return padded, lengths")
padded, lengths = _out
check_type(padded, torch.Tensor, "pad_batch padded")
check_shape(padded, (3, 3), "pad_batch padded (B=3, L_max=3)",
            hint="one row per sequence, as long as the longest sequence (not the first one)")
check_dtype(padded, torch.long, "pad_batch padded", hint="keep the dtype of the sequences (new_full, or full with dtype=)")
check_equal(padded, torch.tensor([[5, 6, 0], [7, 8, 9], [4, 0, 0]]), "pad_batch padded",
            hint="each sequence starts at position 0 of its row; padding goes at the end")
check_type(lengths, torch.Tensor, "pad_batch lengths", hint="torch.tensor([...], dtype=torch.long)")
check_dtype(lengths, torch.long, "pad_batch lengths", hint="torch.tensor([...], dtype=torch.long)")
check_equal(lengths, torch.tensor([2, 3, 1]), "pad_batch lengths", hint="the length of each sequence, in batch order")
# a padding id other than 0: real ids may be 0 themselves
padded, lengths = run_answer(pad_batch, [torch.tensor([0, 3]), torch.tensor([2, 0, 1, 4])], pad_value=-1,
                             name="pad_batch([0, 3], [2, 0, 1, 4], pad_value=-1)")
check_equal(padded, torch.tensor([[0, 3, -1, -1], [2, 0, 1, 4]]), "pad_batch padded with pad_value=-1",
            hint="fill every padded position with pad_value, not with 0")
# vectors (L_i, D) in float64
_vecs = [torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64), torch.tensor([[5.0, 6.0]], dtype=torch.float64),
         torch.tensor([[7.0, 8.0], [9.0, 10.0], [11.0, 12.0]], dtype=torch.float64)]
padded, lengths = run_answer(pad_batch, _vecs, pad_value=0.5, name="pad_batch on three float64 sequences of shape (L_i, 2)")
check_shape(padded, (3, 3, 2), "pad_batch padded for sequences of shape (L_i, D=2)",
            hint="keep the trailing shape: (B, L_max, *seqs[0].shape[1:])")
check_dtype(padded, torch.float64, "pad_batch padded for float64 sequences", hint="keep the dtype of the sequences")
check_close(padded, torch.tensor([[[1, 2], [3, 4], [0.5, 0.5]], [[5, 6], [0.5, 0.5], [0.5, 0.5]],
                                  [[7, 8], [9, 10], [11, 12]]], dtype=torch.float64),
            "pad_batch padded for sequences of shape (L_i, 2), pad_value=0.5",
            hint="whole time steps are padded: every entry of a padded step is pad_value")
check_equal(lengths, torch.tensor([2, 1, 3]), "pad_batch lengths of sequences of shape (L_i, 2)",
            hint="a length counts time steps: s.shape[0], not s.numel()")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
_g = torch.Generator().manual_seed(5)
_lens = [4, 9, 1, 6, 9, 2]
_long = [torch.randint(0, 50, (n,), generator=_g) for n in _lens]
_vec = [torch.randn(n, 3, generator=_g, dtype=torch.float64) for n in _lens]
_f32 = [torch.randn(n, 4, generator=_g) for n in (3, 1)]
_want_long = torch.full((6, 9), 7)
_want_vec = torch.full((6, 9, 3), -1.5, dtype=torch.float64)
for _i, _n in enumerate(_lens):
    _want_long[_i, :_n], _want_vec[_i, :_n] = _long[_i], _vec[_i]
_want_f32 = torch.zeros(2, 3, 4)
_want_f32[0], _want_f32[1, :1] = _f32[0], _f32[1]
with written_by_you("pad_batch"):
    _p, _l = run_answer(pad_batch, _long, pad_value=7, name="hidden check: 6 sequences, pad_value=7")
    check_equal(_p, _want_long, "hidden check: 6 sequences, pad_value=7, longest not first")
    check_equal(_l, torch.tensor(_lens), "hidden check: lengths of 6 sequences")
    _p, _l = run_answer(pad_batch, _vec, pad_value=-1.5, name="hidden check: float64 (L_i, 3), pad_value=-1.5")
    check_dtype(_p, torch.float64, "hidden check: float64 sequences of shape (L_i, 3) stay float64")
    check_equal(_p, _want_vec, "hidden check: sequences of shape (L_i, 3), pad_value=-1.5 (not rounded)")
    _p, _l = run_answer(pad_batch, _f32, name="hidden check: float32 (L_i, 4), default pad_value")
    check_dtype(_p, torch.float32, "hidden check: float32 sequences stay float32")
    check_equal(_p, _want_f32, "hidden check: float32 sequences of shape (L_i, 4), default pad_value 0")
    check_dtype(_l, torch.long, "hidden check: lengths are torch.long")
    _p, _l = run_answer(pad_batch, [torch.tensor([3])], name="hidden check: batch 1, length 1")
    check_equal(_p, torch.tensor([[3]]), "hidden check: batch 1, length 1")
    check_equal(_l, torch.tensor([1]), "hidden check: batch 1, length 1 (lengths)")
    _p, _l = run_answer(pad_batch, [_vec[1]], pad_value=2, name="hidden check: batch 1 of shape (9, 3)")
    check_equal(_p, _vec[1][None], "hidden check: batch 1 of shape (9, 3): nothing to pad")
    _p, _l = run_answer(pad_batch, [torch.tensor([4, 4]), torch.tensor([5, 5])], pad_value=9,
                        name="hidden check: equal lengths")
    check_equal(_p, torch.tensor([[4, 4], [5, 5]]), "hidden check: equal lengths, nothing padded")
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2 — lengths to a mask (1 point)
#
# Write `length_mask(lengths, max_len=None)`: a `torch.bool` tensor of shape $(B, \text{max\_len})$ with
# `mask[b, t] = t < lengths[b]`. When `max_len` is None use the largest length; when it is given (a
# batch padded further than its longest sentence) use it. A row of length 0 is all False. One line with
# `torch.arange` and broadcasting does it; no loop needed.

# %% nbgrader="answer" grade_id="length_mask"
def length_mask(lengths: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
    """lengths: (B,) integer. returns mask: (B, max_len) bool, True at real positions (t < lengths[b])."""
    ### BEGIN SOLUTION
    if max_len is None:
        max_len = int(lengths.max())
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]   # (1, T) < (B, 1) -> (B, T)
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_length_mask" points=1
mask = run_answer(length_mask, torch.tensor([2, 3, 0]), name="length_mask([2, 3, 0])")
check_type(mask, torch.Tensor, "length_mask([2, 3, 0])")
check_dtype(mask, torch.bool, "length_mask([2, 3, 0])", hint="a comparison such as t < length gives a bool tensor")
check_shape(mask, (3, 3), "length_mask([2, 3, 0])", hint="(B, max_len), max_len the largest length when not given")
check_equal(mask, torch.tensor([[True, True, False], [True, True, True], [False, False, False]]),
            "length_mask([2, 3, 0])",
            hint="True at real positions: t < lengths[b] (not <=, not inverted); a row of length 0 is all False")
mask = run_answer(length_mask, torch.tensor([1, 3]), 5, name="length_mask([1, 3], max_len=5)")
check_shape(mask, (2, 5), "length_mask([1, 3], max_len=5)", hint="when max_len is given, the mask has max_len columns")
check_equal(mask, torch.tensor([[True, False, False, False, False], [True, True, True, False, False]]),
            "length_mask([1, 3], max_len=5)", hint="positions beyond a sentence's length are False, up to max_len")
mask = run_answer(length_mask, torch.tensor([4, 1]), name="length_mask([4, 1])")
check_shape(mask, (2, 4), "length_mask([4, 1]): 2 sentences, the longest of length 4",
            hint="without max_len the mask has as many columns as the longest length (lengths.max()), not the batch size")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
_lens = torch.tensor([4, 0, 7, 1, 7])
_want = torch.arange(7)[None, :] < _lens[:, None]
_want9 = torch.arange(9)[None, :] < _lens[:, None]
with written_by_you("length_mask"):
    check_equal(run_answer(length_mask, _lens, name="hidden check: lengths (4, 0, 7, 1, 7)"), _want,
                "hidden check: lengths (4, 0, 7, 1, 7), a length-0 row is all False")
    check_equal(run_answer(length_mask, _lens, max_len=9, name="hidden check: max_len=9"), _want9,
                "hidden check: max_len=9 (keyword), longer than every length")
    check_equal(run_answer(length_mask, torch.tensor([1]), name="hidden check: batch 1"), torch.tensor([[True]]),
                "hidden check: batch 1, length 1")
    check_equal(run_answer(length_mask, torch.tensor([3]), 4, name="hidden check: batch 1, max_len=4"),
                torch.tensor([[True, True, True, False]]), "hidden check: batch 1, max_len=4")
    check_equal(run_answer(length_mask, torch.tensor([2, 2]), 2, name="hidden check: no padding"),
                torch.ones(2, 2, dtype=torch.bool), "hidden check: no padding at all")
    check_equal(run_answer(length_mask, torch.tensor([5, 2, 3], dtype=torch.int32), name="hidden check: int32"),
                torch.arange(5)[None, :] < torch.tensor([5, 2, 3])[:, None], "hidden check: int32 lengths")
    _lens_given = torch.tensor([3, 1, 2])
    run_answer(length_mask, _lens_given, 4, name="hidden check: lengths left unchanged", copy=False)
    check_equal(_lens_given, torch.tensor([3, 1, 2]), "hidden check: the lengths passed in are not changed in place")
### END HIDDEN TESTS

# %% [markdown]
# Your two functions together make a batch of (word ids, tag ids) pairs: `collate_tagged` below returns
# `(ids, tags, lengths, mask)`, and every later cell of this notebook batches sentences with it. So a
# mistake in `pad_batch` or `length_mask` shows up here already: check that the mask printed below has
# as many ones in each row as the sentence's length, at the start of the row.

# %%
def collate_tagged(pairs, pad_id: int = 0, tag_pad_id: int = 0):
    """(word ids (L_i,), tag ids (L_i,)) pairs -> ids (B, L), tags (B, L), lengths (B,), mask (B, L), with your functions."""
    ids, lengths = pad_batch([w for w, _ in pairs], pad_value=pad_id)
    tags, _ = pad_batch([t for _, t in pairs], pad_value=tag_pad_id)
    return ids, tags, lengths, length_mask(lengths, ids.shape[1])


ids, tags, lengths, mask = collate_tagged(encoded.train[:4], pad_id=vocab.pad_id, tag_pad_id=0)
print("ids", tuple(ids.shape), "lengths", lengths.tolist())
print("mask (1 = real):\n", mask.int())
print(f"padding in this batch: {1 - mask.float().mean().item():.0%} of the positions")

# %% [markdown]
# ## 3. A loss and a metric that count only real tokens
#
# With per-position losses $\ell_{bt}$ (the cross-entropy of position $t$ of sentence $b$), the loss of a
# padded batch is the mean over **real tokens**:
#
# $$\mathcal{L} = \frac{\sum_{b,t} m_{bt}\,\ell_{bt}}{\sum_{b,t} m_{bt}}.$$
#
# Two tempting shortcuts are wrong. Averaging over *all* $B \cdot L_{\max}$ positions (summing the
# masked losses but dividing by the padded size) makes the loss depend on how much padding the batch
# happened to have: the same sentence gets a smaller loss, and a smaller gradient, when it shares a
# batch with a long one. The code of a widely used textbook did exactly that for years — its masked
# softmax cross-entropy took `.mean(dim=1)` over padded positions. Averaging per sentence first and then
# over sentences gives a token in a short sentence more weight than one in a long sentence. Neither
# raises an error; both quietly change what is optimised.
#
# ### Exercise 3 — masked cross-entropy (2 points)
#
# Write `masked_ce(logits, targets, mask)`: logits $(B, L, C)$, targets $(B, L)$ (`long`, padded with
# any valid id), mask $(B, L)$ bool. Return the 0-dim mean cross-entropy over positions where the mask
# is True. `nn.functional.cross_entropy(..., reduction="none")` on flattened logits gives the
# $\ell_{bt}$. Padding must contribute nothing — not to the sum, not to the count, not to the gradient.

# %% nbgrader="answer" grade_id="masked_ce"
def masked_ce(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over real tokens.

    logits: (B, L, C), targets: (B, L) long, mask: (B, L) bool. returns a 0-dim tensor.
    """
    ### BEGIN SOLUTION
    B, L, C = logits.shape
    per_token = nn.functional.cross_entropy(logits.reshape(B * L, C), targets.reshape(B * L),
                                            reduction="none").reshape(B, L)         # (B, L)
    return (per_token * mask).sum() / mask.sum()
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_masked_ce" points=2
torch.manual_seed(0)
_logits, _targets = torch.randn(2, 4, 5), torch.randint(0, 5, (2, 4))
_full = torch.ones(2, 4, dtype=torch.bool)
_want_full = nn.functional.cross_entropy(_logits.reshape(-1, 5), _targets.reshape(-1))
loss = run_answer(masked_ce, _logits, _targets, _full, name="masked_ce with no padding")
check_type(loss, torch.Tensor, "masked_ce output", hint="return a tensor (not .item()), so that it can be backpropagated")
check_shape(loss, (), "masked_ce output", hint="return one number: a 0-dim tensor")
check_close(loss, _want_full, "masked_ce with no padding (must equal ordinary cross-entropy)",
            hint="with every position real, the masked mean is the ordinary mean cross-entropy")
# lengths 3 and 1; the targets are padded with the id 4, and real targets include the id 0
_targets2 = torch.tensor([[0, 2, 0, 4], [1, 4, 4, 4]])
_mask2 = torch.tensor([[True, True, True, False], [True, False, False, False]])
_want2 = nn.functional.cross_entropy(_logits[_mask2], _targets2[_mask2])     # the mean over the 4 real tokens
_changed = _logits.clone()
_changed[~_mask2] = 100 * torch.randn(4, 5)                                  # new values at padded positions only
check_close(run_answer(masked_ce, _changed, _targets2, _mask2, name="masked_ce with changed padded logits"),
            run_answer(masked_ce, _logits, _targets2, _mask2, name="masked_ce, lengths 3 and 1"),
            "masked_ce when only the logits at padded positions change",
            hint="padding must not contribute to the loss: multiply the per-token losses by the mask")
check_close(run_answer(masked_ce, _logits, _targets2, _mask2, name="masked_ce, lengths 3 and 1"), _want2,
            "masked_ce with lengths 3 and 1 (4 real tokens of 8)",
            hint="sum the losses of the real tokens and divide by their number (4): not by all 8 positions, not by "
                 "the batch size, not a mean of per-sentence means; and the mask alone says what is padding "
                 "(the target id 0 is a real tag here)")
loss64 = run_answer(masked_ce, _logits.double(), _targets2, _mask2, name="masked_ce on float64 logits")
check_dtype(loss64, torch.float64, "masked_ce on float64 logits", hint="do not convert to float32: keep the logits' dtype")
check_close(loss64, _want2.double(), "masked_ce on float64 logits, lengths 3 and 1", atol=1e-6)
# a mask that is not a prefix of its row: only the positions where it is True count
_mask_hole = torch.tensor([[True, False, True, False], [False, True, True, False]])
_want_hole = nn.functional.cross_entropy(_logits[_mask_hole], _targets2[_mask_hole])
check_close(run_answer(masked_ce, _logits, _targets2, _mask_hole, name="masked_ce with a mask that has holes"),
            _want_hole, "masked_ce with mask [[1, 0, 1, 0], [0, 1, 1, 0]]",
            hint="average over the positions where the mask is True, wherever they are: do not turn the mask into "
                 "lengths (mask.sum) and take the first positions of each row")
# confident logits: the true class 80 to 120 below the best one
_big = torch.tensor([[[0.0, 120.0, 5.0], [80.0, 0.0, 1.0]]])
_want_big = nn.functional.cross_entropy(_big[0], torch.tensor([0, 1]))
check_close(run_answer(masked_ce, _big, torch.tensor([[0, 1]]), torch.ones(1, 2, dtype=torch.bool),
                       name="masked_ce on logits of size 120"), _want_big,
            "masked_ce when the true class is 80 to 120 below the best (float32)",
            hint="softmax then log underflows to log(0) = -inf: use nn.functional.cross_entropy (or log_softmax), "
                 "which work in log space")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
_g = torch.Generator().manual_seed(3)
_lens = torch.tensor([9, 1, 4, 9, 2])
_lg = torch.randn(5, 9, 7, generator=_g, dtype=torch.float64)
_tg = torch.randint(0, 7, (5, 9), generator=_g)
_m = torch.arange(9)[None, :] < _lens[:, None]
_tg[~_m] = 6                                                  # padded with the last class id
_want = nn.functional.cross_entropy(_lg[_m], _tg[_m])          # mean over the 25 real tokens
_lg1, _tg1 = torch.randn(1, 6, 3, generator=_g), torch.randint(0, 3, (1, 6), generator=_g)
_m1 = torch.zeros(1, 6, dtype=torch.bool)
_m1[0, 0] = True
_want1 = nn.functional.cross_entropy(_lg1[0, :1], _tg1[0, :1])
_lg3, _tg3 = torch.randn(3, 1, 4, generator=_g), torch.randint(0, 4, (3, 1), generator=_g)
_m3 = torch.tensor([[True], [False], [True]])
_want3 = nn.functional.cross_entropy(_lg3[_m3], _tg3[_m3])
_holes = torch.rand(5, 9, generator=_g) < 0.5                 # a mask that is not a prefix of each row
_holes[0, 0] = True
_want_holes = nn.functional.cross_entropy(_lg[_holes], _tg[_holes])
_lg_ref = _lg.clone().requires_grad_(True)
nn.functional.cross_entropy(_lg_ref[_m], _tg[_m]).backward()
_want_grad = _lg_ref.grad                                     # the gradient of the mean over real tokens
_lg_grad = _lg.clone().requires_grad_(True)
with written_by_you("masked_ce"):
    _got = run_answer(masked_ce, _lg, _tg, _m, name="hidden check: uneven lengths, float64")
    check_close(_got, _want, "hidden check: uneven lengths (9, 1, 4, 9, 2), float64: mean over the 25 real tokens",
                atol=1e-10)
    check_dtype(_got, torch.float64, "hidden check: float64 stays float64")
    _got = run_answer(masked_ce, _lg_grad, _tg, _m, name="hidden check: gradient", copy=False)
    check_true(isinstance(_got, torch.Tensor) and _got.requires_grad, "hidden check: the loss can be backpropagated",
               "the returned loss carries no gradient")
    _got.backward()
    check_close(_lg_grad.grad[~_m], torch.zeros_like(_lg_grad.grad[~_m]), "hidden check: zero gradient at padded positions")
    check_close(_lg_grad.grad, _want_grad, "hidden check: gradient with respect to the logits", atol=1e-10)
    check_close(run_answer(masked_ce, _lg1, _tg1, _m1, name="hidden check: batch 1"), _want1,
                "hidden check: batch 1 with a single real token")
    check_close(run_answer(masked_ce, _lg3, _tg3, _m3, name="hidden check: one step"), _want3,
                "hidden check: L=1, batch 3, the middle sentence all padding")
    check_close(run_answer(masked_ce, _lg, _tg, _holes, name="hidden check: a mask with holes"), _want_holes,
                "hidden check: a mask that is not a prefix of each row", atol=1e-10)
### END HIDDEN TESTS

# %% [markdown]
# How much the choice matters, measured on a real batch of 16 training sentences: take any per-token
# losses $\ell_{bt}$, reduce them three ways, and ask autograd how much weight
# $\partial\mathcal{L}/\partial\ell_{bt}$ each position gets. The weight is what scales that token's
# gradient.

# %%
members = BucketBatchSampler(train_lengths, 16, bucketed=False, seed=1).batches(0)[0]
_, tg, lens, m = collate_tagged([encoded.train[k] for k in members])
shortest, longest = int(lens.argmin()), int(lens.argmax())
print(f"batch of {len(members)} sentences, lengths {lens.min().item()}-{lens.max().item()}, "
      f"{1 - m.float().mean().item():.0%} padding")
reductions = {"masked mean (right)": lambda l: (l * m).sum() / m.sum(),
              "mean over all positions": lambda l: (l * m).sum() / m.numel(),
              "mean of sentence means": lambda l: ((l * m).sum(1) / lens).mean()}
print("reduction                | total weight on real tokens | weight of a token: shortest / longest sentence")
for name, reduce in reductions.items():
    per_token = torch.rand(m.shape, requires_grad=True)             # stand-in for the losses l_bt, (B, L)
    (weight,) = torch.autograd.grad(reduce(per_token), per_token)   # dL/dl_bt, (B, L)
    print(f"{name:24s} | {weight[m].sum().item():27.3f} | {weight[shortest, 0] / weight[longest, 0]:.1f}")

always_o = torch.zeros(*tg.shape, len(TAGS))
always_o[..., TAGS.index("O")] = 1.0                                # a "tagger" that always says O
print(f"accuracy of always predicting O: masked {masked_accuracy(always_o, tg, m).item():.1%}, "
      f"counting padding (padded with the id of O) {(always_o.argmax(-1) == tg).float().mean().item():.1%}")

# %% [markdown]
# With the masked mean every real token weighs the same and the weights add up to 1. Dividing by all
# positions multiplies the whole loss, and its gradient, by the share of real tokens: a batch that
# happens to be mostly padding trains with a much smaller step. The mean of sentence means gives a token
# of the shortest sentence many times the weight of a token of the longest. And the metric needs the
# mask as much as the loss does: padded with the id of `O`, the padding makes a do-nothing tagger look
# better than it is. `course_lib.metrics.accuracy.masked_accuracy` divides correct predictions at real positions
# by the number of real positions.
#
# ## 4. Packing: an RNN that never reads padding
#
# Padding is harmless for a loss that is masked, but not for a **recurrent** layer: run an LSTM over a
# padded batch and the states of a short sentence keep changing while the LSTM reads its padding. Its
# "final" state $h_{L_{\max}}$ is not the state after its last word, and a **backward** LSTM (next
# section) reads the padding *first*, so every one of its outputs is contaminated.
#
# `torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)` builds a
# `PackedSequence`: the real steps only, stored time step by time step, with the batch sorted by length
# inside (so at step $t$ the still-running sentences are the first few rows). `nn.LSTM` accepts it
# directly, computes only real steps, and returns a `PackedSequence` and final states taken at each
# sentence's own last step. `pad_packed_sequence(out, batch_first=True, total_length=T)` turns the output
# back into a padded $(B, T, \cdot)$ tensor with zeros at padding. With `enforce_sorted=False` PyTorch
# sorts and **un-sorts** for you; with the default `enforce_sorted=True` it raises an error unless you
# sorted the batch by decreasing length yourself — and then the outputs come back in *your sorted* order.
# Lengths must be a CPU tensor or a list.
#
# ### Exercise 4 — run an LSTM on a packed batch (2 points)
#
# Write `run_packed(lstm, x, lengths)`. `lstm` is an `nn.LSTM(..., batch_first=True)` (any number of
# layers, one or two directions), `x` a padded batch $(B, T, D)$, `lengths` $(B,)$ in any order, each
# between 1 and $T$. Return `(out, (h_n, c_n))` exactly as `lstm` would return them for a batch without
# padding: `out` $(B, T, \text{dirs} \cdot H)$ with zeros at padded positions (keep $T$ even when every
# sentence is shorter), `h_n` and `c_n` $(\text{layers} \cdot \text{dirs}, B, H)$ in the **original batch
# order**.

# %% nbgrader="answer" grade_id="run_packed"
def run_packed(lstm: nn.LSTM, x: torch.Tensor, lengths: torch.Tensor
               ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
    """Run a batch_first nn.LSTM on the real steps of a padded batch only.

    x: (B, T, D), lengths: (B,) any order.
    returns out: (B, T, dirs * H) zero at padding; (h_n, c_n): each (layers * dirs, B, H), original order
    """
    ### BEGIN SOLUTION
    packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
    packed_out, (h_n, c_n) = lstm(packed)                       # h_n, c_n already in the original order
    out, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=x.shape[1])   # (B, T, dirs * H)
    return out, (h_n, c_n)
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_run_packed" points=2
torch.manual_seed(0)
_lstm = nn.LSTM(3, 4, batch_first=True, bidirectional=True)
_x, _lens = torch.randn(3, 6, 3), torch.tensor([2, 5, 3])      # T = 6, longer than every sentence
_want_out = torch.zeros(3, 6, 8)                               # each sentence run on its own, zeros at padding
_want_h, _want_c = torch.zeros(2, 3, 4), torch.zeros(2, 3, 4)
with torch.no_grad():
    for _b, _n in enumerate(_lens.tolist()):
        _o, (_h, _c) = _lstm(_x[_b:_b + 1, :_n])
        _want_out[_b, :_n], _want_h[:, _b], _want_c[:, _b] = _o[0], _h[:, 0], _c[:, 0]
with torch.no_grad():
    _res = run_answer(run_packed, _lstm, _x, _lens, name="run_packed on a BiLSTM, lengths (2, 5, 3), T=6")
check_true(isinstance(_res, tuple) and len(_res) == 2 and isinstance(_res[1], tuple) and len(_res[1]) == 2,
           "run_packed return value", "expected a pair (out, (h_n, c_n))",
           hint="return out, (h_n, c_n): the final states as the LSTM returns them, a pair")
out, (h_n, c_n) = _res
check_shape(out, (3, 6, 8), "run_packed out (B=3, T=6, 2 directions x H=4)",
            hint="pad_packed_sequence(..., total_length=x.shape[1]) keeps T even when every sentence is shorter")
check_close(out[0, 2:], torch.zeros(4, 8), "run_packed out at the padded steps of sentence 0 (length 2)",
            hint="pad_packed_sequence puts zeros at padding; running the LSTM on the padded batch does not")
check_close(out, _want_out, "run_packed out, each sentence against running it alone",
            hint="pack with enforce_sorted=False, so that PyTorch sorts and restores the batch order; without "
                 "packing the backward direction reads the padding")
check_shape(h_n, (2, 3, 4), "run_packed h_n (layers x dirs=2, B=3, H=4)")
check_close(h_n, _want_h, "run_packed h_n, each sentence against running it alone",
            hint="take h_n from the LSTM run on the packed batch: it holds each sentence's own final state, in the "
                 "original order; the backward direction ends at position 0, not at the last real step")
check_shape(c_n, (2, 3, 4), "run_packed c_n")
check_close(c_n, _want_c, "run_packed c_n, each sentence against running it alone",
            hint="c_n, like h_n, must come back in the original batch order")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
torch.manual_seed(1)
_bi = nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True).double()
_lens = torch.tensor([3, 7, 1, 5, 7, 2])
_x = torch.randn(6, 9, 3, dtype=torch.float64)               # T = 9 > every length
_want_out = torch.zeros(6, 9, 8, dtype=torch.float64)
_want_h, _want_c = torch.zeros(4, 6, 4, dtype=torch.float64), torch.zeros(4, 6, 4, dtype=torch.float64)
_uni = nn.LSTM(2, 3, num_layers=3, batch_first=True)
_xu = torch.randn(4, 5, 2)
_lens_u = torch.tensor([1, 2, 4, 5])                          # sorted increasing
_want_u = torch.zeros(4, 5, 3)
_want_uh = torch.zeros(3, 4, 3)
with torch.no_grad():
    for _b, _n in enumerate(_lens.tolist()):
        _o, (_h, _c) = _bi(_x[_b:_b + 1, :_n])
        _want_out[_b, :_n], _want_h[:, _b], _want_c[:, _b] = _o[0], _h[:, 0], _c[:, 0]
    for _b, _n in enumerate(_lens_u.tolist()):
        _o, (_h, _c) = _uni(_xu[_b:_b + 1, :_n])
        _want_u[_b, :_n], _want_uh[:, _b] = _o[0], _h[:, 0]
    _want_one = _bi(_x[:1, :1])
    _want_full = _uni(_xu)
_xg = _x.clone().requires_grad_(True)


class _LengthsOnGPU(torch.Tensor):
    """Lengths that behave, for packing, as a GPU tensor does: pack_padded_sequence refuses them until they are
    moved to the CPU (.cpu(), .to("cpu"), .tolist()). Lets a CPU-only grader see whether lengths are moved."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        if name == "_pack_padded_sequence" and isinstance(args[1], cls):
            raise RuntimeError("'lengths' argument should be a 1D CPU int64 tensor, but got 1D cuda:0 Long tensor")
        first = next((a for a in args if isinstance(a, torch.Tensor)), None)
        with torch._C.DisableTorchFunctionSubclass():
            out = func(*args, **kwargs)
        if name == "cpu" or (name == "to" and any(str(a) == "cpu" for a in [*args[1:], *kwargs.values()])):
            return out.as_subclass(torch.Tensor) if isinstance(out, torch.Tensor) else out
        if not isinstance(first, cls):
            return out
        if isinstance(out, torch.Tensor):
            return out.as_subclass(cls)
        if isinstance(out, tuple) and out and all(isinstance(o, torch.Tensor) for o in out):
            parts = [o.as_subclass(cls) for o in out]
            return type(out)(*parts) if hasattr(out, "_fields") else tuple(parts)
        return out


with written_by_you("run_packed"):
    with torch.no_grad():
        _out, (_h, _c) = run_answer(run_packed, _bi, _x, _lens, name="hidden check: 2-layer BiLSTM")
        check_shape(_out, (6, 9, 8), "hidden check: out keeps T=9 when every sentence is shorter (total_length)")
        check_close(_out, _want_out, "hidden check: 2-layer BiLSTM, float64, each sentence as if run alone", atol=1e-10)
        check_close(_h, _want_h, "hidden check: h_n of a 2-layer BiLSTM in the original order", atol=1e-10)
        check_close(_c, _want_c, "hidden check: c_n of a 2-layer BiLSTM in the original order", atol=1e-10)
        _out, (_h, _c) = run_answer(run_packed, _bi, _x[:1, :1], torch.tensor([1]), name="hidden check: batch 1")
        check_close(_out, _want_one[0], "hidden check: batch 1, length 1", atol=1e-10)
        check_close(_h, _want_one[1][0], "hidden check: batch 1, length 1 (h_n)", atol=1e-10)
        check_close(_c, _want_one[1][1], "hidden check: batch 1, length 1 (c_n)", atol=1e-10)
        _out, (_h, _c) = run_answer(run_packed, _uni, _xu, _lens_u, name="hidden check: 3-layer LSTM")
        check_close(_out, _want_u, "hidden check: 3 layers, one direction, lengths sorted increasing")
        check_close(_h, _want_uh, "hidden check: h_n of 3 layers, one direction")
        _out, (_h, _c) = run_answer(run_packed, _uni, _xu, torch.full((4,), 5), name="hidden check: no padding")
        check_close(_out, _want_full[0], "hidden check: no padding: same as the LSTM on the whole batch")
        check_close(_c, _want_full[1][1], "hidden check: no padding (c_n)")
        _out, (_h, _c) = run_answer(run_packed, _bi, _x, _lens.as_subclass(_LengthsOnGPU),
                                    name="hidden check: lengths on a GPU (simulated): packing needs them on the CPU")
        check_close(_out.as_subclass(torch.Tensor), _want_out, "hidden check: lengths on a GPU (simulated)", atol=1e-10)
        check_close(_h.as_subclass(torch.Tensor), _want_h, "hidden check: lengths on a GPU (simulated), h_n", atol=1e-10)
    _lens_given = _lens.clone()
    _out, _ = run_answer(run_packed, _bi, _xg, _lens_given, name="hidden check: gradient", copy=False)
    check_true(isinstance(_out, torch.Tensor) and _out.requires_grad, "hidden check: the output can be backpropagated to x",
               "out carries no gradient")
    _out.sum().backward()
    _pad = torch.arange(9)[None, :] >= _lens[:, None]
    check_close(_xg.grad[_pad], torch.zeros_like(_xg.grad[_pad]), "hidden check: no gradient reaches padded inputs")
    check_equal(_lens_given, _lens, "hidden check: lengths not changed in place")
### END HIDDEN TESTS

# %% [markdown]
# What packing fixes, measured: the same bidirectional LSTM on a padded batch, once on the padded tensor
# and once packed, compared with each sentence run on its own. Padding sits at the end, so the forward
# direction reads every real word before any padding and agrees at real positions; the backward
# direction starts at the far end of the padding and is wrong everywhere.

# %%
torch.manual_seed(0)
demo_lstm = nn.LSTM(8, 6, batch_first=True, bidirectional=True)
demo_x, demo_lens = torch.randn(4, 12, 8), torch.tensor([12, 3, 7, 5])
with torch.no_grad():
    truth = torch.zeros(4, 12, 12)
    for b, n in enumerate(demo_lens.tolist()):
        truth[b, :n] = demo_lstm(demo_x[b:b + 1, :n])[0][0]
    plain = demo_lstm(demo_x)[0]                          # padding read as if it were input
    packed_out = run_packed(demo_lstm, demo_x, demo_lens)[0]
real = length_mask(demo_lens)                             # (B, T)
for name, out in [("padded, not packed", plain), ("packed", packed_out)]:
    fwd = (out[..., :6] - truth[..., :6]).abs()[real].max().item()
    bwd = (out[..., 6:] - truth[..., 6:]).abs()[real].max().item()
    print(f"{name:19s}: max |error| at real positions  forward direction {fwd:.1e}   backward direction {bwd:.1e}")

# %% [markdown]
# ### What packing and bucketing save, timed
#
# Packing skips padded steps, so it should save the padded share of the work. Does it, in seconds? And
# there is a second way to waste less: **bucketing** — batch sentences of similar length together
# (`course_lib.batching.buckets.BucketBatchSampler`: shuffle, sort pools of 50 batches by length, cut into
# batches, shuffle the batches). Below, one bidirectional LSTM layer ($H = 128$) runs forward and
# backward over the same sentences in batches of 64, four ways, timed on this machine.

# %%
time_lstm = nn.LSTM(64, 128, batch_first=True, bidirectional=True).to(device)
time_embed = nn.Embedding(len(vocab), 64, padding_idx=vocab.pad_id).to(device)
n_batches, repeats = budget(full=6, grading=1), budget(full=3, grading=1)


def epoch(batches: list[list[int]], packed: bool) -> None:
    """Forward + backward over `batches`."""
    for batch in batches:
        ids, _, lens, _ = collate_tagged([encoded.train[i] for i in batch], pad_id=vocab.pad_id)
        x = time_embed(ids.to(device))                              # (B, T, 64)
        out = run_packed(time_lstm, x, lens)[0] if packed else time_lstm(x)[0]
        out.sum().backward()


def batch_lengths(batches: list[list[int]]) -> list[list[int]]:
    return [[train_lengths[i] for i in batch] for batch in batches]


timings, pad_share = {}, {}
for kind, bucketed in [("random batches", False), ("bucketed batches", True)]:
    sampler = BucketBatchSampler(train_lengths, 64, bucketed=bucketed, seed=0)
    batches = sampler.batches(0)[:n_batches]
    pad_share[kind] = padding_fraction(batch_lengths(batches))
    for packed in (False, True):
        timings[(kind, packed)] = best_time(lambda: epoch(batches, packed), repeats, device)
print(f"device: {device}, {torch.get_num_threads()} thread(s); {n_batches} batches of 64")
print("padding share over a full epoch: random "
      f"{padding_fraction(batch_lengths(BucketBatchSampler(train_lengths, 64, bucketed=False).batches(0))):.0%}, "
      f"bucketed {padding_fraction(batch_lengths(BucketBatchSampler(train_lengths, 64).batches(0))):.0%}")
for (kind, packed), seconds in timings.items():
    print(f"{kind:16s} ({pad_share[kind]:4.0%} padding)  {'packed' if packed else 'padded':6s}: {seconds:6.3f} s")
base = timings[("random batches", False)]
for (kind, packed), seconds in timings.items():
    print(f"  {kind}, {'packed' if packed else 'padded'}: {seconds / base:.2f} x the time of random padded batches")
for kind in pad_share:
    change = timings[(kind, True)] / timings[(kind, False)] - 1
    print(f"{kind}: {pad_share[kind]:.0%} of the positions are padding; packing changed the time by {change:+.0%}")

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
labels = [f"{k}\n{'packed' if p else 'padded'}" for k, p in timings]
ax.bar(labels, list(timings.values()), color=[PALETTE[0], PALETTE[1], PALETTE[0], PALETTE[1]])
ax.set(ylabel="seconds (forward + backward)", title=f"The same {n_batches} x 64 sentences, four ways ({device.type})")
plt.show()

# %% [markdown]
# Read the printed times. With random batches about two thirds of the positions are padding, yet on a
# CPU packing saves far less than that share, if anything (the last lines of the timing cell give the
# change on this run): a packed LSTM still loops over $L_{\max}$ steps, and at each step it multiplies a
# *smaller* batch, which a CPU does barely faster than a full one, while packing adds work of its own —
# sorting by length, gathering the steps, un-sorting. (On a GPU the balance differs: run this cell
# there.) With bucketed batches there is little padding left to skip, and that bookkeeping makes
# packing slower than plain padding. Bucketing is what saves the time; packing is what makes the result **correct**
# (previous experiment). The tagger below does both.
#
# ## 5. Bidirectional and stacked LSTMs, dropout between layers
#
# A tagger deciding whether "Jackson" is a person or a place needs the words on **both** sides.
# A **bidirectional** LSTM runs one LSTM left to right and a second, with its own weights, right to left,
# and concatenates their states at every position: $o_t = [\overrightarrow{h}_t; \overleftarrow{h}_t]$,
# size $2H$. A **stacked** LSTM feeds each layer's outputs to the next as inputs (so layer 2 of a BiLSTM
# reads vectors of size $2H$). `nn.LSTM(..., num_layers=2, dropout=p)` applies ordinary dropout to the
# outputs of every layer **except the last**, in training mode only. The final states come as
# $(\text{layers} \cdot \text{dirs}, B, H)$, layer by layer, forward before backward.

# %%
torch.manual_seed(0)
stack = nn.LSTM(5, 3, num_layers=2, bidirectional=True, dropout=0.5, batch_first=True)
xs, lens = torch.randn(2, 6, 5), torch.tensor([6, 4])
stack.eval()
with torch.no_grad():
    out, (h_n, _) = run_packed(stack, xs, lens)
print("out", tuple(out.shape), "= (B, T, 2H);  h_n", tuple(h_n.shape), "= (layers * dirs, B, H)")
top_fwd, top_bwd = h_n.view(2, 2, 2, 3)[-1]                # last layer: forward, backward, each (B, H)
print("last layer, forward final state == out at each sentence's last word, first H:",
      torch.allclose(top_fwd, out[torch.arange(2), lens - 1, :3]))
print("last layer, backward final state == out at position 0, last H:", torch.allclose(top_bwd, out[:, 0, 3:]))
for name, p in stack.named_parameters():
    if name.startswith("weight_ih"):
        print(f"{name:22s} {tuple(p.shape)}  (4H, input size of that layer)")
with torch.no_grad():
    stack.train()
    a, b = (run_packed(stack, xs, lens)[0] for _ in range(2))
    stack.eval()
    c, d = (run_packed(stack, xs, lens)[0] for _ in range(2))
print(f"two runs in training mode differ by up to {(a - b).abs().max():.3f} (dropout between layers); "
      f"in eval mode by {(c - d).abs().max():.1e}")

# %% [markdown]
# ## 6. Variational dropout
#
# Ordinary dropout on a sequence $(B, T, D)$ draws a fresh mask for every position: unit $d$ of sentence
# $b$ is dropped at some steps and kept at others. Gal & Ghahramani (2016) derived dropout for RNNs as
# approximate Bayesian inference and found that the mask must be **the same at every time step**: draw
# one mask $z_b \in \{0, 1\}^D$ per sequence and apply $x_{bt} \odot z_b / (1 - p)$ at every $t$. A unit is
# then either present for the whole sentence or absent for the whole sentence, so the network cannot
# average the noise away over time, and it learns not to rely on any single feature. Their full recipe
# also drops the recurrent input $h_{t-1}$ with one mask per sequence; that needs a hand-written cell
# (the built-in `nn.LSTM` kernel allows no mask inside the recurrence), so here — as in the widely used
# AWD-LSTM — it is applied to the inputs and outputs of the LSTM ("locked dropout").
#
# ### Exercise 5 — variational dropout (2 points)
#
# Write the module `VariationalDropout(p)`. In training mode, `forward(x)` with `x` $(B, T, D)$ draws a
# mask of shape $(B, 1, D)$ whose entries are 1 with probability $1 - p$ (draw it yourself, with `torch.rand` or
# `torch.bernoulli`), scales it by $1/(1-p)$ so the
# expected value of every entry is unchanged, and returns `x * mask` (broadcast over time). A new mask is
# drawn at each call; each sentence gets its own. In eval mode (`self.training` False) or with $p = 0$,
# return `x` unchanged. Keep the dtype and device of `x`; do not change `x` in place.

# %% nbgrader="answer" grade_id="VariationalDropout"
class VariationalDropout(nn.Module):
    """Dropout with one mask per sequence, shared by all time steps. x: (B, T, D) -> (B, T, D)."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"p must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        if not self.training or self.p == 0.0:
            return x
        keep = torch.rand(x.shape[0], 1, x.shape[2], device=x.device) >= self.p      # (B, 1, D)
        return x * keep.to(x.dtype) / (1.0 - self.p)                               # broadcast over T
        ### END SOLUTION


# %% nbgrader="tests" grade_id="test_VariationalDropout" points=2
torch.manual_seed(0)
_drop = VariationalDropout(0.5)
_x = torch.rand(4, 6, 10) + 0.5                      # no zeros of its own
_y = run_answer(_drop, _x, name="VariationalDropout(0.5) in training mode on x of shape (4, 6, 10)")
check_type(_y, torch.Tensor, "VariationalDropout output")
check_shape(_y, (4, 6, 10), "VariationalDropout output")
check_dtype(_y, torch.float32, "VariationalDropout output for float32 x", hint="keep the dtype of x")
_zero = _y == 0
check_true(bool(_zero.any()) and not bool(_zero.all()), "VariationalDropout in training mode (p=0.5)",
           f"{int(_zero.sum())} of {_zero.numel()} entries were dropped", hint="in training mode drop, in eval mode do not")
check_equal(_zero, _zero[:, :1].expand_as(_zero), "which entries are dropped, compared with step 0",
            hint="draw one mask of shape (B, 1, D) and use it at every time step")
check_close(_y[~_zero], (_x * 2)[~_zero], "kept entries with p=0.5", hint="scale kept entries by 1 / (1 - p)")
check_true(bool((_zero[0, 0] != _zero[1:, 0]).any()), "masks of the 4 sentences of the batch",
           "all sentences of the batch were given the same mask", hint="the mask has shape (B, 1, D), not (1, 1, D)")
_y2 = run_answer(_drop, _x, name="VariationalDropout(0.5), second call")
check_true(bool(((_y2 == 0) != _zero).any()), "two calls of VariationalDropout(0.5) in training mode",
           "two calls dropped exactly the same entries", hint="draw a new mask at every call of forward")
# p = 0.2: one unit in five is dropped, and kept units are scaled by 1 / 0.8
_y = run_answer(VariationalDropout(0.2), torch.ones(200, 3, 50), name="VariationalDropout(0.2) on ones (200, 3, 50)")
_share = (_y[:, 0] == 0).float().mean().item()
check_true(abs(_share - 0.2) < 0.03, "share of dropped units with p=0.2",
           f"{_share:.3f} of the units were dropped; expected about 0.20",
           hint="an entry is dropped with probability p, kept with probability 1 - p: keep = torch.rand(...) >= p")
check_close(_y[_y != 0], torch.full_like(_y[_y != 0], 1.25), "kept entries with p=0.2",
            hint="scale kept entries by 1 / (1 - p) = 1.25")
_y = run_answer(_drop, _x.double(), name="VariationalDropout(0.5) on float64 x")
check_dtype(_y, torch.float64, "VariationalDropout output for float64 x",
            hint="make the mask in the dtype of x (keep.to(x.dtype)), do not convert x")
_y = run_answer(_drop, _x.half(), name="VariationalDropout(0.5) on float16 x")
check_dtype(_y, torch.float16, "VariationalDropout output for float16 x",
            hint="a float32 mask (keep.float(), torch.bernoulli of a float32 tensor) turns float16 x into float32: "
                 "make the mask in the dtype of x (keep.to(x.dtype))")
_x_given = _x.clone()
run_answer(_drop, _x_given, name="VariationalDropout(0.5) on x, x checked afterwards", copy=False)
check_close(_x_given, _x, "x after VariationalDropout(0.5) ran on it",
            hint="do not change x in place (no x.mul_, x *= mask): return x * mask, a new tensor")
_drop.eval()
check_close(run_answer(_drop, _x, name="VariationalDropout(0.5) in eval mode"), _x, "VariationalDropout in eval mode",
            hint="in eval mode (self.training False) return x unchanged: no mask, no scaling")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
torch.manual_seed(1)
_ones = torch.ones(400, 5, 200, dtype=torch.float64)
_x0 = torch.randn(2, 3, 4)
_xg = torch.ones(6, 4, 5, dtype=torch.float64, requires_grad=True)
with written_by_you("VariationalDropout"):
    _drop = VariationalDropout(0.3)
    _y = run_answer(_drop, _ones, name="hidden check: p=0.3, float64")
    check_dtype(_y, torch.float64, "hidden check: float64 stays float64")
    _share = (_y[:, 0] == 0).double().mean().item()
    check_true(abs(_share - 0.3) < 0.02, "hidden check: share of dropped units with p=0.3",
               f"{_share:.3f} of the units were dropped; expected about 0.30")
    check_close(_y[_y != 0], torch.full_like(_y[_y != 0], 1 / 0.7), "hidden check: kept units scaled by 1 / 0.7")
    check_true(bool((_y[0, 0] != _y[1, 0]).any()), "hidden check: each sentence gets its own mask",
               "all sentences in the batch were given the same mask")
    check_equal(_y == 0, (_y[:, :1] == 0).expand_as(_y), "hidden check: same mask at every step (B=400, T=5)")
    check_true(bool((run_answer(_drop, _ones, name="hidden check: second call") != _y).any()),
               "hidden check: a new mask at each call", "two calls gave the same mask")
    _y = run_answer(VariationalDropout(p=0.75), torch.ones(300, 2, 100), name="hidden check: p=0.75")
    _share = (_y[:, 0] == 0).float().mean().item()
    check_true(abs(_share - 0.75) < 0.02, "hidden check: share of dropped units with p=0.75",
               f"{_share:.3f} of the units were dropped; expected about 0.75")
    check_close(_y[_y != 0], torch.full_like(_y[_y != 0], 4.0), "hidden check: kept units scaled by 1 / 0.25")
    _y = run_answer(_drop, _xg, name="hidden check: gradient", copy=False)
    _y.sum().backward()
    check_close(_xg.grad, _y.detach(), "hidden check: the gradient is the scaled mask")
    check_close(_xg, torch.ones_like(_xg), "hidden check: x not changed in place")
    _y1 = run_answer(VariationalDropout(0.5), torch.ones(3, 1, 4), name="hidden check: T=1")
    check_true(bool(set(_y1.unique().tolist()) <= {0.0, 2.0}), "hidden check: T=1", f"values {_y1.unique().tolist()}")
    _yb = run_answer(VariationalDropout(0.5), torch.ones(1, 7, 300), name="hidden check: batch 1")
    check_equal(_yb == 0, (_yb[:, :1] == 0).expand_as(_yb), "hidden check: batch 1, same mask at every step")
    check_true(0.4 < (_yb[0, 0] == 0).float().mean().item() < 0.6, "hidden check: batch 1, p=0.5",
               "about half of the 300 units should be dropped")
    _yh = run_answer(VariationalDropout(0.5), torch.ones(8, 3, 16, dtype=torch.float16), name="hidden check: float16")
    check_dtype(_yh, torch.float16, "hidden check: float16 stays float16")
    check_true(bool(set(_yh.unique().tolist()) <= {0.0, 2.0}), "hidden check: float16 values",
               f"values {_yh.unique().tolist()}")
    check_close(run_answer(VariationalDropout(0.0), _x0, name="hidden check: p=0"), _x0,
                "hidden check: p=0 in training mode returns x")
    _drop9 = VariationalDropout(0.9).eval()
    check_close(run_answer(_drop9, _x0, name="hidden check: eval, p=0.9"), _x0, "hidden check: eval mode with p=0.9")
    _drop9.train()
    check_true(bool((run_answer(_drop9, torch.ones(50, 2, 20), name="hidden check: back in training mode") == 0).any()),
               "hidden check: back in training mode after eval", "nothing was dropped")
### END HIDDEN TESTS

# %% [markdown]
# The two kinds of mask side by side, for one sentence of 30 steps and 16 units (white: dropped). The
# right-hand picture is drawn by your `VariationalDropout`: if it is right, every unit is a full-width
# white or black stripe, and about 30 % of the stripes are white.

# %%
torch.manual_seed(0)
ones = torch.ones(1, 30, 16)
masks = {"nn.Dropout(0.3): a new mask at every step": nn.Dropout(0.3)(ones)[0],
         "VariationalDropout(0.3): one mask per sentence": VariationalDropout(0.3)(ones)[0]}
fig, axes = plt.subplots(1, 2, figsize=(11, 3.2))
for ax, (title, m) in zip(axes, masks.items()):
    ax.imshow((m > 0).T.float(), cmap="Greys", vmin=0, vmax=1.6, aspect="auto", interpolation="nearest")
    ax.set(title=title, xlabel="time step", ylabel="unit")
    ax.grid(False)
plt.show()
for title, m in masks.items():
    changes = int(((m[1:] > 0) != (m[:-1] > 0)).any(dim=0).sum())
    print(f"{title.split(':')[0]:24s}: {changes} of 16 units switch between kept and dropped during the sentence")

# %% [markdown]
# ## 7. The BiLSTM tagger
#
# ### Exercise 6 — the tagger's forward pass (2 points)
#
# Write `BiLSTMTagger(vocab_size, num_tags, embed_dim, hidden_size, num_layers=1, dropout=0.0, pad_id=0)`
# with exactly these parts (the tests copy and inspect them by name):
#
# - `self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)` (the padding id's vector is
#   zero and gets no gradient);
# - `self.drop = VariationalDropout(dropout)`, used on the embeddings and on the LSTM's outputs;
# - `self.lstm`: an `nn.LSTM` from `embed_dim` to `hidden_size`, `num_layers` layers, bidirectional,
#   `batch_first=True`, with dropout `dropout` between layers (pass 0 when `num_layers` is 1: PyTorch
#   warns otherwise);
# - `self.head = nn.Linear(2 * hidden_size, num_tags)`.
#
# `forward(ids, lengths)`: ids $(B, T)$, lengths $(B,)$ → logits $(B, T, \text{num\_tags})$:
# embed → drop → LSTM **on the packed batch** (your `run_packed`) → drop → head. A sentence's logits must
# not depend on what else is in the batch.

# %% nbgrader="answer" grade_id="BiLSTMTagger"
class BiLSTMTagger(nn.Module):
    """Word ids (B, T) and lengths (B,) -> tag logits (B, T, num_tags), padding never read."""

    def __init__(self, vocab_size: int, num_tags: int, embed_dim: int, hidden_size: int, num_layers: int = 1,
                 dropout: float = 0.0, pad_id: int = 0):
        super().__init__()
        ### BEGIN SOLUTION
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.drop = VariationalDropout(dropout)
        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers=num_layers, bidirectional=True, batch_first=True,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.head = nn.Linear(2 * hidden_size, num_tags)
        ### END SOLUTION

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        x = self.drop(self.embed(ids))                   # (B, T, E)
        out, _ = run_packed(self.lstm, x, lengths)       # (B, T, 2H), zeros at padding
        return self.head(self.drop(out))                 # (B, T, num_tags)
        ### END SOLUTION


# %% nbgrader="tests" grade_id="test_BiLSTMTagger" points=2
class _Scale(nn.Module):
    """Stands in for the tagger's dropout in this test: multiplies by 1.5, and records the shapes it is given."""

    def __init__(self):
        super().__init__()
        self.shapes = []

    def forward(self, x):
        self.shapes.append(tuple(x.shape))
        return 1.5 * x


def _tagger_expected(tagger, ids, lens, scale=1.0):
    """embed -> scale -> LSTM on the packed batch -> scale -> head, with torch's own packing functions."""
    with torch.no_grad():
        packed = pack_padded_sequence(scale * tagger.embed(ids), lens, batch_first=True, enforce_sorted=False)
        out, _ = pad_packed_sequence(tagger.lstm(packed)[0], batch_first=True, total_length=ids.shape[1])
        return tagger.head(scale * out)


torch.manual_seed(0)
_tagger = run_answer(BiLSTMTagger, 20, 5, 6, 4, num_layers=2, dropout=0.3, pad_id=2,
                     name="BiLSTMTagger(20, 5, embed_dim=6, hidden_size=4, num_layers=2, dropout=0.3, pad_id=2)")
for _part, _kind in [("embed", nn.Embedding), ("drop", VariationalDropout), ("lstm", nn.LSTM), ("head", nn.Linear)]:
    check_type(getattr(_tagger, _part, None), _kind, f"BiLSTMTagger.{_part}",
               hint=f"self.{_part} must be an {_kind.__name__}, under exactly this name")
check_equal((_tagger.embed.num_embeddings, _tagger.embed.embedding_dim), (20, 6), "BiLSTMTagger.embed sizes",
            hint="nn.Embedding(vocab_size, embed_dim, ...)")
check_equal(_tagger.embed.padding_idx, 2, "BiLSTMTagger.embed.padding_idx with pad_id=2",
            hint="nn.Embedding(..., padding_idx=pad_id): the padding id given, not always 0")
check_true(_tagger.lstm.bidirectional and _tagger.lstm.batch_first, "BiLSTMTagger.lstm",
           f"bidirectional={_tagger.lstm.bidirectional}, batch_first={_tagger.lstm.batch_first}",
           hint="it must be bidirectional=True and batch_first=True")
check_equal((_tagger.lstm.input_size, _tagger.lstm.hidden_size, _tagger.lstm.num_layers), (6, 4, 2),
            "BiLSTMTagger.lstm (input_size, hidden_size, num_layers)",
            hint="nn.LSTM(embed_dim, hidden_size, num_layers=num_layers, ...)")
check_equal((_tagger.head.in_features, _tagger.head.out_features), (8, 5), "BiLSTMTagger.head (in, out)",
            hint="two directions: nn.Linear(2 * hidden_size, num_tags)")
check_close(_tagger.lstm.dropout, 0.3, "BiLSTMTagger.lstm.dropout with num_layers=2, dropout=0.3",
            hint="nn.LSTM(..., dropout=dropout) between the layers when num_layers > 1")
import warnings
with warnings.catch_warnings(record=True) as _warned:
    warnings.simplefilter("always")
    _one_layer = run_answer(BiLSTMTagger, 20, 5, 6, 4, dropout=0.3, name="BiLSTMTagger(20, 5, 6, 4, dropout=0.3)")
check_close(_one_layer.lstm.dropout, 0.0, "BiLSTMTagger.lstm.dropout with one layer and dropout=0.3",
            hint="pass dropout=0 to nn.LSTM when num_layers is 1 (there is no layer in between; PyTorch warns)")
_tagger.eval()
_ids = torch.tensor([[3, 4, 5, 2, 2], [8, 9, 6, 7, 1], [8, 9, 2, 2, 2]])   # padded with pad_id=2
_lens = torch.tensor([3, 5, 2])
_real = torch.arange(5)[None, :] < _lens[:, None]
_want = _tagger_expected(_tagger, _ids, _lens)
with torch.no_grad():
    _logits = run_answer(_tagger, _ids, _lens, name="BiLSTMTagger forward, eval mode, lengths (3, 5, 2)")
    _alone = run_answer(_tagger, _ids[2:, :2], _lens[2:], name="BiLSTMTagger forward on sentence 2 alone")
check_shape(_logits, (3, 5, 5), "BiLSTMTagger logits (B=3, T=5, num_tags=5)",
            hint="one row of logits per position: the head on every LSTM output, not on the final states")
check_close(_logits[2, :2], _alone[0, :2], "logits of sentence 2 in the batch against the sentence alone",
            hint="run the LSTM on the packed batch (your run_packed), or the backward direction reads the padding")
check_close(_logits[_real], _want[_real], "BiLSTMTagger logits at real positions, eval mode",
            hint="embed -> drop -> LSTM on the packed batch -> drop -> head")
_ids_other = _ids.masked_fill(~_real, 7)                  # padded positions holding an id other than pad_id
with torch.no_grad():
    _logits = run_answer(_tagger, _ids_other, _lens, name="BiLSTMTagger forward, padded positions hold the id 7")
check_close(_logits[_real], _want[_real], "BiLSTMTagger logits when the padded positions hold the id 7, not pad_id",
            hint="the lengths given say what is real: pass them to run_packed, do not count ids != pad_id")
_tagger.train()                                           # training mode, where dropout acts ...
_tagger.lstm.dropout = 0.0                                # ... but without nn.LSTM's random dropout between layers
_tagger.drop = _Scale()                                   # and a dropout stand-in whose effect is known
_want = _tagger_expected(_tagger, _ids, _lens, scale=1.5)
with torch.no_grad():
    _logits = run_answer(_tagger, _ids, _lens, name="BiLSTMTagger forward with self.drop replaced")
check_equal(_tagger.drop.shapes, [(3, 5, 6), (3, 5, 8)], "what self.drop is applied to (shapes, in order)",
            hint="self.drop once on the embeddings (B, T, embed_dim), once on the LSTM outputs (B, T, 2H), "
                 "before the head")
check_close(_logits[_real], _want[_real], "BiLSTMTagger logits in training mode, self.drop multiplying by 1.5",
            hint="embed -> self.drop -> LSTM on the packed batch -> self.drop -> head")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
torch.manual_seed(2)
_ids = torch.randint(4, 30, (5, 8))
_lens = torch.tensor([2, 8, 1, 5, 3])
_real = torch.arange(8)[None, :] < _lens[:, None]
_ids[~_real] = 3
with written_by_you("BiLSTMTagger"):
    _tagger = run_answer(BiLSTMTagger, 30, 7, 5, 3, 2, 0.25, 3, name="hidden check: BiLSTMTagger(30, 7, 5, 3, 2, 0.25, 3)")
    check_equal(_tagger.embed.padding_idx, 3, "hidden check: embedding padding_idx is pad_id (positional)")
    check_equal(_tagger.lstm.num_layers, 2, "hidden check: num_layers=2 (positional)")
    check_close(_tagger.lstm.dropout, 0.25, "hidden check: dropout between the two LSTM layers")
    check_close(_tagger.drop.p, 0.25, "hidden check: VariationalDropout(dropout)")
    _one = run_answer(BiLSTMTagger, 11, 3, 4, 2, name="hidden check: one layer, default dropout")
    check_close(_one.lstm.dropout, 0.0, "hidden check: one layer: no dropout between layers")
    check_close(_one.drop.p, 0.0, "hidden check: default dropout=0.0")
    check_equal(_one.embed.padding_idx, 0, "hidden check: default pad_id=0")
    check_equal(_one.lstm.num_layers, 1, "hidden check: default num_layers=1")
_tagger = _tagger.double().eval()
_want = _tagger_expected(_tagger, _ids, _lens)
_want1 = _tagger_expected(_tagger, _ids[2:3, :1], _lens[2:3])
with written_by_you("BiLSTMTagger"):
    with torch.no_grad():
        _got = run_answer(_tagger, _ids, _lens, name="hidden check: 2 layers, float64")
        check_dtype(_got, torch.float64, "hidden check: a float64 model gives float64 logits")
        check_shape(_got, (5, 8, 7), "hidden check: logits (5, 8, 7)")
        check_close(_got[_real], _want[_real], "hidden check: 2 layers, float64, lengths (2, 8, 1, 5, 3)", atol=1e-10)
        _got = run_answer(_tagger, _ids[2:3, :1], _lens[2:3], name="hidden check: batch 1, length 1")
        check_close(_got, _want1, "hidden check: batch 1, length 1", atol=1e-10)
        _short = run_answer(_tagger, _ids[[0, 2]], _lens[[0, 2]], name="hidden check: every sentence shorter than T")
        check_shape(_short, (2, 8, 7), "hidden check: logits keep T=8 when every sentence is shorter")
        check_close(_short[0, :2], _want[0, :2], "hidden check: every sentence shorter than T", atol=1e-10)
    _tagger.train()
    _a = run_answer(_tagger, _ids, _lens, name="hidden check: training mode")
    _b = run_answer(_tagger, _ids, _lens, name="hidden check: training mode, second call")
    check_true(not torch.allclose(_a, _b), "hidden check: dropout active in training mode",
               "two calls in training mode gave the same logits")
    _a.sum().backward()
    check_close(_tagger.embed.weight.grad[3], torch.zeros(5, dtype=torch.float64),
                "hidden check: the padding id's embedding gets no gradient")
    check_true(bool(_tagger.embed.weight.grad[4:].abs().sum() > 0), "hidden check: real words' embeddings get gradient",
               "no gradient reached the embeddings")
### END HIDDEN TESTS

# %% [markdown]
# ### Training
#
# Two layers, 64-dimensional embeddings and states, variational dropout 0.3 on embeddings and outputs and
# 0.3 between the layers; Adam, batches of 64 from the bucketing sampler, and your masked loss `masked_ce`.
# After each epoch, masked accuracy on the validation split. Everything here runs on your own code
# (`collate_tagged` with your padding and mask, your `masked_ce`, your tagger with your `run_packed` and
# `VariationalDropout`), so a mistake in any of them shows in the curves and the scores below.
# (While grading, this cell trains only a few steps.)

# %%
from course_lib.training.loop import train


@torch.no_grad()
def predict(model: nn.Module, pairs) -> tuple[float, list[list[str]], list[list[str]]]:
    """Masked accuracy over all real tokens of `pairs`, and the predicted and true tag sequences."""
    model.eval()
    correct = total = 0
    pred_tags, true_tags = [], []
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]))
    for s in range(0, len(order), 256):
        members = order[s:s + 256]
        ids, tg, lens, m = collate_tagged([pairs[i] for i in members], pad_id=vocab.pad_id)
        logits = model(ids.to(device), lens).cpu()                          # (B, T, C)
        n = int(m.sum())
        correct += masked_accuracy(logits, tg, m).item() * n
        total += n
        for row, k in enumerate(lens.tolist()):
            pred_tags.append([TAGS[j] for j in logits[row, :k].argmax(-1).tolist()])
            true_tags.append([TAGS[j] for j in tg[row, :k].tolist()])
    model.train()
    return correct / total, pred_tags, true_tags


def tag_batches(sampler: BucketBatchSampler):
    while True:
        for batch in sampler:
            ids, tg, lens, m = collate_tagged([encoded.train[i] for i in batch], pad_id=vocab.pad_id)
            yield ids.to(device), tg.to(device), lens, m.to(device)


def tagger_loss(model: nn.Module, batch) -> torch.Tensor:
    ids, tg, lens, m = batch
    return masked_ce(model(ids, lens), tg, m)


seed_everything(0)
tagger = BiLSTMTagger(len(vocab), len(TAGS), embed_dim=48, hidden_size=48, num_layers=2, dropout=0.3,
                      pad_id=vocab.pad_id).to(device)
optimizer = torch.optim.Adam(tagger.parameters(), lr=5e-3)
sampler = BucketBatchSampler(train_lengths, 64, seed=0)
stream = tag_batches(sampler)
epochs, steps_per_epoch = budget(full=3, grading=1), budget(full=len(sampler), grading=5)
losses, val_acc = [], []
start = time.perf_counter()
for epoch in range(epochs):
    losses += train(tagger, optimizer, stream, tagger_loss, steps_per_epoch, max_grad_norm=5.0, progress=False)["loss"]
    val_acc.append(predict(tagger, encoded.validation)[0])
    print(f"epoch {epoch + 1}: mean training loss {np.mean(losses[-steps_per_epoch:]):.3f}, "
          f"validation masked accuracy {val_acc[-1]:.2%}")
print(f"trained {len(losses)} steps in {time.perf_counter() - start:.1f} s")

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
plot_lines(ax1, np.arange(1, len(losses) + 1), {"masked cross-entropy": losses}, xlabel="step",
           ylabel="loss (nats/token)", title="Training loss", logy=True)
plot_lines(ax2, np.arange(1, len(val_acc) + 1), {"validation": val_acc}, xlabel="epoch",
           ylabel="masked accuracy", title="Held-out accuracy")
ax2.set_xticks(np.arange(1, len(val_acc) + 1))
plt.show()

# %% [markdown]
# ### Held-out results: token accuracy and entity F1
#
# Token accuracy flatters a tagger: most words are `O`, and a model that never finds an entity scores
# the share of `O` tags. The standard measure is **entity-level F1** (as in the CoNLL shared tasks,
# computed by `seqeval`): an entity counts as found only if its type and both boundaries are exactly
# right; precision is the share of predicted entities that are right, recall the share of true entities
# found, F1 their harmonic mean. Below, both on the validation split and on the test split, which played
# no part in training.

# %%
from seqeval.metrics import classification_report, f1_score

test_acc, test_pred, test_true = predict(tagger, encoded.test)
valid_acc, valid_pred, valid_true = predict(tagger, encoded.validation)
o_share = float(np.mean([t == "O" for tags in test_true for t in tags]))
print(f"validation: masked accuracy {valid_acc:.2%}, entity F1 {f1_score(valid_true, valid_pred):.3f}")
print(f"test:       masked accuracy {test_acc:.2%}, entity F1 {f1_score(test_true, test_pred):.3f}")
print(f"always predicting O would score {o_share:.2%} token accuracy and entity F1 0")
print(classification_report(test_true, test_pred, digits=3))

# %% [markdown]
# A few test sentences with the tagger's mistakes marked `word [predicted|true]`, and how words the
# vocabulary does not know (`<unk>`) fare — there the context is all the tagger has:

# %%
shown = 0
order = sorted(range(len(data.test)), key=lambda i: len(data.test[i][0]))
pred_by_index = dict(zip(order, test_pred))
for i, (words, tags) in enumerate(data.test):
    pred = pred_by_index[i]
    if pred != tags and len(words) < 25 and shown < 4:
        print(" ".join(w if p == t else f"{w} [{p}|{t}]" for w, p, t in zip(words, pred, tags)))
        shown += 1
unk_right = unk_total = known_right = known_total = 0
for i, (ids, tg) in enumerate(encoded.test):
    pred_ids = torch.tensor([TAGS.index(p) for p in pred_by_index[i]])
    unk = ids == vocab.unk_id
    unk_right += int((pred_ids == tg)[unk].sum())
    unk_total += int(unk.sum())
    known_right += int((pred_ids == tg)[~unk].sum())
    known_total += int((~unk).sum())
print(f"\naccuracy on <unk> words: {unk_right / unk_total:.2%} of {unk_total}; "
      f"on known words: {known_right / known_total:.2%} of {known_total}")

# %% [markdown]
# ## Summary
#
# - A padded batch travels with its lengths and a mask; the mask, not the padding id, says what is real.
# - Losses and metrics over padded batches sum over real tokens and divide by the number of real tokens.
#   Dividing by all positions makes a sentence's loss depend on its batch-mates — you printed how much.
# - An RNN must not read padding: `pack_padded_sequence(..., enforce_sorted=False)` runs only real
#   steps, takes final states at each sentence's own end and restores the batch order; without it the
#   backward direction of a BiLSTM is wrong at every position.
# - What saves time is less padding (bucketing); on this CPU packing saved little or nothing, and on
#   bucketed batches it cost time — both measured. Pack for correctness, bucket for speed.
# - Bidirectional LSTMs concatenate a left-to-right and a right-to-left state; stacked layers take dropout
#   between them; variational dropout keeps one mask per sequence.
# - A two-layer BiLSTM tagger, trained with the masked loss on generated sentences, reached the held-out
#   accuracy and entity F1 printed above; token accuracy must be read against the share of `O` tags.
#
# ## Reflection (2 points, graded by hand)
#
# Use your timing table and the packing comparison of Section 4. (a) With random batches most positions
# were padding; explain why packing nevertheless saved little or no time on this machine, and why it
# was slower than padding on bucketed batches. (b) Give two reasons why the tagger still
# packs its batches, even where packing costs time. (3–5 sentences.)

# %% [markdown] nbgrader="manual" grade_id="reflection" points=2
# ### BEGIN SOLUTION
# *Model answer (for graders; timings are machine-dependent).* (a) A packed LSTM still runs one step after
# another up to the longest sentence; packing only makes the batch at each step smaller, and on a CPU a
# matrix product for 10 rows costs almost as much as one for 64, so the time follows the number of steps
# (set by $L_{\max}$) more than the number of real tokens. On bucketed batches there is almost no padding
# left to skip, so the extra work of packing — sorting by length, gathering the steps, un-sorting —
# outweighs the little it saves. The time was saved by bucketing, which cut $L_{\max}$ per batch. (b)
# Correctness: without packing the backward direction starts in the padding, so its states are wrong at
# every real position (the printed error was of order 0.1, against 1e-7 with packing), and the final states
# are taken after the padding instead of after each sentence's last word. And a sentence's prediction
# then does not depend on which other sentences share its batch, so training, validation and use give
# the same answer for the same sentence.
# Full marks: (a) names step count/small per-step batches and packing overhead, and bucketing as the real
# saving; (b) names the contaminated backward direction (or wrong final states) and batch independence.
# ### END SOLUTION
