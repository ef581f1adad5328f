"""The command line: `python -m course_tools.grader` with the documented commands and options only."""
from __future__ import annotations

import subprocess
import sys

import pytest

from course_tools.grader.cli import main, parser
from support import nbgrader_env

COMMANDS = {"release", "collect", "autograde", "feedback", "report", "all"}


def options(command: str) -> set[str]:
    sub = next(a for a in parser()._actions if a.dest == "command")
    return {o for a in sub.choices[command]._actions for o in a.option_strings}


def test_the_command_line_offers_the_documented_commands_only() -> None:
    sub = next(a for a in parser()._actions if a.dest == "command")
    assert set(sub.choices) == COMMANDS


def test_keep_sandboxes_is_an_autograde_option_only() -> None:
    assert "--keep-sandboxes" in options("autograde") and "--keep-sandboxes" not in options("all")
    assert {"--jobs", "--force", "--retry-failed", "--cell-timeout", "--memory-mb"} <= options("all")


def test_python_dash_m_runs_the_grader() -> None:
    result = subprocess.run([sys.executable, "-m", "course_tools.grader", "--help"], env=nbgrader_env(),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and all(command in result.stdout for command in COMMANDS), result.stderr


def test_a_folder_without_nbgrader_config_is_an_error_with_status_2(tmp_path, capsys: pytest.CaptureFixture) -> None:
    assert main(["--course", str(tmp_path), "report", "day01_rnn"]) == 2
    assert "has no nbgrader_config.py" in capsys.readouterr().err
