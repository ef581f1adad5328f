# %% [markdown]
# # Day 06 — Sequence to sequence: teacher forcing, greedy decoding, beam search
#
# Until now every model produced one output per input step. Translation, summarisation and date
# normalisation break that: the output has its own length and its own order. The encoder-decoder
# ("seq2seq", Sutskever et al. 2014; Cho et al. 2014) answers with two RNNs: one *reads* the source into
# a vector, the other *writes* the target from that vector, one token at a time, each token fed back in.
#
# **By the end of today you can**
# 1. encode a padded batch of sources with packing, and say what the decoder gets to see of them;
# 2. write one decoder step, and the teacher-forced training loss with the target shifted correctly;
# 3. explain exposure bias, and schedule a decaying teacher-forcing ratio;
# 4. decode greedily, and with batched beam search and length normalisation;
# 5. measure exact-match accuracy against input length, and read the single-vector bottleneck in it.
#
# **How this notebook works.** Each exercise is one function. Replace `raise NotImplementedError()` with
# your code, then run the test cell right below it: it tells you what is wrong if something is. Those
# visible tests are a first check; when your notebook is graded, more tests (batch 1, length 1, `<eos>`
# handling, parity with the course's reference on random weights) are run too. Before submitting,
# restart the kernel and run everything, then press **Validate**.
# Validate's "Success!" and a test cell's "✓ … passed" mean that the visible tests passed, not a
# grade: graders run hidden tests too.
#
# Points: 12 autograded (seven exercises), 2 for the reflection at the end.

# %%
import math
import time

import numpy as np
import torch
import matplotlib.pyplot as plt
from torch import nn

from course_lib.notebook.runtime import setup_notebook, budget, seed_everything
from course_lib.notebook.checks import check_close, check_dtype, check_equal, check_shape, check_type, check_true, run_answer
from course_lib.metrics.accuracy import accuracy_by_length, exact_match
from course_lib.notebook.plotting import plot_lines, PALETTE
from course_lib.losses.cross_entropy import masked_cross_entropy
from course_lib.batching.padding import pack, unpack, lengths_to_mask
from course_lib.training.loop import train
from course_lib.data.dates import date_pairs, build_vocabs, encode_pairs
from course_lib.batching.buckets import bucket_batches, endless_batches, padding_fraction
from course_lib.models.seq2seq import EncoderOutput, map_state, repeat_encoder_output

device = setup_notebook(seed=0)

# %% [markdown]
# ## 1. The data: dates, written many ways
#
# **This data is generated, not downloaded.** No parallel corpus ships with an offline installation,
# so we make one: every day from 1950 to 2049 is written by Babel — which carries the Unicode CLDR's
# date formats for hundreds of locales — in one of six languages (English, German, French, Spanish,
# Italian, Dutch) and one of seven formats, and paired with its ISO form `YYYY-MM-DD`. (One combination
# is left out: the US short form "3/9/17" is month-first, the Spanish "9/3/17" day-first; side by side
# the input would be ambiguous.) The task is small, but it is real normalisation: month names in six languages, weekdays to ignore, day-month
# order that depends on the locale, two-digit years to expand. It also has a property we need on
# Day 07: every output character comes from a few input characters (the year, the month name, the day),
# so an attention map can be checked by eye.
#
# The splits are made by **date**: a day in the test set never appears in training, in any language or
# format. Everything is character-level.

# %%
pairs = date_pairs()
src_vocab, tgt_vocab = build_vocabs(pairs.train)
PAD, BOS, EOS = tgt_vocab.pad_id, tgt_vocab.bos_id, tgt_vocab.eos_id
print({name: len(p) for name, p in pairs.items()}, "pairs")
shared = {t for _, t in pairs.train} & {t for _, t in pairs.test}
print("dates shared by train and test:", len(shared))
print(f"source vocabulary {len(src_vocab)} characters, target vocabulary {len(tgt_vocab)}: {tgt_vocab.itos}")
for src, tgt in pairs.train[::4000]:
    print(f"  {src!r:38} -> {tgt}")
train_set = encode_pairs(pairs.train, src_vocab, tgt_vocab)
test_set = encode_pairs(pairs.test, src_vocab, tgt_vocab)
src_len = np.array([len(s) for s, _ in train_set])
print(f"source length: min {src_len.min()}, median {np.median(src_len):.0f}, max {src_len.max()}; "
      f"every target is 10 characters + <bos>, <eos>")

# %% [markdown]
# **Length-bucketed batches.** Sources run from a few characters to a few dozen. A random batch is
# padded to its longest member; `bucket_batches` sorts pools of examples by length before cutting them
# into batches, so the members of a batch have similar lengths. How much of each batch is padding:

# %%
g = torch.Generator().manual_seed(0)
random_batches = [bucket_batches([train_set[i] for i in idx], 64, shuffle=False)
                  for idx in torch.randperm(len(train_set), generator=g)[:64 * 100].reshape(100, 64).tolist()]
print(f"padding in random batches of 64:   {padding_fraction(next(b).src_lengths.tolist() for b in random_batches):.1%}")
sample = train_set[: budget(full=len(train_set), grading=3000)]
print(f"padding in bucketed batches of 64: {padding_fraction(b.src_lengths.tolist() for b in bucket_batches(sample, 64, generator=g)):.1%}")

# %% [markdown]
# ## 2. The encoder, and the bottleneck
#
# The encoder embeds the source characters $x_1 \dots x_S$ and runs an RNN over them:
# $h_s = \mathrm{RNN}(e(x_s), h_{s-1})$. In a padded batch the RNN must stop at each sequence's *own*
# last character, or the "final" state of a short sequence is the state after reading a run of `<pad>`.
# Packing (Day 05) does exactly that, and `nn.GRU` then returns, for every sequence, the state at its
# last real step.
#
# The plain seq2seq decoder starts from that final state $h_S$ **and sees nothing else of the source.**
# Whatever the decoder needs — a weekday to skip, the month, the day, four digits of year — has to fit
# in one vector of $H$ numbers, written before the decoder starts. That is the *bottleneck* this day
# measures and Day 07's attention removes. The encoder therefore returns more than the decoder uses
# today: every state $(B, S, H)$ and the source mask $(B, S)$, so that an attention decoder can plug in
# unchanged.
#
# ### Exercise 1 — encode a padded batch (2 points)
#
# Write `encode_source`: embed `src`, pack with `course_lib.batching.padding.pack` (it uses
# `enforce_sorted=False`, so the batch may stay in its order), run the RNN, unpack back to the
# **full** source width $S$ (`unpack(..., total_length=S)`), and build the mask with `lengths_to_mask`.
# Return `EncoderOutput(states, final, mask)`. It must work for `nn.GRU` and `nn.LSTM` (whose final state
# is a pair `(h, c)`), with one layer or several. The mask comes from `lengths`, not from the token ids:
# the padding id need not be 0, and 0 may be a real token.

# %% nbgrader="answer" grade_id="encode_source"
def encode_source(embedding: nn.Embedding, rnn: nn.RNNBase, src: torch.Tensor, lengths: torch.Tensor) -> EncoderOutput:
    """Run a batch-first RNN over padded sources without reading the padding.

    embedding: nn.Embedding(V_src, E); rnn: batch-first nn.GRU / nn.LSTM (E -> H)
    src: (B, S) ids, padded at the end; lengths: (B,) true lengths, >= 1, any order
    returns EncoderOutput(states (B, S, H) zeros at padding, final (layers, B, H) or (h, c), mask (B, S) bool)
    """
    ### BEGIN SOLUTION
    S = src.shape[1]
    packed, final = rnn(pack(embedding(src), lengths))          # final: last real state of every sequence
    states, _ = unpack(packed, total_length=S)                  # (B, S, H)
    return EncoderOutput(states, final, lengths_to_mask(lengths, S))
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_encode_source" points=2
seed_everything(1)
_emb, _gru = nn.Embedding(9, 4), nn.GRU(4, 5, batch_first=True)
_src = torch.tensor([[8, 0, 3, 3, 3], [4, 5, 6, 7, 3], [5, 3, 3, 3, 3]])   # padded with id 3; id 0 is a real token
_len = torch.tensor([2, 4, 1])                          # not sorted; no sequence fills the width S = 5
_gru2 = nn.GRU(4, 3, num_layers=2, batch_first=True)
with torch.no_grad():                                                       # expected: each sequence alone, unpadded
    _alone = [_gru(_emb(_src[b:b + 1, :n])) for b, n in enumerate(_len.tolist())]
    _alone2 = _gru2(_emb(_src[0:1, :2]))[1]                                 # 2 layers: (2, 1, 3)
_out = run_answer(encode_source, _emb, _gru, _src, _len, name="encode_source on a GRU batch")
check_type(_out, tuple, "encode_source output", hint="return EncoderOutput(states, final, mask)")
check_shape(_out[0], (3, 5, 5), "states (B=3, S=5, H=5)",
            hint="unpack with total_length=S: the states keep the source's full width even when no sequence fills it")
check_dtype(_out[2], torch.bool, "mask dtype", hint="lengths_to_mask gives a bool mask")
check_equal(_out[2], torch.tensor([[True, True] + [False] * 3, [True] * 4 + [False], [True] + [False] * 4]),
            "mask (B=3, S=5)", hint="mask[b, s] is True where s < lengths[b], whatever the token ids: "
                                   "lengths_to_mask(lengths, S), not src != 0")
check_close(_out[1][:, 0], _alone[0][1][:, 0], "final state of the first sequence (length 2)",
            hint="the final state must be the state after the last *real* character, not after the padding: pack the "
                 "batch (lengths in any order: enforce_sorted=False, as course_lib's pack does)")
check_close(_out[1][:, 2], _alone[2][1][:, 0], "final state of the third sequence (length 1)",
            hint="the final state must be the state after the last *real* character: pack the batch")
for _b, _n in enumerate(_len.tolist()):
    check_close(_out[0][_b, :_n], _alone[_b][0][0], f"states of sequence {_b} at its {_n} real positions",
                hint="run the RNN on the packed batch, then unpack")
check_close(_out[0][0, 2:], torch.zeros(3, 5), "states at padding positions",
            hint="take the states from the packed run, unpacked: unpack fills padding with 0")
_out2 = run_answer(encode_source, _emb, _gru2, _src, _len, name="encode_source on a 2-layer GRU")
check_shape(_out2[1], (2, 3, 3), "2-layer GRU: final state (layers=2, B=3, H=3)",
            hint="return the RNN's own final state: every layer, not only the top one")
check_close(_out2[1][:, 0], _alone2[:, 0], "2-layer GRU: final state of the first sequence (length 2), both layers",
            hint="the RNN's own final state holds every layer's state at the last real step; the states (B, S, H) "
                 "are only the top layer's")
