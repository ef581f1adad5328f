"""A count-based character n-gram language model with add-k smoothing: the baseline a neural LM must beat.

P(c | h) = (count(h, c) + k) / (count(h) + k V), h the previous n - 1 symbols (the start of a text padded
with a begin symbol), V the number of outcomes (the alphabet seen in training plus the end symbol). Every
character of a text and its end is predicted, as a neural LM's perplexity counts them. No tensors: texts are
strings, results are floats (nats per predicted symbol).
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

BEGIN, END = "\x02", "\x03"


class NGramLM:
    """Add-k smoothed n-gram model over characters. order 1 is the unigram model (no context)."""

    def __init__(self, order: int, k: float = 1.0):
        if isinstance(order, bool) or not isinstance(order, int) or order < 1:
            raise ValueError(f"order must be an integer >= 1, got {order!r}")
        if isinstance(k, bool) or not isinstance(k, (int, float)):
            raise ValueError(f"k must be a number > 0, got {k!r}")
        if not k > 0:
            raise ValueError(f"k must be > 0 (k = 0 gives unseen events probability 0), got {k!r}")
        self.order, self.k = order, float(k)
        self.counts: Counter = Counter()          # (context, symbol) -> count
        self.context_counts: Counter = Counter()  # context -> count
        self.outcomes: set[str] = set()

    def _events(self, text: str) -> Iterable[tuple[str, str]]:
        padded = BEGIN * (self.order - 1) + text + END
        for i in range(self.order - 1, len(padded)):
            yield padded[i - self.order + 1:i], padded[i]

    def fit(self, texts: Sequence[str]) -> "NGramLM":
        """Count every (context, next symbol) event of the texts; returns self."""
        if isinstance(texts, str):
            raise TypeError("texts must be a list of strings, not one string")
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"texts must be strings, got {type(text).__name__}")
            if BEGIN in text or END in text:
                raise ValueError("texts may not contain the control characters \\x02 and \\x03 (begin/end)")
            for context, symbol in self._events(text):
                self.counts[context, symbol] += 1
                self.context_counts[context] += 1
                self.outcomes.add(symbol)
        return self

    @property
    def num_outcomes(self) -> int:
        """V: the symbols seen in training, the end symbol included."""
        return len(self.outcomes)

    def prob(self, context: str, symbol: str) -> float:
        """P(symbol | the last order - 1 characters of context, begin-padded)."""
        if not self.outcomes:
            raise ValueError("the model has not been fitted: call fit(texts) first")
        context = (BEGIN * (self.order - 1) + context)[len(context):] if self.order > 1 else ""
        return (self.counts[context, symbol] + self.k) / (self.context_counts[context] + self.k * self.num_outcomes)

    def nll(self, texts: Sequence[str]) -> float:
        """Mean negative log-likelihood in nats per predicted symbol (characters and ends) over texts."""
        if not self.outcomes:
            raise ValueError("the model has not been fitted: call fit(texts) first")
        if isinstance(texts, str):
            raise TypeError("texts must be a list of strings, not one string")
        total, count = 0.0, 0
        V = self.num_outcomes
        for text in texts:
            for context, symbol in self._events(text):
                p = (self.counts[context, symbol] + self.k) / (self.context_counts[context] + self.k * V)
                total -= math.log(p)
                count += 1
        if count == 0:
            raise ValueError("no texts to score")
        return total / count
