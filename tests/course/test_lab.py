"""`python3 course.py lab` as students and instructors start it.

Student view (the default): the file browser is rooted at the student's working copy work/ (new release
days are copied in, nothing there is ever overwritten); the Assignments tab lists the released days,
fetches into that same folder, and Submit sends what the student edited there; Validate runs on it;
the instructor tools (Formgrader, Create Assignment, course list) are off. Instructor view
(`--instructor`): the course folder and every nbgrader tool, MathJax served locally."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

import course
from support.lab import COURSE_ID, ROOT, Lab, running_lab

RELEASED = ["day01_rnn", "day02_gating"]  # what the instructor has released in the exchange fixture
STUDENT_PLUGINS = ("@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:validate-assignment",
                   "@jupyter/nbgrader:menu")


def jupyter(*args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "jupyter", *args], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)


def release_days() -> list[str]:
    return sorted(p.name for p in (ROOT / "notebooks").iterdir() if (p / f"{p.name}.ipynb").is_file())


# --- the working copy: new days are added, nothing is overwritten ---------------------------------

def make_release(folder: Path, days: dict[str, str]) -> Path:
    for day, text in days.items():
        (folder / day).mkdir(parents=True)
        (folder / day / f"{day}.ipynb").write_text(text)
    return folder


def test_first_start_copies_every_release_day(tmp_path: Path) -> None:
    release = make_release(tmp_path / "notebooks", {"day01_a": "one", "day02_b": "two"})
    added = course.copy_new_days(release, tmp_path / "work")
    assert sorted(p.relative_to(tmp_path / "work").as_posix() for p in added) == \
        ["day01_a/day01_a.ipynb", "day02_b/day02_b.ipynb"]
    assert (tmp_path / "work" / "day02_b" / "day02_b.ipynb").read_text() == "two"


def test_a_new_day_is_added_and_an_edited_copy_is_left_alone(tmp_path: Path) -> None:
    release = make_release(tmp_path / "notebooks", {"day01_a": "release v1"})
    work = tmp_path / "work"
    course.copy_new_days(release, work)
    (work / "day01_a" / "day01_a.ipynb").write_text("the student's answers")
    (release / "day01_a" / "day01_a.ipynb").write_text("release v2 (a rebuild or git pull)")
    make_release(release, {"day02_b": "new day"})
    added = course.copy_new_days(release, work)
    assert added == [work / "day02_b" / "day02_b.ipynb"]
    assert (work / "day01_a" / "day01_a.ipynb").read_text() == "the student's answers"
    assert (work / "day02_b" / "day02_b.ipynb").read_text() == "new day"
    assert course.copy_new_days(release, work) == [], "a second start must copy nothing"


def test_a_deleted_copy_comes_back_fresh(tmp_path: Path) -> None:
    release = make_release(tmp_path / "notebooks", {"day01_a": "release"})
    work = tmp_path / "work"
    course.copy_new_days(release, work)
    (work / "day01_a" / "day01_a.ipynb").unlink()
    assert course.copy_new_days(release, work) == [work / "day01_a" / "day01_a.ipynb"]


def test_work_folder_follows_course_work_and_is_ignored_by_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COURSE_WORK", raising=False)
    assert course.work_dir() == ROOT / "work"
    monkeypatch.setenv("COURSE_WORK", str(tmp_path / "elsewhere"))
    assert course.work_dir() == tmp_path / "elsewhere"
    ignored = subprocess.run(["git", "check-ignore", "-q", "work/day01_rnn/day01_rnn.ipynb"], cwd=ROOT)
    if ignored.returncode == 128:
        pytest.skip("not a git checkout")
    assert ignored.returncode == 0, "work/ must be ignored by git"


def test_nbgrader_fetches_into_the_working_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The exchange's assignment folder (fetch, submit) is the folder the student view shows; without
    course.py (COURSE_WORK unset, e.g. JupyterHub) nbgrader's default, the server's folder, stays."""
    from traitlets.config.loader import PyFileConfigLoader
    monkeypatch.setenv("COURSE_WORK", "elsewhere")
    _, env = course.lab_command(Path(sys.executable))
    assert Path(env["COURSE_WORK"]) == course.work_dir() == ROOT / "elsewhere"
    monkeypatch.setenv("COURSE_WORK", env["COURSE_WORK"])
    for config_dir in (ROOT, course.STUDENT_CONFIG):  # the course's file, and the student view's
        config = PyFileConfigLoader("nbgrader_config.py", str(config_dir)).load_config()
        assert Path(config.Exchange.assignment_dir) == course.work_dir(), config_dir
    monkeypatch.delenv("COURSE_WORK")
    config = PyFileConfigLoader("nbgrader_config.py", str(ROOT)).load_config()
    assert "assignment_dir" not in config.Exchange


def test_with_an_exchange_nothing_is_copied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("COURSE_WORK", str(tmp_path / "work"))
    monkeypatch.setenv("COURSE_EXCHANGE", str(tmp_path / "exchange"))
    course.prepare_work()
    assert list((tmp_path / "work").iterdir()) == []
    assert "Assignments tab" in capsys.readouterr().out


# --- installed extensions -------------------------------------------------------------------------

def test_nbgrader_extensions_are_installed() -> None:
    server = jupyter("server", "extension", "list")
    for ext in ("nbgrader.server_extensions.validate_assignment", "nbgrader.server_extensions.assignment_list",
                "nbgrader.server_extensions.formgrader", "jupyter_server_mathjax"):
        assert re.search(rf"{re.escape(ext)}\s+enabled", server), f"{ext} not enabled:\n{server}"
    lab = jupyter("labextension", "list")
    assert re.search(r"@jupyter/nbgrader v[\d.]+ enabled\s+OK", lab), lab


