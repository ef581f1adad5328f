"""course_lib.notebook.checks: every helper passes on correct input and fails with CheckFailed and a message that
says what was expected, what was got, where, and why it probably happened."""
from __future__ import annotations

import re
import sys
import types
import warnings

import numpy as np
import pytest
import torch
from torch import nn

import course_lib.layers.rnn
import course_lib.text.vocab
from course_lib.text.vocab import build_vocab
from course_lib.notebook.checks import CheckFailed, check_close, check_dtype, check_equal, check_raises, check_shape, check_true, check_type


def _message(fn, *args, **kwargs) -> str:
    with pytest.raises(CheckFailed) as info:
        fn(*args, **kwargs)
    return str(info.value)


def test_check_failed_is_an_assertion_error():
    assert issubclass(CheckFailed, AssertionError)


# ------------------------------------------------------------------------------ check_true
def test_check_true():
    check_true(True, "thing", "never shown")
    check_true(np.all(np.ones(3) > 0), "thing", "never shown")
    assert _message(check_true, False, "rnn output", "values outside (-1, 1)") == "rnn output: values outside (-1, 1)"
    msg = _message(check_true, 1 > 2, "rnn output", "values outside (-1, 1)", hint="is tanh applied last?")
    assert msg == "rnn output: values outside (-1, 1)\n  hint: is tanh applied last?"


# ------------------------------------------------------------------------------ check_type
def test_check_type():
    check_type(torch.zeros(2), torch.Tensor, "x")
    check_type(np.zeros(2), (torch.Tensor, np.ndarray), "x")
    check_type([1], list, "x")
    msg = _message(check_type, np.zeros(2, dtype=np.float32), torch.Tensor, "encode('cab')")
    assert msg.startswith("encode('cab'): expected a Tensor, got numpy.ndarray (dtype float32)")
    msg = _message(check_type, [1, 2], (torch.Tensor, np.ndarray), "h", hint="return an array")
    assert "expected a Tensor or ndarray, got list" in msg
    assert msg.endswith("\n  hint: return an array")
    assert "got torch.Tensor (dtype torch.int64)" in _message(check_type, torch.tensor([1]), list, "ids")


# ------------------------------------------------------------------------------ check_shape
def test_check_shape_passes():
    check_shape(torch.zeros(2, 3), (2, 3), "x")
    check_shape(np.zeros((4,)), [4], "x")
    check_shape(torch.tensor(1.0), (), "x")


def test_check_shape_reports_expected_and_actual():
    msg = _message(check_shape, torch.zeros(2, 4), (2, 5), "rnn_cell_step output (B=2, H=5)")
    assert msg.startswith("rnn_cell_step output (B=2, H=5): expected shape (2, 5), got (2, 4)")
    assert "hint" not in msg  # no automatic hint fits


def test_check_shape_hint_for_transposed_or_swapped_axes():
    msg = _message(check_shape, torch.zeros(4, 2, 5), (2, 4, 5), "RNN output")
    assert "expected shape (2, 4, 5), got (4, 2, 5)" in msg
    assert "hint: the right sizes in the wrong order" in msg and "transposed" in msg


def test_check_shape_hint_for_missing_dimension():
    msg = _message(check_shape, torch.zeros(2, 5), (1, 2, 5), "h_n")
    assert "expected shape (1, 2, 5), got (2, 5)" in msg
    assert "hint: 2 dimensions instead of 3" in msg and "squeeze" in msg


def test_check_shape_own_hint_wins_and_no_shape():
    msg = _message(check_shape, torch.zeros(3, 2), (2, 3), "W", hint="W_ih is (H, D)")
    assert msg.endswith("hint: W_ih is (H, D)") and "wrong order" not in msg
    msg = _message(check_shape, [[1, 2]], (1, 2), "hs")
    assert "expected an array or tensor of shape (1, 2), got list with no shape" in msg


# ------------------------------------------------------------------------------ check_dtype
def test_check_dtype_passes():
    check_dtype(torch.zeros(2, dtype=torch.long), torch.long, "ids")
    check_dtype(torch.zeros(2, dtype=torch.float64), torch.float64, "x")
    check_dtype(np.zeros(2), np.float64, "x")
    check_dtype(np.zeros(2, dtype=np.float32), "float32", "x")
    check_dtype(np.zeros(2, dtype=np.int64), np.dtype("int64"), "x")


