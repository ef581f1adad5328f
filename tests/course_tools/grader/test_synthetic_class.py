"""The class-scale grader's promises, on a synthetic Day 01 class (tests/graderclass/day01.py): honest answers
(each student's own, from tests/graderclass/day01_corpus.py), realistic bugs, edited/deleted locked cells,
renamed/malformed/empty files, an infinite loop, a hang that ignores interrupts, a memory hog, a kernel crash,
noisy stderr, cheats that monkeypatch the checkers (torch.testing, numpy, builtins, course_lib's checks,
__code__, IPython hooks) or read the course's solution, test and gradebook files, cheats that reach the course's
reference by every route (a list, a closure, a default argument, functools.partial, a bound method, gc), a
pasted-and-renamed reference and two students sharing an answer (copy detection).

The class is graded once, by the fixture, through the grader's real commands in the order an instructor
would use them; each test then checks one promise against what was observed. With -s the case -> outcome
matrix, the copy-detection figures and the time of each stage are printed. The copy detector's false-positive
rate is measured apart, without nbgrader: the corpus checked in one live kernel, then compared pair by pair."""
from __future__ import annotations

import csv
import json
import re
import shutil
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from course_tools.grader.course import Course, folder_hash
from course_tools.grader.feedback import feedback_leaks, html_escape
from course_tools.grader.ledger import Entry, read_ledger
from course_tools.grader.similarity import THRESHOLD
from course_tools.notebooks import cells_by_id, read, secret_lines
from graderclass.copying import failing_corpus_answers, false_positive_rate
from graderclass.day01 import DAY, Case, build
from support import ROOT
from support.grader import course_copy, gradebook_state, run_grader, run_nbgrader

pytestmark = pytest.mark.slow

JOBS = 2
LIMITS = ["--cell-timeout", "10", "--notebook-timeout", "60", "--memory-mb", "2500"]
# graded one at a time by stock `nbgrader autograde` (timed, and to show what the cheats would score there);
# then these and correct-a (its manual grade, its kept sandbox) are forced through the grader again in parallel
CHEATS = ["patch-checks", "shadow-all", "ipython-hooks"]
BASELINE = ["correct-a", *CHEATS]
MANUAL_SCORE = 1.5  # given to correct-a's reflection, as in the formgrader
UNMATCHED = "Dave Smith - homework.ipynb"  # in the LMS download, matches no student
FALSE_POSITIVE_BOUND = 0.01  # at most this share of pairs of independently written correct answers is flagged
COPYING = "possible copying: "


def patterns(case: Case) -> tuple:
    return () if case.flag is None else (case.flag,) if isinstance(case.flag, str) else tuple(case.flag)


@dataclass
class ClassRun:
    """What the fixture saw, stage by stage."""
    course: Path
    release: nbformat.NotebookNode
    cases: list[Case]
    handed_in: dict[str, str] = field(default_factory=dict)        # student -> submitted folder hash
    after_grading: dict[str, str] = field(default_factory=dict)    # the same after every grading step
    collected: str = ""
    graded: str = ""                                                # first autograde's output
    parallel_s: float = 0.0
    ledger: dict[str, Entry] = field(default_factory=dict)          # after the first autograde
    book: dict = field(default_factory=dict)                        # gradebook after it, plus the manual grade
    rerun: str = ""
    after_rerun: dict = field(default_factory=dict)
    stock: dict = field(default_factory=dict)                       # gradebook after stock nbgrader on BASELINE
    serial_s: float = 0.0
    regraded: str = ""
    regrade_s: float = 0.0
    after_regrade: dict = field(default_factory=dict)
    ledger_after_regrade: dict[str, Entry] = field(default_factory=dict)
    moved_report: dict = field(default_factory=dict)
    moved_scores: dict = field(default_factory=dict)
    retry_unchanged: str = ""
    retry_failed: str = ""
    final: str = ""                                                  # `all` after a resubmission
    after_all: dict = field(default_factory=dict)
    kept_old: list[bytes] = field(default_factory=list)
    feedback_files: list[Path] = field(default_factory=list)
    planted_leaks: tuple[int, list[str]] = (0, [])
    copy_flags: dict[str, list[str]] = field(default_factory=dict)  # student -> copy-detection reasons (report)
    stages: dict[str, float] = field(default_factory=dict)          # seconds per stage of the fixture

    def case(self, student: str) -> Case:
        return next(c for c in self.cases if c.student == student)

    def answered_reflection(self, student: str) -> bool:
        """The student wrote something in the reflection (left as released, it scores 0 automatically)."""
        nb = nbformat.reads(self.case(student).data.decode(), as_version=4)
        return cells_by_id(nb)["reflection"].source != cells_by_id(self.release)["reflection"].source

    def test_cells(self) -> list[str]:
        return [t for t in next(iter(self.book.values())) if t.startswith("test_")]

    def flags(self, student: str) -> list[str]:
        """Every review reason for a student: the grader's (ledger) and the copy detection's (report)."""
        return self.ledger[student].flags + self.copy_flags.get(student, [])


