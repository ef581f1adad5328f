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
