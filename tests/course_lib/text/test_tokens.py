"""check_tokens: a list of str tokens passes; anything else is refused naming what was expected and what came."""
from __future__ import annotations

import pytest

from course_lib.text.tokens import check_tokens


@pytest.mark.parametrize("tokens", [[], ["a"], ("a", "b"), ["the", "cat", "the"]])
def test_a_sequence_of_str_tokens_passes(tokens) -> None:
    check_tokens(tokens, "tokens")


def test_a_str_is_refused_with_the_hint() -> None:
    with pytest.raises(TypeError, match=r"reference must be a list of tokens, got a str \('the cat'\); split it"):
        check_tokens("the cat", "reference", hint="split it first")


def test_a_non_sequence_is_refused_naming_its_type() -> None:
    with pytest.raises(TypeError, match="hypothesis must be a list of tokens \\(str\\), got int"):
        check_tokens(3, "hypothesis")


def test_a_non_str_token_is_refused_naming_it_and_its_position() -> None:
    with pytest.raises(TypeError, match="must hold str tokens, got int 7 at position 1"):
        check_tokens(["a", 7], "tokens")
