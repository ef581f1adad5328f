"""Byte-pair encoding (Sennrich, Haddow & Birch 2016): learn merges of frequent symbol pairs, then split words into
subword units, so that a rare or unseen word is spelled from known pieces instead of becoming <unk>.

Conventions (those of the HF `tokenizers` library with `end_of_word_suffix="</w>"`): a word starts as its
characters, with the end-of-word marker "</w>" appended to the LAST character, `word_symbols("low") ==
["l", "o", "w</w>"]`; so "w</w>" (a w that ends a word) and "w" (a w inside one) are different symbols, and a merged
symbol is the concatenation of its two parts ("lo" + "w</w>" -> "low</w>"). Characters are Python str characters
(code points), not bytes. A word is a non-empty str without "</w>" in it (one that holds the marker is refused: its
"<", "/", "w", ">" would pass for ordinary characters).

learn_bpe(word_counts, num_merges), precisely:
1. every word (a key of word_counts, its value the number of times it occurs) starts as `word_symbols(word)`;
2. a pair (x, y) of adjacent symbols is counted once per occurrence, weighted by the word's count; in a run of
   equal symbols, occurrences of (x, x) are counted non-overlapping from the left, as the merge will apply them:
   "a a a" holds (a, a) once, "a a a a" twice. A pair is "left" when its count is >= 1 (words of count 0 add
   nothing);
3. the pair with the highest count is merged; ties go to the smallest pair, comparing the tuples (x, y) as Python
   does (by x, then by y, each as str: "Z" < "a" < "b</w>" < "ba");
4. merging replaces every occurrence of (x, y) in every word by the symbol x + y, left to right, non-overlapping
   ("a a a" -> "aa a");
5. repeat until num_merges merges are made or no pair is left (then fewer merges come back; pairs of count 1 are
   merged too). The merges come back in the order they were made: their rank.
It keeps per-pair counts and the words each pair occurs in, and updates only the changed words after each merge
(a heap picks the best pair), so a few thousand merges over a few thousand word types take about a second.

bpe_encode(word, merges): start from `word_symbols(word)`, then repeatedly take the adjacent pair of lowest rank
(its index in `merges`; a pair listed twice counts at its last index, as in tokenizers) among the pairs present
and merge all its occurrences left to right, until no adjacent pair is a merge. Symbols never seen in training
(an unknown character, say) simply stay single symbols. This is what
`tokenizers.models.BPE(vocab, merges, end_of_word_suffix="</w>")` does (tested). For merges made by
learn_bpe it equals applying the merges one by one in learned order (`apply_merges_in_order`; tested on thousands
of random corpora and words); for hand-made lists it need not, e.g. merges [("ab", "c</w>"), ("a", "b")] encode
"abc" by rank as ["abc</w>"] (once "ab" exists, the rank-0 pair is present again) but in order as ["ab", "c</w>"]
(merge 0 found no "ab" when its turn came). learn_bpe never makes such a list: a merge's parts exist before it.

Differences from `tokenizers.trainers.BpeTrainer` (measured, see tests/course_lib/text/test_bpe.py): it counts
(x, x) in a run overlapping ("a a a" -> twice), and breaks ties between equal counts by symbol ids (the order in which
symbols were first made), not by the strings; on corpora without ties and without runs of three equal symbols its
merges equal learn_bpe's.
"""
from __future__ import annotations

import heapq
import numbers
from collections import defaultdict
from collections.abc import Mapping, Sequence

END_OF_WORD = "</w>"

Pair = tuple[str, str]


def _check_word(word: object, what: str = "word") -> None:
    if not isinstance(word, str):
        raise TypeError(f"{what} must be a str, got {type(word).__name__} {word!r}")
    if word == "":
        raise ValueError(f"{what} must be a non-empty str, got ''")
    if END_OF_WORD in word:
        raise ValueError(f"{what} must not contain the end-of-word marker {END_OF_WORD!r} (it is added to the last "
                         f"character), got {word!r}")


def word_symbols(word: str) -> list[str]:
    """The word's characters with END_OF_WORD ("</w>") appended to the last one: "low" -> ["l", "o", "w</w>"]."""
    _check_word(word)
    return list(word[:-1]) + [word[-1] + END_OF_WORD]


