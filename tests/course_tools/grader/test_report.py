"""The instructor's report on a small gradebook: reflections nobody has graded yet are named, their totals
marked provisional (scores.csv, grades.csv), and the most common failing check is the check's own name."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from course_tools.grader.course import Course
from course_tools.grader.ledger import GRADED, NOT_GRADED, Entry, ensure_student
from course_tools.grader.report import cmd_report
from support.grader import course_copy, run_nbgrader

DAY = "day01_rnn"
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")  # nbgrader's add_submission


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory) -> Course:
    """ada: full marks, reflection graded by hand (2 of 2); bo: encode wrong, reflection not graded yet;
    cy: handed in a file that could not be graded."""
    course = Course(course_copy(tmp_path_factory.mktemp("report"), DAY))
    run_nbgrader(course.root, "generate_assignment", DAY, "--force")
    with course.gradebook() as gb:
        for student in ("ada", "bo"):
            gb.add_student(student)
            gb.add_submission(DAY, student)
            for grade in gb.find_submission_notebook(DAY, DAY, student).grades:
                if grade.name.startswith("test_"):
                    grade.auto_score = 0.0 if (student, grade.name) == ("bo", "test_encode") else grade.max_score
            if student == "ada":
                gb.find_grade("reflection", DAY, DAY, student).manual_score = 2.0
        gb.db.commit()
    for student in ("ada", "bo"):
        Entry(student, DAY, "sha", GRADED, failures={"test_encode": "encode('cab')"} if student == "bo" else {},
              scores=course.scores(DAY, student)).save(course)
    Entry("cy", DAY, "sha", NOT_GRADED, flags=["malformed JSON (...): not graded"]).save(course)
    ensure_student(course, "cy")
    assert cmd_report(course, DAY) == 0
    return course


def rows(path: Path, key: str) -> dict[str, dict]:
    with open(path, newline="") as f:
        return {r[key]: r for r in csv.DictReader(f)}


def test_grades_csv_marks_reflections_still_to_grade_and_the_total_provisional(reported: Course) -> None:
    grades = rows(reported.root / "grades.csv", "student_id")
    assert grades["bo"]["awaiting_hand_grading"] == "reflection (2 points)"
    assert grades["bo"]["score_status"] == "provisional"
    assert grades["ada"]["awaiting_hand_grading"] == "" and grades["ada"]["score_status"] == "final"
    assert grades["cy"]["score_status"] == "not graded"
    assert float(grades["ada"]["score"]) == 14.0 and float(grades["bo"]["score"]) == 11.0  # nbgrader's own columns


def test_scores_csv_shows_the_reflection_as_pending_and_the_total_provisional(reported: Course) -> None:
    scores = rows(reported.root / "reports" / DAY / "scores.csv", "student")
    assert scores["bo"]["reflection"] == "pending" and scores["bo"]["score_status"] == "provisional"
    assert scores["bo"]["awaiting_hand_grading"] == "reflection"
    assert scores["ada"]["reflection"] == "2.0" and scores["ada"]["score_status"] == "final"
    assert scores["cy"]["status"] == NOT_GRADED and scores["cy"]["total"] == ""


def test_report_md_says_which_reflections_wait_for_hand_grading(reported: Course) -> None:
    text = (reported.root / "reports" / DAY / "report.md").read_text()
    assert "**Hand grading to do:** 1 of 2 graded submissions have reflections nobody has graded yet" in text
    assert "| reflection | 2 | 1 | 1 | 2.00 |" in text
    assert "Waiting for hand grading: bo." in text


def test_report_md_names_the_most_common_failing_check_as_the_check_named_it(reported: Course) -> None:
    text = (reported.root / "reports" / DAY / "report.md").read_text()
    assert "| test_encode | 1 | 2 | 0.50 | 1 | 0 | 1 | encode('cab') (1×) |" in text, text
    assert "- **cy** (not graded): malformed JSON" in text