def test_check_dtype_reports_expected_and_actual():
    msg = _message(check_dtype, torch.zeros(2), torch.long, "encode('cab')", hint="dtype=torch.long")
    assert msg == "encode('cab'): expected dtype torch.int64, got torch.float32\n  hint: dtype=torch.long"
    msg = _message(check_dtype, np.zeros(2, dtype=np.float32), np.float64, "h")
    assert "expected dtype" in msg and "float64" in msg and "got float32" in msg


def test_check_dtype_fails_cleanly_across_libraries():
    # a NumPy array where a torch dtype is expected (and vice versa) is a failed check, not a crash
    msg = _message(check_dtype, np.zeros(2), torch.float64, "x")
    assert "expected dtype torch.float64, got float64" in msg
    msg = _message(check_dtype, torch.zeros(2, dtype=torch.float64), np.float64, "x")
    assert "got torch.float64" in msg
    assert "got None" in _message(check_dtype, [1.0], torch.float64, "x")


# ------------------------------------------------------------------------------ check_close
def test_check_close_passes_within_tolerance():
    e = torch.randn(3, 4, dtype=torch.float64)
    check_close(e + 1e-8, e, "x")
    check_close(e.float(), e.float(), "x")
    check_close(np.ones(3) * (1 + 1e-6), np.ones(3), "x")  # inside rtol
    check_close(np.float64(2.0), np.array(2.0), "x")
    check_close(torch.tensor(0.5), 0.5, "x")
    check_close(torch.zeros(0, 3), torch.zeros(0, 3), "x")
    check_close(np.array([1.0, 2.0]), np.array([1.05, 2.0]), "x", atol=0.1)
    check_close(torch.ones(2, requires_grad=True) * 2, torch.full((2,), 2.0), "x")


def test_check_close_reports_largest_difference_and_its_index():
    e = np.arange(6, dtype=np.float64).reshape(2, 3)
    a = e.copy()
    a[0, 0] += 0.1
    a[1, 2] -= 0.5
    msg = _message(check_close, a, e, "rnn_forward hs")
    assert msg.startswith("rnn_forward hs: values differ from the expected result.")
    assert "largest |difference| = 0.5 at index (1, 2): got 4.5, expected 5" in msg
    assert "2 of 6 entries are off (tolerance atol=1e-06, rtol=1e-05)" in msg
    assert "hint" not in msg


def test_check_close_on_tensors_and_scalars():
    e = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    a = e.clone()
    a[2, 1] = 7.25
    msg = _message(check_close, a, e, "h_n", atol=1e-3)
    assert "largest |difference| = 1.25 at index (2, 1): got 7.25, expected 6" in msg
    assert "1 of 6 entries are off (tolerance atol=0.001" in msg
    msg = _message(check_close, torch.tensor(5.5), torch.tensor(5.0), "norm")
    assert "largest |difference| = 0.5: got 5.5, expected 5" in msg and "index" not in msg


def test_check_close_hint_argument_is_shown():
    msg = _message(check_close, np.array([1.0]), np.array([2.0]), "h_T", hint="h_T is the last entry of hs")
    assert msg.endswith("\n  hint: h_T is the last entry of hs")


def test_check_close_kind_mismatch():
    msg = _message(check_close, np.zeros(2), torch.zeros(2), "encode")
    assert "expected a torch.Tensor, got numpy.ndarray (dtype float64)" in msg
    msg = _message(check_close, [0.0, 0.0], np.zeros(2), "hs")
    assert "expected a numpy.ndarray, got list" in msg


def test_check_close_shape_mismatch():
    msg = _message(check_close, np.zeros((3, 2)), np.zeros((2, 3)), "W")
    assert "expected shape (2, 3), got (3, 2)" in msg and "wrong order" in msg
    msg = _message(check_close, torch.zeros(2, 5), torch.zeros(1, 2, 5), "h_n")
    assert "expected shape (1, 2, 5), got (2, 5)" in msg and "2 dimensions instead of 3" in msg


