"""The real nbgrader pipeline, once per day, in a throw-away copy of the course:
generate_assignment (from an executed copy of the source) -> submissions -> autograde -> generate_feedback.

Students: "solution" (every answer correct) must get full autograded marks; "stub" (the release as
handed out) must get 0; "wrong" (a bug-bank answer per exercise) loses points on every exercise. Feedback must
show no hidden-test code and no tracebacks. One student's autograde must fit the 20 s budget (printed; shown with
`-s -n 0`). Each day is graded once, in a module-scoped fixture; each promise is its own test.

The release is generated from a copy of the source notebook as an instructor leaves it after running it
(outputs, execution counts, timing and widget metadata): it must be the committed release, byte for byte. One
generation per day checks both that the committed release is current and that running the source changes nothing.

What is the same for every day is graded once, on the first day, in its own course (`first_day`): students
arriving as an LMS download (zip_collect), the export of raw scores, and "warns" (correct answers that emit
warnings, one straight to stderr, must keep full marks), which tests the course's autograde preprocessor. Per day
zip_collect and export cost about 4 s of CPU (nbgrader's start-up alone is about 2 s a command)."""
from __future__ import annotations

import copy
import csv
import resource
import shutil
import subprocess
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.validator import Validator

from bugbank import answers
from support import DAYS, ROOT, nbgrader_env
from graderclass.day01 import NOISY as NOISY_WRAPPER
from course_tools import nbgrader_cli
from course_tools.notebooks import exercises, read, secret_lines, solution_answer, solved

AUTOGRADE_BUDGET_S = 20.0


class OneStudent(NamedTuple):
    wall_s: float   # seconds on the clock
    cpu_s: float    # CPU seconds of nbgrader and the kernel it ran (waited-for child processes)


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    """The course's nbgrader runner: fails on a non-zero exit and on an error nbgrader only logged."""
    return nbgrader_cli.nbgrader(course, *args, env=nbgrader_env(), timeout=600)


def make_course(tmp: Path, day: str) -> Path:
    course = tmp / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / day, course / "solutions" / day)
    return course


def submit(course: Path, day: str, student: str, nb: nbformat.NotebookNode) -> None:
    target = course / "submitted" / student / day / f"{day}.ipynb"
    target.parent.mkdir(parents=True)
    nbformat.write(nb, target)


def scores(course: Path, day: str, student: str) -> dict[str, tuple[float, float]]:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook(day, day, student)
        return {g.name: (g.score, g.max_score) for g in nb.grades if g.auto_score is not None}


@dataclass
class Graded:
    """One day graded by the real pipeline, once per module: what every test below reads."""
    day: str
    course: Path
    release: nbformat.NotebookNode
    graded: list[dict]
    full: dict[str, float]                               # test cell id -> its points
    scores: dict[str, dict[str, tuple[float, float]]]    # student -> test cell id -> (score, max score)
    one_student: OneStudent                              # autograde time of one student (the solution)

    def feedback(self, student: str) -> str:
        return (self.course / "feedback" / student / self.day / f"{self.day}.html").read_text()


def executed(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The source notebook as an instructor leaves it after running it: outputs, execution counts, timing and
    collapse metadata in every cell, the kernel's full language_info and a widget state."""
    nb = copy.deepcopy(nb)
    for i, cell in enumerate(nb.cells):
        cell.metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:00Z"}
        cell.metadata["collapsed"] = False
        if cell.cell_type == "code":
            cell.execution_count = i + 1
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="some output\n")]
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.7", "mimetype": "text/x-python"}
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return nb


def released_course(tmp: Path, day: str) -> tuple[Path, nbformat.NotebookNode, nbformat.NotebookNode]:
    """A throw-away course whose release of `day` was generated from an executed copy of the source:
    (course, release, solution)."""
    course = make_course(tmp, day)
    solution = read(ROOT / "solutions" / day / f"{day}.ipynb")
    nbformat.write(executed(solution), course / "solutions" / day / f"{day}.ipynb")
    nbgrader(course, "generate_assignment", day, "--force")
    return course, read(course / "notebooks" / day / f"{day}.ipynb"), solution


