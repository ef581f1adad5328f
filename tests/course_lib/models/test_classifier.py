"""course_lib.models.classifier.BiLSTMAttentionClassifier: logits (B,) and weights (B, T), the output does not
depend on the amount of padding (packed LSTM + masked pooling), the given pool function is the one used,
it learns a separable toy task, and bad lengths raise."""
from __future__ import annotations

import pytest
import torch

from course_lib.layers.pooling import masked_attention_pool
from course_lib.models.classifier import BiLSTMAttentionClassifier


def _model(**kw):
    torch.manual_seed(0)
    return BiLSTMAttentionClassifier(12, 8, 6, **kw).eval()


def test_shapes_and_zero_weight_on_padding():
    model = _model()
    ids = torch.tensor([[3, 4, 5, 0], [6, 7, 0, 0]])
    logits, weights = model(ids, torch.tensor([3, 2]))
    assert logits.shape == (2,) and weights.shape == (2, 4)
    assert (weights[0, 3:] == 0).all() and (weights[1, 2:] == 0).all()


def test_extra_padding_does_not_change_the_output():
    model = _model()
    ids = torch.tensor([[3, 4, 5], [6, 7, 0]])
    longer = torch.cat([ids, torch.zeros(2, 4, dtype=torch.long)], 1)
    a, _ = model(ids, torch.tensor([3, 2]))
    b, _ = model(longer, torch.tensor([3, 2]))
    torch.testing.assert_close(a, b)


def test_the_given_pool_function_is_used():
    seen = []
    model = _model(pool=lambda s, m, w: seen.append(s.shape) or masked_attention_pool(s, m, w))
    model(torch.tensor([[3, 4]]), torch.tensor([2]))
    assert seen == [torch.Size([1, 2, 12])]


def test_learns_which_token_decides_the_label():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(2, 12, (64, 6), generator=g)
    labels = (ids == 5).any(1).float()
    model = BiLSTMAttentionClassifier(12, 8, 8, dropout=0.0)
    opt = torch.optim.Adam(model.parameters(), lr=0.03)
    lengths = torch.full((64,), 6)
    for _ in range(150):
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(ids, lengths)[0], labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert ((model(ids, lengths)[0] > 0).float() == labels).float().mean() > 0.95


@pytest.mark.parametrize("lengths", [torch.tensor([0, 2]), torch.tensor([5, 2]), torch.tensor([2])])
def test_bad_lengths_raise(lengths):
    with pytest.raises(ValueError, match="lengths must be"):
        _model()(torch.tensor([[3, 4], [5, 0]]), lengths)


@pytest.mark.parametrize("lengths, match", [([3, 3], "lengths must be an integer tensor"),
                                            (torch.tensor([3.0, 2.5]), "lengths must be an integer tensor")])
def test_lengths_that_are_not_an_integer_tensor_raise(lengths, match):
    model = BiLSTMAttentionClassifier(10, 4, 4)
    with pytest.raises(ValueError, match=match):
        model(torch.ones(2, 3, dtype=torch.long), lengths)


def test_an_empty_batch_raises():
    with pytest.raises(ValueError, match="empty batch"):
        BiLSTMAttentionClassifier(10, 4, 4)(torch.ones(0, 3, dtype=torch.long), torch.zeros(0, dtype=torch.long))


def test_ids_outside_the_vocabulary_raise():
    with pytest.raises(ValueError, match=r"ids must be in \[0, 10\)"):
        BiLSTMAttentionClassifier(10, 4, 4)(torch.full((2, 3), 10), torch.tensor([3, 3]))
