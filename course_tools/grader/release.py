"""`release [DAY ...] [--exchange]`: register days in the gradebook and regenerate their student releases."""
from __future__ import annotations

from course_tools.grader.course import Course, progress, say
from course_tools.nbgrader_cli import nbgrader


def cmd_release(course: Course, days: list[str], exchange: bool) -> int:
    """nbgrader generate_assignment --force for each day (all by default); with `exchange` also
    release_assignment."""
    days = days or course.days()
    for day in progress(days, desc="release", unit="day"):
        nbgrader(course.root, "generate_assignment", day, "--force")
        if exchange:
            nbgrader(course.root, "release_assignment", day, "--force")
    say(f"released {', '.join(days)}: registered in the gradebook, notebooks in "
        f"{course.release_dir.relative_to(course.root)}/" + (", copied to the exchange" if exchange else ""))
    return 0
