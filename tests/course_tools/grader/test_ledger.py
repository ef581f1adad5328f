"""Recording grades: one ledger entry per student that survives its file and older versions of the grader,
and the guards' reports turned into review reasons, failed checks by name and tests to grade by hand."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from course_tools.grader.course import Course
from course_tools.grader.kernel_guard import Event, Label
from course_tools.grader.ledger import EVENT_TEXT, FLAGGED, GRADER_VERSION, Entry, read_ledger, read_report
from course_tools.grader.sandbox import Limits

LIMITS = Limits(cell_timeout=10, notebook_timeout=60, memory_mb=2500)
TESTS = ["test_encode", "test_build_vocab"]


def course(tmp_path: Path) -> Course:
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    return Course(tmp_path)


def test_every_guard_event_kind_reads_as_words() -> None:
    kinds = {v for k, v in vars(Event).items() if not k.startswith("_")}
    assert kinds == set(EVENT_TEXT)


def test_an_entry_survives_a_round_trip_through_its_file(tmp_path: Path) -> None:
    entry = Entry(student="ada", day="day01_rnn", submission_sha256="abc", status=FLAGGED, flags=["why"],
                  failures={"test_encode": "encode('cab')"}, scores={"test_encode": [0.0, 1.0]}, limits={"a": 1})
    entry.save(course(tmp_path))
    assert read_ledger(course(tmp_path), "day01_rnn") == {"ada": entry}
    assert (tmp_path / ".grader" / "day01_rnn" / "ledger" / "ada.json").is_file()


def test_an_entry_written_by_an_older_grader_still_loads() -> None:
    old = {k: v for k, v in asdict(Entry("ada", "day01_rnn", "abc", "graded")).items() if k != "failures"}
    entry = Entry.from_dict(dict(old, grader_version=1, something_removed_since=3))
    assert entry.failures == {} and entry.grader_version == 1 != GRADER_VERSION


def guard(label: str, findings=(), events=(), outcome=None) -> dict:
    return {"label": label, "findings": list(findings), "events": list(events), "outcome": outcome}


def test_the_guard_reports_name_the_failed_check_and_the_tests_that_ran_while_something_was_tampered_with() -> None:
    report = {
        "expected": [Label.START, Label.PRE + "test_encode", Label.POST + "test_encode",
                     Label.PRE + "test_build_vocab", Label.POST + "test_build_vocab", Label.END],
        "reports": {
            Label.START: guard(Label.START),
            Label.PRE + "test_encode": guard(Label.PRE + "test_encode", findings=["numpy.array_equal was replaced"]),
            Label.POST + "test_encode": guard(Label.POST + "test_encode",
                                              outcome={"error": "CheckFailed", "check": "encode('cab')"}),
            Label.PRE + "test_build_vocab": guard(Label.PRE + "test_build_vocab"),
            Label.POST + "test_build_vocab": guard(Label.POST + "test_build_vocab", events=[
                {"kind": Event.MODULE_ATTRIBUTE, "detail": "m._fail = ...", "phase": "while test_build_vocab ran",
                 "test": "test_build_vocab"}]),
            Label.END: guard(Label.END),
        },
        "test_errors": {"test_encode": "CheckFailed", "test_build_vocab": "NameError"},
        "cell_errors": [{"cell": "rnn_module", "ename": "MemoryError"}],
        "problems": [], "missing": [],
    }
    found = read_report(report, TESTS, LIMITS)
    assert found.failures == {"test_encode": "encode('cab')", "test_build_vocab": "NameError"}
    assert found.suspect == ["test_build_vocab"]
    assert found.flags == [
        "tampering before test_encode ran (restored, so test_encode was graded with the real checks): "
        "numpy.array_equal was replaced",
        "blocked changing the module attribute m._fail = ... (while test_build_vocab ran)",
        "rnn_module ran out of memory (cap 2500 MB)"]


def test_a_guard_that_did_not_report_is_a_review_reason() -> None:
    found = read_report({"expected": [Label.START], "reports": {}, "missing": [Label.START], "problems": []},
                        TESTS, LIMITS)
    assert found.flags == ["guard 'start' did not report"]
