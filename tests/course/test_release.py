"""The student release: built from the current sources, and free of solutions, hidden tests and outputs.
(That each committed release is what nbgrader makes from its source, executed or not, is checked where the
release is generated once per day: tests/course/test_grading_pipeline.py.)"""
from __future__ import annotations


import nbformat
import pytest

from support import DAYS, ROOT
from course_tools.build import check as build_check
from course_lib.notebook.registry import exercises as exercises_registry, resolve
from course_lib.notebook.rules import rule_text
from course_tools.notebooks import exercises, read, secret_lines


def test_there_is_a_day() -> None:
    assert DAYS, "no sources/<day>.py found"


@pytest.mark.slow
def test_solutions_and_the_day_map_match_a_fresh_build() -> None:
    """sources/*.py -> solutions/ and docs/DAYS.md rebuilt in a temporary directory give the same bytes."""
    changed = build_check(ROOT, releases=False)
    assert not changed, f"out of date (run `python3 course.py build`): {changed}"


@pytest.mark.parametrize("day", DAYS)
def test_release_leaks_nothing(day: str) -> None:
    raw = (ROOT / "notebooks" / day / f"{day}.ipynb").read_text()
    release = nbformat.reads(raw, as_version=4)
    solution = read(ROOT / "solutions" / day / f"{day}.ipynb")
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in raw
    release_lines = {line.strip() for cell in release.cells for line in cell.source.splitlines()}
    leaked = secret_lines(solution) & release_lines
    assert not leaked, f"solution or hidden-test lines leaked into the release: {sorted(leaked)}"
    for cell in release.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        assert set(cell.metadata) <= {"nbgrader", "deletable", "editable", "tags"}
    assert set(release.metadata) == {"kernelspec", "language_info"}
    assert release.metadata.language_info == {"name": "python"}


@pytest.mark.parametrize("day", DAYS)
def test_release_stubs_and_locks(day: str) -> None:
    release = read(ROOT / "notebooks" / day / f"{day}.ipynb")
    for ex in exercises(read(ROOT / "solutions" / day / f"{day}.ipynb")):
        answer = next(c for c in release.cells if c.get("id") == ex["id"])
        assert "raise NotImplementedError()" in answer.source
        test = next(c for c in release.cells if c.get("id") == ex["test_id"])
        assert test.metadata.get("editable") is False and test.metadata.get("deletable") is False


@pytest.mark.parametrize("day", DAYS)
def test_every_exercise_states_what_it_may_not_call(day: str) -> None:
    """The registry's rules, generated into the text right above each answer cell: no ban is silent."""
    release = read(ROOT / "notebooks" / day / f"{day}.ipynb")
    for ex in exercises(read(ROOT / "solutions" / day / f"{day}.ipynb")):
        index = next(i for i, c in enumerate(release.cells) if c.get("id") == ex["id"])
        above = release.cells[index - 1]
        assert above.cell_type == "markdown" and rule_text(ex["id"]) in above.source, ex["id"]


def _reference_objects(days: list[str]) -> dict[int, str]:
    """{id(object): path} of every reference of `days` (functions, classes, methods)."""
    found = {}
    for entry in exercises_registry().values():
        if entry.day in days:
            for path in entry.references:
                obj = resolve(path)
                found[id(getattr(obj, "__func__", obj))] = path
    return found


def _visible_uses(release) -> list[tuple[str, object]]:
    """(what the notebook wrote, the object it names) for every course_lib object a visible cell imports,
    and every attribute it reads from an imported course_lib module (`ref.encode`, `m.Vocab.encode`)."""
    import ast
    import importlib
    uses = []
    modules: dict[str, object] = {}
    trees = [ast.parse(c.source) for c in release.cells if c.cell_type == "code"]
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("course_lib"):
                for alias in node.names:
                    module = importlib.import_module(node.module)
                    obj = getattr(module, alias.name, None)
                    if obj is None:
                        obj = importlib.import_module(f"{node.module}.{alias.name}")
                    uses.append((f"from {node.module} import {alias.name}", obj))
                    if isinstance(obj, type(importlib)):
                        modules[alias.asname or alias.name] = obj
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("course_lib"):
                        modules[alias.asname or alias.name.split(".")[0]] = importlib.import_module(
                            alias.name if alias.asname else alias.name.split(".")[0])
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                chain, base = [node.attr], node.value
                while isinstance(base, ast.Attribute):
                    chain.insert(0, base.attr)
                    base = base.value
                if isinstance(base, ast.Name) and base.id in modules:
                    obj = modules[base.id]
                    for i, attr in enumerate(chain):
                        obj = getattr(obj, attr, None)
                        if obj is not None:
                            uses.append((f"{base.id}.{'.'.join(chain[:i + 1])}", obj))
    return uses


@pytest.mark.parametrize("day", DAYS)
def test_no_visible_cell_reaches_a_reference_of_its_day_or_a_later_one(day: str) -> None:
    """The release never points at today's answers (nor at a later day's): visible tests use stored values
    or torch, experiments the student's own functions. Hidden tests import references inside their block."""
    banned = _reference_objects(DAYS[DAYS.index(day):])
    release = read(ROOT / "notebooks" / day / f"{day}.ipynb")
    found = sorted({f"{what} is {banned[id(getattr(obj, '__func__', obj))]}" for what, obj in _visible_uses(release)
                    if id(getattr(obj, "__func__", obj)) in banned})
    assert not found, f"{day}'s release reaches references of its own or a later day: {found}"