# an LSTM: its final state is the pair (h, c)
_lstm1 = nn.LSTM(4, 3, batch_first=True)
with torch.no_grad():
    _h_alone, _c_alone = _lstm1(_emb(_src[0:1, :2]))[1]                    # sequence 0 alone: (1, 1, 3) each
_out3 = run_answer(encode_source, _emb, _lstm1, _src, _len, name="encode_source on an LSTM")
check_true(isinstance(_out3[1], tuple) and len(_out3[1]) == 2, "LSTM: final state",
           f"expected the pair (h, c), got {type(_out3[1]).__name__}",
           hint="return the RNN's final state as it is: for an LSTM the pair (h, c), both are needed by the decoder")
check_close(_out3[1][1][:, 0], _c_alone[:, 0], "LSTM: final cell state c of the first sequence (length 2)",
            hint="final = what the LSTM returns after the packed batch: (h, c), each (layers, B, H)")
### BEGIN HIDDEN TESTS
import course_lib.models.seq2seq as _ref_s2s
from course_lib.notebook.rules import written_by_you
seed_everything(2)
_emb2, _lstm = nn.Embedding(9, 3).double(), nn.LSTM(3, 4, num_layers=2, batch_first=True).double()
_src2 = torch.randint(0, 9, (4, 7))
_len2 = torch.tensor([3, 1, 5, 2])
_src2[torch.arange(7)[None] >= _len2[:, None]] = 8
_want = _ref_s2s.encode(_emb2, _lstm, _src2, _len2)
_want1 = _ref_s2s.encode(_emb, _gru, _src[2:], _len[2:])
_gru3 = nn.GRU(4, 3, num_layers=3, batch_first=True)
_src4 = torch.tensor([[1, 2, 3], [4, 5, 6]])
_len4 = torch.tensor([3, 3])
_want3 = _ref_s2s.encode(_emb, _gru3, _src4, _len4)
_src3 = _src2.clone()
_src3[~_want.mask] = 7
with written_by_you("encode_source"):
    _got = run_answer(encode_source, _emb2, _lstm, _src2, _len2, name="hidden check: LSTM, 2 layers, float64")
    check_type(_got[1], tuple, "hidden check: an LSTM's final state is the pair (h, c)", hint="return the RNN's final state as it is")
    check_close(_got[0], _want.states, "hidden check: LSTM, 2 layers, float64: states", atol=1e-10,
                hint="states: the top layer's output at every position, zeros at padding")
    check_close(_got[1][0], _want.final[0], "hidden check: LSTM, 2 layers: final h of every layer", atol=1e-10,
                hint="final: the RNN's own final state, every layer, at each sequence's last real step")
    check_close(_got[1][1], _want.final[1], "hidden check: LSTM, 2 layers: final c of every layer", atol=1e-10,
                hint="final: the RNN's own final state, (h, c) for an LSTM")
    check_shape(_got[0], (4, 7, 4), "hidden check: states keep the full width S when no sequence fills it")
    check_equal(_got[2], _want.mask, "hidden check: mask with a padding id that is not 0")
    check_close(run_answer(encode_source, _emb2, _lstm, _src3, _len2, name="hidden check: other padding ids")[0],
                _want.states, "hidden check: the content of padding positions does not matter", atol=1e-10)
    _got1 = run_answer(encode_source, _emb, _gru, _src[2:], _len[2:], name="hidden check: batch 1, length 1")
    check_close(_got1[0], _want1.states, "hidden check: batch 1, length 1: states")
    check_close(_got1[1], _want1.final, "hidden check: batch 1, length 1: final state")
    check_equal(_got1[2], _want1.mask, "hidden check: batch 1 mask")
    _got3 = run_answer(encode_source, _emb, _gru3, _src4, _len4, name="hidden check: GRU, 3 layers, no padding")
    check_close(_got3[1], _want3.final, "hidden check: GRU, 3 layers: final state of every layer",
                hint="final: the RNN's own final state, (layers, B, H)")
    check_close(_got3[0], _want3.states, "hidden check: GRU, 3 layers: states of the top layer")
### END HIDDEN TESTS

# %% [markdown]
# ## 3. The decoder: one step at a time
#
# The decoder is a second RNN with its own embedding and an output layer. At step $t$ it reads the
# previous target token $y_{t-1}$ (at $t = 1$, the start token `<bos>`), updates its state, and scores
# every token of the target vocabulary:
#
# $$s_t = \mathrm{RNN}\big(e'(y_{t-1}),\, s_{t-1}\big), \qquad s_0 = h_S, \qquad
# p(y_t \mid y_{<t}, x) = \operatorname{softmax}(W s_t + b).$$
#
# Writing it as one step (rather than a call over the whole target) is what lets us feed it its *own*
# predictions at test time. For that reason every decoder in this course has the interface
# `step(prev_tokens (B,), state, enc) -> (logits (B, V), new state)`.
#
# ### Exercise 2 — one decoder step (2 points)
#
# Embed the previous tokens, give the RNN a time axis of length 1, advance it from `state`, drop the
# time axis, and apply `out`. Return **logits** (no softmax: the loss and the decoders apply their own)
# and the new state, with the gradient still attached (no `.detach()`: training backpropagates through it).

# %% nbgrader="answer" grade_id="decoder_step"
def decoder_step(embedding: nn.Embedding, rnn: nn.RNNBase, out: nn.Linear, prev_tokens: torch.Tensor, state):
    """One decoder step.

    embedding: nn.Embedding(V, E); rnn: batch-first nn.GRU / nn.LSTM (E -> H); out: nn.Linear(H, V)
    prev_tokens: (B,) ids; state: (layers, B, H), or (h, c) for an LSTM
    returns (logits (B, V), new state of the same form as `state`)
    """
    ### BEGIN SOLUTION
    emb = embedding(prev_tokens).unsqueeze(1)          # (B, 1, E)
    output, state = rnn(emb, state)                    # (B, 1, H)
    return out(output.squeeze(1)), state               # (B, V)
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_decoder_step" points=2
seed_everything(3)
_emb, _gru, _lin = nn.Embedding(7, 4), nn.GRU(4, 5, batch_first=True), nn.Linear(5, 7)
_prev, _state = torch.tensor([2, 5, 6]), torch.randn(1, 3, 5, requires_grad=True)
with torch.no_grad():                                       # expected: nn.GRU over a sequence of length 1
    _o, _h = _gru(_emb(_prev)[:, None], _state)
    _o1, _h1 = _gru(_emb(_prev[1:2])[:, None], _state[:, 1:2])
_gru2, _state2 = nn.GRU(4, 5, num_layers=2, batch_first=True), torch.randn(2, 3, 5)
with torch.no_grad():
    _o2, _h2 = _gru2(_emb(_prev)[:, None], _state2)
_logits, _new = run_answer(decoder_step, _emb, _gru, _lin, _prev, _state, name="decoder_step, B=3")
check_shape(_logits, (3, 7), "logits (B=3, V=7)", hint="squeeze the time axis of the RNN output before `out`")
check_shape(_new, (1, 3, 5), "new state (layers=1, B=3, H=5)", hint="return the RNN's new state as it returns it")
check_close(_new, _h, "new state", hint="run the RNN from the given `state` (not from zeros) on the embedded previous "
                                         "tokens, with a time axis of 1, and return its new state")
check_close(_logits, _lin(_o[:, 0]), "logits", hint="logits = out(RNN output at the one step); no softmax")
check_true(_new.requires_grad, "the new state carries the gradient",
           "the new state does not require grad", hint="do not .detach() the state: training backpropagates through it")
# a batch of one, with its own given state
_logits1, _new1 = run_answer(decoder_step, _emb, _gru, _lin, _prev[1:2], _state[:, 1:2], name="decoder_step, batch of one")
check_shape(_logits1, (1, 7), "batch of one: logits (B=1, V=7)",
            hint="squeeze only the time axis (squeeze(1)): a plain squeeze() also drops a batch axis of size 1")
check_close(_new1, _h1, "batch of one: new state from the given state",
            hint="pass `state` to the RNN: rnn(emb, state)")
check_close(_logits1, _lin(_o1[:, 0]), "batch of one: logits")
# two layers: the state holds both
_logits2, _new2 = run_answer(decoder_step, _emb, _gru2, _lin, _prev, _state2, name="decoder_step, 2-layer GRU")
check_close(_new2, _h2, "2-layer GRU: new state of both layers (2, B=3, H=5)",
            hint="return the RNN's own new state (layers, B, H), not its output (the top layer only)")
check_close(_logits2, _lin(_o2[:, 0]), "2-layer GRU: logits from the top layer's output",
            hint="logits = out(RNN output at the one step)")
# an LSTM: the state is the pair (h, c)
_lstm1 = nn.LSTM(4, 5, batch_first=True)
_state_hc = (torch.randn(1, 3, 5), torch.randn(1, 3, 5))
with torch.no_grad():
    _o4, (_h4, _c4) = _lstm1(_emb(_prev)[:, None], _state_hc)
_logits4, _new4 = run_answer(decoder_step, _emb, _lstm1, _lin, _prev, _state_hc, name="decoder_step, LSTM")
check_true(isinstance(_new4, tuple) and len(_new4) == 2, "LSTM: new state",
           f"expected the pair (h, c), got {type(_new4).__name__}", hint="return the RNN's new state as it returns it")
check_close(_new4[1], _c4, "LSTM: new cell state c", hint="return the RNN's new state (h, c) as it returns it")
check_close(_logits4, _lin(_o4[:, 0]), "LSTM: logits",
            hint="logits = out(RNN output at the one step), not out(state[-1]): for an LSTM state[-1] is the cell c")
