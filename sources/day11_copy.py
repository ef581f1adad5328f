# %% [markdown]
# # Day 11 — Copy mechanisms: pointer-generators, coverage, ROUGE and subwords
#
# A sequence-to-sequence model writes from a fixed vocabulary. Everything outside it comes out as `<unk>`:
# the function name in a code summary, the number in a report, the surname in a news article. Yet those words
# are often right there in the **input**. A **pointer-generator** (See, Liu & Manning 2017) lets the decoder
# either *generate* a word from its vocabulary or *copy* one from the source, pointing at it with its
# attention; a probability $p_{gen}$, computed at every step, mixes the two. **Coverage** remembers where the
# decoder has already looked, so that it stops repeating itself. **Byte-pair encoding** (BPE; Sennrich, Haddow
# & Birch 2016) is the other answer to rare words: split them into frequent pieces, so that nothing is out of
# vocabulary at all.
#
# Today's data is real: Python's own standard library, **function code → the first line of its docstring**
# (a tiny summarization task whose summaries reuse the code's identifiers), and sentences from real product
# reviews with **real typos** injected (for grammar correction, where nearly every word is copied).
#
# **By the end of today you can**
# 1. give each example's out-of-vocabulary (OOV) source words ids of their own, in an *extended* vocabulary;
# 2. mix $p_{gen} P_{vocab}$ and $(1 - p_{gen})\,$attention into one distribution with `scatter_add`, and write
#    a loss that stays finite when $p_{gen}$ is exactly 0 or 1;
# 3. compute the coverage vector and the coverage loss $\sum_i \min(a_i, c_i)$;
# 4. score summaries with ROUGE-1, -2 and -L written from scratch, checked against `rouge-score`;
# 5. learn BPE merges and encode new words with them;
# 6. measure what copying and coverage buy on real data — ROUGE, OOV words produced, repetition — against
#    baselines, and what a copy bias buys for grammar correction.
#
# **How this notebook works.** Each exercise is one function: replace `raise NotImplementedError()` with your
# code and run the test cell below it. The visible tests are a first check; grading runs more (brute force,
# float64, gradients, batch 1, parity with `rouge-score` and `tokenizers`). Before submitting, restart the
# kernel and run everything, then press **Validate**. Validate's "Success!" and a test cell's "✓ … passed"
# mean that the visible tests passed, not a grade: graders run hidden tests too.
#
# Points: 12 autograded (nine exercises), 2 for the reflection at the end.

# %%
import random
import time
from collections import Counter

import numpy as np
import torch
import matplotlib.pyplot as plt
from rouge_score import rouge_scorer

from course_lib.notebook.runtime import setup_notebook, budget, seed_everything
from course_lib.notebook.checks import (check_close, check_dtype, check_equal, check_raises, check_shape,
                                       check_true, check_type, run_answer)
from course_lib.notebook.plotting import PALETTE, plot_attention
from course_lib.training.loop import train
from course_lib.text.vocab import Vocab, build_vocab
from course_lib.data.docstrings import code_tokens, load_docstring_pairs
from course_lib.data.grammar import load_grammar_pairs
from course_lib.metrics.rouge import RougeScore          # the result type of Exercises 6 and 7 (a NamedTuple)
from course_lib.metrics.edits import edit_prf, extract_edits
from course_lib.metrics.diversity import repeated_ngram_rate
from course_lib.models.pointer_generator import PointerGenerator

device = setup_notebook(seed=0)

# %% [markdown]
# ## 1. The data: Python's standard library summarises itself
#
# `load_docstring_pairs` walks the standard library of the Python running this notebook with `ast`: every
# function whose docstring's first line is a sentence becomes one pair — **source**: the function's code with
# the docstring removed, as tokens (identifiers split at underscores and camelCase, lower-cased, punctuation
# dropped, cut to its first 40 tokens here); **summary**: the docstring's first line, tokenized the same way.
# The splits are **by module** (no module in two splits), so the test functions come from modules the model
# never saw. The counts depend on your Python version; the cell prints them.

# %%
summ = load_docstring_pairs(max_source=40, max_summary=16, seed=0)
for split, pairs in summ.items():
    print(f"{split:10s}: {len(pairs):5d} pairs from {len({p.module for p in pairs}):3d} modules")
for p in summ.train[:3]:
    print(f"\n{p.module}.{p.name}\n  source : {' '.join(p.source)}\n  summary: {' '.join(p.summary)}")
print("\nmedian lengths (tokens): source", int(np.median([len(p.source) for p in summ.train])), "| summary",
      int(np.median([len(p.summary) for p in summ.train])))

# %% [markdown]
# One word vocabulary serves the encoder and the decoder: the words seen at least 5 times in the training
# sources and summaries, plus `<pad>`, `<unk>`, `<bos>`, `<eos>`. The cell prints how many summary words of the
# test split fall outside it, and how many of those the model could still **copy**, because they occur in the
# function's own code.

# %%
vocab = Vocab(build_vocab([p.source + p.summary for p in summ.train], min_count=5))
V = len(vocab)
test_words = [w for p in summ.test for w in p.summary]
test_oov = [w for p in summ.test for w in p.summary if w not in vocab.stoi]
copyable = [w for p in summ.test for w in p.summary if w not in vocab.stoi and w in p.source]
print(f"vocabulary: {V} words; test summaries: {len(test_words)} words, {len(test_oov)} of them OOV "
      f"({len(test_oov) / len(test_words):.1%}); {len(copyable)} of the OOV words ({len(copyable) / len(test_oov):.0%})"
      f" occur in their own source")
print("some copyable OOV words:", sorted(set(copyable))[:12])

# %% [markdown]
# ## 2. An extended vocabulary, one per example
#
# The vocabulary has ids $0 \dots V-1$. For each example we list its source words that are **not** in the
# vocabulary, in the order they first appear: `oovs[b]`. The $k$-th of them gets the id $V + k$ — in *that*
# example only: id $V$ is `getattr` in one example and `sha256` in the next. A summary word gets
#
# - its vocabulary id if it has one;
# - else the extended id of the same word in **its own** source (the model can copy it);
# - else `<unk>`: an OOV word that is not in its source cannot be produced at all (not even when it occurs in
#   another example's source).
#
# ### Exercise 1 — extended ids (2 points)
#
# Write `extended_ids(sources, targets, stoi, unk_id, pad_id)` → `(src_ext, tgt_ext, oovs)`: `sources` and
# `targets` are lists of $B$ token lists, `stoi` maps the $V$ vocabulary words to ids $0 \dots V-1$
# ($V$ = `len(stoi)`). `src_ext` is a `torch.long` tensor $(B, S)$ and `tgt_ext` $(B, T)$, with $S$ and $T$
# the longest source and target, shorter rows padded with `pad_id` (a padded row of length 0 is all
# `pad_id`); `oovs` is a list of $B$ lists of strings, each source OOV once, in order of first appearance.
# Repeated source OOVs share their id.

# %% nbgrader="answer" grade_id="extended_ids"
def extended_ids(sources: list[list[str]], targets: list[list[str]], stoi: dict[str, int], unk_id: int,
                 pad_id: int) -> tuple[torch.Tensor, torch.Tensor, list[list[str]]]:
    """sources, targets: B token lists each; stoi: word -> id in [0, V), V = len(stoi).
    Returns (src_ext (B, S) long, tgt_ext (B, T) long, oovs: B lists of the source OOVs in order of first
    appearance); a source OOV oovs[b][k] has id V + k; a target OOV not in its own source gets unk_id."""
    ### BEGIN SOLUTION
    V = len(stoi)
    S = max((len(s) for s in sources), default=0)
    T = max((len(t) for t in targets), default=0)
    src_ext = torch.full((len(sources), S), pad_id, dtype=torch.long)
    tgt_ext = torch.full((len(targets), T), pad_id, dtype=torch.long)
    oovs = []
    for b, (src, tgt) in enumerate(zip(sources, targets)):
        extra = {}                                                   # OOV word -> k, in order of first appearance
        for i, word in enumerate(src):
            if word in stoi:
                src_ext[b, i] = stoi[word]
            else:
                src_ext[b, i] = V + extra.setdefault(word, len(extra))
        for j, word in enumerate(tgt):
            if word in stoi:
                tgt_ext[b, j] = stoi[word]
            elif word in extra:
                tgt_ext[b, j] = V + extra[word]
            else:
                tgt_ext[b, j] = unk_id
        oovs.append(list(extra))
    return src_ext, tgt_ext, oovs
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_extended_ids" points=2
_stoi = {"<pad>": 0, "<unk>": 1, "return": 2, "the": 3, "count": 4, "of": 5}        # V = 6
_srcs = [["def", "get", "count", "self", "return", "self", "get"], ["def", "size", "return", "count"]]
_tgts = [["return", "the", "get", "count", "size"], ["the", "size", "of", "get"]]
_got = run_answer(extended_ids, _srcs, _tgts, _stoi, 1, 0, name="extended_ids on two examples")
check_type(_got, tuple, "extended_ids returns a tuple (src_ext, tgt_ext, oovs)")
check_true(len(_got) == 3, "extended_ids returns three things", f"got {len(_got)}")
_src, _tgt, _oovs = _got
check_equal(_oovs, [["def", "get", "self"], ["def", "size"]], "oovs: each example's source OOVs, once, in order",
            hint="one list per example, each OOV word once, in the order it first appears in that example's source")
check_type(_src, torch.Tensor, "src_ext")
check_dtype(_src, torch.long, "src_ext dtype", hint="ids are torch.long (embeddings and scatter_add need it)")
check_equal(_src, torch.tensor([[6, 7, 4, 8, 2, 8, 7], [6, 7, 2, 4, 0, 0, 0]]), "src_ext",
            hint="vocabulary words keep their id; the k-th OOV of THIS example gets V + k (V = len(stoi) = 6), "
                 "a repeated OOV the same id; pad with pad_id")
check_dtype(_tgt, torch.long, "tgt_ext dtype")
check_equal(_tgt, torch.tensor([[2, 3, 7, 4, 1], [3, 7, 5, 1, 0]]), "tgt_ext",
            hint="a target OOV gets the extended id it has in ITS OWN source (example 0: 'get' -> 7); 'size' is in "
                 "example 1's source but not example 0's, so in example 0 it is <unk> (1); pad with pad_id")
_src, _tgt, _ = run_answer(extended_ids, [["a"], ["b", "c"]], [[], ["c"]], _stoi, 1, 5,
                           name="extended_ids with an empty target and pad_id 5")
check_equal(_tgt, torch.tensor([[5], [7]]), "tgt_ext with an empty target row, padded with pad_id = 5",
            hint="T is the longest target; an empty target becomes a row of pad_id")
_src, _, _ = run_answer(extended_ids, [["the", "x"]], [["x"]], {"the": 0, "<unk>": 1, "<pad>": 2}, 1, 2,
                        name="extended_ids with a vocabulary word of id 0")
check_equal(_src, torch.tensor([[0, 3]]), "src_ext when a vocabulary word has id 0",
            hint="test membership with `word in stoi`: stoi.get(word) is 0, which is falsy, for the word with id 0")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import check_equal, check_true, run_answer   # the course's helpers
