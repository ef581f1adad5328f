"""course_lib.models.qa_generator promises: outputs are distributions over V + n_extra of the documented shapes (batch
1 and length 1 included); without copying p_gen is 1, no extended id gets probability and no p_gen layer exists;
with copying a passage OOV gets probability; the answer depends on the question; a question word is matched to the
passage by its extended id (unk matches nothing); padding of the passage and of the question changes nothing and
gets no attention; gradients reach every parameter and pass gradcheck in float64; the mix passed in is the one used;
greedy decoding equals teacher forcing on its own output, stops at eos and pads after it; a few generated examples
(copied answers among them) are learnt in 60 steps; bad input is refused with errors naming what was expected and
what came."""
from __future__ import annotations

import pytest
import torch
from torch.func import functional_call

from course_lib.data.qa import decode_answers, make_qa_examples, qa_batch, qa_vocab
from course_lib.layers.pointer import final_distribution, pointer_nll
from course_lib.models.qa_generator import QAGenerator

pytestmark = pytest.mark.usefixtures("one_torch_thread")     # tiny tensors: a busy thread pool costs 10x

V = 12


def _batch():
    passage = torch.tensor([[4, 12, 5, 13, 6], [6, 7, 12, 0, 0]])      # 12, 13: extended ids (passage OOVs)
    passage_lengths = torch.tensor([5, 3])
    question = torch.tensor([[8, 4, 1, 9], [8, 7, 0, 0]])
    question_lengths = torch.tensor([4, 2])
    dec_in = torch.tensor([[2, 4, 1], [2, 6, 0]])
    return passage, passage_lengths, question, question_lengths, dec_in


def _model(copy=True, seed=0, **kwargs):
    torch.manual_seed(seed)
    return QAGenerator(V, 8, 16, copy=copy, **kwargs)


@pytest.mark.parametrize("copy", [True, False])
def test_outputs_are_distributions_over_the_extended_vocabulary(copy):
    out = _model(copy)(*_batch(), n_extra=2)
    assert out.final.shape == (2, 3, V + 2) and out.attentions.shape == (2, 3, 5) and out.p_gen.shape == (2, 3)
    torch.testing.assert_close(out.final.sum(-1), torch.ones(2, 3))
    torch.testing.assert_close(out.attentions.sum(-1), torch.ones(2, 3))


def test_without_copying_p_gen_is_one_and_extended_ids_get_no_probability():
    out = _model(copy=False)(*_batch(), n_extra=2)
    assert torch.equal(out.p_gen, torch.ones(2, 3))
    assert float(out.final[..., V:].detach().abs().max()) == 0.0


def test_without_copying_there_is_no_p_gen_layer():
    assert not hasattr(_model(copy=False), "gen") and hasattr(_model(copy=True), "gen")


def test_with_copying_a_passage_oov_gets_probability():
    out = _model(copy=True)(*_batch(), n_extra=2)
    assert float(out.final[0, :, V].detach().min()) > 0.0 and float(out.final[0, :, V + 1].detach().min()) > 0.0
    assert 0.0 < float(out.p_gen.detach().min()) <= float(out.p_gen.detach().max()) < 1.0


def test_the_answer_depends_on_the_question():
    model = _model()
    passage, p_len, question, q_len, dec_in = _batch()
    other = question.clone()
    other[0, 0] = 10
    a = model(passage, p_len, question, q_len, dec_in, 2).final[0]
    b = model(passage, p_len, other, q_len, dec_in, 2).final[0]
    assert not torch.allclose(a, b)


def test_question_words_in_the_passage_numbering_are_matched_by_their_extended_ids():
    model = _model(seed=9)
    passage, p_len, question, q_len, dec_in = _batch()
    as_12, as_13, as_unk = question.clone(), question.clone(), question.clone()
    as_12[0, 2], as_13[0, 2] = 12, 13                  # the passage's two OOVs; the embedding reads both as unk
    out = [model(passage, p_len, q, q_len, dec_in, 2).final[0] for q in (as_12, as_13, as_unk)]
    assert not torch.allclose(out[0], out[1]) and not torch.allclose(out[0], out[2])


def test_an_unk_question_word_matches_nothing():
    model = _model(seed=10)
    passage, p_len, question, q_len, dec_in = _batch()
    other = question.clone()
    other[0, 2] = 11                                   # a known word that is not in the passage, instead of unk
    with torch.no_grad():
        model.embedding.weight[1] = model.embedding.weight[11]      # ... and the same vector as unk
    torch.testing.assert_close(model(passage, p_len, other, q_len, dec_in, 2).final,
                               model(passage, p_len, question, q_len, dec_in, 2).final)


