"""course_lib.layers.pointer promises: extended ids give each example's source OOVs the ids V, V+1, ... in order
of first appearance, and a target OOV its own source's extended id or unk; decoder inputs map every extended id
back to unk; the final distribution equals a brute-force loop (repeated source words add up), sums to 1, gives an
OOV probability only by copying, passes gradcheck and leaves its inputs unchanged; the pointer NLL is the mean
over real tokens of -log(p + eps), finite with finite gradients when p is exactly 0; the coverage loss equals a
loop over the steps with c_0 = 0, averaged over real steps."""
from __future__ import annotations

import pytest
import torch

from course_lib.layers.pointer import (coverage_loss, decoder_inputs, extended_ids, final_distribution,
                                       pointer_nll)

f64 = torch.float64
STOI = {"<pad>": 0, "<unk>": 1, "the": 2, "cat": 3, "sat": 4}


def test_extended_ids_number_source_oovs_per_example_in_order_of_first_appearance():
    src, tgt, oovs = extended_ids([["the", "zebra", "ate", "zebra"], ["cat", "ate"]], [["zebra"], ["ate", "the"]],
                                  STOI, 1, 0)
    assert oovs == [["zebra", "ate"], ["ate"]]
    assert src.tolist() == [[2, 5, 6, 5], [3, 5, 0, 0]]
    assert tgt.tolist() == [[5, 0], [5, 2]]


def test_extended_ids_give_unk_to_a_target_oov_absent_from_its_own_source():
    _, tgt, _ = extended_ids([["zebra"], ["lion"]], [["lion", "cat"], ["zebra"]], STOI, 1, 0)
    assert tgt.tolist() == [[1, 3], [1, 0]]


def test_extended_ids_are_long_and_padded_with_pad_id():
    src, tgt, _ = extended_ids([["the"], ["the", "cat", "sat"]], [[], ["sat"]], STOI, 1, 4)
    assert src.dtype == tgt.dtype == torch.long
    assert src.tolist() == [[2, 4, 4], [2, 3, 4]] and tgt.tolist() == [[4], [4]]


def test_extended_ids_refuse_a_pad_id_outside_the_vocabulary():
    with pytest.raises(ValueError, match="pad_id"):
        extended_ids([["the"]], [["the"]], STOI, 1, 5)


def test_decoder_inputs_map_extended_ids_to_unk_and_leave_the_input_alone():
    ids = torch.tensor([[2, 5, 9, 4], [0, 0, 6, 1]])
    before = ids.clone()
    assert decoder_inputs(ids, 5, 1).tolist() == [[2, 1, 1, 4], [0, 0, 1, 1]]
    assert torch.equal(ids, before)


def _loop_final(p_vocab, attention, p_gen, src_ext, n_extra):
    B, V = p_vocab.shape
    out = torch.zeros(B, V + n_extra, dtype=p_vocab.dtype)
    for b in range(B):
        for w in range(V):
            out[b, w] += p_gen[b, 0] * p_vocab[b, w]
        for i in range(src_ext.shape[1]):
            out[b, src_ext[b, i]] += (1 - p_gen[b, 0]) * attention[b, i]
    return out


def _case(seed=0, B=4, V=6, S=5, n_extra=3):
    g = torch.Generator().manual_seed(seed)
    p_vocab = torch.softmax(torch.randn(B, V, generator=g, dtype=f64), -1)
    attention = torch.softmax(torch.randn(B, S, generator=g, dtype=f64), -1)
    p_gen = torch.rand(B, 1, generator=g, dtype=f64)
    src = torch.randint(0, V + n_extra, (B, S), generator=g)
    src[0, :3] = V                                                # a repeated OOV
    return p_vocab, attention, p_gen, src, n_extra


def test_final_distribution_equals_a_loop_with_repeated_source_words_adding_up():
    args = _case()
    torch.testing.assert_close(final_distribution(*args), _loop_final(*args))


def test_final_distribution_sums_to_one_and_keeps_float64():
    out = final_distribution(*_case(1))
    assert out.dtype == f64
    torch.testing.assert_close(out.sum(-1), torch.ones(4, dtype=f64))


