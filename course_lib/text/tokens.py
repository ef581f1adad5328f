"""Token lists: the one check that a value is a list of str tokens, shared by everything that scores or
counts tokens (ROUGE, edits, diversity), so that a str or a list of ids is refused with the same clear message."""
from __future__ import annotations

from collections.abc import Sequence


def check_tokens(tokens: object, what: str, hint: str = "split it first") -> None:
    """Raise TypeError unless `tokens` is a sequence (not a str) of str tokens; the message names `what`, what
    came, and for a str the `hint`."""
    if isinstance(tokens, str):
        raise TypeError(f"{what} must be a list of tokens, got a str ({tokens[:30]!r}); {hint}")
    if not isinstance(tokens, Sequence):
        raise TypeError(f"{what} must be a list of tokens (str), got {type(tokens).__name__}")
    for i, token in enumerate(tokens):
        if not isinstance(token, str):
            raise TypeError(f"{what} must hold str tokens, got {type(token).__name__} {token!r} at position {i}")
