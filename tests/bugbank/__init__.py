"""Bug banks: realistic wrong answers, one module per day, keyed by the answer cell's grade_id.

Each entry is (short description, change). The change is, preferably, a list of edits of the solution
text, [(old, new), ...]: the answer cell of solutions/<day>/<day>.ipynb with its `### BEGIN SOLUTION` /
`### END SOLUTION` marker lines removed (what `course_tools.notebooks.solution_answer` gives), edited in
order, each `old` replaced by `new`; so a bug follows the solution when the solution changes. Only where
the bug is a different answer altogether is the change a string: the whole answer cell as a student would
write it. An edit whose `old` no longer occurs in the solution text, or occurs more than once, fails
loudly, naming the day, the exercise and the bug.

Every answer (edited or whole) is run as "\\n" + text.strip("\\n") + "\\n".

tests/course/test_bugbank.py proves every entry loses points, and that every exercise has at least one
wrong answer that only the hidden tests catch."""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Union

Edit = tuple[str, str]
Change = Union[str, list[Edit]]  # a whole answer, or edits of the solution text
Bank = dict[str, list[tuple[str, Change]]]


class BankEditError(AssertionError):
    """A bug bank edit that no longer applies to the solution text."""


def normalise(text: str) -> str:
    return "\n" + text.strip("\n") + "\n"


def apply_edits(solution: str, edits: list[Edit], where: str = "") -> str:
    """The solution text with each (old, new) applied in order; `old` must occur exactly once."""
    text = solution
    for k, (old, new) in enumerate(edits, 1):
        found = text.count(old) if old else 0
        if found != 1:
            problem = "no longer occurs in" if found == 0 else f"occurs {found} times in"
            raise BankEditError(f"{where}: edit {k} of {len(edits)}: the text {old!r} {problem} the solution "
                                f"text; update the bug bank entry")
        text = text.replace(old, new, 1)
    return text


def resolve(change: Change, solution: str, where: str = "") -> str:
    """The answer cell source of one bank entry."""
    if isinstance(change, str):
        return normalise(change)
    return normalise(apply_edits(solution, list(change), where))


def bank(day: str) -> Bank:
    return importlib.import_module(f"bugbank.{day}").BUGS


def answers(day: str, root: Path | None = None) -> dict[str, list[tuple[str, str]]]:
    """{grade_id: [(description, answer cell source), ...]} of a day, edits applied to the current solution."""
    from course_tools.notebooks import exercises, read, solution_answer
    root = root or Path(__file__).resolve().parents[2]
    solutions = {e["id"]: solution_answer(e["answer"])
                 for e in exercises(read(root / "solutions" / day / f"{day}.ipynb"))}
    out: dict[str, list[tuple[str, str]]] = {}
    for gid, entries in bank(day).items():
        if gid not in solutions:
            raise BankEditError(f"{day}: the bug bank has exercise {gid!r}, the solution notebook has no such exercise")
        out[gid] = [(name, resolve(change, solutions[gid], f"{day} / {gid} / {name!r}")) for name, change in entries]
    return out
