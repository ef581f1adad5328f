"""Check helpers for the tests under each exercise. A failed check raises `CheckFailed` whose message says
what was expected, what was got, where the largest difference is, and the likely cause.

Every check takes a `name`: the thing being checked, in words a student recognises
("rnn_cell_step output", "hidden check: float64 parity with nn.RNN"). Hidden tests use the same
helpers, so their failures say *which* check failed without showing how it was computed.
"""
from __future__ import annotations

import copy
import functools
import inspect
import traceback
import types
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch


class CheckFailed(AssertionError):
    """A course check failed. `check` names the check ("encode('cab')", "hidden check: batch of one"),
    `problem` says what is wrong and `hint` the likely cause; the message, written for the student, is
    "<check>: <problem>" and the hint on a line of its own. Grading tools read `check` as data."""

    def __init__(self, check: str, problem: str, hint: str | None = None):
        self.check, self.problem, self.hint = check, problem, hint
        message = f"{check}: {problem}"
        if hint:
            message += f"\n  hint: {hint}"
        super().__init__(message)

    def __reduce__(self):  # picklable with its fields (e.g. across processes)
        return type(self), (self.check, self.problem, self.hint)

    def _render_traceback_(self) -> list[str]:
        """How IPython shows this error (it calls this hook when an exception defines it): the traceback
        without the check helpers' frames, so a student reads the test cell's line and the message."""
        return _student_traceback(self)