@pytest.fixture(scope="module", params=DAYS)
def graded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Graded:
    """generate_assignment -> submissions -> autograde -> generate_feedback, once per day in a throw-away copy
    of the course. Module scope: with xdist's --dist loadfile this file stays on one worker, so each day is
    graded once however many tests read it."""
    day = request.param
    course, release, solution = released_course(tmp_path_factory.mktemp(f"pipeline_{day}"), day)
    graded = exercises(solution)
    bank = answers(day)
    submit(course, day, "solution", solved(release, solution))
    submit(course, day, "stub", release)
    submit(course, day, "wrong", solved(release, solution, {ex["id"]: bank[ex["id"]][0][1] for ex in graded}))

    before, start = _children_cpu_s(), time.perf_counter()
    nbgrader(course, "autograde", day, "--student", "solution")
    one_student = OneStudent(wall_s=time.perf_counter() - start, cpu_s=_children_cpu_s() - before)
    nbgrader(course, "autograde", day)
    nbgrader(course, "generate_feedback", day)
    return Graded(day, course, release, graded, {ex["test_id"]: float(ex["points"]) for ex in graded},
                  {s: scores(course, day, s) for s in ("solution", "stub", "wrong")}, one_student)


class FirstDay(NamedTuple):
    """The first day graded with what is the same for every day: LMS hand-ins, warnings, export."""
    course: Path
    full: dict[str, float]                               # test cell id -> its points
    scores: dict[str, dict[str, tuple[float, float]]]    # student -> test cell id -> (score, max score)


@pytest.fixture(scope="module")
def first_day(tmp_path_factory: pytest.TempPathFactory) -> FirstDay:
    """The first day: "warns" and "stub" arrive in an LMS download (zip_collect, with the LMS's renamed files).
    "warns" answers correctly but warns every time a test cell calls two of its functions (one warning straight
    to stderr). Autograde, then export."""
    day = DAYS[0]
    course, release, solution = released_course(tmp_path_factory.mktemp(f"first_{day}"), day)
    graded = exercises(solution)
    functions = [ex for ex in graded if f"def {ex['id']}(" in ex["answer"]][:2]
    assert functions, "need an exercise whose answer is a function named like its grade_id"
    warns = solved(release, solution, {
        ex["id"]: solution_answer(ex["answer"]) + NOISY_WRAPPER.format(name=ex["id"]) for ex in functions})
    archive = course / "downloaded" / day / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "lms_download.zip", "w") as zf:
        zf.writestr(f"warns_{day}.ipynb", nbformat.writes(warns))
        zf.writestr(f"stub_LATE_48213_1187_{day}-1.ipynb", nbformat.writes(release))
    nbgrader(course, "zip_collect", day)
    nbgrader(course, "autograde", day)
    nbgrader(course, "export", "--to", str(course / "grades.csv"))
    return FirstDay(course, {ex["test_id"]: float(ex["points"]) for ex in graded},
                    {s: scores(course, day, s) for s in ("warns", "stub")})


@pytest.mark.slow
def test_the_committed_release_is_what_generate_assignment_makes_from_the_executed_source(graded: Graded) -> None:
    made = graded.course / "notebooks" / graded.day / f"{graded.day}.ipynb"
    assert made.read_bytes() == (ROOT / "notebooks" / graded.day / f"{graded.day}.ipynb").read_bytes(), \
        "the committed release is out of date, or running the source notebook changes the release"


@pytest.mark.slow
def test_zip_collect_files_each_lms_download_under_its_student(first_day: FirstDay) -> None:
    for student in ("warns", "stub"):
        assert (first_day.course / "submitted" / student / DAYS[0] / f"{DAYS[0]}.ipynb").exists(), \
            f"zip_collect lost {student}"
        assert first_day.scores[student], f"{student}, collected from the LMS download, was not graded"


