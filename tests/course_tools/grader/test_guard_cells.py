"""The guard cells in a sandbox: injected around every test cell, their reports verified (a forged one is a
finding), how each test cell failed collected, and every injected cell gone from the graded notebook."""
from __future__ import annotations

import copy
import hashlib
import hmac
import json
from pathlib import Path

import nbformat
from nbformat.v4 import new_output

from course_tools.grader.guard_cells import (GUARD_CELL_TIMEOUT, MARKER, ROLE, CollectGuards, InjectGuards,
                                             cell_timeout)
from course_tools.grader.kernel_guard import Label
from course_tools.notebooks import exercises, grade_id, read
from support import ROOT

DAY = "day01_rnn"
RELEASE = read(ROOT / "notebooks" / DAY / f"{DAY}.ipynb")
TESTS = [ex["test_id"] for ex in exercises(read(ROOT / "solutions" / DAY / f"{DAY}.ipynb"))]


def inject(tmp_path: Path):
    (tmp_path / "manifest.json").write_text(json.dumps({"sandbox": "./", "report": "./report.json", "kernel": {}}))
    nb, resources = InjectGuards(manifest=str(tmp_path / "manifest.json")).preprocess(copy.deepcopy(RELEASE), {})
    return nb, resources


def test_a_guard_cell_runs_before_and_after_every_test_cell(tmp_path: Path) -> None:
    nb, _ = inject(tmp_path)
    labels = [c.metadata[ROLE]["label"] if ROLE in c.metadata else grade_id(c) for c in nb.cells]
    assert labels[:2] == [Label.INSTALL, Label.START] and labels[-1] == Label.END
    for test in TESTS:
        at = labels.index(test)
        assert labels[at - 1:at + 2] == [Label.PRE + test, test, Label.POST + test]
    assert len(list(tmp_path.glob(".guard-key-*"))) == 1  # the report key, read and deleted by the first cell


def test_reports_are_verified_failures_collected_and_injected_cells_removed(tmp_path: Path) -> None:
    nb, resources = inject(tmp_path)
    info = resources[ROLE]
    key, nonces = info["key"], dict(info["expected"])
    for cell in nb.cells:
        label = cell.metadata.get(ROLE, {}).get("label")
        if label and label != Label.INSTALL:
            body = json.dumps({"label": label, "nonce": nonces[label], "findings": [], "events": [], "outcome": None})
            mac = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
            if label == Label.POST + TESTS[1]:
                mac = "0" * 64  # forged
            cell.outputs = [new_output("stream", name="stdout", text=f"{MARKER} {mac} {body}\n")]
        elif grade_id(cell) == TESTS[0]:
            cell.outputs = [new_output("stream", name="stderr", text="warning\n"),
                            new_output("error", ename="CheckFailed", evalue="x: y", traceback=[])]
        elif grade_id(cell) == TESTS[2]:
            cell.outputs = [new_output("error", ename="KeyboardInterrupt", evalue="", traceback=[]),
                            new_output("error", ename="CellTimeoutError", evalue="", traceback=[])]
    graded, _ = CollectGuards().preprocess(nb, resources)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["test_errors"] == {TESTS[0]: "CheckFailed", TESTS[2]: "CellTimeoutError"}
    assert report["problems"] == [f"guard '{Label.POST + TESTS[1]}' printed a forged or replayed report"]
    assert report["missing"] == [Label.POST + TESTS[1]]
    assert [grade_id(c) for c in graded.cells] == [grade_id(c) for c in RELEASE.cells]
    assert all(ROLE not in c.metadata for c in graded.cells)


def test_guard_cells_get_longer_than_the_cell_cap_and_notebook_cells_do_not() -> None:
    timeout = cell_timeout(10)
    assert timeout(nbformat.v4.new_code_cell("x", metadata={ROLE: {"label": Label.INSTALL}})) == GUARD_CELL_TIMEOUT
    assert timeout(RELEASE.cells[1]) == 10
