"""Checks before grading: what the class-scale grader makes of a submission before any of it runs. Which
file is the notebook, whether it is a readable notebook, whether the locked cells and nbgrader metadata
are the released ones (repairing a copy when they are not), which other files go along, and the static
scan (scan.py) of the code the student wrote. Every finding is a short sentence for the review list."""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

from course_tools.grader.scan import scan
from course_tools.notebooks import grade_id, nbgrader_meta

MAX_NOTEBOOK_BYTES = 20 * 2**20
# Python code a submission may carry: never copied next to the notebook (numpy.py would shadow numpy)
CODE_SUFFIXES = (".py", ".pyc", ".pth", ".so", ".pyd")
IGNORED = (".ipynb_checkpoints", "__pycache__", "__MACOSX", ".DS_Store")


@dataclass
class Prepared:
    """A submission after the pre-checks: the notebook to grade (None when there is nothing gradable)."""
    notebook: NotebookNode | None = None
    source_name: str | None = None
    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def locate(folder: Path, day: str) -> tuple[Path | None, list[str]]:
    """The submitted notebook in submitted/<student>/<day>/ and any finding about its name."""
    expected = folder / f"{day}.ipynb"
    if expected.is_file() and not expected.is_symlink():
        return expected, []
    candidates = sorted(p for p in folder.glob("*.ipynb") if p.is_file() and not p.is_symlink())
    if expected.is_symlink():
        return None, [f"{expected.name} is a symbolic link, not a file: not graded"]
    if len(candidates) == 1:
        return candidates[0], [f"renamed notebook: submitted as {candidates[0].name!r} instead of "
                               f"{expected.name!r} (graded as {expected.name})"]
    if candidates:
        return None, [f"no {expected.name}, but several notebooks ({', '.join(p.name for p in candidates)}): "
                      f"not graded, pick one by hand"]
    others = sorted(p.name for p in folder.iterdir() if p.name != "timestamp.txt") if folder.is_dir() else []
    return None, [f"no notebook submitted{' (files: ' + ', '.join(others[:8]) + ')' if others else ''}: not graded"]


def load(path: Path) -> tuple[NotebookNode | None, list[str]]:
    """Parse and validate a submitted notebook without executing anything."""
    size = path.stat().st_size
    if size == 0:
        return None, ["empty file (0 bytes): not graded"]
    if size > MAX_NOTEBOOK_BYTES:
        return None, [f"notebook is {size / 2**20:.0f} MB (limit {MAX_NOTEBOOK_BYTES / 2**20:.0f} MB): not graded"]
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        return None, [f"not UTF-8 text ({err.reason} at byte {err.start}): not graded"]
    if not text.strip():
        return None, ["empty file (only whitespace): not graded"]
    try:
        json.loads(text)
    except json.JSONDecodeError as err:
        return None, [f"malformed JSON ({err.msg}, line {err.lineno} column {err.colno}): not graded"]
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # noqa: BLE001 - nbformat raises several kinds
        return None, [f"not a valid notebook ({type(err).__name__}: {str(err).splitlines()[0][:160]}): not graded"]
    return nb, []


META_KEYS = ("grade", "solution", "locked", "points", "task")