def test_check_close_automatic_hint_wrong_sign():
    e = np.array([[0.5, -1.0], [2.0, 0.25]])
    msg = _message(check_close, -e, e, "grad")
    assert "hint: every value has the wrong sign" in msg


def test_check_close_automatic_hint_all_zeros():
    msg = _message(check_close, torch.zeros(2, 3), torch.ones(2, 3), "output")
    assert "hint: your result is all zeros" in msg


def test_check_close_automatic_hint_transposed():
    e = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.5]])
    msg = _message(check_close, e.T, e, "W_hh grad")
    assert "hint: your result is the transpose of the expected one" in msg


def test_check_close_own_hint_overrides_automatic_hint():
    e = np.array([1.0, 2.0])
    msg = _message(check_close, -e, e, "grad", hint="look at the loss")
    assert msg.endswith("hint: look at the loss") and "wrong sign" not in msg


def test_check_close_nan():
    e = np.zeros((2, 3))
    a = e.copy()
    a[0, 1] = np.nan
    a[1, 2] = np.nan
    msg = _message(check_close, a, e, "loss")
    assert "2 NaN value(s), first at index (0, 1)" in msg
    assert "hint: a division by zero, log of 0, or an exploding value upstream?" in msg
    check_close(np.array([np.nan, 1.0]), np.array([np.nan, 1.0]), "NaN where NaN is expected")


def test_check_close_non_numbers():
    msg = _message(check_close, np.array(["a", "b"]), np.array([1.0, 2.0]), "ids")
    assert "expected numbers, got values of dtype <U1" in msg


def test_check_close_fails_when_expected_nan_or_inf_is_missed():
    with pytest.raises(CheckFailed):
        check_close(np.array([1.0, 2.0]), np.array([np.nan, 2.0]), "expected NaN, got a number")
    with pytest.raises(CheckFailed):
        check_close(np.array([1.0]), np.array([np.inf]), "expected inf, got a number")
    with pytest.raises(CheckFailed):
        check_close(np.array([-np.inf]), np.array([np.inf]), "inf of the wrong sign")
    with pytest.raises(CheckFailed):
        check_close(torch.tensor([np.inf]), torch.tensor([1.0]), "got inf, expected a number")
    check_close(np.array([np.inf, -np.inf]), np.array([np.inf, -np.inf]), "matching infinities")


def test_check_close_matching_infinities_raise_no_warning():
    # in a notebook, warnings go to stdout: a passing check must not print "invalid value in subtract"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_close(np.array([np.inf, -np.inf, 1.0]), np.array([np.inf, -np.inf, 1.0]), "infinities")


@pytest.mark.parametrize("seed", range(20))
def test_check_close_agrees_with_numpy_isclose(seed):
    # an independent oracle: check_close passes exactly when np.isclose(..., equal_nan=True) holds everywhere
    rng = np.random.default_rng(seed)
    e = rng.normal(size=(4, 5)) * 10.0 ** rng.integers(-3, 4)
    a = e + rng.normal(size=e.shape) * 10.0 ** rng.integers(-9, -3) * np.abs(e).max()
    specials = np.array([np.nan, np.inf, -np.inf, 0.0])
    for _ in range(rng.integers(0, 3)):
        i, j = rng.integers(0, 4), rng.integers(0, 5)
        e[i, j] = rng.choice(specials)
        a[i, j] = e[i, j] if rng.random() < 0.5 else rng.choice(specials)
    atol, rtol = 1e-6, 1e-5
    ok = np.isclose(a, e, atol=atol, rtol=rtol, equal_nan=True).all()
    if ok:
        check_close(a, e, "random case", atol=atol, rtol=rtol)
    else:
        with pytest.raises(CheckFailed):
            check_close(a, e, "random case", atol=atol, rtol=rtol)


# ------------------------------------------------------------------------------ check_equal
def test_check_equal_passes():
    check_equal([1, 2, 3], [1, 2, 3], "ids")
    check_equal((1, 2), [1, 2], "ids")
    check_equal("cab", "cab", "decode")
    check_equal(torch.tensor([2, 7, 3]), torch.tensor([2, 7, 3]), "encode")
    check_equal(np.array([[1, 2]]), np.array([[1, 2]]), "arr")
    check_equal({"a": 1}, {"a": 1}, "dict")