@pytest.mark.slow
def test_solution_gets_full_marks(graded: Graded) -> None:
    assert {k: v[0] for k, v in graded.scores["solution"].items()} == graded.full, \
        "the solution must get full autograded marks"


@pytest.mark.slow
def test_untouched_release_scores_zero(graded: Graded) -> None:
    stub = graded.scores["stub"]
    assert sum(v[0] for v in stub.values()) == 0, f"the untouched release must score 0: {stub}"


@pytest.mark.slow
def test_a_correct_answer_that_warns_keeps_its_marks(first_day: FirstDay) -> None:
    assert {k: v[0] for k, v in first_day.scores["warns"].items()} == first_day.full, \
        "a correct answer that warns must keep its marks"


@pytest.mark.slow
def test_a_wrong_answer_loses_points_on_every_exercise(graded: Graded) -> None:
    lost = [k for k, (score, most) in graded.scores["wrong"].items() if score >= most]
    assert not lost, f"wrong answers that kept their marks: {lost}"


@pytest.mark.slow
@pytest.mark.parametrize("student", ["wrong", "stub"])
def test_feedback_shows_no_hidden_test_and_no_traceback(graded: Graded, student: str) -> None:
    html = graded.feedback(student)
    assert "BEGIN HIDDEN TESTS" not in html
    assert "CheckFailed(message)" not in html, f"feedback for {student} shows a test cell's full traceback"
    hidden = secret_lines(read(graded.course / "solutions" / graded.day / f"{graded.day}.ipynb"), regions=("HIDDEN TESTS",))
    assert hidden, "no hidden-test line to look for"
    for code in hidden:
        assert nbformat_escape(code) not in html, f"feedback for {student} shows hidden test code: {code}"


@pytest.mark.slow
def test_feedback_names_the_failing_check(graded: Graded) -> None:
    assert "CheckFailed" in graded.feedback("wrong"), "feedback should say which check failed"


@pytest.mark.slow
def test_export_writes_each_students_raw_score(first_day: FirstDay) -> None:
    with open(first_day.course / "grades.csv") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert float(rows["warns"]["raw_score"]) == sum(first_day.full.values())
    assert float(rows["stub"]["raw_score"]) == 0


@pytest.mark.slow
def test_one_students_autograde_fits_the_budget(graded: Graded, capsys: pytest.CaptureFixture) -> None:
    """The budget is for an otherwise idle 2-core machine. The suite runs tests in parallel, so the wall time
    here includes waiting for the other tests; the CPU time of nbgrader and its kernel (the work one autograde
    needs, which is its wall time on an idle machine) is what must fit."""
    one = graded.one_student
    with capsys.disabled():
        print(f"\n{graded.day}: one student's autograde: {one.cpu_s:.1f} s of CPU, {one.wall_s:.1f} s wall in a busy "
              f"test run (budget {AUTOGRADE_BUDGET_S:.0f} s)")
    assert one.cpu_s <= AUTOGRADE_BUDGET_S


def nbformat_escape(code: str) -> str:
    """How a line of code appears in nbconvert's HTML (quotes and angle brackets escaped)."""
    return code.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


@pytest.mark.slow
def test_validate_button(tmp_path: Path) -> None:
    """What the Validate button reports: nothing for a correct notebook, failures for the stub.

    Validate is nbgrader's, run on the first day. What it depends on in each day is covered per day elsewhere:
    test_bundle.py runs every day's filled-in release under Validate's budgets against the student bundle and
    fails on any cell's error (stricter than Validate, which looks at graded cells), and the untouched release
    scoring 0 at autograde (above) shows that every test cell fails on a stub."""
    day = DAYS[0]
    release = read(ROOT / "notebooks" / day / f"{day}.ipynb")
    good, stub = tmp_path / "good.ipynb", tmp_path / "stub.ipynb"
    nbformat.write(solved(release, read(ROOT / "solutions" / day / f"{day}.ipynb")), good)
    nbformat.write(release, stub)
    validator = Validator()
    assert validator.validate(str(good)) == {}
    assert validator.validate(str(stub)).get("failed"), "validating the stub should report failed cells"
