"""The static scan: the constructs tampering needs are named in the review list; ordinary answers are not."""
from __future__ import annotations

import pytest

from course_tools.grader.scan import private_names, release_bindings, scan
from course_tools.notebooks import read, solved
from support import ROOT

DAY = "day01_rnn"
RELEASE = read(ROOT / "notebooks" / DAY / f"{DAY}.ipynb")
SOLUTION = read(ROOT / "solutions" / DAY / f"{DAY}.ipynb")


def findings(encode_source: str) -> list[str]:
    nb = solved(RELEASE, SOLUTION, {"encode": encode_source})
    return scan(nb, RELEASE, release_bindings(RELEASE), private_names(SOLUTION))


def test_the_model_answers_raise_no_suspicion() -> None:
    assert scan(solved(RELEASE, SOLUTION), RELEASE, release_bindings(RELEASE), private_names(SOLUTION)) == []


def test_a_local_variable_named_like_a_builtin_is_fine() -> None:
    assert findings("def encode(text, stoi):\n    sum = 0\n    all = [stoi[c] for c in text]\n    return all\n") == []


@pytest.mark.parametrize("source, finding", [
    ("import torch.testing\ntorch.testing.assert_close = lambda *a, **k: None\n",
     "assigns to torch.testing.assert_close"),
    ("import os\n", "imports os"),
    ("from ctypes import pythonapi\n", "imports from ctypes"),
    ("def all(iterable):\n    return True\n", "defines 'all', hiding the builtin"),
    ("check_close = print\n", "rebinds the notebook name 'check_close'"),
    ("np = None\n", "rebinds the notebook name 'np'"),
    ("class Always(list):\n    def __eq__(self, other):\n        return True\n", "class Always subclasses list"),
    ("class Always:\n    def __eq__(self, other):\n        return True\n", "class Always defines __eq__"),
    ("def encode(text, stoi):\n    return _want\n", "reads the test variable _want"),
    ("text = open('../../solutions/x').read()\n", "calls open()"),
    ("text = '../../solutions/x'\n", "mentions 'solutions/' in a string"),
    ("check_close.__code__ = (lambda *a: None).__code__\n", "uses .__code__"),
    ("!cat ../../gradebook.db\n", "uses get_ipython"),
    ("vars(np)['array_equal'] = None\n", "calls vars(np)"),
])
def test_tampering_constructs_are_named(source: str, finding: str) -> None:
    found = findings(source)
    assert any(finding in f for f in found), found
    assert all(f.startswith("suspicious code in encode: ") for f in found)
