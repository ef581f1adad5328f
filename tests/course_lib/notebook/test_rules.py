"""written_by_you: while a hidden check runs, an exercise's banned objects refuse to run by identity,
whatever alias reaches them; everything else runs as usual."""
from __future__ import annotations

import functools
import gc
import sys
import threading
import types

import numpy as np
import pytest
import torch

import course_lib.layers.rnn as rnn
import course_lib.text.vocab as vocab
from course_lib.notebook.checks import CheckFailed
from course_lib.notebook.rules import RULE, rule_text, written_by_you

REF = vocab.build_vocab
TEXTS = ["abc", "abd"]


def _swallowed(texts):
    try:
        REF(texts)
    except BaseException:  # noqa: BLE001 - the cheat under test
        pass
    return REF(texts)


def _in_thread(texts):
    out = []
    worker = threading.Thread(target=lambda: out.append(REF(texts)))
    worker.start()
    worker.join()
    return out[0] if out else None


ROUTES = {
    "module attribute": lambda t: vocab.build_vocab(t),
    "a list": (lambda box=[REF]: (lambda t: box[0](t)))(),
    "a closure": (lambda f: (lambda t: f(t)))(REF),
    "a default argument": lambda t, f=REF: f(t),
    "functools.partial": functools.partial(REF),
    "types.FunctionType copy": types.FunctionType(REF.__code__, REF.__globals__, None, REF.__defaults__),
    "code.replace copy": types.FunctionType(REF.__code__.replace(co_name="mine"), REF.__globals__, None,
                                            REF.__defaults__),
    "gc": lambda t: next(o for o in gc.get_objects()
                         if isinstance(o, types.FunctionType) and o.__name__ == "build_vocab")(t),
    "the error caught and the call repeated": _swallowed,
}


@pytest.mark.parametrize("route", list(ROUTES))
def test_a_reference_refuses_to_run_whatever_route_reaches_it(route: str) -> None:
    with pytest.raises(CheckFailed, match="course_lib.text.vocab.build_vocab") as err:
        with written_by_you("build_vocab"):
            ROUTES[route](TEXTS)
    assert err.value.check == RULE


def test_a_reference_run_in_another_thread_is_refused() -> None:
    with pytest.raises(CheckFailed, match="build_vocab"):
        with written_by_you("build_vocab"):
            _in_thread(TEXTS)


def test_a_bound_method_of_a_reference_class_is_refused() -> None:
    encode = vocab.Vocab(REF(TEXTS)).encode  # a bound method taken before the block
    with pytest.raises(CheckFailed, match=r"course_lib\.text\.vocab\.Vocab\.encode \(course_lib's own answer\)"):
        with written_by_you("encode"):
            encode("ab")


def test_a_course_lib_helper_that_may_not_stand_in_for_the_answer_is_refused_and_named_so() -> None:
    model = rnn.ElmanRNN(3, 4)  # its loop is the shared Recurrent base, banned for rnn_module
    with pytest.raises(CheckFailed, match=r"Recurrent \(a course_lib piece that may not stand in"):
        with written_by_you("rnn_module"):
            model(torch.randn(2, 5, 3))


@pytest.mark.parametrize("route", ["function", "method", "partial", "map"])
def test_a_banned_torch_builtin_is_refused_however_called(route: str) -> None:
    x, y = torch.randn(3), torch.randn(3)
    calls = {"function": lambda: torch.lerp(x, y, 0.5), "method": lambda: x.lerp(y, 0.5),
             "partial": lambda: functools.partial(torch.lerp, x)(y, 0.5),
             "map": lambda: list(map(torch.Tensor.lerp, [x], [y], [0.5]))}
    with pytest.raises(CheckFailed, match="lerp"):
        with written_by_you("gated_update"):
            calls[route]()


def test_a_banned_library_class_is_refused() -> None:
    with pytest.raises(CheckFailed, match="torch.nn.RNN"):
        with written_by_you("rnn_module"):
            torch.nn.RNN(3, 4)