def test_final_distribution_gives_an_oov_probability_only_by_copying():
    p_vocab, attention, p_gen, src, n_extra = _case(2)
    p_gen = torch.ones_like(p_gen)
    out = final_distribution(p_vocab, attention, p_gen, src, n_extra)
    assert torch.equal(out[:, 6:], torch.zeros(4, 3, dtype=f64))
    out0 = final_distribution(p_vocab, attention, torch.zeros_like(p_gen), src, n_extra)
    want = torch.zeros(4, 9, dtype=f64).scatter_add(1, src, attention)
    torch.testing.assert_close(out0, want)


def test_final_distribution_with_a_time_axis_equals_each_step_alone():
    p_vocab, attention, p_gen, src, n_extra = _case(3)
    pv, at, pg = p_vocab[:, None].repeat(1, 2, 1), attention[:, None].repeat(1, 2, 1), p_gen[:, None].repeat(1, 2, 1)
    out = final_distribution(pv, at, pg, src, n_extra)
    assert out.shape == (4, 2, 9)
    torch.testing.assert_close(out[:, 1], final_distribution(p_vocab, attention, p_gen, src, n_extra))


def test_final_distribution_leaves_its_inputs_unchanged():
    args = _case(4)
    copies = [a.clone() if isinstance(a, torch.Tensor) else a for a in args]
    final_distribution(*args)
    for a, c in zip(args, copies):
        assert torch.equal(a, c) if isinstance(a, torch.Tensor) else a == c


def test_final_distribution_passes_gradcheck():
    p_vocab, attention, p_gen, src, n_extra = _case(5)
    inputs = tuple(x.clone().requires_grad_(True) for x in (p_vocab, attention, p_gen))
    assert torch.autograd.gradcheck(lambda a, b, c: final_distribution(a, b, c, src, n_extra), inputs)


def test_final_distribution_works_for_batch_one_and_source_length_one():
    out = final_distribution(torch.tensor([[0.5, 0.5]]), torch.tensor([[1.0]]), torch.tensor([[0.25]]),
                             torch.tensor([[2]]), 1)
    torch.testing.assert_close(out, torch.tensor([[0.125, 0.125, 0.75]]))


def test_final_distribution_refuses_a_source_id_beyond_the_extended_vocabulary():
    p_vocab, attention, p_gen, src, _ = _case(6)
    with pytest.raises(ValueError, match="src_ext ids"):
        final_distribution(p_vocab, attention, p_gen, src, 0)


def test_pointer_nll_is_the_mean_over_real_tokens_of_minus_log_p():
    final = torch.tensor([[[0.5, 0.5, 0.0], [0.1, 0.2, 0.7]], [[0.25, 0.25, 0.5], [1.0, 0.0, 0.0]]], dtype=f64)
    targets = torch.tensor([[1, 2], [2, 1]])
    mask = torch.tensor([[True, True], [True, False]])
    want = -(torch.log(torch.tensor(0.5, dtype=f64)) + torch.log(torch.tensor(0.7, dtype=f64))
             + torch.log(torch.tensor(0.5, dtype=f64))) / 3
    torch.testing.assert_close(pointer_nll(final, targets, mask, eps=0.0), want)
    torch.testing.assert_close(pointer_nll(final, targets, mask), want)


def test_pointer_nll_is_finite_with_finite_gradients_when_a_target_has_probability_zero():
    p_vocab = torch.tensor([[0.5, 0.5, 0.0]], dtype=f64)
    for p_gen_value, target in ((1.0, 3), (0.0, 1)):          # OOV unreachable by generation; a word not in the source
        p_vocab_leaf = p_vocab.clone().requires_grad_(True)
        p_gen = torch.tensor([[p_gen_value]], dtype=f64, requires_grad=True)
        final = final_distribution(p_vocab_leaf, torch.tensor([[1.0]], dtype=f64), p_gen, torch.tensor([[3]]), 1)
        loss = pointer_nll(final.unsqueeze(1), torch.tensor([[target]]), torch.tensor([[True]]))
        loss.backward()
        assert torch.isfinite(loss) and torch.isfinite(p_gen.grad).all() and torch.isfinite(p_vocab_leaf.grad).all()


def test_pointer_nll_ignores_padding_even_where_it_holds_zero_probabilities():
    final = torch.tensor([[[0.5, 0.5], [0.0, 1.0]]], dtype=f64, requires_grad=True)
    loss = pointer_nll(final, torch.tensor([[0, 0]]), torch.tensor([[True, False]]))
    loss.backward()
    torch.testing.assert_close(loss.detach(), -torch.log(torch.tensor(0.5 + 1e-12, dtype=f64)))
    assert torch.equal(final.grad[0, 1], torch.zeros(2, dtype=f64))


