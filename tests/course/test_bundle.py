"""The student bundle of a graded class holds no answer to a locked day, and every day's release still runs
against it; the days the configuration unlocks keep their answers."""
from __future__ import annotations

import ast
import inspect
import keyword
import io
import textwrap
import tokenize
import types
from pathlib import Path

import pytest

from support import DAYS, ROOT
from course_lib.notebook.registry import exercises, resolve
from course_tools.bundle import build_bundle, lock_message, run_locked, stub_module, unlocked_days
from course_tools.notebooks import read

SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING,
        tokenize.ENDMARKER}
MIN_TOKENS = 12  # a body shorter than this could occur by chance; none of the references is that short


def normalised(source: str) -> list[str]:
    """The token stream of Python source, layout, comments and docstrings left out and every name and
    literal abstracted (a copy with renamed variables matches), keywords, operators and attribute names kept."""
    tokens: list[str] = []
    statement_start = True
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
                statement_start = True
            if tok.type in SKIP:
                continue
            if tok.type == tokenize.STRING and statement_start:
                continue  # a docstring or a bare string statement
            statement_start = False
            if tok.type == tokenize.NAME and not keyword.iskeyword(tok.string) and tokens[-1:] != ["."]:
                tokens.append("NAME")
            elif tok.type in (tokenize.STRING, tokenize.NUMBER):
                tokens.append("LITERAL")
            else:
                tokens.append(tok.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []
    return tokens


def _function_bodies(obj) -> list[tuple[str, str]]:
    """(name, source of the body after the docstring) of a function, or of each method a class defines."""
    if isinstance(obj, type):
        methods = [getattr(v, "__func__", v) for v in vars(obj).values()]
        return [b for m in methods if isinstance(m, types.FunctionType) for b in _function_bodies(m)]
    fn = inspect.unwrap(obj)
    lines, _ = inspect.getsourcelines(fn)
    node = ast.parse(textwrap.dedent("".join(lines))).body[0]
    body = node.body[1:] if isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant) \
        else node.body
    if not body or (len(body) == 1 and isinstance(body[0], ast.Return) and isinstance(body[0].value, ast.Call)):
        return []  # nothing, or a one-line delegation to another piece (searched for on its own)
    source = textwrap.dedent("".join(lines))
    segment = "\n".join(source.splitlines()[body[0].lineno - 1:body[-1].end_lineno])
    return [(fn.__qualname__, textwrap.dedent(segment))]


def _contains(haystack: list[str], needle: list[str]) -> bool:
    n = len(needle)
    first = needle[0]
    return any(haystack[i:i + n] == needle for i, t in enumerate(haystack) if t == first)


def _bundle_sources(bundle: Path) -> dict[str, list[str]]:
    found = {}
    for path in bundle.rglob("*"):
        if path.suffix == ".py":
            found[str(path.relative_to(bundle))] = normalised(path.read_text())
        elif path.suffix == ".ipynb":
            for i, cell in enumerate(read(path).cells):
                if cell.cell_type == "code":
                    found[f"{path.relative_to(bundle)} cell {i}"] = normalised(cell.source)
    return found


@pytest.fixture(scope="module")
def locked_bundle(tmp_path_factory) -> Path:
    return build_bundle(tmp_path_factory.mktemp("bundle") / "student", unlocked=[])


@pytest.fixture(scope="module")
def locked_sources(locked_bundle: Path) -> dict[str, list[str]]:
    """Every Python file and notebook code cell of the locked bundle, as normalised token streams."""
    return _bundle_sources(locked_bundle)


def test_the_bundle_holds_release_notebooks_and_course_lib_but_no_solutions_sources_or_tests(locked_bundle: Path) -> None:
    names = {p.name for p in locked_bundle.iterdir()}
    assert {"course_lib", "notebooks", "course.py", "requirements.txt", "README.md"} <= names
    assert not names & {"solutions", "sources", "tests", "docs", ".git"}
    assert not list(locked_bundle.rglob("*.pyc")), "compiled copies of the answers"
    assert sorted(p.name for p in (locked_bundle / "notebooks").iterdir() if p.is_dir()) == DAYS
    assert not any("BEGIN SOLUTION" in p.read_text() or "BEGIN HIDDEN TESTS" in p.read_text()
                   for p in (locked_bundle / "notebooks").rglob("*.ipynb"))


