"""course_lib.models.dialogue promises: dialogue_batch pads turns and replies (<bos> in, <eos> out, unknown words
and speakers to unk and 0); DialogueModel returns logits (B, T, V) and both attentions, gives every parameter a
gradient, starts as the same language model in every variant (the context and persona paths start at zero), uses
the exercise functions it is given, ignores the context or the persona when switched off (the
output does not change when they change), gives a speaker without earlier lines zero persona weights, and learns
a few replies; generate stops at <eos> and never produces <pad>."""
from __future__ import annotations

import torch

from course_lib.data.dialogue import DialogueExample
from course_lib.layers.hierarchical import dual_attention_step, encode_dialogues
from course_lib.models.dialogue import DialogueModel, dialogue_batch

STOI = {"<pad>": 0, "<unk>": 1, "<bos>": 2, "<eos>": 3, "good": 4, "night": 5, "sir": 6, "who": 7, "'s": 8,
        "there": 9, "?": 10}
SPEAKERS = {("hamlet", "HORATIO"): 1, ("hamlet", "BERNARDO"): 2}
EXAMPLES = [DialogueExample([["who", "'s", "there", "?"]], ("hamlet", "HORATIO"), [], ["good", "night", "sir"]),
            DialogueExample([["good", "night"], ["sir", "?"]], ("hamlet", "BERNARDO"), [["who", "'s", "there", "?"]],
                            ["who", "?"]),
            DialogueExample([["night"]], ("other", "NOBODY"), [["zounds"]], ["sir"])]


def test_dialogue_batch_pads_turns_and_replies_with_bos_and_eos():
    b = dialogue_batch(EXAMPLES, STOI, SPEAKERS)
    assert b.context.shape == (3, 2, 4) and b.context_lengths.tolist() == [[4, 0], [2, 2], [1, 0]]
    assert b.persona_lengths.tolist() == [[0], [4], [1]] and b.persona[2, 0, 0] == 1       # zounds -> <unk>
    assert b.speaker.tolist() == [1, 2, 0]
    assert b.dec_in.tolist() == [[2, 4, 5, 6], [2, 7, 10, 0], [2, 6, 0, 0]]
    assert b.targets.tolist() == [[4, 5, 6, 3], [7, 10, 3, 0], [6, 3, 0, 0]]
    assert b.mask.sum(1).tolist() == [4, 3, 2]


def _model(awake=True, **kw):
    """A small model; awake: the paths from context and persona, which start at zero, get random weights."""
    torch.manual_seed(0)
    model = DialogueModel(len(STOI), 3, 8, 6, **kw)
    if awake:
        with torch.no_grad():
            for p in (model.bridge.weight, model.bridge.bias, model.speakers.weight, model.combine.weight):
                p.normal_(0, 0.5)
    return model


def test_at_initialisation_the_three_variants_are_the_same_language_model():
    batch = dialogue_batch(EXAMPLES, STOI, SPEAKERS)
    outs = [_model(False, use_context=c, use_persona=p)(batch).logits for c, p in [(False, False), (True, False),
                                                                                   (True, True)]]
    torch.testing.assert_close(outs[0], outs[1])
    torch.testing.assert_close(outs[0], outs[2])


def test_forward_shapes_and_gradients_reach_every_parameter():
    model = _model()
    out = model(dialogue_batch(EXAMPLES, STOI, SPEAKERS))
    assert out.logits.shape == (3, 4, 11) and out.context_weights.shape == (3, 4, 2)
    assert out.persona_weights.shape == (3, 4, 1)
    out.logits.sum().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not bool(p.grad.abs().sum() > 0)]
    assert missing == []


def test_a_speaker_without_earlier_lines_gets_zero_persona_weights():
    out = _model()(dialogue_batch(EXAMPLES, STOI, SPEAKERS))
    assert bool((out.persona_weights[0] == 0).all()) and bool(torch.isfinite(out.logits).all())
    torch.testing.assert_close(out.context_weights[:, :, :].sum(-1), torch.ones(3, 4))


