"""course_lib.data.docstrings: code_tokens splits identifiers and agrees with rouge-score's tokenizer; the
standard-library pairs are split by module (no module in two splits, about 80/10/10 % of the pairs), deterministic
per seed, within the asked lengths, free of test suites, idlelib and lib2to3, de-duplicated, and fresh on each
call; on a small fake standard library the extraction keeps exactly the documented functions (sentence first line,
docstring removed, non-empty body); bad arguments raise errors naming what was expected and what came.
Sizes are never hard-coded: they change with the Python version."""
from __future__ import annotations

import random
import re
import time
from collections import Counter

import pytest
from rouge_score import tokenize as rouge_tokenize_module

from course_lib.data import docstrings
from course_lib.data.docstrings import SummaryPair, code_tokens, load_docstring_pairs, stdlib_dir


def rouge_tokens(text: str) -> list[str]:
    return rouge_tokenize_module.tokenize(text, None)


@pytest.fixture(scope="module")
def extraction_seconds() -> float:
    """The CPU time of one extraction of the whole standard library, the cache cleared first (CPU, not wall
    time: the test machine's 2 cores are often shared, which stretches the wall time up to 3x)."""
    docstrings._raw_pairs.cache_clear()
    start = time.process_time()
    docstrings._raw_pairs(stdlib_dir())
    return time.process_time() - start


@pytest.fixture(scope="module")
def splits(extraction_seconds):
    return load_docstring_pairs()


def all_pairs(splits) -> list[SummaryPair]:
    return splits.train + splits.validation + splits.test


# ------------------------------------------------------------------------------ code_tokens
@pytest.mark.parametrize("text, expected", [
    ("def get_count(self):", ["def", "get", "count", "self"]),
    ("HTTPServer.serveForever", ["http", "server", "serve", "forever"]),
    ("Return a UTF-8 str, or None.", ["return", "a", "utf", "8", "str", "or", "none"]),
    ("sha256 of x2", ["sha256", "of", "x2"]),
    ("Base64Encoder", ["base64", "encoder"]),
    ("__init__", ["init"]),
    ("x = 42  # answer", ["x", "42", "answer"]),
    ("", []),
    ("!?-_", []),
])
def test_code_tokens_splits_at_underscores_camel_case_and_punctuation(text, expected):
    assert code_tokens(text) == expected


def test_code_tokens_drop_non_ascii_letters_as_rouge_score_does():
    assert code_tokens("café naïve") == rouge_tokens("café naïve") == ["caf", "na", "ve"]


def test_code_tokens_of_lower_case_text_equal_rouge_score_tokens():
    rng = random.Random(0)
    alphabet = "abcxyz019 _-.,;:'\"()[]{}\n\té"
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert code_tokens(text) == rouge_tokens(text), text


def test_rouge_score_tokenizer_gives_code_tokens_back_from_their_join():
    rng = random.Random(1)
    alphabet = "aAbBzZ09_ .,(é"
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        tokens = code_tokens(text)
        assert rouge_tokens(" ".join(tokens)) == tokens, text


def test_code_tokens_refuses_a_non_string():
    with pytest.raises(TypeError, match="code_tokens expects a str, got list"):
        code_tokens(["def", "f"])


# ------------------------------------------------------------------------------ the standard-library pairs
def test_splits_share_no_module(splits):
    modules = [{p.module for p in part} for part in splits]
    assert all(modules)
    assert not (modules[0] & modules[1] or modules[0] & modules[2] or modules[1] & modules[2])


@pytest.mark.parametrize("seed", range(4))
def test_splits_hold_about_80_10_10_percent_of_the_pairs_give_or_take_one_module(seed):
    parts = load_docstring_pairs(seed=seed)
    total = sum(len(p) for p in parts)
    largest = max(Counter(p.module for part in parts for p in part).values()) / total
    train, validation, test = (len(p) / total for p in parts)
    assert 0.8 <= train <= 0.8 + largest
    assert 0.9 <= train + validation <= 0.9 + largest
    assert test <= 0.1 and validation >= 0.1 - largest


def test_the_same_seed_gives_the_same_splits(splits):
    assert load_docstring_pairs() == splits


def test_another_seed_gives_other_splits(splits):
    assert load_docstring_pairs(seed=1).test != splits.test


