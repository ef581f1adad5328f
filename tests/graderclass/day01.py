"""A synthetic Day 01 class: every case is one student with the files they hand in and what the grader
must conclude: graded with these test-cell scores, flagged for review with reasons matching patterns,
or both, or not graded (flagged with a reason).

Where one student can carry several cases without one hiding another (bugs in different exercises, routes to
the reference in different exercises, edits of different test cells), one student does: the class is graded
in a few minutes. Every answer a case does not set is a distinct, independently written correct answer from
day01_corpus.py, as in a real class (a class handing in the solution's text would all be flagged as copies);
when the corpus runs out, later (flagged) students get the solution's text."""
from __future__ import annotations

import re
from dataclasses import dataclass

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell

from course_tools.grader.scan import release_bindings
from course_tools.grader.similarity import reference_source
from course_tools.notebooks import cells_by_id, exercises, fill, solution_answer
from graderclass.day01_corpus import CORPUS, STEP_DEF

DAY = "day01_rnn"


@dataclass
class Case:
    student: str
    what: str
    data: bytes                      # the file handed in
    filename: str = f"{DAY}.ipynb"   # its name in submitted/<student>/<day>/
    zip_name: str | None = None      # arrives in an LMS download under this name instead
    scores: dict | None = None       # expected test-cell scores when graded; None: must not be graded
    flag: str | tuple | None = None  # regex(es) each of which some review reason must match; None: must not be flagged
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

# ---- wrong answers, written for this class (not edits of the solution, which the copy detection would flag)
BUG = {
    "build_vocab": """from collections import Counter


def build_vocab(texts, min_count=1):
    freq = Counter()
    for t in texts:
        for ch in t:
            freq[ch] += 1
    vocab = list(SPECIALS)
    for ch, n in freq.most_common():  # ties stay in first-seen order
        if n >= min_count and ch not in vocab:
            vocab.append(ch)
    return vocab
""",
    "encode": """def encode(text, stoi):
    # no <bos>/<eos>
    unknown = stoi[UNK]
    return torch.tensor([stoi.get(c, unknown) for c in text], dtype=torch.long)
""",
    "rnn_cell_step": STEP_DEF + """    return np.tanh(x @ W_ih.T + b_ih + h_prev @ W_hh + b_hh)  # W_hh not transposed
""",
    "rnn_forward": """def rnn_forward(xs, h0, W_ih, W_hh, b_ih, b_hh):
    states = [h0]  # h0 kept in the output
    for x in xs:
        states.append(rnn_cell_step(x, states[-1], W_ih, W_hh, b_ih, b_hh))
    return np.stack(states), states[-1]
""",
    "rnn_module": """class RNN(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        r = 1 / hidden_size ** 0.5
        self.weight_ih = nn.Parameter(torch.empty(hidden_size, input_size).uniform_(-r, r))
        self.weight_hh = nn.Parameter(torch.empty(hidden_size, hidden_size).uniform_(-r, r))
        self.bias_ih = nn.Parameter(torch.empty(hidden_size).uniform_(-r, r))
        self.bias_hh = nn.Parameter(torch.empty(hidden_size).uniform_(-r, r))

    def forward(self, x, h0=None):
        h = torch.zeros(x.shape[0], self.hidden_size, dtype=x.dtype)  # h0 ignored
        seq = []
        for t in range(x.shape[1]):
            h = torch.tanh(x[:, t] @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh)
            seq.append(h)
        return torch.stack(seq, dim=1), h[None]
""",
    "clip_grad_norm": """def clip_grad_norm(parameters, max_norm):
    present = [p for p in parameters if p.grad is not None]
    norms = [p.grad.norm() for p in present]
    for p, n in zip(present, norms):  # each parameter clipped by its own norm
        if n > max_norm:
            p.grad.mul_(max_norm / (n + 1e-6))
    return torch.stack(norms).norm()
""",
}
# other wrong answers for the cheats (they share these among themselves, and are flagged anyway)
CHEAT_BUG = {
    "build_vocab": """from collections import Counter


def build_vocab(texts, min_count=1):
    chars = Counter(c for t in texts for c in t)
    return sorted(chars, key=lambda c: -chars[c])  # no specials, no min_count
""",
    "encode": """def encode(text, stoi):
    return torch.tensor([stoi[BOS]] + [stoi.get(c, stoi[UNK]) for c in text] + [stoi[EOS]], dtype=torch.float32)
""",
    "rnn_cell_step": STEP_DEF + """    return np.tanh(x @ W_ih.T + b_ih + h_prev @ W_hh.T)  # b_hh forgotten
""",
    # N(0, 1) weights: only the initialisation check catches it
    "rnn_module": """class RNN(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.weight_ih = nn.Parameter(torch.randn(hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.randn(hidden_size, hidden_size))
        self.bias_ih = nn.Parameter(torch.randn(hidden_size))
        self.bias_hh = nn.Parameter(torch.randn(hidden_size))

    def forward(self, x, h0=None):
        B, T, _ = x.shape
        h = x.new_zeros(B, self.hidden_size) if h0 is None else h0[0]
        outputs = []
        for t in range(T):
            h = torch.tanh(x[:, t] @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh)
            outputs.append(h)
        return torch.stack(outputs, dim=1), h.unsqueeze(0)
""",
}

