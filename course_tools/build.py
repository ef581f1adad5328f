"""Build the course's notebooks from their text sources.

    sources/<day>.py  (jupytext "percent" format, the file authors edit)
      -> solutions/<day>/<day>.ipynb   nbgrader source notebook, outputs empty
      -> notebooks/<day>/<day>.ipynb   student release, made by the real `nbgrader generate_assignment`

Cells are marked in the source with jupytext cell metadata:
    # %% nbgrader="answer" grade_id="encode"                  autograded answer cell (BEGIN/END SOLUTION inside)
    # %% nbgrader="tests" grade_id="test_encode" points=1     its test cell (BEGIN/END HIDDEN TESTS inside)
    # %% [markdown] nbgrader="manual" grade_id="reflection" points=2   hand-graded written answer
    # %% nbgrader="readonly" grade_id="setup"                 locked cell a student cannot edit
Run with no arguments to rebuild every day; `--check` only reports what would change (exit 1 if any).
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import jupytext
import nbformat

from course_lib.notebook.registry import RegistryError
from course_lib.notebook.rules import rule_text
from course_tools import days_map
from course_tools.nbgrader_cli import nbgrader

ROOT = Path(__file__).resolve().parent.parent
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
ROLES = {
    "answer": {"grade": False, "solution": True, "locked": False},
    "tests": {"grade": True, "solution": False, "locked": True},
    "manual": {"grade": True, "solution": True, "locked": False},
    "readonly": {"grade": False, "solution": False, "locked": True},
}


def source_files(root: Path = ROOT) -> list[Path]:
    """What to build: the jupytext source of each day, in course order (the built days are listed by
    course_tools.notebooks.days)."""
    return sorted((root / "sources").glob("*.py"))


def solution_notebook(source: Path) -> nbformat.NotebookNode:
    """The nbgrader source notebook for one jupytext source file."""
    nb = jupytext.read(source, fmt="py:percent")
    seen: set[str] = set()
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata
        role = meta.pop("nbgrader", None)
        grade_id = meta.pop("grade_id", None)
        points = meta.pop("points", None)
        meta.pop("lines_to_next_cell", None)
        if meta:
            raise ValueError(f"{source.name} cell {index}: unknown cell metadata {sorted(meta)}")
        cell.id = grade_id or f"cell-{index:03d}"
        if role is None:
            continue
        if role not in ROLES or not grade_id:
            raise ValueError(f"{source.name} cell {index}: nbgrader must be one of {sorted(ROLES)} with a grade_id")
        if grade_id in seen:
            raise ValueError(f"{source.name}: grade_id {grade_id!r} used twice")
        seen.add(grade_id)
        if ROLES[role]["grade"] != (points is not None):
            raise ValueError(f"{source.name} cell {grade_id}: graded cells need points=, others must not have it")
        nbgrader = {"schema_version": 3, "grade_id": grade_id, **ROLES[role]}
        if points is not None:
            nbgrader["points"] = points
        if role in ("answer", "tests") and cell.cell_type != "code":
            raise ValueError(f"{source.name} cell {grade_id}: {role} cells must be code cells")
        meta["nbgrader"] = nbgrader
    _add_rules(nb, source.name)
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    nb.nbformat, nb.nbformat_minor = 4, 5
    nbformat.validate(nb)
    return nb


def _add_rules(nb: nbformat.NotebookNode, where: str) -> None:
    """Every autograded exercise states what it may not call, generated from the exercise registry
    (course_lib/notebook/registry/): appended to the markdown cell just before its answer cell, or in a
    markdown cell of its own when a code cell comes first."""
    for index in reversed(range(len(nb.cells))):
        cell = nb.cells[index]
        if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code":
            grade_id = cell.metadata["nbgrader"]["grade_id"]
            try:
                text = rule_text(grade_id)
            except RegistryError as err:
                raise ValueError(f"{where} cell {grade_id}: every answer cell needs a registry entry: {err}") from None
            before = nb.cells[index - 1] if index else None
            if before is not None and before.cell_type == "markdown" and "nbgrader" not in before.metadata:
                before.source = before.source.rstrip() + "\n\n" + text
            else:
                nb.cells.insert(index, nbformat.v4.new_markdown_cell(text, id=f"rules-{grade_id}"))


def write_solution(day: str, root: Path = ROOT) -> Path:
    target = root / "solutions" / day / f"{day}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(solution_notebook(root / "sources" / f"{day}.py"), target)
    return target


def release(day: str, root: Path = ROOT) -> Path:
    """Generate notebooks/<day>/ from solutions/<day>/ with the real nbgrader (no gradebook needed)."""
    nbgrader(root, "generate_assignment", day, "--force", "--no-db")
    return root / "notebooks" / day / f"{day}.ipynb"


def build(day: str, root: Path = ROOT) -> None:
    write_solution(day, root)
    release(day, root)


def check(root: Path = ROOT, releases: bool = True) -> list[str]:
    """Files that a fresh build would change (empty when solutions/, notebooks/ and docs/DAYS.md are up to date).
    `releases=False` rebuilds only solutions/ and docs/DAYS.md (the test suite checks each release against
    nbgrader's own generation elsewhere, once per day)."""
    changed = []
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp)
        shutil.copy(root / "nbgrader_config.py", copy)
        shutil.copytree(root / "sources", copy / "sources")
        for day in (source.stem for source in source_files(root)):
            write_solution(day, copy)
            folders = ["solutions"]
            if releases:
                release(day, copy)
                folders.append("notebooks")
            for folder in folders:
                rel = Path(folder) / day / f"{day}.ipynb"
                mine = root / rel
                if not mine.exists() or mine.read_bytes() != (copy / rel).read_bytes():
                    changed.append(str(rel))
    days = root / "docs" / "DAYS.md"
    if not days.exists() or days.read_text() != days_map.render(root):
        changed.append("docs/DAYS.md")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("days", nargs="*", help="assignment ids (default: all)")
    parser.add_argument("--check", action="store_true", help="report out-of-date notebooks, change nothing")
    args = parser.parse_args(argv)
    if args.check:
        changed = check()
        print("up to date" if not changed else "out of date: " + ", ".join(changed))
        return 1 if changed else 0
    for day in args.days or [source.stem for source in source_files()]:
        build(day)
        print(f"built solutions/{day}/{day}.ipynb and notebooks/{day}/{day}.ipynb")
    print(f"wrote {days_map.write().relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
