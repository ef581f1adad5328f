"""Grade a whole class with the real nbgrader, safely and in parallel: `python -m course_tools.grader <command>`.

Run from the course folder (the one with nbgrader_config.py), or pass --course DIR.

    release   [DAY ...] [--exchange]   nbgrader generate_assignment --force for each day (all by default):
                                       registers it in the gradebook and regenerates notebooks/<day>/;
                                       --exchange also runs nbgrader release_assignment
    collect   DAY [--zip]              nbgrader collect --update (exchange), or with --zip nbgrader zip_collect
                                       --force (LMS download in downloaded/DAY/archive/); every replaced
                                       submission is kept in .grader/DAY/history/<time>/<student>/, unmatched
                                       files are listed
    autograde DAY [--jobs N] [--student ID ...] [--force] [--retry-failed]
              [--cell-timeout S] [--notebook-timeout S] [--memory-mb M]
                                       each submission is checked, then graded by `nbgrader autograde` in its
                                       own process and throw-away course copy with caps, then recorded in
                                       the course gradebook by nbgrader (one writer); unchanged submissions
                                       are skipped on a rerun
    feedback  DAY [--exchange]         nbgrader generate_feedback --force, then checks that no hidden test is
                                       in any feedback file; --exchange also runs nbgrader release_feedback
    report    DAY                      nbgrader export -> grades.csv, and reports/DAY/: scores.csv, review.csv,
                                       score_distribution.png, report.md (per exercise: distribution, most
                                       common failing check; submissions flagged for review and why)
    all       DAY [options]            release (if the day is not in the gradebook yet), collect (when an
                                       archive or exchange submissions exist), autograde, feedback, report

What autograde guarantees, and how, is in docs/INSTRUCTORS_AT_SCALE.md.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import site
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import nbformat

from course_tools import grader_inspect as inspect_
from course_tools.notebooks import exercises, read

ROOT = Path(__file__).resolve().parent.parent  # the repository holding course_lib and course_tools
STATE = ".grader"
GRADER_VERSION = 1
DEFAULT_NOTEBOOK_TIMEOUT = 600
DEFAULT_MEMORY_MB = 4096
FILE_SIZE_MB = 1024
TRUSTED_MODULES = ["builtins", "numpy", "torch", "course_lib", "math", "operator", "functools", "collections",
                   "copy", "contextlib", "itertools"]
# classes reachable from these namespaces may not change at all (course_lib's always); deeper torch classes
# may be patched by torch itself (e.g. optimizers wrap their step on first use)
STRICT_CLASS_MODULES = ["builtins", "numpy", "torch", "torch.nn", "torch.nn.utils", "torch.testing"]
PRELOAD = ["numpy", "numpy.testing", "torch", "torch.nn", "torch.nn.functional", "torch.nn.utils", "torch.testing",
           "torch.autograd", "matplotlib.pyplot"]
# what a notebook never needs to read while graded, in the course folder and in the repository
DENY_IN_ROOT = ["solutions", "sources", "tests", "submitted", "autograded", "feedback", "downloaded", "release",
                "reports", STATE, ".exchange", ".git", "nbgrader_config.py", "gradebook.db", "grades.csv"]
DENY_COMPONENTS = ["solutions", "sources", "tests", "submitted", "autograded", "feedback", "downloaded", ".git",
                   ".exchange", STATE]
SANDBOX_PREPROCESSORS = [
    "course_tools.grader_sandbox.InjectGuards",
    "nbgrader.preprocessors.Execute",
    "course_tools.grader_sandbox.CollectGuards",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]


# what the kernel guard reported, in words (see grader_kernel.py)
EVENT_TEXT = {
    "read": "blocked reading {detail}", "write": "blocked writing {detail}", "list": "blocked listing {detail}",
    "database": "blocked opening the database {detail}", "modify": "blocked changing the file {detail}",
    "process": "blocked starting a process {detail}", "signal": "blocked sending a signal {detail}",
    "network": "blocked network access {detail}", "tracing": "blocked installing a trace/profile function",
    "gc introspection": "blocked gc introspection (gc.get_objects/get_referrers)",
    "module attribute": "blocked changing the module attribute {detail}",
    "function code changed": "notebook code replaced {detail}",
    "introspection": "notebook code {detail} (introspection)",
    "frame introspection": "notebook code inspected stack frames (sys._getframe)",
    "runs code built at run time (exec/eval)": "notebook code ran code built from a string (exec/eval)",
    "compiles code at run time (compile/exec/eval)": "notebook code compiled code from a string",
    "ctypes": "notebook code used ctypes",
}


class GraderError(RuntimeError):
    """A step could not run; the message says why and what to do."""


def say(message: str = "") -> None:
    print(message, flush=True)


def progress(iterable=None, **kwargs):
    from tqdm import tqdm
    tqdm.monitor_interval = 0  # no monitor thread: children are started with fork
    kwargs.setdefault("file", sys.stderr)
    kwargs.setdefault("dynamic_ncols", True)
    kwargs.setdefault("disable", None)  # off when stderr is not a terminal
    return tqdm(iterable, **kwargs)


def env_for(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NBGRADER_EXECUTION"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def nbgrader(course: Path, *args: str, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run a real nbgrader command in the course folder. nbgrader logs some failures as [ERROR] and still
    exits 0, so those count as failures too."""
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env or env_for(),
                            capture_output=True, text=True)
    errors = [line for line in result.stderr.splitlines() if "[ERROR]" in line]
    if check and (result.returncode != 0 or errors):
        tail = "\n".join(result.stderr.strip().splitlines()[-15:])
        raise GraderError(f"nbgrader {' '.join(args)} failed (exit {result.returncode}):\n{tail}")
    return result


