"""The sandbox: a throw-away course copy per submission, in which `nbgrader autograde` grades that one
submission in its own process group, under caps, with the kernel guard injected. A sandbox holds only what
grading needs (the course's nbgrader_config.py plus the grader's settings, a gradebook with this assignment
only, the assignment's data files, the checked notebook and the student's plain files); every path in it is
relative, so it can be graded elsewhere (docs/INSTRUCTORS_AT_SCALE.md, "Beyond one machine")."""
from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import site
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

from course_tools.grader.course import STATE, Course, say
from course_tools.grader.precheck import student_files
from course_tools.nbgrader_cli import clean_env, error_lines

REPO = Path(__file__).resolve().parents[2]  # the repository holding course_lib and course_tools
DEFAULT_NOTEBOOK_TIMEOUT = 600
DEFAULT_MEMORY_MB = 4096
FILE_SIZE_MB = 1024
# modules whose functions and classes the kernel guard snapshots, protects and restores (with every
# submodule: course_lib.notebook.checks, torch.nn, ...)
TRUSTED_MODULES = ["builtins", "numpy", "torch", "course_lib", "math", "operator", "functools", "collections",
                   "copy", "contextlib", "itertools"]
# classes reachable from these namespaces may not change at all (course_lib's always); deeper torch classes
# may be patched by torch itself (e.g. optimizers wrap their step on first use)
STRICT_CLASS_MODULES = ["builtins", "numpy", "torch", "torch.nn", "torch.nn.utils", "torch.testing"]
PRELOAD = ["numpy", "numpy.testing", "torch", "torch.nn", "torch.nn.functional", "torch.nn.utils", "torch.testing",
           "torch.autograd", "matplotlib.pyplot"]
WALK_PACKAGES = ["course_lib"]  # imported module by module, subpackages included, before the snapshot
# what a notebook never needs to read while graded, in the course folder and in the repository
DENY_IN_ROOT = ["solutions", "sources", "tests", "submitted", "autograded", "feedback", "downloaded", "release",
                "reports", STATE, ".exchange", ".git", "nbgrader_config.py", "gradebook.db", "grades.csv"]
DENY_COMPONENTS = ["solutions", "sources", "tests", "submitted", "autograded", "feedback", "downloaded", ".git",
                   ".exchange", STATE]
def torch_cache_dir() -> str:
    """The folder torch makes for its compiler caches the first time an optimizer steps (it imports
    torch._dynamo then): tempdir/torchinductor_<user>, as torch._inductor.runtime.cache_dir_utils names it.
    Torch's own cache, written by torch, not by the student."""
    import getpass
    import re
    return os.environ.get("TORCHINDUCTOR_CACHE_DIR") or os.path.join(
        tempfile.gettempdir(), "torchinductor_" + re.sub(r'[\\/:*?"<>|]', "_", getpass.getuser()))


GUARDS = ("course_tools.grader.guard_cells.InjectGuards", "course_tools.grader.guard_cells.CollectGuards")


def guarded_preprocessors(configured: list) -> list[str]:
    """The course's autograde preprocessors (nbgrader's defaults when it sets none), with the guard cells
    injected before Execute and collected right after it."""
    from nbgrader.converters.autograde import Autograde
    names = [p if isinstance(p, str) else f"{p.__module__}.{p.__name__}"
             for p in (configured or Autograde.class_traits()["autograde_preprocessors"].make_dynamic_default())]
    out: list[str] = []
    for name in names:
        out += [GUARDS[0], name, GUARDS[1]] if name.rsplit(".", 1)[-1] == "Execute" else [name]
    if GUARDS[0] not in out:
        raise ValueError(f"the course's Autograde.autograde_preprocessors have no Execute step: {names}")
    return out


@dataclass
class Limits:
    """The caps on one submission's grading."""
    cell_timeout: int       # seconds per cell (nbgrader interrupts the kernel; the cell scores 0)
    notebook_timeout: int   # seconds for the whole notebook (the process group is killed; not graded)
    memory_mb: int          # address space per process (RLIMIT_AS), nbgrader and kernel each

    def as_dict(self) -> dict:
        return asdict(self)