### BEGIN HIDDEN TESTS
import course_lib.models.seq2seq as _ref_s2s
from course_lib.notebook.rules import written_by_you
seed_everything(4)
_emb2, _lstm, _lin2 = nn.Embedding(6, 3).double(), nn.LSTM(3, 4, num_layers=2, batch_first=True).double(), nn.Linear(4, 6).double()
_st2 = (torch.randn(2, 3, 4, dtype=torch.float64), torch.randn(2, 3, 4, dtype=torch.float64))
_p2 = torch.tensor([1, 0, 5])
_want = _ref_s2s.decoder_step(_emb2, _lstm, _lin2, _p2, _st2)
_st1 = (_st2[0][:, 2:].clone(), _st2[1][:, 2:].clone())
_want1 = _ref_s2s.decoder_step(_emb2, _lstm, _lin2, _p2[2:], _st1)
_gru3 = nn.GRU(4, 5, num_layers=3, batch_first=True)
_st3 = torch.randn(3, 2, 5)
_want3 = _ref_s2s.decoder_step(_emb, _gru3, _lin, _prev[:2], _st3)
with written_by_you("decoder_step"):
    _got = run_answer(decoder_step, _emb2, _lstm, _lin2, _p2, _st2, name="hidden check: 2-layer LSTM, float64")
    check_type(_got[1], tuple, "hidden check: an LSTM's new state is the pair (h, c)", hint="return the RNN's new state as it is")
    check_close(_got[0], _want[0], "hidden check: 2-layer LSTM, float64: logits", atol=1e-10,
                hint="logits from the RNN's output (the top layer), not from the state tuple")
    check_close(_got[1][0], _want[1][0], "hidden check: 2-layer LSTM: new h", atol=1e-10)
    check_close(_got[1][1], _want[1][1], "hidden check: 2-layer LSTM: new c", atol=1e-10)
    _got1 = run_answer(decoder_step, _emb2, _lstm, _lin2, _p2[2:], _st1, name="hidden check: LSTM, batch 1")
    check_shape(_got1[0], (1, 6), "hidden check: LSTM, batch 1: logits keep their batch axis")
    check_close(_got1[0], _want1[0], "hidden check: LSTM, batch 1, given state: logits", atol=1e-10)
    check_close(_got1[1][1], _want1[1][1], "hidden check: LSTM, batch 1, given state: new c", atol=1e-10)
    _got3 = run_answer(decoder_step, _emb, _gru3, _lin, _prev[:2], _st3, name="hidden check: 3-layer GRU")
    check_close(_got3[1], _want3[1], "hidden check: 3-layer GRU: new state of every layer",
                hint="the new state is the RNN's (layers, B, H) state, not its output")
    check_close(_got3[0], _want3[0], "hidden check: 3-layer GRU: logits")
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Teacher forcing, and the shift by one
#
# Training maximises $\log p(y \mid x) = \sum_t \log p(y_t \mid y_{<t}, x)$. The cheap way to compute every
# term is **teacher forcing**: feed the decoder the *true* previous token at every step, whatever it
# predicted. With the target stored as `tgt = <bos> y_1 ... y_n <eos> <pad>...` of width $T$:
#
# | step $t$ | 1 | 2 | … | $n+1$ |
# |---|---|---|---|---|
# | decoder reads `tgt[:, t-1]` | `<bos>` | $y_1$ | … | $y_n$ |
# | and must predict `tgt[:, t]` | $y_1$ | $y_2$ | … | `<eos>` |
#
# so the inputs are `tgt[:, :-1]` and the targets `tgt[:, 1:]`, both of width $T - 1$. Feed it `tgt[:, 1:]`
# instead (a common slip — the seq2seq skeleton in the notes this course grew from passes the same
# `tgt` as input and as target) and the decoder reads the very token it must predict: the loss drops
# to nearly zero and the model has learned to copy. The loss is averaged over **real** target tokens:
# padding after `<eos>` is masked out (`masked_cross_entropy`, Day 05).
#
# **Exposure bias.** A teacher-forced decoder only ever sees correct prefixes. At test time it reads its
# own outputs, and after its first mistake it is somewhere it has never been. *Scheduled sampling*
# (Bengio et al. 2015) closes the gap gradually: at each step and for each sequence, feed the true token
# with probability $r$ (the **teacher-forcing ratio**) and the model's own arg-max prediction otherwise,
# and lower $r$ as training goes on.
#
# ### Exercise 3 — the teacher-forcing loss (2 points)
#
# Use `model.encoder(src, src_lengths)` (it returns an `EncoderOutput`), `model.decoder.init_state(enc)`
# (not `enc.final` directly: a decoder may prepare its start state) and `model.decoder.step(prev, state, enc)`,
# $T - 1$ steps in all. The first step reads `tgt[:, 0]` (`<bos>`). After the step scored on `tgt[:, t]`, draw
# `use_truth = torch.rand(B) < ratio` — a fresh draw at every step, so each sequence gets its own choice at
# each step — and feed the true token `tgt[:, t]` where `use_truth`, else that step's arg-max prediction.
# Return the mean cross-entropy over the real tokens of `tgt[:, 1:]`: every real token counts once, whatever
# its row, and padding (`model.pad_id`, which need not be 0) not at all.

# %% nbgrader="answer" grade_id="teacher_forcing_loss"
def teacher_forcing_loss(model, src: torch.Tensor, src_lengths: torch.Tensor, tgt: torch.Tensor,
                         ratio: float = 1.0) -> torch.Tensor:
    """Mean cross-entropy per real target token, with teacher forcing at `ratio`.

    src: (B, S) ids, src_lengths: (B,), tgt: (B, T) = <bos> y_1 ... <eos> <pad> ...
    The decoder reads T - 1 tokens and is scored on tgt[:, 1:]; padding (model.pad_id) does not count.
    returns a 0-dim tensor
    """
    ### BEGIN SOLUTION
    enc = model.encoder(src, src_lengths)
    state = model.decoder.init_state(enc)
    prev, steps = tgt[:, 0], []
    for t in range(1, tgt.shape[1]):
        logits, state = model.decoder.step(prev, state, enc)                   # (B, V)
        steps.append(logits)
        use_truth = torch.rand(tgt.shape[0], device=tgt.device) < ratio
        prev = torch.where(use_truth, tgt[:, t], logits.argmax(dim=-1))
    targets = tgt[:, 1:]                                                       # (B, T-1)
    return masked_cross_entropy(torch.stack(steps, dim=1), targets, targets != model.pad_id)
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_teacher_forcing_loss" points=2
class _BagEncoder(nn.Module):
    """A toy encoder: the final state (1, B, V) is the sum of the source's embeddings at its real positions."""

    def __init__(self, V_src, V):
        super().__init__()
        self.embedding = nn.Embedding(V_src, V)

    def forward(self, src, lengths):
        mask = torch.arange(src.shape[1])[None] < lengths[:, None]
        states = self.embedding(src) * mask[..., None]
        return EncoderOutput(states, states.sum(1)[None], mask)


class _TableDecoder(nn.Module):
    """A toy decoder: init_state doubles enc.final; a step moves the state to 0.5 * state + table[prev]
    and returns it as the logits. Every step appends (tokens read, logits) to _TableDecoder.log."""
    log = []

    def __init__(self, V):
        super().__init__()
        self.table = nn.Parameter(torch.randn(V, V))

    def init_state(self, enc):
        return 2.0 * enc.final

    def step(self, prev_tokens, state, enc):
        state = 0.5 * state + self.table[prev_tokens][None]
        _TableDecoder.log.append((prev_tokens.detach().clone(), state[0].detach().clone()))
        return state[0], state


class _ToyModel(nn.Module):
    def __init__(self, seed, V_src=12, V=9, bos_id=2, eos_id=3, pad_id=0):
        super().__init__()
        seed_everything(seed)
        self.encoder, self.decoder = _BagEncoder(V_src, V), _TableDecoder(V)
        self.bos_id, self.eos_id, self.pad_id = bos_id, eos_id, pad_id


def _reads(fn, *args, name, **kwargs):
    """Run the answer; return (loss, the tokens the decoder read (B, steps), the logits of each step (B, steps, V))."""
    _TableDecoder.log.clear()
    loss = run_answer(fn, *args, name=name, **kwargs)
    if not _TableDecoder.log:
        return loss, None, None
    return loss, torch.stack([r for r, _ in _TableDecoder.log], 1), torch.stack([lg for _, lg in _TableDecoder.log], 1)


_m = _ToyModel(5)
_src = torch.tensor([[4, 5, 6, 7, 8], [9, 10, 0, 0, 0]])
_len = torch.tensor([5, 2])
_tgt = torch.tensor([[2, 4, 5, 6, 3], [2, 7, 3, 0, 0]])
_loss, _read, _ = _reads(teacher_forcing_loss, _m, _src, _len, _tgt, name="teacher_forcing_loss, ratio 1")
check_shape(_loss, (), "loss (a 0-dim tensor)", hint="return the mean as a 0-dim tensor")
check_true(_read is not None, "the decoder runs", "model.decoder.step was never called",
           hint="run model.decoder.step(prev, state, enc) once per target position")
check_shape(_read, (2, 4), "tokens the decoder read: one per step, T - 1 = 4 steps",
            hint="the decoder reads tgt[:, :-1] (T - 1 tokens) and is scored on tgt[:, 1:]")
check_equal(_read, _tgt[:, :-1], "with ratio 1 the decoder reads <bos>, y_1, ..., y_n: tgt[:, :-1]",
            hint="step t reads the token *before* the one it must predict: start from tgt[:, 0] and feed tgt[:, t] after the step scored on tgt[:, t]")
check_close(_loss, 2.2841976, "loss with full teacher forcing, padding id 0", atol=1e-5,
            hint="decoder.init_state(enc) as the start state; targets tgt[:, 1:]; the mean over the real "
                 "(non-<pad>) targets only, every token counting once")
check_true(_loss.requires_grad, "loss is differentiable", "the loss does not require grad",
           hint="keep the logits in the graph: no .detach(), no torch.no_grad()")
# the same batch, with padding id 1: the mask must come from model.pad_id
_m1 = _ToyModel(5, pad_id=1)
_loss1 = run_answer(teacher_forcing_loss, _m1, _src, _len, torch.where(_tgt == 0, 1, _tgt), name="teacher_forcing_loss, padding id 1")
check_close(_loss1, 2.2841976, "loss when the padding id is 1 (model.pad_id)", atol=1e-5,
            hint="mask the targets that equal model.pad_id, whatever its value, not those equal to 0")
# ratio 0: the decoder reads its own previous arg-max
_mb = _ToyModel(6)
seed_everything(0)
_tgtb = torch.randint(4, 9, (64, 10))
_tgtb[:, 0] = 2
_srcb, _lenb = torch.randint(4, 12, (64, 3)), torch.full((64,), 3)
_, _read0, _lg0 = _reads(teacher_forcing_loss, _mb, _srcb, _lenb, _tgtb, ratio=0.0, name="teacher_forcing_loss, ratio 0")
check_equal(_read0[:, 0], _tgtb[:, 0], "ratio 0: the first step reads <bos>", hint="the first step always reads tgt[:, 0]")
check_equal(_read0[:, 1:], _lg0[:, :-1].argmax(-1), "ratio 0: every later step reads the previous step's arg-max",
            hint="without teacher forcing, feed logits.argmax(dim=-1) of the step just run")
# ratio 0.8: a fresh choice per sequence and per step
seed_everything(1)
_, _read8, _lg8 = _reads(teacher_forcing_loss, _mb, _srcb, _lenb, _tgtb, ratio=0.8, name="teacher_forcing_loss, ratio 0.8")
_truth, _own = _tgtb[:, 1:-1], _lg8[:, :-1].argmax(-1)
check_true(bool(((_read8[:, 1:] == _truth) | (_read8[:, 1:] == _own)).all()), "ratio 0.8: every token read is the truth or the previous arg-max",
           f"{int(((_read8[:, 1:] != _truth) & (_read8[:, 1:] != _own)).sum())} tokens read are neither",
           hint="feed tgt[:, t] or the arg-max of the step just run, nothing else (no sampling)")
