"""`feedback DAY [--exchange]`: nbgrader's feedback files, checked line by line for hidden tests before anything
is released to students."""
from __future__ import annotations

from course_tools.grader.course import Course, progress, say
from course_tools.grader.guard_cells import ROLE
from course_tools.nbgrader_cli import nbgrader
from course_tools.notebooks import read, secret_lines

# the grader's injected cells, were one ever left in a notebook
GRADER_MARKERS = ("BEGIN HIDDEN TESTS", ROLE, "__course_guard__")


def html_escape(code: str) -> str:
    return code.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def feedback_leaks(course: Course, day: str) -> tuple[int, list[str]]:
    """(number of feedback files, the ones that show hidden-test code or the grader's cells)."""
    secret = sorted(secret_lines(read(course.source(day)), regions=("HIDDEN TESTS",)))
    files = sorted(course.feedback_dir.glob(f"*/{day}/*.html"))
    leaks = []
    for path in progress(files, desc=f"check feedback {day}", unit="file"):
        html = path.read_text(errors="replace")
        if any(marker in html for marker in GRADER_MARKERS):
            leaks.append(f"{path.relative_to(course.root)}: hidden-test marker or grader cell")
            continue
        for code in secret:
            if html_escape(code) in html or code in html:
                leaks.append(f"{path.relative_to(course.root)}: {code[:80]}")
                break
    return len(files), leaks


def cmd_feedback(course: Course, day: str, exchange: bool) -> int:
    """nbgrader generate_feedback --force, the leak check, and with `exchange` (only when nothing leaks)
    nbgrader release_feedback. Exit status 1 when a file leaks."""
    nbgrader(course.root, "generate_feedback", day, "--force")
    count, leaks = feedback_leaks(course, day)
    if exchange and not leaks:
        nbgrader(course.root, "release_feedback", day)
    say(f"feedback {day}: {count} file(s) in {course.feedback_dir.relative_to(course.root)}/, "
        + ("none shows hidden tests" if not leaks else f"{len(leaks)} show hidden tests: DO NOT SEND")
        + ("; released to the exchange" if exchange and not leaks else ""))
    for leak in leaks:
        say(f"  LEAK {leak}")
    return 1 if leaks else 0