def test_every_token_is_lower_case_ascii_letters_and_digits(splits):
    token = re.compile(r"[a-z0-9]+")
    for p in all_pairs(splits):
        assert all(token.fullmatch(t) for t in p.source + p.summary), p


def test_sources_are_cut_to_max_source_tokens():
    pairs = all_pairs(load_docstring_pairs(max_source=30))
    assert max(len(p.source) for p in pairs) == 30


def test_only_summaries_of_min_summary_to_max_summary_tokens_are_kept():
    pairs = all_pairs(load_docstring_pairs(max_summary=6, min_summary=3))
    assert {len(p.summary) for p in pairs} == {3, 4, 5, 6}


def test_default_lengths_are_max_source_120_and_summaries_of_2_to_16_tokens(splits):
    pairs = all_pairs(splits)
    assert max(len(p.source) for p in pairs) == 120
    assert {len(p.summary) for p in pairs} <= set(range(2, 17))


def test_a_longer_max_summary_keeps_more_pairs_as_longer_summaries_are_dropped_not_cut(splits):
    longer = load_docstring_pairs(max_summary=30)
    assert sum(map(len, longer)) > sum(map(len, splits))
    assert max(len(p.summary) for p in all_pairs(longer)) > 16


def test_no_test_suite_idlelib_lib2to3_or_site_packages_module(splits):
    for p in all_pairs(splits):
        parts = p.module.split(".")
        assert not {"test", "tests", "idlelib", "lib2to3", "site-packages"} & set(parts), p.module
        assert not parts[-1].startswith("test_"), p.module


def test_no_two_pairs_share_a_source(splits):
    sources = [tuple(p.source) for p in all_pairs(splits)]
    assert len(set(sources)) == len(sources)


def test_sources_hold_the_def_line_with_the_function_name(splits):
    for p in all_pairs(splits):
        name = p.name.rsplit(".", 1)[-1]
        assert f"def {' '.join(code_tokens(name))}" in " ".join(p.source), p


def test_a_known_function_has_its_docstring_removed_and_its_first_line_as_summary(splits):
    (pair,) = [p for p in all_pairs(splits) if (p.module, p.name) == ("textwrap", "dedent")]
    assert pair.summary == code_tokens("Remove any common leading whitespace from every line in `text`.")
    assert pair.source[:3] == ["def", "dedent", "text"]
    assert "whitespace from every" not in " ".join(pair.source)


def test_each_call_returns_fresh_lists(splits):
    first = load_docstring_pairs()
    first.train[0].source.clear()
    first.train.clear()
    assert load_docstring_pairs() == splits


def test_extraction_of_the_whole_standard_library_takes_at_most_5_cpu_seconds(extraction_seconds):
    assert extraction_seconds <= 5.0, f"extraction took {extraction_seconds:.1f} s of CPU (about 2 s expected)"


# ------------------------------------------------------------------------------ a fake standard library
FAKE = {
    "alpha.py": '''
def get_count(self):
    """Return the count."""
    return self._count

def no_sentence(x):
    """returns x, lower-case first letter"""
    return x

def dots(x):
    """Wait for it..."""
    return x

def only_doc():
    """Do nothing at all."""

def doc_and_pass():
    """Do nothing either."""
    pass

def no_doc(y):
    return y

class Box:
    def open(self, lid):
        """Open the box.

        Longer text that is not part of the summary."""
        def inner():
            """Help the outer function."""
            return lid
        return inner()

if True:
    async def fetch(url):
        """Fetch a URL."""
        return await url
''',
    "beta/__init__.py": '''
def get_count(self):
    """Return the count, again."""
    return self._count
''',
    "beta/test_beta.py": 'def t():\n    """Test something."""\n    return 1\n',
    "test/helpers.py": 'def h():\n    """Help the tests."""\n    return 1\n',
    "idlelib/x.py": 'def i():\n    """Run idle."""\n    return 1\n',
    "lib2to3/y.py": 'def j():\n    """Fix code."""\n    return 1\n',
    "site-packages/z.py": 'def k():\n    """Be installed."""\n    return 1\n',
    "gamma.py": 'def g(a):\n    """Compute gamma here."""\n    return a\n',
    "delta.py": 'def d(a):\n    """Compute delta here."""\n    return a + 1\n',
}


