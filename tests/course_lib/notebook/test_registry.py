"""The exercise registry: one entry per graded exercise, every named object exists."""
from __future__ import annotations

import pytest

from support import DAYS, ROOT
from course_lib.notebook.registry import RegistryError, day_exercises, exercise, exercises, resolve
from course_tools.notebooks import exercises as graded_exercises, read


@pytest.mark.parametrize("day", DAYS)
def test_every_graded_exercise_has_an_entry_and_only_those(day: str) -> None:
    graded = {e["id"] for e in graded_exercises(read(ROOT / "solutions" / day / f"{day}.ipynb"))}
    assert {e.grade_id for e in day_exercises(day)} == graded


@pytest.mark.parametrize("grade_id", sorted(exercises()))
def test_every_named_object_resolves(grade_id: str) -> None:
    entry = exercise(grade_id)
    for path in (*entry.banned, *([entry.answer] if entry.answer else [])):
        assert callable(resolve(path)), path


@pytest.mark.parametrize("grade_id", sorted(exercises()))
def test_references_live_in_course_lib_and_the_drop_in_answer_is_one_of_them(grade_id: str) -> None:
    entry = exercise(grade_id)
    assert all(p.startswith("course_lib.") for p in entry.references)
    assert not set(entry.references) & set(entry.may_not_call)
    assert entry.answer is None or entry.answer in entry.references


def test_a_renamed_torch_internal_fails_to_resolve_loudly() -> None:
    with pytest.raises(RegistryError, match=r"torch\._VF has no attribute path 'rnn_tanh_renamed'"):
        resolve("torch._VF.rnn_tanh_renamed")
    with pytest.raises(RegistryError, match="no importable module"):
        resolve("nosuchpackage.f")


def test_an_unknown_exercise_is_named_in_the_error() -> None:
    with pytest.raises(RegistryError, match="no exercise 'no_such_exercise'"):
        exercise("no_such_exercise")