_differ = _truth != _own                                    # where the two choices can be told apart
_forced = (_read8[:, 1:] == _truth) & _differ
_share = _forced.sum().item() / _differ.sum().item()
check_true(abs(_share - 0.8) < 0.1, "ratio 0.8: share of steps fed the true token",
           f"{_share:.0%} of the choices fed the true token, expected about 80%",
           hint="feed the truth where torch.rand(B) < ratio (True with probability `ratio`)")
_both_in_step = [bool(_forced[_differ[:, t], t].any() and (~_forced[_differ[:, t], t]).any()) for t in range(_differ.shape[1])]
check_true(all(_both_in_step), "ratio 0.8: within one step, some sequences get the truth and others their own prediction",
           f"at steps {[t + 1 for t, ok in enumerate(_both_in_step) if not ok]} every sequence got the same choice",
           hint="draw one choice per sequence: torch.rand(B) < ratio, not one random number for the whole batch")
_mixed_rows = sum(bool(_forced[b, _differ[b]].any() and (~_forced[b, _differ[b]]).any()) for b in range(64) if _differ[b].sum() >= 4)
check_true(_mixed_rows > 32, "ratio 0.8: within one sequence, the choice changes from step to step",
           f"only {_mixed_rows} of 64 sequences mix true tokens and their own predictions",
           hint="draw a fresh choice at every step, not once per sequence before the loop")
### BEGIN HIDDEN TESTS
import course_lib.models.seq2seq as _ref_s2s
import course_lib.losses.cross_entropy as _ref_loss
from course_lib.notebook.rules import written_by_you


def _course_model(seed, cell="GRU", pad_id=0):
    seed_everything(seed)
    return _ref_s2s.Seq2Seq(_ref_s2s.Encoder(12, 6, 8, cell), _ref_s2s.Decoder(9, 5, 8, cell), bos_id=2, eos_id=3, pad_id=pad_id)


_m2 = _course_model(6, "LSTM", pad_id=7)
_src2 = torch.randint(4, 12, (3, 6))
_len2 = torch.tensor([6, 1, 3])
_src2[torch.arange(6)[None] >= _len2[:, None]] = 0
_tgt2 = torch.tensor([[2, 5, 3, 7, 7, 7], [2, 4, 6, 8, 0, 3], [2, 3, 7, 7, 7, 7]])     # padding id 7; id 0 is a real token
_m3 = _course_model(8, "GRU")
with torch.no_grad():
    _want_free = _ref_loss.teacher_forcing_loss(_m2, _src2, _len2, _tgt2, ratio=0.0)
    _want_forced = _ref_loss.teacher_forcing_loss(_m2, _src2, _len2, _tgt2, ratio=1.0)
    _want1 = _ref_loss.teacher_forcing_loss(_m3, _src2[1:2], _len2[1:2], _tgt2[1:2, :5], ratio=1.0)
    _want1_free = _ref_loss.teacher_forcing_loss(_m3, _src2[1:2], _len2[1:2], _tgt2[1:2, :5], ratio=0.0)
_m3.zero_grad()
_ref_loss.teacher_forcing_loss(_m3, _src2, _len2, _tgt2.clamp(max=6), ratio=1.0).backward()
_want_grad = _m3.decoder.out.weight.grad.clone()
_m3.zero_grad()
with written_by_you("teacher_forcing_loss"):
    check_close(run_answer(teacher_forcing_loss, _m2, _src2, _len2, _tgt2, ratio=1.0, name="hidden check: LSTM, ratio 1"),
                _want_forced, "hidden check: LSTM, full teacher forcing, padding id 7, different padding per row", atol=1e-5,
                hint="targets tgt[:, 1:], mask from model.pad_id, the mean over every real token")
    check_close(run_answer(teacher_forcing_loss, _m2, _src2, _len2, _tgt2, ratio=0.0, name="hidden check: LSTM, ratio 0"),
                _want_free, "hidden check: ratio 0 feeds the model's own arg-max predictions", atol=1e-5)
    check_close(run_answer(teacher_forcing_loss, _m3, _src2[1:2], _len2[1:2], _tgt2[1:2, :5], name="hidden check: batch 1"),
                _want1, "hidden check: batch 1, default ratio (1)", atol=1e-5)
    check_close(run_answer(teacher_forcing_loss, _m3, _src2[1:2], _len2[1:2], _tgt2[1:2, :5], ratio=0.0, name="hidden check: batch 1, ratio 0"),
                _want1_free, "hidden check: batch 1, ratio 0", atol=1e-5)
    run_answer(teacher_forcing_loss, _m3, _src2, _len2, _tgt2.clamp(max=6), ratio=1.0, name="hidden check: gradient", copy=False).backward()
    check_close(_m3.decoder.out.weight.grad, _want_grad, "hidden check: gradient of the output layer", atol=1e-6,
                hint="the loss must be built from the decoder's logits, in the graph")
    seed_everything(3)
    _, _read3, _lg3 = _reads(teacher_forcing_loss, _mb, _srcb, _lenb, _tgtb, ratio=0.3, name="hidden check: ratio 0.3")
    _truth3, _own3 = _tgtb[:, 1:-1], _lg3[:, :-1].argmax(-1)
    check_true(bool(((_read3[:, 1:] == _truth3) | (_read3[:, 1:] == _own3)).all()), "hidden check: ratio 0.3: truth or own arg-max",
               "some tokens read are neither")
    _d3 = _truth3 != _own3
    _sh3 = ((_read3[:, 1:] == _truth3) & _d3).sum().item() / _d3.sum().item()
    check_true(abs(_sh3 - 0.3) < 0.1, "hidden check: ratio 0.3: share of true tokens fed", f"{_sh3:.0%}, expected about 30%")
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 4 — a decaying teacher-forcing ratio (1 point)
#
# A linear schedule: $r = $ `start` at step 0, falling linearly to `end` at step `decay_steps`, and
# staying at `end` afterwards (it must never go past `end`, and never rise).

# %% nbgrader="answer" grade_id="teacher_forcing_ratio"
def teacher_forcing_ratio(step: int, decay_steps: int, start: float = 1.0, end: float = 0.0) -> float:
    """The teacher-forcing ratio at training step `step` (0, 1, 2, ...): a float."""
    ### BEGIN SOLUTION
    return start + (end - start) * min(step / decay_steps, 1.0)
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_teacher_forcing_ratio" points=1
_r0 = run_answer(teacher_forcing_ratio, 0, 100, name="teacher_forcing_ratio(0, 100)")
check_type(_r0, float, "teacher_forcing_ratio returns a float", hint="return a Python float (float(...) if you used torch or numpy)")
check_close(_r0, 1.0, "ratio at step 0", hint="the schedule starts at `start`")
check_close(run_answer(teacher_forcing_ratio, 50, 100, name="half-way"), 0.5, "ratio half-way (start 1, end 0)",
            hint="linear: start + (end - start) * step / decay_steps")
check_close(run_answer(teacher_forcing_ratio, 25, 100, 0.9, 0.3, name="a quarter of the way"), 0.75,
            "ratio a quarter of the way from start=0.9 to end=0.3", hint="linear in the step (not cosine, not exponential), from `start` to `end`")
check_close(run_answer(teacher_forcing_ratio, 100, 100, 1.0, 0.25, name="at decay_steps"), 0.25, "ratio at decay_steps with end=0.25",
            hint="the ratio reaches `end` exactly at step decay_steps")
check_close(run_answer(teacher_forcing_ratio, 150, 100, 1.0, 0.25, name="after decay_steps"), 0.25, "ratio after decay_steps stays at end=0.25",
            hint="clamp: past decay_steps the ratio stays at `end` (min(step / decay_steps, 1))")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
with written_by_you("teacher_forcing_ratio"):
    _r = [run_answer(teacher_forcing_ratio, s, 10, 0.9, 0.3, name=f"hidden check: step {s} of 10") for s in range(20)]
    check_true(all(a >= b - 1e-12 for a, b in zip(_r, _r[1:])), "hidden check: the ratio never rises",
               f"got {[round(x, 3) for x in _r]}", hint="linear from `start` down to `end`, then constant")
    check_close(_r[15], 0.3, "hidden check: constant at `end` after decay_steps")
    check_close(_r[4], 0.9 - 0.6 * 0.4, "hidden check: start=0.9, end=0.3, step 4 of 10")
    check_close(run_answer(teacher_forcing_ratio, 2, 7, 0.95, 0.15, name="hidden check: step 2 of 7"), 0.95 - 0.8 * 2 / 7,
                "hidden check: start=0.95, end=0.15, step 2 of 7", atol=1e-9)
    check_close(run_answer(teacher_forcing_ratio, 1, 1, name="hidden check: decay_steps = 1"), 0.0, "hidden check: decay_steps = 1")
    check_close(run_answer(teacher_forcing_ratio, 0, 1, 0.6, 0.6, name="hidden check: start = end"), 0.6,
                "hidden check: start = end: constant")
    check_type(run_answer(teacher_forcing_ratio, 3, 7, 0.8, 0.1, name="hidden check: type"), float, "hidden check: a float")
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Training on dates
#
# The model: character embeddings, a one-layer GRU encoder of 128 units, a GRU decoder of the same size
# that starts from the encoder's final state, and a linear output layer — assembled below from **your**
# `encode_source`, `decoder_step` and `teacher_forcing_loss`, so a mistake in one of them shows in the loss
# curve here and in the accuracy of Section 8. Adam, gradients clipped at norm 1, batches of 64 from the
# length buckets, a one-cycle learning-rate schedule. The teacher-forcing ratio stays at 1 for the first
# 80 % of the steps and decays linearly to 0.5 over the last 20 %, with your schedule. (While grading, this
# cell trains for a few steps only.)

# %%
class DateEncoder(nn.Module):
    """Character embeddings and a GRU; the forward pass is your encode_source."""

    def __init__(self, vocab_size, embed_size, hidden_size, pad_id=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=pad_id)
        self.rnn = nn.GRU(embed_size, hidden_size, batch_first=True)

    def forward(self, src, lengths):
        return encode_source(self.embedding, self.rnn, src, lengths)


class DateDecoder(nn.Module):
    """The plain decoder: it starts from the encoder's final state; a step is your decoder_step."""

    def __init__(self, vocab_size, embed_size, hidden_size):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, vocab_size)

    def init_state(self, enc):
        return enc.final

    def step(self, prev_tokens, state, enc):
        return decoder_step(self.embedding, self.rnn, self.out, prev_tokens, state)


class DateModel(nn.Module):
    """An encoder and a decoder, with the special token ids they share."""

    def __init__(self, encoder, decoder, bos_id, eos_id, pad_id=0):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder
        self.bos_id, self.eos_id, self.pad_id = bos_id, eos_id, pad_id


