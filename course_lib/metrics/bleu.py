"""BLEU (Papineni et al. 2002) from scratch, and thin wrappers over sacrebleu for reporting.

BLEU scores a system's translations of a whole corpus by clipped n-gram overlap with reference
translations, times a brevity penalty for output shorter than the references. It is a corpus-level
metric: it rewards surface overlap only (synonyms and paraphrases score nothing), is unstable on single
sentences, and depends on tokenisation, so report sacrebleu's score (standard tokenisation) next to chrF.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

Tokens = Sequence[str]


def _check_tokens(tokens: object, what: str) -> None:
    if isinstance(tokens, str):
        raise TypeError(f"{what} is a str ({tokens[:30]!r}); pass a list of tokens, e.g. text.split()")
    if not isinstance(tokens, Sequence):
        raise TypeError(f"{what} must be a list of tokens, got {type(tokens).__name__}")


def _check_order(n: int, name: str = "n") -> None:
    if n < 1:
        raise ValueError(f"{name} must be >= 1, got {n}")


def ngram_counts(tokens: Tokens, n: int) -> Counter:
    """How often each n-gram (a tuple of n tokens) occurs in `tokens`; empty if len(tokens) < n."""
    _check_tokens(tokens, "tokens")
    _check_order(n)
    return Counter(tuple(tokens[i: i + n]) for i in range(len(tokens) - n + 1))


def modified_precision(hypothesis: Tokens, references: Sequence[Tokens], n: int) -> tuple[int, int]:
    """(clipped matches, hypothesis n-grams) for one sentence. Each hypothesis n-gram counts at most as
    often as it occurs in the reference where it occurs most, so "the the the" gains nothing from
    repeating a word. The total is max(0, len(hypothesis) - n + 1)."""
    _check_tokens(hypothesis, "hypothesis")
    if isinstance(references, str):
        raise TypeError("references must be a list of token lists, got a str; e.g. [reference.split()]")
    if len(references) == 0:
        raise ValueError("got no references; need at least one token list")
    hyp = ngram_counts(hypothesis, n)
    max_ref: Counter = Counter()
    for k, ref in enumerate(references):
        _check_tokens(ref, f"reference {k}")
        max_ref |= ngram_counts(ref, n)                 # | keeps the max count of each n-gram
    matches = sum(min(count, max_ref[g]) for g, count in hyp.items())
    return matches, sum(hyp.values())


def brevity_penalty(hyp_len: int, ref_len: int) -> float:
    """exp(1 - ref_len / hyp_len) if the output is shorter than the references, else 1. As in sacrebleu,
    an empty output (hyp_len = 0) gets 0 when ref_len > 0 and 1 when ref_len = 0 too."""
    if hyp_len >= ref_len:
        return 1.0
    return math.exp(1 - ref_len / hyp_len) if hyp_len > 0 else 0.0


def closest_ref_length(hyp_len: int, ref_lens: Sequence[int]) -> int:
    """The reference length closest to hyp_len; on a tie, the shorter one (sacrebleu's rule)."""
    if len(ref_lens) == 0:
        raise ValueError("need at least one reference length, got none")
    return min(ref_lens, key=lambda r: (abs(hyp_len - r), r))


def corpus_bleu(hypotheses: Sequence[Tokens], references: Sequence[Sequence[Tokens]], max_n: int = 4) -> float:
    """Corpus BLEU in [0, 100] from token lists, without smoothing.

    For each n <= max_n, matches and totals of `modified_precision` are summed over the corpus first,
    and only then divided: p_n = sum matches / sum totals. BLEU = 100 * BP * exp(mean_n log p_n), with BP the
    `brevity_penalty` of the total hypothesis length against the summed `closest_ref_length`s. 0 if any
    order has no match.

    hypotheses: N token lists. references: N lists, one per sentence, each holding that sentence's
    references (1 or more token lists): references[i][k] is the k-th reference of sentence i.
    sacrebleu lays references out the other way round, one stream per reference position,
    streams[k][i] (a string; None where sentence i has fewer references). With tokens free of whitespace,
    sacrebleu.corpus_bleu([" ".join(h) for h in hypotheses], streams, tokenize="none",
    smooth_method="none").score gives the same number."""
    for name, x in (("hypotheses", hypotheses), ("references", references)):
        if isinstance(x, str) or not isinstance(x, Sequence):
            raise TypeError(f"{name} must be a list (one entry per sentence), got a {type(x).__name__}")
    _check_order(max_n, "max_n")
    if len(hypotheses) != len(references):
        raise ValueError(f"got {len(hypotheses)} hypotheses but {len(references)} reference lists; "
                         "need one list of references per hypothesis")
    if len(hypotheses) == 0:
        raise ValueError("need at least one hypothesis, got an empty corpus")
    matches, totals = [0] * max_n, [0] * max_n
    hyp_len = ref_len = 0
    for i, (hyp, refs) in enumerate(zip(hypotheses, references)):
        _check_tokens(hyp, f"hypothesis {i}")
        if isinstance(refs, str) or not isinstance(refs, Sequence):
            raise TypeError(f"references of sentence {i} must be a list of token lists, got a "
                            f"{type(refs).__name__}; e.g. [reference.split()]")
        if len(refs) == 0:
            raise ValueError(f"sentence {i} has no references; it needs at least one token list")
        for k, ref in enumerate(refs):
            _check_tokens(ref, f"reference {k} of sentence {i}")
        for n in range(1, max_n + 1):
            m, t = modified_precision(hyp, refs, n)
            matches[n - 1] += m
            totals[n - 1] += t
        hyp_len += len(hyp)
        ref_len += closest_ref_length(len(hyp), [len(r) for r in refs])
    if min(matches) == 0:
        return 0.0
    log_p = sum(math.log(m / t) for m, t in zip(matches, totals)) / max_n
    return 100 * brevity_penalty(hyp_len, ref_len) * math.exp(log_p)


def _sacrebleu(caller: str):
    try:
        import sacrebleu
    except ModuleNotFoundError as err:
        raise ModuleNotFoundError(f"course_lib.metrics.bleu.{caller} needs the 'sacrebleu' package: "
                                  "pip install sacrebleu==2.6.0 (it is in requirements.txt)") from err
    return sacrebleu


def _check_strings(hypotheses: Sequence[str], references: Sequence[str]) -> None:
    for name, one, x in (("hypotheses", "hypothesis", hypotheses), ("references", "reference", references)):
        if isinstance(x, str) or not isinstance(x, Sequence):
            raise TypeError(f"{name} must be a list of strings, got a {type(x).__name__}")
        for i, s in enumerate(x):
            if not isinstance(s, str):
                raise TypeError(f"{one} {i} is a {type(s).__name__}, not a string; sacrebleu tokenises "
                                "itself, so pass detokenised text, e.g. ' '.join(tokens)")
    if len(hypotheses) != len(references):   # sacrebleu would silently drop the extra sentences
        raise ValueError(f"got {len(hypotheses)} hypotheses but {len(references)} references; need one each")
    if len(hypotheses) == 0:                 # sacrebleu fails deep inside on an empty corpus
        raise ValueError("need at least one hypothesis and its reference, got an empty corpus "
                         "(0 hypotheses, 0 references)")


def sacrebleu_bleu(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """sacrebleu's corpus BLEU (13a tokenisation, exp smoothing) of detokenised strings, one reference each."""
    _check_strings(hypotheses, references)
    return _sacrebleu("sacrebleu_bleu").corpus_bleu(list(hypotheses), [list(references)]).score


def sacrebleu_chrf(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """sacrebleu's corpus chrF2 (character 6-grams, recall weighted 2x) of strings, one reference each."""
    _check_strings(hypotheses, references)
    return _sacrebleu("sacrebleu_chrf").corpus_chrf(list(hypotheses), [list(references)]).score