def lms_zip(path: Path, cases: list[Case], replace: dict[str, bytes] | None = None) -> None:
    """An LMS download: the cases that hand in through it, and a file that matches no student."""
    with zipfile.ZipFile(path, "w") as zf:
        for case in cases:
            if case.zip_name:
                zf.writestr(case.zip_name, (replace or {}).get(case.student, case.data))
        zf.writestr(UNMATCHED, cases[0].data)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> ClassRun:
    clock = [time.perf_counter()]
    stages: dict[str, float] = {}

    def done(stage: str) -> None:
        now = time.perf_counter()
        stages[stage] = now - clock[0]
        clock[0] = now

    tmp = tmp_path_factory.mktemp("class")
    course = course_copy(tmp, DAY)
    run_grader(course, "release", DAY)
    release = read(course / "notebooks" / DAY / f"{DAY}.ipynb")
    assert release == read(ROOT / "notebooks" / DAY / f"{DAY}.ipynb"), "the release differs from the committed one"
    cases = build(release, read(course / "solutions" / DAY / f"{DAY}.ipynb"))
    r = ClassRun(course, release, cases, stages=stages)
    gradebook = course / "gradebook.db"

    # hand-ins: most straight into submitted/, some through an LMS download with one unmatched file
    archive = course / "downloaded" / DAY / "archive"
    archive.mkdir(parents=True)
    lms_zip(archive / "lms.zip", cases)
    for case in cases:
        if not case.zip_name:
            target = course / "submitted" / case.student / DAY / case.filename
            target.parent.mkdir(parents=True)
            target.write_bytes(case.data)
    r.collected = run_grader(course, "collect", DAY, "--zip").stdout
    r.handed_in = {c.student: folder_hash(course / "submitted" / c.student / DAY) for c in cases}
    done("release, build the class, collect")

    start = time.perf_counter()
    r.graded = run_grader(course, "autograde", DAY, "--jobs", str(JOBS), *LIMITS).stdout
    r.parallel_s = time.perf_counter() - start
    r.ledger = read_ledger(Course(course), DAY)
    done("autograde the class")

    # an instructor grades one reflection by hand; then a rerun must skip everything
    with Gradebook(f"sqlite:///{gradebook}") as gb:
        gb.find_grade("reflection", DAY, DAY, "correct-a").manual_score = MANUAL_SCORE
        gb.db.commit()
    r.book = gradebook_state(gradebook, DAY)
    r.rerun = run_grader(course, "autograde", DAY, "--jobs", str(JOBS), *LIMITS).stdout
    r.after_rerun = gradebook_state(gradebook, DAY)
    done("manual grade, rerun")

    # stock nbgrader one at a time on three cheats (they score more there), then the grader puts it right
    start = time.perf_counter()
    for student in CHEATS:
        run_nbgrader(course, "autograde", DAY, "--student", student, "--force")
    r.serial_s = time.perf_counter() - start
    r.stock = gradebook_state(gradebook, DAY)
    start = time.perf_counter()
    r.regraded = run_grader(course, "autograde", DAY, "--jobs", str(JOBS), "--force", "--keep-sandboxes", *LIMITS,
                            *[arg for s in BASELINE for arg in ("--student", s)]).stdout
    r.regrade_s = time.perf_counter() - start
    r.after_regrade = gradebook_state(gradebook, DAY)
    r.ledger_after_regrade = read_ledger(Course(course), DAY)
    done("stock nbgrader on the cheats, forced regrade")

    # a kept sandbox is a self-contained grading job: moved elsewhere, plain nbgrader grades it
    sandboxes = Path(re.search(r"sandboxes kept in (\S+)", r.regraded).group(1))
    moved = tmp / "moved" / "correct-a"
    shutil.copytree(sandboxes / "correct-a", moved, ignore=shutil.ignore_patterns("autograded", "report.json"))
    shutil.rmtree(sandboxes)
    run_nbgrader(moved, "autograde", DAY, "--student", "correct-a", "--force",
                 TMPDIR=str(moved / "tmp"), JUPYTER_RUNTIME_DIR=str(moved / "runtime"))
    r.moved_report = json.loads((moved / "report.json").read_text())
    r.moved_scores = {t: v[0] for t, v in gradebook_state(moved / "gradebook.db", DAY)["correct-a"].items()}
    done("kept sandbox graded elsewhere")

    # failures are retried only when asked
    failed = ["--student", "malformed", "--student", "empty"]
    r.retry_unchanged = run_grader(course, "autograde", DAY, *failed, *LIMITS).stdout
    r.retry_failed = run_grader(course, "autograde", DAY, *failed, "--retry-failed", *LIMITS).stdout
    r.after_grading = {c.student: folder_hash(course / "submitted" / c.student / DAY) for c in cases}

    # a newer LMS download with correctb's resubmission; `all` collects, grades, makes feedback and the report
    resubmitted = nbformat.reads(r.case("correctb").data.decode(), as_version=4)
    resubmitted.cells.append(nbformat.v4.new_markdown_cell("Resubmitted with a note."))
    lms_zip(archive / "lms.zip", cases, replace={"correctb": nbformat.writes(resubmitted).encode()})
    r.final = run_grader(course, "all", DAY, "--jobs", str(JOBS), *LIMITS).stdout
    r.after_all = gradebook_state(gradebook, DAY)
    r.kept_old = [p.read_bytes() for p in (course / ".grader" / DAY / "history").glob(f"*/correctb/{DAY}.ipynb")]
    r.feedback_files = sorted((course / "feedback").glob(f"*/{DAY}/*.html"))
    r.copy_flags = {}
    for row in read_csv(course / "reports" / DAY / "review.csv"):
        if row["reason"].startswith(COPYING):
            r.copy_flags.setdefault(row["student"], []).append(row["reason"])
    done("retries, resubmission through `all` (feedback, report with copy detection)")

    # the feedback check, shown a file with a hidden test in it
    planted = course / "feedback" / "planted" / DAY / f"{DAY}.html"
    planted.parent.mkdir(parents=True)
    hidden = sorted(secret_lines(read(course / "solutions" / DAY / f"{DAY}.ipynb"), regions=("HIDDEN TESTS",)))
    planted.write_text(f"<pre>{html_escape(hidden[0])}</pre>")
    r.planted_leaks = feedback_leaks(Course(course), DAY)
    shutil.rmtree(planted.parent.parent)
    done("feedback leak check")

    print_matrix(r, request)
    return r


