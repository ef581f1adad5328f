"""What the class-scale grader checks in a submission before any of it runs: which file is the notebook,
whether it is a readable notebook, whether the locked cells and nbgrader metadata are the released ones
(repairing a copy when they are not), and a static scan of the code the student wrote for constructs
that tamper with grading. Every finding is a short sentence for the instructor's review list."""
from __future__ import annotations

import ast
import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

from course_tools.notebooks import grade_id

MAX_NOTEBOOK_BYTES = 20 * 2**20
BUILTIN_NAMES = {n for n in dir(__import__("builtins")) if not n.startswith("_")}

SUSPICIOUS_MODULES = {
    "builtins", "ctypes", "gc", "inspect", "importlib", "subprocess", "os", "shutil", "pathlib", "glob",
    "threading", "_thread", "multiprocessing", "concurrent", "signal", "socket", "urllib", "http", "requests",
    "sqlite3", "pickle", "marshal", "types", "IPython", "ipykernel", "linecache", "dis", "atexit", "ast",
    "code", "codeop", "tokenize", "pty", "mmap", "resource", "faulthandler", "tracemalloc", "sysconfig",
    "nbformat", "nbgrader", "nbclient", "jupyter_client", "zmq", "course_tools", "io", "tempfile", "zipfile",
}
SUSPICIOUS_CALLS = {"exec", "eval", "compile", "open", "globals", "__import__", "breakpoint", "exit", "quit",
                    "get_ipython", "delattr"}
SUSPICIOUS_ATTRS = {
    "__code__", "__globals__", "__builtins__", "__closure__", "__subclasses__", "__mro__", "__bases__",
    "f_back", "f_globals", "f_locals", "f_builtins", "tb_frame", "gi_frame", "cr_frame", "co_code",
    "_getframe", "settrace", "setprofile", "addaudithook", "ast_transformers", "input_transformers_cleanup",
    "input_transformers_post", "input_transformer_manager", "set_custom_exc", "custom_exceptions", "user_ns",
    "user_global_ns",
    "showtraceback", "_showtraceback", "run_cell", "run_code", "shell_handlers", "__course_guard__",
    "cell_contents", "__kwdefaults__", "__defaults__", "__dict__",
}
# attributes that are only suspicious on a module (sys.modules, os.environ), not on e.g. nn.Module.modules()
MODULE_ATTRS = {"modules", "meta_path", "path_hooks", "excepthook", "displayhook", "environ", "system", "popen",
                "_exit", "kill"}
SUSPICIOUS_NAMES = {"__builtins__", "__course_guard__", "In", "Out", "_ih", "_oh", "_i", "_ii", "_iii",
                    "get_ipython", "is_grading"}
RIGGED_DUNDERS = {
    "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__len__", "__hash__",
    "__getattr__", "__getattribute__", "__instancecheck__", "__subclasscheck__", "__array__",
    "__array_ufunc__", "__array_function__", "__array_interface__", "__array_priority__", "__torch_function__",
    "__torch_dispatch__", "__float__", "__index__", "__int__", "__abs__", "__sub__", "__rsub__", "__del__",
    "__contains__", "__init_subclass__", "__class_getitem__", "__set_name__",
}
FAKE_BASES = {"list", "str", "dict", "tuple", "int", "float", "bool", "set", "frozenset", "Tensor",
              "ndarray", "UserList", "UserString", "UserDict"}
SUSPICIOUS_STRINGS = ("NBGRADER", "solutions/", "/solutions", "gradebook", ".ipynb", "autograded", "submitted/",
                      "bugbank", "BEGIN HIDDEN", "__course_guard", "/proc/")


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


def _nbgrader(cell: NotebookNode) -> dict:
    return dict(cell.get("metadata", {}).get("nbgrader", {}) or {})


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
            if _nbgrader(cell).get("grade") or _nbgrader(cell).get("solution") or _nbgrader(cell).get("locked"):
                flags.append("a cell has nbgrader metadata without an id (metadata edited): metadata removed")
                cell.metadata.pop("nbgrader", None)
            continue
        if gid not in rel_by_id:
            flags.append(f"a cell carries the unknown nbgrader id {gid!r} (metadata edited): metadata removed")
            cell.metadata.pop("nbgrader", None)
            continue
        seen[gid] = seen.get(gid, 0) + 1
    for gid, count in seen.items():
        if count > 1 and _nbgrader(rel_by_id[gid]).get("locked"):
            flags.append(f"locked cell {gid!r} appears {count} times (copied); nbgrader grades the last copy")

    present = [grade_id(c) for c in nb.cells if grade_id(c) in rel_by_id]
    for gid in order:
        rel = rel_by_id[gid]
        meta = _nbgrader(rel)
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
            changed = [k for k in META_KEYS if _nbgrader(cell).get(k) != meta.get(k)]
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
    cell.pop("id", None)
    index = order.index(gid)
    for previous in reversed(order[:index]):
        positions = [i for i, c in enumerate(nb.cells) if grade_id(c) == previous]
        if positions:
            nb.cells.insert(positions[-1] + 1, cell)
            break
    else:
        later = [i for i, c in enumerate(nb.cells) if grade_id(c) in order[index + 1:]]
        nb.cells.insert(later[0] if later else len(nb.cells), cell)
    nbformat.validator.normalize(nb)  # gives the new cell an id
    for c in nb.cells:
        if "id" not in c:
            c.id = f"restored-{gid}"