def test_everything_else_runs_and_the_hooks_are_restored() -> None:
    before = sys.getprofile()
    with written_by_you("build_vocab"):
        assert torch.tanh(torch.zeros(2)).sum().item() == 0
        assert sorted(set("cab")) == ["a", "b", "c"]
        rnn.ElmanRNN(3, 4)  # another exercise's reference is allowed here
    assert sys.getprofile() is before
    assert torch.overrides._get_current_function_mode() is None
    assert REF(TEXTS)  # and the reference runs again afterwards


def test_switching_the_guard_off_fails_the_check() -> None:
    with pytest.raises(CheckFailed, match="switched off"):
        with written_by_you("build_vocab"):
            sys.setprofile(None)


def test_a_reference_called_after_the_guard_is_switched_off_is_still_refused() -> None:
    with pytest.raises(CheckFailed, match="build_vocab"):
        with written_by_you("build_vocab"):
            sys.setprofile(None)
            REF(TEXTS)


def test_a_failed_check_inside_the_block_is_reported_as_it_is() -> None:
    with pytest.raises(CheckFailed, match="my own check"):
        with written_by_you("build_vocab"):
            raise CheckFailed("my own check", "wrong value")


def test_the_rule_text_names_every_banned_object_and_the_product_limit() -> None:
    text = rule_text("lstm_cell")
    assert "course_lib.layers.lstm.lstm_cell" in text and "`torch.nn.LSTMCell`" in text
    assert "At most 2 matrix products" in text


def test_a_reference_run_by_a_thread_started_before_the_check_is_refused() -> None:
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: None).result()  # the worker exists before the block
        with pytest.raises(CheckFailed, match="build_vocab"):
            with written_by_you("build_vocab"):
                pool.submit(REF, TEXTS).result()
    assert REF(TEXTS)  # its code is back


def test_the_reference_source_executed_afresh_is_refused() -> None:
    import inspect
    namespace = dict(vars(vocab))
    exec(compile(inspect.getsource(REF), "<pasted>", "exec"), namespace)  # what a pasted cell gives
    with pytest.raises(CheckFailed, match="build_vocab"):
        with written_by_you("build_vocab"):
            namespace["build_vocab"](TEXTS)


def test_the_reference_source_pasted_into_a_notebook_cell_is_refused() -> None:
    """IPython compiles a cell statement by statement, so a call on an imported module (`np.tanh(...)`)
    compiles to other instructions than in the module, where the import is compiled with it."""
    import ast
    import inspect
    import course_lib.layers.rnn as rnn_module
    cell = "import numpy as np\n" + inspect.getsource(rnn_module.rnn_cell_step)
    namespace: dict = {}
    for statement in ast.parse(cell).body:
        exec(compile(ast.Module([statement], []), "<cell>", "exec"), namespace)  # noqa: S102 - the cheat under test
    assert namespace["rnn_cell_step"].__code__.co_code != rnn_module.rnn_cell_step.__code__.co_code, \
        "the pasted copy compiled to the same bytes: this test no longer shows the case it is for"
    x, h = np.ones((1, 2)), np.zeros((1, 3))
    W_ih, W_hh, b = np.ones((3, 2)), np.ones((3, 3)), np.zeros(3)
    with pytest.raises(CheckFailed, match="rnn_cell_step"):
        with written_by_you("rnn_cell_step"):
            namespace["rnn_cell_step"](x, h, W_ih, W_hh, b, b)


def test_an_independent_answer_with_the_same_logic_is_not_refused() -> None:
    from collections import Counter

    def build_vocab(texts, min_count=1, specials=vocab.SPECIALS):
        counts = Counter(tok for text in texts for tok in text)
        kept = sorted((t for t, n in counts.items() if n >= min_count and t not in specials),
                      key=lambda t: (-counts[t], t))
        return list(specials) + kept

    with written_by_you("build_vocab"):
        assert build_vocab(TEXTS) == REF.__wrapped__(TEXTS) if hasattr(REF, "__wrapped__") else True


def test_a_closure_reference_gets_refusing_code_with_matching_cells() -> None:
    from course_lib.notebook.rules import _refusing_code

    def outer():
        a, b = 1, 2

        def inner(x):
            return x + a + b
        return inner

    fn = outer()
    saved = fn.__code__
    fn.__code__ = _refusing_code(fn, "x.inner")
    try:
        with pytest.raises(RuntimeError, match="x.inner was left refusing"):
            fn(1)
    finally:
        fn.__code__ = saved
    assert fn(1) == 4


