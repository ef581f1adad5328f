"""The rule every hidden check enforces: the answer is written by the student. While a
`written_by_you(grade_id)` block runs, the exercise's references (course_lib's own answer) and the library
callables that would do the exercise (the registry's `may_not_call`) refuse to run, whatever name reaches
them: a module attribute, an alias, a list, a closure, a default argument, `functools.partial`, a bound
method, an object found through `gc`, a copy made with `types.FunctionType`, a module reloaded or loaded
again from its file, a subclass calling `super()`, a call made from C (`map`, `sorted`, `methodcaller`).

How: the refusal is keyed on identity, not on names. A Python function is known by its code object (the
profiler hook `sys.setprofile` sees every frame that starts in this thread, and the function's own code is
swapped for a refusing one, which every thread sees), or by its compiled form (source pasted or exec'd
unchanged, docstring included, when it compiles to the same bytecode and constants: not always, as the
compiler's choices can differ between a module and a cell; pasted code is the grader's copy detection's
job); a class by the code of the methods it defines; a torch built-in by the function object torch
dispatches (a `TorchFunctionMode` sees every torch call, however it was reached); any other built-in by the object a Python call site calls. A refused call
raises `CheckFailed("hidden check: written by you", ...)`, and the block fails on exit even if the answer
caught that error, or switched the guard off.

A banned torch built-in is banned under torch's other names for it as well: its ATen operator
(`torch.ops.aten.<name>`, every overload, the C entry of each) and the Python versions torch keeps
(`torch._refs`, `torch._decomp`). A banned call already running in another thread when the block starts
(waiting there for the hidden inputs) fails the block. Three routes hide where their operations came from, so
they are refused outright while a check runs: a TorchScript graph (`torch.jit.trace`/`script`: C++ runs the
ops, no Python frame or torch function call is seen), an FX graph (`torch.fx`, `make_fx`, `torch.export`:
generated code replays the reference's operations) and a new process (an audit hook: a fresh interpreter
imports an unguarded course_lib). An audit hook also fails the block when the answer puts a banned
function's code back or sets the profiler (even off and on again, from C), and every thread started
during the block, raw `_thread` ones included, starts with the hook. Not covered (the grader's copy detection and the hidden inputs' design
are the defence): pasted source changed beyond its bytecode, a helper process or server started before
the block, results of the reference stored before the block for inputs that the hidden tests then use.

    with written_by_you("rnn_cell_step"):
        check_close(rnn_cell_step(x, h, *params), expected, "hidden check: ...")

Compute expected values before the block: inside it the references refuse the checks too.
"""
from __future__ import annotations

import contextlib
import dis
import functools
import inspect
import sys
import _thread
import threading
import types
from collections.abc import Callable, Iterator
from typing import Any

import torch

from course_lib.notebook.checks import CheckFailed
from course_lib.notebook.registry import Exercise, exercise, resolve

RULE = "hidden check: written by you"
# captured when course_lib is imported (the notebook's first cell), before any answer cell can replace them
_setprofile, _getprofile = sys.setprofile, sys.getprofile
_thread_setprofile, _thread_getprofile = threading.setprofile, threading.getprofile


def _functions(obj: Any) -> list[types.FunctionType]:
    """The Python functions whose running means `obj` runs: a function (unwrapped from its decorators), a
    method's function, or every function a class defines itself (methods, static and class methods,
    properties)."""
    if isinstance(obj, type):
        found = []
        for value in vars(obj).values():
            if isinstance(value, (staticmethod, classmethod)):
                value = value.__func__
            if isinstance(value, property):
                found += [f for f in (value.fget, value.fset, value.fdel) if f is not None]
            elif callable(value):
                found += _functions(value) if not isinstance(value, type) else []
        return found
    if isinstance(obj, types.MethodType):
        obj = obj.__func__
    if isinstance(obj, types.FunctionType):
        inner = inspect.unwrap(obj)
        return [inner] if isinstance(inner, types.FunctionType) else [obj]
    return []


