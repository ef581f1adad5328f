"""Every wrong answer in a day's bug bank loses points; at least one per exercise is caught only by the
hidden tests; the visible tests catch at least 75 % of each day's bank and half of each exercise's; a
reference that the registry names as a drop-in answer passes its exercise's tests when pasted, and is
refused when reached through an alias. Runs the solution notebook once in a live kernel (grading budgets), then, for each wrong
answer, redefines the answer, runs the public test cell (as released) and the full test cell (as graded),
and restores the correct answer. Prints the day's grading table.

A bank's entries are edits of the current solution text (see tests/bugbank/__init__.py): an edit that no longer
applies fails here, naming the day, the exercise and the bug. The table shows the printed output only without
xdist: `python3 course.py test tests/course/test_bugbank.py -k dayNN -s -n 0`."""
from __future__ import annotations

import re

import pytest

from support import DAYS, ROOT
from course_tools.notebooks import exercises, read, solution_answer
from bugbank import BankEditError, answers, resolve
from live_kernel import LiveKernel
from course_lib.notebook.registry import exercise
from course_lib.notebook.rules import RULE

VISIBLE_PER_DAY = 0.75       # share of a day's bank the visible tests must catch
VISIBLE_PER_EXERCISE = 0.5   # and of each exercise's bank
CHECK_CALL = re.compile(r"^\s*check_\w+\(", re.M)


def count_checks(source: str) -> int:
    """Check-helper calls in a test source (a call inside a loop counts once)."""
    return len(CHECK_CALL.findall(source))


def share(part: int, whole: int) -> str:
    """Visible share: the part of a bank the released (visible) tests already catch."""
    return f"{part / whole:.0%}" if whole else "-"


@pytest.mark.parametrize("day", DAYS)
def test_every_bank_entry_applies_to_the_current_solution(day: str) -> None:
    """Fast: every edit's anchor occurs exactly once in the current solution text (no kernel needed)."""
    resolved = answers(day)
    assert all(source.strip() for entries in resolved.values() for _, source in entries)


def test_an_edit_that_no_longer_applies_fails_loudly_naming_day_exercise_and_bug() -> None:
    solution = "def f(x):\n    return x + 1\n"
    assert resolve([("x + 1", "x - 1")], solution, "dayNN / f / 'sign'") == "\ndef f(x):\n    return x - 1\n"
    with pytest.raises(BankEditError, match=r"dayNN / f / 'off by two': edit 1 of 1: the text 'x \+ 2' no longer"):
        resolve([("x + 2", "x")], solution, "dayNN / f / 'off by two'")
    with pytest.raises(BankEditError, match="occurs 2 times"):
        resolve([("x", "y")], solution, "dayNN / f / 'rename'")
    assert resolve("\n\ndef f(x):\n    return 0\n\n", solution) == "\ndef f(x):\n    return 0\n"  # a whole answer


