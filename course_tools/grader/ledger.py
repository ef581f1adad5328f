"""Recording grades: the ledger (.grader/<day>/ledger/<student>.json, one `Entry` per student: what the grader
concluded and why), what the guards' reports mean in words, and writing a sandbox's result into the course
gradebook with nbgrader itself. Only the grader process writes the course gradebook, one submission at a
time."""
from __future__ import annotations

import copy
import json
import logging
import shutil
import warnings
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path

from course_tools.grader.course import STATE, Course, write_json
from course_tools.grader.kernel_guard import Event, Label
from course_tools.grader.precheck import student_files

GRADER_VERSION = 2  # a ledger entry of another version is graded again
GRADED, FLAGGED, NOT_GRADED = "graded", "graded, flagged", "not graded"

# what the kernel guard recorded, in words
EVENT_TEXT = {
    Event.READ: "blocked reading {detail}", Event.WRITE: "blocked writing {detail}",
    Event.LIST: "blocked listing {detail}", Event.DATABASE: "blocked opening the database {detail}",
    Event.MODIFY: "blocked changing the file {detail}", Event.PROCESS: "blocked starting a process {detail}",
    Event.SIGNAL: "blocked sending a signal {detail}", Event.NETWORK: "blocked network access {detail}",
    Event.TRACING: "blocked installing a trace/profile function",
    Event.GC_INTROSPECTION: "blocked gc introspection (gc.get_objects/get_referrers)",
    Event.MODULE_ATTRIBUTE: "blocked changing the module attribute {detail}",
    Event.CODE_CHANGED: "notebook code replaced {detail}",
    Event.INTROSPECTION: "notebook code {detail} (introspection)",
    Event.FRAME_INTROSPECTION: "notebook code inspected stack frames (sys._getframe)",
    Event.EXEC: "notebook code ran code built from a string (exec/eval)",
    Event.COMPILE: "notebook code compiled code from a string",
    Event.CTYPES: "notebook code used ctypes",
}


@dataclass
class Entry:
    """One student's submission of one day, as the grader last concluded."""
    student: str
    day: str
    submission_sha256: str                 # of the submitted folder: an unchanged one is not graded again
    status: str                            # GRADED, FLAGGED or NOT_GRADED
    source_name: str | None = None         # the notebook file that was graded (another name when renamed)
    flags: list[str] = field(default_factory=list)   # reasons to look at it, one sentence each
    notes: list[str] = field(default_factory=list)   # worth knowing, no review needed
    suspect_cells: list[str] = field(default_factory=list)  # tests marked needs_manual_grade in the gradebook
    failures: dict[str, str] = field(default_factory=dict)  # test cell -> failed check (CheckFailed.check) or error
    scores: dict | None = None             # {grade cell: [score, max]} in the course gradebook after this run
    seconds: float = 0.0                   # grading wall time
    guard_install_ms: float | None = None
    record_seconds: float | None = None    # recording in the course gradebook
    graded_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    limits: dict = field(default_factory=dict)
    grader_version: int = GRADER_VERSION

    @property
    def graded(self) -> bool:
        return self.status in (GRADED, FLAGGED)

    def save(self, course: Course) -> None:
        write_json(course.state(self.day) / "ledger" / f"{self.student}.json", asdict(self))

    @classmethod
    def from_dict(cls, data: dict) -> Entry:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def read_ledger(course: Course, day: str) -> dict[str, Entry]:
    """Every student's entry for a day."""
    folder = course.state(day) / "ledger"
    if not folder.is_dir():
        return {}
    return {p.stem: Entry.from_dict(json.loads(p.read_text())) for p in sorted(folder.glob("*.json"))}


def read_entry(course: Course, day: str, student: str) -> Entry | None:
    path = course.state(day) / "ledger" / f"{student}.json"
    return Entry.from_dict(json.loads(path.read_text())) if path.is_file() else None


@dataclass
class Findings:
    """What a sandbox's report.json (written by guard_cells.CollectGuards) says, for the ledger."""
    flags: list[str] = field(default_factory=list)
    suspect: list[str] = field(default_factory=list)      # tests that ran while something was tampered with
    failures: dict[str, str] = field(default_factory=dict)


