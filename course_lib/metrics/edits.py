"""Edit-level scoring for grammar correction: which changes did the system make, and were they the right ones?

Exact match (the whole output equals the reference) hides what matters in correction: most tokens are simply
copied, so a system that copies everything is often exactly right on clean sentences and scores well on
token accuracy too. Edit-level scoring, as in the CoNLL-2014 shared task's M2 scorer (Dahlmeier & Ng 2012),
compares the EDITS: the changes a hypothesis makes to the source against the changes the reference makes.
Precision = the share of proposed edits that are correct, recall = the share of needed edits that were made,
and F0.5 weighs precision twice as much as recall (a wrong "correction" annoys more than a missed one).

An edit here is a source span [start, end) and the tokens that replace it (empty for a deletion; start == end for
an insertion). `extract_edits` finds them from a token-level alignment: a Levenshtein alignment (unit costs for
substitution, insertion and deletion) that, among the alignments of minimal cost, keeps the most tokens matched;
remaining ties are broken by walking back from the ends of both sentences and preferring, in this order, a
match, a substitution, a deletion (of a source token), an insertion (of a target token) -- which puts a deletion
of a repeated token on its first copy: ("a a b" -> "a b") gives Edit(0, 1, ()). Each maximal run of aligned
positions that are not matches becomes one edit, so two adjacent changed words make one edit, and changes
separated by a copied word make two.

Difference from the M2 scorer: its gold edits are annotated by people and it searches for the hypothesis edits
that best match them (merging adjacent ones when that helps); here both sides are extracted by the same
alignment against the same source, so the scores can differ from M2's on the same outputs. Only one reference
per sentence.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from course_lib.text.tokens import check_tokens


class Edit(NamedTuple):
    """Replace source[start:end] by `replacement` (start == end: an insertion; replacement == (): a deletion)."""
    start: int
    end: int
    replacement: tuple[str, ...]


def alignment(source: Sequence[str], target: Sequence[str]) -> list[tuple[str, int, int]]:
    """The alignment `extract_edits` uses, as (operation, source index, target index) from the start:
    operation "match", "sub", "del" (source[i] dropped; j is where the target stands) or "ins" (target[j] inserted
    before source[i]). See the module docstring for the costs and the tie-break."""
    check_tokens(source, "source")
    check_tokens(target, "target")
    n, m = len(source), len(target)
    # cost[i][j] = (edit distance, -matches) of the best alignment of source[:i] with target[:j]
    cost = [[(0, 0)] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        cost[i][0] = (i, 0)
    for j in range(1, m + 1):
        cost[0][j] = (j, 0)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d, negm = cost[i - 1][j - 1]
            diagonal = (d, negm - 1) if source[i - 1] == target[j - 1] else (d + 1, negm)
            up, left = cost[i - 1][j], cost[i][j - 1]
            cost[i][j] = min(diagonal, (up[0] + 1, up[1]), (left[0] + 1, left[1]))
    ops = []
    i, j = n, m
    while i > 0 or j > 0:
        here = cost[i][j]
        if i > 0 and j > 0:
            d, negm = cost[i - 1][j - 1]
            if source[i - 1] == target[j - 1] and (d, negm - 1) == here:
                ops.append(("match", i - 1, j - 1))
                i, j = i - 1, j - 1
                continue
            if source[i - 1] != target[j - 1] and (d + 1, negm) == here:
                ops.append(("sub", i - 1, j - 1))
                i, j = i - 1, j - 1
                continue
        if i > 0 and (cost[i - 1][j][0] + 1, cost[i - 1][j][1]) == here:
            ops.append(("del", i - 1, j))
            i -= 1
        else:
            ops.append(("ins", i, j - 1))
            j -= 1
    return ops[::-1]


def extract_edits(source: Sequence[str], target: Sequence[str]) -> list[Edit]:
    """The edits that turn `source` into `target`, in source order; [] when they are equal.
    extract_edits("he go to the school".split(), "he goes to school".split())
        == [Edit(1, 2, ("goes",)), Edit(3, 4, ())]."""
    edits: list[Edit] = []
    start = None                    # source index where the current run of non-matches began
    replacement: list[str] = []
    for op, i, j in alignment(source, target) + [("match", len(source), len(target))]:
        if op == "match":
            if start is not None:
                edits.append(Edit(start, i, tuple(replacement)))
                start, replacement = None, []
            continue
        if start is None:
            start = i
        if op in ("sub", "ins"):
            replacement.append(target[j])
    return edits


def apply_edits(source: Sequence[str], edits: Sequence[Edit]) -> list[str]:
    """`source` with the edits (non-overlapping, in source order) applied: apply_edits(s, extract_edits(s, t)) == t."""
    check_tokens(source, "source")
    out: list[str] = []
    position = 0
    for edit in edits:
        if not (position <= edit.start <= edit.end <= len(source)):
            raise ValueError(f"edits must be in source order, non-overlapping and within the source "
                             f"(length {len(source)}); got {edit} after position {position}")
        out.extend(source[position: edit.start])
        out.extend(edit.replacement)
        position = edit.end
    out.extend(source[position:])
    return out


def edit_prf(sources: Sequence[Sequence[str]], hypotheses: Sequence[Sequence[str]],
             references: Sequence[Sequence[str]], beta: float = 0.5) -> tuple[float, float, float]:
    """Corpus-level (precision, recall, F_beta) over edits, summed over sentences before dividing.

    For sentence i: H = the edits of hypotheses[i] against sources[i], G = those of references[i]; a true positive
    is an edit in both (same span, same replacement). precision = sum |H & G| / sum |H|, recall = sum |H & G| /
    sum |G|, F_beta = (1 + beta^2) P R / (beta^2 P + R). The M2 scorer's conventions for empty denominators:
    precision = 1.0 when no edit is proposed anywhere, recall = 1.0 when no edit is needed anywhere, F = 0.0 when
    P = R = 0. So copying the source everywhere gives P = 1, R = 0 (F = 0) on a corpus with errors."""
    for name, x in (("sources", sources), ("hypotheses", hypotheses), ("references", references)):
        if isinstance(x, str) or not isinstance(x, Sequence):
            raise TypeError(f"{name} must be a list of token lists (one per sentence), got a {type(x).__name__}")
    if not len(sources) == len(hypotheses) == len(references):
        raise ValueError(f"need one hypothesis and one reference per source; got {len(sources)} sources, "
                         f"{len(hypotheses)} hypotheses, {len(references)} references")
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not beta > 0:
        raise ValueError(f"beta must be a positive number, got {beta!r}")
    tp = proposed = needed = 0
    for k, (source, hypothesis, reference) in enumerate(zip(sources, hypotheses, references)):
        for tokens, what in ((source, "source"), (hypothesis, "hypothesis"), (reference, "reference")):
            check_tokens(tokens, f"{what} {k}")
        h = set(extract_edits(source, hypothesis))
        g = set(extract_edits(source, reference))
        tp += len(h & g)
        proposed += len(h)
        needed += len(g)
    precision = tp / proposed if proposed else 1.0
    recall = tp / needed if needed else 1.0
    b2 = beta * beta
    f = (1 + b2) * precision * recall / (b2 * precision + recall) if precision + recall > 0 else 0.0
    return precision, recall, f