def test_check_equal_lists_show_first_difference():
    got = ["<pad>", "<unk>", "<bos>", "<eos>", "a", "n", "b", "c"]
    want = ["<pad>", "<unk>", "<bos>", "<eos>", "a", "b", "n", "c"]
    msg = _message(check_equal, got, want, "build_vocab(['banana', 'cab'])", hint="ties: alphabetical")
    assert msg.startswith("build_vocab(['banana', 'cab']): first difference at position 5: got 'n', expected 'b'")
    assert f"got      {got}" in msg and f"expected {want}" in msg
    assert msg.endswith("\n  hint: ties: alphabetical")


def test_check_equal_long_lists_are_abbreviated():
    want = list(range(20))
    got = want[:3] + [99] + want[4:]
    msg = _message(check_equal, got, want, "ids")
    assert "first difference at position 3: got 99, expected 3" in msg
    assert "got      [0, 1, 2, 99, 4, 5, 6 ...]" in msg and "expected [0, 1, 2, 3, 4, 5, 6 ...]" in msg


def test_check_equal_long_lists_show_the_window_around_the_first_difference():
    """A difference at position 12 (seen in a student's feedback) shows positions 9-15, not the first 12."""
    want = [f"w{i}" for i in range(30)]
    got = want[:12] + ["x"] + want[13:]
    msg = _message(check_equal, got, want, "tokens")
    assert "first difference at position 12: got 'x', expected 'w12'" in msg
    assert "got      from position 9: [... 'w9', 'w10', 'w11', 'x', 'w13', 'w14', 'w15' ...]" in msg
    assert "expected from position 9: [... 'w9', 'w10', 'w11', 'w12', 'w13', 'w14', 'w15' ...]" in msg
    assert "'w0'" not in msg and "'w8'" not in msg
    msg = _message(check_equal, want[:-1] + ["x"], want, "tokens")  # at the end: no trailing "..."
    assert "got      from position 26: [... 'w26', 'w27', 'w28', 'x']" in msg


def test_check_equal_lists_of_different_length():
    assert "expected 3 items, got 2" in _message(check_equal, [1, 2], [1, 2, 3], "ids")
    assert "expected 2 items, got 3" in _message(check_equal, [1, 2, 3], [1, 2], "ids")


def test_check_equal_tensors_show_first_difference():
    want = torch.tensor([[2, 7, 4], [2, 5, 3]])
    got = want.clone()
    got[1, 1] = 6
    got[1, 2] = 9
    msg = _message(check_equal, got, want, "encode batch")
    assert "first difference at index (1, 1): got 6, expected 5" in msg


def test_check_equal_arrays_show_first_difference():
    msg = _message(check_equal, np.array([1, 2, 3, 4]), np.array([1, 2, 0, 0]), "arr")
    assert "first difference at index (2,): got 3, expected 0" in msg


def test_check_equal_zero_dimensional():
    check_equal(torch.tensor(3), torch.tensor(3), "n")
    msg = _message(check_equal, torch.tensor(3), torch.tensor(4), "n")
    assert "first difference at index (): got 3, expected 4" in msg


def test_check_equal_tensor_type_and_shape():
    msg = _message(check_equal, np.array([2, 7, 3]), torch.tensor([2, 7, 3]), "encode('cab')")
    assert "expected a Tensor, got numpy.ndarray" in msg
    msg = _message(check_equal, torch.tensor([2, 7]), torch.tensor([2, 7, 3]), "encode('cab')")
    assert "expected shape (3,), got (2,)" in msg


def test_check_equal_scalars_and_strings():
    assert _message(check_equal, "cba", "cab", "decode") == "decode: got 'cba', expected 'cab'"
    assert "got 4, expected 5" in _message(check_equal, 4, 5, "len(vocab)")


def test_check_equal_list_expected_but_something_else_given():
    # an array or tensor where a list is expected fails the check; it must not crash or pass
    with pytest.raises(CheckFailed, match="expected a list"):
        check_equal(np.array([1, 2]), [1, 3], "ids")
    with pytest.raises(CheckFailed, match="expected a list"):
        check_equal(np.array([1, 2]), [1, 2], "ids")
    with pytest.raises(CheckFailed):
        check_equal(torch.tensor([1, 2]), [1, 2], "ids")
    with pytest.raises(CheckFailed):
        check_equal("ab", ["a", "b"], "tokens")


