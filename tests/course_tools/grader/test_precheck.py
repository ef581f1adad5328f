"""Checks before grading: which file is the notebook, whether it can be read, and locked cells and nbgrader
metadata put back as released; Python files never travel with the notebook."""
from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest

from course_tools.grader.precheck import prepare, repair, student_files
from course_tools.grader.scan import private_names, release_bindings
from course_tools.notebooks import cells_by_id, grade_id, read, solved
from support import ROOT

DAY = "day01_rnn"


@pytest.fixture(scope="module")
def release() -> nbformat.NotebookNode:
    return read(ROOT / "notebooks" / DAY / f"{DAY}.ipynb")


@pytest.fixture(scope="module")
def solution() -> nbformat.NotebookNode:
    return read(ROOT / "solutions" / DAY / f"{DAY}.ipynb")


def hand_in(folder: Path, name: str, data: bytes | nbformat.NotebookNode) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data if isinstance(data, bytes) else nbformat.writes(data).encode())
    return folder


def check(folder: Path, release, solution):
    return prepare(folder, DAY, release, release_bindings(release), private_names(solution))


def test_a_correct_submission_passes_every_check_without_a_flag(tmp_path, release, solution) -> None:
    result = check(hand_in(tmp_path, f"{DAY}.ipynb", solved(release, solution)), release, solution)
    assert result.notebook is not None and result.flags == [] and result.source_name == f"{DAY}.ipynb"


def test_a_renamed_notebook_is_graded_and_flagged(tmp_path, release, solution) -> None:
    result = check(hand_in(tmp_path, f"{DAY} (1).ipynb", release), release, solution)
    assert result.notebook is not None and result.source_name == f"{DAY} (1).ipynb"
    assert any(f.startswith("renamed notebook") for f in result.flags), result.flags


def test_several_notebooks_and_none_of_the_right_name_is_not_graded(tmp_path, release, solution) -> None:
    hand_in(tmp_path, "a.ipynb", release)
    result = check(hand_in(tmp_path, "b.ipynb", release), release, solution)
    assert result.notebook is None and "several notebooks" in result.flags[0]


@pytest.mark.parametrize("data, reason", [
    (b"", "empty file"), (b"   \n", "empty file"), (b'{"cells": [', "malformed JSON"), (b"\xff\xfe{}", "not UTF-8"),
    (b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": 3}', "not a valid notebook")])
def test_an_unreadable_file_is_not_graded_and_says_why(tmp_path, release, solution, data, reason) -> None:
    result = check(hand_in(tmp_path, f"{DAY}.ipynb", data), release, solution)
    assert result.notebook is None and result.flags[0].startswith(reason) and result.flags[0].endswith("not graded")


def test_a_deleted_locked_test_cell_is_put_back_after_its_answer(release) -> None:
    nb = copy.deepcopy(release)
    nb.cells = [c for c in nb.cells if grade_id(c) != "test_encode"]
    repaired, flags, _ = repair(nb, release)
    order = [grade_id(c) for c in repaired.cells if grade_id(c)]
    assert order == [grade_id(c) for c in release.cells if grade_id(c)]
    assert flags == ["deleted locked test cell 'test_encode': put back before grading"]


def test_edited_nbgrader_metadata_and_cell_types_are_restored(release) -> None:
    nb = copy.deepcopy(release)
    cells = cells_by_id(nb)
    cells["test_build_vocab"].metadata.nbgrader.update(points=0, grade=False)
    cells["test_encode"].cell_type = "markdown"
    del cells["test_encode"]["outputs"], cells["test_encode"]["execution_count"]
    repaired, flags, _ = repair(nb, release)
    assert cells_by_id(repaired)["test_build_vocab"].metadata.nbgrader == \
        cells_by_id(release)["test_build_vocab"].metadata.nbgrader
    assert cells_by_id(repaired)["test_encode"].cell_type == "code"
    assert len(flags) == 2 and "edited (grade, points): restored" in flags[0] and "markdown" in flags[1]


def test_an_unknown_nbgrader_id_loses_its_metadata(release) -> None:
    nb = copy.deepcopy(release)
    nb.cells.append(nbformat.v4.new_code_cell("x = 1", metadata={"nbgrader": {"grade_id": "mine", "grade": True,
                                                                             "points": 5, "solution": False}}))
    repaired, flags, _ = repair(nb, release)
    assert "nbgrader" not in repaired.cells[-1].metadata and "unknown nbgrader id 'mine'" in flags[0]


def test_python_files_never_go_along_with_the_notebook(tmp_path, release, solution) -> None:
    folder = hand_in(tmp_path, f"{DAY}.ipynb", release)
    for name in ("numpy.py", "data.csv", "timestamp.txt", "helper.so"):
        (folder / name).write_text("x")
    result = check(folder, release, solution)
    assert [p.name for p in student_files(folder)] == ["data.csv", "timestamp.txt"]
    assert sum("submitted Python code" in f for f in result.flags) == 2, result.flags