_SAME_OP = {"LOAD_METHOD": "LOAD_ATTR"}  # `module.f(...)`: which of the two depends on where `module` was imported


@functools.lru_cache(maxsize=4096)
def _compiled(code: types.CodeType) -> tuple:
    """What compiling the same source gives again, wherever and under whatever file name, and however it is
    split into statements: the instructions, constants (nested code compared the same way) and the global
    and attribute names it uses. Python 3.11 compiles a call on an imported module, `torch.arange(n)`, with
    LOAD_ATTR when the module's import is compiled with it (a module) and LOAD_METHOD when it is not (a
    notebook cell, which IPython compiles statement by statement); the two differ in size, so jump targets
    move too. The instructions are compared with both forms taken as one and without jump targets."""
    consts = tuple(_compiled(c) if isinstance(c, types.CodeType) else (type(c), c) for c in code.co_consts)
    jumps = set(dis.hasjrel) | set(dis.hasjabs)
    ops = tuple((_SAME_OP.get(i.opname, i.opname), None if i.opcode in jumps or isinstance(i.argval, types.CodeType)
                 else repr(i.argval)) for i in dis.get_instructions(code))
    return ops, consts, code.co_names


def _docstring(code: types.CodeType) -> str | None:
    """The docstring compiled into a function's code (its first constant), or None."""
    first = code.co_consts[0] if code.co_consts else None
    return first if isinstance(first, str) else None


def _refusing_code(fn: types.FunctionType, path: str) -> types.CodeType:
    """Code that refuses to run, for `fn.__code__ = ...` while a check runs (so that every thread sees it):
    it takes any arguments and has as many free variables as `fn` has closure cells, as Python requires."""
    cells = [f"_cell{i}" for i in range(len(fn.__code__.co_freevars))]
    source = "def _outer():\n"
    if cells:
        source += f"    {', '.join(cells)} = {', '.join(['None'] * len(cells))}{',' if len(cells) == 1 else ''}\n"
    source += "    def refused(*args, **kwargs):\n        __tracebackhide__ = True\n"
    if cells:
        source += f"        ({', '.join(cells)},)\n"
    source += f"        __import__('course_lib.notebook.rules', fromlist=['refused']).refused({path!r})\n"
    source += "    return refused\n"
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<refused: {path}>", "exec"), namespace)  # noqa: S102 - fixed text, no input
    return namespace["_outer"]().__code__


_active: list["_Guard"] = []

# routes whose callee the hooks cannot see, refused while a check runs: {path given to refuse: what it is}
_UNSEEN = {"torch.jit": "a TorchScript graph (torch.jit: a traced or scripted function or module)",
           "torch.fx": "a captured graph (torch.fx, make_fx, torch.export: operations recorded before the check, "
                       "whatever function they came from)",
           "a new process": "a new process (subprocess, os.system, multiprocessing, os.fork...)"}
_PROCESS_EVENTS = frozenset({"subprocess.Popen", "os.system", "os.exec", "os.fork", "os.forkpty", "os.posix_spawn",
                             "os.spawn", "os.startfile", "pty.spawn"})


def _with_hook(hook: Any, function: Callable, args: tuple, kwargs: dict) -> Any:
    """What a thread started while a check runs does first: set the guard's hook."""
    _setprofile(hook)
    return function(*args, **kwargs)


def _audit(event: str, args: tuple) -> None:
    """sys.addaudithook (installed once, cannot be removed), while a check runs: a process started would run
    code the hooks cannot see (a fresh interpreter importing course_lib); a banned function's code put back
    would run the answer's copy of it; the profiler switched (even off and on again, by any route) would
    let a copy of a banned function's code run unseen. Only threading's own start of a thread may set the
    profiler, to the guard's hook."""
    if not _active or not _active[-1].armed:
        return
    __tracebackhide__ = True  # noqa: F841
    guard = _active[-1]
    if event in _PROCESS_EVENTS:
        guard.refuse("a new process")
    elif event == "object.__setattr__" and len(args) == 3 and args[1] == "__code__" and args[0] in guard.banned.functions:
        guard.refuse(guard.banned.functions[args[0]])
    elif event == "sys.setprofile":
        caller = sys._getframe(1)
        if not (caller.f_code is _with_hook.__code__ or
                caller.f_code is threading.Thread._bootstrap_inner.__code__ and threading._profile_hook is guard.hook):
            guard.tampered = True


