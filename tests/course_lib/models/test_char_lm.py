"""course_lib.models.char_lm.CharGRU: forward gives logits (B, T, V); stepping one symbol at a time gives the
same logits as the whole-sequence forward; bad input shapes raise."""
from __future__ import annotations

import pytest
import torch

from course_lib.models.char_lm import CharGRU


def test_forward_shape_and_step_by_step_equals_the_whole_sequence():
    torch.manual_seed(0)
    model = CharGRU(10, 4, 6)
    ids = torch.randint(0, 10, (3, 5))
    whole = model(ids)
    assert whole.shape == (3, 5, 10)
    h = None
    for t in range(5):
        logits, h = model.step(ids[:, t], h)
        torch.testing.assert_close(logits, whole[:, t])


def test_bad_shapes_raise():
    model = CharGRU(10, 4, 6)
    with pytest.raises(ValueError, match=r"ids must be a long tensor \(B, T\)"):
        model(torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"ids must have shape \(B,\)"):
        model.step(torch.zeros(3, 2, dtype=torch.long))


def test_ids_outside_the_vocabulary_raise_naming_the_range():
    model = CharGRU(10, 4, 8)
    with pytest.raises(ValueError, match=r"ids must be in \[0, 10\), got values from 0 to 12"):
        model(torch.tensor([[0, 12]]))
    with pytest.raises(ValueError, match=r"ids must be in \[0, 10\)"):
        model.step(torch.tensor([-1, 3]))


def test_step_rejects_float_ids():
    with pytest.raises(ValueError, match=r"ids must have shape \(B,\) and dtype long, got torch.float32"):
        CharGRU(10, 4, 8).step(torch.zeros(2))
