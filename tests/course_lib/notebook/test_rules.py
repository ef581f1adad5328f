"""written_by_you: while a hidden check runs, an exercise's banned objects refuse to run by identity,
whatever alias reaches them; everything else runs as usual."""
from __future__ import annotations

import functools
import gc
import sys
import threading
import types

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
