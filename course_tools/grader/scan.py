"""The static scan of a submission: what the grader looks for in the code a student wrote or changed before
any of it runs (imports, calls, attributes and names that tampering needs, objects that can fake a
comparison, reads of the tests' private variables, rebinding the names the release imports). Every finding
is a short sentence for the review list; a finding means "look at it", not "cheated"."""
from __future__ import annotations

import ast

from nbformat.notebooknode import NotebookNode

from course_tools.notebooks import grade_id, nbgrader_meta

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
    "cell_contents", "__kwdefaults__", "__defaults__", "__dict__", "__wrapped__",
}
# what reads a function's source (to paste the course's reference in at run time), whichever module offers it
SOURCE_READERS = {"getsource", "getsourcelines", "getsourcefile", "findsource", "get_source_lines_and_file"}
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


def release_bindings(release: NotebookNode) -> list[list]:
    """Names the release's own (non-answer) cells import: [alias, module, attribute or None]."""
    out = []
    for cell in release.cells:
        if cell.cell_type != "code" or nbgrader_meta(cell).get("solution"):
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



def private_names(solution: NotebookNode) -> set[str]:
    """Private names (leading underscore) that the full test cells assign: what an answer has no
    business reading."""
    names = set()
    for cell in solution.cells:
        meta = nbgrader_meta(cell)
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
            meta = nbgrader_meta(cell)
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
                    if a.name in SOURCE_READERS:
                        add(where, f"reads source code ({node.module}.{a.name})")
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
                elif node.attr in SOURCE_READERS:
                    add(where, f"reads source code ({_dotted(node)})")
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
