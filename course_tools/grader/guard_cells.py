"""The guard cells: nbgrader preprocessors that the class-scale grader adds to `nbgrader autograde` inside a
per-student sandbox. They are configured only in the sandbox's own nbgrader_config.py (see sandbox.py),
never in the course's.

    InjectGuards   before Execute: a first cell installs the kernel guard (kernel_guard.py), and a guard
                   cell runs before and after every autograded test cell.
    CollectGuards  after Execute: reads the guards' authenticated reports, the cells' errors (timeouts,
                   MemoryError) and how each test cell failed, writes them to the sandbox's report.json
                   for the grader, and removes the injected cells, so the autograded notebook and the
                   feedback look as usual.
"""
from __future__ import annotations

import hmac
import hashlib
import json
import os
import secrets
from pathlib import Path

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbformat.v4 import new_code_cell
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Unicode

from course_tools.grader.kernel_guard import Label

MARKER = "@@course-grader-guard@@"
KERNEL_SOURCE = Path(__file__).with_name("kernel_guard.py")
ROLE = "course_grader"
GUARD_CELL_TIMEOUT = 300  # seconds: the first guard cell imports torch and course_lib, slow on a busy machine


def cell_timeout(cap: int):
    """nbgrader's time limit per cell in a sandbox (`Execute.timeout_func`): `cap` for the notebook's own
    cells, GUARD_CELL_TIMEOUT for the injected guard cells, so that a busy machine never interrupts the
    guard's set-up (the notebook cap still bounds the whole run)."""
    def timeout(cell: NotebookNode) -> int:
        return max(cap, GUARD_CELL_TIMEOUT) if ROLE in cell.get("metadata", {}) else cap
    return timeout


def _is_test(cell: NotebookNode) -> bool:
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


def _write_new(path: str, data: dict) -> None:
    """Write JSON to `path`, replacing whatever is there (a file, or a link planted by the notebook)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)


def _resolve(value, base: Path):
    """Paths written as ./x in the manifest are relative to the sandbox folder (see sandbox.py)."""
    if isinstance(value, str) and value.startswith("./"):
        return str((base / value[2:]).resolve()) if value != "./" else str(base)
    if isinstance(value, list):
        return [_resolve(v, base) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, base) for k, v in value.items()}
    return value


class InjectGuards(NbGraderPreprocessor):
    """Insert the guard cells (see the module docstring). `manifest` is the sandbox's JSON manifest."""

    enabled = Bool(True).tag(config=True)
    manifest = Unicode("", help="path of the sandbox manifest written by course_tools.grader.sandbox").tag(
        config=True)

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        base = Path(self.manifest).resolve().parent
        manifest = _resolve(json.loads(Path(self.manifest).read_text()), base)
        key = secrets.token_bytes(32)
        secret_file = Path(manifest["sandbox"]) / f".guard-key-{secrets.token_hex(8)}"
        fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key)
        config = dict(manifest["kernel"], secret_file=str(secret_file), marker=MARKER)
        install = (f"_course_guard_ns = {{'__name__': 'course_grader_guard'}}\n"
                   f"exec(compile({KERNEL_SOURCE.read_text()!r}, '<course-grader-guard>', 'exec'), "
                   f"_course_guard_ns)\n"
                   f"_course_guard_ns['install']({config!r})\n"
                   f"del _course_guard_ns\n")
        expected = []

        def guard_cell(label: str) -> NotebookNode:
            nonce = secrets.token_hex(16)
            expected.append((label, nonce))
            cell = new_code_cell(f"__course_guard__({label!r}, {nonce!r})")
            cell.metadata[ROLE] = {"label": label}
            return cell

        cells = []
        first = new_code_cell(install)
        first.metadata[ROLE] = {"label": Label.INSTALL}
        cells += [first, guard_cell(Label.START)]
        for cell in nb.cells:
            if _is_test(cell):
                gid = cell.metadata.nbgrader["grade_id"]
                cells += [guard_cell(Label.PRE + gid), cell, guard_cell(Label.POST + gid)]
            else:
                cells.append(cell)
        cells.append(guard_cell(Label.END))
        nb.cells = cells
        resources[ROLE] = {"key": key, "expected": expected, "report": manifest["report"]}
        return nb, resources


class CollectGuards(NbGraderPreprocessor):
    """Verify and collect the guards' reports, note timeouts, memory errors and how each test cell failed
    (the first error's type, or "wrote to stderr"), remove the injected cells."""

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        info = resources.get(ROLE)
        if not info:
            return nb, resources
        key, expected = info["key"], dict(info["expected"])
        reports, problems, cell_errors, test_errors = {}, [], [], {}
        kept = []
        for index, cell in enumerate(nb.cells):
            role = cell.metadata.get(ROLE)
            if role is None:
                kept.append(cell)
                gid = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {len(kept)}"
                if _is_test(cell):
                    failure = _test_failure(cell)
                    if failure:
                        test_errors[gid] = failure
                for out in cell.get("outputs", []):
                    if out.get("output_type") == "error" and out.get("ename") in (
                            "CellTimeoutError", "MemoryError", "DeadKernelError", "RecursionError"):
                        cell_errors.append({"cell": gid, "ename": out.ename,
                                            "evalue": str(out.get("evalue", ""))[:300],
                                            "test": _is_test(cell)})
                    elif (out.get("output_type") == "error" and "can't allocate memory" in
                          str(out.get("evalue", ""))):
                        cell_errors.append({"cell": gid, "ename": "MemoryError",
                                            "evalue": str(out.get("evalue", ""))[:300], "test": _is_test(cell)})
                continue
            label = role["label"]
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if errors:
                problems.append(f"guard cell {label!r} failed: {errors[0].get('ename')}: "
                                f"{str(errors[0].get('evalue', ''))[:200]}")
            if label == Label.INSTALL:
                continue
            found = None
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream":
                    for line in out.get("text", "").splitlines():
                        if line.startswith(MARKER + " "):
                            found = line[len(MARKER) + 1:]
            if found is None:
                problems.append(f"guard {label!r} did not report (the kernel's execution was altered)")
                continue
            mac, _, body = found.partition(" ")
            good = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
            try:
                report = json.loads(body)
            except ValueError:
                report = None
            if not hmac.compare_digest(mac, good) or not report or report.get("nonce") != expected.get(label) \
                    or report.get("label") != label:
                problems.append(f"guard {label!r} printed a forged or replayed report")
                continue
            reports[label] = report
        missing = [label for label in expected if label not in reports]
        nb.cells = kept
        _write_new(info["report"], {"reports": reports, "problems": problems, "cell_errors": cell_errors,
                                    "test_errors": test_errors, "missing": missing,
                                    "expected": [label for label, _ in info["expected"]]})
        return nb, resources


def _test_failure(cell: NotebookNode) -> str | None:
    """How a test cell failed, from its outputs: the error's type (CellTimeoutError rather than the
    KeyboardInterrupt that stopped the cell), else "wrote to stderr" (nbgrader scores a test cell that
    writes to stderr 0), else None."""
    outputs = cell.get("outputs", [])
    errors = [str(out.get("ename", "error")) for out in outputs if out.get("output_type") == "error"]
    if errors:
        return "CellTimeoutError" if "CellTimeoutError" in errors else errors[0]
    if any(out.get("output_type") == "stream" and out.get("name") == "stderr" for out in outputs):
        return "wrote to stderr"
    return None