def print_matrix(r: ClassRun, request: pytest.FixtureRequest) -> None:
    """The case -> outcome matrix and the throughput, shown with -s."""
    if request.config.getoption("capture") != "no":
        return
    tests = r.test_cells()
    width = max(len(c.student) for c in r.cases)
    print(f"\n\nGrader matrix ({len(r.cases)} submissions of {DAY}, --jobs {JOBS}, cell cap 10 s, notebook cap 60 s, "
          f"memory cap 2500 MB)")
    for case in r.cases:
        entry = r.ledger[case.student]
        total = sum((entry.scores or {}).get(t, [0])[0] or 0 for t in tests) if entry.graded else None
        flags = r.flags(case.student)
        reason = next((f for f in flags if any(re.search(p, f) for p in patterns(case))), (flags or [""])[0])
        print(f"  {case.student:<{width}}  {case.what[:44]:<44}  {entry.status:<16} "
              f"{'-' if total is None else f'{total:g}':>4}  {reason[:95]}")
    totals = {s: (sum(r.stock[s][t][0] for t in tests), sum(r.book[s][t][0] for t in tests)) for s in CHEATS}
    print("\nThe same cheats graded by stock nbgrader: "
          + ", ".join(f"{s} {stock:g} (grader: {honest:g})" for s, (stock, honest) in totals.items()))
    print("\nThroughput on this machine:")
    print(f"  whole class, parallel grader:             {len(r.cases)} in {r.parallel_s:5.1f} s = "
          f"{len(r.cases) / r.parallel_s * 60:5.1f}/min (includes cell timeouts, a hang, a crash, unreadable files)")
    print(f"  {len(CHEATS)} submissions, stock nbgrader one at a time: {r.serial_s:5.1f} s = "
          f"{len(CHEATS) / r.serial_s * 60:5.1f}/min")
    print(f"  these and correct-a, parallel grader --force: {r.regrade_s:5.1f} s = "
          f"{len(BASELINE) / r.regrade_s * 60:5.1f}/min")
    print(r.graded.splitlines()[0])
    print("\nCopy detection (report.md, review.csv):")
    for student in ("paste", "share-a", "share-b"):
        print(f"  {student:<8} " + "; ".join(r.copy_flags.get(student, ["not flagged"])))
    print("\nTime per stage: " + ", ".join(f"{k} {v:.0f} s" for k, v in r.stages.items())
          + f"; total {sum(r.stages.values()):.0f} s")


