"""Summarization data from Python's own standard library: a function's code -> the first line of its docstring.

Source: the `.py` files of the standard library of the Python running this code (the directory
`sysconfig.get_paths()["stdlib"]`), read offline and parsed with `ast`. Python and its standard library are under
the PSF License (Python Software Foundation License Version 2). Nothing is downloaded, nothing is generated: the
code and the summaries are real, written by the CPython developers.

Which functions: every `def` / `async def` (module-level functions, methods, nested functions) of every module,
except the test suites (any directory named `test` or `tests`, any file named `test_*.py`), `idlelib`, `lib2to3`
and `site-packages` (installed packages are not the standard library). A function is kept when
- its docstring's first line is a sentence: after `ast.get_docstring` (which strips the indentation and leading
  blank lines), the first line starts with an upper-case ASCII letter, ends with a period (not "..."), and has
  between `min_summary` (default 2) and `max_summary` tokens; pairs with a longer summary are dropped, not cut;
- something is left once the docstring is removed (a body that was only the docstring, perhaps plus `pass` or
  `...`, leaves nothing to summarize but the name: such functions are dropped).

Each pair: `source` = the function's code (decorators, `def` line with its name and arguments, body) with its
own docstring removed, written back by `ast.unparse` (so comments are gone and the layout is normalised; the
docstrings of functions nested inside it stay), tokenized with `code_tokens` and cut to its first `max_source`
tokens; `summary` = the docstring's first line tokenized with `code_tokens`. Example: `def get_count(self):
return self._count` with docstring "Return the count." gives source ["def", "get", "count", "self", "return",
"self", "count"] and summary ["return", "the", "count"] -- the identifiers split at underscores, so the summary's
words can be copied from the source.

De-duplication: a pair whose (cut) source equals an earlier pair's source is dropped (modules in sorted order),
so the same code (e.g. copied between the two `ctypes` or `asyncio` platform modules) is never in two splits.

Splits: BY MODULE; no module is in two splits. The sorted modules that keep at least one pair are permuted with
`seed`, and the permuted list is cut where the running pair count first reaches 80 % and 90 % of all pairs, so the
splits hold about 80 / 10 / 10 % of the pairs (give or take one module). Within a split, pairs keep the order of
(module, position in the file).

Sizes depend on the Python version (each release changes the standard library): never hard-code them. On
Python 3.11.7 with the defaults: 3,914 pairs from 295 modules (seed 0: 3,154 train, 377 validation, 383 test);
sources are short (median 24 tokens before the cut), summaries 2-16 tokens. Extraction parses all 601 kept files
(11 MB) once per process: about 2 s of CPU (half in `ast.parse`, a quarter in `ast.unparse`), 2-3 s of wall time
on an idle machine, up to 6 s measured while other jobs shared its 2 cores. The result is cached with
`functools.lru_cache`; later calls, with any arguments, only filter the cache (about 20-100 ms).
"""
from __future__ import annotations

import ast
import functools
import gc
import os
import re
import sysconfig
from collections import Counter
from typing import NamedTuple

import numpy as np

from .splits import Splits

EXCLUDED_DIRS: frozenset[str] = frozenset({"test", "tests", "idlelib", "lib2to3", "site-packages", "__pycache__"})