sys.addaudithook(_audit)
_SCRIPT_TYPES = (torch._C.ScriptFunction, torch._C.ScriptMethod)  # a graph run in C++: no frame, no torch function


def _refusing_script_call(self: Any, *args: Any, **kwargs: Any) -> Any:
    __tracebackhide__ = True  # noqa: F841
    if _active:
        _active[-1].refuse("torch.jit")
    return _script_calls[type(self)](self, *args, **kwargs)


_script_calls = {t: t.__call__ for t in _SCRIPT_TYPES}


def refused(path: str) -> None:
    """Called by a banned function's swapped code (in any thread) while a check runs."""
    __tracebackhide__ = True  # noqa: F841
    if not _active:
        raise RuntimeError(f"{path} was left refusing to run after a hidden check; restart the kernel")
    _active[-1].refuse(path)


class Banned:
    """The identities of everything an exercise may not run: {code object: path}, {(file, first line): path}
    (a code object copied with `code.replace` keeps both), {built-in: path} and, for a method of a built-in
    type (`torch.Tensor.lerp`), {(its name, the type): path}."""

    def __init__(self, paths: list[str]):
        self.codes: dict[types.CodeType, str] = {}
        self.places: dict[tuple[str, int], str] = {}
        self.functions: dict[types.FunctionType, str] = {}
        self.copies: dict[str, list[tuple[types.CodeType, str]]] = {}  # docstring -> (code, path) of each ban
        self.seen: dict[types.CodeType, str | None] = {}
        self.builtins: dict[Any, str] = {}
        self.methods: dict[str, list[tuple[type, str]]] = {}
        for path in paths:
            obj = resolve(path)
            functions = _functions(obj)
            for fn in functions:
                self.add_function(fn, path)
            if not functions:
                if not callable(obj):
                    raise TypeError(f"{path} is not callable")
                owner = getattr(obj, "__objclass__", None)
                if isinstance(owner, type):  # a method descriptor of a built-in type
                    self.methods.setdefault(obj.__name__, []).append((owner, path))
                self.builtins.setdefault(obj, path)
                if isinstance(obj, (types.BuiltinFunctionType, types.MethodDescriptorType)) and \
                        (getattr(obj, "__module__", None) or "").startswith("torch") or owner is torch._C.TensorBase \
                        or isinstance(obj, torch._ops.OpOverloadPacket) and obj._qualified_op_name.startswith("aten::"):
                    self.add_relatives(obj.__name__, path)

    def add_function(self, fn: types.FunctionType, path: str) -> None:
        self.functions.setdefault(fn, path)
        self.codes.setdefault(fn.__code__, path)
        self.places.setdefault((fn.__code__.co_filename, fn.__code__.co_firstlineno), path)
        doc = _docstring(fn.__code__)
        if doc is not None:  # the docstring is one of the constants: an independent answer never matches
            self.copies.setdefault(doc, []).append((fn.__code__, path))

    def add_relatives(self, name: str, path: str) -> None:
        """A banned torch built-in `name` (torch.lerp, torch._VF.lstm, Tensor.lerp_) is reached under other
        objects too: the ATen operator `torch.ops.aten.<name>` (its packet, every overload and the C entry
        of each), and the Python versions torch keeps of it (`torch._refs`, `torch._decomp`: the same
        computation written in torch code). They are banned with it, under its path."""
        import torch._decomp  # noqa: PLC0415 - imported by torch already
        try:
            packet = getattr(torch.ops.aten, name)
        except (AttributeError, RuntimeError):
            packet = None
        if isinstance(packet, torch._ops.OpOverloadPacket):
            ops = [packet] + [getattr(packet, o) for o in packet.overloads()]
            for op in ops:
                self.builtins.setdefault(op, path)
                if callable(getattr(op, "_op", None)):
                    self.builtins.setdefault(op._op, path)
            for op in ops[1:]:
                decomposition = torch._decomp.decomposition_table.get(op)
                if isinstance(decomposition, types.FunctionType):
                    for fn in _functions(decomposition):
                        self.add_function(fn, path)
        for module in (torch._refs, torch._refs.nn.functional, torch._decomp.decompositions):
            for fn in _functions(getattr(module, name, None)):
                self.add_function(fn, path)

    def code_path(self, code: types.CodeType) -> str | None:
        path = self.codes.get(code) or self.places.get((code.co_filename, code.co_firstlineno))
        if path is None and self.copies:
            if code not in self.seen:  # source pasted or exec'd unchanged: the same compiled code
                banned = self.copies.get(_docstring(code), ())  # compiled only when the docstring matches
                mine = _compiled(code) if banned else None
                self.seen[code] = next((p for ref, p in banned if _compiled(ref) == mine), None)
            path = self.seen[code]
        return path

    def builtin_path(self, fn: Any) -> str | None:
        try:
            path = self.builtins.get(fn)
        except TypeError:  # unhashable
            path = None
        if path is None:
            bound_to = getattr(fn, "__self__", None)
            for owner, p in self.methods.get(getattr(fn, "__name__", None), ()):
                if isinstance(bound_to, owner):
                    return p
        return path