def test_pointer_nll_of_an_all_padding_batch_is_zero():
    assert float(pointer_nll(torch.full((2, 3, 4), 0.25), torch.zeros(2, 3, dtype=torch.long),
                             torch.zeros(2, 3, dtype=torch.bool))) == 0.0


def _loop_coverage(att, mask):
    B, T, S = att.shape
    total, count = torch.zeros((), dtype=att.dtype), 0
    for b in range(B):
        c = torch.zeros(S, dtype=att.dtype)
        for t in range(T):
            if mask[b, t]:
                total = total + torch.minimum(att[b, t], c).sum()
                count += 1
            c = c + att[b, t]
    return total / max(count, 1)


def test_coverage_loss_equals_a_loop_over_steps_averaged_over_real_steps():
    g = torch.Generator().manual_seed(7)
    att = torch.softmax(torch.randn(3, 5, 4, generator=g, dtype=f64), -1)
    mask = torch.arange(5)[None] < torch.tensor([5, 2, 1])[:, None]
    torch.testing.assert_close(coverage_loss(att, mask), _loop_coverage(att, mask))


def test_coverage_loss_is_zero_for_attention_that_never_returns_and_one_for_attention_that_stays():
    moving = torch.eye(3, dtype=f64)[None]                      # step t attends to position t only
    staying = torch.zeros(1, 3, 3, dtype=f64)
    staying[..., 0] = 1.0
    mask = torch.ones(1, 3, dtype=torch.bool)
    assert float(coverage_loss(moving, mask)) == 0.0
    torch.testing.assert_close(coverage_loss(staying, mask), torch.tensor(2 / 3, dtype=f64))


def test_coverage_loss_passes_gradcheck():
    g = torch.Generator().manual_seed(8)
    att = torch.softmax(torch.randn(2, 4, 3, generator=g, dtype=f64), -1).requires_grad_(True)
    mask = torch.tensor([[True, True, True, False], [True, True, True, True]])
    assert torch.autograd.gradcheck(lambda a: coverage_loss(a, mask), (att,))


def test_coverage_loss_refuses_a_mask_of_the_wrong_shape():
    with pytest.raises(ValueError, match="attentions"):
        coverage_loss(torch.zeros(2, 3, 4), torch.ones(2, 4, dtype=torch.bool))


def test_extended_ids_refuse_sources_and_targets_of_different_lengths():
    with pytest.raises(ValueError, match="same length"):
        extended_ids([["the"], ["cat"]], [["the"]], STOI, 1, 0)


def test_extended_ids_refuse_a_bool_unk_id():
    with pytest.raises(TypeError, match="unk_id"):
        extended_ids([["the"]], [["the"]], STOI, True, 0)


def test_decoder_inputs_refuse_float_ids():
    with pytest.raises(TypeError, match="long"):
        decoder_inputs(torch.tensor([[1.0, 7.0]]), 5, 1)


def test_decoder_inputs_refuse_an_unk_id_outside_the_vocabulary():
    with pytest.raises(ValueError, match="unk_id"):
        decoder_inputs(torch.tensor([[1, 7]]), 5, 5)


def test_final_distribution_refuses_a_p_gen_of_the_wrong_shape():
    p_vocab, attention, p_gen, src, n_extra = _case(9)
    with pytest.raises(ValueError, match="p_gen"):
        final_distribution(p_vocab, attention, p_gen.squeeze(1), src, n_extra)


def test_final_distribution_refuses_a_negative_or_bool_n_extra():
    args = _case(10)[:4]
    with pytest.raises(ValueError, match="n_extra"):
        final_distribution(*args, -1)
    with pytest.raises(TypeError, match="n_extra"):
        final_distribution(*args, True)


def test_final_distribution_refuses_float_source_ids():
    p_vocab, attention, p_gen, src, n_extra = _case(11)
    with pytest.raises(ValueError, match="src_ext must be long"):
        final_distribution(p_vocab, attention, p_gen, src.float(), n_extra)


def test_pointer_nll_refuses_a_float_mask():
    with pytest.raises(TypeError, match="mask bool"):
        pointer_nll(torch.full((1, 2, 3), 1 / 3), torch.zeros(1, 2, dtype=torch.long), torch.ones(1, 2))