HIDDEN, STEPS, BATCH = 128, budget(full=3000, grading=8), 64
HOLD = int(0.8 * STEPS)  # steps at ratio 1 before the decay starts
seed_everything(0)
model = DateModel(DateEncoder(len(src_vocab), 32, HIDDEN, PAD), DateDecoder(len(tgt_vocab), 16, HIDDEN),
                  BOS, EOS, PAD).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2, total_steps=STEPS)
ratios = []


def date_loss(model, batch):
    step = len(ratios)
    ratio = teacher_forcing_ratio(max(0, step - HOLD), max(1, STEPS - HOLD), 1.0, 0.5)
    ratios.append(ratio)
    return teacher_forcing_loss(model, batch.src, batch.src_lengths, batch.tgt, ratio)


start = time.perf_counter()
history = train(model, optimizer, endless_batches(train_set, BATCH, seed=0, device=device), date_loss, STEPS,
                max_grad_norm=1.0, scheduler=scheduler)
print(f"trained {STEPS} steps in {time.perf_counter() - start:.0f} s; "
      f"mean loss over the last 50 steps {np.mean(history['loss'][-50:]):.3f}")
fig, ax = plt.subplots(figsize=(8, 3.5))
ax.plot(history["loss"], color=PALETTE[0], alpha=0.8, label="training loss (per token)")
ax.set(yscale="log", xlabel="step", ylabel="loss", title="Training, teacher-forcing ratio on the right axis")
ax2 = ax.twinx()
ax2.plot(ratios, color=PALETTE[1], linestyle="--", label="teacher-forcing ratio")
ax2.set(ylim=(0, 1.05), ylabel="ratio")
_ = fig.legend(loc="upper right", bbox_to_anchor=(0.88, 0.88))
plt.show()

# %% [markdown]
# As the ratio falls, the model is more and more often scored on prefixes it produced itself — a harder
# task than continuing a perfect prefix — so the training loss late in training is not comparable with
# the loss early on: it measures a different, changing task, closer to what the model faces at test time.
#
# ## 6. Greedy decoding
#
# At test time there is no target to force. **Greedy decoding** feeds back the arg-max token each step
# and stops a sequence at `<eos>`. In a batch, sequences end at different steps: a finished row keeps
# getting `<pad>` (and its later outputs are ignored), and decoding stops when every row has finished or
# `max_len` tokens have been produced.
#
# For the tests here, and below, a decoder we control: `ScriptedDecoder` reads its logits from a table
# keyed by the tokens generated so far, so we know exactly what every decoding strategy should return.

# %%
class ScriptedDecoder:
    """A decoder with the usual interface whose logits come from `table`: {tuple of tokens generated so
    far: list of V logits}; prefixes not in the table get `default`. Its state (1, B, max_len + 1) holds
    the tokens read so far (-1 = none), batch in dimension 1 like an RNN state. Counts its steps."""

    def __init__(self, table, V, max_len=8, default=None):
        self.table, self.V, self.max_len, self.steps = table, V, max_len, 0
        self.default = [0.0] * V if default is None else default

    def init_state(self, enc):
        return torch.full((1, enc.mask.shape[0], self.max_len + 1), -1, dtype=torch.long)

    def step(self, prev_tokens, state, enc):
        self.steps += 1
        state, logits = state.clone(), []
        for b in range(prev_tokens.shape[0]):
            n = int((state[0, b] >= 0).sum())
            state[0, b, n] = prev_tokens[b]
            prefix = tuple(state[0, b, 1: n + 1].tolist())         # the tokens generated so far
            logits.append(torch.tensor(self.table.get(prefix, self.default), dtype=torch.float32))
        return torch.stack(logits), state


def dummy_encoding(B):
    """An EncoderOutput for B examples, for decoders that ignore the source."""
    return EncoderOutput(torch.zeros(B, 1, 1), torch.zeros(1, B, 1), torch.ones(B, 1, dtype=torch.bool))


# %% [markdown]
# ### Exercise 5 — greedy decoding (2 points)
#
# Start every row from `<bos>` and `decoder.init_state(enc)` (the batch size is `enc.mask.shape[0]`).
# Each step, take the arg-max, replace it by `pad_id` in rows that have already finished, record it, and
# feed it back. Return the recorded tokens `(B, L)`: each row up to and including its `<eos>`, then
# `pad_id`; `L` is the number of steps run — stop as soon as every row has produced `<eos>`, and after at
# most `max_len` steps. No gradients are needed (`torch.no_grad()`).

# %% nbgrader="answer" grade_id="greedy_decode"
def greedy_decode(decoder, enc: EncoderOutput, bos_id: int, eos_id: int, max_len: int, pad_id: int = 0) -> torch.Tensor:
    """Greedy decoding for a batch.

    decoder: has init_state(enc) and step(prev_tokens (B,), state, enc) -> (logits (B, V), state)
    returns (B, L) long, L <= max_len: tokens up to and including <eos>, then pad_id
    """
    ### BEGIN SOLUTION
    B = enc.mask.shape[0]
    with torch.no_grad():
        state = decoder.init_state(enc)
        prev = torch.full((B,), bos_id, dtype=torch.long, device=enc.mask.device)
        finished = torch.zeros(B, dtype=torch.bool, device=enc.mask.device)
        out = []
        for _ in range(max_len):
            logits, state = decoder.step(prev, state, enc)
            token = logits.argmax(dim=-1).masked_fill(finished, pad_id)
            out.append(token)
            finished = finished | (token == eos_id)
            prev = token
            if finished.all():
                break
    return torch.stack(out, dim=1)
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_greedy_decode" points=2
class _PerRow(ScriptedDecoder):
    """Row b reads table b (prefixes not in it: logits `default`), so rows finish at different steps."""

    def __init__(self, tables, V, max_len=8, default=None):
        super().__init__({}, V, max_len, default)
        self.tables = tables

    def step(self, prev_tokens, state, enc):
        self.steps += 1
        state, logits = state.clone(), []
        for b in range(prev_tokens.shape[0]):
            n = int((state[0, b] >= 0).sum())
            state[0, b, n] = prev_tokens[b]
            logits.append(torch.tensor(self.tables[b].get(tuple(state[0, b, 1: n + 1].tolist()), self.default),
                                       dtype=torch.float32))
        return torch.stack(logits), state


# tokens: 0 <pad>, 1 <unk>, 2 <bos>, 3 <eos>, 4 "a", 5 "b"
_table = {(): [0, 0, 0, 0, 2, 1], (4,): [0, 0, 0, 3, 0, 1], (5,): [0, 0, 0, 0, 0, 2], (5, 5): [0, 0, 0, 2, 1, 0]}
_dec = ScriptedDecoder(_table, 6)
_out = run_answer(greedy_decode, _dec, dummy_encoding(2), 2, 3, max_len=6, name="greedy_decode, two identical rows", copy=False)
check_type(_out, torch.Tensor, "greedy_decode output", hint="return torch.stack(tokens, dim=1): a (B, L) long tensor")
check_equal(_out, torch.tensor([[4, 3], [4, 3]]), "greedy output for two identical rows: 'a' then <eos>",
            hint="arg-max each step, record it (the <eos> too), feed it back, stop when every row has <eos>")
check_equal(_dec.steps, 2, "number of decoder steps", hint="stop as soon as every row has produced <eos>")
_first = {(): [0, 0, 0, 0, 1, 2], (5,): [0, 0, 0, 0, 0, 2], (5, 5): [0, 0, 0, 3, 0, 0]}
check_equal(run_answer(greedy_decode, ScriptedDecoder(_first, 6), dummy_encoding(1), 2, 3, max_len=6, name="greedy 'b b <eos>'", copy=False),
            torch.tensor([[5, 5, 3]]), "greedy output 'b b <eos>' (batch of one)",
            hint="feed back the token just produced (not <bos> again); tokens are the arg-max over the vocabulary axis")
# rows that finish at different steps; padding id 1
_eos_now = {(): [0, 0, 0, 5, 0, 0]}
_ab = {(): [0, 0, 0, 0, 5, 0], (4,): [0, 0, 0, 0, 0, 5], (4, 5): [0, 0, 0, 5, 0, 0]}
_dec = _PerRow([_ab, _eos_now, _ab], 6, default=[0, 0, 0, 0, 5, 0])
_out = run_answer(greedy_decode, _dec, dummy_encoding(3), 2, 3, 6, pad_id=1, name="greedy_decode, rows ending at steps 3, 1, 3", copy=False)
check_shape(_out, (3, 3), "rows ending at steps 3, 1, 3: output (B=3, L=3)",
            hint="L is the number of steps run: stop once every row has produced <eos> (not when the first one has, "
                 "nor only when all produce it at the same step)")
check_equal(_out[1], torch.tensor([3, 1, 1]), "a row that ended at step 1: <eos>, then pad_id = 1",
            hint="after a row's <eos>, record pad_id (the argument, here 1) instead of its arg-max")
check_equal(_out[0], torch.tensor([4, 5, 3]), "a row still running: 'a b <eos>'")
check_equal(_dec.steps, 3, "rows ending at steps 3, 1, 3: decoder steps")
# no <eos> at all: exactly max_len tokens
_dec = ScriptedDecoder({}, 6, default=[0, 0, 0, 0, 0, 5])
check_equal(run_answer(greedy_decode, _dec, dummy_encoding(2), 2, 3, 4, name="greedy_decode, no <eos>", copy=False),
            torch.tensor([[5] * 4] * 2), "no <eos> ever: max_len = 4 tokens", hint="at most max_len steps: range(max_len)")
### BEGIN HIDDEN TESTS
import course_lib.models.seq2seq as _ref_s2s
import course_lib.decoding.greedy as _ref_greedy
from course_lib.notebook.rules import written_by_you
_long = {(): [0, 0, 0, 0, 5, 0], (4,): [0, 0, 0, 0, 0, 5], (4, 5): [0, 0, 0, 0, 5, 0], (4, 5, 4): [0, 0, 0, 5, 0, 0]}
_want_mixed = _ref_greedy.greedy_decode(_PerRow([_long, _eos_now, _long], 6, default=[0, 0, 0, 0, 0, 5]), dummy_encoding(3), 2, 3, 6)
# other special ids: <bos> 5, <eos> 1, <pad> 4
_odd = {(): [0, 0, 0, 5, 0, 0], (3,): [5, 0, 0, 0, 0, 0], (3, 0): [0, 5, 0, 0, 0, 0]}      # 3, 0, <eos>
_odd_b = {(): [0, 5, 0, 0, 0, 0]}                                                           # <eos> at once
_want_odd = _ref_greedy.greedy_decode(_PerRow([_odd, _odd_b], 6), dummy_encoding(2), 5, 1, 6, 4)
seed_everything(7)
_models = {}
for _cell in ("GRU", "LSTM"):
    _m = _ref_s2s.Seq2Seq(_ref_s2s.Encoder(10, 4, 6, _cell), _ref_s2s.Decoder(8, 4, 6, _cell), 2, 3, 0)
    _s = torch.randint(4, 10, (5, 4))
    _l = torch.tensor([4, 2, 3, 1, 4])
    _s[torch.arange(4)[None] >= _l[:, None]] = 0
    with torch.no_grad():
        _enc = _m.encoder(_s, _l)
    _models[_cell] = (_m.decoder, _enc, _ref_greedy.greedy_decode(_m.decoder, _enc, 2, 3, 7, 0))