# ---- routes to the course's reference: each must lose the points (the hidden checks refuse the reference by
# identity, course_lib.notebook.rules.written_by_you)
ROUTE_LIST = """import course_lib.text.vocab as _vocab_module
_impl = [_vocab_module.build_vocab]


def build_vocab(texts, min_count=1):
    return _impl[0](texts, min_count)
"""
ROUTE_BOUND_METHOD = """def encode(text, stoi):
    method = Vocab(sorted(stoi, key=stoi.get)).encode  # a bound method of the course's Vocab
    return method(text)
"""
ROUTE_CLOSURE = """import course_lib.layers.rnn as _rnn_module


def _wrap(step):
    def rnn_cell_step(x, h_prev, W_ih, W_hh, b_ih, b_hh):
        return step(x, h_prev, W_ih, W_hh, b_ih, b_hh)
    return rnn_cell_step


rnn_cell_step = _wrap(_rnn_module.rnn_cell_step)
"""
ROUTE_DEFAULT = """import course_lib.layers.rnn as _rnn_module


def rnn_forward(xs, h0, W_ih, W_hh, b_ih, b_hh, _impl=_rnn_module.rnn_forward):
    return _impl(xs, h0, W_ih, W_hh, b_ih, b_hh)
"""
ROUTE_PARTIAL = """import functools
from course_lib.layers.rnn import rnn_cell as course_cell


class RNN(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        k = 1 / hidden_size ** 0.5
        self.weight_ih = nn.Parameter(torch.empty(hidden_size, input_size).uniform_(-k, k))
        self.weight_hh = nn.Parameter(torch.empty(hidden_size, hidden_size).uniform_(-k, k))
        self.bias_ih = nn.Parameter(torch.empty(hidden_size).uniform_(-k, k))
        self.bias_hh = nn.Parameter(torch.empty(hidden_size).uniform_(-k, k))

    def forward(self, x, h0=None):
        step = functools.partial(course_cell, W_ih=self.weight_ih, W_hh=self.weight_hh, b_ih=self.bias_ih,
                                 b_hh=self.bias_hh)
        h = x.new_zeros(x.shape[0], self.hidden_size) if h0 is None else h0[0]
        states = []
        for t in range(x.shape[1]):
            h = step(x[:, t], h)
            states.append(h)
        return torch.stack(states, dim=1), h.unsqueeze(0)
"""
ROUTE_GC = """import gc
import course_lib.gradients.clipping  # loaded, then found among the interpreter's objects


def clip_grad_norm(parameters, max_norm):
    found = next(o for o in gc.get_objects() if callable(o) and getattr(o, "__name__", "") == "clip_grad_norm"
                 and getattr(o, "__module__", "") == "course_lib.gradients.clipping")
    return found(parameters, max_norm)
"""
CLIP_REFERENCE = "course_lib.gradients.clipping.clip_grad_norm"


def renamed(source: str, names: dict[str, str]) -> str:
    """`source` with whole-word names replaced, as a student disguising a copy would."""
    for old, new in names.items():
        source = re.sub(rf"\b{old}\b", new, source)
    return source


def pasted_reference() -> str:
    """The course's clip_grad_norm pasted into the answer cell with its names changed (and the import its
    annotation needs)."""
    return "from typing import Iterable\n\n\n" + renamed(reference_source(CLIP_REFERENCE), {"grads": "gradient_list", "total": "global_norm",
                                                      "scale": "factor", "eps": "epsilon", "g": "grad"})

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


class Answers:
    """Hands out distinct correct answers: each exercise's corpus answers in turn (never one twice), then the
    solution's text."""

    def __init__(self, solution):
        self.solution = {gid: solution_answer(c.source) for gid, c in cells_by_id(solution).items()
                         if c.metadata.nbgrader.get("solution")}
        self.used: dict[str, set[int]] = {gid: set() for gid in CORPUS}

    def take(self, gid: str, where=lambda source: True) -> str:
        if gid not in CORPUS:
            return self.solution[gid]  # the reflection
        for i, source in enumerate(CORPUS[gid]):
            if i not in self.used[gid] and where(source):
                self.used[gid].add(i)
                return source
        return self.solution[gid]