# --- the student view, with an exchange ------------------------------------------------------------

@pytest.fixture(scope="module")
def student(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with running_lab(tmp_path_factory.mktemp("student"), exchange_days=RELEASED) as lab:
        yield lab


def assignments(lab: Lab) -> dict[str, dict]:
    reply = lab.json(f"/assignments?course_id={COURSE_ID}")
    assert reply["success"] is True, reply
    return {(a["assignment_id"], a["status"]): a for a in reply["value"]}


@pytest.mark.slow
def test_student_view_hides_the_instructor_tools(student: Lab) -> None:
    disabled = student.page_config()["disabledExtensions"]
    assert set(course.INSTRUCTOR_PLUGINS) <= set(disabled), disabled
    assert not set(STUDENT_PLUGINS) & set(disabled), disabled
    assert student.request("/formgrader")[0] == 404
    assert student.request("/formgraders")[0] == 404  # the course list's server side


@pytest.mark.slow
def test_student_file_browser_is_the_working_copy(student: Lab) -> None:
    assert Path(student.page_config()["serverRoot"]) == student.work
    names = {item["name"] for item in student.json("/api/contents/")["content"]}
    assert not names & {"notebooks", "solutions", "course_lib", "nbgrader_config.py"}, names


@pytest.mark.slow
def test_assignment_list_holds_the_released_days(student: Lab) -> None:
    listed = assignments(student)
    assert {day for day, status in listed if status == "released"} | \
           {day for day, status in listed if status == "fetched"} == set(RELEASED), listed
    for day in RELEASED:
        entry = listed.get((day, "released")) or listed[(day, "fetched")]
        assert [nb["notebook_id"] for nb in entry["notebooks"]] == [day]


@pytest.mark.slow
def test_fetch_edit_submit_sends_the_edits(student: Lab) -> None:
    day = RELEASED[0]
    reply = student.json("/assignments/fetch", {"course_id": COURSE_ID, "assignment_id": day})
    assert reply["success"] is True, reply
    fetched = {a["assignment_id"]: a for a in reply["value"] if a["status"] == "fetched"}
    path = fetched[day]["notebooks"][0]["path"]
    assert path == f"{day}/{day}.ipynb", f"fetched outside the file browser: {path}"
    # the file browser opens it (before the fix: 404, the copy was in the course folder)
    model = student.json(f"/api/contents/{path}")
    nb = nbformat.from_dict(model["content"])
    answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    answer.source = answer.source.replace("raise NotImplementedError()", "return ['EDITED-IN-THE-BROWSER']")
    assert "EDITED-IN-THE-BROWSER" in answer.source
    student.json(f"/api/contents/{path}", method="PUT",  # what the editor's Save does
                 body=json.dumps({"type": "notebook", "format": "json", "content": nb}).encode())

    reply = student.json("/assignments/submit", {"course_id": COURSE_ID, "assignment_id": day})
    assert reply["success"] is True, reply
    submitted = sorted((student.exchange / COURSE_ID / "inbound").glob(f"*+{day}+*/{day}.ipynb"))
    assert len(submitted) == 1, submitted
    assert "EDITED-IN-THE-BROWSER" in submitted[0].read_text(), "Submit sent a copy without the student's edit"


@pytest.mark.slow
def test_validate_button_runs_on_the_working_copy(student: Lab) -> None:
    day = RELEASED[1]
    student.json("/assignments/fetch", {"course_id": COURSE_ID, "assignment_id": day})
    reply = student.json("/assignments/validate", {"path": f"{day}/{day}.ipynb"})
    assert reply["success"] is True, reply
    failed = reply["value"].get("failed")
    assert failed, f"validating an untouched release must list failing cells: {reply['value']}"
    assert any("NotImplementedError" in cell.get("error", "") for cell in failed), failed


# --- the student view without an exchange, and the instructor view ---------------------------------

@pytest.mark.slow
def test_student_view_without_exchange_opens_the_copied_days(tmp_path: Path) -> None:
    with running_lab(tmp_path) as lab:
        names = {item["name"] for item in lab.json("/api/contents/")["content"]}
        assert names == set(release_days()), names
        day = release_days()[0]
        assert lab.json(f"/api/contents/{day}/{day}.ipynb?content=0")["type"] == "notebook"


@pytest.mark.slow
def test_instructor_view_has_every_tool_and_local_mathjax(tmp_path: Path) -> None:
    with running_lab(tmp_path, instructor=True) as lab:
        config = lab.page_config()
        assert not [p for p in config["disabledExtensions"] if p.startswith("@jupyter/nbgrader")], config
        assert Path(config["serverRoot"]) == ROOT
        names = {item["name"] for item in lab.json("/api/contents/")["content"]}
        assert {"notebooks", "solutions", "nbgrader_config.py"} <= names
        status, body = lab.request("/formgrader/manage_assignments")
        assert status == 200 and b"Manage Assignments" in body, status
        status, body = lab.request("/static/jupyter_server_mathjax/MathJax.js")
        assert status == 200 and b"MathJax" in body[:2000], status
        assert not (tmp_path / "work").exists() or not any((tmp_path / "work").iterdir()), \
            "the instructor view copies nothing"