def test_a_library_module_built_before_the_check_refuses_to_run_inside_it() -> None:
    torch.manual_seed(0)
    built = torch.nn.RNN(3, 4)  # made before the block: only running it is refused
    x = torch.randn(5, 2, 3)
    before = built(x)[0].detach()
    with pytest.raises(CheckFailed, match="torch.nn.RNN"):
        with written_by_you("rnn_module"):
            built(x)
    torch.testing.assert_close(built(x)[0].detach(), before, rtol=0, atol=0)  # and runs again after


def test_an_error_that_is_not_a_refusal_passes_through_and_everything_is_restored() -> None:
    code, profile = REF.__code__, sys.getprofile()
    with pytest.raises(KeyError, match="student bug"):
        with written_by_you("build_vocab"):
            raise KeyError("student bug")
    assert REF.__code__ is code and sys.getprofile() is profile
    assert REF(TEXTS)


def test_an_answer_that_catches_the_refusal_and_fails_otherwise_is_reported_as_refused() -> None:
    def answer(texts):
        try:
            return REF(texts)
        except Exception:  # noqa: BLE001 - the cheat under test
            raise ValueError("something else")
    with pytest.raises(CheckFailed, match="build_vocab"):
        with written_by_you("build_vocab"):
            answer(TEXTS)


# Routes found by attacking the guard as a cheat would (issue 10's held-out class). Each is refused.
def _reloaded(texts):
    import importlib
    saved = dict(vars(vocab))
    try:
        return importlib.reload(vocab).build_vocab(texts)  # fresh function objects, compiled from the same file
    finally:
        vars(vocab).update(saved)  # (for the other tests: they hold the original objects)


