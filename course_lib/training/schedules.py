"""Schedules that change a training setting with the step number."""
from __future__ import annotations


def teacher_forcing_ratio(step: int, decay_steps: int, start: float = 1.0, end: float = 0.0) -> float:
    """Linear decay from `start` (step 0) to `end` (step >= decay_steps), constant afterwards."""
    if decay_steps < 1:
        raise ValueError(f"decay_steps must be >= 1, got {decay_steps}")
    return start + (end - start) * min(max(step, 0) / decay_steps, 1.0)