def _pair_counts(symbols: Sequence[str]) -> dict[Pair, int]:
    """How often each adjacent pair occurs in one word, runs of equal symbols counted non-overlapping."""
    counts: dict[Pair, int] = defaultdict(int)
    previous_counted_run = False            # was the pair at i - 1 an (x, x) that was counted?
    for i in range(len(symbols) - 1):
        pair = (symbols[i], symbols[i + 1])
        if pair[0] == pair[1]:
            if previous_counted_run:        # x x x: this (x, x) overlaps the one counted at i - 1
                previous_counted_run = False
                continue
            previous_counted_run = True
        else:
            previous_counted_run = False
        counts[pair] += 1
    return counts


def merge_pair(symbols: Sequence[str], pair: Pair) -> list[str]:
    """`symbols` with every occurrence of `pair` replaced by the merged symbol, left to right, non-overlapping:
    merge_pair(["a", "a", "a</w>"], ("a", "a")) == ["aa", "a</w>"]."""
    if isinstance(symbols, str) or not isinstance(symbols, Sequence):
        raise TypeError(f"symbols must be a list of str symbols, got {type(symbols).__name__} {symbols!r}; "
                        "e.g. word_symbols(word)")
    for i, s in enumerate(symbols):
        if not isinstance(s, str):
            raise TypeError(f"symbols must hold str, got {type(s).__name__} {s!r} at position {i}")
    _check_merges([pair], what="pair")
    left, right = pair
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and symbols[i] == left and symbols[i + 1] == right:
            out.append(left + right)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


def _check_merges(merges: object, what: str = "merges") -> list[Pair]:
    if isinstance(merges, (str, Mapping)) or not isinstance(merges, Sequence):
        raise TypeError(f"merges must be a list of (left, right) pairs of str, got {type(merges).__name__}")
    for i, m in enumerate(merges):
        if not (isinstance(m, (tuple, list)) and len(m) == 2 and all(isinstance(s, str) and s for s in m)):
            if what == "pair":
                raise TypeError(f"pair must be a (left, right) pair of non-empty str, got {type(m).__name__} {m!r}")
            raise TypeError(f"merges must be a list of (left, right) pairs of non-empty str; "
                            f"merge {i} is {type(m).__name__} {m!r}")
    return [tuple(m) for m in merges]


def learn_bpe(word_counts: Mapping[str, int], num_merges: int) -> list[Pair]:
    """The first `num_merges` merges (fewer if no pair is left) learned from words and their counts, in the order
    they were made; see the module docstring for the exact rule (counts, ties, runs, stopping).
    learn_bpe({"low": 5, "lower": 2, "newest": 6, "widest": 3}, 3) == [("e", "s"), ("es", "t</w>"), ("l", "o")]."""
    if not isinstance(word_counts, Mapping):
        hint = "; count them first, e.g. collections.Counter(words)" if isinstance(word_counts, (list, tuple)) else ""
        raise TypeError(f"word_counts must be a dict of word -> count, got {type(word_counts).__name__}{hint}")
    if not isinstance(num_merges, numbers.Integral) or isinstance(num_merges, bool):   # numpy ints are fine
        raise TypeError(f"num_merges must be an int, got {type(num_merges).__name__} {num_merges!r}")
    if num_merges < 0:
        raise ValueError(f"num_merges must be >= 0, got {num_merges}")
    for word, count in word_counts.items():
        _check_word(word, "every word (key of word_counts)")
        if not isinstance(count, numbers.Integral) or isinstance(count, bool):
            raise TypeError(f"word counts must be ints, got {type(count).__name__} {count!r} for {word!r}")
        if count < 0:
            raise ValueError(f"word counts must be >= 0, got {count} for {word!r}")

    words = [word_symbols(w) for w, c in word_counts.items() if c > 0]
    weights = [int(c) for c in word_counts.values() if c > 0]
    counts: dict[Pair, int] = defaultdict(int)          # pair -> weighted count over all words
    where: dict[Pair, set[int]] = defaultdict(set)      # pair -> indices of the words holding it
    for k, symbols in enumerate(words):
        for pair, c in _pair_counts(symbols).items():
            counts[pair] += c * weights[k]
            where[pair].add(k)
    heap = [(-c, pair) for pair, c in counts.items()]   # lazy: stale entries are skipped when popped
    heapq.heapify(heap)

    merges: list[Pair] = []
    while len(merges) < num_merges and heap:
        negative, pair = heapq.heappop(heap)
        if counts.get(pair, 0) != -negative or -negative < 1:
            continue                                    # stale entry (the count changed since it was pushed)
        merges.append(pair)
        changed: set[Pair] = set()
        for k in sorted(where.pop(pair)):
            old = _pair_counts(words[k])
            words[k] = merge_pair(words[k], pair)
            new = _pair_counts(words[k])
            for p in old.keys() | new.keys():
                delta = (new.get(p, 0) - old.get(p, 0)) * weights[k]
                if delta:
                    counts[p] += delta
                    changed.add(p)
                if p in new:
                    where[p].add(k)
                elif p in where:
                    where[p].discard(k)
        for p in changed:
            if counts[p] > 0:
                heapq.heappush(heap, (-counts[p], p))
            else:
                counts.pop(p, None)
                where.pop(p, None)
    return merges