@pytest.mark.slow
@pytest.mark.parametrize("day", DAYS)
def test_bug_bank(day: str, capsys: pytest.CaptureFixture) -> None:
    bank = answers(day)  # edits applied to the current solution text
    solution = read(ROOT / "solutions" / day / f"{day}.ipynb")
    release = read(ROOT / "notebooks" / day / f"{day}.ipynb")
    graded = exercises(solution)
    assert {e["id"] for e in graded} == set(bank), "every graded exercise needs a bug bank entry, and only those"
    stubs = {e["id"]: e["answer"] for e in exercises(release)}

    kernel = LiveKernel(ROOT / "solutions" / day, env={"NBGRADER_EXECUTION": "autograde"})
    rows, problems = [], []
    try:
        for cell in solution.cells:
            if cell.cell_type == "code":
                result = kernel.run(cell.source)
                assert result.ok, f"the solution notebook fails in a live kernel:\n{cell.source[:200]}\n{result.message}"
        for ex in graded:
            correct = solution_answer(ex["answer"])
            # the stub scores nothing, the solution passes both test versions
            assert kernel.run(stubs[ex["id"]]).ok
            assert not kernel.run(ex["public_test"]).ok, f"{ex['id']}: the public test passes the untouched stub"
            assert not kernel.run(ex["test"]).ok, f"{ex['id']}: the full test passes the untouched stub"
            assert kernel.run(correct).ok
            assert kernel.run(ex["public_test"]).ok and kernel.run(ex["test"]).ok, f"{ex['id']}: solution fails"
            by_public = by_hidden = 0
            for name, source in bank[ex["id"]]:
                defined = kernel.run(source)
                public = kernel.run(ex["public_test"]) if defined.ok else defined
                # the full test cell starts with the public checks: a wrong answer they catch loses points
                full = kernel.run(ex["test"]) if public.ok else public
                if full.ok:
                    problems.append(f"{ex['id']}: wrong answer '{name}' passes every test")
                elif not public.ok:
                    by_public += 1
                else:
                    by_hidden += 1
                restored = kernel.run(correct)
                assert restored.ok, restored.message
            if len(bank[ex["id"]]) < 3:
                problems.append(f"{ex['id']}: only {len(bank[ex['id']])} wrong answers in the bank (need 3)")
            if by_hidden == 0:
                problems.append(f"{ex['id']}: no wrong answer is caught only by the hidden tests")
            if by_public < VISIBLE_PER_EXERCISE * len(bank[ex["id"]]):
                problems.append(f"{ex['id']}: the visible tests catch {by_public} of {len(bank[ex['id']])} wrong answers "
                                f"(need at least {VISIBLE_PER_EXERCISE:.0%})")
            problems += _reference_problems(kernel, ex, correct)
            rows.append((ex["id"], ex["points"], count_checks(ex["public_test"]),
                         count_checks(ex["test"]) - count_checks(ex["public_test"]), by_public, by_hidden,
                         len(bank[ex["id"]]), share(by_public, len(bank[ex["id"]]))))
    finally:
        kernel.close()

    with capsys.disabled():
        head = ("exercise", "points", "public checks", "hidden checks", "bugs caught by public",
                "bugs caught by hidden", "bugs", "visible share")
        widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
        line = lambda r: " | ".join(str(v).ljust(w) for v, w in zip(r, widths))  # noqa: E731
        print(f"\n\nGrading table for {day}\n{line(head)}\n{'-+-'.join('-' * w for w in widths)}")
        for r in rows:
            print(line(r))
        total = ("total", sum(r[1] for r in rows), sum(r[2] for r in rows), sum(r[3] for r in rows),
                 sum(r[4] for r in rows), sum(r[5] for r in rows), sum(r[6] for r in rows),
                 share(sum(r[4] for r in rows), sum(r[6] for r in rows)))
        print(line(total))
    caught, total = sum(r[4] for r in rows), sum(r[6] for r in rows)
    if caught < VISIBLE_PER_DAY * total:
        problems.append(f"{day}: the visible tests catch {caught} of {total} wrong answers (need {VISIBLE_PER_DAY:.0%})")
    assert not problems, "\n".join(problems)


PASTE = """
import ast as _ast, inspect as _inspect, {module} as _ref_module
_tree = _ast.parse(_inspect.getsource(_ref_module))
for _node in _ast.walk(_tree):  # docstrings out: the module's code as a student's own, new code objects
    if isinstance(_node, (_ast.FunctionDef, _ast.AsyncFunctionDef, _ast.ClassDef)) and _node.body and \\
            isinstance(_node.body[0], _ast.Expr) and isinstance(_node.body[0].value, _ast.Constant):
        _node.body = _node.body[1:] or [_ast.Pass()]
_pasted = {{"__name__": "pasted_reference"}}  # the whole module, so the helpers it calls are pasted too
exec(compile(_tree, "<pasted reference>", "exec"), _pasted)
{grade_id} = _pasted["{name}"]
"""

ALIASED = """
import {module} as _ref_module
_box = [_ref_module.{name}]
def {grade_id}(*args, **kwargs):
    return _box[0](*args, **kwargs)
"""


def _reference_problems(kernel: LiveKernel, ex: dict, correct: str) -> list[str]:
    """An exercise whose registry entry names a drop-in `answer` (a reference with the exercise's
    signature): that reference, pasted as new code, passes the exercise's full tests (the reference is
    right); the reference itself, reached through a list, fails them on the rule "written by you"."""
    entry = exercise(ex["id"])
    if entry.answer is None:
        return []
    module, _, name = entry.answer.rpartition(".")
    problems = []
    kernel.run(PASTE.format(module=module, name=name, grade_id=ex["id"]))
    if not (result := kernel.run(ex["test"])).ok:
        problems.append(f"{ex['id']}: the reference {entry.answer}, pasted, fails its own hidden tests:\n{result.message}")
    kernel.run(ALIASED.format(module=module, name=name, grade_id=ex["id"]))
    if (result := kernel.run(ex["test"])).ok or RULE not in result.message:
        problems.append(f"{ex['id']}: the reference {entry.answer}, reached through a list, is not refused")
    assert kernel.run(correct).ok
    return problems
