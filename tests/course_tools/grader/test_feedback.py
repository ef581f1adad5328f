"""The feedback check: a file that shows a hidden test, or the grader's cells, is caught; a student's own
correct answer is not a leak."""
from __future__ import annotations

from pathlib import Path

import pytest

from course_tools.grader.course import Course
from course_tools.grader.feedback import feedback_leaks, html_escape
from course_tools.notebooks import read, secret_lines
from support.grader import course_copy

DAY = "day01_rnn"


@pytest.fixture
def course(tmp_path: Path) -> Course:
    return Course(course_copy(tmp_path, DAY))


def feedback(course: Course, student: str, html: str) -> None:
    path = course.feedback_dir / student / DAY / f"{DAY}.html"
    path.parent.mkdir(parents=True)
    path.write_text(f"<html><body>{html}</body></html>")


def test_a_hidden_test_line_or_a_grader_cell_in_feedback_is_a_leak(course: Course) -> None:
    hidden = sorted(secret_lines(read(course.source(DAY)), regions=("HIDDEN TESTS",)))
    feedback(course, "escaped", f"<pre>{html_escape(hidden[0])}</pre>")
    feedback(course, "marker", "<pre>__course_guard__('pre:test_encode', 'x')</pre>")
    count, leaks = feedback_leaks(course, DAY)
    assert count == 2 and [leak.split("/")[1] for leak in leaks] == ["escaped", "marker"], leaks


def test_a_students_own_correct_answer_is_no_leak(course: Course) -> None:
    solutions = secret_lines(read(course.source(DAY)), regions=("SOLUTION",))
    feedback(course, "good", "".join(f"<pre>{html_escape(line)}</pre>" for line in sorted(solutions)))
    assert feedback_leaks(course, DAY) == (1, [])