# ------------------------------------------------------------------------------------------- course
@dataclass
class Course:
    root: Path

    def __post_init__(self) -> None:
        self.root = self.root.resolve()
        if not (self.root / "nbgrader_config.py").is_file():
            raise GraderError(f"{self.root} has no nbgrader_config.py: run from the course folder or pass --course")
        from traitlets.config.loader import PyFileConfigLoader
        self.config = PyFileConfigLoader("nbgrader_config.py", path=str(self.root)).load_config()
        cd = self.config.CourseDirectory
        self.db_url = cd.db_url if "db_url" in cd else f"sqlite:///{self.root / 'gradebook.db'}"
        self.source_dir = self.root / (cd.source_directory if "source_directory" in cd else "source")
        self.release_dir = self.root / (cd.release_directory if "release_directory" in cd else "release")
        self.submitted_dir = self.root / (cd.submitted_directory if "submitted_directory" in cd else "submitted")
        self.autograded_dir = self.root / (cd.autograded_directory if "autograded_directory" in cd else "autograded")
        self.feedback_dir = self.root / (cd.feedback_directory if "feedback_directory" in cd else "feedback")
        ex = self.config.Exchange
        self.exchange = Path(ex.root) if "root" in ex else Path("/srv/nbgrader/exchange")
        self.course_id = cd.course_id if "course_id" in cd else ""

    @property
    def db_path(self) -> Path | None:
        from sqlalchemy.engine import make_url
        url = make_url(self.db_url)
        return Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None

    def days(self) -> list[str]:
        return sorted(p.name for p in self.source_dir.iterdir() if (p / f"{p.name}.ipynb").is_file())

    def state(self, day: str) -> Path:
        return self.root / STATE / day

    def gradebook(self):
        from nbgrader.api import Gradebook
        return Gradebook(self.db_url)

    def released(self, day: str) -> bool:
        from nbgrader.api import MissingEntry
        if self.db_path is not None and not self.db_path.exists():
            return False
        with self.gradebook() as gb:
            try:
                gb.find_assignment(day)
                return True
            except MissingEntry:
                return False

    def scores(self, day: str, student: str) -> dict[str, list[float]] | None:
        """{grade cell: [score, max]} of a student's submission in the course gradebook (None if absent)."""
        return submission_scores(self.db_url, day, student)


def submission_scores(db_url: str, day: str, student: str, auto: bool = False) -> dict | None:
    """{grade cell: [score, max]} (or {cell: auto_score} with auto=True) of a submission; None if absent."""
    from nbgrader.api import Gradebook, MissingEntry
    with Gradebook(db_url) as gb:
        try:
            nb = gb.find_submission_notebook(day, day, student)
        except MissingEntry:
            return None
        if auto:
            return {g.name: g.auto_score for g in nb.grades}
        return {g.name: [g.score, g.max_score] for g in nb.grades}


