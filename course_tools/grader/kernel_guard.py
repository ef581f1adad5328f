"""Kernel-side guard of the class-scale grader. Its text is sent to the student's kernel by
course_tools.grader.guard_cells.InjectGuards, in a cell that runs before any student code, and
`install(config)` is called there. The grader imports this file only for the names below the docstring
(`Event`, `Label`), which both sides use.

What it does inside the kernel (the student's code shares this process with the tests):
- imports the trusted modules (numpy, torch, course_lib, builtins, ...) and snapshots every function,
  class and submodule they expose, the code objects and defaults of their Python functions, the
  methods of their classes, the IPython shell's execution machinery (transformers, custom exception
  handlers, event callbacks, kernel handlers), sys hooks, and the notebook names the release binds
  to course objects (check_close -> course_lib.notebook.checks.check_close, np -> numpy, ...);
- installs an audit hook (`sys.addaudithook`: it cannot be removed) that blocks and records reads of
  the course's solution/test/gradebook files, writes outside the submission's folder, new processes,
  network access, tracing and gc introspection by notebook code, and records code built from strings
  and changes to function code objects;
- defines `__course_guard__(label, nonce)`, called by a cell injected before and after every test
  cell: it compares the state with the snapshot, puts back whatever was changed (so the test runs
  against the real checkers), and prints one report line, authenticated with an HMAC whose key was
  read from a file that is deleted before any student code runs. A missing or forged report is
  itself a finding. The report after a test cell also says how that cell failed, if it did: the
  error's type and, for a course check (`CheckFailed`), the name of the check (its `.check`).

This raises the bar; it is not a security boundary (same process, same user). The grader also scans
the submitted source statically, and the deployment guide explains per-student containers.
"""


class Event:
    """Kinds of what the audit hook and the module guard record ("kind" of each event in a report)."""
    READ = "read"
    WRITE = "write"
    LIST = "list"
    DATABASE = "database"
    MODIFY = "modify"
    PROCESS = "process"
    SIGNAL = "signal"
    NETWORK = "network"
    TRACING = "tracing"
    GC_INTROSPECTION = "gc introspection"
    MODULE_ATTRIBUTE = "module attribute"
    CODE_CHANGED = "function code changed"
    INTROSPECTION = "introspection"
    FRAME_INTROSPECTION = "frame introspection"
    EXEC = "runs code built at run time (exec/eval)"
    COMPILE = "compiles code at run time (compile/exec/eval)"
    CTYPES = "ctypes"


class Label:
    """Labels of the injected guard cells: INSTALL then START before any student code, PRE + the test
    cell's grade_id just before each test cell and POST + the grade_id just after it, END at the end."""
    INSTALL = "install"
    START = "start"
    END = "end"
    PRE = "pre:"
    POST = "post:"


def import_tree(package):
    """Import a package and every module below it, subpackages with or without an __init__.py
    (pkgutil.walk_packages skips namespace packages), so that the snapshot covers all of them."""
    import importlib
    import os

    top = importlib.import_module(package)
    for root in list(getattr(top, "__path__", [])):
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d.isidentifier() and not d.startswith("__"))
            rel = os.path.relpath(folder, root)
            prefix = package if rel == os.curdir else ".".join([package, *rel.split(os.sep)])
            for name in sorted(files):
                stem = name[:-3]
                if not name.endswith(".py") or not stem.isidentifier():
                    continue
                try:
                    importlib.import_module(prefix if stem == "__init__" else f"{prefix}.{stem}")
                except Exception:  # noqa: BLE001 - a module that fails to import has nothing to guard
                    pass