def _student_traceback(err: BaseException) -> list[str]:
    """IPython's usual traceback of `err`, less every frame whose locals hold `__tracebackhide__`
    (IPython hides those itself, but always keeps the last one: the helper's `raise`)."""
    from IPython import get_ipython  # only ever called by IPython

    from .runtime import is_grading

    shell = get_ipython()
    tb = err.__traceback__
    if not is_grading():  # while grading, exactly what IPython would show
        entries = []
        while tb is not None:
            if not tb.tb_frame.f_locals.get("__tracebackhide__", False):
                entries.append(tb)
            tb = tb.tb_next
        tb = None
        for entry in reversed(entries):
            tb = types.TracebackType(tb, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return shell.InteractiveTB.structured_traceback(type(err), err, tb)


# Test cells print one line when they pass ("✓ 3 visible checks passed ..."; see runtime.setup_notebook):
# each public check called from outside the helpers counts once, hidden checks never.
_checks = {"depth": 0, "visible": 0}


def visible_checks_run(reset: bool = False) -> int:
    """How many visible checks (names not starting "hidden check") ran since the last reset."""
    count = _checks["visible"]
    if reset:
        _checks["visible"] = 0
    return count


def _counted(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A public check: hidden from IPython tracebacks, counted once when called from outside the helpers."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def check(*args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True  # noqa: F841 - read by IPython and by _student_traceback
        outermost = _checks["depth"] == 0
        _checks["depth"] += 1
        try:
            result = fn(*args, **kwargs)
        finally:
            _checks["depth"] -= 1
        if outermost:
            try:
                name = signature.bind(*args, **kwargs).arguments.get("name")
            except TypeError:
                name = None
            if not (isinstance(name, str) and name.lower().startswith("hidden check")):
                _checks["visible"] += 1
        return result

    return check


def _fail(name: str, problem: str, hint: str | None = None) -> None:
    __tracebackhide__ = True  # noqa: F841
    raise CheckFailed(name, problem, hint)


def _kind(x: Any) -> str:
    if isinstance(x, torch.Tensor):
        return f"torch.Tensor (dtype {x.dtype})"
    if isinstance(x, np.ndarray):
        return f"numpy.ndarray (dtype {x.dtype})"
    return type(x).__name__


def _shape(x: Any) -> tuple[int, ...] | None:
    shape = getattr(x, "shape", None)
    return tuple(shape) if shape is not None else None


@_counted
def check_true(condition: bool, name: str, problem: str, hint: str | None = None) -> None:
    """Fail with `problem` unless `condition` holds."""
    __tracebackhide__ = True  # noqa: F841 - IPython leaves this frame out of tracebacks
    if not condition:
        _fail(name, problem, hint)


@_counted
def check_type(value: Any, expected: type | tuple[type, ...], name: str, hint: str | None = None) -> None:
    """`value` must be an instance of `expected` (e.g. torch.Tensor, np.ndarray, list)."""
    __tracebackhide__ = True  # noqa: F841 - IPython leaves this frame out of tracebacks
    if not isinstance(value, expected):
        names = " or ".join(t.__name__ for t in (expected if isinstance(expected, tuple) else (expected,)))
        _fail(name, f"expected a {names}, got {_kind(value)}", hint)


@_counted
def check_shape(value: Any, expected: Sequence[int], name: str, hint: str | None = None) -> None:
    """`value.shape` must equal `expected`."""
    __tracebackhide__ = True  # noqa: F841 - IPython leaves this frame out of tracebacks
    expected = tuple(expected)
    got = _shape(value)
    if got is None:
        _fail(name, f"expected an array or tensor of shape {expected}, got {_kind(value)} with no shape", hint)
    if got != expected:
        auto = None
        if sorted(got) == sorted(expected) and len(got) >= 2:
            auto = "the right sizes in the wrong order: a transposed weight or swapped (batch, time) axes?"
        elif len(got) != len(expected):
            auto = f"{len(got)} dimensions instead of {len(expected)}: a missing or extra (un)squeeze or stack?"
        _fail(name, f"expected shape {expected}, got {got}", hint or auto)


@_counted
def check_dtype(value: Any, expected: Any, name: str, hint: str | None = None) -> None:
    """`value.dtype` must equal `expected` (a torch or numpy dtype)."""
    __tracebackhide__ = True  # noqa: F841 - IPython leaves this frame out of tracebacks
    got = getattr(value, "dtype", None)
    same = got == expected
    if isinstance(value, np.ndarray):
        try:
            same = np.dtype(got) == np.dtype(expected)
        except TypeError:  # e.g. a torch dtype expected: not the same
            same = False
    if not same:
        _fail(name, f"expected dtype {expected}, got {got}", hint)


def _plain(x: Any) -> Any:
    """A NumPy scalar as the Python value (NumPy 2 would print np.int64(5) instead of 5)."""
    return x.item() if isinstance(x, np.generic) else x


def _to_numpy(x: Any) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


@_counted
def check_close(actual: Any, expected: Any, name: str, *, atol: float = 1e-6, rtol: float = 1e-5,
                hint: str | None = None) -> None:
    """Values of `actual` must match `expected` within atol + rtol*|expected|, element by element.
    Checks the kind (tensor vs array) and the shape first, then reports the largest difference."""
    __tracebackhide__ = True  # noqa: F841 - IPython leaves this frame out of tracebacks
    if isinstance(expected, torch.Tensor) and not isinstance(actual, torch.Tensor):
        _fail(name, f"expected a torch.Tensor, got {_kind(actual)}", hint)
    if isinstance(expected, np.ndarray) and not isinstance(actual, (np.ndarray, np.generic, float, int)):
        _fail(name, f"expected a numpy.ndarray, got {_kind(actual)}", hint)
    a, e = _to_numpy(actual), _to_numpy(expected)
    if a.shape != e.shape:
        check_shape(a, e.shape, name, hint)
    if not np.issubdtype(a.dtype, np.number) and a.dtype != np.bool_:
        _fail(name, f"expected numbers, got values of dtype {a.dtype}", hint)
    a64, e64 = a.astype(np.float64), e.astype(np.float64)
    if a64.size == 0:
        return
    bad_nan = np.isnan(a64) & ~np.isnan(e64)
    if bad_nan.any():
        where = tuple(int(i) for i in np.argwhere(bad_nan)[0])
        _fail(name, f"{int(bad_nan.sum())} NaN value(s), first at index {where}",
              hint or "a division by zero, log of 0, or an exploding value upstream?")
    with np.errstate(invalid="ignore"):  # inf - inf
        diff = np.asarray(np.abs(a64 - e64))
    same = (np.isnan(a64) & np.isnan(e64)) | (a64 == e64)  # matching NaNs and infinities included
    diff[same] = 0.0
    # a NaN or infinity expected must be matched exactly (NaN differences compare False with >)
    bad = np.asarray(~same & (~(diff <= atol + rtol * np.abs(e64)) | np.isinf(e64)))
    if bad.any():
        flat = int(np.argmax(np.where(bad, diff, -1.0)))
        where = tuple(int(i) for i in np.unravel_index(flat, a64.shape))
        where_txt = f" at index {where}" if a64.ndim else ""
        problem = (f"values differ from the expected result.\n"
                   f"  largest |difference| = {diff.flat[flat]:.4g}{where_txt}: "
                   f"got {a64.flat[flat]:.6g}, expected {e64.flat[flat]:.6g}\n"
                   f"  {int(bad.sum())} of {bad.size} entries are off (tolerance atol={atol:g}, rtol={rtol:g})")
        auto = None
        if np.allclose(a64, -e64, atol=atol, rtol=rtol):
            auto = "every value has the wrong sign"
        elif not np.any(a64):
            auto = "your result is all zeros: is something not computed or not returned?"
        elif e64.ndim == 2 and e64.shape[0] == e64.shape[1] and np.allclose(a64, e64.T, atol=atol, rtol=rtol):
            auto = "your result is the transpose of the expected one"
        _fail(name, problem, hint or auto)


def _window(items: Sequence[Any], at: int, before: int = 3, after: int = 3) -> str:
    """The items around position `at`, e.g. "from position 9: [... 9, 10, 11, 99, 13, 14, 15 ...]";
    a list of ten items or fewer whole."""
    if len(items) <= 10:
        return repr(list(items))
    start, stop = max(0, at - before), min(len(items), at + after + 1)
    shown = ", ".join(repr(x) for x in list(items)[start:stop])
    text = f"[{'... ' if start else ''}{shown}{' ...' if stop < len(items) else ''}]"
    return f"from position {start}: {text}" if start else text


@_counted
def check_equal(actual: Any, expected: Any, name: str, hint: str | None = None) -> None:
    """Exact equality, for ids, vocabularies, strings and integer tensors. Shows the first difference."""
    __tracebackhide__ = True  # noqa: F841 - IPython leaves this frame out of tracebacks
    if isinstance(expected, (torch.Tensor, np.ndarray)):
        check_type(actual, type(expected), name, hint)
        if _shape(actual) != _shape(expected):
            check_shape(actual, _shape(expected), name, hint)
        a, e = _to_numpy(actual), _to_numpy(expected)
        if not np.array_equal(a, e):
            first = tuple(int(i) for i in np.argwhere(a != e)[0])
            _fail(name, f"first difference at index {first}: got {_plain(a[first])!r}, "
                        f"expected {_plain(e[first])!r}", hint)
        return
    if isinstance(expected, (list, tuple)) and isinstance(actual, (list, tuple)):
        for i, (a, e) in enumerate(zip(actual, expected)):
            if a != e:
                _fail(name, f"first difference at position {i}: got {a!r}, expected {e!r}\n"
                            f"  got      {_window(actual, i)}\n"
                            f"  expected {_window(expected, i)}", hint)
        if len(actual) != len(expected):
            _fail(name, f"expected {len(expected)} items, got {len(actual)}", hint)
        return
    if isinstance(expected, (list, tuple)):
        _fail(name, f"expected a {type(expected).__name__}, got {_kind(actual)}", hint)
    if actual != expected:
        _fail(name, f"got {actual!r}, expected {expected!r}", hint)


@_counted
def check_raises(fn: Callable[[], Any], exception: type[BaseException], name: str,
                 hint: str | None = None) -> None:
    """Calling `fn()` must raise `exception`."""
    __tracebackhide__ = True  # noqa: F841 - IPython leaves this frame out of tracebacks
    try:
        fn()
    except exception:
        return
    except Exception as err:  # noqa: BLE001 - reported to the student
        _fail(name, f"expected {exception.__name__}, got {type(err).__name__}: {err}", hint)
    _fail(name, f"expected {exception.__name__}, but nothing was raised", hint)


def _a(name: str) -> str:
    return f"{'an' if name[:1] in 'AEIOU' else 'a'} {name}"


def raised_message(fn: Callable[[], Any], exception: type[BaseException] = ValueError) -> str:
    """The message of the `exception` that `fn()` raises, or a note saying what happened instead ("(an IndexError,
    not a ValueError)", "(nothing was raised)"): for checks that an error message names what came."""
    try:
        fn()
    except exception as err:
        return str(err)
    except Exception as err:  # noqa: BLE001 - reported by the check that reads the message
        return f"({_a(type(err).__name__)}, not {_a(exception.__name__)})"
    return "(nothing was raised)"


def copy_inputs(value: Any) -> Any:
    """A copy of an answer's inputs that the answer cannot change behind the test's back: tensors cloned
    (keeping requires_grad on leaves), arrays copied, modules deep-copied, containers copied item by item."""
    if isinstance(value, torch.Tensor):
        copied = value.detach().clone()
        return copied.requires_grad_(value.requires_grad) if value.is_leaf else copied
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, torch.nn.Module):
        return copy.deepcopy(value)
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a NamedTuple
        return type(value)(*(copy_inputs(v) for v in value))
    if isinstance(value, (list, tuple)):
        return type(value)(copy_inputs(v) for v in value)
    if isinstance(value, dict):
        return {k: copy_inputs(v) for k, v in value.items()}
    return value


def _answer_line(err: BaseException) -> str:
    """Where in the student's code an error was raised: the last frame that is neither a library's nor the
    course's (notebook cells have file names like /tmp/ipykernel_.../123.py or <ipython-input-...>)."""
    where = ""
    for frame in traceback.extract_tb(err.__traceback__):
        if "site-packages" not in frame.filename and "course_lib" not in frame.filename and \
                "/lib/python" not in frame.filename:
            where = f" (line {frame.lineno}: {frame.line.strip()})" if frame.line else f" (line {frame.lineno})"
    return where


def run_answer(fn: Callable[..., Any], *args: Any, name: str, copy: bool = True,
               hint: str | None = None, **kwargs: Any) -> Any:
    """Call the student's `fn(*args, **kwargs)` for the check `name`, on copies of the inputs (compute the
    expected value first, from the originals; pass copy=False to an exercise that must change its input in
    place). An error raised inside the answer fails the check with the course's message: which check, the
    error and the line of the answer that raised it."""
    __tracebackhide__ = True  # noqa: F841
    if copy:
        args, kwargs = copy_inputs(args), copy_inputs(kwargs)
    try:
        return fn(*args, **kwargs)
    except CheckFailed:
        raise
    except Exception as err:  # noqa: BLE001 - reported to the student
        raise CheckFailed(name, f"your {getattr(fn, '__name__', 'answer')} raised {type(err).__name__}: {err}"
                                f"{_answer_line(err)}", hint) from err


# Every torch function or method that multiplies matrices (or batches of them): what the "one fused matrix
# product per weight matrix" rules count. Functions and Tensor methods are separate objects: both are listed.
MATRIX_PRODUCTS: frozenset[Callable[..., Any]] = frozenset({
    torch.matmul, torch.Tensor.matmul, torch.Tensor.__matmul__, torch.Tensor.__rmatmul__,
    torch.mm, torch.Tensor.mm, torch.bmm, torch.Tensor.bmm, torch.mv, torch.Tensor.mv,
    torch.addmm, torch.Tensor.addmm, torch.Tensor.addmm_, torch.baddbmm, torch.Tensor.baddbmm,
    torch.Tensor.baddbmm_, torch.addbmm, torch.Tensor.addbmm, torch.addmv, torch.Tensor.addmv,
    torch.einsum, torch.inner, torch.Tensor.inner, torch.tensordot, torch.linalg.multi_dot, torch.chain_matmul,
    torch.nn.functional.linear, torch.nn.functional.bilinear,
})


class count_matrix_products(torch.overrides.TorchFunctionMode):
    """Within the block, `.count` is the number of matrix products computed (see MATRIX_PRODUCTS), however
    they are spelt: `x @ W.T`, `torch.mm`, `Tensor.bmm`, `einsum`, `F.linear`, ... A hidden check uses it
    to see that a cell multiplies each weight matrix once, for all its gate blocks together.

        with count_matrix_products() as products:
            step(x, h)
        products.count
    """

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.count += func in MATRIX_PRODUCTS
        return func(*args, **(kwargs or {}))


# The reductions a dynamic program over tags runs at each step (the forward algorithm's logsumexp, Viterbi's max
# and argmax), as functions and as Tensor methods.
REDUCTIONS: frozenset[Callable[..., Any]] = frozenset({
    torch.max, torch.Tensor.max, torch.amax, torch.Tensor.amax, torch.argmax, torch.Tensor.argmax,
    torch.logsumexp, torch.Tensor.logsumexp,
})


class count_reductions(torch.overrides.TorchFunctionMode):
    """Within the block, `.count` is the number of max / argmax / logsumexp reductions (see REDUCTIONS) of
    tensors with 2 or more dimensions. A hidden check uses it to see that a dynamic program is batched: a loop
    over the time steps runs the same number of reductions for 3 sentences as for 6, a loop over the sentences
    does not.

        with count_reductions() as reductions:
            log_partition(emissions, mask, start, transitions, end)
        reductions.count
    """

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in REDUCTIONS and args and isinstance(args[0], torch.Tensor) and args[0].dim() >= 2:
            self.count += 1
        return func(*args, **(kwargs or {}))


class count_torch_calls(torch.overrides.TorchFunctionMode):
    """Within the block, `.count` is the number of torch functions and Tensor methods called (indexing and
    operators included). A hidden check uses it to see that a function is batched: it makes as many torch calls
    for 20 rows as for 5, where a Python loop over the rows makes four times as many.

        with count_torch_calls() as calls:
            final_distribution(p_vocab, attention, p_gen, src_ext, n_extra)
        calls.count
    """

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.count += 1
        return func(*args, **(kwargs or {}))


def names_reaching(fn: Callable[..., Any], *modules: str) -> list[str]:
    """The names in `fn`'s code (nested functions and classes included) that reach one of `modules`: a name
    or string constant that contains a module's name, or a global the function reads whose module is one of
    them. For libraries whose compiled functions the "written by you" rule cannot refuse by identity (e.g.
    rapidfuzz's Cython functions): a hidden check fails an answer that names them. Sorted; [] when none."""
    code = getattr(fn, "__code__", None) or getattr(getattr(fn, "__init__", None), "__code__", None)
    codes, names = [code], set()
    while codes:
        code = codes.pop()
        if code is not None:
            names |= set(code.co_names) | {c for c in code.co_consts if isinstance(c, str)}
            codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    found = {n for n in names if any(m.lower() in n.lower() for m in modules)}
    scope = getattr(fn, "__globals__", {})
    for n in names & scope.keys():
        value = scope[n]
        origin = getattr(value, "__module__", None) or getattr(value, "__name__", "") or ""
        if any(str(origin).split(".")[0] == m for m in modules):
            found.add(n)
    return sorted(found)
