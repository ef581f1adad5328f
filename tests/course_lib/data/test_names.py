"""course_lib.data.names: load_names returns the census first names by kind (first = female | male), a fresh list
each call, and rejects unknown kinds."""
from __future__ import annotations

import re

import pytest

from course_lib.data.names import load_names


# ------------------------------------------------------------------------------ load_names
def test_load_names_first():
    names = load_names()
    assert names == load_names("first")
    assert 4_500 <= len(names) <= 5_500  # "about 5,000 first names"
    assert len(set(names)) == len(names)
    assert all(n == n.lower() and n.isalpha() and n.isascii() for n in names)
    # interleaved by rank, most common first: female #1, male #1, female #2, male #2, ...
    assert names[:6] == ["mary", "james", "patricia", "john", "linda", "robert"]


@pytest.mark.parametrize("kind", ["female", "male"])
def test_load_names_by_sex(kind):
    names = load_names(kind)
    assert len(names) > 1_000
    assert len(set(names)) == len(names)
    assert all(n == n.lower() and n.isalpha() for n in names)
    assert names[0] == {"female": "mary", "male": "james"}[kind]


def test_load_names_first_is_the_union_of_female_and_male():
    female, male, first = load_names("female"), load_names("male"), load_names("first")
    assert set(first) == set(female) | set(male)
    assert len(first) == len(set(female) | set(male))
    assert len(set(female) & set(male)) > 0  # shared names (e.g. "james" is in both) appear once
    # the order keeps each list's own rank order
    rank = {n: i for i, n in enumerate(first)}
    assert all(rank[a] < rank[b] for a, b in zip(female, female[1:]) if a in rank and b in rank
               and a not in male and b not in male)


def test_load_names_returns_a_fresh_list():
    names = load_names("male")
    names.clear()
    assert load_names("male")


@pytest.mark.parametrize("bad", ["last", "First", "", "females"])
def test_load_names_rejects_unknown_kind(bad):
    with pytest.raises(ValueError, match=re.escape(f"kind must be 'female', 'male' or 'first', got {bad!r}")):
        load_names(bad)