def autograded_scores(entry: Entry) -> dict[str, float]:
    return {t: s[0] for t, s in (entry.scores or {}).items() if t.startswith("test_")}


# ------------------------------------------------------------------------------------------- grading
def test_every_case_is_graded_with_its_expected_scores_or_not_graded_as_specified(run: ClassRun) -> None:
    problems = []
    for case in run.cases:
        entry = run.ledger[case.student]
        if case.scores is None:
            if entry.graded:
                problems.append(f"{case.student}: graded, expected not graded ({entry.flags})")
            continue
        if not entry.graded:
            problems.append(f"{case.student}: not graded: {entry.flags}")
            continue
        got = autograded_scores(entry)
        wrong = {t: (got.get(t), v) for t, v in case.scores.items() if t not in case.loose and got.get(t) != v}
        if wrong:
            problems.append(f"{case.student}: wrong scores (got, expected) {wrong}; flags {entry.flags}")
    assert not problems, "\n".join(problems)


def test_every_case_is_flagged_with_a_matching_reason_or_not_at_all(run: ClassRun) -> None:
    problems = []
    for case in run.cases:
        flags = run.flags(case.student)
        if case.flag is None and flags:
            problems.append(f"{case.student}: flagged but should not be: {flags}")
        for pattern in patterns(case):
            if not any(re.search(pattern, f) for f in flags):
                problems.append(f"{case.student}: no review reason matching {pattern!r}: {flags}")
    assert not problems, "\n".join(problems)


def test_a_test_that_ran_while_checks_were_tampered_with_is_marked_for_manual_grading(run: ClassRun) -> None:
    loose = [c for c in run.cases if c.loose]
    assert loose
    for case in loose:
        assert all(run.book[case.student][t][2] for t in case.loose), case.student
        assert set(case.loose) <= set(run.ledger[case.student].suspect_cells)


def test_the_ledger_holds_the_scores_the_gradebook_holds(run: ClassRun) -> None:
    for case in run.cases:
        entry = run.ledger[case.student]
        if entry.graded:
            got = autograded_scores(entry)
            assert got == {t: run.book[case.student][t][0] for t in got}, case.student


def test_nothing_is_lost_and_no_submission_is_changed(run: ClassRun) -> None:
    assert set(run.ledger) == {c.student for c in run.cases}, "every submitted folder must have a ledger entry"
    changed = [s for s, digest in run.handed_in.items() if run.after_grading[s] != digest]
    assert not changed, f"grading changed the submitted files of {changed}"
    assert not list((run.course / "autograded").glob("*/*/*course_grader*"))


def test_collect_lists_a_file_of_the_download_that_matches_no_student(run: ClassRun) -> None:
    assert "not collected" in run.collected and "Dave Smith" in run.collected, run.collected


def test_the_ledger_names_the_check_each_failing_test_failed(run: ClassRun) -> None:
    """The name comes from the CheckFailed itself (its `.check`), reported by the kernel guard."""
    failures = run.ledger["bugs-a"].failures
    assert failures.get("test_encode") == "encode('cab', stoi)", failures
    assert run.ledger["stub"].failures.get("test_encode") == "encode('cab', stoi)", run.ledger["stub"].failures
    failures = run.ledger["read-files"].failures  # encode never defined: the test cell's own NameError
    assert failures.get("test_encode") == "NameError", failures