def release_bindings(release: NotebookNode) -> list[list]:
    """Names the release's own (non-answer) cells import: [alias, module, attribute or None]."""
    out = []
    for cell in release.cells:
        if cell.cell_type != "code" or _nbgrader(cell).get("solution"):
            continue
        tree = _parse(cell.source)
        for node in (tree.body if tree else []):
            if isinstance(node, ast.Import):
                for a in node.names:
                    out.append([a.asname or a.name.split(".")[0], a.name if a.asname else a.name.split(".")[0], None])
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    if a.name != "*":
                        out.append([a.asname or a.name, node.module, a.name])
    return out


def _parse(source: str) -> ast.Module | None:
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        source = TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - fall back to the raw source
        pass
    try:
        return ast.parse(source)
    except SyntaxError:
        return None


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.value if not isinstance(node, ast.Call) else node.func
    return node.id if isinstance(node, ast.Name) else None


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def test_variables(solution: NotebookNode) -> set[str]:
    """Private names (leading underscore) that the full test cells assign: what an answer has no
    business reading."""
    names = set()
    for cell in solution.cells:
        meta = _nbgrader(cell)
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            tree = _parse(cell.source)
            for node in ast.walk(tree) if tree else []:
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id.startswith("_"):
                    names.add(node.id)
    return names


def student_cells(nb: NotebookNode, release: NotebookNode) -> list[tuple[str, str]]:
    """(label, source) of the code cells the student wrote or changed (not byte-identical to a released cell)."""
    released = {c.source.strip() for c in release.cells if c.cell_type == "code"}
    out = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.source.strip() and cell.source.strip() not in released:
            meta = _nbgrader(cell)
            if meta.get("locked"):
                continue  # an edited locked cell is flagged by repair() and replaced by nbgrader
            out.append((grade_id(cell) or f"cell {index + 1}", cell.source))
    return out


