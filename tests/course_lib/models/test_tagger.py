"""course_lib.models.tagger promises: BiLSTMTagger gives logits (B, T, num_tags) equal, at real positions, to
embedding -> torch's packed bidirectional LSTM -> head in eval mode (float64); a sentence's logits do not depend
on its batch-mates or on the ids at padded positions; dropout acts only in training mode with one mask per
sentence and feature; the padding id's embedding gets no gradient; bad inputs are named."""
from __future__ import annotations

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from course_lib.models.tagger import BiLSTMTagger


def _model(**kw):
    torch.manual_seed(0)
    return BiLSTMTagger(20, 5, 6, 4, **kw).double()


def _batch():
    ids = torch.tensor([[3, 4, 5, 0, 0], [8, 9, 6, 7, 1], [8, 9, 0, 0, 0]])
    return ids, torch.tensor([3, 5, 2])


def test_logits_match_torch_packed_lstm_in_eval_mode():
    m = _model(num_layers=2, dropout=0.3).eval()
    ids, lens = _batch()
    with torch.no_grad():
        got = m(ids, lens)
        packed = pack_padded_sequence(m.embed(ids), lens, batch_first=True, enforce_sorted=False)
        want = m.head(pad_packed_sequence(m.lstm(packed)[0], batch_first=True, total_length=5)[0])
    real = torch.arange(5)[None] < lens[:, None]
    assert got.shape == (3, 5, 5) and got.dtype == torch.float64
    assert torch.allclose(got[real], want[real], atol=1e-12)


def test_a_sentence_does_not_depend_on_its_batch_or_padding_ids():
    m = _model().eval()
    ids, lens = _batch()
    with torch.no_grad():
        full = m(ids, lens)
        alone = m(ids[2:, :2], lens[2:])
        other = m(ids.masked_fill(torch.arange(5)[None] >= lens[:, None], 7), lens)
    assert torch.allclose(full[2, :2], alone[0], atol=1e-12)
    assert torch.allclose(full[0, :3], other[0, :3], atol=1e-12)


def test_dropout_is_one_mask_per_sentence_and_feature_only_in_training():
    m = _model(dropout=0.5)
    x = torch.ones(4, 7, 6, dtype=torch.float64)
    y = m._sequence_dropout(x)
    assert set(y.unique().tolist()) <= {0.0, 2.0}
    assert torch.equal(y, y[:, :1].expand_as(y))
    assert torch.equal(m.eval()._sequence_dropout(x), x)


def test_padding_embedding_gets_no_gradient():
    m = _model(pad_id=0)
    ids, lens = _batch()
    m(ids, lens).sum().backward()
    assert m.embed.weight.grad[0].abs().sum() == 0 and m.embed.weight.grad[3:].abs().sum() > 0


def test_bad_inputs_are_named():
    m = _model()
    ids, lens = _batch()
    with pytest.raises(ValueError, match="torch.long"):
        m(ids.float(), lens)
    with pytest.raises(ValueError, match=r"lengths must be a tensor of shape \(3,\)"):
        m(ids, lens[:2])
    with pytest.raises(ValueError, match="dropout"):
        BiLSTMTagger(5, 3, 2, 2, dropout=1.0)


@pytest.mark.parametrize("lengths, message", [([3, 0, 2], r"lengths must lie in \[1, 5\].*0 to 3"),
                                              ([3, 6, 2], r"lengths must lie in \[1, 5\].*2 to 6"),
                                              ([3.0, 5.0, 2.0], "lengths must be integers.*torch.float32")])
def test_lengths_outside_one_to_t_or_not_integers_are_named(lengths, message):
    ids, _ = _batch()
    with pytest.raises(ValueError, match=message):
        _model()(ids, torch.tensor(lengths))


@pytest.mark.parametrize("bad_id", [20, -1])
def test_ids_outside_the_vocabulary_are_named(bad_id):
    ids, lens = _batch()
    ids[1, 2] = bad_id
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 20\)"):
        _model()(ids, lens)


def test_an_empty_batch_or_sentence_length_is_named():
    with pytest.raises(ValueError, match="at least one sentence and one step"):
        _model()(torch.zeros(0, 3, dtype=torch.long), torch.zeros(0, dtype=torch.long))


@pytest.mark.parametrize("kwargs, message", [(dict(vocab_size=0), "vocab_size must be a positive int, got 0"),
                                             (dict(num_tags=True), "num_tags must be a positive int, got True"),
                                             (dict(hidden_size=2.5), "hidden_size must be a positive int, got 2.5"),
                                             (dict(dropout="0.1"), r"dropout must be a number in \[0, 1\), got '0.1'"),
                                             (dict(pad_id=20), r"pad_id must be an int in \[0, 20\), got 20")])
def test_bad_sizes_dropout_or_pad_id_are_named(kwargs, message):
    args = dict(vocab_size=20, num_tags=5, embed_dim=6, hidden_size=4) | kwargs
    with pytest.raises(ValueError, match=message):
        BiLSTMTagger(**args)
