"""course_tools.grader.sandbox: each student is graded by the course's own autograde steps, with the guard
cells around the execution."""
from __future__ import annotations

import pytest

from course_tools.grader.course import Course
from course_tools.grader.sandbox import GUARDS, guarded_preprocessors
from support import ROOT


def test_the_sandbox_runs_the_courses_autograde_steps_with_the_guards_around_execute():
    configured = list(Course(ROOT).config.Autograde.autograde_preprocessors)
    steps = guarded_preprocessors(configured)
    assert [s for s in steps if s not in GUARDS] == configured
    execute = steps.index("nbgrader.preprocessors.Execute")
    assert steps[execute - 1] == GUARDS[0] and steps[execute + 1] == GUARDS[1]


def test_nbgraders_default_steps_are_used_when_the_course_sets_none():
    steps = guarded_preprocessors([])
    assert steps[:3] == [GUARDS[0], "nbgrader.preprocessors.execute.Execute", GUARDS[1]]
    assert "nbgrader.preprocessors.saveautogrades.SaveAutoGrades" in steps


def test_a_course_without_an_execute_step_is_refused():
    with pytest.raises(ValueError, match="no Execute step"):
        guarded_preprocessors(["nbgrader.preprocessors.IgnorePattern"])
