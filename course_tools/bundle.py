"""The student bundle: what an instructor hands out for a graded class.

    python3 course.py bundle [--out dist/student]        build it (also the JupyterHub student image's source)
    python -m course_tools.bundle --check day03_lstm      run Day 03's release, answers filled in, against a
                                                          bundle in which Day 03 and later days are locked

A clone of the repository is open-book: course_lib holds the reference answer of every exercise, and
solutions/ is there too. A graded class is not. The bundle holds the release notebooks, course_lib, the
student view's Jupyter settings and the set-up files, and no solutions/, sources/ or tests/. In its
course_lib, every reference object (see the exercise registry) of a day that is not unlocked yet is a stub:
its signature and docstring stay, its body is replaced by an error that names the exercise and says it
unlocks after its deadline. The instructor lists the unlocked days in nbgrader_config.py:

    c.StudentBundle.unlocked_days = ["day01_rnn", "day02_gating"]

and rebuilds the bundle (or the image) after each deadline. Hidden tests never run in the bundle: nbgrader
autogrades in the instructor's environment, where course_lib is whole.
"""
from __future__ import annotations

import argparse
import ast
import os
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import nbformat

from course_lib.notebook.registry import day_exercises, exercises, resolve
from course_tools.notebooks import days, exercises as graded_exercises, read, solution_answer

ROOT = Path(__file__).resolve().parent.parent
# What a student needs besides course_lib and the release notebooks: set-up and the student view.
FILES = ("course.py", "requirements.txt", "environment.yml", "pyproject.toml", "nbgrader_config.py")
TOOLS = ("__init__.py", "notebooks.py", "preprocessors.py", "mathjax.py", "nbgrader_cli.py", "jupyter", "templates")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
STUDENT_README = """# Sequence models in PyTorch: your course bundle

Set up once and open the course (Python 3.11; everything else installs itself):

    python3 course.py lab

Your notebooks are in work/<day>/ (copies of notebooks/<day>/, never overwritten). Run each test cell
under an exercise: the visible checks say what is wrong; graders also run hidden tests.

course_lib holds the course's own code. For days whose deadline has not passed, its answers to the
exercises are locked: calling one raises an error that says which exercise it is.
Unlocked days: {unlocked}.
"""


def unlocked_days(root: Path = ROOT) -> list[str]:
    """The days the course configuration (nbgrader_config.py, c.StudentBundle.unlocked_days) unlocks."""
    from traitlets.config.loader import PyFileConfigLoader
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    listed = list(config.StudentBundle.unlocked_days) if "unlocked_days" in config.StudentBundle else []
    unknown = sorted(set(listed) - set(days(root / "notebooks")))
    if unknown:
        raise ValueError(f"nbgrader_config.py: c.StudentBundle.unlocked_days names days the course does not have: "
                         f"{unknown}; expected some of {days(root / 'notebooks')}")
    return listed


def locked_references(locked: list[str]) -> dict[str, tuple[str, str]]:
    """{reference path: (grade_id, day)} for every reference of the locked days."""
    found: dict[str, tuple[str, str]] = {}
    for day in locked:
        for entry in day_exercises(day):
            for path in entry.references:
                found.setdefault(path, (entry.grade_id, day))
    return found


def _qualname_target(path: str) -> tuple[Path, str]:
    """The source file and the qualified name (inside its module) of a reference path."""
    obj = resolve(path)
    module = sys.modules[obj.__module__]
    return Path(module.__file__), obj.__qualname__


def _stub_lines(node: ast.FunctionDef | ast.AsyncFunctionDef, message: str) -> tuple[int, int, list[str]]:
    """The replacement of one function's body: its docstring stays, everything after it (code and comments)
    becomes one raise. Returns (first, last, new lines), 0-based and inclusive; first > last: insert."""
    body = node.body
    if body[0].lineno == node.lineno:
        raise ValueError(f"line {node.lineno}: {node.name} has its body on the def line; put it on its own lines")
    has_doc = isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
        and isinstance(body[0].value.value, str)
    first = body[0].end_lineno if has_doc else body[0].lineno - 1
    indent = " " * body[0].col_offset
    return first, node.end_lineno - 1, [f"{indent}raise NotImplementedError({message!r})\n"]