def read_report(report: dict, tests: list[str], limits) -> Findings:
    found = Findings(flags=list(report.get("problems", [])))
    flags, suspect = found.flags, found.suspect

    def suspect_test(cell: str | None) -> None:
        if cell in tests and cell not in suspect:
            suspect.append(cell)

    for label in report.get("missing", []):
        if not any(label in p for p in flags):
            flags.append(f"guard {label!r} did not report")
    for label in report.get("expected", []):
        rep = report.get("reports", {}).get(label)
        if not rep:
            continue
        cell = None
        if label.startswith(Label.PRE):
            cell = label[len(Label.PRE):]
            where = f"before {cell} ran (restored, so {cell} was graded with the real checks)"
        elif label.startswith(Label.POST):
            cell = label[len(Label.POST):]
            where = f"while {cell} ran ({cell}'s score may be inflated: marked for manual review)"
            outcome = rep.get("outcome") or {}
            if outcome.get("check"):
                found.failures[cell] = outcome["check"]
        elif label == Label.START:
            where = "before any student code ran"
        else:
            where = "after the last test"
        for finding in rep.get("findings", []):
            flags.append(f"tampering {where}: {finding}")
            if label.startswith(Label.POST):
                suspect_test(cell)
        for event in rep.get("events", []):
            what = EVENT_TEXT.get(event["kind"], "notebook code: {kind}").format(**event)
            flags.append(f"{what} ({event['phase']})")
            suspect_test(event.get("test"))
    for cell, failure in report.get("test_errors", {}).items():
        found.failures.setdefault(cell, failure)
    for err in report.get("cell_errors", []):
        if err["ename"] == "CellTimeoutError":
            flags.append(f"{err['cell']} timed out after {limits.cell_timeout} s (infinite loop?)")
        elif err["ename"] == "MemoryError":
            flags.append(f"{err['cell']} ran out of memory (cap {limits.memory_mb} MB)")
        elif err["ename"] == "RecursionError":
            flags.append(f"{err['cell']} hit Python's recursion limit")
    found.flags = list(dict.fromkeys(flags))
    return found


def record_grades(course: Course, day: str, student: str, executed: Path, folder: Path, log: Path) -> None:
    """Record grades with nbgrader itself, in this process (the only writer of the course gradebook):
    `nbgrader autograde` on the executed notebook, with the execution step left out, so the scores are
    computed by nbgrader from the cell outputs. A manual score already given is kept."""
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, DeduplicateIds, OverwriteCells,
                                        OverwriteKernelspec, SaveAutoGrades)
    from sqlalchemy.exc import SAWarning
    from traitlets.config import Config
    staged_rel = f"{STATE}/{day}/executed"
    staged = course.root / staged_rel / student / day
    if staged.parent.exists():
        shutil.rmtree(staged.parent)
    staged.mkdir(parents=True)
    shutil.copy(executed, staged / executed.name)
    for extra in student_files(folder):
        shutil.copy(extra, staged / extra.name)
    config = Config()
    config.merge(copy.deepcopy(course.config))  # merge shares nested sections: never touch the course's
    overrides = Config()
    overrides.CourseDirectory.root = str(course.root)
    overrides.CourseDirectory.submitted_directory = staged_rel
    overrides.CourseDirectory.assignment_id = day
    overrides.CourseDirectory.student_id = student
    overrides.Autograde.sanitize_preprocessors = [DeduplicateIds, OverwriteKernelspec, OverwriteCells,
                                                  CheckCellMetadata]
    overrides.Autograde.autograde_preprocessors = [SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
    overrides.Autograde.force = True
    config.merge(overrides)
    logger = logging.getLogger(f"course_tools.grader.record.{student}")
    logger.propagate = False
    logger.handlers[:] = [logging.FileHandler(log, mode="a")]
    logger.setLevel(logging.INFO)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)  # nbgrader's own add_submission warns
            Autograde(coursedir=CourseDirectory(config=config), config=config, log=logger).start()
    finally:
        for handler in logger.handlers:
            handler.close()
        logger.handlers[:] = []
        shutil.rmtree(staged.parent, ignore_errors=True)


def mark_for_review(course: Course, day: str, student: str, cells: list[str]) -> None:
    """needs_manual_grade on these grade cells: the formgrader lists them."""
    with course.gradebook() as gb:
        for cell in cells:
            gb.find_grade(cell, day, day, student).needs_manual_grade = True
        gb.db.commit()


def ensure_student(course: Course, student: str) -> None:
    """A student whose submission could not be graded still gets a row in grades.csv."""
    with course.gradebook() as gb:
        gb.update_or_create_student(student)