# ------------------------------------------------------------------------------ check_raises
def test_check_raises():
    check_raises(lambda: int("x"), ValueError, "int('x')")
    check_raises(lambda: {}["k"], LookupError, "subclass counts")
    msg = _message(check_raises, lambda: 1, ValueError, "Vocab with duplicates", hint="check set(itos)")
    assert msg == "Vocab with duplicates: expected ValueError, but nothing was raised\n  hint: check set(itos)"

    def wrong():
        raise TypeError("boom")

    msg = _message(check_raises, wrong, ValueError, "bad min_count")
    assert msg == "bad min_count: expected ValueError, got TypeError: boom"


def test_check_failed_carries_the_check_name_problem_and_hint_as_data():
    with pytest.raises(CheckFailed) as info:
        check_equal([1, 2], [1, 3], "hidden check: two items", hint="look at the second")
    err = info.value
    assert err.check == "hidden check: two items"
    assert err.problem.startswith("first difference at position 1") and err.hint == "look at the second"
    assert str(err).startswith("hidden check: two items: first difference") and str(err).endswith("hint: look at the second")


def test_check_failed_survives_pickling():
    import pickle
    err = pickle.loads(pickle.dumps(CheckFailed("a check", "went wrong", None)))
    assert (err.check, err.problem, err.hint, str(err)) == ("a check", "went wrong", None, "a check: went wrong")


# ---------------------------------------------------------------- what a student reads in a test cell

@pytest.fixture
def shell(capsys):
    """A real IPython shell (no history file), removed again afterwards."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    ip = InteractiveShell.instance(config=config)
    ip.run_cell("from course_lib.notebook.checks import *\nimport torch")
    capsys.readouterr()
    yield ip
    for event in ("pre_run_cell", "post_run_cell"):
        ip.events.callbacks[event].clear()
    InteractiveShell.clear_instance()


def _run(ip, capsys, code: str) -> tuple[str, str]:
    ip.run_cell(code)
    out = capsys.readouterr()
    return re.sub(r"\x1b\[[0-9;]*m", "", out.out), out.err


def test_failed_check_traceback_shows_the_cell_line_and_message_only(shell, capsys):
    out, err = _run(shell, capsys, "x = 1\ncheck_close(torch.ones(3), torch.zeros(3), 'my output', hint='look')")
    assert "----> 2 check_close(torch.ones(3), torch.zeros(3), 'my output', hint='look')" in out
    assert "CheckFailed: my output: values differ from the expected result." in out and "hint: look" in out
    assert "checks.py" not in out and "_fail" not in out and "skipping hidden" not in out
    assert len(out.strip().splitlines()) <= 12, out


def test_a_refused_reference_traceback_points_at_the_answer_line(shell, capsys):
    code = ("from course_lib.notebook.rules import written_by_you\n"
            "from course_lib.text.vocab import build_vocab as bv\n"
            "def answer(texts):\n    return bv(texts)\n"
            "with written_by_you('build_vocab'):\n    answer(['ab'])")
    out, _ = _run(shell, capsys, code)
    assert "----> 4     return bv(texts)" in out and "in answer(texts)" in out, out
    assert "hidden check: written by you: your build_vocab runs course_lib.text.vocab.build_vocab" in out
    assert "rules.py" not in out and "<refused" not in out, out


def test_every_check_helper_frame_is_marked_hidden():
    """IPython reads `__tracebackhide__` from a frame's locals: every frame in checks.py must hold it."""
    import course_lib.notebook.checks as checks

    failing = [lambda: check_true(False, "n", "p"), lambda: check_type(1, list, "n"),
               lambda: check_shape(torch.zeros(2), (3,), "n"), lambda: check_dtype(torch.zeros(1), torch.long, "n"),
               lambda: check_close(torch.ones(2), torch.zeros(2), "n"), lambda: check_close(1.0, torch.zeros(2), "n"),
               lambda: check_equal([1, 2], [1, 3], "n"), lambda: check_equal(torch.ones(2), torch.ones(3), "n"),
               lambda: check_raises(lambda: 1, ValueError, "n"), lambda: check_raises(lambda: 1 / 0, ValueError, "n")]
    for call in failing:
        with pytest.raises(CheckFailed) as info:
            call()
        frames = [tb.tb_frame for tb in _walk(info.value.__traceback__)
                  if tb.tb_frame.f_code.co_filename == checks.__file__]
        assert frames and all(f.f_locals.get("__tracebackhide__") for f in frames), [f.f_code.co_name for f in frames]


