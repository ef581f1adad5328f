# %% [markdown]
# # Day 09 — Structured prediction: a BiLSTM-CRF tagger
#
# On Day 05 a BiLSTM gave every word a score for every tag, and each word took its best tag on its own.
# Nothing stopped it from writing `B-PER I-LOC` — a person's name that turns into a place halfway — or
# `O I-ORG`, an entity that continues without having begun. A **conditional random field** (CRF; Lafferty,
# McCallum & Pereira 2001) scores the tag *sequence* as a whole: the same word scores (*emissions*) plus a
# score for every pair of neighbouring tags (*transitions*). Training maximises the probability of the
# whole right sequence; decoding finds the best whole sequence. Put on top of a BiLSTM it gives the
# BiLSTM-CRF (Huang, Xu & Yu 2015; Lample et al. 2016), for years the standard named-entity tagger.
#
# **By the end of today you can**
# 1. score a tag path: start, emissions, transitions between real steps, end;
# 2. compute the log-partition function $\log Z$ with the forward algorithm — batched, masked, in log space;
# 3. write the CRF loss and check it against `pytorch-crf`;
# 4. decode with Viterbi — batched, masked, with back-pointers — and check it against brute force;
# 5. write the BIO rules as transition scores, and say why they are large negative numbers, not $-\infty$;
# 6. measure what the CRF buys over a softmax tagger: entity F1 in strict IOB2 mode, and invalid sequences.
#
# **How this notebook works.** Each exercise is one function. Replace `raise NotImplementedError()` with
# your code, then run the test cell right below it. Those visible tests are a first check; when your
# notebook is graded, more tests run (brute force over every path, parity with `pytorch-crf` in float64,
# gradients, batch 1, length 1, padding filled with huge numbers). Before submitting, restart the kernel
# and run everything, then press **Validate**.
# Validate's "Success!" and a test cell's "✓ … passed" mean that the visible tests passed, not a
# grade: graders run hidden tests too.
#
# Points: 8 autograded (five exercises), 2 for the reflection at the end.

# %%
import itertools
import time

import numpy as np
import torch
import matplotlib.pyplot as plt
from torch import nn

from course_lib.notebook.runtime import setup_notebook, budget, seed_everything
from course_lib.notebook.checks import (check_close, check_dtype, check_equal, check_raises, check_shape, check_true,
                                        check_type, raised_message, run_answer)
from course_lib.notebook.plotting import PALETTE
from course_lib.training.loop import train
from course_lib.batching.buckets import BucketBatchSampler
from course_lib.batching.padding import collate_tagged
from course_lib.data.tagging import (AMBIGUOUS_WORDS, HARD_TAGS, encode_examples, invalid_iob2, load_hard_tagging,
                                     word_vocab)
from course_lib.models.tagger import BiLSTMTagger            # Day 05's tagger (an earlier day's exercise)

device = setup_notebook(seed=0)

# %% [markdown]
# ## 1. The data: a harder generated named-entity set
#
# Day 05's generated set turned out nearly solved word by word (look up the entity F1 your Day 05 tagger
# printed), which leaves a CRF little to fix. So today's set is **generated to make tag dependencies
# matter** (`course_lib.data.tagging.load_hard_tagging`; it is not real text). Sentences are one to three
# clauses from hand-written templates, with three entity types (`PER`, `LOC`, `ORG`), and:
#
# - entities are built mostly from a list of **ambiguous words** — "Jordan", "Washington", "Morgan",
#   "Chase", … — each a first name, a surname, a place and part of a company name alike, so the words of an
#   entity rarely give its type away; the **context** decides ("… said", "the mayor of …", "shares of …"),
#   sometimes two or three words away; a few templates ("everyone talked about …") do not tell the type
#   at all;
# - each ambiguous word **leans** to one type (it is drawn three times as often for that type), so the
#   words of one entity can lean to different types — "Jordan Denver" reads PER, then LOC — and only a
#   reading of the whole entity is consistent;
# - entities are one to three words long ("Lincoln Carson Clinton" can be one company), and some templates
#   put **two entities of different types side by side** ("the Morgan Chase Denver branch": an `ORG`, then
#   a `LOC`), so where one ends is decided by the tags around it;
# - other names come from the Faker package (MIT licence); rare words become `<unk>`.
#
# The cell below prints the splits, a few sentences, and how ambiguous the entity words really are.

# %%
held_out = budget(full=500, grading=100)                 # while grading, a smaller set is generated
data = load_hard_tagging(n_train=budget(full=3000, grading=300), n_validation=held_out, n_test=held_out, seed=0)
for split, examples in data.items():
    lengths = [len(words) for words, _ in examples]
    print(f"{split:10s}: {len(examples):4d} sentences, {min(lengths)}-{max(lengths)} words, "
          f"median {int(np.median(lengths))}")
for words, tags in data.train[:4]:
    print("  " + " ".join(w if t == "O" else f"[{w}|{t}]" for w, t in zip(words, tags)))

types_of = {w: set() for w in AMBIGUOUS_WORDS}
entity_words = ambiguous_entity_words = 0
for words, tags in data.train:
    for w, t in zip(words, tags):
        if t != "O":
            entity_words += 1
            if w in types_of:
                types_of[w].add(t[2:])
                ambiguous_entity_words += 1
print(f"\n{sum(len(s) == 3 for s in types_of.values())} of the {len(AMBIGUOUS_WORDS)} ambiguous words occur in "
      f"training as PER, LOC and ORG; they are {ambiguous_entity_words / entity_words:.0%} of all entity words")

TAGS = list(HARD_TAGS)
K = len(TAGS)
vocab = word_vocab(data.train, min_count=2)
encoded = data.map(lambda part: encode_examples(part, vocab, HARD_TAGS))
print(f"tags ({K}): {TAGS}; word vocabulary: {len(vocab)}")

# %% [markdown]
# ## 2. A score for the whole tag sequence
#
# A sentence of length $L$ has emission scores $E \in \mathbb{R}^{L \times K}$ from the BiLSTM: $E_{t,j}$ says
# how well tag $j$ fits word $t$. The CRF adds three learned tables: $\text{start} \in \mathbb{R}^{K}$ (how
# good tag $j$ is as the first tag), $A \in \mathbb{R}^{K \times K}$ with $A_{ij}$ the score of **moving from
# tag $i$ to tag $j$**, and $\text{end} \in \mathbb{R}^{K}$ (how good tag $j$ is as the last tag). A tag path
# $y = (y_0, \dots, y_{L-1})$ scores
#
# $$s(y) = \text{start}_{y_0} + \sum_{t=0}^{L-1} E_{t, y_t} + \sum_{t=1}^{L-1} A_{y_{t-1}, y_t} + \text{end}_{y_{L-1}},$$
#
# and the CRF's probability of it is $p(y \mid x) = e^{s(y)} / Z$ with $Z = \sum_{y'} e^{s(y')}$ over all
# $K^L$ paths. A softmax tagger is the special case $A = 0$, start $=$ end $= 0$: then the probability
# factorises over words and each word picks its tag alone.
#
# **Conventions for every exercise today** (the same as `pytorch-crf` with `batch_first=True`):
#
# | argument | shape, dtype | meaning |
# |---|---|---|
# | `emissions` | $(B, T, K)$ float | word-by-tag scores, padded to $T$ |
# | `tags` | $(B, T)$ `torch.long` | tag ids; at padded positions any valid id, to be ignored |
# | `mask` | $(B, T)$ `torch.bool` | True at real words; **real words first** (left-aligned) |
# | `start`, `end` | $(K,)$ | first-tag and last-tag scores |
# | `transitions` | $(K, K)$ | `transitions[i, j]` = score of moving **from** tag $i$ **to** tag $j$ |
#
# The first step of every row is real (`mask[:, 0]` all True): an empty sentence has no tag path.
# `pytorch-crf` requires the same. Padded steps must never change a result, whatever finite emissions and
# valid tag ids they hold.
#
# ### Exercise 1 — the score of a tag path (2 points)
#
# Write `path_score(emissions, tags, mask, start, transitions, end)` → $(B,)$: $s(y)$ of each row, where
# the sum over $t$ runs over real steps only, the transitions are those between **consecutive real
# steps**, and `end` is read at each row's **last real** tag (not at position $T-1$). No loop over the
# batch is needed: `gather` or advanced indexing picks the scores, the mask removes the padded ones.

