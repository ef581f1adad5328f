"""Reading and assembling nbgrader notebooks: answer and test cells by grade_id, submissions."""
from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", re.S)


def read(path: str | Path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def grade_id(cell: nbformat.NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def cells_by_id(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    return {grade_id(c): c for c in nb.cells if grade_id(c)}


def exercises(nb: nbformat.NotebookNode) -> list[dict]:
    """Each autograded exercise of a solution notebook: its answer id, test id, points, and the answer
    source, the full test source and the public (student-visible) test source."""
    cells = cells_by_id(nb)
    out = []
    for gid, cell in cells.items():
        meta = cell.metadata.nbgrader
        if meta.get("solution") and not meta.get("grade") and f"test_{gid}" in cells:
            test = cells[f"test_{gid}"]
            out.append({"id": gid, "test_id": f"test_{gid}", "points": test.metadata.nbgrader["points"],
                        "answer": cell.source, "test": test.source,
                        "public_test": HIDDEN.sub("", test.source)})
    return out


def solution_answer(source: str) -> str:
    """An answer cell's source as a student who solved it would write it (markers removed)."""
    return "\n".join(line for line in source.splitlines()
                     if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def fill(release: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    """A copy of a release notebook with the given cells (by grade_id) replaced, as a student would."""
    nb = copy.deepcopy(release)
    cells = cells_by_id(nb)
    unknown = set(answers) - set(cells)
    if unknown:
        raise KeyError(f"no cells with grade_id {sorted(unknown)}")
    for gid, source in answers.items():
        cells[gid].source = source
    return nb


def solved(release: nbformat.NotebookNode, solution: nbformat.NotebookNode,
           overrides: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """The release filled with every solution answer (and manual answers), then `overrides`."""
    answers = {gid: solution_answer(c.source) for gid, c in cells_by_id(solution).items()
               if c.metadata.nbgrader.get("solution")}
    answers.update(overrides or {})
    return fill(release, answers)