def _walk(tb):
    while tb is not None:
        yield tb
        tb = tb.tb_next


def test_passing_test_cell_says_so_in_one_line(shell, capsys):
    from course_lib.notebook.runtime import report_passing_checks

    assert report_passing_checks() and report_passing_checks()  # registering twice prints once
    out, err = _run(shell, capsys, "check_equal([1], [1], 'a')\ncheck_close(torch.ones(2), torch.ones(2), 'b')\n"
                                   "check_true(True, 'hidden check: c', 'p')")
    assert out == "✓ 2 visible checks passed (graders also run hidden tests)\n" and err == ""
    out, _ = _run(shell, capsys, "check_true(True, 'one', 'p')")
    assert out == "✓ 1 visible check passed (graders also run hidden tests)\n"
    assert _run(shell, capsys, "y = 2") == ("", "")  # no checks: nothing
    assert _run(shell, capsys, "check_true(True, 'hidden check: only', 'p')") == ("", "")  # hidden never mentioned
    out, _ = _run(shell, capsys, "check_true(True, 'a', 'p')\ncheck_true(False, 'b', 'p')")
    assert "CheckFailed" in out and "✓" not in out
    out, _ = _run(shell, capsys, "check_true(True, 'a', 'p')\n1 / 0")
    assert "ZeroDivisionError" in out and "✓" not in out


def test_passing_test_cell_prints_nothing_while_grading(shell, capsys, monkeypatch):
    from course_lib.notebook.runtime import report_passing_checks

    assert report_passing_checks()
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert _run(shell, capsys, "check_true(True, 'a', 'p')") == ("", "")
    assert not report_passing_checks()


def test_nested_checks_count_once_and_failed_ones_not_at_all():
    from course_lib.notebook.checks import visible_checks_run

    visible_checks_run(reset=True)
    check_close(torch.ones(2, 3), torch.ones(2, 3), "calls check_shape inside")
    check_equal(torch.ones(2), torch.ones(2), "calls check_type inside")
    check_true(True, "hidden check: not counted", "p")
    with pytest.raises(CheckFailed):
        check_true(False, "failed", "p")
    assert visible_checks_run(reset=True) == 2 and visible_checks_run() == 0


PRODUCT_SPELLINGS = {
    "@": lambda a, b: a @ b, "matmul": torch.matmul, "Tensor.matmul": lambda a, b: a.matmul(b),
    "mm": torch.mm, "Tensor.mm": lambda a, b: a.mm(b),
    "bmm": lambda a, b: torch.bmm(a[None], b[None]), "Tensor.bmm": lambda a, b: a[None].bmm(b[None]),
    "einsum": lambda a, b: torch.einsum("ij,jk->ik", a, b), "inner": lambda a, b: torch.inner(a, b.T),
    "Tensor.inner": lambda a, b: a.inner(b.T), "linear": lambda a, b: torch.nn.functional.linear(a, b.T),
    "addmm": lambda a, b: torch.addmm(torch.zeros(2, 2), a, b), "tensordot": lambda a, b: torch.tensordot(a, b, 1),
    "baddbmm": lambda a, b: torch.baddbmm(torch.zeros(1, 2, 2), a[None], b[None]),
}


@pytest.mark.parametrize("spelling", sorted(PRODUCT_SPELLINGS))
def test_count_matrix_products_counts_every_spelling_of_a_matrix_product(spelling):
    from course_lib.notebook.checks import count_matrix_products
    a, b = torch.randn(2, 3), torch.randn(3, 2)
    with count_matrix_products() as products:
        PRODUCT_SPELLINGS[spelling](a, b)
    assert products.count == 1


def test_count_matrix_products_ignores_elementwise_work():
    from course_lib.notebook.checks import count_matrix_products
    a = torch.randn(4, 4)
    with count_matrix_products() as products:
        torch.sigmoid(a) * torch.tanh(a) + a.sum(0)
    assert products.count == 0


