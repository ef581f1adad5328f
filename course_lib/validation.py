"""Argument checks shared across course_lib: each raises an error that names what was expected and what came.

A module that is an exercise's drop-in answer (the registry's `answer`) keeps its own copy: the bug bank pastes
such a module as a student's code, where a relative import cannot run."""
from __future__ import annotations

import numbers


def check_int(value: object, name: str, minimum: int) -> int:
    """`value` as an int when it is an integer (Python or NumPy, not bool) of at least `minimum`; else a
    TypeError or ValueError naming `name`, what was expected and what came."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)
