"""`autograde DAY`: which submissions to grade now, and the loop that grades them in parallel. Per submission:
the checks before grading (precheck.py), a sandbox (sandbox.py) graded by `nbgrader autograde` in its own
process, then the result recorded in the course gradebook and the ledger (ledger.py)."""
from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from course_tools.grader import precheck
from course_tools.grader.course import Course, GraderError, folder_hash, progress, say, submission_scores
from course_tools.grader.ledger import (FLAGGED, GRADED, GRADER_VERSION, NOT_GRADED, Entry, ensure_student,
                                        mark_for_review, read_entry, read_ledger, read_report, record_grades)
from course_tools.grader.sandbox import Limits, Sandboxes, failure_reason, kill
from course_tools.grader.scan import private_names, release_bindings
from course_tools.notebooks import exercises, read


@dataclass
class Job:
    """One submission on its way through the grader."""
    student: str
    folder: Path
    digest: str
    prepared: precheck.Prepared
    sandbox: Path | None = None
    proc: subprocess.Popen | None = None
    started: float = 0.0
    log: Path | None = None
    killed: str | None = None


class Autograder:
    """Grades one day's submissions: check, sandbox, nbgrader, record (see the module docstring)."""

    def __init__(self, course: Course, day: str, limits: Limits, jobs: int, keep: bool = False):
        self.course, self.day, self.limits, self.jobs = course, day, limits, max(1, jobs)
        if not course.released(day):
            raise GraderError(f"{day} is not in the gradebook: run `python -m course_tools.grader release {day}`")
        if course.db_path is None:
            raise GraderError("the grader needs a sqlite gradebook (c.CourseDirectory.db_url = 'sqlite:///...')")
        self.release = read(course.release(day))
        self.solution = read(course.source(day))
        self.tests = [ex["test_id"] for ex in exercises(self.solution)]
        self.bindings = release_bindings(self.release)
        self.private = private_names(self.solution)
        self.state = course.state(day)
        (self.state / "logs").mkdir(parents=True, exist_ok=True)
        (self.state / "ledger").mkdir(parents=True, exist_ok=True)
        self.sandboxes = Sandboxes(course, day, limits, self.bindings, keep)

    def close(self) -> None:
        self.sandboxes.close()

    def prepare(self, student: str, folder: Path, digest: str) -> Job:
        prepared = precheck.prepare(folder, self.day, self.release, self.bindings, self.private)
        return Job(student, folder, digest, prepared)

    def start(self, job: Job) -> None:
        job.sandbox = self.sandboxes.make(job.student, job.folder, job.prepared.notebook)
        job.log = self.state / "logs" / f"{job.student}.log"
        job.proc = self.sandboxes.launch(job.sandbox, job.student, job.log)
        job.started = time.monotonic()

    def _entry(self, job: Job, status: str, **kw) -> Entry:
        return Entry(student=job.student, day=self.day, submission_sha256=job.digest, status=status,
                     source_name=job.prepared.source_name, flags=list(job.prepared.flags),
                     notes=list(job.prepared.notes), limits=self.limits.as_dict(), **kw)

    def finish(self, job: Job) -> Entry:
        """Turn a finished (or killed) child into a ledger entry, recording its grades in the course
        gradebook when it produced them."""
        rc = job.proc.wait()
        kill(job.proc)  # whatever the kernel left behind in its process group
        seconds = round(time.monotonic() - job.started, 1)
        log_text = job.log.read_text(errors="replace") if job.log and job.log.exists() else ""
        executed = job.sandbox / "autograded" / job.student / self.day / f"{self.day}.ipynb"
        report_path = job.sandbox / "report.json"
        previous = read_entry(self.course, self.day, job.student)
        if job.killed or rc != 0 or not executed.exists() or not report_path.exists():
            entry = self._entry(job, NOT_GRADED, seconds=seconds)
            entry.flags.append(job.killed or failure_reason(rc, log_text, self.limits))
            self._keep_earlier_grades(entry, previous)
        else:
            report = json.loads(report_path.read_text())
            found = read_report(report, self.tests, self.limits)
            record_start = time.monotonic()
            record_grades(self.course, self.day, job.student, executed, job.folder, job.log)
            entry = self._entry(job, GRADED, seconds=seconds, failures=found.failures,
                                suspect_cells=found.suspect, record_seconds=round(time.monotonic() - record_start, 2),
                                guard_install_ms=report.get("reports", {}).get("start", {}).get("install_ms"))
            entry.flags += found.flags
            try:
                in_sandbox = submission_scores(f"sqlite:///{job.sandbox / 'gradebook.db'}", self.day, job.student,
                                               auto=True)
            except Exception:  # noqa: BLE001 - only a consistency check
                in_sandbox = None
            if in_sandbox != submission_scores(self.course.db_url, self.day, job.student, auto=True):
                entry.flags.append("internal: the sandbox and the course gradebook disagree on the scores")
            if found.suspect:
                mark_for_review(self.course, self.day, job.student, found.suspect)
            entry.status = FLAGGED if entry.flags else GRADED
            entry.scores = self.course.scores(self.day, job.student)
        entry.save(self.course)
        self.sandboxes.discard(job.sandbox)
        return entry

    def not_gradable(self, job: Job) -> Entry:
        """A submission the checks before grading found nothing gradable in."""
        entry = self._entry(job, NOT_GRADED)
        self._keep_earlier_grades(entry, None)
        entry.save(self.course)
        return entry

    def _keep_earlier_grades(self, entry: Entry, previous: Entry | None) -> None:
        ensure_student(self.course, entry.student)
        entry.scores = self.course.scores(self.day, entry.student)
        if entry.scores is not None:
            same = previous is not None and previous.submission_sha256 == entry.submission_sha256
            entry.notes.append("the gradebook keeps the grades of " + (
                "the previous grading" if same else "an earlier version of the submission"))

    def run(self, todo: list[tuple[str, Path, str]]) -> list[Entry]:
        """Grade `todo` ([(student, folder, digest)]) with up to `jobs` sandboxes at a time."""
        entries: list[Entry] = []
        pending = list(todo)
        running: list[Job] = []
        counts = Counter()
        bar = progress(total=len(todo), desc=f"autograde {self.day}", unit="nb")

        def done(entry: Entry) -> None:
            entries.append(entry)
            counts[entry.status] += 1
            bar.update(1)
            bar.set_postfix(counts)

        try:
            while pending or running:
                while pending and len(running) < self.jobs:
                    job = self.prepare(*pending.pop(0))
                    if job.prepared.notebook is None:
                        done(self.not_gradable(job))
                        continue
                    self.start(job)
                    running.append(job)
                for job in list(running):
                    if job.proc.poll() is None and time.monotonic() - job.started > self.limits.notebook_timeout:
                        job.killed = (f"exceeded the notebook time cap of {self.limits.notebook_timeout} s "
                                      f"(a hanging cell that ignores interrupts?): not graded")
                        kill(job.proc)
                    if job.proc.poll() is not None:
                        running.remove(job)
                        done(self.finish(job))
                time.sleep(0.05)
        except BaseException:
            for job in running:
                kill(job.proc)
            raise
        finally:
            bar.close()
        return entries