def test_passage_padding_gets_no_attention_and_changes_nothing():
    model = _model(seed=1)
    passage, p_len, question, q_len, dec_in = _batch()
    out = model(passage, p_len, question, q_len, dec_in, 2)
    assert float(out.attentions[1, :, 3:].detach().abs().max()) == 0.0
    alone = model(passage[1:, :3], p_len[1:], question[1:], q_len[1:], dec_in[1:], 1)
    torch.testing.assert_close(out.final[1, :, :V + 1], alone.final[0], atol=1e-6, rtol=1e-5)


def test_question_padding_changes_nothing():
    model = _model(seed=2)
    passage, p_len, question, q_len, dec_in = _batch()
    wider = torch.cat([question, torch.zeros(2, 3, dtype=torch.long)], dim=1)    # (B, Q + 3), all padding
    torch.testing.assert_close(model(passage, p_len, wider, q_len, dec_in, 2).final,
                               model(passage, p_len, question, q_len, dec_in, 2).final)


def test_the_padding_id_written_in_padding_changes_nothing():
    model = _model(seed=3)
    passage, p_len, question, q_len, dec_in = _batch()
    noisy_p, noisy_q = passage.clone(), question.clone()
    noisy_p[1, 3:], noisy_q[1, 2:] = 9, 4                      # garbage where the lengths say padding
    torch.testing.assert_close(model(noisy_p, p_len, noisy_q, q_len, dec_in, 2).final,
                               model(passage, p_len, question, q_len, dec_in, 2).final)


def test_batch_of_one_with_one_token_passage_question_and_answer():
    out = _model()(torch.tensor([[12]]), torch.tensor([1]), torch.tensor([[5]]), torch.tensor([1]),
                   torch.tensor([[2]]), 1)
    assert out.final.shape == (1, 1, V + 1) and out.attentions.tolist() == [[[1.0]]]
    torch.testing.assert_close(out.final.sum(-1), torch.ones(1, 1))


@pytest.mark.parametrize("copy", [True, False])
def test_gradients_reach_every_parameter(copy):
    model = _model(copy)
    passage, p_len, question, q_len, dec_in = _batch()
    targets = torch.tensor([[12, 4, 3], [6, 3, 0]])
    loss = pointer_nll(model(passage, p_len, question, q_len, dec_in, 2).final, targets, targets != 0)
    loss.backward()
    missing = [name for name, p in model.named_parameters() if p.grad is None or float(p.grad.abs().sum()) == 0.0]
    assert missing == []


def test_gradcheck_in_float64_through_embeddings_and_question_encoder():
    torch.manual_seed(4)
    model = QAGenerator(7, 3, 2).double()
    passage, p_len = torch.tensor([[4, 7, 5], [6, 5, 0]]), torch.tensor([3, 2])
    question, q_len = torch.tensor([[4, 1], [6, 0]]), torch.tensor([2, 1])
    dec_in = torch.tensor([[2, 4], [2, 6]])
    names = ("embedding.weight", "question_encoder.weight_hh_l0", "w_q.weight", "bridge.bias")
    params = dict(model.named_parameters())

    def final(*tensors):
        return functional_call(model, {**params, **dict(zip(names, tensors))},
                               (passage, p_len, question, q_len, dec_in, 1)).final
    inputs = tuple(params[n].detach().clone().requires_grad_() for n in names)
    assert torch.autograd.gradcheck(final, inputs, eps=1e-6, atol=1e-5)


def test_the_mix_passed_in_is_the_one_used():
    calls = []

    def mix(p_vocab, attention, p_gen, src_ext, n_extra):
        calls.append((tuple(p_vocab.shape), tuple(attention.shape), tuple(p_gen.shape), tuple(src_ext.shape)))
        return final_distribution(p_vocab, attention, p_gen, src_ext, n_extra)
    _model(mix=mix)(*_batch(), n_extra=2)
    assert calls == [((6, V), (6, 5), (6, 1), (6, 5))]              # the B * T steps as rows: (B, V) shapes


def test_greedy_decoding_equals_teacher_forcing_on_its_own_output():
    model = _model(seed=5).eval()
    passage, p_len, question, q_len, _ = _batch()
    tokens, out = model.greedy(passage, p_len, question, q_len, 2, bos_id=2, eos_id=3, max_len=4)
    raw = out.final.argmax(-1)                                       # (B, steps), extended ids
    dec_in = torch.cat([torch.full((2, 1), 2), raw[:, :-1].masked_fill(raw[:, :-1] >= V, 1)], dim=1)
    forced = model(passage, p_len, question, q_len, dec_in, 2)
    torch.testing.assert_close(forced.final, out.final)
    assert tokens.shape == (2, 4) and tokens.dtype == torch.long


