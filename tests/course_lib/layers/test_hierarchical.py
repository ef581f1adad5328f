"""course_lib.layers.hierarchical promises: dialogue_masks gives token and turn masks and the number of real turns
from the turn lengths; encode_dialogues equals a loop that runs the GRUs on each real turn and on each dialogue's
real turn vectors, gives zeros at padded turns, ignores padded tokens and padded turns (extra padding changes
nothing, no gradient reaches them), handles a dialogue of one turn and a turn of one token, and refuses bad
input; dual_attention_step is two masked dot-product softmax attentions, equal to a brute-force loop in float64,
with exactly-zero weights at padding and zeros (no NaN, in value or gradient) for a row without any real
position; it passes gradcheck."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from course_lib.layers.hierarchical import dialogue_masks, dual_attention_step, encode_dialogues

f64 = torch.float64


def _modules(E=5, H=4, Hc=3, V=11, dtype=f64, seed=0):
    torch.manual_seed(seed)
    return (nn.GRU(E, H, batch_first=True).to(dtype), nn.GRU(H, Hc, batch_first=True).to(dtype),
            nn.Embedding(V, E, padding_idx=0).to(dtype))


def _batch(seed=0, V=11):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([[3, 1, 4, 0], [2, 0, 0, 0], [5, 5, 2, 3]])
    tokens = torch.randint(1, V, (3, 4, 5), generator=g)
    tokens[torch.arange(5) >= lengths.unsqueeze(-1)] = 0
    return tokens, lengths


def _loop(tokens, lengths, utt, ctx, emb):
    B, N, _ = tokens.shape
    H, Hc = utt.hidden_size, ctx.hidden_size
    vectors = torch.zeros(B, N, H, dtype=f64)
    states = torch.zeros(B, N, Hc, dtype=f64)
    for b in range(B):
        n_real = int((lengths[b] > 0).sum())
        for n in range(n_real):
            _, h = utt(emb(tokens[b, n, :lengths[b, n]]).unsqueeze(0))
            vectors[b, n] = h[-1, 0]
        out, _ = ctx(vectors[b, :n_real].unsqueeze(0))
        states[b, :n_real] = out[0]
    return states, vectors


def test_dialogue_masks_mark_real_tokens_real_turns_and_count_turns():
    token_mask, turn_mask, num = dialogue_masks(torch.tensor([[2, 1, 0], [3, 0, 0]]), 3)
    assert token_mask.dtype == turn_mask.dtype == torch.bool and num.dtype == torch.long
    assert token_mask.tolist() == [[[True, True, False], [True, False, False], [False] * 3],
                                   [[True] * 3, [False] * 3, [False] * 3]]
    assert turn_mask.tolist() == [[True, True, False], [True, False, False]] and num.tolist() == [2, 1]


def test_dialogue_masks_refuse_lengths_longer_than_max_len_or_negative():
    with pytest.raises(ValueError, match="<= L = 2"):
        dialogue_masks(torch.tensor([[3]]), 2)
    with pytest.raises(ValueError, match=">= 0"):
        dialogue_masks(torch.tensor([[-1]]), 2)
    with pytest.raises(ValueError, match="long"):
        dialogue_masks(torch.tensor([[1.0]]), 2)


def test_encode_dialogues_equals_a_loop_over_dialogues_and_turns_in_float64():
    tokens, lengths = _batch()
    utt, ctx, emb = _modules()
    states, mask, vectors = encode_dialogues(tokens, lengths, utt, ctx, emb)
    want_states, want_vectors = _loop(tokens, lengths, utt, ctx, emb)
    assert states.shape == (3, 4, 3) and vectors.shape == (3, 4, 4) and mask.shape == (3, 4)
    assert mask.tolist() == (lengths > 0).tolist()
    torch.testing.assert_close(vectors, want_vectors, atol=1e-12, rtol=0)
    torch.testing.assert_close(states, want_states, atol=1e-12, rtol=0)


def test_encode_dialogues_give_exact_zeros_at_padded_turns():
    tokens, lengths = _batch()
    states, _, vectors = encode_dialogues(tokens, lengths, *_modules())
    assert bool((states[lengths == 0] == 0).all()) and bool((vectors[lengths == 0] == 0).all())


def test_encode_dialogues_are_unchanged_by_extra_padding_and_by_what_padding_holds():
    tokens, lengths = _batch()
    mods = _modules()
    states, _, vectors = encode_dialogues(tokens, lengths, *mods)
    wider = torch.cat([tokens, torch.randint(1, 11, (3, 4, 3))], dim=2)          # 3 more padded tokens, not pad ids
    wider = torch.cat([wider, torch.randint(1, 11, (3, 2, 8))], dim=1)           # 2 more padded turns
    wider_lengths = torch.cat([lengths, torch.zeros(3, 2, dtype=torch.long)], dim=1)
    states2, _, vectors2 = encode_dialogues(wider, wider_lengths, *mods)
    torch.testing.assert_close(states2[:, :4], states, atol=1e-12, rtol=0)
    torch.testing.assert_close(vectors2[:, :4], vectors, atol=1e-12, rtol=0)
    assert bool((states2[:, 4:] == 0).all())


def test_encode_dialogues_send_no_gradient_to_padded_positions():
    tokens, lengths = _batch()
    utt, ctx, emb = _modules()
    emb.padding_idx = None                                                        # so a pad id could get a gradient
    real = torch.arange(5) < lengths.unsqueeze(-1)                                # (B, N, L)
    tokens = torch.where(real, tokens.clamp(max=9), torch.full_like(tokens, 10))  # padding holds word 10 only
    states, _, _ = encode_dialogues(tokens, lengths, utt, ctx, emb)
    states.sum().backward()
    assert bool((emb.weight.grad[10] == 0).all()) and bool(emb.weight.grad[1:10].abs().sum() > 0)


def test_encode_dialogues_handle_one_dialogue_of_one_turn_of_one_token():
    utt, ctx, emb = _modules()
    tokens, lengths = torch.tensor([[[4, 0]]]), torch.tensor([[1]])
    states, mask, vectors = encode_dialogues(tokens, lengths, utt, ctx, emb)
    want_states, want_vectors = _loop(tokens, lengths, utt, ctx, emb)
    assert mask.tolist() == [[True]]
    torch.testing.assert_close(states, want_states, atol=1e-12, rtol=0)
    torch.testing.assert_close(vectors, want_vectors, atol=1e-12, rtol=0)


def test_encode_dialogues_use_the_top_layer_of_a_two_layer_utterance_encoder():
    tokens, lengths = _batch()
    torch.manual_seed(1)
    utt, ctx, emb = nn.GRU(5, 4, num_layers=2, batch_first=True).double(), *_modules()[1:]
    states, _, vectors = encode_dialogues(tokens, lengths, utt, ctx, emb)
    want_states, want_vectors = _loop(tokens, lengths, utt, ctx, emb)
    torch.testing.assert_close(vectors, want_vectors, atol=1e-12, rtol=0)


def test_encode_dialogues_refuse_a_dialogue_without_a_real_turn_and_a_gap_between_turns():
    mods = _modules()
    with pytest.raises(ValueError, match="at least one real turn"):
        encode_dialogues(torch.ones(2, 2, 3, dtype=torch.long), torch.tensor([[1, 0], [0, 0]]), *mods)
    with pytest.raises(ValueError, match="real turns must come first"):
        encode_dialogues(torch.ones(1, 2, 3, dtype=torch.long), torch.tensor([[0, 2]]), *mods)
    with pytest.raises(ValueError, match=r"\(B, N, L\) long"):
        encode_dialogues(torch.ones(2, 3), torch.tensor([[1, 0], [0, 0]]), *mods)
    with pytest.raises(ValueError, match=r"\(B, N\) = \(1, 2\)"):
        encode_dialogues(torch.ones(1, 2, 3, dtype=torch.long), torch.tensor([[1, 1, 1]]), *mods)


def _attention_loop(q, keys, mask):
    B, S, H = keys.shape
    w = torch.zeros(B, S, dtype=f64)
    v = torch.zeros(B, H, dtype=f64)
    for b in range(B):
        real = [s for s in range(S) if mask[b, s]]
        if real:
            e = torch.stack([q[b] @ keys[b, s] for s in real])
            w[b, real] = torch.softmax(e, 0)
            v[b] = sum(w[b, s] * keys[b, s] for s in real)
    return v, w


def test_dual_attention_step_equals_two_masked_softmax_loops_in_float64():
    g = torch.Generator().manual_seed(3)
    q, ctx, per = (torch.randn(3, 4, generator=g, dtype=f64), torch.randn(3, 5, 4, generator=g, dtype=f64),
                   torch.randn(3, 2, 4, generator=g, dtype=f64))
    cm = torch.tensor([[True] * 5, [True, True, False, False, False], [True, False, False, False, False]])
    pm = torch.tensor([[True, True], [False, False], [True, False]])
    mixed, cw, pw = dual_attention_step(q, ctx, cm, per, pm)
    cv, cw_want = _attention_loop(q, ctx, cm)
    pv, pw_want = _attention_loop(q, per, pm)
    torch.testing.assert_close(cw, cw_want, atol=1e-12, rtol=0)
    torch.testing.assert_close(pw, pw_want, atol=1e-12, rtol=0)
    torch.testing.assert_close(mixed, torch.cat([cv, pv], 1), atol=1e-12, rtol=0)
    assert bool((cw[~cm] == 0).all()) and bool((pw[1] == 0).all()) and bool((mixed[1, 4:] == 0).all())


def test_dual_attention_step_gives_finite_gradients_for_a_row_without_persona():
    q = torch.randn(2, 3, dtype=f64, requires_grad=True)
    per = torch.randn(2, 2, 3, dtype=f64, requires_grad=True)
    ctx = torch.randn(2, 4, 3, dtype=f64, requires_grad=True)
    mixed, _, pw = dual_attention_step(q, ctx, torch.ones(2, 4, dtype=torch.bool), per,
                                       torch.tensor([[False, False], [True, False]]))
    (mixed.sum() + pw.sum()).backward()
    assert all(bool(torch.isfinite(x.grad).all()) for x in (q, per, ctx))
    assert bool((per.grad[0] == 0).all()) and bool((per.grad[1, 1] == 0).all())


def test_dual_attention_step_passes_gradcheck():
    g = torch.Generator().manual_seed(4)
    inputs = (torch.randn(2, 3, generator=g, dtype=f64, requires_grad=True),
              torch.randn(2, 4, 3, generator=g, dtype=f64, requires_grad=True),
              torch.randn(2, 2, 3, generator=g, dtype=f64, requires_grad=True))
    cm = torch.tensor([[True, True, True, False], [True, False, False, False]])
    pm = torch.tensor([[True, True], [False, False]])
    assert torch.autograd.gradcheck(lambda q, c, p: dual_attention_step(q, c, cm, p, pm), inputs)


def test_dual_attention_step_keeps_the_dtype_and_handles_batch_one():
    mixed, cw, pw = dual_attention_step(torch.ones(1, 2), torch.ones(1, 1, 2), torch.tensor([[True]]),
                                        torch.ones(1, 1, 2), torch.tensor([[False]]))
    assert mixed.dtype == torch.float32 and mixed.tolist() == [[1.0, 1.0, 0.0, 0.0]]
    assert cw.tolist() == [[1.0]] and pw.tolist() == [[0.0]]


def test_dual_attention_step_refuses_mismatched_shapes_and_non_bool_masks():
    with pytest.raises(ValueError, match=r"query \(B, H\)"):
        dual_attention_step(torch.ones(1, 3), torch.ones(1, 2, 2), torch.ones(1, 2, dtype=torch.bool),
                            torch.ones(1, 1, 2), torch.ones(1, 1, dtype=torch.bool))
    with pytest.raises(ValueError, match="mask must be bool"):
        dual_attention_step(torch.ones(1, 2), torch.ones(1, 2, 2), torch.ones(1, 2),
                            torch.ones(1, 1, 2), torch.ones(1, 1, dtype=torch.bool))


def test_dialogue_masks_refuse_a_max_len_that_is_not_a_non_negative_int():
    for bad in ("3", None, 3.0, True, -2):
        with pytest.raises(ValueError, match="max_len must be an int >= 0"):
            dialogue_masks(torch.tensor([[1]]), bad)


def test_encode_dialogues_refuse_a_bidirectional_or_lstm_encoder_an_empty_batch_and_ids_beyond_the_embedding():
    tokens, lengths = _batch()
    utt, ctx, emb = _modules()
    with pytest.raises(ValueError, match="unidirectional nn.GRU"):
        encode_dialogues(tokens, lengths, nn.GRU(5, 2, batch_first=True, bidirectional=True).double(), ctx, emb)
    with pytest.raises(ValueError, match="unidirectional nn.GRU"):
        encode_dialogues(tokens, lengths, utt, nn.LSTM(4, 3, batch_first=True).double(), emb)
    with pytest.raises(ValueError, match="nn.Embedding"):
        encode_dialogues(tokens, lengths, utt, ctx, nn.Linear(11, 5))
    with pytest.raises(ValueError, match="at least one dialogue"):
        encode_dialogues(tokens[:0], lengths[:0], utt, ctx, emb)
    with pytest.raises(ValueError, match="< the embedding's 11 rows"):
        encode_dialogues(tokens + 20, lengths, utt, ctx, emb)


def test_dual_attention_step_refuses_mixed_dtypes_and_non_float_inputs():
    m = torch.ones(1, 2, dtype=torch.bool)
    with pytest.raises(TypeError, match="one dtype"):
        dual_attention_step(torch.ones(1, 2, dtype=f64), torch.ones(1, 2, 2), m, torch.ones(1, 2, 2), m)
    with pytest.raises(TypeError, match="float tensors"):
        dual_attention_step(torch.ones(1, 2, dtype=torch.long), torch.ones(1, 2, 2, dtype=torch.long), m,
                            torch.ones(1, 2, 2, dtype=torch.long), m)
    with pytest.raises(TypeError, match="must be tensors"):
        dual_attention_step([[1.0, 1.0]], torch.ones(1, 2, 2), m, torch.ones(1, 2, 2), m)


def test_dual_attention_step_works_in_float16_with_an_all_padding_row():
    g = torch.Generator().manual_seed(5)
    q, c, p = (torch.randn(2, 3, generator=g), torch.randn(2, 4, 3, generator=g), torch.randn(2, 2, 3, generator=g))
    cm = torch.tensor([[True, True, False, False], [True, True, True, True]])
    pm = torch.tensor([[False, False], [True, False]])
    want = dual_attention_step(q.double(), c.double(), cm, p.double(), pm)
    got = dual_attention_step(q.half(), c.half(), cm, p.half(), pm)
    assert all(x.dtype == torch.float16 for x in got)
    for a, b in zip(got, want):
        torch.testing.assert_close(a.double(), b, atol=5e-3, rtol=0)
