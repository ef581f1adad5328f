"""The class-scale grader (`python -m course_tools.grader`) on a synthetic Day 01 class of 34 submissions:
honest answers, bug-bank bugs, edited/deleted locked cells, renamed/malformed/empty files, an infinite loop,
a hang that ignores interrupts, a memory hog, a kernel crash, noisy stderr, and cheats that monkeypatch the
checkers (torch.testing, numpy, builtins, course_lib.checks, __code__, IPython hooks) or read the course's
solution, test and gradebook files.

Asserted: every submission ends graded with the expected scores, or flagged for review with a matching
reason, or both; no other student's grade changes; nothing is lost (every submitted folder has a ledger
entry and a row in grades.csv, submitted files are untouched); a rerun (and `all`) skips unchanged work, a
forced regrade gives identical grades and keeps a manual grade; a sandbox moved to another folder grades
the same with plain nbgrader; feedback shows no hidden test; the report has the plot, the most common
failing check and the review list. Prints the case -> outcome matrix and the
throughput of the parallel grader against one-at-a-time `nbgrader autograde`."""
from __future__ import annotations

import csv
import importlib
import json
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from conftest import ROOT, nbgrader_env
from course_tools.grader import Course, feedback_leaks, folder_hash, hidden_lines, html_escape
from course_tools.notebooks import read
from graderclass.day01 import DAY, build

JOBS = 2
LIMITS = ["--cell-timeout", "10", "--notebook-timeout", "60", "--memory-mb", "2500"]
# graded one at a time by stock `nbgrader autograde` (timed, and to show what the cheats would score there),
# then forced through the grader again in parallel
CHEATS = ["patch-checks", "shadow-all", "ipython-hooks"]
BASELINE = ["correct-a", *CHEATS]


def grader(course: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "course_tools.grader", "--course", str(course), *args],
                            env=nbgrader_env(), capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"grader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def gradebook_state(course: Path) -> dict[str, dict]:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        out = {}
        for sub in gb.assignment_submissions(DAY):
            nb = gb.find_submission_notebook(DAY, DAY, sub.student.id)
            out[sub.student.id] = {g.name: (g.auto_score, g.manual_score, g.needs_manual_grade) for g in nb.grades}
        return out