def test_pointer_nll_refuses_targets_outside_the_extended_vocabulary():
    with pytest.raises(ValueError, match="targets must be ids"):
        pointer_nll(torch.full((1, 2, 3), 1 / 3), torch.tensor([[0, 3]]), torch.ones(1, 2, dtype=torch.bool))


def test_coverage_loss_refuses_a_float_mask():
    with pytest.raises(ValueError, match="bool mask"):
        coverage_loss(torch.zeros(1, 2, 3), torch.ones(1, 2))


def test_final_distribution_makes_its_tensors_on_the_inputs_device():
    p_vocab, attention, p_gen, src, n_extra = (x.to("meta") if isinstance(x, torch.Tensor) else x for x in _case(12))
    out = final_distribution(p_vocab, attention, p_gen, src, n_extra)
    assert out.device.type == "meta" and out.shape == (4, 9)


def test_extended_ids_refuse_tokens_that_are_not_strings():
    with pytest.raises(TypeError, match=r"sources\[0\] must be a list of str tokens"):
        extended_ids([[1, 2]], [["the"]], STOI, 1, 0)


def test_extended_ids_refuse_a_target_given_as_one_string():
    with pytest.raises(TypeError, match=r"targets\[0\]"):
        extended_ids([["the"]], ["the cat"], STOI, 1, 0)


def test_extended_ids_refuse_a_stoi_whose_ids_are_not_0_to_v_minus_1():
    with pytest.raises(ValueError, match="ids 0 .. 2"):
        extended_ids([["a"]], [["a"]], {"<pad>": 0, "<unk>": 1, "a": 5}, 1, 0)


def test_extended_ids_refuse_a_stoi_that_is_not_a_dict():
    with pytest.raises(TypeError, match="stoi must be a dict"):
        extended_ids([["a"]], [["a"]], ["a", "<unk>"], 1, 0)


def test_decoder_inputs_refuse_negative_ids():
    with pytest.raises(ValueError, match=">= 0"):
        decoder_inputs(torch.tensor([[-3, 7]]), 6, 1)


def test_decoder_inputs_refuse_a_one_dimensional_tensor():
    with pytest.raises(ValueError, match=r"\(B, T\)"):
        decoder_inputs(torch.tensor([1, 7]), 6, 1)


def test_final_distribution_refuses_mixed_float_dtypes():
    p_vocab, attention, p_gen, src, n_extra = _case(13)
    with pytest.raises(TypeError, match="one dtype"):
        final_distribution(p_vocab, attention.float(), p_gen, src, n_extra)


def test_final_distribution_refuses_integer_probabilities():
    _, _, _, src, n_extra = _case(14)
    ones = torch.ones(4, 6, dtype=torch.long)
    with pytest.raises(TypeError, match="floats"):
        final_distribution(ones, torch.ones(4, 5, dtype=torch.long), torch.ones(4, 1, dtype=torch.long), src, n_extra)


def test_final_distribution_keeps_bfloat16():
    p_vocab, attention, p_gen, src, n_extra = _case(15)
    out = final_distribution(p_vocab.bfloat16(), attention.bfloat16(), p_gen.bfloat16(), src, n_extra)
    assert out.dtype == torch.bfloat16


def test_pointer_nll_refuses_a_negative_eps():
    with pytest.raises(ValueError, match="eps"):
        pointer_nll(torch.full((1, 2, 3), 1 / 3), torch.zeros(1, 2, dtype=torch.long), torch.ones(1, 2, dtype=torch.bool),
                    eps=-1.0)


def test_pointer_nll_of_an_all_padding_batch_is_a_zero_that_backward_accepts():
    final = torch.full((2, 3, 4), 0.25, dtype=f64, requires_grad=True)
    loss = pointer_nll(final, torch.zeros(2, 3, dtype=torch.long), torch.zeros(2, 3, dtype=torch.bool))
    loss.backward()
    assert loss.dtype == f64 and torch.equal(final.grad, torch.zeros_like(final))


def test_coverage_loss_refuses_integer_attentions():
    with pytest.raises(TypeError, match="float"):
        coverage_loss(torch.ones(2, 3, 4, dtype=torch.long), torch.ones(2, 3, dtype=torch.bool))
