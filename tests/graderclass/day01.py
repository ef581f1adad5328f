"""A synthetic Day 01 class: every case is one student with the files they hand in and what the grader
must conclude: graded with these test-cell scores, flagged for review with a reason matching a pattern,
or both, or not graded (flagged with a reason)."""
from __future__ import annotations

import re
from dataclasses import dataclass

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell

from course_tools.grader.scan import release_bindings
from course_tools.notebooks import cells_by_id, exercises, solution_answer, solved

DAY = "day01_rnn"


@dataclass
class Case:
    student: str
    what: str
    data: bytes                      # the file handed in
    filename: str = f"{DAY}.ipynb"   # its name in submitted/<student>/<day>/
    zip_name: str | None = None      # arrives in an LMS download under this name instead
    scores: dict | None = None       # expected test-cell scores when graded; None: must not be graded
    flag: str | None = None          # regex a review reason must match; None: must not be flagged
    loose: tuple = ()                # test cells whose scores are not asserted: marked for manual grading instead


def _bytes(nb) -> bytes:
    return nbformat.writes(nb).encode()


def _insert_after(nb, grade_id: str, *cells) -> None:
    index = next(i for i, c in enumerate(nb.cells) if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                 == grade_id)
    nb.cells[index + 1:index + 1] = list(cells)


# A correct answer wrapped so that it warns, and writes a warning to stderr, each time a test calls it.
NOISY = """
import functools as _functools, sys as _sys, warnings as _warnings
def _noisy(fn):
    @_functools.wraps(fn)
    def wrapped(*args, **kwargs):
        _warnings.warn("a harmless warning raised by a correct answer")
        _sys.stderr.write("UserWarning: a library writing its warning straight to stderr\\n")
        return fn(*args, **kwargs)
    return wrapped
{name} = _noisy({name})
"""

LOOP = """
def encode(text, stoi):
    while True:
        pass
"""

HANG = """
import time
while True:
    try:
        time.sleep(0.5)
    except KeyboardInterrupt:
        pass
"""

HOG = """
def _hog():
    blocks = []
    while True:
        blocks.append(np.empty(2**26))  # 512 MB of address space each: reaches the cap at once, even on a busy machine
_hog()
"""

SWALLOW_ERRORS = '''
import ast as _ast
class _Swallow(_ast.NodeTransformer):
    def visit_Module(self, node):
        handler = _ast.ExceptHandler(type=_ast.Name("BaseException", _ast.Load()), name=None, body=[_ast.Pass()])
        node.body = [_ast.Try(body=node.body or [_ast.Pass()], handlers=[handler], orelse=[], finalbody=[])]
        return _ast.fix_missing_locations(node)
get_ipython().ast_transformers.append(_Swallow())
get_ipython().set_custom_exc((Exception,), lambda *args, **kwargs: None)
'''

READ_SOLUTION = '''
import json, course_lib
from pathlib import Path
_course = Path(course_lib.__file__).resolve().parents[1]
_cells = json.loads((_course / "solutions" / "day01_rnn" / "day01_rnn.ipynb").read_text())["cells"]
exec("".join(next(c["source"] for c in _cells if c["metadata"].get("nbgrader", {}).get("grade_id") == "encode")))
'''

READ_GRADEBOOK = '''
import os, sqlite3
from pathlib import Path
import course_lib
for _attempt in (lambda: sqlite3.connect(os.environ["COURSE_GRADEBOOK"].replace("sqlite:///", ""))
                           .execute("select source from source_cell").fetchall(),
                 lambda: open("../../../gradebook.db", "rb").read(),
                 lambda: (Path(course_lib.__file__).resolve().parents[1] / "tests/bugbank/day01_rnn.py").read_text()):
    try:
        print(str(_attempt())[:100])
    except Exception as err:
        print("no luck:", type(err).__name__)
'''

PATCH_CHECKS = '''
check_equal = lambda *args, **kwargs: None
check_type = lambda *args, **kwargs: None
import {checks}
{checks}._fail = lambda *args, **kwargs: None
{checks}.check_equal = lambda *args, **kwargs: None
'''