# %% nbgrader="answer" grade_id="path_score"
def path_score(emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor, start: torch.Tensor,
               transitions: torch.Tensor, end: torch.Tensor) -> torch.Tensor:
    """emissions (B, T, K), tags (B, T) long, mask (B, T) bool (left-aligned), start (K,), transitions (K, K)
    (from row tag to column tag), end (K,) -> the score s(y) of each row's tag path: (B,)."""
    ### BEGIN SOLUTION
    B, T, _ = emissions.shape
    real = mask.to(emissions.dtype)                                              # (B, T)
    emitted = emissions.gather(2, tags.unsqueeze(-1)).squeeze(-1)                # (B, T): E[t, y_t]
    score = start[tags[:, 0]] + (emitted * real).sum(dim=1)                      # (B,)
    if T > 1:
        moves = transitions[tags[:, :-1], tags[:, 1:]]                           # (B, T-1): A[y_{t-1}, y_t]
        score = score + (moves * real[:, 1:]).sum(dim=1)
    last = mask.sum(dim=1) - 1                                                   # (B,) index of the last real step
    return score + end[tags[torch.arange(B), last]]
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_path_score" points=2
# K = 3 tags, two sentences: lengths 3 and 2 (the second padded with tag 1 and emissions of 50)
_em = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 3.0]],
                    [[0.5, 0.0, 4.0], [7.0, 0.0, 0.0], [50.0, 50.0, 50.0]]])
_tags = torch.tensor([[0, 1, 2], [2, 0, 1]])
_mask = torch.tensor([[True, True, True], [True, True, False]])
_start, _end = torch.tensor([0.1, 0.2, 0.3]), torch.tensor([1.0, 2.0, 3.0])
_trans = torch.tensor([[0.0, 0.1, 0.2], [0.3, 0.4, 0.5], [0.6, 0.7, 0.8]])     # _trans[i, j]: from i to j
_want = torch.tensor([0.1 + (1.0 + 2.0 + 3.0) + (0.1 + 0.5) + 3.0,              # start[0] + E + A[0,1] + A[1,2] + end[2]
                      0.3 + (4.0 + 7.0) + 0.6 + 1.0])                           # start[2] + E + A[2,0] + end[0]
_got = run_answer(path_score, _em, _tags, _mask, _start, _trans, _end, name="path_score on two sentences (lengths 3, 2)")
check_type(_got, torch.Tensor, "path_score output", hint="return a tensor of shape (B,), not a Python number or list")
check_shape(_got, (2,), "path_score output (B=2)", hint="one score per sentence: sum over the time axis only")
check_close(_got[0], _want[0], "path_score of the unpadded sentence 0 (tags 0, 1, 2)",
            hint="start[y_0] + the emission of each tag + transitions[y_{t-1}, y_t] (from the earlier tag, row; "
                 "to the later one, column) + end[y_last]")
check_close(_got, _want, "path_score with sentence 1 of length 2 in a batch of length 3",
            hint="at padded steps add neither the emission nor the transition, and read `end` at the last REAL tag "
                 "(index mask.sum(1) - 1), not at position T - 1")
_one = run_answer(path_score, _em[:1, :1], _tags[:1, :1], _mask[:1, :1], _start, _trans, _end,
                  name="path_score on one sentence of one word")
check_close(_one, torch.tensor([0.1 + 1.0 + 1.0]), "path_score of a one-word sentence (start + emission + end)",
            hint="with one word there is no transition; the first tag is also the last")
_em64 = _em.double()
check_dtype(run_answer(path_score, _em64, _tags, _mask, _start.double(), _trans.double(), _end.double(),
                       name="path_score in float64"), torch.float64, "path_score keeps float64",
            hint="compute with the inputs' tensors; do not build the result in torch.zeros(B) (float32)")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import (check_close, check_dtype, check_equal, check_raises, check_true,  # the course's
                                       run_answer)                          # helpers, even if an answer cell rebound them


def _brute_path_score(em, path, start, trans, end):
    s = start[path[0]] + end[path[-1]] + sum(em[t, y] for t, y in enumerate(path))
    return s + sum(trans[a, b] for a, b in zip(path, path[1:]))


_g = torch.Generator().manual_seed(11)
_B, _T, _K = 6, 7, 5
_lens = torch.tensor([7, 1, 4, 2, 7, 3])
_m = torch.arange(_T)[None] < _lens[:, None]
_e = torch.randn(_B, _T, _K, generator=_g, dtype=torch.float64)
_y = torch.randint(0, _K, (_B, _T), generator=_g)
_s, _a, _n = (torch.randn(_K, generator=_g, dtype=torch.float64), torch.randn(_K, _K, generator=_g, dtype=torch.float64),
              torch.randn(_K, generator=_g, dtype=torch.float64))
_want = torch.stack([_brute_path_score(_e[b], _y[b, :int(_lens[b])].tolist(), _s, _a, _n) for b in range(_B)])
_e_pad, _y_pad = _e.clone(), _y.clone()
_e_pad[~_m] = 1e6
_y_pad[~_m] = _K - 1
_asym = torch.zeros(_K, _K, dtype=torch.float64)
_asym[0, 1] = 5.0                                        # only the move 0 -> 1 scores
_want_asym = torch.tensor([5.0, 0.0], dtype=torch.float64)
import torchcrf
_ref = torchcrf.CRF(_K, batch_first=True).double()
with torch.no_grad():
    _ref.start_transitions.copy_(_s)
    _ref.transitions.copy_(_a)
    _ref.end_transitions.copy_(_n)
_want_crf = _ref._compute_score(_e.transpose(0, 1), _y.transpose(0, 1), _m.transpose(0, 1))
with written_by_you("path_score"):
    _got = run_answer(path_score, _e, _y, _m, _s, _a, _n, name="hidden check: random float64 batch")
    check_close(_got, _want, "hidden check: 6 sentences of lengths 7, 1, 4, 2, 7, 3 against the formula", atol=1e-10)
    check_close(_got, _want_crf, "hidden check: equals pytorch-crf's path score", atol=1e-10)
    check_close(run_answer(path_score, _e_pad, _y_pad, _m, _s, _a, _n, name="hidden check: padding filled"),
                _want, "hidden check: padded emissions of 1e6 and other padded tags change nothing", atol=1e-6)
    check_close(run_answer(path_score, torch.zeros(2, 2, _K, dtype=torch.float64), torch.tensor([[0, 1], [1, 0]]),
                           torch.ones(2, 2, dtype=torch.bool), torch.zeros(_K, dtype=torch.float64), _asym,
                           torch.zeros(_K, dtype=torch.float64), name="hidden check: direction of a transition"),
                _want_asym, "hidden check: transitions[i, j] is the move from i to j, not from j to i")
    check_close(run_answer(path_score, _e[1:2, :1], _y[1:2, :1], _m[1:2, :1], _s, _a, _n, name="hidden check: B=1, T=1"),
                _want[1:2], "hidden check: batch 1, length 1", atol=1e-10)
    _e_grad = _e.clone().requires_grad_(True)
    _got = run_answer(path_score, _e_grad, _y, _m, _s, _a, _n, name="hidden check: gradient", copy=False)
    check_true(isinstance(_got, torch.Tensor) and _got.requires_grad, "hidden check: the score carries a gradient",
               "the returned score is detached from the emissions")
    _got.sum().backward()
    _want_grad = torch.zeros_like(_e).scatter_(2, _y.unsqueeze(-1), 1.0) * _m.unsqueeze(-1)
    check_close(_e_grad.grad, _want_grad, "hidden check: gradient is 1 at each real (step, tag) of the path, 0 elsewhere")
### END HIDDEN TESTS

# %% [markdown]
# ## 3. The partition function, by the forward algorithm
#
# $\log Z$ sums $e^{s(y)}$ over $K^L$ paths: $7^{20} \approx 8 \cdot 10^{16}$ for a 20-word sentence with our
# 7 tags. The **forward algorithm** shares the work. Let $\alpha_t(j)$ be the log of the summed $e^{\text{score}}$
# of all paths over words $0..t$ that end in tag $j$:
#
# $$\alpha_0(j) = \text{start}_j + E_{0,j}, \qquad
#   \alpha_t(j) = \log \sum_i \exp\big(\alpha_{t-1}(i) + A_{ij}\big) + E_{t,j}, \qquad
#   \log Z = \log \sum_j \exp\big(\alpha_{L-1}(j) + \text{end}_j\big).$$
#
# That is $O(L K^2)$ instead of $O(K^L)$. Three things to get right:
#
# - **log space**: path scores add up over a sentence and can be large (the test below uses scores near
#   1000), and `exp(800)` is already `inf` in float64. Use
#   `torch.logsumexp`, never `exp` of raw scores followed by `log`.
# - **batched**: $\alpha$ is $(B, K)$; one step is `logsumexp` over the previous tag of a $(B, K, K)$ tensor
#   `alpha[:, :, None] + transitions[None]` (axis 1 is the previous tag $i$, axis 2 the next tag $j$).
# - **masked**: a sentence that has ended keeps its $\alpha$ through the padded steps (`torch.where` on the
#   mask), so that $\text{end}$ is added to its last real $\alpha$.
#
# ### Exercise 2 — the log-partition (2 points)
#
# Write `log_partition(emissions, mask, start, transitions, end)` → $(B,)$, $\log Z$ of each row, batched:
# the loop runs over the time steps, not over the sentences. It must raise a `ValueError` that says which
# rows start with padding when `mask[:, 0]` is not all True.

