"""Vocabularies: the map between tokens (characters or words) and the integer ids a model eats."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence

import torch

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIALS: tuple[str, ...] = (PAD, UNK, BOS, EOS)


def build_vocab(texts: Iterable[Sequence[str]], min_count: int = 1,
                specials: Sequence[str] = SPECIALS) -> list[str]:
    """The id -> token list (`itos`) of a vocabulary: `specials` first, in order; then every token occurring
    at least `min_count` times across all `texts`, most frequent first, ties in code-point order.

    Each text is a sequence of tokens: a string is a sequence of characters (a character vocabulary), a
    list of words gives a word vocabulary. Day 01 writes this function as its first exercise."""
    if isinstance(texts, str):
        raise TypeError("texts must be a list of texts (strings or token lists), not one string")
    if min_count < 1:
        raise ValueError(f"min_count must be >= 1, got {min_count}")
    counts = Counter(tok for text in texts for tok in text)
    kept = sorted((tok for tok, n in counts.items() if n >= min_count and tok not in specials),
                  key=lambda tok: (-counts[tok], tok))
    return list(specials) + kept


class Vocab:
    """Token <-> id map with special tokens. `tokenize` splits a text into tokens (characters by default)."""

    def __init__(self, itos: Sequence[str], tokenize: Callable[[str], list[str]] = list):
        if len(set(itos)) != len(itos):
            raise ValueError("itos contains duplicate tokens")
        missing = [s for s in SPECIALS if s not in itos]
        if missing:
            raise ValueError(f"itos must contain the special tokens {SPECIALS}; missing {missing}")
        self.itos = list(itos)
        self.stoi = {tok: i for i, tok in enumerate(self.itos)}
        self.tokenize = tokenize
        self.pad_id, self.unk_id = self.stoi[PAD], self.stoi[UNK]
        self.bos_id, self.eos_id = self.stoi[BOS], self.stoi[EOS]

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, text: str, add_bos_eos: bool = True) -> torch.Tensor:
        """Ids of `text`'s tokens (unknown tokens -> <unk>), wrapped in <bos> ... <eos>.
        Returns a LongTensor of shape (len(tokens) + 2,), or (len(tokens),) without the wrapping."""
        if not isinstance(text, str):
            raise TypeError(f"encode expects a str, got {type(text).__name__}")
        ids = [self.stoi.get(tok, self.unk_id) for tok in self.tokenize(text)]
        if add_bos_eos:
            ids = [self.bos_id, *ids, self.eos_id]
        return torch.tensor(ids, dtype=torch.long)

    def decode(self, ids: Iterable[int] | torch.Tensor, strip_specials: bool = True) -> str:
        """Text of `ids`; stops at <eos> and drops <pad>/<bos> when `strip_specials`."""
        if isinstance(ids, torch.Tensor):
            if ids.dim() != 1:
                raise ValueError(f"decode expects a 1-D sequence of ids, got shape {tuple(ids.shape)}")
            ids = ids.tolist()
        out = []
        for i in ids:
            if not 0 <= i < len(self.itos):
                raise ValueError(f"id {i} is outside the vocabulary (size {len(self.itos)})")
            tok = self.itos[i]
            if strip_specials and tok == EOS:
                break
            if strip_specials and tok in (PAD, BOS):
                continue
            out.append(tok)
        return "".join(out)