def plan(course: Course, day: str, students: list[str] | None, force: bool, retry_failed: bool,
         limits: Limits) -> tuple[list[tuple[str, Path, str]], list[str]]:
    """Which submissions to grade now: new or changed ones (all with `force`). Unchanged ones that were
    graded keep their grades; failures are retried with `retry_failed` or when the limits changed."""
    folders = course.submissions(day)
    if students:
        unknown = sorted(set(students) - set(folders))
        if unknown:
            raise GraderError(f"no submission of {day} for {', '.join(unknown)} in {course.submitted_dir}")
        folders = {s: folders[s] for s in students}
    book = read_ledger(course, day)
    todo, skipped = [], []
    for student, folder in folders.items():
        digest = folder_hash(folder)
        entry = book.get(student)
        same = entry is not None and entry.submission_sha256 == digest and entry.grader_version == GRADER_VERSION
        if same and entry.graded and course.scores(day, student) is None:
            same = False  # the gradebook lost it: grade again
        if same and not entry.graded and (retry_failed or entry.limits != limits.as_dict()):
            same = False
        if force or not same:
            todo.append((student, folder, digest))
        else:
            skipped.append(student)
    return todo, skipped


def cell_timeout_default(course: Course) -> int:
    for section in ("Execute", "ExecutePreprocessor"):
        if section in course.config and "timeout" in course.config[section]:
            return int(course.config[section].timeout)
    return 30


def cmd_autograde(course: Course, day: str, jobs: int, students: list[str] | None, force: bool,
                  retry_failed: bool, limits: Limits, keep: bool = False) -> int:
    todo, skipped = plan(course, day, students, force, retry_failed, limits)
    start = time.perf_counter()
    entries: list[Entry] = []
    if todo:
        grader = Autograder(course, day, limits, jobs, keep)
        try:
            entries = grader.run(todo)
        finally:
            grader.close()
    wall = time.perf_counter() - start
    by = Counter(e.status for e in entries)
    rate = f", {len(entries) / wall * 60:.1f} submissions/min" if entries and wall > 0 else ""
    say(f"autograde {day}: {len(entries)} graded now in {wall:.0f} s with {jobs} job(s){rate}; "
        f"{by[GRADED]} clean, {by[FLAGGED]} graded and flagged, {by[NOT_GRADED]} not graded; "
        f"{len(skipped)} unchanged since the last run (kept)")
    for e in sorted(entries, key=lambda e: e.student):
        if e.flags:
            more = f" (+{len(e.flags) - 1} more)" if len(e.flags) > 1 else ""
            say(f"  {e.student:<24} {e.status:<16} {e.flags[0][:110]}{more}")
    return 0