# %% nbgrader="answer" grade_id="log_partition"
def log_partition(emissions: torch.Tensor, mask: torch.Tensor, start: torch.Tensor, transitions: torch.Tensor,
                  end: torch.Tensor) -> torch.Tensor:
    """emissions (B, T, K), mask (B, T) bool (left-aligned, first step real), start (K,), transitions (K, K),
    end (K,) -> log Z of each row: (B,). The forward algorithm in log space."""
    ### BEGIN SOLUTION
    if not bool(mask[:, 0].all()):
        rows = torch.nonzero(~mask[:, 0]).flatten().tolist()
        raise ValueError(f"the first step of every row must be real; rows {rows} start with padding")
    alpha = start + emissions[:, 0]                                               # (B, K)
    for t in range(1, emissions.shape[1]):
        scores = alpha.unsqueeze(2) + transitions.unsqueeze(0)                    # (B, K prev, K next)
        step = torch.logsumexp(scores, dim=1) + emissions[:, t]                   # (B, K)
        alpha = torch.where(mask[:, t].unsqueeze(1), step, alpha)                 # ended rows keep alpha
    return torch.logsumexp(alpha + end, dim=1)                                    # (B,)
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_log_partition" points=2
def _all_path_scores(em, n, start, trans, end):
    """The score of every one of the K^n tag paths of the first n words of one sentence (em: (T, K)), by brute
    force: one row per path, in the order of itertools.product(range(K), repeat=n)."""
    p = torch.tensor(list(itertools.product(range(em.shape[-1]), repeat=n)))     # (K^n, n): every path
    return (start[p[:, 0]] + em[torch.arange(n), p].sum(dim=1) + trans[p[:, :-1], p[:, 1:]].sum(dim=1)
            + end[p[:, -1]])


torch.manual_seed(0)
_em, _start, _trans, _end = torch.randn(3, 4, 3), torch.randn(3), torch.randn(3, 3), torch.randn(3)
_mask = torch.tensor([[True, True, True, True], [True, True, False, False], [True, False, False, False]])
_want = torch.stack([torch.logsumexp(_all_path_scores(_em[b], n, _start, _trans, _end), 0) for b, n in enumerate([4, 2, 1])])
_got = run_answer(log_partition, _em[:1], _mask[:1], _start, _trans, _end, name="log_partition, one sentence of 4 words")
check_type(_got, torch.Tensor, "log_partition output")
check_shape(_got, (1,), "log_partition output for B=1", hint="one log Z per sentence: shape (B,)")
check_close(_got, _want[:1], "log Z of one 4-word sentence against logsumexp over all 81 paths",
            hint="alpha_0 = start + E_0; alpha_t = logsumexp over the PREVIOUS tag (dim 1 of alpha[:, :, None] + "
                 "transitions) + E_t; finally logsumexp(alpha + end)")
check_close(run_answer(log_partition, _em, _mask, _start, _trans, _end, name="log_partition, lengths 4, 2, 1"), _want,
            "log Z of sentences of lengths 4, 2, 1 in one batch",
            hint="at a padded step keep alpha as it is (torch.where(mask[:, t, None], new, alpha)); add `end` once, "
                 "after the loop")
_big = run_answer(log_partition, 400 * _em, _mask, _start, _trans, _end, name="log_partition with scores of size 1000")
check_true(bool(torch.isfinite(_big).all()), "log_partition with emissions of size up to 1000 is finite",
           f"got {_big.tolist()}", hint="exp(1000) overflows: stay in log space with torch.logsumexp")
check_close(_big, torch.stack([torch.logsumexp(_all_path_scores(400 * _em[b], n, _start, _trans, _end), 0)
                               for b, n in enumerate([4, 2, 1])]), "log Z with scores of size 1000", rtol=1e-5, atol=1e-2)
check_raises(lambda: log_partition(_em, ~_mask, _start, _trans, _end), ValueError,
             "log_partition with rows that start with padding",
             hint="check mask[:, 0].all() first and raise ValueError naming the rows")


_bad = _mask.clone()
_bad[1] = False                                                                  # only row 1 starts with padding
check_raises(lambda: log_partition(_em, _bad, _start, _trans, _end), ValueError,
             "log_partition when only row 1 (all padding) starts with padding")
_msg = raised_message(lambda: log_partition(_em, _bad, _start, _trans, _end))
check_true("1" in _msg, "the ValueError names the row that starts with padding (row 1)", f"the message was {_msg!r}",
           hint="name the rows: torch.nonzero(~mask[:, 0]).flatten().tolist()")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import (check_close, check_dtype, check_equal, check_raises, check_true,  # the course's
                                       count_reductions, run_answer)                          # helpers, even if an answer cell rebound them
import torchcrf
_g = torch.Generator().manual_seed(21)
_B, _T, _K = 5, 6, 4
_lens = torch.tensor([6, 1, 3, 6, 2])
_m = torch.arange(_T)[None] < _lens[:, None]
_e = torch.randn(_B, _T, _K, generator=_g, dtype=torch.float64)
_s, _a, _n = (torch.randn(_K, generator=_g, dtype=torch.float64), torch.randn(_K, _K, generator=_g, dtype=torch.float64),
              torch.randn(_K, generator=_g, dtype=torch.float64))
_want = torch.stack([torch.logsumexp(_all_path_scores(_e[b], int(_lens[b]), _s, _a, _n), 0) for b in range(_B)])
_ref = torchcrf.CRF(_K, batch_first=True).double()
with torch.no_grad():
    _ref.start_transitions.copy_(_s)
    _ref.transitions.copy_(_a)
    _ref.end_transitions.copy_(_n)
_want_crf = _ref._compute_normalizer(_e.transpose(0, 1), _m.transpose(0, 1))
_e_pad = _e.clone()
_e_pad[~_m] = 1e6
_asym = torch.zeros(2, 2, dtype=torch.float64)
_asym[0, 1] = 3.0
_em_asym = torch.tensor([[[5.0, 0.0], [0.0, 0.0]]], dtype=torch.float64)
_want_asym = torch.logsumexp(torch.tensor([5.0, 5.0 + 3.0, 0.0, 0.0], dtype=torch.float64), 0)[None]
_mask_bad = _m.clone()
_mask_bad[3, 0] = False

with written_by_you("log_partition"):
    _got = run_answer(log_partition, _e, _m, _s, _a, _n, name="hidden check: random float64 batch")
    check_close(_got, _want, "hidden check: log Z equals logsumexp over all K^T paths (lengths 6, 1, 3, 6, 2)", atol=1e-10)
    check_close(_got, _want_crf, "hidden check: log Z equals pytorch-crf's normaliser", atol=1e-10)
    check_dtype(_got, torch.float64, "hidden check: float64 stays float64")
    check_close(run_answer(log_partition, _e_pad, _m, _s, _a, _n, name="hidden check: padding 1e6"), _want,
                "hidden check: padded emissions of 1e6 change nothing", atol=1e-8)
    check_close(run_answer(log_partition, _em_asym, torch.ones(1, 2, dtype=torch.bool), torch.zeros(2, dtype=torch.float64),
                           _asym, torch.zeros(2, dtype=torch.float64), name="hidden check: direction"), _want_asym,
                "hidden check: transitions[i, j] scores the move from i to j (logsumexp over the previous tag)", atol=1e-10)
    check_close(run_answer(log_partition, _e[1:2, :1], _m[1:2, :1], _s, _a, _n, name="hidden check: B=1, T=1"),
                torch.logsumexp(_s + _e[1, 0] + _n, 0)[None], "hidden check: batch 1, length 1", atol=1e-10)
    _inputs = tuple(x.clone().requires_grad_(True) for x in (_e[:2, :3], _s, _a, _n))
    _ok = run_answer(lambda: torch.autograd.gradcheck(lambda e, s, a, n: log_partition(e, _m[:2, :3], s, a, n), _inputs,
                                                      raise_exception=False), name="hidden check: gradcheck")
    check_true(bool(_ok), "hidden check: gradcheck of log Z with respect to emissions, start, transitions, end",
               "the gradient differs from finite differences (or does not reach every input)")
    check_raises(lambda: log_partition(_e, _mask_bad, _s, _a, _n), ValueError,
                 "hidden check: a single row (row 3) that starts with padding is refused")
    _msg = raised_message(lambda: log_partition(_e, _mask_bad, _s, _a, _n))
    check_true("3" in _msg, "hidden check: the ValueError names row 3, the one that starts with padding",
               f"the message was {_msg!r}")
    with count_reductions() as _r3:
        run_answer(log_partition, _e[:3], _m[:3], _s, _a, _n, name="hidden check: 3 sentences")
    with count_reductions() as _r6:
        run_answer(log_partition, torch.cat([_e[:3], _e[:3]]), torch.cat([_m[:3], _m[:3]]), _s, _a, _n,
                   name="hidden check: the same 3 sentences twice")
    check_true(_r3.count == _r6.count, "hidden check: the forward algorithm is batched (no loop over the sentences)",
               f"{_r3.count} logsumexp/max reductions for 3 sentences, {_r6.count} for 6")
