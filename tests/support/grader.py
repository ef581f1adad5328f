"""Helpers for the class-scale grader's tests: a throw-away course, the grader's commands, the gradebook."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from course_tools.nbgrader_cli import nbgrader
from support import ROOT, nbgrader_env


def course_copy(tmp: Path, day: str) -> Path:
    """A course folder with the course's nbgrader_config.py and one day's source notebook, nothing else."""
    course = tmp / "course"
    (course / "solutions").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / day, course / "solutions" / day)
    return course


def run_grader(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """`python -m course_tools.grader --course COURSE ARGS`; with `check`, it must exit 0."""
    result = subprocess.run([sys.executable, "-m", "course_tools.grader", "--course", str(course), *args],
                            env=nbgrader_env(), capture_output=True, text=True, timeout=900)
    if check:
        assert result.returncode == 0, f"grader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def run_nbgrader(course: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """Stock `nbgrader ARGS` in a course folder, with `env` added to the clean environment; it must exit 0."""
    result = nbgrader(course, *args, env=dict(nbgrader_env(), **env), check=False, timeout=900)
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stderr}"
    return result


def gradebook_state(gradebook: Path, day: str) -> dict[str, dict[str, tuple]]:
    """{student: {grade cell: (auto score, manual score, needs manual grade)}} of a day."""
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{gradebook}") as gb:
        out = {}
        for sub in gb.assignment_submissions(day):
            nb = gb.find_submission_notebook(day, day, sub.student.id)
            out[sub.student.id] = {g.name: (g.auto_score, g.manual_score, g.needs_manual_grade) for g in nb.grades}
        return out