def stub_module(source: str, targets: dict[str, str]) -> str:
    """`source` with the body of each target (qualified name -> error message) replaced by a raise. A class
    target has every method it defines stubbed."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    spans: list[tuple[int, int, list[str]]] = []
    found = set()

    def visit(body: list[ast.stmt], prefix: str, inherited: str | None) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + node.name
                message = targets.get(name, inherited)
                if name in targets:
                    found.add(name)
                if message is not None:
                    spans.append(_stub_lines(node, message))
            elif isinstance(node, ast.ClassDef):
                name = prefix + node.name
                if name in targets:
                    found.add(name)
                visit(node.body, name + ".", targets.get(name, inherited))

    visit(tree.body, "", None)
    missing = set(targets) - found
    if missing:
        raise ValueError(f"cannot find {sorted(missing)} to lock")
    for first, last, new in sorted(spans, reverse=True):
        lines[first:last + 1] = new  # an empty span (a docstring-only function) inserts
    result = "".join(lines)
    ast.parse(result)  # still valid Python
    return result


def lock_message(path: str, grade_id: str, day: str) -> str:
    return (f"{path} is course_lib's answer to the exercise {grade_id} of {day}: it is locked in this course "
            f"until that exercise's deadline has passed. Write your own in the notebook.")


def build_bundle(out: Path, unlocked: list[str] | None = None, root: Path = ROOT) -> Path:
    """Write the student bundle to `out` (replaced if it exists). `unlocked` defaults to the configuration's."""
    unlocked = unlocked_days(root) if unlocked is None else unlocked
    locked = [d for d in days(root / "notebooks") if d not in unlocked]
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copytree(root / "course_lib", out / "course_lib", ignore=IGNORE)
    shutil.copytree(root / "notebooks", out / "notebooks", ignore=IGNORE)
    (out / "course_tools").mkdir()
    for name in TOOLS:
        src = root / "course_tools" / name
        if src.is_dir():
            shutil.copytree(src, out / "course_tools" / name, ignore=IGNORE)
        else:
            shutil.copy(src, out / "course_tools" / name)
    for name in FILES:
        if (root / name).exists():
            shutil.copy(root / name, out / name)
    by_file: dict[Path, dict[str, str]] = defaultdict(dict)
    for path, (grade_id, day) in locked_references(locked).items():
        file, qualname = _qualname_target(path)
        by_file[file][qualname] = lock_message(path, grade_id, day)
    for file, targets in by_file.items():
        target = out / file.relative_to(root)
        target.write_text(stub_module(file.read_text(), targets))
    (out / "README.md").write_text(STUDENT_README.format(unlocked=", ".join(unlocked) or "none yet"))
    return out


def filled_release(day: str, root: Path = ROOT) -> nbformat.NotebookNode:
    """The day's release notebook with the solution's answers typed into its answer cells."""
    release = read(root / "notebooks" / day / f"{day}.ipynb")
    answers = {e["id"]: solution_answer(e["answer"]) for e in graded_exercises(read(root / "solutions" / day / f"{day}.ipynb"))}
    for cell in release.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return release


def run_locked(day: str, root: Path = ROOT, timeout: int = 300) -> tuple[bool, str]:
    """Run `day`'s filled-in release top to bottom, in a fresh kernel whose course_lib is a bundle with `day`
    and every later day locked (grading budgets, as in Validate). Returns (ok, what failed)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    all_days = days(root / "notebooks")
    unlocked = all_days[:all_days.index(day)]
    with tempfile.TemporaryDirectory() as tmp:
        bundle = build_bundle(Path(tmp) / "bundle", unlocked, root)
        nb = filled_release(day, root)
        nb.cells.insert(0, nbformat.v4.new_code_cell(
            "import course_lib as _cl, pathlib as _pl\n"
            f"assert _pl.Path(_cl.__file__).resolve().is_relative_to(_pl.Path({str(bundle.resolve())!r})), _cl.__file__"))
        env = {**os.environ, "PYTHONPATH": str(bundle), "NBGRADER_EXECUTION": "validate"}
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(bundle / "notebooks" / day)}})
        saved = dict(os.environ)
        os.environ.update(env)  # the kernel inherits this process's environment
        try:
            client.execute()
        except CellExecutionError as err:
            return False, str(err)[:4000]
        finally:
            os.environ.clear()
            os.environ.update(saved)
    return True, ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 course.py bundle", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "dist" / "student", help="where to write the bundle")
    parser.add_argument("--unlock", nargs="*", metavar="DAY",
                        help="unlocked days (default: c.StudentBundle.unlocked_days in nbgrader_config.py)")
    parser.add_argument("--check", nargs="+", metavar="DAY",
                        help="instead: run each day's release, answers filled in, with it and later days locked")
    args = parser.parse_args(argv)
    if args.check:
        failed = 0
        for day in args.check:
            ok, message = run_locked(day)
            print(f"{day}: {'runs against a bundle with it and later days locked' if ok else 'FAILS'}")
            if not ok:
                failed += 1
                print(message)
        return 1 if failed else 0
    out = build_bundle(args.out.resolve(), args.unlock)
    locked = [d for d in days(ROOT / "notebooks") if d not in (args.unlock if args.unlock is not None else unlocked_days())]
    print(f"student bundle written to {out}\n  locked days (answers stubbed): {', '.join(locked) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
