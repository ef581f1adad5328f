"""The grader's command line (the commands are described in course_tools/grader/__init__.py), and `all`."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import course_tools.grader as package
from course_tools.grader.collect import cmd_collect
from course_tools.grader.course import Course, GraderError
from course_tools.grader.feedback import cmd_feedback
from course_tools.grader.release import cmd_release
from course_tools.grader.report import cmd_report
from course_tools.grader.sandbox import DEFAULT_MEMORY_MB, DEFAULT_NOTEBOOK_TIMEOUT, Limits
from course_tools.grader.schedule import cell_timeout_default, cmd_autograde
from course_tools.nbgrader_cli import NbgraderError


def cmd_all(course: Course, day: str, args: argparse.Namespace, limits: Limits) -> int:
    """release if the day is not in the gradebook yet, collect when there is something to collect,
    autograde, feedback, report."""
    if not course.released(day):
        cmd_release(course, [day], exchange=False)
    archive = course.root / "downloaded" / day / "archive"
    inbound = course.exchange / course.course_id / "inbound"
    if args.zip or (archive.is_dir() and any(archive.iterdir())):
        cmd_collect(course, day, zip_mode=True)
    elif inbound.is_dir() and any(p.name.split("+")[1:2] == [day] for p in inbound.iterdir()):
        cmd_collect(course, day, zip_mode=False)
    cmd_autograde(course, day, args.jobs, args.student, args.force, args.retry_failed, limits)
    status = cmd_feedback(course, day, args.exchange)
    return cmd_report(course, day) or status


def parser() -> argparse.ArgumentParser:
    usage = package.__doc__.split("\nThe modules")[0]  # the commands, without the list of modules
    p = argparse.ArgumentParser(prog="python -m course_tools.grader", description=usage,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--course", type=Path, default=Path.cwd(), help="course folder (default: here)")
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("release", help="register and release days")
    c.add_argument("days", nargs="*")
    c.add_argument("--exchange", action="store_true", help="also nbgrader release_assignment")
    c = sub.add_parser("collect", help="collect submissions")
    c.add_argument("day")
    c.add_argument("--zip", action="store_true", help="from an LMS download (nbgrader zip_collect)")

    def grading_options(c: argparse.ArgumentParser) -> None:
        c.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel submissions (default: CPUs)")
        c.add_argument("--student", action="append", help="only this student (repeatable)")
        c.add_argument("--force", action="store_true", help="grade again even when unchanged")
        c.add_argument("--retry-failed", action="store_true", help="grade again the ones that were not graded")
        c.add_argument("--cell-timeout", type=int, default=None, help="seconds per cell (default: course config)")
        c.add_argument("--notebook-timeout", type=int, default=DEFAULT_NOTEBOOK_TIMEOUT,
                       help=f"seconds per notebook, all cells (default {DEFAULT_NOTEBOOK_TIMEOUT})")
        c.add_argument("--memory-mb", type=int, default=DEFAULT_MEMORY_MB,
                       help=f"address-space cap per process in MB (default {DEFAULT_MEMORY_MB})")

    c = sub.add_parser("autograde", help="grade submissions in parallel")
    c.add_argument("day")
    grading_options(c)
    c.add_argument("--keep-sandboxes", action="store_true",
                   help="keep the per-student copies (to inspect them, or to grade them elsewhere)")
    c = sub.add_parser("feedback", help="generate (and release) feedback")
    c.add_argument("day")
    c.add_argument("--exchange", action="store_true", help="also nbgrader release_feedback")
    c = sub.add_parser("report", help="grades.csv and the per-exercise report")
    c.add_argument("day")
    c = sub.add_parser("all", help="release if needed, collect, autograde, feedback, report")
    c.add_argument("day")
    c.add_argument("--zip", action="store_true", help="collect from an LMS download")
    c.add_argument("--exchange", action="store_true", help="release feedback to the exchange")
    grading_options(c)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        course = Course(args.course)
        if args.command == "release":
            return cmd_release(course, args.days, args.exchange)
        if args.command == "collect":
            return cmd_collect(course, args.day, args.zip)
        if args.command == "feedback":
            return cmd_feedback(course, args.day, args.exchange)
        if args.command == "report":
            return cmd_report(course, args.day)
        limits = Limits(args.cell_timeout or cell_timeout_default(course), args.notebook_timeout, args.memory_mb)
        if args.command == "autograde":
            return cmd_autograde(course, args.day, args.jobs, args.student, args.force, args.retry_failed, limits,
                                 args.keep_sandboxes)
        return cmd_all(course, args.day, args, limits)
    except (GraderError, NbgraderError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