def test_the_model_calls_the_functions_it_is_given():
    calls = []

    def encode(*args):
        calls.append("encode")
        return encode_dialogues(*args)

    def attend(*args):
        calls.append("attend")
        return dual_attention_step(*args)

    _model(encode=encode, attend=attend)(dialogue_batch(EXAMPLES, STOI, SPEAKERS))
    assert calls.count("encode") == 2 and calls.count("attend") == 1       # all T steps as one batch of B * T


def _changed(batch, **fields):
    return batch._replace(**fields)


def test_switches_make_the_output_independent_of_context_or_persona():
    batch = dialogue_batch(EXAMPLES, STOI, SPEAKERS)
    other_context = _changed(batch, context=torch.randint(4, 11, batch.context.shape))
    other_persona = _changed(batch, persona=torch.randint(4, 11, batch.persona.shape), speaker=torch.tensor([2, 1, 1]))
    no_context = _model(use_context=False)
    torch.testing.assert_close(no_context(batch).logits, no_context(other_context).logits)
    no_persona = _model(use_persona=False)
    torch.testing.assert_close(no_persona(batch).logits, no_persona(other_persona).logits)
    full = _model()
    assert not torch.allclose(full(batch).logits, full(other_context).logits)
    assert not torch.allclose(full(batch).logits, full(other_persona).logits)


def test_the_model_learns_three_replies_and_greedy_decoding_stops_at_eos():
    model = _model()
    batch = dialogue_batch(EXAMPLES, STOI, SPEAKERS)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(60):
        out = model(batch)
        loss = torch.nn.functional.cross_entropy(out.logits[batch.mask], batch.targets[batch.mask])
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss.detach()) < 0.05
    assert model.generate(batch, 2, 3, 10) == [[4, 5, 6], [7, 10], [6]]


def test_sampled_replies_never_contain_pad_and_respect_max_len():
    model = _model()
    batch = dialogue_batch(EXAMPLES, STOI, SPEAKERS)
    got = model.generate(batch, 2, 3, 5, sample=True, generator=torch.Generator().manual_seed(0))
    assert len(got) == 3 and all(len(r) <= 5 and 0 not in r and 3 not in r for r in got)


def test_dialogue_batch_refuses_strings_where_token_lists_belong_and_clashing_special_ids():
    import pytest
    bad = DialogueExample([["who"]], ("hamlet", "HORATIO"), [], "good night")
    with pytest.raises(TypeError, match="list of str tokens"):
        dialogue_batch([bad], STOI, SPEAKERS)
    with pytest.raises(TypeError, match="list of str tokens"):
        dialogue_batch([DialogueExample(["who", "there"], ("hamlet", "HORATIO"), [], ["sir"])], STOI, SPEAKERS)
    with pytest.raises(TypeError, match="DialogueExample"):
        dialogue_batch(["hello"], STOI, SPEAKERS)
    with pytest.raises(TypeError, match="dicts"):
        dialogue_batch(EXAMPLES, list(STOI), SPEAKERS)
    with pytest.raises(ValueError, match="four different ids"):
        dialogue_batch(EXAMPLES, STOI, SPEAKERS, eos_id=0)


def test_the_model_and_generate_refuse_bad_settings():
    import pytest
    with pytest.raises(TypeError, match="True or False"):
        DialogueModel(len(STOI), 3, 8, 6, use_context="no")
    with pytest.raises(TypeError, match="functions"):
        DialogueModel(len(STOI), 3, 8, 6, encode=3)
    model, batch = _model(), dialogue_batch(EXAMPLES, STOI, SPEAKERS)
    for kwargs, match in (({"max_len": 0}, "max_len"), ({"max_len": 3, "temperature": 0}, "temperature"),
                          ({"max_len": 3, "eos_id": 0}, "eos_id")):
        args = {"bos_id": 2, "eos_id": 3, **kwargs}
        with pytest.raises(ValueError, match=match):
            model.generate(batch, args["bos_id"], args["eos_id"], args["max_len"],
                           temperature=args.get("temperature", 1.0))