_want_ids = _ref_greedy.greedy_decode(_m.decoder, _enc, 5, 6, 7, 1)          # <bos> 5, <eos> 6, <pad> 1 (LSTM)
with written_by_you("greedy_decode"):
    _d = ScriptedDecoder(_eos_now, 6)
    check_equal(run_answer(greedy_decode, _d, dummy_encoding(1), 2, 3, 5, name="hidden check: <eos> at step 1", copy=False),
                torch.tensor([[3]]), "hidden check: <eos> at step 1, batch 1")
    check_equal(_d.steps, 1, "hidden check: <eos> at step 1 stops after one step")
    _d = ScriptedDecoder({}, 6, default=[0, 0, 0, 0, 0, 5])
    check_equal(run_answer(greedy_decode, _d, dummy_encoding(1), 2, 3, 1, name="hidden check: max_len 1", copy=False),
                torch.tensor([[5]]), "hidden check: max_len = 1")
    check_equal(run_answer(greedy_decode, _PerRow([_long, _eos_now, _long], 6, default=[0, 0, 0, 0, 0, 5]), dummy_encoding(3), 2, 3, 6,
                           name="hidden check: rows finishing at different steps", copy=False),
                _want_mixed, "hidden check: rows finishing at different steps: <pad> after <eos>")
    check_equal(run_answer(greedy_decode, _PerRow([_odd, _odd_b], 6), dummy_encoding(2), 5, 1, 6, 4,
                           name="hidden check: <bos> 5, <eos> 1, <pad> 4", copy=False),
                _want_odd, "hidden check: other special ids: <bos> 5, <eos> 1, <pad> 4",
                hint="use the bos_id, eos_id and pad_id arguments, not fixed ids")
    for _cell, (_dec_m, _enc_m, _want_m) in _models.items():
        check_equal(run_answer(greedy_decode, _dec_m, _enc_m, 2, 3, 7, 0, name=f"hidden check: {_cell} seq2seq"),
                    _want_m, f"hidden check: parity with the reference on a {_cell} seq2seq",
                    hint="the batch size is enc.mask.shape[0]; the start state is decoder.init_state(enc)")
    check_equal(run_answer(greedy_decode, _m.decoder, _enc, 5, 6, 7, 1, name="hidden check: LSTM seq2seq, other ids"),
                _want_ids, "hidden check: LSTM seq2seq with <bos> 5, <eos> 6, <pad> 1",
                hint="start from bos_id; stop at eos_id; pad with pad_id (the arguments)")
### END HIDDEN TESTS

# %% [markdown]
# ## 7. Beam search, and why it needs length normalisation
#
# Greedy decoding commits to the best *token* at each step, which need not give the best *sequence*:
# a token that looks slightly worse now can lead to a much more likely continuation. **Beam search**
# keeps the $K$ best partial hypotheses (the *beams*) by summed log-probability. Each step, every live
# beam is extended by every token ($K \times V$ candidates per example) and ranked. A candidate that ends
# with `<eos>` and ranks among the best $K$ is a **finished** hypothesis: it is set aside, in a separate
# record of finished hypotheses, where live beams can no longer push it out. The $K$ live beams are
# always the best $K$ candidates that did *not* end. (Keeping finished hypotheses in the beam instead
# lets a live beam that later turns out worse take the finished one's slot, and the search can then
# return a worse answer than one it had found.) With $K = 1$ this is greedy decoding.
#
# Summed log-probabilities are negative, and every extra token adds a negative term, so raw scores
# favour **short** outputs. The usual fix ranks finished hypotheses by a **length-normalised** score
#
# $$\text{score}(y) = \frac{\log p(y \mid x)}{|y|^{\alpha}},$$
#
# with $|y|$ the number of generated tokens (`<eos>` included); $\alpha = 0$ is the raw sum, $\alpha = 1$
# the mean log-probability per token (Wu et al. 2016 use a smoothed variant of the same idea).
#
# ### Exercise 6 — one step of beam search (2 points)
#
# For `B` examples with `K` live beams each: add each beam's score to its `log_probs` and rank each
# example's `K * V` candidates best first, over the flattened last two axes, with
# `torch.sort(..., descending=True, stable=True)` (stable: exact ties keep the lower flat index
# `k * V + v`, i.e. the lower beam, then the lower token id, as `argmax` does). A flat index gives
# `parent = index // V` and `token = index % V`. Return
#
# * the new live beams, best first: the best `K` candidates whose token is **not** `eos_id` — their
#   `scores`, `parent` and `token`, each (B, K). (Each example has exactly `K` `<eos>` candidates, one per
#   beam, so at least `K` others remain.)
# * `ended` (B, K): `ended[b, k]` is the score of "beam `k`, then `<eos>`" if that candidate ranks among the
#   best `K` of example `b` (the search then keeps it as a finished hypothesis), otherwise `-inf`.

# %% nbgrader="answer" grade_id="beam_search_step"
def beam_search_step(scores, log_probs, eos_id):
    """One step of batched beam search over K live (unfinished) beams per example.

    scores: (B, K) the live beams' summed log-probabilities (-inf for an unused slot)
    log_probs: (B, K, V) this step's log-probabilities
    returns (scores (B, K), parent (B, K) long, token (B, K) long, ended (B, K))
    """
    ### BEGIN SOLUTION
    B, K, V = log_probs.shape
    candidates = (scores.unsqueeze(-1) + log_probs).reshape(B, K * V)
    order = torch.sort(candidates, dim=1, descending=True, stable=True).indices
    live = order[order % V != eos_id].reshape(B, K * V - K)[:, :K]
    rank = torch.empty_like(order).scatter_(1, order, torch.arange(K * V).expand(B, -1))
    eos_in_top_k = rank.reshape(B, K, V)[:, :, eos_id] < K
    ended = torch.where(eos_in_top_k, scores + log_probs[:, :, eos_id], torch.tensor(float("-inf"), dtype=scores.dtype))
    return candidates.gather(1, live), live // V, live % V, ended
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_beam_search_step" points=2
_scores = torch.tensor([[-0.5, -1.0]])
_lp = torch.log(torch.tensor([[[0.0, 0.0, 0.0, 0.1, 0.5, 0.4], [0.0, 0.0, 0.0, 0.9, 0.05, 0.05]]]))
_got = run_answer(beam_search_step, _scores, _lp, 3, name="beam_search_step, one example, K=2, V=6")
check_type(_got, tuple, "beam_search_step output", hint="return (scores, parent, token, ended)")
# ranked: beam 1 + <eos> (-1.11), beam 0 + 'a' (-1.19), beam 0 + 'b' (-1.42), beam 1 + 'a' (-4.00), ...
check_equal(_got[1], torch.tensor([[0, 0]]), "parents: the live beams are beam 0 + 'a' and beam 0 + 'b'",
            hint="rank all K * V candidates of an example together, skip those whose token is <eos>; parent = index // V")
check_equal(_got[2], torch.tensor([[4, 5]]), "tokens", hint="token = index % V; never eos_id")
check_close(_got[0], torch.tensor([[-0.5 + math.log(0.5), -0.5 + math.log(0.4)]]), "new live scores, best first",
            hint="a candidate's score is its beam's score plus its token's log-probability")
check_close(_got[3], torch.tensor([[float("-inf"), -1.0 + math.log(0.9)]]),
            "ended: beam 1 + <eos> ranks first (kept); beam 0 + <eos> ranks 4th of 12 (not among the best K = 2)",
            hint="ended[b, k] = scores[b, k] + log_probs[b, k, eos_id] if that candidate's rank among all K * V is < K, else -inf")
# two examples (ranked separately), float64, <eos> id 0, an unused slot (-inf) and an <eos> ranked (K + 1)-th
_sc2 = torch.tensor([[-1.0, -2.0, float("-inf")], [0.0, -0.25, -3.0]], dtype=torch.float64)
_lp2 = torch.log(torch.tensor([[[0.3, 0.6, 0.1], [0.1, 0.1, 0.8], [0.2, 0.4, 0.4]],
                               [[0.2, 0.5, 0.3], [0.05, 0.25, 0.7], [0.1, 0.8, 0.1]]], dtype=torch.float64))
# example 0 ranked: beam 0 + 1 (-1.51), beam 0 + <eos> (-2.20), beam 1 + 2 (-2.22), beam 0 + 2 (-3.30), ...
# example 1 ranked: beam 1 + 2 (-0.61), beam 0 + 1 (-0.69), beam 0 + 2 (-1.20), beam 0 + <eos> (-1.61), ...
_got = run_answer(beam_search_step, _sc2, _lp2, 0, name="beam_search_step, B=2, K=3, V=3, eos_id=0")
check_equal(_got[1], torch.tensor([[0, 1, 0], [1, 0, 0]]), "B=2: parents, each example ranked on its own",
            hint="sort each example's K * V candidates separately (dim=1 of a (B, K * V) tensor)")
check_equal(_got[2], torch.tensor([[1, 2, 2], [2, 1, 2]]), "B=2: tokens (eos_id = 0 is never a live token)",
            hint="compare with the eos_id argument, not a fixed id")
check_dtype(_got[0], torch.float64, "B=2: scores keep the dtype of the inputs (float64)",
            hint="do not create float32 tensors for the results; build them from the inputs")
check_close(_got[0], (_sc2[:, :, None] + _lp2).reshape(2, 9).gather(1, torch.tensor([[1, 5, 2], [5, 1, 2]])),
            "B=2: live scores", atol=1e-12)
check_close(_got[3], torch.tensor([[-1.0 + math.log(0.3), float("-inf"), float("-inf")], [float("-inf")] * 3], dtype=torch.float64),
            "B=2: ended: example 0's beam 0 + <eos> ranks 2nd (kept); example 1's best <eos> ranks 4th of 9 (not kept)",
            hint="an <eos> candidate counts when its rank among all K * V candidates is below K: the K-th live beam "
                 "is not the threshold, rank < K is")
check_dtype(_got[3], torch.float64, "B=2: ended keeps the dtype of the inputs (float64)",
            hint="torch.full_like(scores, float('-inf')) keeps the dtype; torch.full((B, K), ...) does not")
# exact ties: the lower beam, then the lower token id, first
# all 8 candidates tie; <eos> id 1: ranked beam 0 + 0, beam 0 + <eos>, beam 0 + 2, beam 0 + 3, beam 1 + 0, ...
_got = run_answer(beam_search_step, torch.zeros(1, 2), torch.full((1, 2, 4), math.log(0.25)), 1, name="beam_search_step, exact ties")
check_equal(_got[1], torch.tensor([[0, 0]]), "exact ties: parents (beam 0 first)",
            hint="torch.sort(..., descending=True, stable=True): torch.topk does not keep the order of ties")
