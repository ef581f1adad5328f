"""course_lib.models.pointer_generator promises: outputs are distributions over V + n_extra (sum to 1); without
copying p_gen is 1 and no extended id gets probability; with copying an OOV gets probability from attention; the
bias initialisation sets the initial p_gen; padding of the source gets attention 0 and changes nothing; greedy
decoding equals teacher forcing on its own output and may emit extended ids; the model learns to copy."""
from __future__ import annotations

import pytest
import torch

from course_lib.layers.pointer import decoder_inputs, pointer_nll
from course_lib.models.pointer_generator import PointerGenerator

V = 12


def _batch():
    src = torch.tensor([[4, 12, 5, 13], [6, 7, 0, 0]])               # 12, 13: extended ids
    lengths = torch.tensor([4, 2])
    dec_in = torch.tensor([[2, 4, 1], [2, 6, 7]])
    return src, lengths, dec_in


@pytest.mark.parametrize("copy,coverage", [(False, False), (True, False), (True, True)])
def test_outputs_are_distributions_over_the_extended_vocabulary(copy, coverage):
    torch.manual_seed(0)
    model = PointerGenerator(V, 8, 16, copy=copy, coverage=coverage)
    src, lengths, dec_in = _batch()
    out = model(src, lengths, dec_in, 2)
    assert out.final.shape == (2, 3, V + 2) and out.attentions.shape == (2, 3, 4) and out.p_gen.shape == (2, 3)
    torch.testing.assert_close(out.final.sum(-1), torch.ones(2, 3))
    if not copy:
        assert torch.equal(out.p_gen, torch.ones(2, 3)) and float(out.final[..., V:].detach().abs().max()) == 0.0
    else:
        assert float(out.final[0, :, V:].detach().min()) > 0.0


def test_source_padding_gets_no_attention_and_changes_nothing():
    torch.manual_seed(1)
    model = PointerGenerator(V, 8, 16, coverage=True)
    src, lengths, dec_in = _batch()
    out = model(src, lengths, dec_in, 2)
    assert float(out.attentions[1, :, 2:].detach().abs().max()) == 0.0
    alone = model(src[1:, :2], lengths[1:], dec_in[1:], 2)
    torch.testing.assert_close(out.final[1, :, :V], alone.final[0, :, :V], atol=1e-6, rtol=1e-5)


def test_p_gen_bias_sets_the_initial_copy_probability():
    torch.manual_seed(2)
    model = PointerGenerator(V, 8, 16, p_gen_bias=-6.0)
    with torch.no_grad():
        model.gen.weight.zero_()
    src, lengths, dec_in = _batch()
    torch.testing.assert_close(model(src, lengths, dec_in, 2).p_gen, torch.full((2, 3), torch.sigmoid(torch.tensor(-6.0)).item()))


def test_greedy_decoding_equals_teacher_forcing_on_its_own_output():
    torch.manual_seed(3)
    model = PointerGenerator(V, 8, 16, coverage=True).eval()
    src, lengths, _ = _batch()
    ids, out = model.greedy(src, lengths, 2, bos_id=2, eos_id=3, max_len=5)
    steps = out.final.shape[1]
    raw = out.final.argmax(-1)                                       # (B, steps)
    dec_in = torch.cat([torch.full((2, 1), 2), raw[:, :-1]], dim=1)
    forced = model(src, lengths, dec_in, 2)
    torch.testing.assert_close(forced.final, out.final)
    assert all(len(row) <= steps for row in ids)


def test_model_learns_to_copy_source_oovs():
    torch.manual_seed(4)
    model = PointerGenerator(8, 16, 32, p_gen_bias=-1.0)
    opt = torch.optim.Adam(model.parameters(), lr=2e-2)
    g = torch.Generator().manual_seed(0)
    for _ in range(70):
        src = torch.randint(8, 8 + 4, (16, 3), generator=g)          # every source word is an OOV
        tgt = torch.cat([src, torch.full((16, 1), 3)], 1)             # copy, then eos (3)
        dec_in = torch.cat([torch.full((16, 1), 2), decoder_inputs(tgt[:, :-1], 8, 1)], 1)
        out = model(src, torch.full((16,), 3), dec_in, 4)
        loss = pointer_nll(out.final, tgt, torch.ones_like(tgt, dtype=torch.bool))
        opt.zero_grad()
        loss.backward()
        opt.step()
    src = torch.tensor([[8, 10, 11], [11, 9, 8]])
    ids, _ = model.greedy(src, torch.tensor([3, 3]), 4, bos_id=2, eos_id=3, max_len=5)
    assert ids == src.tolist()


def test_constructor_refuses_a_pad_id_outside_the_vocabulary():
    with pytest.raises(ValueError, match="pad_id"):
        PointerGenerator(V, 8, 16, pad_id=V)


def test_forward_refuses_lengths_longer_than_the_source():
    model = PointerGenerator(V, 8, 16)
    src, _, dec_in = _batch()
    with pytest.raises(ValueError, match="lengths"):
        model(src, torch.tensor([5, 2]), dec_in, 2)


def test_forward_refuses_float_source_ids():
    model = PointerGenerator(V, 8, 16)
    src, lengths, dec_in = _batch()
    with pytest.raises(ValueError, match="src_ext must be a long tensor"):
        model(src.float(), lengths, dec_in, 2)


def test_constructor_refuses_a_bool_or_zero_size():
    with pytest.raises(ValueError, match="hidden_size"):
        PointerGenerator(V, 8, 0)
    with pytest.raises(ValueError, match="vocab_size"):
        PointerGenerator(True, 8, 16)