def scan(nb: NotebookNode, release: NotebookNode, bindings: list[list], private_test_names: set[str]) -> list[str]:
    """Static review flags for the student's own code (see the module docstring)."""
    bound = {alias: (module, attr) for alias, module, attr in bindings}
    module_aliases = {alias for alias, module, attr in bindings if attr is None or attr in ("nn",)}
    findings: list[str] = []

    def add(where: str, what: str) -> None:
        message = f"suspicious code in {where}: {what}"
        if message not in findings:
            findings.append(message)

    for where, source in student_cells(nb, release):
        tree = _parse(source)
        if tree is None:
            continue
        local_modules = set(module_aliases)
        defined = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                defined.update(a.arg for a in node.args.args + node.args.kwonlyargs + node.args.posonlyargs)
                if node.args.vararg:
                    defined.add(node.args.vararg.arg)
                if node.args.kwarg:
                    defined.add(node.args.kwarg.arg)
            if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                defined.add(node.id)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    top = a.name.split(".")[0]
                    alias = a.asname or top
                    local_modules.add(alias)
                    if top in SUSPICIOUS_MODULES:
                        add(where, f"imports {a.name}")
                    if alias in bound and bound[alias] != ((a.name if a.asname else top), None):
                        add(where, f"rebinds the notebook name {alias!r}")
            elif isinstance(node, ast.ImportFrom):
                top = (node.module or "").split(".")[0]
                if top in SUSPICIOUS_MODULES:
                    add(where, f"imports from {node.module}")
                for a in node.names:
                    alias = a.asname or a.name
                    if alias in bound and bound[alias] != (node.module, a.name):
                        add(where, f"rebinds the notebook name {alias!r}")
            elif isinstance(node, ast.Call):
                name = node.func.id if isinstance(node.func, ast.Name) else None
                if name in SUSPICIOUS_CALLS:
                    add(where, f"calls {name}()")
                if name == "setattr" and node.args and _root_name(node.args[0]) not in ("self", "cls"):
                    add(where, "calls setattr() on something other than self")
                if name == "vars" and (not node.args or _root_name(node.args[0]) in local_modules):
                    add(where, "calls vars()" if not node.args else f"calls vars({_dotted(node.args[0])})")
            elif isinstance(node, ast.Attribute):
                if node.attr in SUSPICIOUS_ATTRS:
                    add(where, f"uses .{node.attr}")
                elif node.attr in MODULE_ATTRS and _root_name(node) in local_modules | {"sys", "os"}:
                    add(where, f"uses {_dotted(node)}")
            elif isinstance(node, ast.Name):
                if node.id in SUSPICIOUS_NAMES:
                    add(where, f"uses {node.id}")
                if isinstance(node.ctx, ast.Load) and node.id in private_test_names and node.id not in defined:
                    add(where, f"reads the test variable {node.id}")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                for s in SUSPICIOUS_STRINGS:
                    if s.lower() in node.value.lower():
                        add(where, f"mentions {s!r} in a string")
            elif isinstance(node, ast.ClassDef):
                for base in node.bases:
                    base_name = _dotted(base).split(".")[-1]
                    if base_name in FAKE_BASES:
                        add(where, f"class {node.name} subclasses {_dotted(base)} (can fake comparisons)")
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name in RIGGED_DUNDERS:
                        add(where, f"class {node.name} defines {item.name}")
                    if isinstance(item, ast.Assign):
                        for t in item.targets:
                            if isinstance(t, ast.Name) and t.id in RIGGED_DUNDERS:
                                add(where, f"class {node.name} sets {t.id}")
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
                targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
                while any(isinstance(t, (ast.Tuple, ast.List, ast.Starred)) for t in targets):
                    targets = [e for t in targets for e in (t.elts if isinstance(t, (ast.Tuple, ast.List)) else
                                                           [t.value] if isinstance(t, ast.Starred) else [t])]
                for t in targets:
                    if isinstance(t, ast.Attribute) and _root_name(t) in local_modules:
                        add(where, f"assigns to {_dotted(t)}")
                    elif isinstance(t, ast.Subscript) and _root_name(t) in local_modules:
                        add(where, f"assigns into {_dotted(t.value) or 'a module'}[...]")
                    elif isinstance(t, ast.Name) and t.id in bound:
                        add(where, f"rebinds the notebook name {t.id!r}")
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in bound:
                add(where, f"redefines the notebook name {node.name!r}")
        for node in tree.body:  # module level only: a local variable called `sum` is fine
            names = []
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names = [node.name]
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            for name in names:
                if name in BUILTIN_NAMES:
                    add(where, f"defines {name!r}, hiding the builtin the tests use")
    return findings


def prepare(folder: Path, day: str, release: NotebookNode, bindings: list[list],
            private_test_names: set[str]) -> Prepared:
    """Everything the grader checks before running a submission (see the module docstring)."""
    result = Prepared()
    for extra in sorted(folder.iterdir()) if folder.is_dir() else []:
        if extra.name in (".ipynb_checkpoints", "__pycache__", "__MACOSX", ".DS_Store"):
            continue
        if extra.is_symlink():
            result.flags.append(f"submitted a symbolic link {extra.name!r}: left out")
        elif extra.is_dir():
            result.flags.append(f"submitted a folder {extra.name!r}: left out")
        elif extra.suffix in (".py", ".pyc", ".pth", ".so", ".pyd"):
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


FAILED_CHECK = re.compile(r"^(?P<name>.+?): (?=expected |got |first difference|values differ|your answer calls|"
                          r"\d+ NaN|\d+ of \d+|some parameters|a None gradient|values outside)")


def check_name(message: str, known: list[str]) -> str:
    """The name of the check a CheckFailed message reports (messages are "<name>: <problem>")."""
    first = message.strip().splitlines()[0] if message.strip() else ""
    for name in sorted(known, key=len, reverse=True):
        if first.startswith(name + ":"):
            return name
    m = FAILED_CHECK.match(first)
    if m:
        return m.group("name")
    return first.rsplit(": ", 1)[0] if ": " in first else first


def check_names(test_source: str) -> list[str]:
    """Literal `name` arguments of the check_* calls in a test cell (f-strings become their literal prefix)."""
    tree = _parse(test_source)
    names = []
    for node in ast.walk(tree) if tree else []:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.startswith("check_"):
            args = list(node.args) + [k.value for k in node.keywords if k.arg == "name"]
            for a in args:
                if isinstance(a, ast.Constant) and isinstance(a.value, str) and a.value not in names:
                    names.append(a.value)
    return names