import course_lib.layers.pointer as _ref_p
_rng = random.Random(11)
_words = [f"w{i}" for i in range(12)]
_hstoi = {"<pad>": 0, "<unk>": 1, **{w: i + 2 for i, w in enumerate(_words[:5])}}
_hsrc = [[_rng.choice(_words) for _ in range(_rng.randint(1, 9))] for _ in range(7)]
_htgt = [[_rng.choice(_words) for _ in range(_rng.randint(0, 6))] for _ in range(7)]
_want = _ref_p.extended_ids(_hsrc, _htgt, _hstoi, 1, 0)
_want_one = _ref_p.extended_ids(_hsrc[:1], _htgt[:1], _hstoi, 1, 0)
_want_pad3 = _ref_p.extended_ids(_hsrc, _htgt, _hstoi, 1, 3)
with written_by_you("extended_ids"):
    _got = run_answer(extended_ids, _hsrc, _htgt, _hstoi, 1, 0, name="hidden check: 7 random examples")
    check_equal(_got[2], _want[2], "hidden check: oovs of 7 random examples")
    check_equal(_got[0], _want[0], "hidden check: src_ext of 7 random examples")
    check_equal(_got[1], _want[1], "hidden check: tgt_ext of 7 random examples (OOVs from other examples' sources)")
    _got = run_answer(extended_ids, _hsrc[:1], _htgt[:1], _hstoi, 1, 0, name="hidden check: batch of one")
    check_equal(_got[0], _want_one[0], "hidden check: batch of one, src_ext")
    check_equal(_got[1], _want_one[1], "hidden check: batch of one, tgt_ext")
    _got = run_answer(extended_ids, _hsrc, _htgt, _hstoi, 1, 3, name="hidden check: pad_id 3")
    check_equal(_got[0], _want_pad3[0], "hidden check: src_ext padded with pad_id = 3")
    check_equal(_got[1], _want_pad3[1], "hidden check: tgt_ext padded with pad_id = 3")
    _got = run_answer(extended_ids, [["x", "<unk>"]], [["<unk>", "x"]], {"<pad>": 0, "<unk>": 1}, 1, 0,
                      name="hidden check: V = 2")
    check_equal(_got[0], torch.tensor([[2, 1]]), "hidden check: with V = 2 the first OOV gets id 2 (V = len(stoi))")
    _got = run_answer(extended_ids, [["the", "x"]], [["x", "the"]], {"the": 0, "<unk>": 1, "<pad>": 2}, 1, 2,
                      name="hidden check: a word with id 0")
    check_equal(_got[0], torch.tensor([[0, 3]]), "hidden check: a vocabulary word with id 0 is not an OOV")
    _got = run_answer(extended_ids, [], [], _hstoi, 1, 0, name="hidden check: empty batch")
    check_equal((tuple(_got[0].shape), tuple(_got[1].shape), _got[2]), ((0, 0), (0, 0), []),
                "hidden check: an empty batch gives (0, 0) tensors and no OOV list")
### END HIDDEN TESTS

# %% [markdown]
# The decoder reads, at step $t$, the word it produced at step $t-1$. Its embedding table has only $V$ rows,
# so a copied OOV (an id $\geq V$) is read as `<unk>`: the decoder knows that it copied *something*; the
# attention knows where from.
#
# ### Exercise 2 — decoder inputs (1 point)
#
# Write `decoder_inputs(tgt_ext, vocab_size, unk_id)`: a new `torch.long` tensor of the same shape $(B, T)$ in
# which every id $\geq$ `vocab_size` is `unk_id` and every other id is unchanged (a new tensor even when nothing
# changes; $B$ or $T$ may be 0). Do not modify `tgt_ext`.

# %% nbgrader="answer" grade_id="decoder_inputs"
def decoder_inputs(tgt_ext: torch.Tensor, vocab_size: int, unk_id: int) -> torch.Tensor:
    """tgt_ext (B, T) long extended ids -> (B, T) long, ids >= vocab_size replaced by unk_id (input unchanged)."""
    ### BEGIN SOLUTION
    return tgt_ext.masked_fill(tgt_ext >= vocab_size, unk_id)
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_decoder_inputs" points=1
_ids = torch.tensor([[2, 6, 7, 4, 1], [3, 9, 5, 0, 0]])
_got = run_answer(decoder_inputs, _ids, 6, 1, name="decoder_inputs with V = 6")
check_type(_got, torch.Tensor, "decoder_inputs output")
check_equal(_got, torch.tensor([[2, 1, 1, 4, 1], [3, 1, 5, 0, 0]]), "decoder_inputs with V = 6, unk_id = 1",
            hint="ids >= vocab_size (6, 7, 9) become unk_id; id 5 = V - 1 is a real word and stays")
check_dtype(_got, torch.long, "decoder_inputs dtype")
_keep = _ids.clone()
run_answer(decoder_inputs, _ids, 6, 1, name="decoder_inputs on the caller's tensor", copy=False)
check_equal(_ids, _keep, "decoder_inputs leaves its input unchanged",
            hint="masked_fill (not masked_fill_) or a clone: the extended targets are still needed for the loss")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import check_equal, check_true, run_answer   # the course's helpers
_g = torch.Generator().manual_seed(5)
_h = torch.randint(0, 30, (6, 9), generator=_g)
_want = torch.where(_h >= 20, torch.tensor(3), _h)
_want_eq = torch.tensor([[19, 3, 3]])
with written_by_you("decoder_inputs"):
    check_equal(run_answer(decoder_inputs, _h, 20, 3, name="hidden check: random ids"), _want,
                "hidden check: random ids with V = 20, unk_id = 3")
    check_equal(run_answer(decoder_inputs, torch.tensor([[19, 20, 21]]), 20, 3, name="hidden check: boundary"),
                _want_eq, "hidden check: V - 1 stays, V and V + 1 become unk")
    check_equal(run_answer(decoder_inputs, torch.tensor([[7]]), 20, 3, name="hidden check: 1 x 1"),
                torch.tensor([[7]]), "hidden check: a batch of one id")
    _plain = torch.tensor([[4, 5, 6]])
    _got = run_answer(decoder_inputs, _plain, 20, 3, name="hidden check: no extended id", copy=False)
    check_true(isinstance(_got, torch.Tensor) and _got.data_ptr() != _plain.data_ptr(),
               "hidden check: a new tensor even when there is no extended id (not the input itself)",
               "the result shares the input's memory")
    for _shape in ((0, 5), (2, 0)):
        _got = run_answer(decoder_inputs, torch.zeros(_shape, dtype=torch.long), 20, 3, name="hidden check: empty")
        check_true(isinstance(_got, torch.Tensor) and tuple(_got.shape) == _shape and _got.dtype == torch.long,
                   f"hidden check: an empty {_shape} batch gives a long tensor of shape {_shape}",
                   f"got {getattr(_got, 'dtype', type(_got).__name__)} of shape {tuple(getattr(_got, 'shape', ()))}")
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Generate or copy: the final distribution
#
# At decoder step $t$ the model has a softmax over the vocabulary, $P_{vocab}$ $(B, V)$, attention weights
# over the source positions, $a$ $(B, S)$ (0 at padding), and a probability of generating,
# $p_{gen} = \sigma(w^\top[\text{context}; \text{state}; \text{input}] + b)$ $(B, 1)$. The probability of word
# $w$ of the extended vocabulary is
#
# $$P(w) = p_{gen}\, P_{vocab}(w) + (1 - p_{gen}) \sum_{i:\ \text{src}_i = w} a_i .$$
#
# $P_{vocab}(w) = 0$ for an extended id $w \geq V$: an OOV word gets probability **only by copying**. A word
# that occurs twice in the source collects the attention of both positions. Both parts sum to 1, so $P$ does.
#
# In tensors: pad $p_{gen} P_{vocab}$ with `n_extra` zeros (the longest OOV list of the batch) to
# $(B, V + n_{extra})$, then add $(1 - p_{gen})\,a$ at the columns `src_ext` — `Tensor.scatter_add(dim, index,
# src)` adds `src[b, i]` into `out[b, index[b, i]]`, and repeated indices add up (plain indexed assignment
# `out[b, idx] += ...` would keep only one of them).
#
# ### Exercise 3 — the final distribution (2 points)
#
# Write `final_distribution(p_vocab, attention, p_gen, src_ext, n_extra)` → $(B, V + n_{extra})$ as above:
# `p_vocab` $(B, V)$, `attention` $(B, S)$, `p_gen` $(B, 1)$ (floats of one dtype), `src_ext` $(B, S)$ long
# with ids $< V + n_{extra}$. No loop: `torch.cat` and `scatter_add` do it for the whole batch. Make new
# tensors with the inputs' dtype **and device** (`p_vocab.new_zeros(...)`: the model may run on a GPU), keep the
# gradient flowing to all three float inputs, and do not modify any input (`scatter_add`, not `scatter_add_` on an
# input).

# %% nbgrader="answer" grade_id="final_distribution"
def final_distribution(p_vocab: torch.Tensor, attention: torch.Tensor, p_gen: torch.Tensor, src_ext: torch.Tensor,
                       n_extra: int) -> torch.Tensor:
    """p_vocab (B, V), attention (B, S), p_gen (B, 1), src_ext (B, S) long ids < V + n_extra ->
    (B, V + n_extra): p_gen * p_vocab (zeros for the extended ids) + (1 - p_gen) * attention added at src_ext."""
    ### BEGIN SOLUTION
    generated = p_gen * p_vocab                                                  # (B, V)
    zeros = generated.new_zeros(generated.shape[0], n_extra)                     # (B, n_extra)
    final = torch.cat([generated, zeros], dim=1)                                 # (B, V + n_extra)
    return final.scatter_add(1, src_ext, (1 - p_gen) * attention)                # repeated ids add up
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_final_distribution" points=2
# V = 4, S = 3: example 0 copies word 2 twice (positions 0 and 2) and an OOV (id 4); example 1 only OOVs
_pv = torch.tensor([[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25]])
_att = torch.tensor([[0.5, 0.2, 0.3], [0.6, 0.4, 0.0]])                          # example 1: position 2 is padding
_pg = torch.tensor([[0.8], [0.5]])
_sx = torch.tensor([[2, 4, 2], [5, 4, 0]])
_want = torch.tensor([[0.08, 0.16, 0.24 + 0.2 * 0.8, 0.32, 0.2 * 0.2, 0.0],
                      [0.125, 0.125, 0.125, 0.125, 0.5 * 0.4, 0.5 * 0.6]])
_got = run_answer(final_distribution, _pv, _att, _pg, _sx, 2, name="final_distribution on two examples")
check_type(_got, torch.Tensor, "final_distribution output")
check_shape(_got, (2, 6), "final_distribution output (B=2, V + n_extra = 4 + 2)",
            hint="pad p_gen * p_vocab with n_extra zero columns before adding the copied mass")
check_close(_got.sum(dim=1), torch.ones(2), "each row of the final distribution sums to 1",
            hint="p_gen * p_vocab sums to p_gen, (1 - p_gen) * attention to 1 - p_gen")
check_close(_got[1], _want[1], "final_distribution of example 1 (only OOVs in its source)",
            hint="P(w) = p_gen * p_vocab(w) + (1 - p_gen) * attention at the positions of w; the OOV ids 4, 5 get "
                 "probability only from copying")
check_close(_got, _want, "final_distribution where word 2 occurs twice in the source",
            hint="repeated source ids must ADD their attention: scatter_add, not scatter or indexed assignment")
_keep = [_pv.clone(), _att.clone(), _pg.clone(), _sx.clone()]
run_answer(final_distribution, _pv, _att, _pg, _sx, 2, name="final_distribution on the caller's tensors", copy=False)
check_true(all(torch.equal(a, b) for a, b in zip(_keep, [_pv, _att, _pg, _sx])),
           "final_distribution leaves its inputs unchanged", "an input tensor was modified",
           hint="use scatter_add (which returns a new tensor) on a tensor you built, never scatter_add_ on an input")
check_dtype(run_answer(final_distribution, _pv.double(), _att.double(), _pg.double(), _sx, 2,
                       name="final_distribution in float64"), torch.float64, "final_distribution keeps float64",
            hint="build the zero columns with the inputs' dtype (p_vocab.new_zeros or dtype=p_vocab.dtype)")