@pytest.mark.parametrize("grade_id", sorted(exercises()))
def test_no_locked_reference_code_is_in_the_bundle(grade_id: str, locked_sources: dict[str, list[str]]) -> None:
    sources = locked_sources
    for path in exercises()[grade_id].references:
        for name, body in _function_bodies(resolve(path)):
            needle = normalised(body)
            assert len(needle) >= MIN_TOKENS, f"{name}: body too short to search for ({needle})"
            leaks = [where for where, tokens in sources.items() if _contains(tokens, needle)]
            assert not leaks, f"{name} ({grade_id}) is in the locked bundle: {leaks}"


def test_the_search_finds_a_renamed_copy_of_a_reference() -> None:
    import course_lib.text.vocab as vocab
    (_, body), = _function_bodies(vocab.build_vocab)
    renamed = body.replace("counts", "freq").replace("tok", "symbol").replace("kept", "vocab")
    pasted = "def my_vocab(texts, min_count=1, specials=()):\n    # mine\n" + textwrap.indent(renamed, "    ")
    assert _contains(normalised(pasted), normalised(body))


def test_a_locked_reference_raises_an_error_naming_its_exercise_and_day(locked_bundle: Path) -> None:
    text = (locked_bundle / "course_lib" / "text" / "vocab.py").read_text()
    assert lock_message("course_lib.text.vocab.build_vocab", "build_vocab", "day01_rnn") in text
    assert "until that exercise's deadline has passed" in lock_message("x.f", "f", "day01_rnn")


def test_an_unlocked_day_keeps_its_answers(tmp_path: Path) -> None:
    bundle = build_bundle(tmp_path / "student", unlocked=["day01_rnn"])
    assert (bundle / "course_lib" / "text" / "vocab.py").read_text() == (ROOT / "course_lib" / "text" / "vocab.py").read_text()


def test_stubbing_keeps_signatures_docstrings_and_other_code() -> None:
    source = textwrap.dedent('''
        import math

        def answer(x: float) -> float:
            """The docstring stays."""
            # a comment that would give it away
            return math.sqrt(x) * 2

        class Model:
            scale = 3

            def forward(self, x):
                return x * self.scale

        def helper(x):
            return x + 1
        ''')
    stubbed = stub_module(source, {"answer": "locked: answer", "Model": "locked: Model"})
    namespace: dict = {}
    exec(stubbed, namespace)
    assert namespace["helper"](1) == 2 and namespace["Model"].scale == 3
    assert namespace["answer"].__doc__ == "The docstring stays."
    assert "sqrt" not in stubbed and "give it away" not in stubbed and "self.scale" not in stubbed
    with pytest.raises(NotImplementedError, match="locked: answer"):
        namespace["answer"](4.0)
    with pytest.raises(NotImplementedError, match="locked: Model"):
        namespace["Model"]().forward(1)
    with pytest.raises(ValueError, match="cannot find"):
        stub_module(source, {"missing": "x"})


def test_the_configuration_lists_the_unlocked_days_and_refuses_unknown_ones(tmp_path: Path) -> None:
    assert unlocked_days() == []  # the repository's own configuration: a graded class starts locked
    (tmp_path / "notebooks" / "day01_rnn").mkdir(parents=True)
    (tmp_path / "notebooks" / "day01_rnn" / "day01_rnn.ipynb").write_text("{}")
    (tmp_path / "nbgrader_config.py").write_text('c = get_config()\nc.StudentBundle.unlocked_days = ["day99_x"]\n')
    with pytest.raises(ValueError, match=r"day99_x"):
        unlocked_days(tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("day", DAYS)
def test_each_release_runs_with_its_own_and_later_days_locked(day: str) -> None:
    ok, message = run_locked(day)
    assert ok, message