def build(release, solution) -> list[Case]:
    graded = exercises(solution)
    full = {ex["test_id"]: float(ex["points"]) for ex in graded}
    answer_ids = [ex["id"] for ex in graded]
    pool = Answers(solution)

    def good(**overrides):
        """The release with a correct answer of its own in every answer cell the overrides do not set."""
        answers = {gid: pool.take(gid) for gid in pool.solution if gid not in overrides}
        return fill(release, {**answers, **overrides})

    def scores(*zero: str) -> dict:
        return {t: (0.0 if t.removeprefix("test_") in zero else p) for t, p in full.items()}

    checks = checks_module(release)

    cases: list[Case] = []

    def add(student, what, nb_or_bytes, **kw):
        data = nb_or_bytes if isinstance(nb_or_bytes, bytes) else _bytes(nb_or_bytes)
        cases.append(Case(student, what, data, **kw))

    # --- honest work (first: they get the corpus's answers)
    add("correct-a", "correct", good(), scores=scores())
    nb = good(**{name: pool.take(name) + NOISY.format(name=name) for name in ("build_vocab", "encode")})
    nb.cells.insert(3, new_markdown_cell("My own notes."))
    nb.cells.insert(4, new_code_cell("print('trying things out', 2 + 2)"))
    add("correctb", "correct, LMS zip, added cells, warnings + stderr", nb, zip_name=f"correctb_{DAY}.ipynb",
        scores=scores())
    add("stub", "untouched release", release, scores=scores(*answer_ids))
    add("partial", "two exercises and the reflection done",
        fill(release, {gid: pool.take(gid) for gid in ("build_vocab", "encode", "reflection")}),
        scores=scores("rnn_cell_step", "rnn_forward", "rnn_module", "clip_grad_norm"))
    # --- realistic bugs; a wrong cell step also breaks the forward pass built on it
    add("bugs-a", "bugs: vocab tie order, no <bos>/<eos>, h0 in hs, h0 ignored",
        good(**{ex: BUG[ex] for ex in ("build_vocab", "encode", "rnn_forward", "rnn_module")}),
        scores=scores("build_vocab", "encode", "rnn_forward", "rnn_module"))
    add("bugs-b", "bugs: W_hh not transposed, per-parameter clipping",
        good(**{ex: BUG[ex] for ex in ("rnn_cell_step", "clip_grad_norm")}),
        scores=scores("rnn_cell_step", "rnn_forward", "clip_grad_norm"))
    # --- the course's reference reached by every route: each exercise loses its points
    add("routes", "reference via a list, a bound method, a closure, a default argument, functools.partial, gc",
        good(build_vocab=ROUTE_LIST, encode=ROUTE_BOUND_METHOD, rnn_cell_step=ROUTE_CLOSURE, rnn_forward=ROUTE_DEFAULT,
             rnn_module=ROUTE_PARTIAL, clip_grad_norm=ROUTE_GC),
        scores=scores(*answer_ids), flag=r"gc introspection|imports gc")
    # --- copies: flagged for review, the points stay (a person decides)
    add("paste", "course_lib's clip_grad_norm pasted, names changed; notebook renamed",
        good(clip_grad_norm=pasted_reference()), filename=f"{DAY} (1).ipynb", scores=scores(),
        flag=(re.escape(f"clip_grad_norm matches course_lib's reference {CLIP_REFERENCE}"), "renamed notebook"))
    shared = pool.take("rnn_module")
    add("share-a", "hands in the same RNN as share-b", good(rnn_module=shared), scores=scores(),
        flag=r"rnn_module matches student share-b's answer")
    add("share-b", "share-a's RNN with the names changed",
        good(rnn_module=renamed(shared, {"h": "hidden", "B": "n_batch", "T": "n_steps"})), scores=scores(),
        flag=r"rnn_module matches student share-a's answer")
    # --- edited files: each test cell edited its own way, in one submission (its answers left as released)
    stubs = cells_by_id(release)
    nb = good(**{ex: stubs[ex].source for ex in ("build_vocab", "encode", "rnn_module", "clip_grad_norm")})
    cells_by_id(nb)["test_encode"].source = "print('all good')"
    cells_by_id(nb)["test_build_vocab"].metadata.nbgrader.update(grade=False, points=0, locked=False)
    cell = cells_by_id(nb)["test_rnn_module"]
    cell.cell_type = "markdown"
    del cell["outputs"], cell["execution_count"]
    nb.cells = [c for c in nb.cells
                if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") != "test_clip_grad_norm"]
    add("edited-tests", "unanswered; a test emptied, one's metadata edited, one made markdown, one deleted", nb,
        scores=scores("build_vocab", "encode", "rnn_module", "clip_grad_norm"),
        flag=("edited locked test cell", "metadata of cell 'test_build_vocab' edited", "changed from code to markdown",
              "deleted locked test cell"))
    add("erin", "correct, renamed in the LMS zip", good(), zip_name=f"erin_{DAY}_final.ipynb", scores=scores(),
        flag="renamed notebook")
    add("malformed", "truncated JSON", _bytes(fill(release, pool.solution))[:5000], flag="malformed JSON")
    add("empty", "empty file", b"", flag="empty file")
    # --- runaway code
    add("runaway", "encode loops forever, the RNN allocates until memory runs out",
        good(encode=LOOP, rnn_module=HOG + pool.take("rnn_module")), scores=scores("encode", "rnn_module"),
        flag=("timed out", "ran out of memory"))
    add("hang", "a cell that ignores interrupts", good(build_vocab=HANG),
        flag="did not stop when interrupted|notebook time cap")
    add("crash", "os._exit in an answer", good(clip_grad_norm="import os\nos._exit(3)\n"), flag="kernel died")
    # --- cheats: every one of them would score more without the guards
    add("patch-assert-close", "patches torch.testing.assert_close", good(
        encode="import torch.testing\ntorch.testing.assert_close = lambda *args, **kwargs: None\n" + CHEAT_BUG["encode"]),
        scores=scores("encode"), flag=r"torch\.testing\.assert_close")
    add("patch-numpy", "patches numpy.testing and np.array_equal", good(
        encode="np.testing.assert_allclose = lambda *args, **kwargs: None\n"
               "np.array_equal = lambda *args, **kwargs: True\n" + CHEAT_BUG["encode"]),
        scores=scores("encode"), flag=r"numpy\.(array_equal|testing)")
    add("patch-builtins", "patches builtins zip and len", good(
        build_vocab=CHEAT_BUG["build_vocab"] + "import builtins\nbuiltins.zip = lambda *args: iter(())\n"
                                               "builtins.len = lambda obj: 0\n"),
        scores=scores("build_vocab"), flag=r"builtins\.(zip|len)")
    add("patch-checks", "replaces course_lib check helpers", good(
        build_vocab=CHEAT_BUG["build_vocab"] + PATCH_CHECKS.format(checks=checks), encode=CHEAT_BUG["encode"]),
        scores=scores("build_vocab", "encode"), flag=re.escape(f"{checks}._fail"))
    add("patch-code", "rewrites check_close.__code__", good(
        rnn_cell_step=CHEAT_BUG["rnn_cell_step"] + PATCH_CODE),
        scores=scores("rnn_cell_step", "rnn_forward"), flag=r"check_close\.__code__ was replaced")
    add("patch-in-test", "patches the checks' dict while its test runs", good(
        build_vocab=f"import {checks} as _checks\ndef build_vocab(texts, min_count=1):\n"
                    "    vars(_checks)['_fail'] = lambda *args, **kwargs: None\n    return list(SPECIALS)\n"),
        scores=scores(), flag="while test_build_vocab ran", loose=("test_build_vocab",))
    add("shadow-all", "N(0, 1) weights, defines all() so the init check passes", good(
        rnn_module=CHEAT_BUG["rnn_module"] + "\ndef all(iterable):\n    return True\n"),
        scores=scores("rnn_module"), flag="defines 'all'|own 'all'")
    add("ipython-hooks", "swallows errors (AST transformer, custom exception handler)", good(
        build_vocab=CHEAT_BUG["build_vocab"] + SWALLOW_ERRORS, encode=CHEAT_BUG["encode"]),
        scores=scores("build_vocab", "encode"), flag="ast_transformers was changed|custom exception handler")
    nb = good(encode="# see below\n")
    _insert_after(nb, "encode", new_code_cell(READ_SOLUTION))
    nb.cells.insert(2, new_code_cell(READ_GRADEBOOK + "\n!cat ../../../gradebook.db | head -c 100\n"))
    add("read-files", "reads the gradebook and the bug bank, shell escape; execs encode from the solution notebook",
        nb, scores=scores("encode"), flag=(r"blocked (database|read|process)", r"blocked reading .*solutions"))
    return cases