class _TorchCalls(torch.overrides.TorchFunctionMode):
    """Sees every torch function call, however it was reached (an alias, partial, map, a C caller)."""

    def __init__(self, guard: "_Guard"):
        super().__init__()
        self.guard = guard

    def __torch_function__(self, func, types_, args=(), kwargs=None):
        path = self.guard.banned.builtin_path(func)
        if path is not None:
            self.guard.refuse(path)
        return func(*args, **(kwargs or {}))


class _Guard:
    def __init__(self, entry: Exercise):
        self.entry = entry
        self.banned = Banned(list(entry.banned))
        import torch.fx  # noqa: PLC0415 - imported by torch already
        self.banned.codes[torch.fx.graph_module._WrappedCall.__call__.__code__] = "torch.fx"  # every GraphModule call
        self.refused: str | None = None
        self.armed = False     # the hooks are in place: the audit hook watches for their removal
        self.tampered = False  # the profiler was set while the check ran (it may have been switched back)
        self.hook: Any = None

    def refuse(self, path: str) -> None:
        __tracebackhide__ = True  # noqa: F841
        self.refused = self.refused or path
        raise self.failure(path)

    def failure(self, path: str) -> CheckFailed:
        if path in _UNSEEN:
            return CheckFailed(RULE, f"your {self.entry.grade_id} runs {_UNSEEN[path]}, where the hidden checks cannot "
                                     "see what it calls; this exercise asks you to write it yourself, in Python",
                               "run your own code in this notebook's process, without torch.jit")
        kind = ("course_lib's own answer" if path in self.entry.references else
                "a course_lib piece that may not stand in for this answer" if path.startswith("course_lib.") else
                "a library version of this exercise")
        return CheckFailed(RULE, f"your {self.entry.grade_id} runs {path} ({kind}), whatever name it is reached "
                                 "by; this exercise asks you to write it yourself",
                           "the exercise text lists what it may not call")

    def profile_hook(self) -> Callable[[types.FrameType, str, Any], None]:
        """The function for sys.setprofile: called at every call and return, so it does little."""
        code_path, builtin_path, refuse = self.banned.code_path, self.banned.builtin_path, self.refuse

        def hook(frame: types.FrameType, event: str, arg: Any) -> None:
            if event == "call":
                path = code_path(frame.f_code)
                if path is not None:
                    refuse(path)
            elif event == "c_call":
                path = builtin_path(arg)
                if path is not None:
                    refuse(path)
        return hook