# the function that does the checking: check_close itself, or the one it wraps
PATCH_CODE = '''
_f = check_close
while hasattr(_f, "__wrapped__"):
    _f = _f.__wrapped__
_f.__code__ = (lambda *args, **kwargs: None).__code__
'''


def checks_module(release) -> str:
    """The module the release imports its check helpers from (course_lib.notebook.checks)."""
    return next(module for alias, module, attr in release_bindings(release) if alias == "check_equal")


def build(release, solution, bugs: dict) -> list[Case]:
    graded = exercises(solution)
    full = {ex["test_id"]: float(ex["points"]) for ex in graded}
    answers = {gid: solution_answer(c.source) for gid, c in cells_by_id(solution).items()
               if c.metadata.nbgrader.get("solution")}

    def good(**overrides):
        return solved(release, solution, overrides)

    def scores(*zero: str) -> dict:
        return {t: (0.0 if t.removeprefix("test_") in zero else p) for t, p in full.items()}

    def bug(ex: str, index: int = 0) -> str:
        return bugs[ex][index][1]

    checks = checks_module(release)

    cases: list[Case] = []

    def add(student, what, nb_or_bytes, **kw):
        data = nb_or_bytes if isinstance(nb_or_bytes, bytes) else _bytes(nb_or_bytes)
        cases.append(Case(student, what, data, **kw))

    # --- honest work
    add("correct-a", "correct", good(), scores=scores())
    add("correctb", "correct, via the LMS zip", good(), zip_name=f"correctb_{DAY}.ipynb", scores=scores())
    extra = good()
    extra.cells.insert(3, new_markdown_cell("My own notes."))
    extra.cells.insert(4, new_code_cell("print('trying things out', 2 + 2)"))
    add("correct-notes", "correct, with added cells", extra, scores=scores())
    add("stub", "untouched release", release, scores=scores(*answers))
    add("partial", "two exercises done", solved(release, solution, {
        gid: c.source for gid, c in cells_by_id(release).items() if gid not in ("build_vocab", "encode")
        and c.metadata.nbgrader.get("solution")}), scores=scores("rnn_cell_step", "rnn_forward", "rnn_module",
                                                                  "clip_grad_norm"))
    add("noisy", "correct, warnings and stderr", good(**{name: answers[name] + NOISY.format(name=name)
                                                        for name in ("build_vocab", "encode")}), scores=scores())
    # --- realistic bugs (from the bug bank); a wrong cell step also breaks the forward pass built on it
    for ex, also in [("build_vocab", ()), ("encode", ()), ("rnn_cell_step", ("rnn_forward",)), ("rnn_forward", ()),
                     ("rnn_module", ()), ("clip_grad_norm", ())]:
        add(f"bug-{ex.replace('_', '-')}", f"bug: {bugs[ex][0][0]}", good(**{ex: bug(ex)}), scores=scores(ex, *also))
    # --- edited files
    nb = good(encode=bug("encode"))
    cells_by_id(nb)["test_encode"].source = "print('all good')"
    add("edited-test", "wrong encode, test cell emptied", nb, scores=scores("encode"), flag="edited locked test cell")
    nb = good(encode=bug("encode"))
    nb.cells = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") != "test_encode"]
    add("deleted-test", "wrong encode, test cell deleted", nb, scores=scores("encode"), flag="deleted locked test cell")
    nb = good(build_vocab=bug("build_vocab"))
    meta = cells_by_id(nb)["test_build_vocab"].metadata.nbgrader
    meta.update(grade=False, points=0, locked=False)
    add("metadata", "wrong build_vocab, test cell's nbgrader metadata edited", nb, scores=scores("build_vocab"),
        flag="metadata of cell 'test_build_vocab' edited")
    nb = good(rnn_module=bug("rnn_module"))
    cell = cells_by_id(nb)["test_rnn_module"]
    cell.cell_type = "markdown"
    del cell["outputs"], cell["execution_count"]
    add("test-to-markdown", "wrong RNN, its test cell turned into markdown", nb, scores=scores("rnn_module"),
        flag="changed from code to markdown")
    add("renamed", "correct, notebook renamed", good(), filename=f"{DAY} (1).ipynb", scores=scores(),
        flag="renamed notebook")
    add("erin", "correct, renamed in the LMS zip", good(), zip_name=f"erin_{DAY}_final.ipynb", scores=scores(),
        flag="renamed notebook")
    add("malformed", "truncated JSON", _bytes(good())[:5000], flag="malformed JSON")
    add("empty", "empty file", b"", flag="empty file")
    # --- runaway code
    add("infinite-loop", "encode loops forever", good(encode=LOOP), scores=scores("encode"), flag="timed out")
    add("hang", "a cell that ignores interrupts", good(build_vocab=HANG),
        flag="did not stop when interrupted|notebook time cap")
    add("memory-hog", "allocates until memory runs out", good(rnn_module=HOG + answers["rnn_module"]),
        scores=scores("rnn_module"), flag="ran out of memory")
    add("crash", "os._exit in an answer", good(clip_grad_norm="import os\nos._exit(3)\n"), flag="kernel died")
    # --- cheats: every one of them would score more without the guards
    add("patch-assert-close", "patches torch.testing.assert_close", good(
        encode="import torch.testing\ntorch.testing.assert_close = lambda *args, **kwargs: None\n" + bug("encode")),
        scores=scores("encode"), flag=r"torch\.testing\.assert_close")
    add("patch-numpy", "patches numpy.testing and np.array_equal", good(
        encode="np.testing.assert_allclose = lambda *args, **kwargs: None\n"
               "np.array_equal = lambda *args, **kwargs: True\n" + bug("encode")),
        scores=scores("encode"), flag=r"numpy\.(array_equal|testing)")
    add("patch-builtins", "patches builtins zip and len", good(
        build_vocab=bug("build_vocab") + "import builtins\nbuiltins.zip = lambda *args: iter(())\n"
                                         "builtins.len = lambda obj: 0\n"),
        scores=scores("build_vocab"), flag=r"builtins\.(zip|len)")
    add("patch-checks", "replaces course_lib check helpers", good(
        build_vocab=bug("build_vocab") + PATCH_CHECKS.format(checks=checks), encode=bug("encode")),
        scores=scores("build_vocab", "encode"), flag=re.escape(f"{checks}._fail"))
    add("patch-code", "rewrites check_close.__code__", good(
        rnn_cell_step=bug("rnn_cell_step") + PATCH_CODE),
        scores=scores("rnn_cell_step", "rnn_forward"), flag=r"check_close\.__code__ was replaced")
    add("patch-in-test", "patches the checks' dict while its test runs", good(
        build_vocab=f"import {checks} as _checks\ndef build_vocab(texts, min_count=1):\n"
                    "    vars(_checks)['_fail'] = lambda *args, **kwargs: None\n    return list(SPECIALS)\n"),
        scores=scores(), flag="while test_build_vocab ran", loose=("test_build_vocab",))
    add("shadow-all", "N(0, 1) weights, defines all() so the init check passes", good(
        rnn_module=bug("rnn_module", 3) + "\ndef all(iterable):\n    return True\n"),
        scores=scores("rnn_module"), flag="defines 'all'|own 'all'")
    add("ipython-hooks", "swallows errors (AST transformer, custom exception handler)", good(
        build_vocab=bug("build_vocab") + SWALLOW_ERRORS, encode=bug("encode")),
        scores=scores("build_vocab", "encode"), flag="ast_transformers was changed|custom exception handler")
    nb = good()
    _insert_after(nb, "encode", new_code_cell(READ_SOLUTION))
    cells_by_id(nb)["encode"].source = "# see below\n"
    add("read-solution", "execs encode from the solution notebook on disk", nb, scores=scores("encode"),
        flag=r"blocked reading .*solutions")
    nb = good()
    nb.cells.insert(2, new_code_cell(READ_GRADEBOOK + "\n!cat ../../../gradebook.db | head -c 100\n"))
    add("read-gradebook", "reads the gradebook and the bug bank, shell escape", nb, scores=scores(),
        flag=r"blocked (database|read|process)")
    return cases