_last_ranks: tuple[list, dict[Pair, int]] = ([], {})


def _rank_table(merges: Sequence[Pair]) -> dict[Pair, int]:
    """{pair: rank}; a pair listed twice gets the rank of its LAST listing, as in tokenizers' BPE model (and as a
    dict built from enumerate(merges) does; learn_bpe never lists a pair twice). The table of the previous call
    is reused when `merges` equals that call's list of tuples (tuples of str cannot change, and a list or str
    element never equals a tuple, so a changed list is never served a stale table); this makes encoding word by
    word with thousands of merges fast. Merges given as lists of two str are checked and indexed on every call."""
    global _last_ranks
    if isinstance(merges, (list, tuple)) and merges and list(merges) == _last_ranks[0]:
        return _last_ranks[1]
    checked = _check_merges(merges)
    rank = {pair: r for r, pair in enumerate(checked)}
    if all(type(m) is tuple for m in merges):
        _last_ranks = (list(merges), rank)
    return rank


def bpe_encode(word: str, merges: Sequence[Pair]) -> list[str]:
    """The word as BPE symbols: `word_symbols(word)`, then repeatedly the adjacent pair of lowest rank in `merges`
    merged everywhere (left to right), until no adjacent pair is a merge. The last symbol ends with "</w>".
    bpe_encode("lowest", [("l", "o"), ("lo", "w"), ("e", "s"), ("es", "t</w>")]) == ["low", "est</w>"]."""
    _check_word(word)
    rank = _rank_table(merges)
    symbols = word_symbols(word)
    while len(symbols) > 1:
        best = min((rank.get(p, len(rank)), p) for p in zip(symbols, symbols[1:]))
        if best[0] == len(rank):                        # no adjacent pair is a merge
            break
        symbols = merge_pair(symbols, best[1])
    return symbols


def apply_merges_in_order(word: str, merges: Sequence[Pair]) -> list[str]:
    """The word with each merge applied once, in list order (`merge_pair` for each). Equal to `bpe_encode` for
    merges learned by `learn_bpe`; may differ for hand-made lists (e.g. when a later merge builds a symbol that an
    earlier merge would have joined with its neighbour)."""
    _check_word(word)
    symbols = word_symbols(word)
    for pair in _check_merges(merges):
        symbols = merge_pair(symbols, pair)
    return symbols


def bpe_symbols(word_counts: Mapping[str, int], merges: Sequence[Pair]) -> set[str]:
    """The symbol inventory of a learned BPE: every initial symbol of the training words (their characters, with
    and without "</w>" as they occur) plus the symbol each merge makes. A test word's BPE encoding is free of
    unknown symbols exactly when all its symbols are in this set (only characters never seen in training can be
    missing)."""
    if not isinstance(word_counts, Mapping):
        raise TypeError(f"word_counts must be a dict of word -> count, got {type(word_counts).__name__}")
    symbols = {s for word, count in word_counts.items() if count > 0 for s in word_symbols(word)}
    return symbols | {left + right for left, right in _check_merges(merges)}