@contextlib.contextmanager
def written_by_you(grade_id: str) -> Iterator[Exercise]:
    """Within the block, the exercise's banned objects (see the registry) refuse to run. Yields its entry."""
    __tracebackhide__ = True  # noqa: F841
    guard = _Guard(exercise(grade_id))
    before, thread_before = _getprofile(), _thread_getprofile()
    torch_calls = _TorchCalls(guard)
    hook = guard.profile_hook()
    swapped = {fn: fn.__code__ for fn in guard.banned.functions}
    _active.append(guard)
    guard.hook = hook
    _thread_setprofile(hook)
    _setprofile(hook)
    switched_off = False
    starts = {module: module.start_new_thread if module is _thread else module._start_new_thread
              for module in (_thread, threading)}

    def start_new_thread(function, args, kwargs=None, _start=starts[_thread]):
        """A thread started while the check runs gets the guard's hook, however it was started."""
        return _start(_with_hook, (hook, function, args, kwargs or {}))

    try:
        for fn, path in guard.banned.functions.items():  # every thread, even one started before the block
            fn.__code__ = _refusing_code(fn, path)
        for script_type in _SCRIPT_TYPES:
            script_type.__call__ = _refusing_script_call
        for frame in sys._current_frames().values():  # a banned call started before the block, still running
            while frame is not None:                   # in another thread (waiting for the hidden inputs)
                path = guard.banned.code_path(frame.f_code)
                if path is not None:
                    guard.refuse(path)
                frame = frame.f_back
        _thread.start_new_thread = threading._start_new_thread = start_new_thread
        guard.armed = True
        with torch_calls:
            yield guard.entry
    except CheckFailed as err:  # a refusal propagates as it was raised: its traceback shows the answer's line
        if guard.refused is not None and err.check != RULE:
            raise guard.failure(guard.refused) from None
        raise
    except Exception:  # the answer caught the refusal and failed in some other way
        if guard.refused is not None:
            raise guard.failure(guard.refused) from None
        raise
    finally:
        guard.armed = False
        _thread.start_new_thread, threading._start_new_thread = starts[_thread], starts[threading]
        switched_off = (_getprofile() is not hook or guard.tampered) and guard.refused is None
        _setprofile(before)
        _thread_setprofile(thread_before)
        for fn, code in swapped.items():
            fn.__code__ = code
        if len(_active) == 1:
            for script_type, call in _script_calls.items():
                script_type.__call__ = call
        _active.remove(guard)
    if guard.refused is not None:
        raise guard.failure(guard.refused)
    if switched_off:
        raise CheckFailed(RULE, "the hidden checks' guard was switched off while your answer ran "
                                "(sys.setprofile); answers must not change the grader's hooks")


def rule_text(grade_id: str) -> str:
    """One sentence for the exercise text: what the answer may not call (generated into every exercise)."""
    entry = exercise(grade_id)
    banned = [f"course_lib's own answer ({', '.join(f'`{p}`' for p in entry.references)})"] if entry.references else []
    banned += [f"`{p}`" for p in entry.may_not_call]
    if banned:
        text = f"**May not call:** {', '.join(banned[:-1]) + ' or ' if len(banned) > 1 else ''}{banned[-1]}. " \
               "The hidden tests refuse them under any name, and refuse captured graphs (`torch.jit`, `torch.fx`, " \
               "`torch.export`) and new processes, whose calls they cannot see."
    else:
        text = "**May not call:** nothing is banned here; any torch or Python function is fine (but not captured " \
               "graphs, `torch.jit`, `torch.fx`, `torch.export`, or new processes, whose calls the hidden tests " \
               "cannot see)."
    if entry.max_matrix_products is not None:
        text += (f" At most {entry.max_matrix_products} matrix product{'s' if entry.max_matrix_products > 1 else ''}"
                 " per call (`@`, `mm`, `matmul`, `einsum`, `F.linear`… all count).")
    return text
