"""course_lib.training.schedules: the teacher-forcing ratio schedule."""
from __future__ import annotations

import pytest

import course_lib.training.schedules as schedules


def test_teacher_forcing_ratio_schedule():
    r = [schedules.teacher_forcing_ratio(s, 10, 1.0, 0.2) for s in range(15)]
    assert r[0] == 1.0 and abs(r[10] - 0.2) < 1e-12 and r[14] == r[10]
    assert all(a >= b for a, b in zip(r, r[1:]))
    assert abs(schedules.teacher_forcing_ratio(5, 10) - 0.5) < 1e-12
    with pytest.raises(ValueError):
        schedules.teacher_forcing_ratio(0, 0)