### END HIDDEN TESTS

# %% [markdown]
# ## 4. The CRF loss
#
# Training maximises the log-probability of the right tag path: its loss is
#
# $$-\log p(y \mid x) = \log Z - s(y),$$
#
# never negative, and 0 only when the right path takes all the probability. Its gradient with respect to
# the emissions is (expected tag counts under the model) − (the right path's tag counts): the model is
# pushed towards the right path and away from the paths it currently believes in.
#
# ### Exercise 3 — the CRF loss (1 point)
#
# Write `crf_nll(emissions, tags, mask, start, transitions, end)` → a 0-dim tensor: the **mean over the
# batch** of $\log Z - s(y)$ (one term per sentence, not per word). Use your two functions. `pytorch-crf`'s
# `CRF.forward` returns the *log-likelihood*, *summed* over the batch by default; the hidden tests compare
# with `-CRF(K, batch_first=True)(emissions, tags, mask, reduction="mean")`.

# %% nbgrader="answer" grade_id="crf_nll"
def crf_nll(emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor, start: torch.Tensor,
            transitions: torch.Tensor, end: torch.Tensor) -> torch.Tensor:
    """The CRF loss: mean over the batch of log Z - s(tags). Shapes as in path_score; returns a 0-dim tensor."""
    ### BEGIN SOLUTION
    log_z = log_partition(emissions, mask, start, transitions, end)              # (B,)
    return (log_z - path_score(emissions, tags, mask, start, transitions, end)).mean()
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_crf_nll" points=1
# all scores 0: every one of the K^L paths is equally likely, so -log p(y) = L log K for each sentence
_zeros = torch.zeros(2, 3, 4)
_nll = run_answer(crf_nll, _zeros, torch.zeros(2, 3, dtype=torch.long), torch.tensor([[True] * 3, [True, True, False]]),
                  torch.zeros(4), torch.zeros(4, 4), torch.zeros(4), name="crf_nll with all scores 0")
check_shape(_nll, (), "crf_nll output", hint="one number for the batch: a 0-dim tensor (.mean() of the (B,) terms)")
check_close(_nll, torch.tensor((3 + 2) / 2 * np.log(4)), "crf_nll with all scores 0, lengths 3 and 2, K = 4",
            hint="the mean over sentences of L log K = (3 log 4 + 2 log 4) / 2; not the sum, not a mean per word")
# its gradient: (expected tag counts - the right path's counts) / B = (1/K - 1 at the right tag) / 2 at real words
_zeros_grad = torch.zeros(2, 3, 4, requires_grad=True)
_mask_zg = torch.tensor([[True] * 3, [True, True, False]])
_nll = run_answer(crf_nll, _zeros_grad, torch.zeros(2, 3, dtype=torch.long), _mask_zg, torch.zeros(4), torch.zeros(4, 4),
                  torch.zeros(4), name="crf_nll's gradient with all scores 0", copy=False)
check_true(isinstance(_nll, torch.Tensor) and _nll.requires_grad, "crf_nll carries a gradient",
           "the loss is detached from the emissions", hint="compute with tensor operations only (no float(), "
           ".item() or torch.tensor(...) of results)")
_nll.backward()
_want_grad = (0.25 - torch.nn.functional.one_hot(torch.zeros(2, 3, dtype=torch.long), 4)) / 2 * _mask_zg.unsqueeze(-1)
check_close(_zeros_grad.grad, _want_grad, "crf_nll's gradient with respect to the emissions, all scores 0",
            hint="(1/K at each real word, minus 1 at its right tag) / B: both log Z and the path score must keep their "
                 "gradients (no .detach())")
torch.manual_seed(1)
_em, _start, _trans, _end = torch.randn(2, 3, 3), torch.randn(3), torch.randn(3, 3), torch.randn(3)
_tags = torch.tensor([[2, 0, 1], [1, 1, 0]])
_mask = torch.tensor([[True, True, True], [True, True, False]])
_want = []
for _b, _n in enumerate([3, 2]):
    _paths = list(itertools.product(range(3), repeat=_n))
    _scores = _all_path_scores(_em[_b], _n, _start, _trans, _end)
    _want.append(torch.logsumexp(_scores, 0) - _scores[_paths.index(tuple(_tags[_b, :_n].tolist()))])
_got = run_answer(crf_nll, _em, _tags, _mask, _start, _trans, _end, name="crf_nll on two sentences")
check_true(bool(_got > 0), "crf_nll is positive", f"got {float(_got):.4f}",
           hint="the loss is log Z - s(y), not s(y) - log Z: log Z is at least the score of any one path")
check_close(_got, torch.stack(_want).mean(), "crf_nll against brute force over all paths (mean of 2 sentences)",
            hint="mean over the batch of log_partition(...) - path_score(...)")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import (check_close, check_dtype, check_equal, check_raises, check_true,  # the course's
                                       run_answer)                          # helpers, even if an answer cell rebound them
import torchcrf
_g = torch.Generator().manual_seed(31)
_B, _T, _K = 5, 7, 6
_lens = torch.tensor([7, 2, 1, 5, 7])
_m = torch.arange(_T)[None] < _lens[:, None]
_e = torch.randn(_B, _T, _K, generator=_g, dtype=torch.float64)
_y = torch.randint(0, _K, (_B, _T), generator=_g)
_ref = torchcrf.CRF(_K, batch_first=True).double()
torch.nn.init.normal_(_ref.transitions, generator=_g)
_s, _a, _n = _ref.start_transitions.detach().clone(), _ref.transitions.detach().clone(), _ref.end_transitions.detach().clone()
_e_ref = _e.clone().requires_grad_(True)
_want = -_ref(_e_ref, _y, mask=_m, reduction="mean")
_want.backward()
_want_grad = _e_ref.grad
_want_1 = -_ref(_e[2:3, :1], _y[2:3, :1], mask=_m[2:3, :1], reduction="mean")
with written_by_you("crf_nll"):
    _e_grad = _e.clone().requires_grad_(True)
    _got = run_answer(crf_nll, _e_grad, _y, _m, _s, _a, _n, name="hidden check: pytorch-crf parity", copy=False)
    check_close(_got, _want.detach(), "hidden check: equals -pytorch-crf(..., reduction='mean') in float64", atol=1e-10)
    check_dtype(_got, torch.float64, "hidden check: float64 stays float64")
    _got.backward()
    check_close(_e_grad.grad, _want_grad, "hidden check: gradient with respect to the emissions equals pytorch-crf's",
                atol=1e-10)
    check_close(run_answer(crf_nll, _e[2:3, :1], _y[2:3, :1], _m[2:3, :1], _s, _a, _n, name="hidden check: B=1, T=1"),
                _want_1.detach(), "hidden check: batch 1, length 1", atol=1e-10)
    _inputs = tuple(x.clone().requires_grad_(True) for x in (_e[:3, :4], _a))
    _ok = run_answer(lambda: torch.autograd.gradcheck(lambda e, a: crf_nll(e, _y[:3, :4], _m[:3, :4], _s, a, _n), _inputs,
                                                      raise_exception=False), name="hidden check: gradcheck")
    check_true(bool(_ok), "hidden check: gradcheck of the loss with respect to emissions and transitions",
               "the gradient differs from finite differences")
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Decoding: Viterbi
#
# The best path $\hat y = \arg\max_y s(y)$ comes from the forward recursion with **max** in place of
# logsumexp, plus **back-pointers** that remember which previous tag gave each maximum:
#
# $$\delta_0(j) = \text{start}_j + E_{0,j}, \qquad
#   \delta_t(j) = \max_i \big(\delta_{t-1}(i) + A_{ij}\big) + E_{t,j}, \qquad
#   \psi_t(j) = \arg\max_i \big(\delta_{t-1}(i) + A_{ij}\big).$$
#
# At the end the best last tag is $\arg\max_j \delta_{L-1}(j) + \text{end}_j$, and following $\psi$ backwards
# from it, from step $L-1$ down to step 1, gives the whole path. With a batch, a sentence that has ended keeps
# its $\delta$ through the padding (as in the forward algorithm) and its back-tracking starts at its own
# last real step.
#
# ### Exercise 4 — Viterbi decoding (2 points)
#
# Write `viterbi_decode(emissions, mask, start, transitions, end)` → `(scores, paths)`: `scores` a $(B,)$
# tensor of the best path scores $s(\hat y)$ in the emissions' dtype, `paths` a list of $B$ lists of Python ints, list $b$ as long as
# sentence $b$ (`mask[b].sum()`). The forward pass is batched (no loop over the batch); following the
# back-pointers may loop over sentences. Ties (two best paths with equal scores) may be broken either way:
# the tests use random scores, where they do not occur.