_RUN = re.compile(r"[A-Za-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def code_tokens(text: str) -> list[str]:
    """Lower-cased word tokens of code or prose, for both the sources and the summaries.

    Exactly: take each maximal run of ASCII letters and digits (every other character -- underscore,
    punctuation, whitespace, non-ASCII letters -- separates tokens and is dropped), split the run at camelCase
    boundaries (before an upper-case letter that follows a lower-case letter or a digit, and before the last
    capital of a run of capitals followed by a lower-case letter), then lower-case. Digits stay attached to the
    letters next to them.

        code_tokens("def get_count(self):")   -> ["def", "get", "count", "self"]
        code_tokens("HTTPServer.serveForever") -> ["http", "server", "serve", "forever"]
        code_tokens("Return a UTF-8 str, or None.") -> ["return", "a", "utf", "8", "str", "or", "none"]
        code_tokens("sha256 of x2") -> ["sha256", "of", "x2"]

    So every token matches [a-z0-9]+, and re-tokenizing " ".join(code_tokens(t)) with rouge-score's tokenizer
    (course_lib.metrics.rouge.rouge_tokenize, stemming off) gives the same tokens back; on text without
    upper-case letters, code_tokens(t) == rouge_tokenize(t)."""
    if not isinstance(text, str):
        raise TypeError(f"code_tokens expects a str, got {type(text).__name__}")
    return [token.lower() for token in _RUN.findall(_CAMEL.sub(" ", text))]   # camelCase boundaries -> spaces


class SummaryPair(NamedTuple):
    """One function: its code tokens, the tokens of its docstring's first line, where it lives."""
    source: list[str]       # code_tokens of the function without its docstring, at most max_source
    summary: list[str]      # code_tokens of the docstring's first line
    module: str             # dotted module name, e.g. "json.decoder" ("json" for json/__init__.py)
    name: str               # qualified name within the module, e.g. "JSONDecoder.decode"


def stdlib_dir() -> str:
    """The directory holding the running Python's standard library (`sysconfig`'s "stdlib" path)."""
    return sysconfig.get_paths()["stdlib"]


def _module_files(root: str) -> list[tuple[str, str]]:
    """(dotted module name, path) of the kept .py files under root, sorted by module name."""
    found = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in EXCLUDED_DIRS)
        rel = os.path.relpath(directory, root)
        package = [] if rel == "." else rel.split(os.sep)
        for f in files:
            if not f.endswith(".py") or f.startswith("test_"):
                continue
            parts = package + ([] if f == "__init__.py" else [f[:-3]])
            if parts:
                found.append((".".join(parts), os.path.join(directory, f)))
    return sorted(found)


# The statements whose blocks can hold a def, and the fields holding those blocks.
_BLOCKS: dict[type, tuple[str, ...]] = {
    ast.If: ("body", "orelse"), ast.For: ("body", "orelse"), ast.AsyncFor: ("body", "orelse"),
    ast.While: ("body", "orelse"), ast.With: ("body",), ast.AsyncWith: ("body",),
    ast.Try: ("body", "handlers", "orelse", "finalbody"), ast.TryStar: ("body", "handlers", "orelse", "finalbody"),
    ast.ExceptHandler: ("body",), ast.Match: ("cases",), ast.match_case: ("body",)}


def _functions(body: list, prefix: str):
    """(qualified name, node) of every function defined in these statements, outer functions first; looks into
    classes, functions and the blocks of if/for/while/try/with/match statements (not into expressions)."""
    for node in body:
        kind = type(node)
        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
            yield prefix + node.name, node
            yield from _functions(node.body, prefix + node.name + ".")
        elif kind is ast.ClassDef:
            yield from _functions(node.body, prefix + node.name + ".")
        elif kind in _BLOCKS:
            for field in _BLOCKS[kind]:
                yield from _functions(getattr(node, field), prefix)


def _is_sentence(line: str) -> bool:
    return bool(line) and "A" <= line[0] <= "Z" and line.endswith(".") and not line.endswith("..")


def _is_empty(body: list[ast.stmt]) -> bool:
    """Nothing but `pass` or `...` (or nothing at all)."""
    return all(isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)
                                           and s.value.value is Ellipsis) for s in body)


