"""course_tools.preprocessors: experiment cells keep what the student saw through autograding; answers and
tests are graded on the rerun."""
from __future__ import annotations

import nbformat
from nbconvert.preprocessors import ClearOutputPreprocessor

from course_tools.preprocessors import SUBMITTED, SUBMITTED_NOTE, KeepSubmittedOutputs, RestoreSubmittedOutputs


def _notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    experiment = nbformat.v4.new_code_cell("plot()")
    experiment.outputs = [nbformat.v4.new_output("display_data", data={"image/png": "FULLRUN"})]
    answer = nbformat.v4.new_code_cell("def f(): return 1")
    answer.metadata.nbgrader = {"grade_id": "f", "solution": True, "grade": False, "locked": False}
    answer.outputs = [nbformat.v4.new_output("stream", name="stdout", text="student's answer output")]
    unrun = nbformat.v4.new_code_cell("print('never run')")
    nb.cells = [experiment, answer, unrun]
    return nb


def _autograde(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Sanitize (keep, clear), a stand-in for the grading run's outputs, then restore."""
    nb, _ = KeepSubmittedOutputs().preprocess(nb, {})
    nb, _ = ClearOutputPreprocessor().preprocess(nb, {})
    for cell in nb.cells:
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="grading run")]
    nb = nbformat.reads(nbformat.writes(nb), as_version=4)  # nbgrader writes and rereads between the steps
    nb, _ = RestoreSubmittedOutputs().preprocess(nb, {})
    return nb


def test_an_experiment_cell_shows_the_submitted_output_after_a_note():
    cell = _autograde(_notebook()).cells[0]
    assert cell.outputs[0].text == SUBMITTED_NOTE
    assert cell.outputs[1].data["image/png"] == "FULLRUN" and len(cell.outputs) == 2


def test_answer_and_test_cells_show_the_grading_run():
    assert [o.text for o in _autograde(_notebook()).cells[1].outputs] == ["grading run"]


def test_a_cell_the_student_never_ran_shows_the_grading_run():
    assert [o.text for o in _autograde(_notebook()).cells[2].outputs] == ["grading run"]


def test_no_bookkeeping_is_left_in_the_cell_metadata():
    assert all(SUBMITTED not in cell.metadata for cell in _autograde(_notebook()).cells)