# %% nbgrader="answer" grade_id="viterbi_decode"
def viterbi_decode(emissions: torch.Tensor, mask: torch.Tensor, start: torch.Tensor, transitions: torch.Tensor,
                   end: torch.Tensor) -> tuple[torch.Tensor, list[list[int]]]:
    """emissions (B, T, K), mask (B, T) bool (left-aligned, first step real), start (K,), transitions (K, K),
    end (K,) -> (scores (B,), paths: B lists of ints, list b of length mask[b].sum())."""
    ### BEGIN SOLUTION
    B, T, _ = emissions.shape
    delta = start + emissions[:, 0]                                               # (B, K)
    pointers = []
    for t in range(1, T):
        best, arg = (delta.unsqueeze(2) + transitions.unsqueeze(0)).max(dim=1)   # (B, K prev, K next) -> (B, K)
        pointers.append(arg)                                                      # (B, K): best previous tag
        delta = torch.where(mask[:, t].unsqueeze(1), best + emissions[:, t], delta)
    scores, last = (delta + end).max(dim=1)                                       # (B,), (B,)
    lengths = mask.sum(dim=1).tolist()
    paths = []
    for b in range(B):
        path = [int(last[b])]
        for t in range(lengths[b] - 1, 0, -1):                                    # pointers[t - 1] leads back to t - 1
            path.append(int(pointers[t - 1][b, path[-1]]))
        paths.append(path[::-1])
    return scores, paths
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_viterbi_decode" points=2
def _brute_best(em, n, start, trans, end):
    """(best score, best path) over all K^n paths of one sentence, by brute force."""
    paths = list(itertools.product(range(em.shape[-1]), repeat=n))
    scores = _all_path_scores(em, n, start, trans, end)
    return scores.max(), list(paths[int(scores.argmax())])


torch.manual_seed(7)                                   # best paths [1, 0, 2, 0, 0], [2, 0], [1]: not per-word argmaxes
_em, _start, _trans, _end = torch.randn(3, 5, 3), torch.randn(3), torch.randn(3, 3), torch.randn(3)
_mask = torch.arange(5)[None] < torch.tensor([5, 2, 1])[:, None]
_want = [_brute_best(_em[b], n, _start, _trans, _end) for b, n in enumerate([5, 2, 1])]
_out = run_answer(viterbi_decode, _em[:1], _mask[:1], _start, _trans, _end, name="viterbi_decode, one sentence of 5 words")
check_true(isinstance(_out, tuple) and len(_out) == 2, "viterbi_decode return value",
           f"expected a tuple (scores, paths), got {type(_out).__name__}", hint="return scores, paths")
_scores, _paths = _out
check_type(_paths, list, "viterbi_decode paths", hint="a list with one list of ints per sentence")
check_true(len(_paths) == 1 and isinstance(_paths[0], list) and all(type(x) is int for x in _paths[0]),
           "viterbi_decode paths of one sentence", f"got {_paths!r}",
           hint="paths[b] is a Python list of int tag ids (int(tensor) or .tolist()), not a tensor")
check_equal(_paths[0], _want[0][1], "the best path of one 5-word sentence (brute force over all 243 paths)",
            hint="delta_t = max over the previous tag of (delta_{t-1} + transitions) + E_t; keep the argmax as "
                 "back-pointers and follow them back from the best last tag (add `end` first)")
check_close(_scores, _want[0][0][None], "the best path's score for one sentence",
            hint="the score of the best path: max of delta_last + end")
_scores, _paths = run_answer(viterbi_decode, _em, _mask, _start, _trans, _end, name="viterbi_decode, lengths 5, 2, 1")
check_equal([len(p) for p in _paths], [5, 2, 1], "lengths of the decoded paths",
            hint="each path is as long as its sentence (mask[b].sum()), not padded to T")
check_equal(_paths, [w[1] for w in _want], "best paths of sentences of lengths 5, 2, 1 in one batch",
            hint="a sentence that has ended keeps its delta through the padding (torch.where on the mask), and its "
                 "back-tracking starts at its own last real step")
check_close(_scores, torch.stack([w[0] for w in _want]), "best path scores, lengths 5, 2, 1",
            hint="keep delta unchanged at padded steps, then add `end`")
check_dtype(run_answer(viterbi_decode, _em.double(), _mask, _start.double(), _trans.double(), _end.double(),
                       name="viterbi_decode in float64")[0], torch.float64, "viterbi_decode scores keep float64",
            hint="the scores are the max of delta + end, in the inputs' dtype (no .float(), no torch.zeros(B))")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import (check_close, check_dtype, check_equal, check_raises, check_true,  # the course's
                                       count_reductions, run_answer)                          # helpers, even if an answer cell rebound them
import torchcrf
_g = torch.Generator().manual_seed(41)
_B, _T, _K = 6, 6, 4
_lens = torch.tensor([6, 1, 3, 6, 2, 5])
_m = torch.arange(_T)[None] < _lens[:, None]
_e = torch.randn(_B, _T, _K, generator=_g, dtype=torch.float64)
_s, _a, _n = (torch.randn(_K, generator=_g, dtype=torch.float64), torch.randn(_K, _K, generator=_g, dtype=torch.float64),
              torch.randn(_K, generator=_g, dtype=torch.float64))
_want = [_brute_best(_e[b], int(_lens[b]), _s, _a, _n) for b in range(_B)]
_e2 = torch.randn(8, 12, 7, generator=_g, dtype=torch.float64)
_m2 = torch.arange(12)[None] < torch.tensor([12, 3, 9, 1, 12, 7, 2, 10])[:, None]
_a2 = torch.randn(7, 7, generator=_g, dtype=torch.float64)
_ref2 = torchcrf.CRF(7, batch_first=True).double()
with torch.no_grad():
    _ref2.transitions.copy_(_a2)
_want2 = _ref2.decode(_e2, _m2)
_s2, _n2 = _ref2.start_transitions.detach().clone(), _ref2.end_transitions.detach().clone()
_e_pad = _e.clone()
_e_pad[~_m] = 1e6
_asym = torch.zeros(2, 2, dtype=torch.float64)
_asym[1, 0] = 10.0                                        # only the move 1 -> 0 pays
_em_asym = torch.tensor([[[0.0, 1.0], [1.0, 0.0]]], dtype=torch.float64)

with written_by_you("viterbi_decode"):
    _scores, _paths = run_answer(viterbi_decode, _e, _m, _s, _a, _n, name="hidden check: random float64 batch")
    check_equal(_paths, [w[1] for w in _want], "hidden check: best paths equal brute force (lengths 6, 1, 3, 6, 2, 5)")
    check_dtype(_scores, torch.float64, "hidden check: float64 scores stay float64")
    check_close(_scores, torch.stack([w[0] for w in _want]), "hidden check: best scores equal brute force", atol=1e-10)
    _scores, _paths = run_answer(viterbi_decode, _e2, _m2, _s2, _a2, _n2, name="hidden check: pytorch-crf parity")
    check_equal(_paths, _want2, "hidden check: 8 sentences, 7 tags: paths equal pytorch-crf's decode")
    _scores, _paths = run_answer(viterbi_decode, _e_pad, _m, _s, _a, _n, name="hidden check: padding 1e6")
    check_equal(_paths, [w[1] for w in _want], "hidden check: padded emissions of 1e6 change no path")
    _scores, _paths = run_answer(viterbi_decode, _em_asym, torch.ones(1, 2, dtype=torch.bool), torch.zeros(2, dtype=torch.float64),
                                 _asym, torch.zeros(2, dtype=torch.float64), name="hidden check: direction")
    check_equal(_paths, [[1, 0]], "hidden check: transitions[i, j] is the move from i to j (best path 1 -> 0)")
    _scores, _paths = run_answer(viterbi_decode, _e[1:2, :1], _m[1:2, :1], _s, _a, _n, name="hidden check: B=1, T=1")
    check_equal(_paths, [[int((_s + _e[1, 0] + _n).argmax())]], "hidden check: batch 1, length 1")
    check_close(_scores, (_s + _e[1, 0] + _n).max()[None], "hidden check: batch 1, length 1 (score)", atol=1e-10)
    with count_reductions() as _r3:
        run_answer(viterbi_decode, _e[:3], _m[:3], _s, _a, _n, name="hidden check: 3 sentences")
    with count_reductions() as _r6:
        run_answer(viterbi_decode, torch.cat([_e[:3], _e[:3]]), torch.cat([_m[:3], _m[:3]]), _s, _a, _n,
                   name="hidden check: the same 3 sentences twice")
    check_true(_r3.count == _r6.count, "hidden check: the forward pass is batched (no loop over the sentences)",
               f"{_r3.count} max/argmax reductions of 2-D or larger tensors for 3 sentences, {_r6.count} for 6")