check_equal(_got[2], torch.tensor([[0, 2]]), "exact ties: tokens (lowest ids first, <eos> = 1 skipped)",
            hint="torch.sort(..., descending=True, stable=True) on the flat index k * V + v")
check_close(_got[3], torch.tensor([[math.log(0.25), float("-inf")]]),
            "exact ties: ended (beam 0 + <eos> ranks 2nd of 8: kept; beam 1 + <eos> ranks 6th: not kept)",
            hint="ties are ranked by flat index k * V + v, <eos> candidates included")
### BEGIN HIDDEN TESTS
import course_lib.decoding.beam as _ref_beam
from course_lib.notebook.rules import written_by_you
_tie = torch.zeros(1, 2, 4, dtype=torch.float64)
_want_t = _ref_beam.beam_search_step(torch.zeros(1, 2, dtype=torch.float64), _tie, 3)
seed_everything(8)
_lp3 = torch.log_softmax(torch.randn(4, 3, 7, dtype=torch.float64), -1)
_sc3 = -torch.rand(4, 3, dtype=torch.float64) * 3
_sc3[1, 1:] = float("-inf")                                     # unused slots, as at the first step
_lp3[2, :, 3] = _lp3[2].max() + 0.5                             # <eos> best for every beam of example 2
_want3 = _ref_beam.beam_search_step(_sc3, _lp3, 3)
_want3e = _ref_beam.beam_search_step(_sc3, _lp3, 6)             # <eos> the last id
_lp1 = torch.log_softmax(torch.randn(1, 1, 7), -1)
_want1 = _ref_beam.beam_search_step(torch.zeros(1, 1), _lp1, 3)
_lp1e = torch.log_softmax(torch.tensor([[[0.0, 0, 0, 2.0, 2.0, 0, 1.0]]]), -1)   # <eos> ties 'a': argmax takes <eos>
_want1e = _ref_beam.beam_search_step(torch.zeros(1, 1), _lp1e, 3)
_lp5 = torch.log_softmax(torch.randn(2, 5, 40, dtype=torch.float64), -1).round(decimals=1)   # many ties, K * V = 200
_sc5 = torch.tensor([[0.0, 0.0, -0.5, -0.5, -1.0], [-1.0, -1.0, -1.0, -1.0, -1.0]], dtype=torch.float64)
_want5 = _ref_beam.beam_search_step(_sc5, _lp5, 1)
_names = ["scores", "parent", "token", "ended"]
with written_by_you("beam_search_step"):
    _g = run_answer(beam_search_step, torch.zeros(1, 2, dtype=torch.float64), _tie, 3, name="hidden check: ties")
    for _i, _what in enumerate(_names):
        check_close(_g[_i], _want_t[_i], f"hidden check: exact ties go to the lower beam, then the lower token id: {_what}",
                    hint="torch.sort(..., descending=True, stable=True), not topk")
    _g = run_answer(beam_search_step, _sc3, _lp3, 3, name="hidden check: B=4, K=3, V=7")
    for _i, _what in enumerate(_names):
        check_close(_g[_i], _want3[_i], f"hidden check: parity with the reference, B=4, K=3, V=7, float64: {_what}", atol=1e-10)
    check_dtype(_g[3], torch.float64, "hidden check: float64 in, float64 ended out")
    _g = run_answer(beam_search_step, _sc3, _lp3, 6, name="hidden check: eos_id = V - 1")
    for _i, _what in enumerate(_names):
        check_close(_g[_i], _want3e[_i], f"hidden check: <eos> is the last id: {_what}", atol=1e-10)
    _g = run_answer(beam_search_step, _sc5, _lp5, 1, name="hidden check: K=5, V=40, many ties")
    for _i, _what in enumerate(_names):
        check_close(_g[_i], _want5[_i], f"hidden check: K=5, V=40, many exact ties: {_what}", atol=1e-10,
                    hint="a stable sort keeps tied candidates in flat-index order")
    _g = run_answer(beam_search_step, torch.zeros(1, 1), _lp1, 3, name="hidden check: batch 1, one beam")
    check_equal(_g[2], _want1[2], "hidden check: batch 1, one beam (greedy)")
    _g = run_answer(beam_search_step, torch.zeros(1, 1), _lp1e, 3, name="hidden check: one beam, <eos> best")
    check_close(_g[3], _want1e[3], "hidden check: one beam, <eos> the best token: it ends")
    check_equal(_g[2], _want1e[2], "hidden check: one beam, <eos> the best token: the live beam takes the next best")
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 7 — length normalisation (1 point)
#
# Return `scores / lengths ** alpha` as a float tensor of the shape of `scores` (treat a length of 0 as 1).

# %% nbgrader="answer" grade_id="length_normalised"
def length_normalised(scores: torch.Tensor, lengths: torch.Tensor, alpha: float) -> torch.Tensor:
    """scores: (...) summed log-probabilities; lengths: (...) long, tokens generated; returns (...) float."""
    ### BEGIN SOLUTION
    return scores / lengths.clamp(min=1).to(scores.dtype) ** alpha
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_length_normalised" points=1
_s = torch.tensor([[-2.0, -3.0]])
_l = torch.tensor([[2, 6]])
check_close(run_answer(length_normalised, _s, _l, 1.0, name="alpha = 1"), torch.tensor([[-1.0, -0.5]]),
            "alpha = 1: mean log-probability per token", hint="divide by the length (to the power alpha = 1)")
check_close(run_answer(length_normalised, _s, _l, 0.0, name="alpha = 0"), _s, "alpha = 0: the raw sum",
            hint="length ** 0 = 1: alpha is an exponent of the length")
check_close(run_answer(length_normalised, _s, _l, 0.5, name="alpha = 0.5"), torch.tensor([[-1.4142136, -1.2247449]]),
            "alpha = 0.5: divide by the square root of the length", hint="scores / lengths ** alpha: alpha is the exponent")
_n64 = run_answer(length_normalised, _s.double(), _l, 1.0, name="float64 scores")
check_dtype(_n64, torch.float64, "float64 scores stay float64", hint="convert the lengths to the scores' dtype, not to float32")
check_close(run_answer(length_normalised, torch.tensor([-1.5, -4.0]), torch.tensor([0, 2]), 1.0, name="a length of 0"),
            torch.tensor([-1.5, -2.0]), "lengths (0, 2), alpha = 1: a length of 0 counts as 1",
            hint="treat a length of 0 as 1 (lengths.clamp(min=1)), or 0 ** alpha divides by zero")
### BEGIN HIDDEN TESTS
import course_lib.decoding.beam as _ref_beam
from course_lib.notebook.rules import written_by_you
_want07 = _ref_beam.length_normalised(_s.double(), _l, 0.7)
_s3 = -torch.rand(2, 3, 4, dtype=torch.float64) * 5
_l3 = torch.randint(1, 9, (2, 3, 4))
_want3 = _ref_beam.length_normalised(_s3, _l3, 1.3)
with written_by_you("length_normalised"):
    check_close(run_answer(length_normalised, torch.tensor([-1.5]), torch.tensor([0]), 1.0, name="hidden check: length 0"),
                torch.tensor([-1.5]), "hidden check: a length of 0 counts as 1", hint="lengths.clamp(min=1)")
    check_close(run_answer(length_normalised, _s.double(), _l, 0.7, name="hidden check: float64"), _want07,
                "hidden check: float64, alpha = 0.7", atol=1e-12)
    check_close(run_answer(length_normalised, _s3, _l3, 1.3, name="hidden check: (2, 3, 4), alpha 1.3"), _want3,
                "hidden check: any shape, alpha = 1.3", atol=1e-12)
    check_shape(run_answer(length_normalised, torch.tensor(-2.0), torch.tensor(4), 1.0, name="hidden check: 0-dim"), (),
                "hidden check: 0-dim scores")
### END HIDDEN TESTS

# %% [markdown]
# Beam search is these two functions in a loop, written out below on **your** `beam_search_step` and
# `length_normalised` (a mistake in either shows in the outputs that follow, and in Section 8). It starts each
# example with one live beam (the others at $-\infty$), reorders the decoder states by `parent` after every
# step, keeps the finished hypothesis with the best normalised score (a live beam still running after
# `max_len` tokens is cut and counts too), stops once no live beam can still beat it, and returns it. (With
# $K = 1$ it would be greedy decoding, which you wrote already; the loop asks for $K \ge 2$.)

# %%
@torch.no_grad()
def beam_search(decoder, enc, bos_id, eos_id, beam_width, max_len, alpha=1.0, pad_id=0):
    """Batched beam search on your beam_search_step and length_normalised.
    Returns (tokens (B, L): up to and including <eos>, then pad_id; normalised score (B,))."""
    if beam_width < 2:
        raise ValueError("a beam of 1 is greedy decoding: use greedy_decode")
    B, K = enc.mask.shape[0], beam_width
    device = enc.mask.device
    enc_k = repeat_encoder_output(enc, K)                   # example b at rows b*K ... b*K + K - 1
    state = decoder.init_state(enc_k)
    prev = torch.full((B * K,), bos_id, dtype=torch.long, device=device)
    history = torch.zeros(B, K, 0, dtype=torch.long, device=device)
    offset = torch.arange(B, device=device).unsqueeze(1) * K
    rows_b = torch.arange(B, device=device)
    best_tokens = torch.full((B, max_len), pad_id, dtype=torch.long, device=device)
    best_length = torch.zeros(B, dtype=torch.long, device=device)
    done = torch.zeros(B, dtype=torch.bool, device=device)
    scores = best = None
    for t in range(1, max_len + 1):
        logits, state = decoder.step(prev, state, enc_k)
        log_probs = torch.log_softmax(logits.float(), dim=-1).reshape(B, K, -1)
        if scores is None:                                  # one live beam to start
            scores = torch.full((B, K), float("-inf"), device=device)
            scores[:, 0] = 0.0
            best = torch.full((B,), float("-inf"), device=device)
        scores, parent, token, ended = beam_search_step(scores, log_probs, eos_id)
        ended = ended.masked_fill(done.unsqueeze(1), float("-inf"))         # stopped examples take no more
        norm = length_normalised(ended, torch.full_like(parent, t), alpha)
        k_best = norm.argmax(dim=1)
        better = norm[rows_b, k_best] > best
        if bool(better.any()):                              # a better finished hypothesis: keep it
            seq = torch.cat([history[rows_b, k_best], torch.full((B, 1), eos_id, dtype=torch.long, device=device)], 1)
            best_tokens[better, :t] = seq[better]
            best_tokens[better, t:] = pad_id
            best_length[better] = t
            best = torch.where(better, norm[rows_b, k_best], best)
        state = map_state(lambda s: s.index_select(1, (parent + offset).reshape(-1)), state)
        history = torch.cat([history.gather(1, parent.unsqueeze(-1).expand_as(history)), token.unsqueeze(-1)], 2)
        prev = token.reshape(-1)
        done = done | (best >= scores.max(dim=1).values / float(max_len) ** alpha)   # no live beam can still win
        if bool(done.all()):
            break
    if not bool(done.all()):                                # ran max_len steps: live beams are cut there
        norm = length_normalised(scores, torch.full_like(parent, max_len), alpha).masked_fill(done.unsqueeze(1), float("-inf"))
        k_best = norm.argmax(dim=1)
        better = norm[rows_b, k_best] > best
        best_tokens[better] = history[rows_b, k_best][better]
        best_length[better] = max_len
        best = torch.where(better, norm[rows_b, k_best], best)
    return best_tokens[:, :int(best_length.max())], best