_pg0 = run_answer(final_distribution, _pv, _att, torch.ones(2, 1), _sx, 2, name="final_distribution with p_gen = 1")
check_close(_pg0[:, 4:], torch.zeros(2, 2), "with p_gen = 1 the OOV ids get probability 0",
            hint="an extended id gets probability only by copying: the padding of p_vocab must be zeros")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import check_close, check_dtype, check_shape, check_true, run_answer   # the course's helpers
_g = torch.Generator().manual_seed(21)
_B, _V, _S, _X = 5, 7, 6, 4
_hpv = torch.softmax(torch.randn(_B, _V, generator=_g, dtype=torch.float64), -1)
_hat = torch.softmax(torch.randn(_B, _S, generator=_g, dtype=torch.float64), -1)
_hpg = torch.rand(_B, 1, generator=_g, dtype=torch.float64)
_hsx = torch.randint(0, _V + _X, (_B, _S), generator=_g)
_hsx[0] = _V                                                                     # one OOV at every position
_hsx[1, :3] = 3                                                                  # a vocabulary word three times
_want = torch.zeros(_B, _V + _X, dtype=torch.float64)
for _b in range(_B):                                                             # brute force
    for _w in range(_V):
        _want[_b, _w] += _hpg[_b, 0] * _hpv[_b, _w]
    for _i in range(_S):
        _want[_b, _hsx[_b, _i]] += (1 - _hpg[_b, 0]) * _hat[_b, _i]
_want_p0 = torch.zeros(_B, _V + _X, dtype=torch.float64).scatter_add(1, _hsx, _hat)
_want_p1 = torch.cat([_hpv, torch.zeros(_B, _X, dtype=torch.float64)], 1)
_want_x0 = _hpg * _hpv + (1 - _hpg) * torch.zeros(_B, _V, dtype=torch.float64).scatter_add(1, _hsx % _V, _hat)


from course_lib.notebook.checks import count_torch_calls   # a Python loop over the rows makes more torch calls


_many = [x.repeat(4, 1) for x in (_hpv, _hat, _hpg, _hsx)]                      # the same 5 rows, 20 times
_meta_in = [x.to("meta") for x in (_hpv, _hat, _hpg, _hsx)]                    # shapes and dtypes, no values
_ = torch.cat([_meta_in[0] * 1.0, _meta_in[1]], 1).scatter_add(1, _meta_in[3], _meta_in[1])   # loads the meta kernels
with written_by_you("final_distribution"):
    _got = run_answer(final_distribution, _hpv, _hat, _hpg, _hsx, _X, name="hidden check: random float64 batch")
    check_close(_got, _want, "hidden check: equals a loop over words and source positions (float64)", atol=1e-12)
    check_dtype(_got, torch.float64, "hidden check: float64 stays float64")
    check_close(run_answer(final_distribution, _hpv, _hat, torch.zeros(_B, 1, dtype=torch.float64), _hsx, _X,
                           name="hidden check: p_gen = 0"), _want_p0, "hidden check: p_gen = 0 is pure copying",
                atol=1e-12)
    check_close(run_answer(final_distribution, _hpv, _hat, torch.ones(_B, 1, dtype=torch.float64), _hsx, _X,
                           name="hidden check: p_gen = 1"), _want_p1, "hidden check: p_gen = 1 is pure generation",
                atol=1e-12)
    check_close(run_answer(final_distribution, _hpv, _hat, _hpg, _hsx % _V, 0, name="hidden check: n_extra = 0"),
                _want_x0, "hidden check: n_extra = 0 (no OOV in the batch) gives (B, V)", atol=1e-12)
    _meta = run_answer(final_distribution, *_meta_in, _X, name="hidden check: device")
    check_true(isinstance(_meta, torch.Tensor) and _meta.device.type == "meta" and tuple(_meta.shape) == (_B, _V + _X),
               "hidden check: new tensors are made on the inputs' device (tried with PyTorch's 'meta' device)",
               f"got {getattr(_meta, 'device', type(_meta).__name__)}")
    _bf = run_answer(final_distribution, _hpv.bfloat16(), _hat.bfloat16(), _hpg.bfloat16(), _hsx, _X,
                     name="hidden check: bfloat16")
    check_dtype(_bf, torch.bfloat16, "hidden check: bfloat16 inputs give a bfloat16 distribution (zero columns of the "
                "inputs' dtype)")
    check_shape(run_answer(final_distribution, _hpv, _hat, _hpg, _hsx, _X + 2, name="hidden check: n_extra + 2"),
                (_B, _V + _X + 2), "hidden check: the width is V + n_extra, as passed (here 2 more than the ids need)")
    check_close(run_answer(final_distribution, _hpv[:1], _hat[:1, :1] * 0 + 1, _hpg[:1], _hsx[:1, :1], _X,
                           name="hidden check: B = 1, S = 1"),
                _hpg[:1] * _want_p1[:1] + (1 - _hpg[:1]) * torch.eye(_V + _X, dtype=torch.float64)[_V][None],
                "hidden check: batch 1, one source position", atol=1e-12)
    _inputs = tuple(x.clone().requires_grad_(True) for x in (_hpv[:3], _hat[:3], _hpg[:3]))
    _ok = run_answer(lambda: torch.autograd.gradcheck(lambda a, b, c: final_distribution(a, b, c, _hsx[:3], _X),
                                                      _inputs, raise_exception=False), name="hidden check: gradcheck")
    check_true(bool(_ok), "hidden check: gradcheck with respect to p_vocab, attention and p_gen",
               "the gradient differs from finite differences (or does not reach every input)")
    with count_torch_calls() as _few:
        run_answer(final_distribution, _hpv, _hat, _hpg, _hsx, _X, name="hidden check: 5 rows")
    with count_torch_calls() as _lots:
        run_answer(final_distribution, *_many, _X, name="hidden check: 20 rows")
    check_true(_few.count == _lots.count, "hidden check: no Python loop over the batch (as many torch calls for 20 "
               "rows as for 5)", f"{_few.count} torch calls for 5 rows, {_lots.count} for 20")
### END HIDDEN TESTS

# %% [markdown]
# ### A loss that survives $p_{gen} = 0$ and $p_{gen} = 1$
#
# Training minimises the mean negative log-likelihood of the target words under $P$. With the extended ids,
# a copyable OOV target has probability $(1 - p_{gen}) \sum a_i$: if $p_{gen}$ saturates at exactly 1 (a
# float32 sigmoid does, from a logit of about 17), that is **exactly 0**, and $-\log 0 = \infty$; its
# gradient $-1/P$ is infinite too, and one such word turns every weight into NaN. The same happens with
# $p_{gen} = 0$ and a target word that is not in the source. (NaN losses are the most common complaint
# about the published pointer-generator code.) The fix is a small $\varepsilon$ inside the log.
#
# ### Exercise 4 — the pointer NLL (1 point)
#
# Write `pointer_nll(final, targets, mask, eps=1e-12)` → a 0-dim tensor: the **mean over the real target
# tokens** (where `mask` is True) of $-\log(P(\text{target}) + \varepsilon)$, where `final` $(B, T, V_{ext})$
# holds probabilities, `targets` $(B, T)$ extended ids, `mask` $(B, T)$ bool. One mean over all real tokens of
# the batch (not a mean per sentence, then over sentences). Padded positions may hold any id and probability
# 0; they must change nothing and never produce a NaN, in the value or in the gradient. With no real token
# at all, return 0 — a tensor of `final`'s dtype that `.backward()` accepts (divide the masked sum by the count
# clamped to at least 1). Use `gather` (no cross-entropy: `final` holds probabilities, not logits).