### END HIDDEN TESTS

# %% [markdown]
# ## 6. The BIO rules as transition scores
#
# In the IOB2 scheme (which our data uses, and which `seqeval`'s strict mode checks) a tag `I-X` may follow
# only `B-X` or `I-X`, and a sentence may not start with `I-X`. A softmax tagger can break these rules; a
# CRF learns that the forbidden moves are rare and gives them low transition scores, but nothing forces it
# to. We can add the rules by hand: a score of 0 for every allowed move and a large negative score for
# every forbidden one, added to the learned start and transition scores at decoding time. Then Viterbi
# never picks a forbidden move unless every alternative is worse by more than the penalty.
#
# Why a large negative *number* and not $-\infty$? Scores get added and subtracted: in the forward
# algorithm, in a loss whose gold path may break the rule (an annotation error), in the gradient of
# `logsumexp` where every term of a row is forbidden. $-\infty - (-\infty)$ and $0 \cdot \infty$ are `nan`, and
# one `nan` spreads to every parameter in one optimiser step. A finite penalty keeps every number finite
# while still losing every comparison. And 0, not some positive score, for an allowed move: the
# constraints must not change which of the allowed paths wins.
#
# ### Exercise 5 — BIO constraints (1 point)
#
# Write `bio_constraints(tag_names, penalty=-1e4)` → `(start_mask, transition_mask)`: float32 tensors of
# shapes $(K,)$ and $(K, K)$ (rows: the earlier tag, columns: the later one, as `transitions`), 0 where
# IOB2 allows and `penalty` where it forbids, whatever the names. Tag names are `"O"`, `"B-X"` or `"I-X"`; the
# type `X` is everything after the first two characters (`I-GEO-LOC` has the type `GEO-LOC`). Nothing
# constrains the last tag.

# %% nbgrader="answer" grade_id="bio_constraints"
def bio_constraints(tag_names: list[str], penalty: float = -1e4) -> tuple[torch.Tensor, torch.Tensor]:
    """tag_names: K names ("O", "B-X", "I-X"). Returns (start_mask (K,), transition_mask (K, K)), float32:
    0 where IOB2 allows, `penalty` where it forbids (I-X first; I-X after anything but B-X or I-X)."""
    ### BEGIN SOLUTION
    K = len(tag_names)
    start_mask, transition_mask = torch.zeros(K), torch.zeros(K, K)
    for j, later in enumerate(tag_names):
        if later.startswith("I-"):
            start_mask[j] = penalty
            for i, earlier in enumerate(tag_names):
                if earlier not in ("B-" + later[2:], "I-" + later[2:]):
                    transition_mask[i, j] = penalty
    return start_mask, transition_mask
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_bio_constraints" points=1
_names = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
_out = run_answer(bio_constraints, _names, name="bio_constraints(['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'])")
check_true(isinstance(_out, tuple) and len(_out) == 2, "bio_constraints return value",
           f"expected a tuple (start_mask, transition_mask), got {type(_out).__name__}")
_start_mask, _trans_mask = _out
check_shape(_start_mask, (5,), "start_mask (K=5)")
check_shape(_trans_mask, (5, 5), "transition_mask (K, K)")
check_dtype(_trans_mask, torch.float32, "transition_mask dtype", hint="additive scores: float32 (torch.zeros(K, K))")
P = -1e4
check_close(_start_mask, torch.tensor([0, 0, P, 0, P]), "start_mask: a sentence may not start with I-X",
            hint="penalty at every I- tag, 0 elsewhere (O and B- may start a sentence)")
_want = torch.tensor([[0, 0, P, 0, P],          # after O: no I-
                      [0, 0, 0, 0, P],          # after B-PER: I-PER allowed, I-LOC not
                      [0, 0, 0, 0, P],          # after I-PER: I-PER allowed
                      [0, 0, P, 0, 0],          # after B-LOC: I-LOC allowed
                      [0, 0, P, 0, 0]])         # after I-LOC: I-LOC allowed
check_close(_trans_mask, _want, "transition_mask for O, B-PER, I-PER, B-LOC, I-LOC",
            hint="row = earlier tag, column = later tag; only columns of I-X tags get penalties, and not in the "
                 "rows B-X and I-X of the same type X")
_s2, _t2 = run_answer(bio_constraints, _names, -50.0, name="bio_constraints(..., penalty=-50.0)")
check_close(_t2, _want * 50.0 / 1e4, "transition_mask with penalty=-50", hint="use the penalty given, not a constant")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import (check_close, check_dtype, check_equal, check_raises, check_true,  # the course's
                                       run_answer)                          # helpers, even if an answer cell rebound them


def _rule_based(names, pen):
    k = len(names)
    s, t = torch.zeros(k), torch.zeros(k, k)
    for j, b in enumerate(names):
        if b[:2] == "I-":
            s[j] = pen
            for i, a in enumerate(names):
                if not (a[:2] in ("B-", "I-") and a[2:] == b[2:]):
                    t[i, j] = pen
    return s, t


_n1 = ["B-LOC", "I-ORG", "O", "I-LOC", "B-ORG", "B-ORGANISATION", "I-ORGANISATION"]
_n2 = ["O", "B-X", "I-X"]
_n3 = ["B-MISC", "O", "I-MISC"]
_n4 = ["O", "B-GEO", "I-GEO", "B-GEO-LOC", "I-GEO-LOC", "B-X-GEO", "I-X-GEO"]
_w1, _w2, _w3 = _rule_based(_n1, -1e4), _rule_based(_n2, -123.0), _rule_based(_n3, -1e4)
_w4 = _rule_based(_n4, -1e4)
with written_by_you("bio_constraints"):
    _s, _t = run_answer(bio_constraints, _n1, name="hidden check: shuffled tag order, a type that extends another")
    check_close(_s, _w1[0], "hidden check: start_mask for a shuffled tag order")
    check_close(_t, _w1[1], "hidden check: transition_mask for a shuffled tag order; ORG is not ORGANISATION")
    _s, _t = run_answer(bio_constraints, _n2, penalty=-123.0, name="hidden check: penalty=-123 (keyword)")
    check_close(_t, _w2[1], "hidden check: transition_mask with penalty=-123 (keyword)")
    check_close(_s, _w2[0], "hidden check: start_mask with penalty=-123 (keyword)")
    _s, _t = run_answer(bio_constraints, _n3, name="hidden check: one type, O in the middle")
    check_true(bool(torch.isfinite(_t).all() and torch.isfinite(_s).all()), "hidden check: finite penalties",
               "the masks hold inf or nan")
    check_close(_t, _w3[1], "hidden check: one type MISC, O in the middle")
    check_dtype(_t, torch.float32, "hidden check: float32 transition mask")
    check_dtype(_s, torch.float32, "hidden check: float32 start mask")
    _s, _t = run_answer(bio_constraints, _n4, name="hidden check: types with hyphens (GEO, GEO-LOC, X-GEO)")
    check_close(_t, _w4[1], "hidden check: the type is everything after 'B-' or 'I-' (GEO-LOC is not GEO)")
    _s, _t = run_answer(bio_constraints, ["O", "B-X"], name="hidden check: no I- tag")
    check_true(isinstance(_s, torch.Tensor) and isinstance(_t, torch.Tensor) and _s.dtype == _t.dtype == torch.float32
               and not bool(_s.any()) and not bool(_t.any()) and tuple(_t.shape) == (2, 2),
               "hidden check: with no I- tag both masks are float32 zeros", f"got {_s!r}, {_t!r}")
### END HIDDEN TESTS

# %% [markdown]
# ## 7. The experiment: softmax tagger against BiLSTM-CRF
#
# ### Scoring first: entity F1 in strict IOB2 mode
#
# Entity F1 (`seqeval`, as in the CoNLL shared tasks) counts an entity as found only if its type and both
# boundaries are right. `seqeval`'s default mode is **lenient** about malformed sequences: it reads a
# stray `I-X` as the start of an entity, so a tagger that writes `I-PER I-PER` for `B-PER I-PER` still
# scores full marks. `mode="strict", scheme=IOB2` reads entities exactly as IOB2 defines them. The cell
# below shows the difference on one tiny case; every score of the day pins strict IOB2. We also count the
# predicted sentences that break IOB2 (`invalid_iob2(tags) > 0`: an `I-X` after neither `B-X` nor `I-X`).
# `decode_all` decodes a split three ways: each word's argmax (the softmax tagger), Viterbi with the CRF's
# learned scores, and Viterbi with your BIO constraints added to them.