# %% [markdown]
# On the first scripted decoder below, "b" (0.55) beats "a" (0.45) as a first token, but after "b" the
# decoder is unsure and after "a" it is sure: compare what greedy decoding and a beam of 2 return. The
# second one offers a short answer (`<eos>` at once, probability 0.4) and a long one whose tokens are each
# likely but whose product is smaller: compare $\alpha = 0$ with $\alpha = 1$.

# %%
_t = lambda **p: [math.log(p.get(k, 1e-9)) for k in ("pad", "unk", "bos", "eos", "a", "b")]  # noqa: E731
demo = {(): _t(a=0.45, b=0.55), (4,): _t(a=0.95, eos=0.05), (4, 4): _t(eos=0.99, a=0.01),
        (5,): _t(a=0.6, b=0.4), (5, 4): _t(eos=1.0), (5, 5): _t(eos=1.0)}
names = ["<pad>", "<unk>", "<bos>", "<eos>", "a", "b"]
show = lambda row: " ".join(names[t] for t in row if t != 0)  # noqa: E731
print("greedy            :", show(greedy_decode(ScriptedDecoder(demo, 6), dummy_encoding(1), 2, 3, 6)[0].tolist()))
for K, alpha in [(2, 0.0), (2, 1.0)]:
    tokens, score = beam_search(ScriptedDecoder(demo, 6), dummy_encoding(1), 2, 3, K, 6, alpha=alpha)
    print(f"beam K={K}, alpha={alpha}:", show(tokens[0].tolist()), f"  (normalised score {score.item():.3f})")
short = {(): _t(eos=0.4, a=0.6), (4,): _t(a=0.8, eos=0.2), (4, 4): _t(a=0.8, eos=0.2), (4, 4, 4): _t(eos=0.95, a=0.05)}
for alpha in (0.0, 1.0):
    tokens, score = beam_search(ScriptedDecoder(short, 6), dummy_encoding(1), 2, 3, 4, 6, alpha=alpha)
    print(f"short vs long, beam K=4, alpha={alpha}:", show(tokens[0].tolist()), f"  (normalised score {score.item():.3f})")

# %% [markdown]
# ## 8. How good is it, and where does it fail?
#
# On the held-out dates (never seen in training, in any form) we decode greedily and with a beam of 5
# ($\alpha = 1$), and count **exact matches**: the whole ISO date right, `<eos>` included. Then the same
# by source length. (While grading: a small sample of the test set.)

# %%
model.eval()
N_TEST = budget(full=len(test_set), grading=256)
evaluation = test_set[:N_TEST]
lengths, order, right = [], [], {"greedy": [], "beam 5": []}
start = time.perf_counter()
with torch.no_grad():
    for batch in bucket_batches(evaluation, 256, shuffle=False):
        batch = batch.to(device)
        lengths += batch.src_lengths.tolist()
        order += batch.index.tolist()                   # positions in the test set (batches are length-sorted)
        enc = model.encoder(batch.src, batch.src_lengths)
        right["greedy"] += exact_match(greedy_decode(model.decoder, enc, BOS, EOS, 12, PAD), batch.tgt, EOS, PAD).tolist()
        right["beam 5"] += exact_match(beam_search(model.decoder, enc, BOS, EOS, 5, 12, alpha=1.0, pad_id=PAD)[0],
                                       batch.tgt, EOS, PAD).tolist()
lengths = np.array(lengths)
right = {k: np.array(v) for k, v in right.items()}
print(f"decoded {len(lengths)} test dates twice in {time.perf_counter() - start:.1f} s")
for k, v in right.items():
    print(f"exact match, {k:7s}: {v.mean():.1%}")
print(f"beam right where greedy was wrong: {(right['beam 5'] & ~right['greedy']).sum()}, "
      f"the reverse: {(right['greedy'] & ~right['beam 5']).sum()}")
long_src = lengths > 25
print(f"greedy exact match, sources of at most 25 characters: {right['greedy'][~long_src].mean():.1%}; "
      f"longer: {right['greedy'][long_src].mean():.1%} ({long_src.sum()} dates)")

labels, counts, rates = accuracy_by_length(lengths, right, edges=[0, 10, 15, 20, 25, 30])
print(f"\n{'source length':>14}{'dates':>7}" + "".join(f"{k:>9}" for k in rates))
for j, label in enumerate(labels):
    print(f"{label:>14}{counts[j]:7d}" + "".join(f"{r[j]:9.1%}" for r in rates.values()))
fig, ax = plt.subplots(figsize=(7, 3.8))
plot_lines(ax, np.arange(len(labels)), rates, xlabel="source length (characters)", ylabel="exact match",
           title="Seq2seq without attention: accuracy vs input length")
ax.set_xticks(np.arange(len(labels)), labels)
ax.set_ylim(0, 1.02)
plt.show()

# %%
fields = {"year": slice(0, 4), "month": slice(5, 7), "day": slice(8, 10)}
errors = {f: 0 for f in fields}
with torch.no_grad():
    for batch in bucket_batches(evaluation, 256, shuffle=False):
        batch = batch.to(device)
        guesses = greedy_decode(model.decoder, model.encoder(batch.src, batch.src_lengths), BOS, EOS, 12, PAD)
        for row, i in zip(guesses.tolist(), batch.index.tolist()):
            guess, truth = tgt_vocab.decode(row), pairs.test[i][1]
            for f, where in fields.items():
                errors[f] += guess[where] != truth[where]
print("greedy outputs with a wrong field:", {f: f"{n / len(evaluation):.1%}" for f, n in errors.items()})
print("\nsome test dates the model got wrong (greedy):")
wrong = np.flatnonzero(~right["greedy"])[:: max(1, (~right["greedy"]).sum() // 8)][:8]
with torch.no_grad():
    for i in wrong:
        src_text, tgt_text = pairs.test[order[i]]
        s, _ = evaluation[order[i]]
        enc = model.encoder(s[None].to(device), torch.tensor([len(s)]))
        guess = greedy_decode(model.decoder, enc, BOS, EOS, 12, PAD)[0]
        print(f"  {src_text!r:38} -> {tgt_vocab.decode(guess.tolist())}   (right: {tgt_text})")

# %% [markdown]
# Read the table and the plot:
#
# - The field counts say *what* is lost. Year and day are digits the source mostly spells out as digits,
#   so copying them through the final state is learned first; the month is where the model fails: it
#   comes as a number, or as a name in one of six languages, full or abbreviated, and the decoder must
#   recover it from one vector written after the whole source was read. In this run the printed counts
#   put the errors in the month: the bottleneck carries the digits reliably, the month not yet.
# - Compare the rows of the table and the two figures printed for short and long sources. Dates are short
#   (the median source has 13 characters), so here *which* field must be recovered matters more than the
#   length of the source; the single vector becomes the limit on long inputs such as sentences.
# - The outputs are well-formed dates (look at the examples): the decoder has learned *how* to write a
#   date; what it loses is *which* date it was.
# - Beam search changes few answers here: the counts above say how many it fixed and how many it broke.
#   Dates have one right answer and the model is usually confident, so the best first token is nearly
#   always on the best path. Beam search pays off where many outputs are plausible and an early choice
#   constrains later ones (translation, summarisation), not where the model simply does not know.
#
# Day 07 gives the decoder the encoder's *every* state through attention, and measures the same plot again.
#
# ## Summary
#
# - An encoder reads the padded source with packing; the plain decoder starts from its final state and
#   sees nothing else of the source: one vector of $H$ numbers carries the whole input.
# - A decoder step maps (previous token, state) to (logits, new state). Training with teacher forcing
#   reads `tgt[:, :-1]` and predicts `tgt[:, 1:]`, with padding masked out of the loss.
# - Teacher forcing trains on perfect prefixes; scheduled sampling lowers the teacher-forcing ratio during
#   training so the model also learns from its own predictions.
# - Greedy decoding takes the arg-max each step; beam search keeps $K$ hypotheses, freezes those that end,
#   and ranks them by length-normalised log-probability, since raw sums favour short outputs.
# - Exact match on held-out dates, measured by input length and by field, shows what one vector of
#   $H$ numbers does not carry reliably: the bottleneck that Day 07 removes.
#
# ## Reflection (2 points, graded by hand)
#
# (a) Using the field counts and the length table of Section 8, explain in 2–3 sentences what the single
# context vector fails to carry for this model and why, and name one change *other than attention* that
# should help, with the reason.
# (b) In Section 5 the teacher-forcing ratio falls while the model trains. What does that do to the task
# the training loss measures, and why is the training loss then a poor guide to test-time quality?

# %% [markdown] nbgrader="manual" grade_id="reflection" points=2
# ### BEGIN SOLUTION
# *Model answer (for graders).* (a) The decoder sees the source only through the encoder's last state.
# Year and day digits can be copied almost directly and are right; the month arrives in many surface
# forms (numbers, names and abbreviations in six languages) that must all be mapped to the same value
# and kept in one vector to the end of the source, so it is the field that goes wrong; for sources this
# short the length table shows little dependence on length. Helpful changes:
# a larger hidden state (more capacity in the bottleneck), reversing the source (Sutskever et al. 2014:
# the first characters end up close to the decoder's start) or a bidirectional encoder whose final states
# summarise both ends, feeding the context vector to every decoder step (Cho et al. 2014), or simply more
# training. (b) Below ratio 1 some inputs are the model's own predictions, so after a mistake it is
# scored on a prefix that is already wrong — a harder, changing task — so the loss stops falling or rises
# although the model improves at what it faces at test time (exposure bias). The training loss mixes
# forced and free-running steps in a proportion that changes with the schedule; only a free-running
# metric (exact match on held-out data with greedy or beam decoding) measures test-time quality.
# Full marks: (a) bottleneck argument tied to the printed counts + one sound non-attention remedy with a reason;
# (b) own-prediction inputs make the task harder / exposure bias, and loss ≠ decoding accuracy.
# ### END SOLUTION