# %% nbgrader="answer" grade_id="pointer_nll"
def pointer_nll(final: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """final (B, T, V_ext) probabilities, targets (B, T) long, mask (B, T) bool -> 0-dim tensor: the mean over
    real tokens of -log(final[target] + eps)."""
    ### BEGIN SOLUTION
    p = final.gather(2, targets.unsqueeze(-1)).squeeze(-1)                       # (B, T)
    nll = -torch.log(p + eps)                                                    # finite even where p == 0
    nll = torch.where(mask, nll, torch.zeros_like(nll))                          # padding: exactly 0
    return nll.sum() / mask.sum().clamp(min=1)
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_pointer_nll" points=1
_fin = torch.tensor([[[0.5, 0.5, 0.0], [0.1, 0.2, 0.7], [0.2, 0.3, 0.5]],
                     [[0.25, 0.25, 0.5], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
_tg = torch.tensor([[1, 2, 0], [2, 1, 2]])
_mk = torch.tensor([[True, True, True], [True, False, False]])
_want = -(np.log(0.5) + np.log(0.7) + np.log(0.2) + np.log(0.5)) / 4
_got = run_answer(pointer_nll, _fin, _tg, _mk, name="pointer_nll on lengths 3 and 1")
check_type(_got, torch.Tensor, "pointer_nll output")
check_shape(_got, (), "pointer_nll output", hint="one number: a 0-dim tensor")
check_true(bool(torch.isfinite(_got)), "pointer_nll is finite when padded targets have probability 0",
           f"got {_got.detach().tolist()}", hint="log(0) at a padded position times a 0 mask is NaN: add eps inside the log, or "
                                      "select the real positions with torch.where / indexing before summing")
check_close(_got, torch.tensor(_want), "pointer_nll: mean over the 4 real tokens of -log p",
            hint="divide by the number of real tokens (mask.sum()), not by B * T or per sentence")
_zero = run_answer(pointer_nll, torch.tensor([[[1.0, 0.0]]]), torch.tensor([[1]]), torch.tensor([[True]]),
                   name="pointer_nll of a target with probability 0")
check_close(_zero, torch.tensor(-np.log(1e-12)), "pointer_nll of a real target with probability exactly 0 is -log(eps)",
            rtol=1e-4, hint="-log(p + eps) with eps = 1e-12: about 27.6, not inf")
_none = run_answer(pointer_nll, _fin, _tg, torch.zeros(2, 3, dtype=torch.bool), name="pointer_nll without real tokens")
check_close(_none, torch.tensor(0.0), "pointer_nll of a batch without real tokens is 0",
            hint="0 / 0 is NaN: divide by mask.sum().clamp(min=1)")
_leaf = torch.tensor([[[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]]], requires_grad=True)    # zeros at targets and elsewhere
_loss = run_answer(pointer_nll, _leaf, torch.tensor([[1, 0]]), torch.tensor([[True, True]]),
                   name="pointer_nll's gradient", copy=False)
check_true(isinstance(_loss, torch.Tensor) and _loss.requires_grad, "pointer_nll carries a gradient",
           "the loss is detached from `final`")
_loss.backward()
check_true(_leaf.grad is not None and bool(torch.isfinite(_leaf.grad).all()),
           "the gradient is finite everywhere, where the target's probability is 0 and at the zeros of other words",
           f"gradient {_leaf.grad}", hint="the eps inside the log keeps -1 / (p + eps) finite; take the log of the "
                                         "gathered target probabilities only (log(0) elsewhere gives 0 * inf = NaN)")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import check_close, check_dtype, check_true, run_answer   # the course's helpers
_g = torch.Generator().manual_seed(31)
_hf = torch.softmax(torch.randn(4, 5, 9, generator=_g, dtype=torch.float64), -1)
_ht = torch.randint(0, 9, (4, 5), generator=_g)
_hm = torch.arange(5)[None] < torch.tensor([5, 1, 3, 2])[:, None]
_want = torch.stack([-torch.log(_hf[b, t, _ht[b, t]] + 1e-12) for b in range(4) for t in range(5) if _hm[b, t]]).mean()
_hf_pad = _hf.clone()
_hf_pad[~_hm] = 0.0                                                              # padding: probability 0 everywhere
_want_eps = -torch.log(torch.tensor(0.25 + 1e-3, dtype=torch.float64))
with written_by_you("pointer_nll"):
    _got = run_answer(pointer_nll, _hf, _ht, _hm, name="hidden check: random float64")
    check_close(_got, _want, "hidden check: mean over real tokens (lengths 5, 1, 3, 2), float64", atol=1e-10)
    check_dtype(_got, torch.float64, "hidden check: float64 stays float64")
    check_close(run_answer(pointer_nll, _hf_pad, _ht, _hm, name="hidden check: zero padding"), _want,
                "hidden check: padding with probability 0 everywhere changes nothing", atol=1e-10)
    check_close(run_answer(pointer_nll, torch.full((1, 1, 4), 0.25, dtype=torch.float64), torch.tensor([[2]]),
                           torch.tensor([[True]]), eps=1e-3, name="hidden check: eps"), _want_eps,
                "hidden check: the eps argument is used (eps = 1e-3)", atol=1e-4)
    _empty = run_answer(pointer_nll, _hf, _ht, torch.zeros(4, 5, dtype=torch.bool), name="hidden check: no real token")
    check_close(_empty, torch.tensor(0.0, dtype=torch.float64), "hidden check: no real token gives 0, not NaN")
    check_dtype(_empty, torch.float64, "hidden check: no real token gives a 0 of final's dtype (float64)")
    _leaf = _hf.clone().requires_grad_(True)
    _empty = run_answer(pointer_nll, _leaf, _ht, torch.zeros(4, 5, dtype=torch.bool), name="hidden check: no real token",
                        copy=False)
    check_true(isinstance(_empty, torch.Tensor) and _empty.requires_grad,
               "hidden check: with no real token the 0 still carries a gradient (.backward() works)",
               "the returned 0 is not connected to `final`")
    # p_gen = 1 with an OOV target, p_gen = 0 with a word not in the source: both probability 0, through the mix
    _pv = torch.tensor([[0.5, 0.5]], dtype=torch.float64, requires_grad=True)
    _pg = torch.tensor([[1.0], [0.0]], dtype=torch.float64, requires_grad=True)
    _mix = torch.cat([torch.cat([_pg[:1] * _pv, torch.zeros(1, 1, dtype=torch.float64)], 1)
                      + (1 - _pg[:1]) * torch.tensor([[0.0, 0.0, 1.0]], dtype=torch.float64),
                      torch.cat([_pg[1:] * _pv, torch.zeros(1, 1, dtype=torch.float64)], 1)
                      + (1 - _pg[1:]) * torch.tensor([[0.0, 0.0, 1.0]], dtype=torch.float64)])   # (2, 3)
    _loss = run_answer(pointer_nll, _mix.unsqueeze(1), torch.tensor([[2], [0]]), torch.ones(2, 1, dtype=torch.bool),
                       name="hidden check: p_gen 0 and 1", copy=False)
    _loss.backward()
    check_true(bool(torch.isfinite(_loss)) and bool(torch.isfinite(_pg.grad).all()) and bool(torch.isfinite(_pv.grad).all()),
               "hidden check: finite loss and finite gradients for p_gen and p_vocab when p_gen is exactly 1 (OOV "
               "target) or 0 (target not in the source)", f"loss {_loss.detach().tolist()}, p_gen gradient {_pg.grad}")
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Coverage: remember where you have looked
#
# A summariser trained with a per-word loss likes to repeat itself: "return the current current current …".
# See et al.'s **coverage** vector is the attention summed over the earlier decoder steps,
#
# $$c_t = \sum_{t' < t} a_{t'} \quad (c_0 = 0), \qquad \text{covloss}_t = \sum_i \min(a_{t,i},\, c_{t,i}),$$
#
# and the model reads $c_t$ when it computes its attention (so it can learn to avoid covered words). The loss
# is small when step $t$ attends to positions nobody attended to before, and at most 1 per step (attention
# sums to 1). It is added to the NLL (weight $\lambda = 1$ in the paper).
#
# ### Exercise 5 — the coverage loss (1 point)
#
# Write `coverage_loss(attentions, mask)` → 0-dim: `attentions` $(B, T, S)$ holds the attention of every
# decoder step, `mask` $(B, T)$ bool the real target steps. The coverage of step $t$ sums the attention of
# the steps **before** it (not $t$ itself); return $\sum$ of $\text{covloss}_t$ over the real steps divided by
# the number of real steps (0 when there is none). Padded steps add nothing to the sum, but they come after the
# real ones and so never enter a real step's coverage. Keep the attentions' dtype; with no real step return 0 as
# a tensor that `.backward()` accepts (as in Exercise 4). No loop needed: `cumsum` over the steps.

# %% nbgrader="answer" grade_id="coverage_loss"
def coverage_loss(attentions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """attentions (B, T, S), mask (B, T) bool -> 0-dim tensor: mean over real steps of sum_i min(a_t,i, c_t,i),
    with c_t the sum of the attentions of the steps before t."""
    ### BEGIN SOLUTION
    before = attentions.cumsum(dim=1) - attentions                               # (B, T, S): steps < t
    per_step = torch.minimum(attentions, before).sum(dim=2)                      # (B, T)
    per_step = torch.where(mask, per_step, torch.zeros_like(per_step))
    return per_step.sum() / mask.sum().clamp(min=1)
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_coverage_loss" points=1
_stay = torch.tensor([[[1.0, 0.0], [1.0, 0.0], [0.5, 0.5]]])                      # looks at position 0 twice
_move = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]])                      # never looks back
_m3 = torch.tensor([[True, True, True]])
_got = run_answer(coverage_loss, _stay, _m3, name="coverage_loss, attention that stays")
check_type(_got, torch.Tensor, "coverage_loss output")
check_shape(_got, (), "coverage_loss output", hint="one number: a 0-dim tensor")
check_close(_got, torch.tensor((0.0 + 1.0 + 0.5) / 3), "coverage_loss of attention that looks at position 0 twice",
            hint="step 0: c = 0 -> 0; step 1: c = [1, 0] -> min = 1; step 2: c = [2, 0] -> 0.5; mean over 3 steps. "
                 "The coverage of step t sums the steps BEFORE t (cumsum minus the step itself)")
check_close(run_answer(coverage_loss, _move, _m3, name="coverage_loss, attention that moves on"), torch.tensor(0.0),
            "coverage_loss of attention that never returns to a position is 0")
_two = torch.cat([_stay, _stay[:, [0, 0, 0]]])                                    # row 1: position 0 every step
_mask2 = torch.tensor([[True, True, True], [True, False, False]])
check_close(run_answer(coverage_loss, _two, _mask2, name="coverage_loss with a padded row"),
            torch.tensor((1.5 + 0.0) / 4), "coverage_loss with lengths 3 and 1: the mean over the 4 real steps",
            hint="sum the per-step losses over real steps only (row 1's padded steps would add 1.0 each), then divide "
                 "by the number of real steps (4), not by B * T (6) or per sentence")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import check_close, check_dtype, check_true, run_answer   # the course's helpers
_g = torch.Generator().manual_seed(41)
_ha = torch.softmax(3 * torch.randn(4, 6, 5, generator=_g, dtype=torch.float64), -1)
_hm = torch.arange(6)[None] < torch.tensor([6, 1, 4, 2])[:, None]
_tot, _n = 0.0, 0
for _b in range(4):                                                              # brute force, step by step
    _c = torch.zeros(5, dtype=torch.float64)
    for _t in range(6):
        if _hm[_b, _t]:
            _tot, _n = _tot + torch.minimum(_ha[_b, _t], _c).sum(), _n + 1
        _c = _c + _ha[_b, _t]
_want = _tot / _n
with written_by_you("coverage_loss"):
    _got = run_answer(coverage_loss, _ha, _hm, name="hidden check: random float64")
    check_close(_got, _want, "hidden check: equals a step-by-step loop (lengths 6, 1, 4, 2)", atol=1e-12)
    check_dtype(_got, torch.float64, "hidden check: float64 stays float64")
    check_close(run_answer(coverage_loss, _ha[1:2, :1], _hm[1:2, :1], name="hidden check: B = 1, T = 1"),
                torch.tensor(0.0, dtype=torch.float64), "hidden check: one step has no coverage: loss 0")
    _empty = run_answer(coverage_loss, _ha, torch.zeros(4, 6, dtype=torch.bool), name="hidden check: no real step")
    check_close(_empty, torch.tensor(0.0, dtype=torch.float64), "hidden check: no real step gives 0, not NaN")
    check_dtype(_empty, torch.float64, "hidden check: no real step gives a 0 of the attentions' dtype (float64)")
    _leaf = _ha.clone().requires_grad_(True)
    _empty = run_answer(coverage_loss, _leaf, torch.zeros(4, 6, dtype=torch.bool), name="hidden check: no real step",
                        copy=False)
    check_true(isinstance(_empty, torch.Tensor) and _empty.requires_grad,
               "hidden check: with no real step the 0 still carries a gradient (.backward() works)",
               "the returned 0 is not connected to the attentions")
    _leaf = _ha[:2, :4].clone().requires_grad_(True)
    _ok = run_answer(lambda: torch.autograd.gradcheck(lambda a: coverage_loss(a, _hm[:2, :4]), (_leaf,),
                                                      raise_exception=False), name="hidden check: gradcheck")
    check_true(bool(_ok), "hidden check: gradcheck with respect to the attentions",
               "the gradient differs from finite differences (or is cut by a detach)")
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Scoring summaries: ROUGE
#
# ROUGE (Lin 2004) compares a system's summary (the *hypothesis*) with a human one (the *reference*) by the
# words they share. **ROUGE-N** counts n-grams with clipping — an n-gram of the hypothesis matches at most as
# many times as it occurs in the reference:
#
# $$\text{overlap} = \sum_{g} \min(\text{count}_{hyp}(g), \text{count}_{ref}(g)), \quad
#   P = \frac{\text{overlap}}{\#\text{n-grams of hyp}}, \quad R = \frac{\text{overlap}}{\#\text{n-grams of ref}},
#   \quad F_1 = \frac{2PR}{P + R}.$$
#
# **ROUGE-L** uses the length of the longest common subsequence (LCS: words in the same order, not necessarily
# adjacent): $P = \text{LCS} / |\text{hyp}|$, $R = \text{LCS} / |\text{ref}|$, the same $F_1$. The LCS comes from
# the classic dynamic program: `L[i][j]` = the LCS of the first `i` reference words and the first `j`
# hypothesis words; `L[i][j] = L[i-1][j-1] + 1` if those words are equal, else `max(L[i-1][j], L[i][j-1])`.
#
# Both return a `RougeScore(precision, recall, fmeasure)` (a NamedTuple imported in the first cell), with
# Python floats. When P + R = 0 (nothing in common, or a side without n-grams) all three are 0.0, as in the
# `rouge-score` package, against which the hidden tests check you: its `score(target, prediction)` takes the
# **reference first**, stemming off. Tokens are compared exactly as given (no lower-casing: the notebook's tokens
# are lower-case already).
#
# ### Exercise 6 — ROUGE-N (1 point)
#
# Write `rouge_n(reference, hypothesis, n=1)`: token lists in, `RougeScore` out. `collections.Counter` helps.

# %% nbgrader="answer" grade_id="rouge_n"
def rouge_n(reference: list[str], hypothesis: list[str], n: int = 1) -> RougeScore:
    """Clipped n-gram overlap of two token lists -> RougeScore(precision, recall, fmeasure)."""
    ### BEGIN SOLUTION
    ref = Counter(tuple(reference[i:i + n]) for i in range(len(reference) - n + 1))
    hyp = Counter(tuple(hypothesis[i:i + n]) for i in range(len(hypothesis) - n + 1))
    overlap = sum((ref & hyp).values())
    precision = overlap / sum(hyp.values()) if hyp else 0.0
    recall = overlap / sum(ref.values()) if ref else 0.0
    f = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return RougeScore(precision, recall, f)
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_rouge_n" points=1
_ref = "the cat sat on the mat".split()
_hyp = "the cat the the".split()
_got = run_answer(rouge_n, _ref, _hyp, 1, name="rouge_n, n = 1")
check_true(hasattr(_got, "precision") and hasattr(_got, "recall") and hasattr(_got, "fmeasure"),
           "rouge_n returns a RougeScore(precision, recall, fmeasure)", f"got {_got!r}")
check_close([_got.precision, _got.recall, _got.fmeasure], [0.75, 0.5, 0.6], "ROUGE-1 of 'the cat the the' against "
            "'the cat sat on the mat' (P, R, F1)",
            hint="clip: 'the' occurs 3 times in the hypothesis but only twice in the reference, so overlap = 2 + 1 = 3; "
                 "P = 3/4 (hypothesis n-grams), R = 3/6 (reference n-grams)")
_got = run_answer(rouge_n, _ref, _hyp, 2, name="rouge_n, n = 2")
check_close([_got.precision, _got.recall, _got.fmeasure], [1 / 3, 1 / 5, 0.25], "ROUGE-2 of the same pair",
            hint="bigrams: the hypothesis has 3 ('the cat', 'cat the', 'the the'), the reference 5; one is shared")
_got = run_answer(rouge_n, _ref, ["mat"], 2, name="rouge_n with n > the hypothesis length")
check_close([_got.precision, _got.recall, _got.fmeasure], [0.0, 0.0, 0.0],
            "ROUGE-2 of a one-word hypothesis is all zeros", hint="no bigram: return zeros, do not divide by 0")
check_close(list(run_answer(rouge_n, [], [], 1, name="rouge_n of two empty lists")), [0.0, 0.0, 0.0],
            "ROUGE-1 of two empty lists is all zeros")
_got = run_answer(rouge_n, ["a", "a", "a"], ["a"], 1, name="rouge_n, a word repeated in the reference")
check_close([_got.precision, _got.recall], [1.0, 1 / 3], "ROUGE-1 of 'a' against 'a a a': clipping on both sides",
            hint="overlap = sum over n-grams of min(count in hypothesis, count in reference) = min(1, 3) = 1")
check_close(list(run_answer(rouge_n, ["ab", "c"], ["a", "bc"], 2, name="rouge_n with multi-letter tokens")),
            [0.0, 0.0, 0.0], "ROUGE-2 of 'a bc' against 'ab c' is 0: n-grams are tuples of tokens",
            hint="count tuple(tokens[i:i + n]); joining the tokens without a separator makes 'ab'+'c' equal 'a'+'bc'")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import check_close, check_true, run_answer   # the course's helpers
_scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rouge3"], use_stemmer=False)
_rng = random.Random(51)
_cases = [([_rng.choice("abcde") for _ in range(_rng.randint(0, 9))], [_rng.choice("abcdf") for _ in range(_rng.randint(0, 9))])
          for _ in range(40)] + [(["a", "a", "a"], ["a"]), (["a"], ["a", "a", "a"]), (["x"], ["x"]),
                                 (["ab", "c", "d"], ["a", "bc", "d"]), (["a", "bc"], ["ab", "c"])]
_want = {n: [tuple(_scorer.score(" ".join(r), " ".join(h))[f"rouge{n}"]) for r, h in _cases] for n in (1, 2, 3)}
_want_swapped = tuple(_scorer.score("a b c", "a b")["rouge1"])
with written_by_you("rouge_n"):
    for _n in (1, 2, 3):
        _got = [tuple(run_answer(rouge_n, r, h, _n, name=f"hidden check: ROUGE-{_n}")) for r, h in _cases]
        check_close(np.array(_got), np.array(_want[_n]),
                    f"hidden check: ROUGE-{_n} equals rouge-score on 45 random, repeated-word and multi-letter pairs",
                    atol=1e-12)
    _got = run_answer(rouge_n, ["a", "b", "c"], ["a", "b"], name="hidden check: default n")
    check_close(list(_got), list(_want_swapped), "hidden check: n defaults to 1; precision over the hypothesis, "
                "recall over the reference")
    check_true(all(type(x) is float for x in _got), "hidden check: the scores are Python floats",
               f"got types {[type(x).__name__ for x in _got]}")
    check_close(list(run_answer(rouge_n, ["The", "cat"], ["the", "cat"], 1, name="hidden check: case")), [0.5, 0.5, 0.5],
                "hidden check: tokens are compared exactly as given ('The' is not 'the')")
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 7 — ROUGE-L (1 point)
#
# Write `rouge_l(reference, hypothesis)` → `RougeScore`, with the LCS from the dynamic program above
# (a table of $(|\text{ref}| + 1) \times (|\text{hyp}| + 1)$ integers; no library).

# %% nbgrader="answer" grade_id="rouge_l"
def rouge_l(reference: list[str], hypothesis: list[str]) -> RougeScore:
    """Longest-common-subsequence overlap of two token lists -> RougeScore(precision, recall, fmeasure)."""
    ### BEGIN SOLUTION
    table = [[0] * (len(hypothesis) + 1) for _ in range(len(reference) + 1)]
    for i, r in enumerate(reference, 1):
        for j, h in enumerate(hypothesis, 1):
            table[i][j] = table[i - 1][j - 1] + 1 if r == h else max(table[i - 1][j], table[i][j - 1])
    lcs = table[-1][-1]
    precision = lcs / len(hypothesis) if hypothesis else 0.0
    recall = lcs / len(reference) if reference else 0.0
    f = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return RougeScore(precision, recall, f)
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_rouge_l" points=1
_got = run_answer(rouge_l, "the cat sat on the mat".split(), "on the cat mat".split(), name="rouge_l")
check_true(hasattr(_got, "precision") and hasattr(_got, "fmeasure"), "rouge_l returns a RougeScore", f"got {_got!r}")
check_close([_got.precision, _got.recall, _got.fmeasure], [0.75, 0.5, 0.6],
            "ROUGE-L of 'on the cat mat' against 'the cat sat on the mat'",
            hint="the LCS is 3 ('the cat mat' or 'on the mat'), although all 4 hypothesis words occur in the reference "
                 "(ROUGE-1 would count 4): order matters. P = 3/4, R = 3/6")
_got = run_answer(rouge_l, list("abcbdab"), list("bdcaba"), name="rouge_l on letters")
check_close(_got.precision, 4 / 6, "ROUGE-L precision of 'bdcaba' against 'abcbdab' (LCS 4, e.g. 'bcba')",
            hint="L[i][j] = L[i-1][j-1] + 1 when the words match, else max(L[i-1][j], L[i][j-1])")
check_close(list(run_answer(rouge_l, ["a"], [], name="rouge_l with an empty hypothesis")), [0.0, 0.0, 0.0],
            "ROUGE-L with an empty hypothesis is all zeros")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import check_close, check_true, run_answer   # the course's helpers
import itertools
_scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
_rng = random.Random(61)
_cases = [([_rng.choice("abc") for _ in range(_rng.randint(0, 8))], [_rng.choice("abcd") for _ in range(_rng.randint(0, 8))])
          for _ in range(40)]
_want = [tuple(_scorer.score(" ".join(r), " ".join(h))["rougeL"]) for r, h in _cases]


def _brute_lcs(a, b):
    """The longest subsequence of b (tried longest first) that is also a subsequence of a."""
    def _is_sub(s, t):
        it = iter(t)
        return all(x in it for x in s)
    for k in range(len(b), 0, -1):
        if any(_is_sub(c, a) for c in itertools.combinations(b, k)):
            return k
    return 0


_small = _cases[:15]
_want_lcs = [_brute_lcs(r, h) / len(h) if h else 0.0 for r, h in _small]
with written_by_you("rouge_l"):
    _got = [tuple(run_answer(rouge_l, r, h, name="hidden check: ROUGE-L")) for r, h in _cases]
    check_close(np.array(_got), np.array(_want), "hidden check: ROUGE-L equals rouge-score on 40 random pairs",
                atol=1e-12)
    check_close([run_answer(rouge_l, r, h, name="hidden check: brute force").precision for r, h in _small], _want_lcs,
                "hidden check: LCS / len(hypothesis) equals a brute-force search over subsequences", atol=1e-12)
### END HIDDEN TESTS

# %% [markdown]
# ## 6. The other answer to rare words: byte-pair encoding
#
# Copying only helps when the rare word is in the input. BPE instead builds a vocabulary of **subwords**
# from the training text: start from characters and repeatedly **merge the most frequent adjacent pair** of
# symbols into a new symbol. Frequent words end up as one symbol, rare ones as a few pieces, and a new word
# is spelt with pieces (or, at worst, characters) that the model knows.
#
# **Conventions** (those of Sennrich et al. and of the `tokenizers` library with `end_of_word_suffix="</w>"`):
#
# - a word starts as its characters, with the end-of-word marker `</w>` joined to the **last** character:
#   `"low"` → `["l", "o", "w</w>"]` (so "est" at the end of a word differs from "est" inside one);
# - `learn_bpe(word_counts, num_merges)`: `word_counts` maps words to counts. At each step count every adjacent
#   pair of symbols over all words, **weighted by the word's count**; in a run of equal symbols count the
#   occurrences that a merge would really make, left to right without overlap (`a a a` holds one `(a, a)`,
#   `a a a a` two). Take the pair with the highest count, **ties broken by the smallest pair** (compare the
#   `(left, right)` tuples as Python does); replace, in every word, its occurrences left to right by the
#   joined symbol `left + right`; record the pair. Stop after `num_merges` merges, or earlier when no word
#   has two symbols left. Return the list of merges (tuples of two strings) in order.
# - `bpe_encode(word, merges)`: start from the word's symbols as above; repeatedly find the adjacent pair with
#   the **lowest rank** (position in `merges`) among the pairs present, and merge all its occurrences left to
#   right; stop when no present pair is in `merges`. Characters never seen simply stay single symbols. (A merge
#   list never holds the same pair twice: `learn_bpe` cannot produce one.)
#
# ### Exercise 8 — learning merges (2 points)

# %% nbgrader="answer" grade_id="learn_bpe"
def learn_bpe(word_counts: dict[str, int], num_merges: int) -> list[tuple[str, str]]:
    """word_counts: word -> count; returns up to num_merges merges (left, right), most frequent pair first,
    ties to the smallest pair; stops early when no pair is left."""
    ### BEGIN SOLUTION
    def merge(symbols, pair):
        out, i = [], 0
        while i < len(symbols):
            if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
                out.append(symbols[i] + symbols[i + 1])
                i += 2
            else:
                out.append(symbols[i])
                i += 1
        return out

    words = {w: list(w[:-1]) + [w[-1] + "</w>"] for w in word_counts}
    merges = []
    for _ in range(num_merges):
        counts = Counter()
        for w, symbols in words.items():
            i = 0
            while i + 1 < len(symbols):
                pair = (symbols[i], symbols[i + 1])
                counts[pair] += word_counts[w]
                # a run x x x: the pair starting at i + 1 overlaps this one; skip it as a merge would
                i += 2 if pair[0] == pair[1] and i + 2 < len(symbols) and symbols[i + 2] == pair[1] else 1
        if not counts:
            break
        best = min(counts, key=lambda p: (-counts[p], p))
        merges.append(best)
        words = {w: merge(s, best) for w, s in words.items()}
    return merges
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_learn_bpe" points=2
_corpus = {"low": 5, "lower": 2, "newest": 6, "widest": 3}                          # Sennrich et al.'s example
_got = run_answer(learn_bpe, _corpus, 4, name="learn_bpe on 'low lower newest widest'")
check_type(_got, list, "learn_bpe output", hint="a list of (left, right) tuples")
check_true(all(type(m) is tuple and len(m) == 2 for m in _got), "learn_bpe returns each merge as a tuple of two strings",
           f"got {_got[:2]}...", hint="append the pair as a tuple (left, right), not a list or the joined string")
check_true(len(_got) == 4, "learn_bpe returns num_merges = 4 merges", f"got {len(_got)}")
check_equal([tuple(m) for m in _got], [("e", "s"), ("es", "t</w>"), ("l", "o"), ("e", "w")],
            "the first 4 merges of Sennrich et al.'s example",
            hint="weight each pair by the word's count (e s: 6 + 3 = 9); ('e','s') and ('s','t</w>') tie at 9, and the "
                 "smaller tuple wins; </w> belongs to the last character ('t</w>')")
check_equal([tuple(m) for m in run_answer(learn_bpe, {"ab": 1, "cd": 1}, 5, name="learn_bpe, early stop")],
            [("a", "b</w>"), ("c", "d</w>")], "learn_bpe stops when no pair is left (2 merges, not 5)",
            hint="after merging 'a'+'b</w>' and 'c'+'d</w>' every word is one symbol: stop")
check_equal([tuple(m) for m in run_answer(learn_bpe, {"ab": 3, "ba": 3, "aa": 1}, 1, name="learn_bpe tie")],
            [("a", "b</w>")], "learn_bpe with {'ab': 3, 'ba': 3, 'aa': 1}: highest count, then the smallest pair",
            hint="('a','b</w>') and ('b','a</w>') both count 3 (weighted by the word counts), ('a','a</w>') 1; "
                 "of the two 3s the smaller tuple, ('a','b</w>'), wins")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import check_equal, run_answer   # the course's helpers
import course_lib.text.bpe as _ref_bpe
_rng = random.Random(71)
_corpora = [{"".join(_rng.choice("abcd") for _ in range(_rng.randint(1, 6))): _rng.randint(1, 5) for _ in range(8)}
            for _ in range(12)]
_want = [_ref_bpe.learn_bpe(c, 12) for c in _corpora]
_want_run = _ref_bpe.learn_bpe({"aaaa": 1, "xy": 1, "zxy": 1}, 1)                # [('x', 'y</w>')]
_want_one = _ref_bpe.learn_bpe({"a": 4}, 3)                                      # []
with written_by_you("learn_bpe"):
    for _k, (_c, _w) in enumerate(zip(_corpora, _want)):
        check_equal([tuple(m) for m in run_answer(learn_bpe, _c, 12, name="hidden check: random corpus")], _w,
                    f"hidden check: 12 merges on random corpus {_k} equal the reference's")
    check_equal([tuple(m) for m in run_answer(learn_bpe, {"aaaa": 1, "xy": 1, "zxy": 1}, 1, name="hidden check: run")],
                _want_run, "hidden check: a run 'a a a a</w>' holds one (a, a) a merge can make, not two")
    check_equal([tuple(m) for m in run_answer(learn_bpe, {"a": 4}, 3, name="hidden check: one-letter word")],
                _want_one, "hidden check: a corpus of one-letter words has no pair: no merge")
    check_equal(run_answer(learn_bpe, _corpus, 0, name="hidden check: zero merges"), [],
                "hidden check: num_merges = 0 gives []")
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 9 — encoding a word (1 point)
#
# Write `bpe_encode(word, merges)` → list of symbols, applying the merges by rank as described above.

# %% nbgrader="answer" grade_id="bpe_encode"
def bpe_encode(word: str, merges: list[tuple[str, str]]) -> list[str]:
    """word -> its BPE symbols (the last one ends with '</w>'), merging the lowest-ranked present pair first."""
    ### BEGIN SOLUTION
    rank = {tuple(m): r for r, m in enumerate(merges)}
    symbols = list(word[:-1]) + [word[-1] + "</w>"]
    while len(symbols) > 1:
        present = [(rank[p], p) for p in zip(symbols, symbols[1:]) if p in rank]
        if not present:
            break
        best = min(present)[1]
        out, i = [], 0
        while i < len(symbols):
            if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == best:
                out.append(symbols[i] + symbols[i + 1])
                i += 2
            else:
                out.append(symbols[i])
                i += 1
        symbols = out
    return symbols
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_bpe_encode" points=1
_merges = [("e", "s"), ("es", "t</w>"), ("l", "o"), ("e", "w"), ("ew", "est</w>"), ("n", "ewest</w>"), ("lo", "w</w>")]
_got = run_answer(bpe_encode, "lowest", _merges, name="bpe_encode('lowest')")
check_type(_got, list, "bpe_encode output", hint="a list of strings")
check_equal(_got, ["lo", "w", "est</w>"], "bpe_encode('lowest') with the merges of Sennrich et al.'s example",
            hint="start from ['l','o','w','e','s','t</w>']; ('lo','w</w>') cannot apply: this 'w' is not the last letter")
check_equal(run_answer(bpe_encode, "newest", _merges, name="bpe_encode('newest')"), ["newest</w>"],
            "bpe_encode('newest'): a training word becomes one symbol",
            hint="keep merging the lowest-ranked pair present until no present pair is in the merges")
check_equal(run_answer(bpe_encode, "low", [], name="bpe_encode without merges"), ["l", "o", "w</w>"],
            "bpe_encode('low') with no merges: characters, '</w>' on the last")
check_equal(run_answer(bpe_encode, "lowz", _merges, name="bpe_encode with an unseen letter"), ["lo", "w", "z</w>"],
            "bpe_encode('lowz'): an unseen character stays a symbol of its own")
check_equal(run_answer(bpe_encode, "abc", [("b", "c</w>"), ("a", "b")], name="bpe_encode by rank"), ["a", "bc</w>"],
            "bpe_encode('abc') with merges [('b', 'c</w>'), ('a', 'b')]: the lowest-ranked pair first",
            hint="among the pairs present pick the one EARLIEST in merges (rank 0: ('b', 'c</w>')), not the leftmost pair "
                 "of the word; after it ('a', 'bc</w>') is not a merge, so stop")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import check_equal, run_answer   # the course's helpers
import course_lib.text.bpe as _ref_bpe
_rng = random.Random(81)
_m = _ref_bpe.learn_bpe({"".join(_rng.choice("abc") for _ in range(_rng.randint(1, 7))): _rng.randint(1, 9)
                         for _ in range(15)}, 25)
_words = ["".join(_rng.choice("abcd") for _ in range(_rng.randint(1, 9))) for _ in range(30)]
_want = [_ref_bpe.bpe_encode(w, _m) for w in _words]
_rank_case = [("ab", "c</w>"), ("a", "b")]                  # by rank ['abc</w>']; merges applied once in order: ['ab', 'c</w>']
_want_rank = _ref_bpe.bpe_encode("abc", _rank_case)
_want_a = _ref_bpe.bpe_encode("aaaa", [("a", "a"), ("aa", "a"), ("aa", "a</w>")])
with written_by_you("bpe_encode"):
    check_equal([run_answer(bpe_encode, w, _m, name="hidden check: random words") for w in _words], _want,
                "hidden check: 30 random words with 25 learned merges equal the reference's encoding")
    check_equal(run_answer(bpe_encode, "abc", _rank_case, name="hidden check: rank"), _want_rank,
                "hidden check: merging by rank until no present pair is a merge (not one pass over the merges in order)")
    check_equal(run_answer(bpe_encode, "aaaa", [("a", "a"), ("aa", "a"), ("aa", "a</w>")], name="hidden check: run"),
                _want_a, "hidden check: 'a a a a</w>' merges (a, a) left to right without overlap")
    check_equal(run_answer(bpe_encode, "x", _m, name="hidden check: one letter"), ["x</w>"],
                "hidden check: a one-letter word is one symbol")
### END HIDDEN TESTS

# %% [markdown]
# ## 7. Summarising code: attention seq2seq, pointer-generator, coverage
#
# Three models with the same sizes (64-dimensional embeddings, a bidirectional GRU encoder and a GRU decoder of
# 64 units, Luong's general attention), the same data order, optimiser (Adam, learning rate 3e-3, gradients
# clipped at norm 2) and number of steps (batches of 32), from the same seed
# (`course_lib.models.pointer_generator.PointerGenerator`; it calls the mixing function you give it):
#
# - **seq2seq**: no copying ($p_{gen} = 1$): an OOV target word can only be `<unk>`, so it is trained on
#   `decoder_inputs(...)` of the targets;
# - **pointer-gen**: $p_{gen}$ learned, the final distribution is **your** `final_distribution`;
# - **pointer-gen + coverage**: the attention also reads the coverage $c_t$ (through one learned weight),
#   and the loss adds **your** `coverage_loss` with $\lambda = 1$ for the second half of the steps (See et
#   al. add it at the end of training: from the start it fights the attention before there is any to fight).
#
# Batches are built with **your** `extended_ids` and `decoder_inputs`, and every loss is **your**
# `pointer_nll`: a mistake in any exercise shows in the numbers below. Targets end with `<eos>`; decoding is
# greedy, at most 16 words. (While grading, the models train for a few steps only.)

# %%
def make_batch(pairs, vocab):
    """pairs: (source tokens, target tokens) -> (src_ext (B, S), lengths (B,), dec_in (B, T), tgt_ext (B, T),
    mask (B, T), n_extra, oovs); targets end with <eos>, decoder inputs start with <bos>."""
    src_ext, tgt_ext, oovs = extended_ids([s for s, _ in pairs], [t + ["<eos>"] for _, t in pairs], vocab.stoi,
                                          vocab.unk_id, vocab.pad_id)
    B = len(pairs)
    lengths = torch.tensor([len(s) for s, _ in pairs])
    dec_in = torch.cat([torch.full((B, 1), vocab.bos_id), decoder_inputs(tgt_ext[:, :-1], len(vocab), vocab.unk_id)], 1)
    mask = torch.arange(tgt_ext.shape[1])[None] <= torch.tensor([len(t) for _, t in pairs])[:, None]   # words + <eos>
    return src_ext, lengths, dec_in, tgt_ext, mask, max(len(o) for o in oovs), oovs


def fit(model, pairs, vocab, steps, coverage_from=None, snapshot_every=None, seed=0, lr=3e-3):
    """Train on random batches of 32 of `pairs`; coverage loss from step `coverage_from` on; with
    `snapshot_every`, keep a copy of the weights every that many steps. Returns (losses, snapshots)."""
    rng = random.Random(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    step = {"n": 0}

    def batches():
        while True:
            yield make_batch(rng.sample(pairs, 32), vocab)

    def loss_fn(model, batch):
        src, lengths, dec_in, tgt, mask, n_extra, _ = batch
        src, dec_in, tgt, mask = src.to(device), dec_in.to(device), tgt.to(device), mask.to(device)
        out = model(src, lengths, dec_in, n_extra)
        if not model.copy:
            tgt = decoder_inputs(tgt, len(vocab), vocab.unk_id)                    # OOVs can only be <unk>
        loss = pointer_nll(out.final, tgt, mask)
        if coverage_from is not None and step["n"] >= coverage_from:
            loss = loss + coverage_loss(out.attentions, mask)
        step["n"] += 1
        return loss

    stream, losses, snapshots = batches(), [], []
    chunk = snapshot_every or steps
    while step["n"] < steps:
        losses += train(model, optimizer, stream, loss_fn, min(chunk, steps - step["n"]), max_grad_norm=2.0,
                        progress=False)["loss"]
        snapshots.append({k: v.detach().clone() for k, v in model.state_dict().items()})
    return losses, snapshots


def decode(model, pairs, vocab, max_len):
    """Greedy outputs (token lists, copied OOVs spelt out) for (source, target) pairs."""
    model.eval()
    hyps = []
    for s in range(0, len(pairs), 128):
        src, lengths, _, _, _, n_extra, oovs = make_batch(pairs[s:s + 128], vocab)
        ids, _ = model.greedy(src.to(device), lengths, n_extra, vocab.bos_id, vocab.eos_id, max_len)
        hyps += [[vocab.itos[i] if i < len(vocab) else o[i - len(vocab)] for i in row] for row, o in zip(ids, oovs)]
    model.train()
    return hyps


train_pairs = [(p.source, p.summary) for p in summ.train]
steps = budget(full=300, grading=5)
summarisers, curves, seconds = {}, {}, {}
for name, copy, cov in [("seq2seq", False, False), ("pointer-gen", True, False), ("pointer-gen + coverage", True, True)]:
    seed_everything(0)
    model = PointerGenerator(V, 64, 64, copy=copy, coverage=cov, pad_id=vocab.pad_id, unk_id=vocab.unk_id,
                             mix=final_distribution).to(device)
    start = time.perf_counter()
    curves[name], snaps = fit(model, train_pairs, vocab, steps, coverage_from=steps // 2 if cov else None,
                              snapshot_every=steps // 6 if cov else None)
    seconds[name] = time.perf_counter() - start
    summarisers[name] = model
    print(f"{name:24s}: {sum(p.numel() for p in model.parameters()):,} parameters, {steps} steps in "
          f"{seconds[name]:.1f} s, final training loss {np.mean(curves[name][-20:]):.2f}")
coverage_snapshots = snaps                                                          # the last model's, every steps // 6

# %% [markdown]
# ### Checkpoint averaging
#
# The coverage model kept a copy of its weights every sixth of its steps. Averaging the last three copies
# (a cheap stand-in for an ensemble: the weights of nearby checkpoints lie in one basin) often smooths out
# the noise of the last steps. We measure it once, on the **validation** split, and keep the averaged weights
# only if they score higher there.

# %%
scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=False)


def rouge_table(refs, hyps):
    """Mean F1 of ROUGE-1/2/L (rouge-score, stemming off), in percent."""
    scores = [scorer.score(" ".join(r), " ".join(h)) for r, h in zip(refs, hyps)]
    return {k: 100 * np.mean([s[k].fmeasure for s in scores]) for k in ("rouge1", "rouge2", "rougeL")}


n_eval = budget(full=len(summ.validation), grading=40)
val_pairs = [(p.source, p.summary) for p in summ.validation[:n_eval]]
model = summarisers["pointer-gen + coverage"]
last_state = {k: v.clone() for k, v in model.state_dict().items()}
last = rouge_table([t for _, t in val_pairs], decode(model, val_pairs, vocab, 16))["rougeL"]
model.load_state_dict({k: torch.stack([s[k].float() for s in coverage_snapshots[-3:]]).mean(0).to(v.dtype)
                       for k, v in last_state.items()})
averaged = rouge_table([t for _, t in val_pairs], decode(model, val_pairs, vocab, 16))["rougeL"]
if averaged <= last:
    model.load_state_dict(last_state)
print(f"validation ROUGE-L of the coverage model: last weights {last:.2f}, average of the last 3 checkpoints "
      f"{averaged:.2f} ({averaged - last:+.2f}); kept: {'the average' if averaged > last else 'the last weights'}")

# %% [markdown]
# ### Results on the test split
#
# Two extractive baselines, which copy and never generate: **name words** — the function's name split into
# words (`get_count` → "get count"), the programmer's own one-phrase summary — and **lead-8**, the first 8
# source tokens (the classic news baseline, "the first sentences"; on code they are `def`, the name and the
# arguments). For each system: ROUGE-1/2/L F1 (rouge-score, in percent), the share of the references' OOV
# words (occurrences) that the output contains, the repetition rates (the share of an output's words, and of
# its bigrams, that already occurred earlier in it; mean over outputs), and the mean output length.

# %%
n_test = budget(full=len(summ.test), grading=40)
test_pairs = [(p.source, p.summary) for p in summ.test[:n_test]]
refs = [t for _, t in test_pairs]
outputs = {"name words": [code_tokens(p.name.split(".")[-1]) for p in summ.test[:n_test]],
           "lead-8": [s[:8] for s, _ in test_pairs]}
for name, model in summarisers.items():
    outputs[name] = decode(model, test_pairs, vocab, 16)
outputs["reference"] = refs


def oov_recall(refs, hyps):
    hit = total = 0
    for r, h in zip(refs, hyps):
        for w in r:
            if w not in vocab.stoi:
                total += 1
                hit += w in h
    return hit / max(total, 1)


results = {}
print(f"{'':24s}{'R-1':>7s}{'R-2':>7s}{'R-L':>7s}{'OOV produced':>14s}{'rep-1':>8s}{'rep-2':>8s}{'length':>8s}")
for name, hyps in outputs.items():
    r = rouge_table(refs, hyps)
    results[name] = dict(r, oov=oov_recall(refs, hyps), rep1=np.mean([repeated_ngram_rate(h, 1) for h in hyps]),
                         rep2=np.mean([repeated_ngram_rate(h, 2) for h in hyps]), length=np.mean([len(h) for h in hyps]))
    x = results[name]
    print(f"{name:24s}{x['rouge1']:7.1f}{x['rouge2']:7.1f}{x['rougeL']:7.1f}{x['oov']:14.1%}{x['rep1']:8.1%}"
          f"{x['rep2']:8.1%}{x['length']:8.1f}")
s2s, pg, cov = results["seq2seq"], results["pointer-gen"], results["pointer-gen + coverage"]
best_base = max(results["name words"]["rougeL"], results["lead-8"]["rougeL"])
print(f"\ncopying {'raises' if pg['rougeL'] > s2s['rougeL'] else 'does not raise'} ROUGE-L over the seq2seq "
      f"({pg['rougeL']:.1f} vs {s2s['rougeL']:.1f}) and produces {pg['oov']:.0%} of the reference OOV words "
      f"(seq2seq: {s2s['oov']:.0%}, which cannot produce any)")
print(f"coverage {'lowers' if cov['rep1'] < pg['rep1'] else 'does not lower'} the repeated-word rate "
      f"({cov['rep1']:.1%} vs {pg['rep1']:.1%}; references {results['reference']['rep1']:.1%}) and changes ROUGE-L by "
      f"{cov['rougeL'] - pg['rougeL']:+.1f}")
print(f"the best neural system {'beats' if max(pg['rougeL'], cov['rougeL']) > best_base else 'does not beat'} the "
      f"best extractive baseline on ROUGE-L ({max(pg['rougeL'], cov['rougeL']):.1f} vs {best_base:.1f})")
_mine = 100 * np.mean([rouge_n(r, h, 1).fmeasure for r, h in zip(refs, outputs["pointer-gen"])])
print(f"your rouge_n gives the pointer-generator a mean ROUGE-1 of {_mine:.1f} (rouge-score: {pg['rouge1']:.1f})")

# %% [markdown]
# Read the table: the first printed sentence says whether copying paid off here, and by how much; the OOV
# column shows the mechanism — the seq2seq can only write `<unk>` where the reference has a rare identifier,
# while the pointer-generators spell some of them out. The repetition columns show what coverage did to the
# "current current current" habit, and how far each system still is from the references' own rate (real
# sentences repeat "the" and "of" too). Compare also with the extractive baselines: on this data the
# function's name is already a strong summary, and the printed sentence says whether our small models
# (64 units, a few hundred steps on about 3,000 examples) beat it. The published pointer-generator reaches
# ROUGE-1 of 36–40 on news articles after days of GPU training; these numbers are not comparable to those.
#
# ### Which words were copied?
#
# For one test function, the bars show $p_{gen}$ at every output step; the word written at that step is on
# the axis, and a bar is orange where most of that word's probability came from **copying**
# ($(1 - p_{gen}) \sum_{i: \text{src}_i = w} a_i$ larger than $p_{gen} P_{vocab}(w)$). Below, the attention of
# the pointer-generator and of the coverage model over the same source. A word can come from copying even where
# $p_{gen}$ is above one half: an OOV word has $P_{vocab} = 0$, and a rare one nearly so, so a small copy share
# concentrated on it still wins — compare the printed mean $p_{gen}$ at copied and at generated words.

# %%
def copy_trace(model, pair, vocab):
    """Greedy output of one pair with, per step, p_gen and whether the chosen word came mostly from copying."""
    src, lengths, _, _, _, n_extra, oovs = make_batch([pair], vocab)
    src = src.to(device)
    model.eval()
    ids, out = model.greedy(src, lengths, n_extra, vocab.bos_id, vocab.eos_id, 16)
    model.train()
    out = type(out)(*(x.cpu() for x in out))
    src = src.cpu()
    words, p_gen, copied = [], [], []
    for t, i in enumerate(ids[0]):
        copy_mass = float((1 - out.p_gen[0, t]) * out.attentions[0, t][src[0] == i].sum())
        words.append(vocab.itos[i] if i < len(vocab) else oovs[0][i - len(vocab)])
        p_gen.append(float(out.p_gen[0, t]))
        copied.append(copy_mass > float(out.final[0, t, i]) - copy_mass)
    return words, p_gen, copied, out.attentions[0, :len(ids[0])].cpu().numpy()


candidates = [k for k, (s, t) in enumerate(test_pairs[:200]) if 4 <= len(t) <= 9 and len(s) <= 24]
scored = [(sum(w in s and w not in vocab.stoi for w in outputs["pointer-gen + coverage"][k]), -k)
          for k, (s, t) in ((k, test_pairs[k]) for k in candidates)]
pick = -max(scored)[1] if scored else 0
source, reference = test_pairs[pick]
words, p_gen, copied, att_cov = copy_trace(summarisers["pointer-gen + coverage"], test_pairs[pick], vocab)
pg_words, _, _, att_pg = copy_trace(summarisers["pointer-gen"], test_pairs[pick], vocab)
print(f"test function {summ.test[pick].module}.{summ.test[pick].name}\n  source   : {' '.join(source)}\n"
      f"  reference: {' '.join(reference)}\n  pointer-gen + coverage: {' '.join(words)}\n"
      f"  pointer-gen           : {' '.join(pg_words)}")
print(f"copied mostly: {[w for w, c in zip(words, copied) if c]}; OOV words among them: "
      f"{[w for w, c in zip(words, copied) if c and w not in vocab.stoi]}")
print(f"mean p_gen at the copied words {np.mean([g for g, c in zip(p_gen, copied) if c] or [np.nan]):.2f}, at the "
      f"generated ones {np.mean([g for g, c in zip(p_gen, copied) if not c] or [np.nan]):.2f}")

fig, ax = plt.subplots(figsize=(max(6, 0.7 * len(words)), 2.8))
ax.bar(range(len(words)), p_gen, color=[PALETTE[1] if c else PALETTE[0] for c in copied])
ax.set_xticks(range(len(words)), words, rotation=30)
ax.set(ylim=(0, 1), ylabel="$p_{gen}$", title="p_gen at each output word (orange: copied, blue: generated)")
plt.show()
fig, axes = plt.subplots(1, 2, figsize=(14, 0.35 * max(len(words), len(pg_words)) + 2.5))
if len(pg_words):
    plot_attention(axes[0], att_pg, source, pg_words, title="pointer-gen")
if len(words):
    plot_attention(axes[1], att_cov, source, words, title="pointer-gen + coverage")
for ax in axes:
    ax.tick_params(axis="x", rotation=90, labelsize=7)
plt.tight_layout()
plt.show()
print(f"max attention summed over the output steps on one source position: pointer-gen "
      f"{att_pg.sum(0).max() if len(pg_words) else 0:.2f}, with coverage {att_cov.sum(0).max() if len(words) else 0:.2f}")

# %% [markdown]
# ## 8. Out-of-vocabulary rates: words, subwords, copying
#
# The same test summaries, three ways of covering their words:
#
# - **words**: a word is OOV if it is not in the model's word vocabulary;
# - **BPE**: **your** `learn_bpe` learns merges from the training summaries' words (their counts), and **your**
#   `bpe_encode` splits every word; a test word is OOV only if one of its pieces never occurs in the encoded
#   training words (a character never seen). The price: words become several pieces, so sequences get longer;
# - **words + copying**: a word is OOV if it is neither in the vocabulary nor in its own source.

# %%
summary_counts = Counter(w for p in summ.train for w in p.summary)
num_merges = budget(full=300, grading=20)
start = time.perf_counter()
merges = learn_bpe(dict(summary_counts), num_merges)
bpe_seconds = time.perf_counter() - start
inventory = {s for w in summary_counts for s in bpe_encode(w, merges)}
pieces = [bpe_encode(w, merges) for w in test_words]
bpe_oov = sum(any(s not in inventory for s in ps) for ps in pieces)
print(f"BPE: {len(merges)} merges learned from {len(summary_counts):,} training summary word types in "
      f"{bpe_seconds:.1f} s; {len(inventory)} distinct pieces in the encoded training words")
print(f"some encodings: " + "; ".join(f"{w} -> {' '.join(bpe_encode(w, merges))}" for w in [w for w in sorted(set(test_oov)) if w.isalpha()][:5]))
rates = {"words": len(test_oov) / len(test_words), "BPE pieces": bpe_oov / len(test_words),
         "words + copying": (len(test_oov) - len(copyable)) / len(test_words)}
print(f"\n{'test summary words':20s}{'OOV rate':>10s}{'vocabulary':>12s}")
for (name, rate), size in zip(rates.items(), [V, len(inventory), V]):
    print(f"{name:20s}{rate:10.2%}{size:12,d}")
print(f"BPE spells a test word with {np.mean([len(p) for p in pieces]):.2f} pieces on average "
      f"(an OOV word with {np.mean([len(bpe_encode(w, merges)) for w in test_oov]):.2f})")

# %% [markdown]
# BPE leaves (almost) nothing out of vocabulary, at the price of longer sequences and rare words spelt in
# small pieces the model must learn to assemble. Copying covers only the OOV words that are in the source, but
# puts them out whole and in one step — and the printed rates say how much of the word-level OOV rate that
# removes on this data. The two combine: copying over BPE pieces is what many later systems do.
#
# ## 9. Grammar correction: most words are copied
#
# `load_grammar_pairs` takes **real** sentences from the Fine Food reviews and injects errors: **real** typos
# from the `codespell` project's list of misspellings (each one seen in real text, e.g. "recieve"), and a few
# **generated** article errors (a/an swapped, an article dropped) and agreement errors (is/are, was/were,
# has/have, does/do); some sentences stay clean. The model must copy nearly every word and fix one or two.
# A pointer-generator suits this, and See et al.'s advice is to start it **copying**: initialise the bias of
# $p_{gen}$ negative, so that $p_{gen}$ starts near $\sigma(-2) \approx 0.12$. We train two pointer-generators that differ
# only in that bias ($-2$ against $0$), and compare them with the baseline that copies the input unchanged.
# Same sizes as the summarisers, a vocabulary of the words seen at least 3 times, 200 steps of 32 sentences,
# Adam with learning rate 1e-2 (higher than the summarisers'; picked in a few trial runs before this notebook
# was written).
#
# **Scores.** *Exact match*: the share of sentences corrected exactly right. *Edit-level* precision, recall
# and $F_{0.5}$ (`course_lib.metrics.edits`, the M2 scorer's conventions): each output and each reference is
# aligned to the source (a minimal token-level edit script), every maximal run of changed tokens is one
# **edit**; an edit of the output counts as right if the reference makes the same edit (same span, same
# replacement). Precision = right edits / edits proposed, recall = right edits / edits needed; $F_{0.5}$
# weighs precision twice as much as recall, because a corrector that breaks correct text is worse than one
# that misses an error. Copying the input proposes no edit: precision 1 by convention, recall 0, $F_{0.5}$ = 0.

# %%
gec = load_grammar_pairs(n_train=budget(full=4000, grading=300), n_validation=budget(full=500, grading=50),
                         n_test=budget(full=500, grading=50), seed=0)
gvocab = Vocab(build_vocab([p.source + p.target for p in gec.train], min_count=3))
kinds = Counter(k for p in gec.train for k in p.kinds)
print(f"grammar pairs: {len(gec.train)} train, {len(gec.test)} test; vocabulary {len(gvocab)}; error kinds in "
      f"training: {dict(kinds)}; clean training sentences: {np.mean([not p.kinds for p in gec.train]):.0%}")
for p in gec.train[:3]:
    print(f"  {' '.join(p.source)}\n    -> {' '.join(p.target)}   {p.kinds}")
print("the edits of the first pair:", extract_edits(gec.train[0].source, gec.train[0].target))

gpairs = [(p.source, p.target) for p in gec.train]
gtest = [(p.source, p.target) for p in gec.test]
gsteps = budget(full=200, grading=5)
correctors = {}
for name, bias in [("copy bias (b = -2)", -2.0), ("no copy bias (b = 0)", 0.0)]:
    seed_everything(0)
    model = PointerGenerator(len(gvocab), 64, 64, p_gen_bias=bias, pad_id=gvocab.pad_id, unk_id=gvocab.unk_id,
                             mix=final_distribution).to(device)
    start = time.perf_counter()
    losses, _ = fit(model, gpairs, gvocab, gsteps, lr=1e-2)
    correctors[name] = model
    print(f"{name:22s}: {gsteps} steps in {time.perf_counter() - start:.1f} s, loss over the first 20 steps "
          f"{np.mean(losses[:20]):.2f}, over the last 20 {np.mean(losses[-20:]):.2f}")

# %%
sources, targets = [s for s, _ in gtest], [t for _, t in gtest]
g_outputs = {"copy the input": sources}
for name, model in correctors.items():
    g_outputs[name] = decode(model, gtest, gvocab, max(len(s) for s in sources) + 3)
g_results = {}
print(f"{'':24s}{'exact match':>12s}{'P':>7s}{'R':>7s}{'F0.5':>7s}   mean p_gen on the test targets")
for name, hyps in g_outputs.items():
    p, r, f = edit_prf(sources, hyps, targets)
    g_results[name] = dict(exact=np.mean([h == t for h, t in zip(hyps, targets)]), P=p, R=r, F=f)
    if name in correctors:
        with torch.no_grad():
            src, lengths, dec_in, tgt, mask, n_extra, _ = make_batch(gtest, gvocab)
            out = correctors[name](src.to(device), lengths, dec_in.to(device), n_extra)
            g_results[name]["p_gen"] = float(out.p_gen[mask.to(device)].mean())
    x = g_results[name]
    print(f"{name:24s}{x['exact']:12.1%}{p:7.3f}{r:7.3f}{f:7.3f}   "
          f"{x['p_gen']:.2f}" if "p_gen" in x else f"{name:24s}{x['exact']:12.1%}{p:7.3f}{r:7.3f}{f:7.3f}   -")
cb, nb, cp = g_results["copy bias (b = -2)"], g_results["no copy bias (b = 0)"], g_results["copy the input"]
_word = lambda a, b: "raises" if a > b else "lowers" if a < b else "leaves unchanged"   # noqa: E731
print(f"\nthe copy bias {_word(cb['F'], nb['F'])} F0.5 ({cb['F']:.3f} against {nb['F']:.3f}) and {_word(cb['exact'], nb['exact'])} "
      f"exact match ({cb['exact']:.1%} against {nb['exact']:.1%}); its mean p_gen at the end: {cb['p_gen']:.2f} against "
      f"{nb['p_gen']:.2f}")
print(f"the best model {'beats' if max(cb['exact'], nb['exact']) > cp['exact'] else 'does not beat'} copying the "
      f"input on exact match ({max(cb['exact'], nb['exact']):.1%} vs {cp['exact']:.1%}, the share of clean test sentences)")
for k, (h, (s, t)) in enumerate(zip(g_outputs["copy bias (b = -2)"], gtest)):
    if s != t and k < 60 and h != s:
        print(f"example: {' '.join(s)}\n   model: {' '.join(h)}\n   truth: {' '.join(t)}")
        break

# %% [markdown]
# The table says whether either model learned to correct in this budget and whether starting with a copy
# bias mattered. It is one run with one seed: differences of a few points of exact match or a few
# hundredths of $F_{0.5}$ between the two models are within what another seed could change. The last column is
# the mean $p_{gen}$ each model ended with on the test targets: where the two are close, the starting bias was
# learned away within these few hundred steps. Notice what a model must do to beat "copy the input": every sentence it rewrites wrongly
# costs exact match and precision, so a small model that mostly copies can beat one that paraphrases. The
# typos are hard for a word-level model in particular: a misspelling is usually out of vocabulary, so the
# encoder reads it as `<unk>` and the decoder must generate the right word from the context alone — copying
# that position copies the typo. A character-level or BPE model sees the letters; so does the real corrector.
#
# ## Summary
#
# - A pointer-generator mixes generating and copying: $P(w) = p_{gen} P_{vocab}(w) + (1 - p_{gen})\sum_{i:
#   \text{src}_i = w} a_i$ over an extended vocabulary with per-example OOV ids; `scatter_add` adds the
#   attention of repeated words; decoder inputs read copied OOVs as `<unk>`.
# - $-\log(P + \varepsilon)$ keeps the loss and its gradient finite when $p_{gen}$ saturates at 0 or 1.
# - Coverage $c_t = \sum_{t'<t} a_{t'}$ and the loss $\sum_i \min(a_{t,i}, c_{t,i})$ discourage attending
#   to the same words again; the tables above measure its effect on repetition.
# - ROUGE-N is clipped n-gram overlap and ROUGE-L the longest common subsequence; yours agree with
#   `rouge-score` (reference first, no stemming) when they are right: the results cell printed yours next to it.
# - BPE makes (almost) every word spellable; copying makes in-source words producible whole. The OOV table
#   compares the two on the same test words.
# - Judge a summariser against extractive baselines and a corrector against copying the input, as the
#   printed comparisons do: on small data the baselines are hard to beat.
#
# ## Reflection (2 points, graded by hand)
#
# Use your tables and pictures. (a) On the summarization task, say which words the pointer-generator copied
# in the picture (and whether they were OOV), and explain from the OOV column why the seq2seq could not
# write them. (b) Coverage: did it lower repetition here, and at what cost or gain in ROUGE? Give one reason
# why coverage might help less on code summaries than on long news articles. (c) Grammar correction: explain
# why "copy the input" is a strong baseline for exact match and why $F_{0.5}$ is 0 for it. (4–6 sentences.)

# %% [markdown] nbgrader="manual" grade_id="reflection" points=2
# ### BEGIN SOLUTION
# *Model answer (for graders; the numbers depend on the run).* (a) The orange bars mark words whose probability
# came mostly from attention: typically identifiers of the function (its name's words, argument names) and,
# where printed, OOV words spelt out from the source. The seq2seq's output layer has only the $V$ vocabulary
# words, so a reference OOV can only become `<unk>`: its OOV column is 0 %, while the pointer-generators
# produce a share of them by copying. (b) Coverage lowered the repeated-word rate where the printed sentence
# says so, with a small change in ROUGE either way; summaries here are one short line (median ~8 words) over
# short sources, so there is little room to wander back over the same words, and the repeated words of the
# seq2seq are mostly generated function words ("the", "of"), which coverage (a penalty on attention) does not
# touch. On long news articles the decoder repeats whole copied phrases, which is what coverage targets.
# (c) Some test sentences are clean, and copying gets all of them exactly right while proposing no wrong edit; a
# model that rewrites must fix errors without breaking anything. Copying proposes no edit, so by the M2
# conventions its precision is 1 but its recall is 0, and $F_{0.5}$ = 0: it corrects nothing.
# Full marks: (a) copied words and the vocabulary argument; (b) reads the repetition numbers and gives a
# plausible reason (short outputs, generated vs copied repetitions); (c) clean sentences / no edits, P = 1, R = 0.
# ### END SOLUTION