def folder_hash(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink()):
        h.update(str(path.relative_to(folder)).encode() + b"\0")
        h.update(b"link:" + os.readlink(path).encode() if path.is_symlink() else path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


CODE_SUFFIXES = {".py", ".pyc", ".pth", ".so", ".pyd"}


def student_files(folder: Path) -> list[Path]:
    """The submission's other files that go along with the notebook: plain files only, no notebooks, no
    links, and no Python code, which could shadow the course's modules (numpy.py, course_lib.py)."""
    return [p for p in sorted(folder.iterdir()) if p.is_file() and not p.is_symlink()
            and p.suffix not in CODE_SUFFIXES and p.suffix != ".ipynb"]


def write_json(path: Path, data) -> None:
    """Atomic: a crash leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)


def ledger(course: Course, day: str) -> dict[str, dict]:
    folder = course.state(day) / "ledger"
    return {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))} if folder.is_dir() else {}


# ------------------------------------------------------------------------------------------- release
def cmd_release(course: Course, days: list[str], exchange: bool) -> int:
    days = days or course.days()
    for day in progress(days, desc="release", unit="day"):
        nbgrader(course.root, "generate_assignment", day, "--force")
        if exchange:
            nbgrader(course.root, "release_assignment", day, "--force")
    say(f"released {', '.join(days)}: registered in the gradebook, notebooks in "
        f"{course.release_dir.relative_to(course.root)}/" + (", copied to the exchange" if exchange else ""))
    return 0


# ------------------------------------------------------------------------------------------- collect
def submission_folders(course: Course, day: str) -> dict[str, Path]:
    if not course.submitted_dir.is_dir():
        return {}
    return {d.name: d / day for d in sorted(course.submitted_dir.iterdir()) if (d / day).is_dir()}


def cmd_collect(course: Course, day: str, zip_mode: bool) -> int:
    before = {s: folder_hash(f) for s, f in submission_folders(course, day).items()}
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    backup = course.state(day) / "history" / stamp
    for student, folder in submission_folders(course, day).items():
        shutil.copytree(folder, backup / student, symlinks=True)
    if zip_mode:
        result = nbgrader(course.root, "zip_collect", day, "--force")
    else:
        result = nbgrader(course.root, "collect", day, "--update")
    after = {s: folder_hash(f) for s, f in submission_folders(course, day).items()}
    new = sorted(set(after) - set(before))
    changed = sorted(s for s in after if s in before and after[s] != before[s])
    vanished = sorted(set(before) - set(after))
    for student in list(before):
        if student not in changed and student not in vanished:
            shutil.rmtree(backup / student, ignore_errors=True)
    if backup.is_dir() and not any(backup.iterdir()):
        backup.rmdir()
    skipped = []
    for line in result.stderr.splitlines():
        m = re.search(r"Skipped (?:submission with no match information provided|notebook with invalid name"
                      r"|submission file with older timestamp)[^:]*: ?(.*)$", line)
        if m:
            skipped.append(line.split("] ", 1)[-1].strip())
    write_json(course.state(day) / "uncollected.json", skipped)
    say(f"collect {day}: {len(new)} new, {len(changed)} updated, {len(after) - len(new) - len(changed)} unchanged"
        + (f"; previous versions of {', '.join(changed)} kept in {backup.relative_to(course.root)}" if changed else "")
        + (f"; {len(skipped)} file(s) not collected (see the report)" if skipped else ""))
    for line in skipped:
        say(f"  not collected: {line}")
    if vanished:
        say(f"  warning: submissions of {', '.join(vanished)} disappeared; copies kept in {backup}")
    return 0


# ------------------------------------------------------------------------------------------- autograde
@dataclass
class Limits:
    cell_timeout: int
    notebook_timeout: int
    memory_mb: int

    def as_dict(self) -> dict:
        return {"cell_timeout": self.cell_timeout, "notebook_timeout": self.notebook_timeout,
                "memory_mb": self.memory_mb}


@dataclass
class Job:
    student: str
    folder: Path
    digest: str
    prepared: inspect_.Prepared
    sandbox: Path | None = None
    proc: subprocess.Popen | None = None
    started: float = 0.0
    log: Path | None = None
    killed: str | None = None


class Autograder:
    """Runs the per-student pipeline (see the module docstring): check, sandbox, nbgrader, record."""

    def __init__(self, course: Course, day: str, limits: Limits, jobs: int, keep: bool = False):
        self.course, self.day, self.limits, self.jobs, self.keep = course, day, limits, max(1, jobs), keep
        if not course.released(day):
            raise GraderError(f"{day} is not in the gradebook: run `python -m course_tools.grader release {day}`")
        if course.db_path is None:
            raise GraderError("the grader needs a sqlite gradebook (c.CourseDirectory.db_url = 'sqlite:///...')")
        self.release = read(course.release_dir / day / f"{day}.ipynb")
        self.solution = read(course.source_dir / day / f"{day}.ipynb")
        self.bindings = inspect_.release_bindings(self.release)
        self.private = inspect_.test_variables(self.solution)
        self.state = course.state(day)
        (self.state / "logs").mkdir(parents=True, exist_ok=True)
        (self.state / "ledger").mkdir(parents=True, exist_ok=True)
        self.run_root = Path(tempfile.mkdtemp(prefix=f"grader-{day}-"))
        self.template = self.run_root / "template.db"
        self._make_template()
        self.config_text = (course.root / "nbgrader_config.py").read_text()

    # -- one gradebook with only this assignment: every sandbox starts from a copy
    def _make_template(self) -> None:
        from nbgrader.api import Gradebook
        src = sqlite3.connect(f"file:{self.course.db_path}?mode=ro", uri=True)
        dst = sqlite3.connect(self.template)
        with dst:
            src.backup(dst)
        src.close()
        dst.close()
        with Gradebook(f"sqlite:///{self.template}") as gb:
            for student in list(gb.students):
                gb.remove_student(student.id)
            for assignment in list(gb.assignments):
                if assignment.name != self.day:
                    gb.remove_assignment(assignment.name)
        con = sqlite3.connect(self.template)
        con.execute("VACUUM")
        con.close()

    def close(self) -> None:
        if not self.keep:
            shutil.rmtree(self.run_root, ignore_errors=True)
        else:
            say(f"sandboxes kept in {self.run_root}")

    # -- per student
    def prepare(self, student: str, folder: Path, digest: str) -> Job:
        prepared = inspect_.prepare(folder, self.day, self.release, self.bindings, self.private)
        return Job(student, folder, digest, prepared)

    def _kernel_config(self, student: str) -> dict:
        """What the kernel guard allows and protects. Paths starting with ./ are inside the sandbox and are
        resolved where it runs (InjectGuards), so a sandbox folder can be graded on another machine."""
        import course_lib
        lib = Path(course_lib.__file__).resolve().parent
        trusted = [sys.prefix, sys.base_prefix, sys.exec_prefix, *site.getsitepackages(), str(lib)]
        deny = ["./", str(self.run_root)]
        for root in {self.course.root, ROOT}:
            deny += [str(root / name) for name in DENY_IN_ROOT]
        deny += [str(self.course.exchange), str(self.course.db_path)]
        try:
            from jupyter_core.paths import jupyter_runtime_dir
            deny.append(jupyter_runtime_dir())
        except Exception:  # noqa: BLE001
            pass
        home = Path.home()
        return {
            "preload": PRELOAD,
            "walk_packages": ["course_lib"],
            "trusted_modules": TRUSTED_MODULES,
            "trusted_code": trusted,
            "allow_read": trusted + ["./tmp"],
            "deny_read": deny,
            "deny_components": DENY_COMPONENTS,
            "allow_write": ["./tmp", str(home / ".cache" / "matplotlib"), str(home / ".config" / "matplotlib"),
                            os.environ.get("MPLCONFIGDIR", "./tmp"), "/dev/null"],
            "submission_dirs": [f"./autograded/{student}/{self.day}", f"./submitted/{student}/{self.day}"],
            "deny_suffixes": [".ipynb", ".db", ".sqlite", ".sqlite3"],
            "bindings": self.bindings,
            "strict_class_modules": STRICT_CLASS_MODULES,
        }

    def start(self, job: Job) -> None:
        sandbox = self.run_root / job.student
        sub = sandbox / "submitted" / job.student / self.day
        sub.mkdir(parents=True)
        (sandbox / self.course.source_dir.name / self.day).mkdir(parents=True)
        for extra in (self.course.source_dir / self.day).iterdir():  # data files the assignment ships
            if extra.is_file() and extra.suffix != ".ipynb":
                shutil.copy(extra, sandbox / self.course.source_dir.name / self.day / extra.name)
        for d in ("tmp", "runtime", ".exchange"):
            (sandbox / d).mkdir()
        for extra in student_files(job.folder):  # the student's other files (data, timestamp)
            shutil.copy(extra, sub / extra.name)
        nbformat.write(job.prepared.notebook, sub / f"{self.day}.ipynb")
        shutil.copy(self.template, sandbox / "gradebook.db")
        manifest = {"sandbox": "./", "report": "./report.json", "kernel": self._kernel_config(job.student)}
        (sandbox / "manifest.json").write_text(json.dumps(manifest, indent=1))
        (sandbox / "nbgrader_config.py").write_text(self.config_text + f"""

# ---- added by course_tools.grader for this sandbox only (relocatable: paths are relative to this file) ----
from pathlib import Path as _Path
_SANDBOX = _Path(__file__).resolve().parent
c.CourseDirectory.root = str(_SANDBOX)
c.CourseDirectory.db_url = f"sqlite:///{{_SANDBOX / 'gradebook.db'}}"
c.Execute.timeout = {self.limits.cell_timeout}
c.ExecutePreprocessor.timeout = {self.limits.cell_timeout}
c.Autograde.autograde_preprocessors = {SANDBOX_PREPROCESSORS!r}
c.InjectGuards.manifest = str(_SANDBOX / "manifest.json")
""")
        env = env_for(
            COURSE_GRADEBOOK=f"sqlite:///{sandbox / 'gradebook.db'}", COURSE_EXCHANGE=str(sandbox / ".exchange"),
            PYTHONPATH=os.pathsep.join([str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]),
            JUPYTER_RUNTIME_DIR=str(sandbox / "runtime"), TMPDIR=str(sandbox / "tmp"), PYTHONDONTWRITEBYTECODE="1")
        job.sandbox = sandbox
        job.log = self.state / "logs" / f"{job.student}.log"
        limits = self.limits

        def cap() -> None:  # runs in the child before nbgrader starts; the kernel inherits the limits
            memory = limits.memory_mb * 2**20
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_MB * 2**20, FILE_SIZE_MB * 2**20))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

        with open(job.log, "w") as log:
            job.proc = subprocess.Popen(
                [sys.executable, "-m", "nbgrader", "autograde", self.day, "--student", job.student],
                cwd=sandbox, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, preexec_fn=cap)
        job.started = time.monotonic()

    def kill(self, job: Job) -> None:
        try:
            os.killpg(job.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def finish(self, job: Job) -> dict:
        """Turn a finished (or killed) child into a ledger entry, recording its grades in the course
        gradebook when it produced them."""
        rc = job.proc.wait()
        self.kill(job)  # whatever the kernel left behind in its process group
        seconds = time.monotonic() - job.started
        flags = list(job.prepared.flags)
        notes = list(job.prepared.notes)
        suspect: list[str] = []
        log_text = job.log.read_text(errors="replace") if job.log and job.log.exists() else ""
        executed = job.sandbox / "autograded" / job.student / self.day / f"{self.day}.ipynb"
        report_path = job.sandbox / "report.json"
        graded = False
        install_ms = record_s = None
        if job.killed:
            flags.append(job.killed)
        elif rc != 0 or not executed.exists() or not report_path.exists():
            flags.append(self._failure_reason(rc, log_text))
        else:
            report = json.loads(report_path.read_text())
            flags += self._report_flags(report, suspect)
            install_ms = report.get("reports", {}).get("start", {}).get("install_ms")
            record_start = time.monotonic()
            self._record(job, executed)
            record_s = time.monotonic() - record_start
            graded = True
        entry = {"student": job.student, "day": self.day, "submission_sha256": job.digest,
                 "source_name": job.prepared.source_name, "flags": flags, "notes": notes,
                 "seconds": round(seconds, 1), "guard_install_ms": install_ms,
                 "record_seconds": None if record_s is None else round(record_s, 2),
                 "graded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                 "limits": self.limits.as_dict(), "grader_version": GRADER_VERSION}
        previous = ledger(self.course, self.day).get(job.student)
        scores = self.course.scores(self.day, job.student)
        if graded:
            entry["status"] = "graded, flagged" if flags else "graded"
            try:
                in_sandbox = submission_scores(f"sqlite:///{job.sandbox / 'gradebook.db'}", self.day, job.student,
                                               auto=True)
            except Exception:  # noqa: BLE001 - only a consistency check
                in_sandbox = None
            if in_sandbox != submission_scores(self.course.db_url, self.day, job.student, auto=True):
                entry["flags"].append("internal: the sandbox and the course gradebook disagree on the scores")
                entry["status"] = "graded, flagged"
            if suspect:
                self._mark_for_review(job.student, suspect)
        else:
            entry["status"] = "not graded"
            self._ensure_student(job.student)
            if scores is not None:
                entry["notes"].append("the gradebook keeps the grades of the previous grading"
                                      + ("" if previous and previous.get("submission_sha256") == job.digest
                                         else " (of an earlier version of the submission)"))
        entry["suspect_cells"] = suspect
        entry["scores"] = self.course.scores(self.day, job.student) if graded else scores
        write_json(self.state / "ledger" / f"{job.student}.json", entry)
        if not self.keep:
            shutil.rmtree(job.sandbox, ignore_errors=True)
        return entry

    def not_gradable(self, job: Job) -> dict:
        self._ensure_student(job.student)
        scores = self.course.scores(self.day, job.student)
        entry = {"student": job.student, "day": self.day, "submission_sha256": job.digest,
                 "source_name": job.prepared.source_name, "flags": job.prepared.flags, "notes": job.prepared.notes,
                 "status": "not graded", "seconds": 0.0, "suspect_cells": [], "scores": scores,
                 "graded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                 "limits": self.limits.as_dict(), "grader_version": GRADER_VERSION}
        if scores is not None:
            entry["notes"].append("the gradebook keeps the grades of an earlier version of the submission")
        write_json(self.state / "ledger" / f"{job.student}.json", entry)
        return entry

    def _failure_reason(self, rc: int, log_text: str) -> str:
        if "DeadKernelError" in log_text or "Kernel died" in log_text:
            return ("the kernel died while running the notebook (os._exit, a crash, or the memory cap of "
                    f"{self.limits.memory_mb} MB): not graded")
        if "UnresponsiveKernelError" in log_text:
            return "the kernel stopped responding: not graded"
        if "Timeout waiting for IOPub output" in log_text:
            return ("a cell did not stop when interrupted at the cell time limit (it catches KeyboardInterrupt?), "
                    "or kept printing: not graded")
        if "MemoryError" in log_text:
            return f"nbgrader ran out of memory (cap {self.limits.memory_mb} MB; huge outputs?): not graded"
        errors = [line.split("] ", 1)[-1] for line in log_text.splitlines() if "[ERROR]" in line
                  and "There was an error processing" not in line and "Please see" not in line]
        detail = errors[0][:200] if errors else (log_text.strip().splitlines() or ["no output"])[-1][:200]
        return f"nbgrader could not grade it (exit {rc}: {detail}): not graded"

    def _report_flags(self, report: dict, suspect: list[str]) -> list[str]:
        flags = list(report.get("problems", []))
        tests = {ex["test_id"] for ex in exercises(self.solution)}
        for label in report.get("missing", []):
            if not any(label in p for p in flags):
                flags.append(f"guard {label!r} did not report")
        for label in report.get("expected", []):
            rep = report.get("reports", {}).get(label)
            if not rep:
                continue
            kind, _, cell = label.partition(":")
            if kind == "pre":
                where = f"before {cell} ran (restored, so {cell} was graded with the real checks)"
            elif kind == "post":
                where = f"while {cell} ran ({cell}'s score may be inflated: marked for manual review)"
            elif label == "start":
                where = "before any student code ran"
            else:
                where = "after the last test"
            for finding in rep.get("findings", []):
                flags.append(f"tampering {where}: {finding}")
                if kind == "post" and cell in tests and cell not in suspect:
                    suspect.append(cell)
            for event in rep.get("events", []):
                what = EVENT_TEXT.get(event["kind"], "notebook code: {kind}").format(**event)
                flags.append(f"{what} ({event['phase']})")
                phase = event.get("phase", "")
                m = re.match(r"while (\S+) ran", phase)
                if m and m.group(1) in tests and m.group(1) not in suspect:
                    suspect.append(m.group(1))
        for err in report.get("cell_errors", []):
            if err["ename"] == "CellTimeoutError":
                flags.append(f"{err['cell']} timed out after {self.limits.cell_timeout} s (infinite loop?)")
            elif err["ename"] == "MemoryError":
                flags.append(f"{err['cell']} ran out of memory (cap {self.limits.memory_mb} MB)")
            elif err["ename"] == "RecursionError":
                flags.append(f"{err['cell']} hit Python's recursion limit")
        return list(dict.fromkeys(flags))

    def _record(self, job: Job, executed: Path) -> None:
        """Record grades with nbgrader itself, in this process (the only writer of the course gradebook):
        `nbgrader autograde` on the executed notebook, with the execution step left out."""
        from nbgrader.converters import Autograde
        from nbgrader.coursedir import CourseDirectory
        from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, DeduplicateIds, OverwriteCells,
                                            OverwriteKernelspec, SaveAutoGrades)
        import warnings
        from sqlalchemy.exc import SAWarning
        from traitlets.config import Config
        staged_rel = f"{STATE}/{self.day}/executed"
        staged = self.course.root / staged_rel / job.student / self.day
        if staged.parent.exists():
            shutil.rmtree(staged.parent)
        staged.mkdir(parents=True)
        shutil.copy(executed, staged / executed.name)
        for extra in student_files(job.folder):
            shutil.copy(extra, staged / extra.name)
        config = Config()
        config.merge(self.course.config)
        overrides = Config()
        overrides.CourseDirectory.root = str(self.course.root)
        overrides.CourseDirectory.submitted_directory = staged_rel
        overrides.CourseDirectory.assignment_id = self.day
        overrides.CourseDirectory.student_id = job.student
        overrides.Autograde.sanitize_preprocessors = [DeduplicateIds, OverwriteKernelspec, OverwriteCells,
                                                      CheckCellMetadata]
        overrides.Autograde.autograde_preprocessors = [SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
        overrides.Autograde.force = True
        config.merge(overrides)
        import logging
        log = logging.getLogger(f"course_tools.grader.record.{job.student}")
        log.propagate = False
        log.handlers[:] = [logging.FileHandler(job.log, mode="a")]
        log.setLevel(logging.INFO)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SAWarning)  # nbgrader's own add_submission warns
                Autograde(coursedir=CourseDirectory(config=config), config=config, log=log).start()
        finally:
            for handler in log.handlers:
                handler.close()
            log.handlers[:] = []
            shutil.rmtree(staged.parent, ignore_errors=True)

    def _mark_for_review(self, student: str, cells: list[str]) -> None:
        with self.course.gradebook() as gb:
            for cell in cells:
                gb.find_grade(cell, self.day, self.day, student).needs_manual_grade = True
            gb.db.commit()

    def _ensure_student(self, student: str) -> None:
        with self.course.gradebook() as gb:
            gb.update_or_create_student(student)

    # -- the loop
    def run(self, todo: list[tuple[str, Path, str]]) -> list[dict]:
        entries = []
        pending = list(todo)
        running: list[Job] = []
        counts = Counter()
        bar = progress(total=len(todo), desc=f"autograde {self.day}", unit="nb")
        try:
            while pending or running:
                while pending and len(running) < self.jobs:
                    student, folder, digest = pending.pop(0)
                    job = self.prepare(student, folder, digest)
                    if job.prepared.notebook is None:
                        entry = self.not_gradable(job)
                        entries.append(entry)
                        counts[entry["status"]] += 1
                        bar.update(1)
                        bar.set_postfix(counts)
                        continue
                    self.start(job)
                    running.append(job)
                for job in list(running):
                    elapsed = time.monotonic() - job.started
                    if job.proc.poll() is None and elapsed > self.limits.notebook_timeout:
                        job.killed = (f"exceeded the notebook time cap of {self.limits.notebook_timeout} s "
                                      f"(a hanging cell that ignores interrupts?): not graded")
                        self.kill(job)
                    if job.proc.poll() is not None:
                        running.remove(job)
                        entry = self.finish(job)
                        entries.append(entry)
                        counts[entry["status"]] += 1
                        bar.update(1)
                        bar.set_postfix(counts)
                time.sleep(0.05)
        except BaseException:
            for job in running:
                self.kill(job)
            raise
        finally:
            bar.close()
        return entries


def plan(course: Course, day: str, students: list[str] | None, force: bool, retry_failed: bool,
         limits: Limits) -> tuple[list[tuple[str, Path, str]], list[str]]:
    """Which submissions to grade now: new or changed ones (all with --force). Unchanged ones that were
    graded keep their grades; failures are retried with --retry-failed or when the limits changed."""
    folders = submission_folders(course, day)
    if students:
        unknown = sorted(set(students) - set(folders))
        if unknown:
            raise GraderError(f"no submission of {day} for {', '.join(unknown)} in {course.submitted_dir}")
        folders = {s: folders[s] for s in students}
    book = ledger(course, day)
    todo, skipped = [], []
    for student, folder in folders.items():
        digest = folder_hash(folder)
        entry = book.get(student)
        same = (entry is not None and entry.get("submission_sha256") == digest
                and entry.get("grader_version") == GRADER_VERSION)
        if same and entry["status"] != "not graded" and course.scores(day, student) is None:
            same = False  # the gradebook lost it: grade again
        if same and entry["status"] == "not graded" and (retry_failed or entry.get("limits") != limits.as_dict()):
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
    entries = []
    if todo:
        grader = Autograder(course, day, limits, jobs, keep)
        try:
            entries = grader.run(todo)
        finally:
            grader.close()
    wall = time.perf_counter() - start
    by = Counter(e["status"] for e in entries)
    rate = f", {len(entries) / wall * 60:.1f} submissions/min" if entries and wall > 0 else ""
    say(f"autograde {day}: {len(entries)} graded now in {wall:.0f} s with {jobs} job(s){rate}; "
        f"{by['graded']} clean, {by['graded, flagged']} graded and flagged, {by['not graded']} not graded; "
        f"{len(skipped)} unchanged since the last run (kept)")
    for e in sorted(entries, key=lambda e: e["student"]):
        if e["flags"]:
            more = f" (+{len(e['flags']) - 1} more)" if len(e["flags"]) > 1 else ""
            say(f"  {e['student']:<24} {e['status']:<16} {e['flags'][0][:110]}{more}")
    return 0


# ------------------------------------------------------------------------------------------- feedback
def hidden_lines(solution) -> list[str]:
    lines = []
    for ex in exercises(solution):
        hidden = ex["test"].replace(ex["public_test"], "")
        for line in hidden.splitlines():
            code = line.strip()
            if len(code) > 25 and not code.startswith("#") and code not in ex["public_test"]:
                lines.append(code)
    return lines


def html_escape(code: str) -> str:
    return code.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def feedback_leaks(course: Course, day: str) -> tuple[int, list[str]]:
    """(number of feedback files, the ones that show hidden-test code or the grader's cells)."""
    secret = hidden_lines(read(course.source_dir / day / f"{day}.ipynb"))
    files = sorted(course.feedback_dir.glob(f"*/{day}/*.html"))
    leaks = []
    for path in progress(files, desc=f"check feedback {day}", unit="file"):
        html = path.read_text(errors="replace")
        if "BEGIN HIDDEN TESTS" in html or "course_grader" in html or "__course_guard__" in html:
            leaks.append(f"{path.relative_to(course.root)}: hidden-test marker or grader cell")
            continue
        for code in secret:
            if html_escape(code) in html or code in html:
                leaks.append(f"{path.relative_to(course.root)}: {code[:80]}")
                break
    return len(files), leaks


def cmd_feedback(course: Course, day: str, exchange: bool) -> int:
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


# ------------------------------------------------------------------------------------------- report
def failing_checks(course: Course, day: str, student: str, tests: list[str], known: dict[str, list[str]]
                   ) -> dict[str, str]:
    """{test cell: what failed} from a student's autograded notebook: the CheckFailed check name, or the
    error type."""
    path = course.autograded_dir / student / day / f"{day}.ipynb"
    if not path.exists():
        return {}
    out = {}
    for cell in read(path).cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid not in tests:
            continue
        for o in cell.get("outputs", []):
            if o.get("output_type") == "error":
                if o.get("ename") == "CheckFailed":
                    out[gid] = inspect_.check_name(str(o.get("evalue", "")), known.get(gid, []))
                else:
                    out[gid] = o.get("ename", "error")
                break
            if o.get("output_type") == "stream" and o.get("name") == "stderr":
                out[gid] = "wrote to stderr"
                break
    return out


def cmd_report(course: Course, day: str) -> int:
    nbgrader(course.root, "export", "--to", str(course.root / "grades.csv"))
    solution = read(course.source_dir / day / f"{day}.ipynb")
    exs = exercises(solution)
    tests = [ex["test_id"] for ex in exs]
    points = {ex["test_id"]: float(ex["points"]) for ex in exs}
    known = {ex["test_id"]: inspect_.check_names(ex["test"]) for ex in exs}
    book = ledger(course, day)
    students = sorted(set(book) | set(submission_folders(course, day)))
    out = course.root / "reports" / day
    out.mkdir(parents=True, exist_ok=True)
    rows, review, failing = [], [], {t: Counter() for t in tests}
    for student in students:
        entry = book.get(student, {"status": "not graded yet", "flags": [], "notes": []})
        scores = course.scores(day, student) or {}
        fails = failing_checks(course, day, student, tests, known) if scores else {}
        for t in tests:
            if t in scores and scores[t][0] is not None and scores[t][0] < points[t] and t in fails:
                failing[t][fails[t]] += 1
        total = sum((v[0] or 0) for v in scores.values()) if scores else None
        rows.append({"student": student, "status": entry["status"],
                     "total": "" if total is None else total,
                     "max": sum(v[1] for v in scores.values()) if scores else "",
                     **{t: "" if t not in scores or scores[t][0] is None else scores[t][0] for t in tests},
                     "needs_review": "yes" if entry["flags"] else "",
                     "flags": " | ".join(entry["flags"])})
        for flag in entry["flags"]:
            review.append({"student": student, "status": entry["status"], "reason": flag})
    uncollected_path = course.state(day) / "uncollected.json"
    for line in (json.loads(uncollected_path.read_text()) if uncollected_path.exists() else []):
        review.append({"student": "(not collected)", "status": "not graded", "reason": line})
    fields = ["student", "status", "total", "max", *tests, "needs_review", "flags"]
    with open(out / "scores.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    with open(out / "review.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["student", "status", "reason"])
        writer.writeheader()
        writer.writerows(review)
    plot_distribution(out / "score_distribution.png", day, rows, tests, points)

    graded = [r for r in rows if r["total"] != ""]
    flagged = sorted({r["student"] for r in review})
    lines = [f"# {day}: grading report", "",
             f"{len(rows)} submissions: {sum(r['status'] == 'graded' for r in rows)} graded clean, "
             f"{sum(r['status'] == 'graded, flagged' for r in rows)} graded and flagged, "
             f"{sum(r['status'].startswith('not graded') for r in rows)} not graded. "
             f"Grades: grades.csv (nbgrader export). Plot: score_distribution.png.", "",
             "| exercise | points | graded | mean | full | partial | zero | most common failing check |",
             "|---|---|---|---|---|---|---|---|"]
    for t in tests:
        values = [r[t] for r in graded if r[t] != ""]
        common = failing[t].most_common(1)
        check = f"{common[0][0]} ({common[0][1]}×)" if common else "-"
        mean = sum(values) / len(values) if values else 0.0
        lines.append(f"| {t} | {points[t]:g} | {len(values)} | {mean:.2f} | "
                     f"{sum(v >= points[t] for v in values)} | {sum(0 < v < points[t] for v in values)} | "
                     f"{sum(v == 0 for v in values)} | {check.replace('|', '/')} |")
    lines += ["", f"## Flagged for review ({len(flagged)})", ""]
    for student in flagged:
        reasons = [r["reason"] for r in review if r["student"] == student]
        status = next(r["status"] for r in review if r["student"] == student)
        lines.append(f"- **{student}** ({status}): " + "; ".join(reasons[:6])
                     + (f"; … {len(reasons) - 6} more" if len(reasons) > 6 else ""))
    (out / "report.md").write_text("\n".join(lines) + "\n")
    say(f"report {day}: grades.csv, {(out / 'report.md').relative_to(course.root)}, scores.csv, review.csv, "
        f"score_distribution.png; {len(flagged)} flagged for review")
    for line in lines[4:4 + len(tests) + 2]:
        say("  " + line)
    return 0


def plot_distribution(path: Path, day: str, rows: list[dict], tests: list[str], points: dict[str, float]) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    n = len(tests) + 1
    cols = min(4, n)
    fig, axes = plt.subplots((n + cols - 1) // cols, cols, figsize=(3.2 * cols, 2.6 * ((n + cols - 1) // cols)),
                             squeeze=False)
    graded = [r for r in rows if r["total"] != ""]
    panels = [(t, [r[t] for r in graded if r[t] != ""], points[t]) for t in tests]
    panels.append(("total", [r["total"] for r in graded], sum(points.values())))
    for ax, (name, values, most) in zip(axes.flat, panels):
        levels = sorted(set(values) | {0.0, most})
        ax.bar([f"{v:g}" for v in levels], [sum(x == v for x in values) for v in levels], color="#4477aa")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("score", fontsize=8)
        ax.set_ylabel("students", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.suptitle(f"{day}: autograded scores ({len(graded)} graded submissions)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ------------------------------------------------------------------------------------------- all
def cmd_all(course: Course, day: str, args: argparse.Namespace, limits: Limits) -> int:
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


# ------------------------------------------------------------------------------------------- CLI
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_tools.grader", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--course", type=Path, default=Path.cwd(), help="course folder (default: here)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("release", help="register and release days")
    p.add_argument("days", nargs="*")
    p.add_argument("--exchange", action="store_true", help="also nbgrader release_assignment")
    p = sub.add_parser("collect", help="collect submissions")
    p.add_argument("day")
    p.add_argument("--zip", action="store_true", help="from an LMS download (nbgrader zip_collect)")

    def grading_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel submissions (default: CPUs)")
        p.add_argument("--student", action="append", help="only this student (repeatable)")
        p.add_argument("--force", action="store_true", help="grade again even when unchanged")
        p.add_argument("--retry-failed", action="store_true", help="grade again the ones that were not graded")
        p.add_argument("--cell-timeout", type=int, default=None, help="seconds per cell (default: course config)")
        p.add_argument("--notebook-timeout", type=int, default=DEFAULT_NOTEBOOK_TIMEOUT,
                       help=f"seconds per notebook, all cells (default {DEFAULT_NOTEBOOK_TIMEOUT})")
        p.add_argument("--memory-mb", type=int, default=DEFAULT_MEMORY_MB,
                       help=f"address-space cap per process in MB (default {DEFAULT_MEMORY_MB})")
        p.add_argument("--keep-sandboxes", action="store_true", help="keep the per-student copies (debugging)")

    p = sub.add_parser("autograde", help="grade submissions in parallel")
    p.add_argument("day")
    grading_options(p)
    p = sub.add_parser("feedback", help="generate (and release) feedback")
    p.add_argument("day")
    p.add_argument("--exchange", action="store_true", help="also nbgrader release_feedback")
    for name in ("report", "export"):
        p = sub.add_parser(name, help="grades.csv and the per-exercise report")
        p.add_argument("day")
    p = sub.add_parser("all", help="release if needed, collect, autograde, feedback, report")
    p.add_argument("day")
    p.add_argument("--zip", action="store_true")
    p.add_argument("--exchange", action="store_true", help="release feedback to the exchange")
    grading_options(p)
    args = parser.parse_args(argv)
    try:
        course = Course(args.course)
        if args.command == "release":
            return cmd_release(course, args.days, args.exchange)
        if args.command == "collect":
            return cmd_collect(course, args.day, args.zip)
        if args.command == "feedback":
            return cmd_feedback(course, args.day, args.exchange)
        if args.command in ("report", "export"):
            return cmd_report(course, args.day)
        limits = Limits(args.cell_timeout or cell_timeout_default(course), args.notebook_timeout, args.memory_mb)
        if args.command == "autograde":
            return cmd_autograde(course, args.day, args.jobs, args.student, args.force, args.retry_failed, limits,
                                 args.keep_sandboxes)
        return cmd_all(course, args.day, args, limits)
    except GraderError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