@pytest.mark.slow
def test_grader_synthetic_class(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / DAY, course / "solutions" / DAY)
    grader(course, "release", DAY)
    release = read(course / "notebooks" / DAY / f"{DAY}.ipynb")
    solution = read(course / "solutions" / DAY / f"{DAY}.ipynb")
    assert release == read(ROOT / "notebooks" / DAY / f"{DAY}.ipynb")
    cases = build(release, solution, importlib.import_module(f"bugbank.{DAY}").BUGS)
    assert len(cases) >= 30

    # hand-ins: most straight into submitted/, some through an LMS download with one unmatched file
    archive = course / "downloaded" / DAY / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "lms.zip", "w") as zf:
        for case in cases:
            if case.zip_name:
                zf.writestr(case.zip_name, case.data)
        zf.writestr("Dave Smith - homework.ipynb", cases[0].data)
    for case in cases:
        if not case.zip_name:
            target = course / "submitted" / case.student / DAY / case.filename
            target.parent.mkdir(parents=True)
            target.write_bytes(case.data)
    out = grader(course, "collect", DAY, "--zip").stdout
    assert "not collected" in out and "Dave Smith" in out, out
    handed_in = {case.student: folder_hash(course / "submitted" / case.student / DAY) for case in cases}

    start = time.perf_counter()
    first = grader(course, "autograde", DAY, "--jobs", str(JOBS), *LIMITS)
    parallel_s = time.perf_counter() - start
    ledger = {p.stem: json.loads(p.read_text()) for p in (course / ".grader" / DAY / "ledger").glob("*.json")}
    book = gradebook_state(course)

    problems, matrix = [], []
    for case in cases:
        entry = ledger.get(case.student)
        if entry is None:
            problems.append(f"{case.student}: lost (no ledger entry)")
            continue
        flags = entry["flags"]
        got = {t: s[0] for t, s in (entry.get("scores") or {}).items() if t.startswith("test_")}
        graded = entry["status"].startswith("graded")
        if case.scores is None:
            if graded:
                problems.append(f"{case.student}: graded, expected not graded ({flags})")
        else:
            if not graded:
                problems.append(f"{case.student}: not graded: {flags}")
            else:
                checked = {t: v for t, v in case.scores.items() if t not in case.loose}
                wrong = {t: (got.get(t), v) for t, v in checked.items() if got.get(t) != v}
                if wrong:
                    problems.append(f"{case.student}: wrong scores (got, expected) {wrong}; flags {flags}")
                ledger_vs_book = {t: book.get(case.student, {}).get(t, (None,))[0] for t in got}
                if ledger_vs_book != got:
                    problems.append(f"{case.student}: ledger {got} != gradebook {ledger_vs_book}")
        if case.flag is None and flags:
            problems.append(f"{case.student}: flagged but should not be: {flags}")
        if case.flag is not None and not any(re.search(case.flag, f) for f in flags):
            problems.append(f"{case.student}: no review reason matching {case.flag!r}: {flags}")
        if case.loose and not all(book[case.student][t][2] for t in case.loose):
            problems.append(f"{case.student}: {case.loose} not marked as needing manual grading")
        reason = next((f for f in flags if case.flag and re.search(case.flag, f)), flags[0] if flags else "")
        total = sum(got.values()) if graded else None
        matrix.append((case.student, case.what, entry["status"], "-" if total is None else f"{total:g}",
                       reason[:95]))

    # nothing lost, nothing touched
    assert set(ledger) == {c.student for c in cases}, "every submitted folder must have a ledger entry"
    for case in cases:
        assert folder_hash(course / "submitted" / case.student / DAY) == handed_in[case.student], \
            f"{case.student}'s submitted files were changed"
    assert not list((course / "autograded").glob("*/*/*course_grader*"))

    # rerun: unchanged submissions are skipped and nothing moves
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        gb.find_grade("reflection", DAY, DAY, "correct-a").manual_score = 1.5
        gb.db.commit()
    book = gradebook_state(course)
    again = grader(course, "autograde", DAY, "--jobs", str(JOBS), *LIMITS).stdout
    assert f"{len(cases)} unchanged" in again, again
    assert gradebook_state(course) == book, "a rerun changed the gradebook"

    # one-at-a-time stock nbgrader on three cheats (they score more there), then the grader puts it right
    start = time.perf_counter()
    for student in BASELINE:
        result = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", DAY, "--student", student,
                                 "--force"], cwd=course, env=nbgrader_env(), capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
    serial_s = time.perf_counter() - start
    stock = gradebook_state(course)
    tests = [t for t in next(iter(book.values())) if t.startswith("test_")]
    stock_total = {s: sum(stock[s][t][0] for t in tests) for s in BASELINE}
    honest_total = {s: sum(book[s][t][0] for t in tests) for s in BASELINE}
    for student in CHEATS:
        if stock_total[student] <= honest_total[student]:
            problems.append(f"{student}: stock nbgrader gave {stock_total[student]}, not more than the grader's "
                            f"{honest_total[student]}: the case does not show a cheat that works")
    regrade = BASELINE
    start = time.perf_counter()
    kept = grader(course, "autograde", DAY, "--jobs", str(JOBS), "--force", "--keep-sandboxes", *LIMITS,
                  *[arg for s in regrade for arg in ("--student", s)]).stdout
    regrade_s = time.perf_counter() - start

    # a sandbox is a self-contained grading job: moved elsewhere, plain nbgrader grades it the same way
    run_root = Path(re.search(r"sandboxes kept in (\S+)", kept).group(1))
    moved = tmp_path / "moved" / "correct-a"
    shutil.copytree(run_root / "correct-a", moved, ignore=shutil.ignore_patterns("autograded", "report.json"))
    shutil.rmtree(run_root)
    env = {k: v for k, v in nbgrader_env().items() if k not in ("COURSE_GRADEBOOK", "COURSE_EXCHANGE")}
    env.update(TMPDIR=str(moved / "tmp"), JUPYTER_RUNTIME_DIR=str(moved / "runtime"))
    result = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", DAY, "--student", "correct-a",
                             "--force"], cwd=moved, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    moved_report = json.loads((moved / "report.json").read_text())
    assert not moved_report["problems"] and not moved_report["missing"], moved_report
    with Gradebook(f"sqlite:///{moved / 'gradebook.db'}") as gb:
        moved_scores = {g.name: g.auto_score for g in gb.find_submission_notebook(DAY, DAY, "correct-a").grades
                        if g.name.startswith("test_")}
    assert moved_scores == {t: v[0] for t, v in book["correct-a"].items() if t.startswith("test_")}
    after = gradebook_state(course)
    for student in regrade:
        if after[student] != book[student]:
            problems.append(f"{student}: a forced regrade changed the grades {book[student]} -> {after[student]}")
    assert after["correct-a"]["reflection"][1] == 1.5, "the manual grade was lost"
    ledger2 = {p.stem: json.loads(p.read_text()) for p in (course / ".grader" / DAY / "ledger").glob("*.json")}
    for student in regrade:
        if ledger2[student]["flags"] != ledger[student]["flags"]:
            problems.append(f"{student}: flags changed on regrade {ledger[student]['flags']} -> "
                            f"{ledger2[student]['flags']}")

    with capsys.disabled():
        width = max(len(m[0]) for m in matrix)
        print(f"\n\nGrader matrix ({len(cases)} submissions of {DAY}, --jobs {JOBS}, cell cap 10 s, notebook cap "
              f"60 s, memory cap 2500 MB)")
        for student, what, status, total, reason in matrix:
            print(f"  {student:<{width}}  {what[:44]:<44}  {status:<16} {total:>4}  {reason}")
        print("\nThe same cheats graded by stock nbgrader: " + ", ".join(
            f"{s} {stock_total[s]:g} (grader: {honest_total[s]:g})" for s in CHEATS))
        print(f"\nThroughput on this machine (2 cores, shared):")
        print(f"  whole class, parallel grader:       {len(cases)} in {parallel_s:5.1f} s = "
              f"{len(cases) / parallel_s * 60:5.1f}/min (includes cell timeouts, a hang, a crash and unreadable files)")
        print(f"  {len(BASELINE)} submissions, stock nbgrader one at a time: {serial_s:5.1f} s = "
              f"{len(BASELINE) / serial_s * 60:5.1f}/min")
        print(f"  the same {len(regrade)}, parallel grader --force:   {regrade_s:5.1f} s = "
              f"{len(regrade) / regrade_s * 60:5.1f}/min")
        print(first.stdout.splitlines()[0])
        for p in problems:
            print("PROBLEM", p)

    # failures are only retried when asked
    out = grader(course, "autograde", DAY, "--student", "malformed", "--student", "empty", *LIMITS).stdout
    assert "0 graded now" in out and "2 unchanged" in out, out
    out = grader(course, "autograde", DAY, "--student", "malformed", "--student", "empty", "--retry-failed",
                 *LIMITS).stdout
    assert "2 graded now" in out and "2 not graded" in out, out

    # a newer LMS download with correctb's resubmission: `all` collects it (keeping the old one), regrades
    # only that student, makes feedback and the report
    case_b = next(c for c in cases if c.student == "correctb")
    resubmitted = nbformat.reads(case_b.data.decode(), as_version=4)
    resubmitted.cells.append(nbformat.v4.new_markdown_cell("Resubmitted with a note."))
    with zipfile.ZipFile(archive / "lms.zip", "w") as zf:
        for case in cases:
            if case.zip_name:
                zf.writestr(case.zip_name, nbformat.writes(resubmitted) if case is case_b else case.data)
        zf.writestr("Dave Smith - homework.ipynb", cases[0].data)
    final = grader(course, "all", DAY, "--jobs", str(JOBS), *LIMITS).stdout
    assert f"collect {DAY}: 0 new, 1 updated" in final and f"{len(cases) - 1} unchanged" in final, final
    kept_old = list((course / ".grader" / DAY / "history").glob(f"*/correctb/{DAY}.ipynb"))
    assert [p.read_bytes() for p in kept_old] == [case_b.data], "the replaced submission was not kept"
    assert gradebook_state(course) == after, "`all` changed grades"
    assert "none shows hidden tests" in final, final
    secret = hidden_lines(solution)
    for html in (course / "feedback").glob(f"*/{DAY}/*.html"):
        text = html.read_text()
        assert "BEGIN HIDDEN TESTS" not in text and "course_grader" not in text and "__course_guard__" not in text
        assert not [code for code in secret if html_escape(code) in text], f"{html} shows hidden tests"
    with open(course / "grades.csv") as f:
        exported = [r for r in csv.DictReader(f) if r["assignment"] == DAY]
    assert sorted(r["student_id"] for r in exported) == sorted({c.student for c in cases}), \
        "grades.csv must have exactly one row per student"
    report = course / "reports" / DAY
    assert (report / "score_distribution.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with open(report / "review.csv") as f:
        reviewed = {r["student"] for r in csv.DictReader(f)}
    flagged = {c.student for c in cases if c.flag}
    assert flagged <= reviewed and "(not collected)" in reviewed
    assert not ({c.student for c in cases if not c.flag} & reviewed), "clean students in the review list"
    text = (report / "report.md").read_text()
    assert re.search(r"\| test_encode \|.*\| encode\('cab'\)", text), text
    # the feedback check catches a file that shows a hidden test
    planted = course / "feedback" / "planted" / DAY / f"{DAY}.html"
    planted.parent.mkdir(parents=True)
    planted.write_text(f"<pre>{html_escape(secret[0])}</pre>")
    count, leaks = feedback_leaks(Course(course), DAY)
    assert count == len(list((course / "feedback").glob(f"*/{DAY}/*.html"))) and len(leaks) == 1, leaks

    assert not problems, "\n".join(problems)