class Sandboxes:
    """The sandboxes of one autograde run, in one temporary folder, and the template gradebook they copy."""

    def __init__(self, course: Course, day: str, limits: Limits, bindings: list[list], keep: bool = False):
        self.course, self.day, self.limits, self.bindings, self.keep = course, day, limits, bindings, keep
        self.root = Path(tempfile.mkdtemp(prefix=f"grader-{day}-"))
        self.template = self.root / "template.db"
        self._make_template()
        self.config_text = (course.root / "nbgrader_config.py").read_text()
        self.preprocessors = guarded_preprocessors(course.config.Autograde.get("autograde_preprocessors"))

    def _make_template(self) -> None:
        """A consistent copy of the course gradebook with every student and every other assignment
        removed, then VACUUMed so that deleted rows are gone: every sandbox starts from a copy."""
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
        if self.keep:
            say(f"sandboxes kept in {self.root}")
        else:
            shutil.rmtree(self.root, ignore_errors=True)

    def discard(self, sandbox: Path) -> None:
        if not self.keep:
            shutil.rmtree(sandbox, ignore_errors=True)

    def kernel_config(self, student: str) -> dict:
        """What the kernel guard allows and protects. Paths starting with ./ are inside the sandbox and are
        resolved where it runs (InjectGuards), so a sandbox folder can be graded on another machine."""
        import course_lib
        lib = Path(course_lib.__file__).resolve().parent
        trusted = [sys.prefix, sys.base_prefix, sys.exec_prefix, *site.getsitepackages(), str(lib)]
        deny = ["./", str(self.root)]
        for root in {self.course.root, REPO}:
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
            "walk_packages": WALK_PACKAGES,
            "trusted_modules": TRUSTED_MODULES,
            "trusted_code": trusted,
            "allow_read": trusted + ["./tmp"],
            "deny_read": deny,
            "deny_components": DENY_COMPONENTS,
            "allow_write": ["./tmp", str(home / ".cache" / "matplotlib"), str(home / ".config" / "matplotlib"),
                            os.environ.get("MPLCONFIGDIR", "./tmp"), "/dev/null", torch_cache_dir()],
            "submission_dirs": [f"./autograded/{student}/{self.day}", f"./submitted/{student}/{self.day}"],
            "deny_suffixes": [".ipynb", ".db", ".sqlite", ".sqlite3"],
            "bindings": self.bindings,
            "strict_class_modules": STRICT_CLASS_MODULES,
        }

    def make(self, student: str, folder: Path, notebook: NotebookNode) -> Path:
        """The sandbox folder for one checked submission (see the module docstring)."""
        sandbox = self.root / student
        sub = sandbox / "submitted" / student / self.day
        sub.mkdir(parents=True)
        source = sandbox / self.course.source_dir.name / self.day
        source.mkdir(parents=True)
        for extra in (self.course.source_dir / self.day).iterdir():  # data files the assignment ships
            if extra.is_file() and extra.suffix != ".ipynb":
                shutil.copy(extra, source / extra.name)
        for d in ("tmp", "runtime", ".exchange"):
            (sandbox / d).mkdir()
        for extra in student_files(folder):  # the student's other files (data, timestamp)
            shutil.copy(extra, sub / extra.name)
        nbformat.write(notebook, sub / f"{self.day}.ipynb")
        shutil.copy(self.template, sandbox / "gradebook.db")
        manifest = {"sandbox": "./", "report": "./report.json", "kernel": self.kernel_config(student)}
        (sandbox / "manifest.json").write_text(json.dumps(manifest, indent=1))
        (sandbox / "nbgrader_config.py").write_text(self.config_text + f"""

# ---- added by course_tools.grader for this sandbox only (relocatable: paths are relative to this file) ----
from pathlib import Path as _Path
_SANDBOX = _Path(__file__).resolve().parent
c.CourseDirectory.root = str(_SANDBOX)
c.CourseDirectory.db_url = f"sqlite:///{{_SANDBOX / 'gradebook.db'}}"
c.Execute.timeout = {self.limits.cell_timeout}
c.ExecutePreprocessor.timeout = {self.limits.cell_timeout}
from course_tools.grader.guard_cells import cell_timeout as _cell_timeout
c.Execute.timeout_func = _cell_timeout({self.limits.cell_timeout})  # the guard's own cells get longer
c.Autograde.autograde_preprocessors = {self.preprocessors!r}
c.InjectGuards.manifest = str(_SANDBOX / "manifest.json")
""")
        return sandbox

    def launch(self, sandbox: Path, student: str, log: Path) -> subprocess.Popen:
        """Start `nbgrader autograde` in the sandbox, in a new session (process group) with the caps set
        before it starts, so that its kernel inherits them."""
        env = clean_env(
            COURSE_GRADEBOOK=f"sqlite:///{sandbox / 'gradebook.db'}", COURSE_EXCHANGE=str(sandbox / ".exchange"),
            PYTHONPATH=os.pathsep.join([str(REPO), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]),
            JUPYTER_RUNTIME_DIR=str(sandbox / "runtime"), TMPDIR=str(sandbox / "tmp"), PYTHONDONTWRITEBYTECODE="1")
        limits = self.limits

        def cap() -> None:  # runs in the child before nbgrader starts
            memory = limits.memory_mb * 2**20
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_MB * 2**20, FILE_SIZE_MB * 2**20))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

        with open(log, "w") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "nbgrader", "autograde", self.day, "--student", student],
                cwd=sandbox, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, preexec_fn=cap)


def kill(proc: subprocess.Popen) -> None:
    """Kill a grading process and whatever its kernel left behind in its process group."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def failure_reason(rc: int, log_text: str, limits: Limits) -> str:
    """Why a sandbox produced no autograded notebook, from nbgrader's log, for the review list."""
    if "DeadKernelError" in log_text or "Kernel died" in log_text:
        return ("the kernel died while running the notebook (os._exit, a crash, or the memory cap of "
                f"{limits.memory_mb} MB): not graded")
    if "UnresponsiveKernelError" in log_text:
        return "the kernel stopped responding: not graded"
    if "Timeout waiting for IOPub output" in log_text:
        return ("a cell did not stop when interrupted at the cell time limit (it catches KeyboardInterrupt?), "
                "or kept printing: not graded")
    if "MemoryError" in log_text:
        return f"nbgrader ran out of memory (cap {limits.memory_mb} MB; huge outputs?): not graded"
    errors = [line.split("] ", 1)[-1] for line in error_lines(log_text)
              if "There was an error processing" not in line and "Please see" not in line]
    detail = errors[0][:200] if errors else (log_text.strip().splitlines() or ["no output"])[-1][:200]
    return f"nbgrader could not grade it (exit {rc}: {detail}): not graded"