def install(config):  # noqa: C901 - one closure on purpose: its state is not reachable by name
    import builtins
    import hashlib
    import hmac
    import importlib
    import json
    import os
    import sys
    import threading
    import time
    import types

    timing = {"start": time.perf_counter()}
    secret_file = config["secret_file"]
    with open(secret_file, "rb") as f:
        secret = f.read()
    os.unlink(secret_file)

    for name in config["preload"]:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a missing optional module is not an error
            pass
    for package in config["walk_packages"]:
        try:
            import_tree(package)
        except Exception:  # noqa: BLE001 - a missing optional package is not an error
            pass

    timing["imports"] = time.perf_counter() - timing["start"]
    from IPython import get_ipython

    shell = get_ipython()
    ns = shell.user_ns
    trusted_tops = set(config["trusted_modules"])
    heap_flag = 1 << 9  # Py_TPFLAGS_HEAPTYPE: only such classes can be changed from Python

    def sep(path):
        return path.rstrip(os.sep) + os.sep

    def real(path):
        return os.path.realpath(path)

    trusted_code = tuple(sep(real(p)) for p in config["trusted_code"] if p) + ("<frozen ",)
    deny_read = tuple(real(p) for p in config["deny_read"])
    allow_read = tuple(real(p) for p in config["allow_read"])
    allow_write = tuple(real(p) for p in config["allow_write"])
    submission_dirs = tuple(real(p) for p in config["submission_dirs"])
    deny_names = tuple(config["deny_suffixes"])
    deny_components = set(config["deny_components"])

    def under(path, roots):
        for r in roots:
            if path == r or path.startswith(r + os.sep):
                return True
        return False

    def is_callable_entry(v):
        return callable(v) or isinstance(v, types.ModuleType)

    def is_descriptor(v):
        return callable(v) or hasattr(type(v), "__get__")

    # ------------------------------------------------------------------ snapshot
    import functools

    modules = {}
    functions = {}
    classes = {}
    strict_tops = set(config["strict_class_modules"])

    def code_file(v):
        for _ in range(6):
            if isinstance(v, types.FunctionType):
                return v.__code__.co_filename
            if isinstance(v, (types.MethodType, staticmethod, classmethod)):
                v = v.__func__
            elif isinstance(v, property):
                v = v.fget
            elif isinstance(v, functools.partial):
                v = v.func
            elif isinstance(v, type):
                return getattr(sys.modules.get(v.__module__), "__file__", None) or "<unknown>"
            else:
                return None
        return None

    def trusted_python(v):
        """A Python function (or method, property, partial) defined in a trusted file."""
        f = code_file(v)
        return f is not None and f.startswith(trusted_code)

    def untrusted_python(v):
        f = code_file(v)
        return f is not None and not f.startswith(trusted_code)

    def wraps_original(now, original):
        """`now` is a trusted wrapper of `original` (functools.wraps): how torch patches itself lazily,
        e.g. torch.manual_seed once torch._dynamo is imported, or an optimizer's step."""
        if not trusted_python(now):
            return False
        for _ in range(5):
            now = getattr(now, "__wrapped__", None)
            if now is None:
                return False
            if now is original:
                return True
        return False

    def snap_function(f):
        """A function's code and defaults, and those of the functions it wraps (functools.wraps sets
        `__wrapped__`; a decorator keeps the original in its closure): a decorated check helper's real
        code lives there."""
        todo = [f]
        while todo:
            f = todo.pop()
            if not isinstance(f, types.FunctionType) or id(f) in functions:
                continue
            functions[id(f)] = (f, f.__code__, f.__defaults__, f.__kwdefaults__)
            todo.append(f.__dict__.get("__wrapped__"))
            for cell in f.__closure__ or ():
                try:
                    todo.append(cell.cell_contents)
                except ValueError:  # an empty cell
                    pass

    def snap_class(cls, strict):
        if id(cls) in classes or not (cls.__flags__ & heap_flag):
            return
        entries = {k: v for k, v in list(vars(cls).items()) if is_descriptor(v)}
        classes[id(cls)] = (cls, entries, strict)
        for v in entries.values():
            snap_function(getattr(v, "__func__", v))

    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] not in trusted_tops:
            continue
        try:
            entries = {k: v for k, v in list(vars(module).items()) if is_callable_entry(v)}
        except TypeError:
            continue
        modules[name] = (module, entries)
        for v in entries.values():
            snap_function(v)
            owner = str(getattr(v, "__module__", "") or "")
            if isinstance(v, type) and owner.split(".")[0] in trusted_tops:
                snap_class(v, strict=name in strict_tops or owner.split(".")[0] == "course_lib")

    guarded_classes = {}
    setattr_state = {"records": None}

    def frame_trusted(frame):
        return frame.f_globals is guard_globals or frame.f_code.co_filename.startswith(trusted_code)

    def guarded_class(cls):
        if cls not in guarded_classes:
            def __setattr__(self, key, value):
                if not frame_trusted(sys._getframe(1)):
                    setattr_state["records"](Event.MODULE_ATTRIBUTE, f"{self.__name__}.{key} = ...")
                    raise PermissionError(f"[course grader] not allowed while grading: changing {self.__name__}.{key}")
                cls.__setattr__(self, key, value)

            def __delattr__(self, key):
                if not frame_trusted(sys._getframe(1)):
                    setattr_state["records"](Event.MODULE_ATTRIBUTE, f"del {self.__name__}.{key}")
                    raise PermissionError(f"[course grader] not allowed while grading: deleting {self.__name__}.{key}")
                cls.__delattr__(self, key)

            guarded_classes[cls] = type(cls.__name__, (cls,), {"__setattr__": __setattr__, "__delattr__": __delattr__,
                                                                "__module__": cls.__module__})
        return guarded_classes[cls]

    def guard_modules():
        for module, _ in modules.values():
            cls = type(module)
            if cls in guarded_classes.values() or not isinstance(module, types.ModuleType):
                continue
            try:
                types.ModuleType.__setattr__(module, "__class__", guarded_class(cls))
            except Exception:  # noqa: BLE001 - a module that cannot take a subclass stays as it is
                pass

    def after_cell(result):
        """IPython's post_run_cell callback: keep how the running test cell failed. A course check's
        CheckFailed carries the check's name (`.check`); only an exception of a class from a trusted
        module is asked for it."""
        try:
            if state["test"] is None or state["outcome"] is not None:
                return
            err = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
            if err is None:
                return
            check = getattr(err, "check", None) if id(type(err)) in classes else None
            state["outcome"] = {"error": type(err).__name__, "check": check if isinstance(check, str) else None}
        except Exception:  # noqa: BLE001 - an error here would print to the test cell's stderr
            pass

    timing["modules"] = time.perf_counter() - timing["start"]
    machinery = [shell, getattr(shell, "kernel", None), shell.compile, shell.displayhook, shell.display_pub,
                 sys.stdout, sys.stderr, shell.history_manager, getattr(shell, "InteractiveTB", None),
                 getattr(shell, "events", None), getattr(shell, "input_transformer_manager", None)]
    machinery = [m for m in machinery if m is not None]
    for obj in machinery:
        for cls in type(obj).__mro__:
            if cls is not object:
                snap_class(cls, strict=True)
    instance_entries = [(obj, {k: v for k, v in list(vars(obj).items()) if callable(v)})
                        for obj in machinery if hasattr(obj, "__dict__")]

    def list_attr(obj, attr):
        value = getattr(obj, attr, None)
        return (obj, attr, value, list(value)) if isinstance(value, list) else None

    lists = [x for x in [
        list_attr(shell, "ast_transformers"), list_attr(shell, "input_transformers_cleanup"),
        list_attr(shell, "input_transformers_post"),
        list_attr(shell.input_transformer_manager, "cleanup_transforms"),
        list_attr(shell.input_transformer_manager, "line_transforms"),
        list_attr(shell.input_transformer_manager, "token_transformers"),
        list_attr(sys, "meta_path"), list_attr(sys, "path_hooks"),
    ] if x is not None]
    shell.events.register("post_run_cell", after_cell)  # before the snapshot: the guard's own callback
    callbacks = {k: list(v) for k, v in shell.events.callbacks.items()}
    kernel = getattr(shell, "kernel", None)
    handlers = dict(getattr(kernel, "shell_handlers", {}) or {})
    sys_state = {"stdout": sys.stdout, "stderr": sys.stderr}
    custom_exceptions = shell.custom_exceptions
    builtin_keys = set(vars(builtins))
    ns_builtins = ns.get("__builtins__")
    shadow_names = {k for k, v in vars(builtins).items() if not k.startswith("_")}
    stashed = {}
    threads = set(threading.enumerate())
    bindings = []
    for alias, module_name, attr in config["bindings"]:
        try:
            target = importlib.import_module(module_name)
            bindings.append((alias, getattr(target, attr) if attr else target))
        except Exception:  # noqa: BLE001 - the release imports it, so it should exist
            pass
    out = sys.stdout
    per_request = {"input", "raw_input", "getpass"}  # ipykernel replaces these for every cell

    # ------------------------------------------------------------------ audit hook
    records = []
    seen = set()
    # phase: where notebook code runs, in words; test: the test cell running now (None between tests);
    # outcome: how that test cell failed, if it did (see after_cell)
    state = {"phase": "student code before the first test", "reported": 0, "test": None, "outcome": None}
    busy = set()
    guard_globals = globals()

    def record(kind, detail):
        key = (state["phase"], kind, detail)
        if key not in seen and len(records) < 200:
            seen.add(key)
            records.append({"phase": state["phase"], "kind": kind, "detail": detail, "test": state["test"]})

    def caller_untrusted():
        return not frame_trusted(sys._getframe(3))  # 0 this, 1 handler, 2 hook, 3 the code that raised the event

    def to_path(p):
        if p is None or isinstance(p, int):
            return None
        try:
            return real(os.fsdecode(p))
        except Exception:  # noqa: BLE001
            return None

    def readable(path):
        if under(path, submission_dirs):
            return True
        if under(path, allow_read):
            return True
        if under(path, deny_read) or path.endswith(deny_names) or deny_components.intersection(path.split(os.sep)):
            return False
        parts = path.split(os.sep)
        if len(parts) > 2 and parts[1] == "proc" and parts[2] not in ("self", "thread-self", str(os.getpid())):
            return not parts[2].isdigit()
        if len(parts) > 3 and parts[1] == "proc" and parts[3] in ("mem", "environ"):
            return False
        return True

    def writable(path):
        return under(path, submission_dirs) or (under(path, allow_write) and readable(path))

    def block(kind, detail):
        record(kind, detail)
        raise PermissionError(f"[course grader] not allowed while grading: {kind} {detail}")

    write_flags = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC

    def on_open(args):
        path = to_path(args[0])
        if path is None:
            return
        mode, flags = args[1], args[2] if len(args) > 2 else 0
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool((flags or 0) & write_flags)
        if writing and not writable(path):
            block(Event.WRITE, path)
        if not readable(path):
            block(Event.READ, path)

    def on_list(args):
        path = to_path(args[0] if args else ".")
        if path is not None and not readable(path):
            block(Event.LIST, path)

    def on_sqlite(args):
        db = args[0] if args else None
        if isinstance(db, (str, bytes, os.PathLike)) and os.fsdecode(db) not in (":memory:", ""):
            path = to_path(db)
            if path is not None and not (readable(path) and writable(path)):
                block(Event.DATABASE, path)

    def on_mutate(args):
        for p in args[:2]:
            path = to_path(p) if isinstance(p, (str, bytes, os.PathLike)) else None
            if path is not None and not writable(path):
                block(Event.MODIFY, path)

    def on_copy(args):
        src, dst = to_path(args[0]), to_path(args[1]) if len(args) > 1 else None
        if src is not None and not readable(src):
            block(Event.READ, src)
        if dst is not None and not writable(dst):
            block(Event.WRITE, dst)

    def on_process(event):
        def handler(args):
            block(Event.PROCESS, f"{event}{repr(tuple(args))[:150]}")
        return handler

    def on_kill(args):
        if args and args[0] not in (0, os.getpid()):
            block(Event.SIGNAL, repr(args)[:80])

    def on_network(args):
        block(Event.NETWORK, repr(args)[:160])

    def on_untrusted_block(kind):
        def handler(args):
            if caller_untrusted():
                block(kind, "")
        return handler

    def on_untrusted_record(kind):
        def handler(args):
            if caller_untrusted():
                record(kind, "")
        return handler

    def on_setattr(args):
        obj, name = args[0], args[1]
        if name in ("__code__", "__defaults__", "__kwdefaults__") and caller_untrusted():
            record(Event.CODE_CHANGED, f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', '?')}"
                                       f".{name}")

    def on_getattr(args):
        if args[1] in ("__code__", "__globals__", "__closure__", "tb_frame", "gi_frame", "cr_frame", "ag_frame",
                       "f_back", "f_globals", "f_locals") and caller_untrusted():
            record(Event.INTROSPECTION, f"reads .{args[1]}")

    handlers_by_event = {
        "open": on_open,
        "os.listdir": on_list, "os.scandir": on_list, "glob.glob": on_list, "glob.glob/2": on_list,
        "sqlite3.connect": on_sqlite,
        "os.remove": on_mutate, "os.rmdir": on_mutate, "os.rename": on_mutate, "os.truncate": on_mutate,
        "os.chmod": on_mutate, "os.chown": on_mutate, "os.link": on_mutate, "os.symlink": on_mutate,
        "os.utime": on_mutate, "os.mkdir": on_mutate, "os.setxattr": on_mutate, "os.removexattr": on_mutate,
        "shutil.rmtree": on_mutate, "shutil.move": on_copy, "shutil.copyfile": on_copy,
        "shutil.copymode": on_copy, "shutil.copystat": on_copy, "shutil.copytree": on_copy,
        **{event: on_process(event) for event in ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn",
                                                  "os.spawn", "os.fork", "os.forkpty", "pty.spawn")},
        "os.kill": on_kill, "os.killpg": on_kill, "signal.pthread_kill": on_kill,
        "socket.connect": on_network, "socket.bind": on_network, "socket.sendto": on_network,
        "socket.sendmsg": on_network, "socket.getaddrinfo": on_network, "socket.gethostbyname": on_network,
        "socket.gethostbyaddr": on_network, "urllib.Request": on_network,
        "sys.settrace": on_untrusted_block(Event.TRACING), "sys.setprofile": on_untrusted_block(Event.TRACING),
        "gc.get_objects": on_untrusted_block(Event.GC_INTROSPECTION),
        "gc.get_referrers": on_untrusted_block(Event.GC_INTROSPECTION),
        "gc.get_referents": on_untrusted_block(Event.GC_INTROSPECTION),
        "sys._getframe": on_untrusted_record(Event.FRAME_INTROSPECTION),
        "sys._current_frames": on_untrusted_record(Event.FRAME_INTROSPECTION),
        "exec": on_untrusted_record(Event.EXEC),
        "compile": on_untrusted_record(Event.COMPILE),
        "object.__setattr__": on_setattr,
        "object.__getattr__": on_getattr,
        "ctypes.dlopen": on_untrusted_record(Event.CTYPES), "ctypes.dlsym": on_untrusted_record(Event.CTYPES),
        "ctypes.cdata": on_untrusted_record(Event.CTYPES),
    }

    def hook(event, args):
        handler = handlers_by_event.get(event)
        if handler is None:
            return
        ident = threading.get_ident()
        if ident in busy:
            return
        busy.add(ident)
        try:
            handler(args)
        finally:
            busy.discard(ident)

    # ------------------------------------------------------------------ the guard
    def describe(obj):
        return f"{getattr(obj, '__module__', None) or type(obj).__name__}.{getattr(obj, '__qualname__', '')}"

    def same(a, b):
        return a is b or (isinstance(a, types.MethodType) and a == b)

    def check_and_restore():
        findings = []
        for name, (module, entries) in modules.items():
            if sys.modules.get(name, module) is not module:
                findings.append(f"sys.modules[{name!r}] was replaced")
                sys.modules[name] = module
            guarded = guarded_classes.values()
            if guarded_classes and isinstance(module, types.ModuleType) and type(module) not in guarded:
                if type(module) in guarded_classes:
                    findings.append(f"{name}'s module class was reset")
                    types.ModuleType.__setattr__(module, "__class__", guarded_classes[type(module)])
            current = vars(module)
            for key, value in entries.items():
                now = current.get(key, _missing)
                if not same(now, value) and not (name == "builtins" and key in per_request):
                    if now is not _missing and wraps_original(now, value):
                        entries[key] = now
                        continue
                    what = "deleted" if now is _missing else "replaced"
                    findings.append(f"{name}.{key} was {what}")
                    setattr(module, key, value)
        for key in set(vars(builtins)) - builtin_keys:
            if key != "__course_guard__" and key not in ("exit", "quit", "get_ipython", "display", "__IPYTHON__"):
                findings.append(f"builtins.{key} was added")
                delattr(builtins, key)
        for f, code, defaults, kwdefaults in functions.values():
            if f.__code__ is not code:
                findings.append(f"{describe(f)}.__code__ was replaced")
                f.__code__ = code
            if f.__defaults__ is not defaults or f.__kwdefaults__ is not kwdefaults:
                findings.append(f"{describe(f)} default arguments were changed")
                f.__defaults__, f.__kwdefaults__ = defaults, kwdefaults
        for cls, entries, strict in classes.values():
            current = vars(cls)
            for key, value in list(entries.items()):
                now = current.get(key, _missing)
                if same(now, value):
                    continue
                if now is not _missing and (wraps_original(now, value) or (
                        not strict and (trusted_python(now) or not untrusted_python(now)))):
                    entries[key] = now  # the library changed itself (torch patches some methods lazily)
                    continue
                findings.append(f"{describe(cls)}.{key} was {'deleted' if now is _missing else 'replaced'}")
                setattr(cls, key, value)
            for key in set(current) - set(entries):
                now = current[key]
                if not is_descriptor(now) or key.startswith("_abc_"):
                    continue
                if not strict and (trusted_python(now) or not untrusted_python(now)):
                    entries[key] = now
                    continue
                findings.append(f"{describe(cls)}.{key} was added")
                try:
                    delattr(cls, key)
                except (AttributeError, TypeError):
                    pass
        for obj, entries in instance_entries:
            current = vars(obj)
            for key in list(current):
                now = current[key]
                if not callable(now) or same(now, entries.get(key, _missing)):
                    continue
                if trusted_python(now):
                    entries[key] = now  # ipykernel re-wraps e.g. OutStream.write for every cell
                    continue
                findings.append(f"{type(obj).__name__}.{key} was overridden on the instance")
                if key in entries:
                    current[key] = entries[key]
                else:
                    del current[key]
        for obj, attr, value, items in lists:
            now = getattr(obj, attr, None)
            if now is not value or len(value) != len(items) or any(a is not b for a, b in zip(value, items)):
                findings.append(f"{type(obj).__name__}.{attr} was changed")
                value[:] = items
                setattr(obj, attr, value)
        for event, now in list(shell.events.callbacks.items()):
            before = callbacks.setdefault(event, [])
            added = [cb for cb in now if not any(same(cb, b) for b in before)]
            bad = [cb for cb in added if not trusted_python(cb)]
            if bad:
                findings.append(f"IPython {event!r} event callbacks were added ({', '.join(map(describe, bad))})")
                now[:] = [cb for cb in now if not any(cb is b for b in bad)]
            callbacks[event] = list(now)
        if kernel is not None and getattr(kernel, "shell_handlers", None) != handlers:
            findings.append("the kernel's message handlers were changed")
            kernel.shell_handlers.clear()
            kernel.shell_handlers.update(handlers)
        if shell.custom_exceptions != custom_exceptions:
            findings.append("a custom exception handler was installed (set_custom_exc)")
            shell.custom_exceptions = custom_exceptions
        for key, value in sys_state.items():
            if getattr(sys, key) is not value:
                findings.append(f"sys.{key} was replaced")
                setattr(sys, key, value)
        if sys.gettrace() is not None or sys.getprofile() is not None:
            findings.append("a trace or profile function is active")
            sys.settrace(None)
            sys.setprofile(None)
        if getattr(threading, "gettrace", lambda: None)() or getattr(threading, "getprofile", lambda: None)():
            findings.append("a thread trace or profile function was set")
            threading.settrace(None)
            threading.setprofile(None)
        if shell.user_ns is not ns or shell.user_module.__dict__ is not ns:
            findings.append("the notebook's namespace was replaced")
            shell.user_ns = ns
        if ns.get("__builtins__") is not ns_builtins:
            findings.append("the notebook's __builtins__ was replaced")
            ns["__builtins__"] = ns_builtins
        for alias, expected in bindings:
            if alias in ns and ns[alias] is not expected:
                findings.append(f"the notebook name {alias!r} no longer refers to {describe(expected)}")
                ns[alias] = expected
        for thread in threading.enumerate():
            if thread in threads or not thread.is_alive():
                continue
            target = getattr(thread, "_target", None) or getattr(thread, "function", None)
            if untrusted_python(type(thread)) or (target is not None and not trusted_python(target)):
                findings.append(f"a background thread started by notebook code is running ({thread.name!r})")
            else:
                threads.add(thread)
        return findings

    def unshadow():
        """Names the notebook defined that hide builtins the tests use (len, all, abs, ...): taken out of
        the namespace while a test runs, put back after it; a function or class there is a finding."""
        findings = []
        for name in [k for k in ns if k in shadow_names]:
            value = ns[name]
            if value is getattr(builtins, name, None):
                continue
            stashed[name] = ns.pop(name)
            if callable(value) and not trusted_python(value):
                findings.append(f"the notebook defines its own {name!r}, hiding the builtin the tests use")
        return findings

    def reshadow():
        for name, value in stashed.items():
            ns.setdefault(name, value)
        stashed.clear()

    def guard(label, nonce):
        ident = threading.get_ident()
        busy.add(ident)
        started = time.perf_counter()
        try:
            try:
                findings = check_and_restore()
                if label.startswith(Label.POST):
                    reshadow()
                findings += unshadow() if label.startswith(Label.PRE) else []
            except Exception as err:  # noqa: BLE001 - reported, never raised into the notebook
                findings = [f"guard check failed: {type(err).__name__}: {err}"]
            events = records[state["reported"]:]
            state["reported"] = len(records)
            outcome = state["outcome"]
            state["outcome"] = None
            if label.startswith(Label.PRE):
                state["test"] = label[len(Label.PRE):]
                state["phase"] = f"while {state['test']} ran"
            elif label.startswith(Label.POST):
                state["test"] = None
                state["phase"] = f"student code after {label[len(Label.POST):]}"
            else:
                state["test"], outcome = None, None
                state["phase"] = "student code before the first test"
            body = json.dumps({"label": label, "nonce": nonce, "findings": sorted(set(findings)),
                               "events": events, "outcome": outcome,
                               "ms": round(1000 * (time.perf_counter() - started), 1),
                               "install_ms": timing["install_ms"], "timing": {k: v for k, v in timing.items()
                                                                              if k != "start"}}, sort_keys=True)
            mac = hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()
            out.write(f"{config['marker']} {mac} {body}\n")
            out.flush()
        finally:
            busy.discard(ident)

    _missing = object()
    setattr_state["records"] = record
    builtins.__course_guard__ = guard
    guard_modules()
    sys.addaudithook(hook)
    timing["install_ms"] = round(1000 * (time.perf_counter() - timing["start"]))
    timing["counts"] = [len(modules), len(functions), len(classes)]
    return {"modules": len(modules), "functions": len(functions), "classes": len(classes)}