def test_greedy_stops_at_eos_and_pads_after_it():
    model = _model(seed=6).eval()
    with torch.no_grad():                                            # eos (3) always most probable, p_gen 1
        model.out.bias.fill_(-50.0)
        model.out.bias[3] = 50.0
        model.gen.bias.fill_(50.0)
    passage, p_len, question, q_len, _ = _batch()
    tokens, out = model.greedy(passage, p_len, question, q_len, 2, bos_id=2, eos_id=3, max_len=5)
    assert tokens.tolist() == [[3, 0, 0, 0, 0], [3, 0, 0, 0, 0]] and out.final.shape[1] == 1


def test_greedy_runs_max_len_steps_without_eos():
    model = _model(seed=7).eval()
    with torch.no_grad():
        model.out.bias.fill_(-50.0)
        model.out.bias[5] = 50.0
        model.gen.bias.fill_(50.0)
    tokens, out = model.greedy(*_batch()[:4], 2, bos_id=2, eos_id=3, max_len=3)
    assert tokens.tolist() == [[5, 5, 5], [5, 5, 5]] and out.p_gen.shape == (2, 3)


def test_greedy_pads_a_row_that_finished_while_another_goes_on():
    model = _model(seed=8).eval()
    passage, p_len, question, q_len, _ = _batch()
    tokens, out = model.greedy(passage, p_len, question, q_len, 2, bos_id=2, eos_id=3, max_len=6)
    raw = out.final.argmax(-1)
    for b in range(2):
        row, ids = tokens[b].tolist(), raw[b].tolist()
        stop = ids.index(3) + 1 if 3 in ids else len(ids)
        assert row[:stop] == ids[:stop] and set(row[stop:]) <= {0}


def test_a_few_generated_examples_are_learnt_in_60_steps():
    examples = make_qa_examples(3, seed=0)                         # 12 questions about 3 passages
    vocab = qa_vocab(examples)                                      # words of 2 profiles or more: most are OOVs
    batch = qa_batch(examples, vocab.stoi)
    n_extra = max(len(o) for o in batch.oovs)
    assert bool((batch.targets >= len(vocab)).any())               # some answers can only be copied
    torch.manual_seed(0)
    model = QAGenerator(len(vocab), 16, 32)
    opt = torch.optim.Adam(model.parameters(), lr=2e-2)
    for _ in range(60):
        out = model(batch.passage_ext, batch.passage_lengths, batch.question, batch.question_lengths, batch.dec_in,
                    n_extra)
        loss = pointer_nll(out.final, batch.targets, batch.mask)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    tokens, _ = model.greedy(batch.passage_ext, batch.passage_lengths, batch.question, batch.question_lengths,
                             n_extra, vocab.bos_id, vocab.eos_id, 12)
    predicted = decode_answers(tokens, batch.oovs, vocab.itos)
    assert predicted == decode_answers(batch.targets, batch.oovs, vocab.itos)    # "<unk>" for an age never seen


# --- bad input ----------------------------------------------------------------------------------------------
def test_constructor_refuses_equal_pad_and_unk_ids():
    with pytest.raises(ValueError, match="pad_id and unk_id must differ, got 0 for both"):
        QAGenerator(V, 8, 16, pad_id=0, unk_id=0)


def test_constructor_refuses_a_pad_id_outside_the_vocabulary():
    with pytest.raises(ValueError, match="pad_id"):
        QAGenerator(V, 8, 16, pad_id=V)


def test_constructor_refuses_a_non_bool_copy_switch():
    with pytest.raises(TypeError, match="copy must be True or False, got str"):
        QAGenerator(V, 8, 16, copy="no")


def test_constructor_refuses_a_mix_that_is_not_callable():
    with pytest.raises(TypeError, match="mix must be a function"):
        QAGenerator(V, 8, 16, mix=None)


def test_forward_refuses_question_ids_beyond_the_extended_vocabulary():
    passage, p_len, question, q_len, dec_in = _batch()
    question[0, 1] = V + 2
    with pytest.raises(ValueError, match=r"question ids must be in \[0, V \+ n_extra\) = \[0, 14\).*unk_id.*to 14"):
        _model()(passage, p_len, question, q_len, dec_in, 2)


def test_forward_refuses_extended_decoder_inputs_and_names_decoder_inputs():
    passage, p_len, question, q_len, dec_in = _batch()
    dec_in[0, 1] = V
    with pytest.raises(ValueError, match="dec_in ids must be in .*decoder_inputs"):
        _model()(passage, p_len, question, q_len, dec_in, 2)