def _loaded_again(texts):
    import importlib.util
    spec = importlib.util.spec_from_file_location("my_vocab", vocab.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build_vocab(texts)


class _Calls:
    def __call__(self, texts):
        return REF(texts)


class _Encoder(vocab.Vocab):  # a subclass that overrides nothing but calls the reference class's method
    def encode(self, *args, **kwargs):
        return super().encode(*args, **kwargs)


MORE_ROUTES = {
    "importlib.reload": lambda t: _reloaded(t),
    "the module's file loaded again": lambda t: _loaded_again(t),
    "sys.modules and a computed name": lambda t: getattr(sys.modules["course_lib.text." + "vocab"], "build_" + "vocab")(t),
    "operator.methodcaller": lambda t: __import__("operator").methodcaller("__call__", t)(REF),
    "map from C": lambda t: list(map(REF, [t]))[0],
    "sorted key from C": lambda t: sorted([t], key=REF) and REF(t),
    "a __call__ object": lambda t: _Calls()(t),
    "copy.deepcopy": lambda t: __import__("copy").deepcopy(REF)(t),
    "a pickle round trip": lambda t: __import__("pickle").loads(__import__("pickle").dumps(REF))(t),
    "functools.reduce": lambda t: functools.reduce(lambda acc, f: f(t), [REF], None),
}


@pytest.mark.parametrize("route", list(MORE_ROUTES))
def test_more_routes_to_a_reference_are_refused(route: str) -> None:
    with pytest.raises(CheckFailed, match="build_vocab"):
        with written_by_you("build_vocab"):
            MORE_ROUTES[route](TEXTS)


def test_a_subclass_of_a_reference_class_calling_super_is_refused() -> None:
    mine = _Encoder(REF(TEXTS))
    with pytest.raises(CheckFailed, match="Vocab.encode"):
        with written_by_you("encode"):
            mine.encode("ab")


def _x(*shape):
    return torch.randn(*shape)


# torch keeps each banned built-in under other objects: the ATen operator (packet, overload, its C entry),
# the Python reference (torch._refs) and decomposition (torch._decomp); and some exercises have library
# versions beyond the obvious ones
LIBRARY_ROUTES = {
    "aten.lerp packet": ("gated_update", lambda: torch.ops.aten.lerp(_x(3), _x(3), 0.5)),
    "aten.lerp overload": ("gated_update", lambda: torch.ops.aten.lerp.Scalar(_x(3), _x(3), 0.5)),
    "torch._refs.lerp": ("gated_update", lambda: torch._refs.lerp(_x(3), _x(3), torch.rand(3))),
    "aten.rnn_tanh_cell": ("rnn_cell_step", lambda: torch.ops.aten.rnn_tanh_cell(_x(1, 3), _x(1, 2), _x(2, 3), _x(2, 2))),
    "torch._decomp one_layer_rnn": ("rnn_forward", lambda: torch._decomp.decompositions.one_layer_rnn(
        _x(4, 1, 3), _x(1, 2), [_x(2, 3), _x(2, 2), _x(2), _x(2)], True,
        lambda i, h, wi, bi, wh, bh: torch.tanh(i + torch.nn.functional.linear(h, wh, bh)))),  # the student's own cell
    "aten.lstm_cell": ("lstm_cell", lambda: torch.ops.aten.lstm_cell(_x(1, 3), [_x(1, 2), _x(1, 2)], _x(8, 3), _x(8, 2))),
    "torch._decomp lstm decomposition": ("lstm_module", lambda: torch._decomp.get_decompositions(
        [torch.ops.aten.lstm.input])[torch.ops.aten.lstm.input](
        _x(4, 1, 3), [_x(1, 1, 2), _x(1, 1, 2)], [_x(8, 3), _x(8, 2), _x(8), _x(8)], True, 1, 0.0, False, False, False)),
    "torch.ao quantizable LSTMCell": ("lstm_cell", lambda: torch.ao.nn.quantizable.LSTMCell(3, 2)(_x(1, 3))),
    "aten.gru_cell through its C entry": ("gru_cell", lambda: torch.ops.aten.gru_cell._op(_x(1, 3), _x(1, 2), _x(6, 3), _x(6, 2))),
    "aten.dropout": ("VariationalDropout", lambda: torch.ops.aten.dropout(torch.ones(2, 3), 0.5, True)),
    "aten.native_dropout": ("VariationalDropout", lambda: torch.ops.aten.native_dropout(torch.ones(2, 3), 0.5, True)),
    "torch._refs dropout": ("VariationalDropout", lambda: torch._refs.nn.functional.dropout(torch.ones(2, 3), 0.5, True)),
    "the jagged nested tensor's padding operator": ("pad_batch", lambda: torch.ops.aten._jagged_to_padded_dense_forward(
        torch.ones(5), [torch.tensor([0, 2, 5])], [3], 0.0)),
    "torch._decomp's fused dropout": ("VariationalDropout", lambda: torch._decomp.decompositions._fused_dropout_decomposition(
        torch.ones(2, 3), 0.5)),
    "sacrebleu's character n-grams over one character per token": ("modified_precision", lambda: __import__(
        "sacrebleu").metrics.helpers.extract_all_char_ngrams("abcab", 2, True)),
    "aten.pad_sequence": ("pad_batch", lambda: torch.ops.aten.pad_sequence([torch.ones(2), torch.ones(3)], True, 0.0)),
    "aten._masked_softmax": ("masked_softmax", lambda: torch.ops.aten._masked_softmax(
        _x(2, 3), torch.tensor([[0, 0, 1], [0, 1, 1]]).bool())),
    "a MaskedTensor's softmax": ("masked_softmax", lambda: torch.softmax(torch.masked.masked_tensor(
        _x(2, 3), torch.tensor([[1, 1, 0], [1, 0, 0]]).bool()), -1)),
    "attention's math kernel": ("masked_softmax", lambda: torch._scaled_dot_product_attention_math(
        _x(1, 2, 3), _x(1, 3, 3), torch.eye(3)[None])),
    "aten.bilinear": ("multiplicative_scores", lambda: torch.ops.aten.bilinear(_x(2, 3), _x(2, 3), _x(1, 3, 3))),
    "torch._trilinear": ("multiplicative_scores", lambda: torch._trilinear(_x(2, 3), _x(1, 3, 3), _x(2, 3), [1, 3], [0], [1, 2], [2, 3])),
    "forward mode through torch._make_dual": ("multiplicative_jacobian", lambda: _make_dual_jvp()),
    "a second autograd engine": ("multiplicative_jacobian", lambda: _second_engine()),
    "gradcheck's numerical Jacobian": ("additive_jacobian", lambda: sys.modules["torch.autograd.gradcheck"]._get_numerical_jacobian(
        torch.tanh, (_x(3).double(),))),
    "jacfwd for the backward": ("lstm_cell_backward_np", lambda: torch.func.jacfwd(torch.tanh)(_x(3))),
}


def _make_dual_jvp():
    import torch.autograd.forward_ad as fwAD
    with fwAD.dual_level():
        return torch._unpack_dual(torch.tanh(torch._make_dual(_x(3), torch.ones(3), level=0)), 0)


def _second_engine():
    x = _x(3).requires_grad_()
    return torch._C._ImperativeEngine().run_backward(((x * x).sum(),), (torch.ones(()),), False, False, (x,),
                                                     False, False)


@pytest.mark.parametrize("route", list(LIBRARY_ROUTES))
def test_a_library_version_reached_under_another_torch_object_is_refused(route: str) -> None:
    grade_id, call = LIBRARY_ROUTES[route]
    call()  # it runs outside a check
    with pytest.raises(CheckFailed) as err:
        with written_by_you(grade_id):
            call()
    assert err.value.check == RULE


def test_allowed_aten_operators_still_run_inside_a_check() -> None:
    with written_by_you("gated_update"):
        z, a, b = torch.rand(3), _x(3), _x(3)
        torch.testing.assert_close(torch.ops.aten.add(torch.ops.aten.mul(z, a), (1 - z) * b), z * a + (1 - z) * b)


def test_a_reference_already_running_in_another_thread_when_the_check_starts_is_refused() -> None:
    import queue
    inputs, outputs = queue.Queue(), queue.Queue()

    def texts():  # the reference waits here, inside its own frame, for the hidden inputs
        while (item := inputs.get()) is not None:
            yield item

    worker = threading.Thread(target=lambda: outputs.put(REF(texts())), daemon=True)
    worker.start()
    try:
        with pytest.raises(CheckFailed, match="build_vocab"):
            with written_by_you("build_vocab"):
                inputs.put("abc")
                inputs.put(None)
                outputs.get(timeout=10)
    finally:
        inputs.put(None)
        worker.join(timeout=10)
    assert not worker.is_alive()


@pytest.mark.parametrize("route", ["subprocess", "os.system", "multiprocessing"])
def test_a_reference_run_in_a_new_process_is_refused(route: str) -> None:
    import multiprocessing
    import os
    import subprocess
    code = "import course_lib.text.vocab as v; print(v.build_vocab(['abc']))"
    calls = {"subprocess": lambda: subprocess.run([sys.executable, "-c", code], capture_output=True, check=True),
             "os.system": lambda: os.system(f'{sys.executable} -c "{code}" > /dev/null'),
             "multiprocessing": lambda: multiprocessing.get_context("fork").Process(target=print).start()}
    with pytest.raises(CheckFailed, match="a new process"):
        with written_by_you("build_vocab"):
            calls[route]()
    assert subprocess.run([sys.executable, "-c", "print(1)"], capture_output=True).stdout == b"1\n"  # after: fine


def _double(t: torch.Tensor) -> torch.Tensor:
    return t * 2


@pytest.mark.parametrize("route", ["trace", "script"])
def test_a_torchscript_graph_is_refused_because_the_hooks_cannot_see_into_it(route: str) -> None:
    import course_lib.layers.gating as gating
    z, a, b = torch.rand(2, 3), _x(2, 3), _x(2, 3)

    def wrapped(z, a, b):  # the reference inlined into a graph: no Python frame runs at call time
        return gating.gated_update(a, b, z)

    graph = torch.jit.trace(wrapped, (z, a, b)) if route == "trace" else torch.jit.script(_double)
    inputs = (z, a, b) if route == "trace" else (a,)
    with pytest.raises(CheckFailed, match="TorchScript"):
        with written_by_you("gated_update"):
            graph(*inputs)
    graph(*inputs)  # and runs again after


def test_torch_compile_of_a_wrapper_around_the_reference_is_refused() -> None:
    import course_lib.layers.gating as gating
    z, a, b = torch.rand(2, 3), _x(2, 3), _x(2, 3)
    compiled = torch.compile(lambda z, a, b: gating.gated_update(a, b, z), backend="eager")
    compiled(z, a, b)  # compiled and cached before the check
    with pytest.raises(CheckFailed, match="gated_update"):
        with written_by_you("gated_update"):
            compiled(z, a, b)


def _original_code():
    """The reference's own code object, found through gc while a check runs (the guard keeps it to put back)."""
    return next(v for o in gc.get_objects() if isinstance(o, dict) for v in list(o.values())
                if isinstance(v, types.CodeType) and v.co_name == "build_vocab" and v.co_filename == vocab.__file__)


def _copy():
    return types.FunctionType(_original_code(), REF.__globals__, "mine", REF.__defaults__)


def _profiler_off_and_on(texts):
    mine, hook = _copy(), sys.getprofile()
    list(map(sys.setprofile, [None]))  # from C: no call event for it
    try:
        return mine(texts)
    finally:
        list(map(sys.setprofile, [hook]))


def _in_a_raw_thread(texts):
    import _thread
    import time
    mine, out = _copy(), []
    _thread.start_new_thread(lambda: out.append(mine(texts)), ())  # not threading: no profile hook of its own
    for _ in range(100):
        if out:
            break
        time.sleep(0.01)
    return out


def _in_a_thread_without_the_hook(texts):
    mine, out = _copy(), []
    saved, threading._profile_hook = threading._profile_hook, None
    try:
        worker = threading.Thread(target=lambda: out.append(mine(texts)))
        worker.start()
        worker.join()
    finally:
        threading._profile_hook = saved
    return out


def _code_put_back(texts):
    saved = REF.__code__
    REF.__code__ = _original_code()
    try:
        return REF(texts)
    finally:
        REF.__code__ = saved


TAMPERING = {"the profiler switched off and on again": _profiler_off_and_on,
             "a raw thread": _in_a_raw_thread,
             "a thread started with threading's profile hook removed": _in_a_thread_without_the_hook,
             "the reference's code put back": _code_put_back}


@pytest.mark.parametrize("route", list(TAMPERING))
def test_a_copy_of_the_reference_run_where_the_hook_is_removed_is_refused(route: str) -> None:
    with pytest.raises(CheckFailed, match="build_vocab|switched off"):
        with written_by_you("build_vocab"):
            TAMPERING[route](TEXTS)
    assert REF(TEXTS)


def test_threads_that_run_allowed_code_inside_a_check_pass() -> None:
    import _thread
    import time
    from concurrent.futures import ThreadPoolExecutor
    out = []
    with written_by_you("build_vocab"):
        worker = threading.Thread(target=lambda: out.append(sorted("cab")))
        worker.start()
        worker.join()
        _thread.start_new_thread(lambda: out.append(len("ab")), ())
        with ThreadPoolExecutor(2) as pool:
            out.append(list(pool.map(abs, [-1, -2])))
        for _ in range(100):
            if len(out) == 3:
                break
            time.sleep(0.01)
    assert sorted(map(str, out)) == sorted(["2", "[1, 2]", "['a', 'b', 'c']"])


@pytest.mark.parametrize("route", ["make_fx", "torch.export"])
def test_a_graph_captured_from_the_reference_before_the_check_is_refused(route: str) -> None:
    import course_lib.layers.gating as gating
    z, a, b = torch.rand(2, 3), _x(2, 3), _x(2, 3)

    class Step(torch.nn.Module):
        def forward(self, z, a, b):
            return gating.gated_update(a, b, z)

    if route == "make_fx":
        from torch.fx.experimental.proxy_tensor import make_fx
        graph = make_fx(lambda z, a, b: gating.gated_update(a, b, z))(z, a, b)
    else:
        graph = torch.export.export(Step(), (z, a, b)).module()
    with pytest.raises(CheckFailed, match="captured graph"):
        with written_by_you("gated_update"):
            graph(z, a, b)
    torch.testing.assert_close(graph(z, a, b), gating.gated_update(a, b, z))  # and runs after
