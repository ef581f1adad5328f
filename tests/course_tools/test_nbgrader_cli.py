"""The one nbgrader runner: a clean environment, and errors that nbgrader only logs count as failures."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from course_tools.nbgrader_cli import NbgraderError, clean_env, error_lines, nbgrader


def test_error_lines_are_nbgraders_error_log_lines() -> None:
    log = ("[GenerateAssignmentApp | ERROR] No notebooks were matched\n"
           "[ZipCollectApp | WARNING] Skipped submission with no match information provided: x.ipynb\n"
           "[ERROR] plain\n    Traceback (most recent call last):\n[AutogradeApp | CRITICAL] boom\n")
    assert error_lines(log) == ["[GenerateAssignmentApp | ERROR] No notebooks were matched", "[ERROR] plain",
                                "[AutogradeApp | CRITICAL] boom"]


def test_the_clean_environment_runs_this_python_outside_grading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setenv("COURSE_GRADEBOOK", "sqlite:////srv/gradebook.db")
    env = clean_env(TMPDIR="/tmp/x")
    assert "NBGRADER_EXECUTION" not in env and env["COURSE_GRADEBOOK"] == "sqlite:////srv/gradebook.db"
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent) and env["TMPDIR"] == "/tmp/x"
    assert "COURSE_GRADEBOOK" not in clean_env(keep_course_location=False)


def test_a_command_that_fails_raises_with_the_tail_of_its_log(tmp_path: Path) -> None:
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    with pytest.raises(NbgraderError, match="No notebooks were matched"):
        nbgrader(tmp_path, "generate_assignment", "nothing", "--no-db")
    assert nbgrader(tmp_path, "generate_assignment", "nothing", "--no-db", check=False).returncode != 0