# %%
from seqeval.metrics import f1_score, precision_score, recall_score
from seqeval.scheme import IOB2

_gold, _pred = [["B-PER", "I-PER", "O", "B-LOC"]], [["I-PER", "I-PER", "O", "B-LOC"]]
print(f"gold {_gold[0]}, predicted {_pred[0]}: entity F1 {f1_score(_gold, _pred):.3f} in the default mode, "
      f"{f1_score(_gold, _pred, mode='strict', scheme=IOB2):.3f} in strict IOB2 mode")


def strict_scores(true: list[list[str]], pred: list[list[str]]) -> dict[str, float]:
    kw = dict(mode="strict", scheme=IOB2)
    return {"precision": precision_score(true, pred, **kw), "recall": recall_score(true, pred, **kw),
            "F1": f1_score(true, pred, **kw), "invalid": sum(invalid_iob2(p) > 0 for p in pred)}


@torch.no_grad()
def decode_all(model: nn.Module, pairs, how: str) -> tuple[list[list[str]], list[list[str]]]:
    """Predicted and true tag names of every sentence of `pairs`. how: "argmax" (each word alone),
    "viterbi" (the CRF's learned scores) or "viterbi+BIO" (plus your bio_constraints)."""
    model.eval()
    start_mask, transition_mask = bio_constraints(TAGS)
    pred, true = [], []
    for s in range(0, len(pairs), 256):
        ids, tg, lens, m = collate_tagged(pairs[s:s + 256], pad_id=vocab.pad_id)
        em = model(ids.to(device), lens).cpu()                                 # (B, T, K)
        if how == "argmax":
            paths = [em[b, :n].argmax(-1).tolist() for b, n in enumerate(lens.tolist())]
        else:
            start, transitions = model.start.cpu(), model.transitions.cpu()
            if how == "viterbi+BIO":
                start, transitions = start + start_mask, transitions + transition_mask
            paths = viterbi_decode(em, m, start, transitions, model.end.cpu())[1]
        pred += [[TAGS[j] for j in p] for p in paths]
        true += [[TAGS[j] for j in tg[b, :n].tolist()] for b, n in enumerate(lens.tolist())]
    model.train()
    return pred, true

# %% [markdown]
# ### Two taggers, one encoder, one budget
#
# Both taggers use the same encoder, Day 05's `BiLSTMTagger` (embeddings → variational dropout → packed
# bidirectional LSTM → dropout → linear head) with 32-dimensional embeddings and states, one layer,
# dropout 0.3; both train with Adam at learning rate 5e-3 on batches of 32 from the bucketing sampler,
# gradients clipped at norm 5, for the same number of epochs and steps, from the same seed.
#
# - **softmax**: the head's outputs are per-word logits; loss = cross-entropy over real words; decoding =
#   each word's argmax.
# - **BiLSTM-CRF**: the same network's outputs are the emissions; three more parameter tensors (start,
#   transitions, end: $K + K^2 + K$ numbers) start at 0; loss = **your** `crf_nll`; decoding = **your**
#   `viterbi_decode`, with **your** `bio_constraints` added to the learned start and transition scores
#   (at decoding only: training sees the learned scores alone).
#
# After every epoch both are scored on the validation split. Everything here runs on your functions, so a
# mistake in any of them shows in these numbers. (While grading, both train for only a few steps.)

# %%
class BiLSTMCRF(nn.Module):
    """Day 05's tagger as the emission scorer (B, T, K), plus the CRF's start (K,), transitions (K, K), end (K,)."""

    def __init__(self, *args, **kwargs):
        super().__init__()
        self.emitter = BiLSTMTagger(*args, **kwargs)
        k = self.emitter.head.out_features
        self.start = nn.Parameter(torch.zeros(k))
        self.transitions = nn.Parameter(torch.zeros(k, k))
        self.end = nn.Parameter(torch.zeros(k))

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.emitter(ids, lengths)                                      # emissions (B, T, K)


def tag_batches(sampler: BucketBatchSampler):
    while True:
        for batch in sampler:
            ids, tg, lens, m = collate_tagged([encoded.train[i] for i in batch], pad_id=vocab.pad_id)
            yield ids.to(device), tg.to(device), lens, m.to(device)


def softmax_loss(model: nn.Module, batch) -> torch.Tensor:
    ids, tg, lens, m = batch
    return nn.functional.cross_entropy(model(ids, lens)[m], tg[m])           # mean over real words


def crf_loss(model: nn.Module, batch) -> torch.Tensor:
    ids, tg, lens, m = batch
    return crf_nll(model(ids, lens), tg, m, model.start, model.transitions, model.end)


train_lengths = [len(ids) for ids, _ in encoded.train]
sizes = dict(vocab_size=len(vocab), num_tags=K, embed_dim=32, hidden_size=32, dropout=0.3, pad_id=vocab.pad_id)
epochs = budget(full=4, grading=1)
models, histories, seconds, curves = {}, {}, {}, {}
for kind, make, loss_fn, how in [("softmax", BiLSTMTagger, softmax_loss, "argmax"),
                                 ("CRF", BiLSTMCRF, crf_loss, "viterbi+BIO")]:
    seed_everything(0)
    model = make(**sizes).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    sampler = BucketBatchSampler(train_lengths, 32, seed=0)
    stream, steps = tag_batches(sampler), budget(full=len(sampler), grading=5)
    histories[kind], curves[kind], seconds[kind] = [], [], 0.0
    for epoch in range(epochs):
        start_time = time.perf_counter()
        histories[kind] += train(model, optimizer, stream, loss_fn, steps, max_grad_norm=5.0, progress=False)["loss"]
        seconds[kind] += time.perf_counter() - start_time
        curves[kind].append(strict_scores(*decode_all(model, encoded.validation, how)[::-1]))
        print(f"{kind:8s} epoch {epoch + 1}: validation entity F1 {curves[kind][-1]['F1']:.3f}, "
              f"{curves[kind][-1]['invalid']} invalid sequences")
    models[kind] = model
    print(f"{kind:8s}: {sum(p.numel() for p in model.parameters()):,} parameters, {epochs * steps} steps in "
          f"{seconds[kind]:.1f} s of training, final loss {np.mean(histories[kind][-20:]):.3f} "
          f"({'nats per word' if kind == 'softmax' else 'nats per sentence'})")

# %%
fig, axes = plt.subplots(1, 3, figsize=(14, 3.5))
for ax, (kind, losses) in zip(axes, histories.items()):
    ax.plot(np.arange(1, len(losses) + 1), losses, color=PALETTE[0 if kind == "softmax" else 1])
    ax.set(xlabel="step", ylabel="loss (nats per word)" if kind == "softmax" else "CRF loss (nats per sentence)",
           title=f"{kind} tagger: training loss", yscale="log")
for i, (kind, curve) in enumerate(curves.items()):
    axes[2].plot(np.arange(1, epochs + 1), [c["F1"] for c in curve], marker="o", color=PALETTE[i],
                 label=kind if kind == "softmax" else "CRF (Viterbi + BIO rules)")
axes[2].set(xlabel="epoch", ylabel="entity F1 (strict IOB2)", title="Validation entity F1", xticks=range(1, epochs + 1))
axes[2].legend()
plt.show()

# %% [markdown]
# ### Held-out results
#
# The final models on both held-out splits, decoded three ways. The rows "CRF, Viterbi" and "CRF, Viterbi +
# BIO rules" differ only in the added constraints; with them, Viterbi could break IOB2 only if every valid
# path were worse by more than $10^4$.

# %%
results, predictions = {}, {}
for name, kind, how in [("softmax (argmax)", "softmax", "argmax"), ("CRF, Viterbi", "CRF", "viterbi"),
                        ("CRF, Viterbi + BIO rules", "CRF", "viterbi+BIO")]:
    for split in ("validation", "test"):
        pred, true = decode_all(models[kind], getattr(encoded, split), how)
        results[name, split] = strict_scores(true, pred)
        predictions[name, split] = pred
test_true = decode_all(models["softmax"], encoded.test, "argmax")[1]
print(f"{'':26s}{'split':>11s}{'precision':>10s}{'recall':>8s}{'F1':>8s}   invalid sequences")
for (name, split), r in results.items():
    print(f"{name:26s}{split:>11s}{r['precision']:10.3f}{r['recall']:8.3f}{r['F1']:8.3f}   "
          f"{r['invalid']} of {len(getattr(encoded, split))}")