def test_forward_refuses_passage_ids_beyond_n_extra():
    with pytest.raises(ValueError, match=r"passage_ext ids must be in \[0, V \+ n_extra\) = \[0, 13\).*to 13"):
        _model()(*_batch(), n_extra=1)


def test_forward_refuses_question_lengths_longer_than_the_question():
    passage, p_len, question, _, dec_in = _batch()
    with pytest.raises(ValueError, match=r"question_lengths must be \(2,\) with values in \[1, 4\].*\[5, 2\]"):
        _model()(passage, p_len, question, torch.tensor([5, 2]), dec_in, 2)


def test_forward_refuses_a_zero_passage_length():
    passage, _, question, q_len, dec_in = _batch()
    with pytest.raises(ValueError, match=r"passage_lengths must be \(2,\) with values in \[1, 5\]"):
        _model()(passage, torch.tensor([0, 3]), question, q_len, dec_in, 2)


def test_forward_refuses_float_passage_ids():
    passage, p_len, question, q_len, dec_in = _batch()
    with pytest.raises(TypeError, match=r"passage_ext must be a long tensor \(B, S\), got torch.float32"):
        _model()(passage.float(), p_len, question, q_len, dec_in, 2)


def test_forward_refuses_float_lengths():
    passage, p_len, question, q_len, dec_in = _batch()
    with pytest.raises(TypeError, match="question_lengths must be an integer tensor"):
        _model()(passage, p_len, question, q_len.float(), dec_in, 2)


def test_forward_refuses_a_question_batch_of_another_size():
    passage, p_len, question, q_len, dec_in = _batch()
    with pytest.raises(ValueError, match=r"question must have the passage's batch size 2, got \(1, 4\)"):
        _model()(passage, p_len, question[:1], q_len[:1], dec_in, 2)


def test_forward_refuses_a_negative_n_extra():
    with pytest.raises(ValueError, match="n_extra must be >= 0, got -1"):
        _model()(*_batch(), n_extra=-1)


def test_forward_refuses_a_float_n_extra():
    with pytest.raises(TypeError, match="n_extra must be an int, got float"):
        _model()(*_batch(), n_extra=2.0)


def test_forward_refuses_an_empty_answer_prefix():
    passage, p_len, question, q_len, _ = _batch()
    with pytest.raises(ValueError,
                       match=r"dec_in must be \(B, T\) with B >= 1 and at least one position, got \(2, 0\)"):
        _model()(passage, p_len, question, q_len, torch.zeros(2, 0, dtype=torch.long), 2)


def test_forward_refuses_decoder_inputs_of_another_batch_size():
    passage, p_len, question, q_len, dec_in = _batch()
    with pytest.raises(ValueError, match=r"dec_in must have the passage's batch size 2, got \(1, 3\)"):
        _model()(passage, p_len, question, q_len, dec_in[:1], 2)


def test_greedy_refuses_a_bool_bos_id():
    with pytest.raises(TypeError, match="bos_id must be an int, got bool"):
        _model().greedy(*_batch()[:4], 2, bos_id=True, eos_id=3, max_len=3)


def test_greedy_refuses_a_max_len_below_one():
    with pytest.raises(ValueError, match="max_len must be >= 1, got 0"):
        _model().greedy(*_batch()[:4], 2, bos_id=2, eos_id=3, max_len=0)


def test_greedy_refuses_an_eos_id_outside_the_vocabulary():
    with pytest.raises(ValueError, match=r"eos_id must be an id of the vocabulary, in \[0, 12\), got 12"):
        _model().greedy(*_batch()[:4], 2, bos_id=2, eos_id=V, max_len=3)


@pytest.mark.parametrize("bias", [float("nan"), float("inf"), "x"])
def test_constructor_refuses_a_p_gen_bias_that_is_not_a_finite_number(bias):
    with pytest.raises(ValueError, match="p_gen_bias must be a finite number"):
        QAGenerator(V, 8, 16, p_gen_bias=bias)


def test_greedy_refuses_an_eos_id_equal_to_bos_id():
    with pytest.raises(ValueError, match="eos_id must differ from bos_id and from pad_id"):
        _model().greedy(*_batch()[:4], 2, bos_id=2, eos_id=2, max_len=3)


def test_greedy_refuses_an_eos_id_equal_to_pad_id():
    with pytest.raises(ValueError, match=r"eos_id must differ from bos_id and from pad_id \(0\)"):
        _model().greedy(*_batch()[:4], 2, bos_id=2, eos_id=0, max_len=3)