def test_four_per_gate_bmm_products_count_four():
    from course_lib.notebook.checks import count_matrix_products
    x, W = torch.randn(1, 2, 3), torch.randn(4, 3, 3)
    with count_matrix_products() as products:
        [x.bmm(W[k:k + 1]) for k in range(4)]
    assert products.count == 4


@pytest.mark.parametrize("spelling", [lambda x: x.max(dim=1), lambda x: torch.max(x, 1), lambda x: x.amax(1),
                                      lambda x: torch.argmax(x, 1), lambda x: x.logsumexp(1),
                                      lambda x: torch.logsumexp(x, dim=1)])
def test_count_reductions_counts_every_spelling_of_a_reduction(spelling):
    from course_lib.notebook.checks import count_reductions
    with count_reductions() as reductions:
        spelling(torch.randn(3, 4))
    assert reductions.count == 1


def test_count_reductions_ignores_one_dimensional_tensors_and_other_work():
    from course_lib.notebook.checks import count_reductions
    with count_reductions() as reductions:
        torch.randn(4).max()
        torch.randn(3, 4).sum(1)
    assert reductions.count == 0


def test_count_reductions_tells_a_loop_over_sentences_from_a_batched_loop_over_steps():
    from course_lib.notebook.checks import count_reductions
    scores = torch.randn(6, 5, 3)                                   # (B, T, K)
    with count_reductions() as batched:
        for t in range(5):
            scores[:, t].logsumexp(-1, keepdim=True).expand(6, 2).max(1)
    with count_reductions() as per_sentence:
        for b in range(6):
            for t in range(5):
                scores[b, t][None].logsumexp(-1)
    assert batched.count == 10 and per_sentence.count == 30


def test_count_torch_calls_counts_functions_methods_operators_and_indexing():
    from course_lib.notebook.checks import count_torch_calls
    x = torch.ones(3, 2)
    with count_torch_calls() as calls:
        torch.exp(x)      # a function
        x.sum()           # a method
        _ = x + 1         # an operator
        _ = x[0]          # indexing
    assert calls.count == 4


def test_count_torch_calls_grows_with_a_python_loop_over_rows_and_not_with_batched_code():
    from course_lib.notebook.checks import count_torch_calls

    def looped(x):
        return torch.stack([row * 2 for row in x])

    def batched(x):
        return x * 2

    counts = {}
    for name, fn in (("looped", looped), ("batched", batched)):
        for rows in (5, 20):
            with count_torch_calls() as calls:
                fn(torch.ones(rows, 3))
            counts[name, rows] = calls.count
    assert counts["batched", 5] == counts["batched", 20]
    assert counts["looped", 20] > counts["looped", 5]


def test_raised_message_is_the_message_of_the_expected_error():
    from course_lib.notebook.checks import raised_message

    def bad():
        raise ValueError("stop = 26 is past T = 25")
    assert raised_message(bad) == "stop = 26 is past T = 25"


def test_raised_message_says_what_happened_when_the_expected_error_is_not_raised():
    from course_lib.notebook.checks import raised_message
    assert raised_message(lambda: None) == "(nothing was raised)"
    assert raised_message(lambda: [][1]) == "(an IndexError, not a ValueError)"
    assert raised_message(lambda: int("x"), TypeError) == "(a ValueError, not a TypeError)"


def test_names_reaching_finds_a_library_named_in_the_code_or_reached_through_a_global():
    import rapidfuzz.distance.Levenshtein as _lev

    from course_lib.notebook.checks import names_reaching

    def by_name(a, b):
        from rapidfuzz.distance import Levenshtein
        return Levenshtein.distance(a, b)

    scope = {"lev": _lev}
    aliased = types.FunctionType(compile("def f(a, b):\n    return lev.distance(a, b)\n", "<cell>", "exec")
                                 .co_consts[0], scope)

    def own(a, b):
        return abs(len(a) - len(b))

    assert names_reaching(by_name, "rapidfuzz") == ["rapidfuzz.distance"]
    assert names_reaching(aliased, "rapidfuzz") == ["lev"]
    assert names_reaching(own, "rapidfuzz") == []