def repair(nb: NotebookNode, release: NotebookNode) -> tuple[NotebookNode, list[str], list[str]]:
    """Compare a submission with the release. Locked cells that were deleted are put back (nbgrader then
    restores their hidden tests), edited nbgrader metadata and cell types are restored, and cells with
    nbgrader ids the release does not have lose their nbgrader metadata (nbgrader would crash on them).
    Edited locked cells are restored by nbgrader itself from the gradebook. Returns the notebook to
    grade, review flags and notes."""
    nb = copy.deepcopy(nb)
    flags: list[str] = []
    notes: list[str] = []
    rel_cells = [c for c in release.cells if grade_id(c)]
    rel_by_id = {grade_id(c): c for c in rel_cells}
    order = [grade_id(c) for c in rel_cells]

    seen: dict[str, int] = {}
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid is None:
            if any(nbgrader_meta(cell).get(key) for key in ("grade", "solution", "locked")):
                flags.append("a cell has nbgrader metadata without an id (metadata edited): metadata removed")
                cell.metadata.pop("nbgrader", None)
            continue
        if gid not in rel_by_id:
            flags.append(f"a cell carries the unknown nbgrader id {gid!r} (metadata edited): metadata removed")
            cell.metadata.pop("nbgrader", None)
            continue
        seen[gid] = seen.get(gid, 0) + 1
    for gid, count in seen.items():
        if count > 1 and nbgrader_meta(rel_by_id[gid]).get("locked"):
            flags.append(f"locked cell {gid!r} appears {count} times (copied); nbgrader grades the last copy")

    present = [grade_id(c) for c in nb.cells if grade_id(c) in rel_by_id]
    for gid in order:
        rel = rel_by_id[gid]
        meta = nbgrader_meta(rel)
        mine = [c for c in nb.cells if grade_id(c) == gid]
        if not mine:
            if meta.get("locked"):
                kind = "test" if meta.get("grade") else "read-only"
                flags.append(f"deleted locked {kind} cell {gid!r}: put back before grading")
                _insert_after_previous(nb, copy.deepcopy(rel), gid, order)
            else:
                notes.append(f"answer cell {gid!r} was deleted (its code may be elsewhere)")
            continue
        for cell in mine:
            changed = [k for k in META_KEYS if nbgrader_meta(cell).get(k) != meta.get(k)]
            if changed:
                flags.append(f"nbgrader metadata of cell {gid!r} edited ({', '.join(changed)}): restored")
                cell.metadata["nbgrader"] = copy.deepcopy(rel.metadata["nbgrader"])
            if cell.cell_type != rel.cell_type:
                flags.append(f"cell {gid!r} changed from {rel.cell_type} to {cell.cell_type}: restored")
                _set_type(cell, rel.cell_type)
            if meta.get("locked") and cell.source != rel.source:
                kind = "test" if meta.get("grade") else "read-only"
                flags.append(f"edited locked {kind} cell {gid!r}: nbgrader grades the original")
    if [g for g in dict.fromkeys(present)] != [g for g in order if g in present]:
        flags.append("nbgrader cells were moved out of the released order")
    return nb, flags, notes


def _set_type(cell: NotebookNode, cell_type: str) -> None:
    cell.cell_type = cell_type
    if cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    else:
        cell.pop("outputs", None)
        cell.pop("execution_count", None)


def _insert_after_previous(nb: NotebookNode, cell: NotebookNode, gid: str, order: list[str]) -> None:
    taken = {c.get("id") for c in nb.cells}
    cell.id = f"restored-{gid}"
    while cell.id in taken:
        cell.id += "-1"
    index = order.index(gid)
    for previous in reversed(order[:index]):
        positions = [i for i, c in enumerate(nb.cells) if grade_id(c) == previous]
        if positions:
            nb.cells.insert(positions[-1] + 1, cell)
            break
    else:
        later = [i for i, c in enumerate(nb.cells) if grade_id(c) in order[index + 1:]]
        nb.cells.insert(later[0] if later else len(nb.cells), cell)


def prepare(folder: Path, day: str, release: NotebookNode, bindings: list[list],
            private_test_names: set[str]) -> Prepared:
    """Everything the grader checks before running a submission (see the module docstring)."""
    result = Prepared()
    for extra in sorted(folder.iterdir()) if folder.is_dir() else []:
        if extra.name in IGNORED:
            continue
        if extra.is_symlink():
            result.flags.append(f"submitted a symbolic link {extra.name!r}: left out")
        elif extra.is_dir():
            result.flags.append(f"submitted a folder {extra.name!r}: left out")
        elif extra.suffix in CODE_SUFFIXES:
            result.flags.append(f"submitted Python code {extra.name!r} (could shadow course modules): left out")
    path, flags = locate(folder, day)
    result.flags += flags
    if path is None:
        return result
    result.source_name = path.name
    nb, flags = load(path)
    result.flags += flags
    if nb is None:
        return result
    kernel = nb.metadata.get("kernelspec", {}).get("name")
    if kernel != release.metadata.get("kernelspec", {}).get("name"):
        result.notes.append(f"kernelspec {kernel!r} replaced by the release's")
    nb, flags, notes = repair(nb, release)
    result.flags += flags
    result.notes += notes
    result.flags += scan(nb, release, bindings, private_test_names)
    result.notebook = nb
    return result


def student_files(folder: Path) -> list[Path]:
    """The submission's other files that go along with the notebook: plain files only, no notebooks, no
    links, and no Python code, which could shadow the course's modules (numpy.py, course_lib.py)."""
    return [p for p in sorted(folder.iterdir()) if p.is_file() and not p.is_symlink()
            and p.suffix not in CODE_SUFFIXES and p.suffix != ".ipynb"]
