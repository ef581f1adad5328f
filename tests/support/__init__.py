"""What many tests share: where the course is, which days exist, and a clean environment for nbgrader."""
from __future__ import annotations

from pathlib import Path

from course_tools.notebooks import days

ROOT = Path(__file__).resolve().parents[2]
DAYS = days(ROOT / "solutions")


def nbgrader_env() -> dict[str, str]:
    """The environment nbgrader commands run in: this Python's bin first, no grading variables."""
    from course_tools.nbgrader_cli import clean_env
    return clean_env(keep_course_location=False)
