"""Reading nbgrader notebooks: the days of a folder, and the lines a release or a feedback file must not show."""
from __future__ import annotations

from pathlib import Path

import nbformat

from course_tools.notebooks import days, secret_lines

SOURCE = nbformat.v4.new_notebook(cells=[
    nbformat.v4.new_code_cell("import torch\n\ndef step(x):\n    ### BEGIN SOLUTION\n"
                              "    return torch.tanh(x @ W_xh + b_h)  # the answer\n"
                              "    with torch.no_grad():  # shown elsewhere too\n    ### END SOLUTION\n"),
    nbformat.v4.new_code_cell("check_close(step(x), want, 'step')\n### BEGIN HIDDEN TESTS\n"
                              "check_close(step(x64), want64, 'hidden check: float64')\n"
                              "return torch.tanh(x @ W_xh + b_h)  # the answer\n### END HIDDEN TESTS\n"),
    nbformat.v4.new_code_cell("with torch.no_grad():  # shown elsewhere too\n    pass\n"),
])


def test_secret_lines_are_those_only_inside_the_regions() -> None:
    assert secret_lines(SOURCE) == {"return torch.tanh(x @ W_xh + b_h)  # the answer",
                                    "check_close(step(x64), want64, 'hidden check: float64')"}


def test_for_feedback_only_hidden_tests_are_secret_not_what_a_correct_answer_shows() -> None:
    assert secret_lines(SOURCE, regions=("HIDDEN TESTS",)) == {
        "check_close(step(x64), want64, 'hidden check: float64')"}


def test_the_days_of_a_folder_are_its_notebook_folders_in_course_order(tmp_path: Path) -> None:
    for day in ("day02_gating", "day01_rnn"):
        (tmp_path / day).mkdir()
        (tmp_path / day / f"{day}.ipynb").write_text("{}")
    (tmp_path / "scratch").mkdir()
    assert days(tmp_path) == ["day01_rnn", "day02_gating"] and days(tmp_path / "missing") == []