@pytest.fixture
def fake_stdlib(tmp_path, monkeypatch):
    for name, text in FAKE.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    monkeypatch.setattr(docstrings, "stdlib_dir", lambda: str(tmp_path))
    return tmp_path


def test_extraction_keeps_exactly_the_functions_with_a_sentence_first_line_and_a_body(fake_stdlib):
    pairs = docstrings._raw_pairs.__wrapped__(str(fake_stdlib))
    assert [(m, n) for m, n, _, _ in pairs] == [
        ("alpha", "get_count"), ("alpha", "Box.open"), ("alpha", "Box.open.inner"), ("alpha", "fetch"),
        ("beta", "get_count"), ("delta", "d"), ("gamma", "g")]


def test_extraction_removes_only_the_functions_own_docstring(fake_stdlib):
    pairs = {(m, n): (list(s), list(t)) for m, n, s, t in docstrings._raw_pairs.__wrapped__(str(fake_stdlib))}
    assert pairs["alpha", "get_count"] == (["def", "get", "count", "self", "return", "self", "count"],
                                           ["return", "the", "count"])
    source, summary = pairs["alpha", "Box.open"]
    assert summary == ["open", "the", "box"]
    assert "longer" not in source and "help the outer function" in " ".join(source)
    assert pairs["alpha", "fetch"][0][:3] == ["async", "def", "fetch"]


BLOCKS = '''
try:
    def in_try(a):
        """In try."""
        return a
except ImportError:
    def in_except(a):
        """In except."""
        return a + 1
else:
    def in_else(a):
        """In else."""
        return a + 2
finally:
    def in_finally(a):
        """In finally."""
        return a + 3
for _ in range(1):
    def in_for(a):
        """In for."""
        return a + 4
while False:
    def in_while(a):
        """In while."""
        return a + 5
with open(__file__) as _f:
    def in_with(a):
        """In with."""
        return a + 6
match 1:
    case 1:
        def in_match(a):
            """In match."""
            return a + 7
x = [lambda: 0 for _ in range(2)]
'''


def test_extraction_finds_functions_in_every_kind_of_block_in_source_order(tmp_path):
    (tmp_path / "blocks.py").write_text(BLOCKS)
    names = [n for _, n, _, _ in docstrings._raw_pairs.__wrapped__(str(tmp_path))]
    assert names == ["in_try", "in_except", "in_else", "in_finally", "in_for", "in_while", "in_with", "in_match"]


def test_a_repeated_source_is_kept_once_in_its_first_module(fake_stdlib):
    pairs = all_pairs(load_docstring_pairs())
    assert [(p.module, p.name) for p in pairs if p.source[:3] == ["def", "get", "count"]] == [("alpha", "get_count")]


def test_a_directory_without_python_files_raises_naming_it(tmp_path, monkeypatch):
    monkeypatch.setattr(docstrings, "stdlib_dir", lambda: str(tmp_path))
    with pytest.raises(FileNotFoundError, match="found no standard-library .py files under"):
        load_docstring_pairs()


# ------------------------------------------------------------------------------ bad arguments
@pytest.mark.parametrize("kwargs, error, message", [
    ({"max_source": 0}, ValueError, "max_source must be >= 1, got 0"),
    ({"max_summary": -1}, ValueError, "max_summary must be >= 1, got -1"),
    ({"min_summary": 0}, ValueError, "min_summary must be >= 1, got 0"),
    ({"seed": -1}, ValueError, "seed must be >= 0, got -1"),
    ({"max_source": 12.0}, TypeError, "max_source must be an int, got float 12.0"),
    ({"max_summary": True}, TypeError, "max_summary must be an int, got bool True"),
    ({"seed": "0"}, TypeError, "seed must be an int, got str '0'"),
    ({"min_summary": 5, "max_summary": 4}, ValueError, "min_summary must be <= max_summary"),
    ({"fractions": (0.5, 0.5, 0.0)}, ValueError, "fractions must be three positive numbers summing to 1"),
    ({"fractions": (0.8, 0.2)}, ValueError, "fractions must be three positive numbers summing to 1, got (0.8, 0.2)"),
])
def test_bad_arguments_raise_naming_what_was_expected_and_what_came(kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        load_docstring_pairs(**kwargs)
