"""course_lib.validation: argument checks that name what was expected and what came."""
import numpy as np
import pytest

from course_lib.validation import check_int


def test_check_int_returns_a_python_int_for_python_and_numpy_integers() -> None:
    assert check_int(3, "n", 1) == 3 and type(check_int(np.int64(3), "n", 1)) is int


@pytest.mark.parametrize("value", [True, 2.0, "2", None])
def test_check_int_refuses_non_integers_naming_the_argument_and_the_type(value: object) -> None:
    with pytest.raises(TypeError, match=rf"n must be an int, got {type(value).__name__}"):
        check_int(value, "n", 0)


def test_check_int_refuses_a_value_below_the_minimum_naming_both() -> None:
    with pytest.raises(ValueError, match=r"n must be >= 1, got 0"):
        check_int(0, "n", 1)
