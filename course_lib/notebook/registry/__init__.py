"""The exercise registry: for every graded exercise, the course_lib objects that hold its answer (its
references) and the library or built-in callables that would do the exercise for the student. One TOML
file per day beside this module, one table per exercise (keyed by the answer cell's grade_id):

    [rnn_module]
    references = ["course_lib.layers.rnn.ElmanRNN", "course_lib.layers.rnn.rnn_cell"]
    may_not_call = ["torch.nn.RNN", "torch._VF.rnn_tanh"]   # may name course_lib helpers too (not locked)
    max_matrix_products = 2        # optional: per call, counted by notebook.checks.count_matrix_products
    answer = "course_lib.layers.rnn.rnn_cell_step"   # optional: a reference with the exercise's signature

References are the answer: the student bundle locks them until the day is unlocked. `may_not_call` is
what else counts as delegating: library calls, and course_lib pieces that stay available (a shared base
class) but may not stand in for the answer. Read by the hidden tests (`notebook.rules.written_by_you`), by the build (the "may not call" line of each
exercise), by the student bundle (which references to lock) and by the grader (copy detection).
"""
from __future__ import annotations

import functools
import importlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FIELDS = {"references", "may_not_call", "max_matrix_products", "answer"}


class RegistryError(LookupError):
    """A registry entry is missing, malformed, or names an object that does not exist."""


@dataclass(frozen=True)
class Exercise:
    """One graded exercise's rules. Paths are dotted: module, then attributes ("torch.Tensor.lerp")."""
    grade_id: str
    day: str
    references: tuple[str, ...]
    may_not_call: tuple[str, ...]
    max_matrix_products: int | None = None
    answer: str | None = None

    @property
    def banned(self) -> tuple[str, ...]:
        """Everything the hidden checks refuse to run: references first, then the library's versions."""
        return self.references + self.may_not_call


@functools.cache
def exercises() -> dict[str, Exercise]:
    """{grade_id: Exercise} for every day's file."""
    found: dict[str, Exercise] = {}
    for path in sorted(HERE.glob("*.toml")):
        with path.open("rb") as f:
            tables = tomllib.load(f)
        for grade_id, entry in tables.items():
            if not isinstance(entry, dict) or set(entry) - FIELDS or "references" not in entry:
                raise RegistryError(f"{path.name}: [{grade_id}] needs `references` and only {sorted(FIELDS)}; "
                                    f"got {sorted(entry) if isinstance(entry, dict) else type(entry).__name__}")
            if grade_id in found:
                raise RegistryError(f"{path.name}: [{grade_id}] is already registered by {found[grade_id].day}")
            found[grade_id] = Exercise(grade_id, path.stem, tuple(entry["references"]),
                                       tuple(entry.get("may_not_call", ())), entry.get("max_matrix_products"),
                                       entry.get("answer"))
    return found


def exercise(grade_id: str) -> Exercise:
    """The registry entry of one exercise; a clear error for an unknown grade_id."""
    try:
        return exercises()[grade_id]
    except KeyError:
        raise RegistryError(f"no exercise {grade_id!r} in the registry ({HERE}); known: "
                            f"{', '.join(sorted(exercises()))}") from None


def day_exercises(day: str) -> list[Exercise]:
    return [e for e in exercises().values() if e.day == day]


def resolve(path: str) -> Any:
    """The object a dotted path names: the longest importable module prefix, then attributes. A path that
    does not resolve (a renamed torch internal, a moved course_lib function) raises RegistryError."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            try:
                obj = getattr(obj, attr)
            except AttributeError:
                raise RegistryError(f"{path}: {'.'.join(parts[:cut])} has no attribute path "
                                    f"{'.'.join(parts[cut:])!r}") from None
        return obj
    raise RegistryError(f"{path}: no importable module at its start")
