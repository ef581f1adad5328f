"""Reading and assembling nbgrader notebooks: the days, answer and test cells by grade_id, the lines a
release or feedback must not show, submissions."""
from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", re.S)
REGION = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.S)


def days(folder: Path) -> list[str]:
    """The days (nbgrader assignment ids) in a folder of nbgrader notebooks such as solutions/ or
    notebooks/, in course order: each <day>/<day>.ipynb."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if (p / f"{p.name}.ipynb").is_file())


def read(path: str | Path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def nbgrader_meta(cell: nbformat.NotebookNode) -> dict:
    """A copy of the cell's nbgrader metadata ({} when it has none)."""
    return dict(cell.get("metadata", {}).get("nbgrader", {}) or {})


def grade_id(cell: nbformat.NotebookNode) -> str | None:
    return nbgrader_meta(cell).get("grade_id")


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


def secret_lines(source: nbformat.NotebookNode, regions: tuple[str, ...] = ("SOLUTION", "HIDDEN TESTS"),
                 min_length: int = 21) -> set[str]:
    """Lines (stripped, at least `min_length` characters) that occur only inside the given regions of an
    nbgrader source notebook (`### BEGIN SOLUTION` ... `### END SOLUTION`, `### BEGIN HIDDEN TESTS` ...):
    what a release (both regions) or a student's feedback (hidden tests only: the student's answer may
    well match the solution) must not show. A line that also occurs outside those regions, such as
    `with torch.no_grad():`, is no secret."""
    secret, public = set(), set()
    for cell in source.cells:
        for match in REGION.finditer(cell.source):
            (secret if match.group(1) in regions else public).update(
                line.strip() for line in match.group(2).splitlines())
        public.update(line.strip() for line in REGION.sub("", cell.source).splitlines())
    return {line for line in secret - public if len(line) >= min_length}


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