@functools.lru_cache(maxsize=4)
def _raw_pairs(root: str) -> tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...]:
    """(module, qualified name, all source tokens, summary tokens) for every function whose docstring's first
    line is a sentence and whose body is not empty without it; in (module, position) order. Cached."""
    files = _module_files(root)
    if not files:
        raise FileNotFoundError(f"found no standard-library .py files under {root!r}; this Python seems to ship "
                                "its standard library without sources (e.g. only .pyc files)")
    out = []
    gc_was_enabled = gc.isenabled()
    gc.disable()            # ast.parse allocates millions of nodes; the cyclic GC would triple the time
    try:
        for module, path in files:
            with open(path, "rb") as fh:
                code = fh.read()
            if b"def " not in code:
                continue
            try:
                tree = ast.parse(code, filename=path)
            except (SyntaxError, ValueError):       # not valid for this Python (none expected): skip the file
                continue
            for name, node in _functions(tree.body, ""):
                doc = ast.get_docstring(node)
                if not doc:
                    continue
                first = doc.split("\n", 1)[0].strip()
                if not _is_sentence(first):
                    continue
                body = node.body
                if _is_empty(body[1:]):
                    continue
                node.body = body[1:]
                try:
                    source = ast.unparse(node)
                finally:
                    node.body = body
                out.append((module, name, tuple(code_tokens(source)), tuple(code_tokens(first))))
    finally:
        if gc_was_enabled:
            gc.enable()
    return tuple(out)


def _check_fractions(fractions: object) -> None:
    if (not isinstance(fractions, (tuple, list)) or len(fractions) != 3
            or not all(isinstance(f, (int, float)) and not isinstance(f, bool) and f > 0 for f in fractions)
            or abs(sum(fractions) - 1) > 1e-9):
        raise ValueError(f"fractions must be three positive numbers summing to 1, got {fractions!r}")


def _split_modules(modules: list[str], fractions: tuple[float, float, float], seed: int) -> dict[str, int]:
    """A split (0 train, 1 validation, 2 test) for each distinct module of `modules` (one entry per pair): the
    sorted modules permuted with `seed`, the permuted list cut where the running pair count first reaches
    fractions[0] and fractions[0] + fractions[1] of all pairs (each split gets at least one module)."""
    _check_fractions(fractions)
    sizes = Counter(modules)
    names = sorted(sizes)
    if len(names) < 3:
        raise ValueError(f"need at least 3 modules to split by module, got {len(names)}")
    order = [names[i] for i in np.random.default_rng(seed).permutation(len(names))]
    running = np.cumsum([sizes[m] for m in order])                    # (n_modules,)
    total = running[-1]
    cut1 = int(np.searchsorted(running, fractions[0] * total)) + 1
    cut1 = min(max(cut1, 1), len(order) - 2)
    cut2 = int(np.searchsorted(running, (fractions[0] + fractions[1]) * total)) + 1
    cut2 = min(max(cut2, cut1 + 1), len(order) - 1)
    return {m: 0 if i < cut1 else 1 if i < cut2 else 2 for i, m in enumerate(order)}


def _check_int(value: object, name: str, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")


def load_docstring_pairs(max_source: int = 120, max_summary: int = 16, seed: int = 0, *, min_summary: int = 2,
                         fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)) -> Splits:
    """Splits (train, validation, test) of `SummaryPair`s from the standard library, split by module.

    max_source: sources are cut to their first max_source tokens. max_summary / min_summary: only pairs whose
    summary has between min_summary and max_summary tokens are kept. seed: which modules go to which split.
    fractions: the shares of modules (not of pairs) in train, validation and test.
    The same arguments give the same splits on the same Python version (see the module docstring for what is
    kept, the de-duplication and the sizes). Each call returns fresh lists: changing them changes no cache."""
    _check_int(max_source, "max_source", 1)
    _check_int(max_summary, "max_summary", 1)
    _check_int(min_summary, "min_summary", 1)
    _check_int(seed, "seed", 0)
    _check_fractions(fractions)
    if min_summary > max_summary:
        raise ValueError(f"min_summary must be <= max_summary, got min_summary={min_summary} > "
                         f"max_summary={max_summary}")
    kept, seen = [], set()
    for module, name, source, summary in _raw_pairs(stdlib_dir()):
        if not min_summary <= len(summary) <= max_summary:
            continue
        cut = source[:max_source]
        if cut in seen:
            continue
        seen.add(cut)
        kept.append((module, name, cut, summary))
    where = _split_modules([module for module, *_ in kept], fractions, seed)
    parts: tuple[list[SummaryPair], ...] = ([], [], [])
    for module, name, source, summary in kept:
        parts[where[module]].append(SummaryPair(list(source), list(summary), module, name))
    return Splits(*parts)
