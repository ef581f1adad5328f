"""The course folder as the grader sees it: nbgrader's settings and folders, the gradebook, the grader's own
state (.grader/<day>/), the submissions; and the small helpers every command uses."""
from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from course_tools.notebooks import days

STATE = ".grader"


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


def write_json(path: Path, data) -> None:
    """Atomic: a crash leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)


def folder_hash(folder: Path) -> str:
    """SHA-256 over a folder's file names and contents (links by their target): what `collect` and the
    ledger compare to tell a changed submission from an unchanged one."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink()):
        h.update(str(path.relative_to(folder)).encode() + b"\0")
        h.update(b"link:" + os.readlink(path).encode() if path.is_symlink() else path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


@dataclass
class Course:
    """A course folder (the one with nbgrader_config.py) and what its configuration says."""
    root: Path

    def __post_init__(self) -> None:
        self.root = self.root.resolve()
        if not (self.root / "nbgrader_config.py").is_file():
            raise GraderError(f"{self.root} has no nbgrader_config.py: run from the course folder or pass --course")
        from traitlets.config.loader import PyFileConfigLoader
        self.config = PyFileConfigLoader("nbgrader_config.py", path=str(self.root)).load_config()
        cd = self.config.CourseDirectory

        def folder(name: str, default: str) -> Path:
            return self.root / (cd[name] if name in cd else default)

        self.db_url = cd.db_url if "db_url" in cd else f"sqlite:///{self.root / 'gradebook.db'}"
        self.source_dir = folder("source_directory", "source")
        self.release_dir = folder("release_directory", "release")
        self.submitted_dir = folder("submitted_directory", "submitted")
        self.autograded_dir = folder("autograded_directory", "autograded")
        self.feedback_dir = folder("feedback_directory", "feedback")
        ex = self.config.Exchange
        self.exchange = Path(ex.root) if "root" in ex else Path("/srv/nbgrader/exchange")
        self.course_id = cd.course_id if "course_id" in cd else ""

    @property
    def db_path(self) -> Path | None:
        from sqlalchemy.engine import make_url
        url = make_url(self.db_url)
        return Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None

    def days(self) -> list[str]:
        return days(self.source_dir)

    def source(self, day: str) -> Path:
        """The day's nbgrader source notebook (solutions and hidden tests)."""
        return self.source_dir / day / f"{day}.ipynb"

    def release(self, day: str) -> Path:
        """The day's student release."""
        return self.release_dir / day / f"{day}.ipynb"

    def state(self, day: str) -> Path:
        """The grader's own files for a day: ledger/, logs/, history/, uncollected.json."""
        return self.root / STATE / day

    def submissions(self, day: str) -> dict[str, Path]:
        """{student: submitted/<student>/<day>/} for every student who handed the day in."""
        if not self.submitted_dir.is_dir():
            return {}
        return {d.name: d / day for d in sorted(self.submitted_dir.iterdir()) if (d / day).is_dir()}

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

    def scores(self, day: str, student: str) -> dict[str, list] | None:
        """{grade cell: [score, max]} of a student's submission in the course gradebook (None if absent).
        The score is None for a hand-graded cell (a reflection) that is still waiting to be graded."""
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
        return {g.name: [None if waiting(g) else g.score, g.max_score] for g in nb.grades}


def waiting(grade) -> bool:
    """A grade nobody has given yet: a hand-graded cell that the student answered (an unanswered one
    scores 0 automatically) and nobody has graded. nbgrader's own `score` counts it as 0."""
    return grade.auto_score is None and grade.manual_score is None