# ------------------------------------------------------------------------------------------- reruns
def test_a_rerun_skips_unchanged_work_and_changes_nothing(run: ClassRun) -> None:
    assert f"{len(run.cases)} unchanged" in run.rerun and "0 graded now" in run.rerun, run.rerun
    assert run.after_rerun == run.book, "a rerun changed the gradebook"


def test_cheats_that_fool_stock_nbgrader_score_honestly_under_the_grader(run: ClassRun) -> None:
    tests = run.test_cells()
    for student in CHEATS:
        stock = sum(run.stock[student][t][0] for t in tests)
        honest = sum(run.book[student][t][0] for t in tests)
        assert stock > honest, f"{student}: stock nbgrader gave {stock}, the grader {honest}: no cheat shown"
        assert {t: run.after_regrade[student][t][0] for t in tests} == {t: run.book[student][t][0] for t in tests}


def test_a_forced_regrade_keeps_grades_flags_and_manual_scores(run: ClassRun) -> None:
    for student in BASELINE:
        assert run.after_regrade[student] == run.book[student], f"{student}: a forced regrade changed the grades"
        assert run.ledger_after_regrade[student].flags == run.ledger[student].flags, student
    assert run.after_regrade["correct-a"]["reflection"][1] == MANUAL_SCORE, "the manual grade was lost"


def test_a_kept_sandbox_moved_elsewhere_grades_the_same_with_plain_nbgrader(run: ClassRun) -> None:
    assert not run.moved_report["problems"] and not run.moved_report["missing"], run.moved_report
    assert {t: v for t, v in run.moved_scores.items() if t.startswith("test_")} == \
        {t: v[0] for t, v in run.book["correct-a"].items() if t.startswith("test_")}


def test_submissions_that_were_not_graded_are_retried_only_when_asked(run: ClassRun) -> None:
    assert "0 graded now" in run.retry_unchanged and "2 unchanged" in run.retry_unchanged, run.retry_unchanged
    assert "2 graded now" in run.retry_failed and "2 not graded" in run.retry_failed, run.retry_failed


def test_all_collects_a_resubmission_keeps_the_old_one_and_regrades_only_that_student(run: ClassRun) -> None:
    assert f"collect {DAY}: 0 new, 1 updated" in run.final, run.final
    assert f"{len(run.cases) - 1} unchanged" in run.final, run.final
    assert run.kept_old == [run.case("correctb").data], "the replaced submission was not kept"
    assert run.after_all == run.after_regrade, "`all` changed grades"


# ------------------------------------------------------------------------------------------- feedback
def test_feedback_shows_no_hidden_test(run: ClassRun) -> None:
    assert "none shows hidden tests" in run.final, run.final
    assert run.feedback_files
    hidden = secret_lines(read(run.course / "solutions" / DAY / f"{DAY}.ipynb"), regions=("HIDDEN TESTS",))
    for path in run.feedback_files:
        html = path.read_text()
        assert "BEGIN HIDDEN TESTS" not in html and "course_grader" not in html and "__course_guard__" not in html
        assert not [code for code in hidden if html_escape(code) in html], f"{path} shows hidden tests"


def test_the_feedback_check_catches_a_file_that_shows_a_hidden_test(run: ClassRun) -> None:
    count, leaks = run.planted_leaks
    assert count == len(run.feedback_files) + 1 and len(leaks) == 1 and "planted" in leaks[0], leaks


# ------------------------------------------------------------------------------------------- report
def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_grades_csv_has_one_row_per_student_and_marks_hand_grading_still_to_do(run: ClassRun) -> None:
    rows = {r["student_id"]: r for r in read_csv(run.course / "grades.csv") if r["assignment"] == DAY}
    assert sorted(rows) == sorted(c.student for c in run.cases), "grades.csv must have exactly one row per student"
    assert rows["correct-a"]["score_status"] == "final" and not rows["correct-a"]["awaiting_hand_grading"]
    assert rows["correctb"]["score_status"] == "provisional"
    assert rows["correctb"]["awaiting_hand_grading"] == "reflection (2 points)"
    assert rows["malformed"]["score_status"] == "not graded"