for split in ("validation", "test"):
    soft, crf = results["softmax (argmax)", split], results["CRF, Viterbi + BIO rules", split]
    print(f"{split}: the BiLSTM-CRF {'beats' if crf['F1'] > soft['F1'] else 'does not beat'} the softmax tagger, "
          f"entity F1 {crf['F1']:.3f} against {soft['F1']:.3f} ({crf['F1'] - soft['F1']:+.3f}); invalid sequences "
          f"{crf['invalid']} against {soft['invalid']}")
learned, ruled = results["CRF, Viterbi", "test"], results["CRF, Viterbi + BIO rules", "test"]
print(f"the BIO rules at decoding changed the CRF's test F1 by {ruled['F1'] - learned['F1']:+.3f} and its invalid "
      f"sequences from {learned['invalid']} to {ruled['invalid']}")

# %% [markdown]
# Read the printed table and sentences: the size of the F1 difference on both held-out splits, the epoch
# curve (where the gap is widest), and how many softmax sentences break IOB2 — strict mode counts each
# broken entity as wrong, so these cost the softmax tagger F1 directly. Some errors are beyond any tagger:
# where the context does not tell the type ("everyone talked about Jordan Denver"), only a guess is
# possible, and both taggers lose F1 there. This is one run with one seed on generated data, not a
# measurement on real text.
#
# ### What the CRF learned
#
# The learned transition scores (without the constraints, which were only added at decoding): rows are the
# earlier tag, columns the later one.

# %%
A = models["CRF"].transitions.detach().cpu().numpy()
fig, ax = plt.subplots(figsize=(6.2, 5.2))
image = ax.imshow(A, cmap="RdBu", vmin=-np.abs(A).max(), vmax=np.abs(A).max())
ax.set_xticks(range(K), TAGS, rotation=45)
ax.set_yticks(range(K), TAGS)
ax.set(xlabel="to (later tag)", ylabel="from (earlier tag)", title="Learned transition scores")
ax.grid(False)
for i in range(K):
    for j in range(K):
        ax.text(j, i, f"{A[i, j]:.1f}", ha="center", va="center", fontsize=8)
fig.colorbar(image, ax=ax, shrink=0.8)
plt.show()
forbidden = np.array([[TAGS[j].startswith("I-") and TAGS[i][2:] != TAGS[j][2:] for j in range(K)] for i in range(K)])
print(f"mean learned score of the {int(forbidden.sum())} moves IOB2 forbids: {A[forbidden].mean():.2f}; "
      f"of the {int((~forbidden).sum())} allowed moves: {A[~forbidden].mean():.2f}")
print(f"highest-scoring forbidden move: {TAGS[int(np.argwhere(forbidden)[A[forbidden].argmax()][0])]} -> "
      f"{TAGS[int(np.argwhere(forbidden)[A[forbidden].argmax()][1])]} ({A[forbidden].max():.2f})")

# %% [markdown]
# ### One sentence, decoded both ways
#
# A short test sentence on which the two taggers disagree — preferably one where the softmax tagger breaks
# IOB2 and the CRF is right, failing that any disagreement (the printout says which it is) — with the true
# tags; a cell is coloured by entity type and hatched where the tag is wrong.

# %%
soft_pred, crf_pred = predictions["softmax (argmax)", "test"], predictions["CRF, Viterbi + BIO rules", "test"]
differ = [i for i in range(len(test_true)) if soft_pred[i] != crf_pred[i]]
broken = [i for i in differ if invalid_iob2(soft_pred[i]) > 0]
fixed = [i for i in broken if crf_pred[i] == test_true[i]]
pick = min(fixed or broken or differ or [0], key=lambda i: len(test_true[i]))
words = data.test[pick][0]
rows = {"true": test_true[pick], "softmax": soft_pred[pick], "CRF": crf_pred[pick]}
print(f"{len(differ)} of {len(test_true)} test sentences are tagged differently by the two taggers; in {len(broken)} "
      f"of them the softmax tagger breaks IOB2, and in {len(fixed)} of those the CRF's tags are all right")
print(f"test sentence {pick}: the softmax tags are {'right' if soft_pred[pick] == test_true[pick] else 'wrong'}"
      f"{' and break IOB2' if invalid_iob2(soft_pred[pick]) else ''}; the CRF's are "
      f"{'right' if crf_pred[pick] == test_true[pick] else 'wrong'}")
for name, tags in rows.items():
    print(f"{name:8s} " + " ".join(f"{t:>{max(len(w), 5)}s}" for w, t in zip(words, tags)))
print(f"{'words':8s} " + " ".join(f"{w:>{max(len(w), 5)}s}" for w in words))

type_colour = {"O": "#FFFFFF", "PER": PALETTE[0], "LOC": PALETTE[1], "ORG": PALETTE[2]}
fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(words)), 2.0))
for r, (name, tags) in enumerate(rows.items()):
    for c, tag in enumerate(tags):
        wrong = tag != rows["true"][c]
        ax.add_patch(plt.Rectangle((c, -r - 1), 1, 1, facecolor=type_colour[tag[2:] or "O"], alpha=0.55,
                                   edgecolor="black", hatch="///" if wrong else None, linewidth=0.5))
        ax.text(c + 0.5, -r - 0.5, tag, ha="center", va="center", fontsize=7)
ax.set_xlim(0, len(words))
ax.set_ylim(-len(rows), 0)
ax.set_xticks(np.arange(len(words)) + 0.5, words, rotation=30, fontsize=8)
ax.set_yticks([-r - 0.5 for r in range(len(rows))], list(rows))
ax.grid(False)
ax.set_title("One test sentence: true tags, softmax argmax, CRF Viterbi + BIO rules (hatched = wrong)")
plt.show()

# %% [markdown]
# ## Summary
#
# - A linear-chain CRF scores a whole tag path: start + emissions + transitions between consecutive real
#   words + end. Training minimises $\log Z - s(y)$; $\log Z$ comes from the forward algorithm in
#   $O(L K^2)$, in log space, batched and masked; decoding is the same recursion with max and back-pointers.
# - You checked each piece against brute force over every path, and the graders check them against
#   `pytorch-crf` (which returns a log-likelihood summed over the batch and is time-first by default).
# - The BIO rules are additive scores: 0 where allowed, a large finite negative number where forbidden,
#   so that nothing becomes `nan`.
# - On today's generated set, with the same encoder and the same number of steps, the table above gives the
#   measured entity F1 of both taggers (strict IOB2) and how many invalid sequences each produced, and the
#   heatmap shows the transitions the CRF learned. Score entity F1 in strict IOB2 mode: the default mode
#   reads a stray `I-X` as the start of an entity, and so forgives some of the very mistakes a CRF removes
#   (the tiny example printed 1.0 against 0.667).
#
# ## Reflection (2 points, graded by hand)
#
# Use your table, the heatmap and the decoded sentence. (a) Explain why the softmax tagger can produce an
# invalid sequence such as `B-PER I-LOC` even though it reads the whole sentence with a bidirectional LSTM,
# and why the CRF with Viterbi decoding does not. (b) The CRF's transitions could be learned from the
# training data without any hand-written rule: say what the rows "CRF, Viterbi" and "CRF, Viterbi + BIO
# rules" show about whether the rules were still needed here, and name one situation in which they would
# matter more. (3–5 sentences.)

# %% [markdown] nbgrader="manual" grade_id="reflection" points=2
# ### BEGIN SOLUTION
# *Model answer (for graders; the numbers depend on the run).* (a) The softmax tagger takes each word's
# argmax alone: the BiLSTM states of neighbouring words are computed from the same sentence, but nothing
# scores the *pair* of tags, so when an entity's type is uncertain and its words lean to different types
# ("Jordan Denver" in a context that does not tell) one word can come out `B-PER` and the next `I-LOC`.
# The CRF scores pairs of neighbouring tags and Viterbi picks the best *whole* path, so a path with
# `B-PER I-LOC` must beat every consistent path despite its transition score, which the CRF learned to be
# lower than the allowed moves (the printed means) — and with the BIO rules added it cannot win at all.
# (b) Where the two CRF rows are equal or nearly so, the learned transitions alone already kept Viterbi
# (almost) inside IOB2: forbidden moves never occur in the training tags, so their scores only go down.
# The rules matter more with little training (early epochs, or the few steps of a graded run), for rare
# entity types whose transitions are seldom seen, or when emission scores are large enough to outweigh a
# small learned penalty; they also guarantee valid output, which downstream code may rely on.
# Full marks: (a) independent per-word decisions vs. joint scoring of neighbouring tags by Viterbi;
# (b) reads the two rows correctly and names a plausible situation (little data, rare types, strong emissions).
# ### END SOLUTION