def test_the_report_shows_reflections_waiting_for_hand_grading(run: ClassRun) -> None:
    """Answered reflections wait for a grader; one left as released (the stub's) scores 0 automatically."""
    graded = [c.student for c in run.cases if run.ledger[c.student].graded]
    scores = {r["student"]: r for r in read_csv(run.course / "reports" / DAY / "scores.csv")}
    assert scores["correct-a"]["reflection"] == f"{MANUAL_SCORE}" and scores["correct-a"]["score_status"] == "final"
    unanswered = [s for s in graded if not run.answered_reflection(s)]
    waiting = [s for s in graded if run.answered_reflection(s) and s != "correct-a"]
    assert "stub" in unanswered and len(waiting) > 15
    for student in unanswered:
        assert scores[student]["reflection"] == "0.0" and scores[student]["score_status"] == "final", student
    for student in waiting:
        assert scores[student]["reflection"] == "pending" and scores[student]["score_status"] == "provisional"
        assert scores[student]["awaiting_hand_grading"] == "reflection"
    text = (run.course / "reports" / DAY / "report.md").read_text()
    assert f"**Hand grading to do:** {len(waiting)} of {len(graded)} graded submissions" in text, text
    mean = MANUAL_SCORE / (1 + len(unanswered))
    assert f"| reflection | 2 | {1 + len(unanswered)} | {len(waiting)} | {mean:.2f} |" in text, text


def test_the_report_names_the_most_common_failing_check(run: ClassRun) -> None:
    text = (run.course / "reports" / DAY / "report.md").read_text()
    assert re.search(r"\| test_encode \|.*\| encode\('cab', stoi\) \(\d+×\) \|", text), text


def test_the_review_list_holds_every_flagged_case_and_no_clean_one(run: ClassRun) -> None:
    reviewed = {r["student"] for r in read_csv(run.course / "reports" / DAY / "review.csv")}
    assert {c.student for c in run.cases if c.flag} <= reviewed and "(not collected)" in reviewed
    assert not ({c.student for c in run.cases if not c.flag} & reviewed), "clean students in the review list"


def test_the_report_has_the_score_distribution_plot(run: ClassRun) -> None:
    assert (run.course / "reports" / DAY / "score_distribution.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------------------------------------- copy detection
def test_copy_detection_flags_the_pasted_reference_and_both_sharing_students_and_shows_them_side_by_side(
        run: ClassRun) -> None:
    """The report's review list names the pasted reference and both students of the shared answer; report.md
    shows each flagged pair side by side; the honest students are not flagged (see the review-list test)."""
    for student, other in [("paste", "course_lib's reference course_lib.gradients.clipping.clip_grad_norm"),
                           ("share-a", "student share-b's answer"), ("share-b", "student share-a's answer")]:
        scores = [float(m) for f in run.copy_flags.get(student, []) if other in f
                  for m in re.findall(r"similarity (\d\.\d\d)", f)]
        assert scores and max(scores) >= THRESHOLD, (student, run.copy_flags.get(student))
    text = (run.course / "reports" / DAY / "report.md").read_text()
    assert "## Possible copying" in text
    assert re.search(r"### rnn_module: student share-a and student share-b: similarity \d\.\d\d\n\n<table>", text)
    assert re.search(r"### clip_grad_norm: student paste and course_lib's reference [\w.]+: similarity", text)


def test_copy_detection_false_positive_rate_on_independently_written_correct_answers() -> None:
    """Without nbgrader: every corpus answer passes its exercise's full test cell in a live kernel, then the
    detector runs on each exercise's corpus as on a class (with the references and the solution) and at most
    FALSE_POSITIVE_BOUND of the pairs may be flagged. The figures are printed."""
    solution = read(ROOT / "solutions" / DAY / f"{DAY}.ipynb")
    release = read(ROOT / "notebooks" / DAY / f"{DAY}.ipynb")
    rate = false_positive_rate(release, solution)
    print(f"\n\nCopy detection on {sum(1 for _ in rate.too_short)} exercises' corpora of independently written "
          f"correct answers: {len(rate.flagged)} of {rate.pairs} pairs flagged ({rate.rate:.2%}; {rate.judged} "
          f"pairs judged, the others involve an answer too short to judge: "
          + ", ".join(f"{k} {v}" for k, v in rate.too_short.items() if v) + ")")
    for gid, (score, a, b) in rate.highest.items():
        print(f"  {gid:<15} most similar judged pair: {a} / {b} {score:.2f} (threshold {THRESHOLD})")
    failing = failing_corpus_answers(solution, ROOT / "solutions" / DAY)
    assert not failing, "corpus answers that are not correct:\n" + "\n".join(failing)
    assert rate.rate <= FALSE_POSITIVE_BOUND, rate.flagged
