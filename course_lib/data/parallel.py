"""Generated parallel data for sequence-to-sequence models, character level, built offline from two
installable packages (nothing is downloaded):

- dates: a calendar date written by Babel (BSD-3-Clause; its locale data comes from the Unicode CLDR,
  Unicode licence) in one of several languages and formats -> the ISO form YYYY-MM-DD, e.g.
  "jeudi 9 mars 2017" -> "2017-03-09";
- numbers: a number in words by num2words (LGPL-2.1) in one of several languages -> its digits, e.g.
  "achtundneunzigtausendsiebenhundertfünfundsechzig" -> "98765".

No parallel corpus ships with an offline installation, and these two tasks have a property real
translation lacks: every output character can be traced to a few input characters (the day, the month
name, the year), so an attention map can be checked by eye.

Splits are made by the *underlying value* (the date or the number), not by the rendered string, so a
date seen in training never appears in validation or test in another language or format.
"""
from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence

import numpy as np
import torch

from ..batching import pad_sequences
from ..text import Vocab, build_char_vocab

DATE_LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es", "it", "nl")
# Babel's named formats (CLDR) and a few custom CLDR patterns.
DATE_FORMATS: tuple[str, ...] = ("short", "medium", "long", "full", "d MMMM y", "dd.MM.y", "EEE d MMM y")
NUMBER_LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es", "it", "nl")
# US short dates are month-first ("3/9/17" is 9 March); Spanish ones are day-first with the same look
# ("9/3/17"): next to each other the input would be ambiguous, so the US short form is left out.
AMBIGUOUS: frozenset[tuple[str, str]] = frozenset({("en", "short")})
SPLITS: tuple[str, ...] = ("train", "validation", "test")
FIRST_DATE, LAST_DATE = datetime.date(1950, 1, 1), datetime.date(2049, 12, 31)  # two-digit years stay unique

Pair = tuple[str, str]


def _split_of(n: int, fractions: Sequence[float], seed: int) -> np.ndarray:
    """A split index (0, 1, 2) for each of n items: a seeded permutation cut by `fractions`."""
    if len(fractions) != 3 or any(f <= 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(f"fractions must be three positive numbers summing to 1, got {fractions}")
    order = np.random.default_rng(seed).permutation(n)
    cuts = np.round(np.cumsum(fractions)[:2] * n).astype(int)
    split = np.empty(n, dtype=np.int64)
    split[order[: cuts[0]]], split[order[cuts[0]: cuts[1]]], split[order[cuts[1]:]] = 0, 1, 2
    return split


def date_pairs(languages: Sequence[str] = DATE_LANGUAGES, formats: Sequence[str] = DATE_FORMATS,
               fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0,
               first: datetime.date = FIRST_DATE, last: datetime.date = LAST_DATE) -> dict[str, list[Pair]]:
    """{"train": [...], "validation": [...], "test": [...]} of (rendered date, "YYYY-MM-DD") pairs.

    Every day from `first` to `last` appears exactly once, in one split, written in one (language, format)
    drawn with `seed` (all combinations equally likely, except those in AMBIGUOUS, left out). The same arguments always give the same pairs. Dates from 1950 to 2049 keep the
    two-digit years of the "short" formats unambiguous ("3/9/17" can only be 2017)."""
    try:
        from babel import Locale
        from babel.dates import format_date
    except ModuleNotFoundError as err:
        raise ModuleNotFoundError("course_lib.data.date_pairs needs the 'babel' package: "
                                  "pip install babel==2.18.0 (it is in requirements.txt)") from err
    if not languages or not formats:
        raise ValueError("need at least one language and one format")
    if last < first:
        raise ValueError(f"last ({last}) is before first ({first})")
    locales = {lang: Locale.parse(lang) for lang in languages}
    combos = [(lang, fmt) for lang in languages for fmt in formats if (lang, fmt) not in AMBIGUOUS]
    if not combos:
        raise ValueError("every (language, format) combination asked for is ambiguous")
    n = (last - first).days + 1
    split = _split_of(n, fractions, seed)
    which = np.random.default_rng(seed + 1).integers(len(combos), size=n)
    out: dict[str, list[Pair]] = {name: [] for name in SPLITS}
    for i in range(n):
        day = first + datetime.timedelta(days=i)
        lang, fmt = combos[which[i]]
        text = format_date(day, fmt, locale=locales[lang])
        out[SPLITS[split[i]]].append((text, day.isoformat()))
    return out


def number_pairs(n_max: int = 100_000, languages: Sequence[str] = NUMBER_LANGUAGES,
                 fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0) -> dict[str, list[Pair]]:
    """{"train", "validation", "test"} lists of (number in words, digits) pairs for 0 <= number < n_max,
    each number once, in one language drawn with `seed`; split by number."""
    try:
        from num2words import num2words
    except ModuleNotFoundError as err:
        raise ModuleNotFoundError("course_lib.data.number_pairs needs the 'num2words' package: "
                                  "pip install num2words==0.5.14 (it is in requirements.txt)") from err
    if n_max < 3:
        raise ValueError(f"n_max must be at least 3 (one number per split), got {n_max}")
    if not languages:
        raise ValueError("need at least one language")
    split = _split_of(n_max, fractions, seed)
    which = np.random.default_rng(seed + 1).integers(len(languages), size=n_max)
    out: dict[str, list[Pair]] = {name: [] for name in SPLITS}
    for k in range(n_max):
        out[SPLITS[split[k]]].append((num2words(k, lang=languages[which[k]]), str(k)))
    return out


def build_vocabs(pairs: Sequence[Pair]) -> tuple[Vocab, Vocab]:
    """Character vocabularies (source, target) from training pairs; specials <pad>=0, <unk>, <bos>, <eos>.
    A character never seen in training becomes <unk>."""
    if not pairs:
        raise ValueError("build_vocabs needs at least one pair")
    return (Vocab(build_char_vocab([s for s, _ in pairs])), Vocab(build_char_vocab([t for _, t in pairs])))


def encode_pairs(pairs: Sequence[Pair], src_vocab: Vocab, tgt_vocab: Vocab
                 ) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Each pair as (source ids (S_i,), target ids (T_i,)). The source is the characters only; the target
    is wrapped in <bos> ... <eos> (the decoder starts from <bos> and must learn to emit <eos>)."""
    return [(src_vocab.encode(s, add_bos_eos=False), tgt_vocab.encode(t)) for s, t in pairs]


class Batch:
    """A padded batch: src (B, S) ids, src_lengths (B,), tgt (B, T) ids with <bos> ... <eos> then padding,
    and `index` (B,): the positions of these examples in the encoded list (to look up the strings)."""

    def __init__(self, src: torch.Tensor, src_lengths: torch.Tensor, tgt: torch.Tensor, index: torch.Tensor):
        self.src, self.src_lengths, self.tgt, self.index = src, src_lengths, tgt, index

    def to(self, device: torch.device | str) -> "Batch":
        return Batch(self.src.to(device), self.src_lengths.to(device), self.tgt.to(device), self.index)

    def __len__(self) -> int:
        return self.src.shape[0]


def collate(examples: Sequence[tuple[torch.Tensor, torch.Tensor]], index: Sequence[int], pad_id: int = 0) -> Batch:
    """Pad a list of (source ids, target ids) into a Batch."""
    src = pad_sequences([s for s, _ in examples], pad_value=pad_id)            # (B, S)
    tgt = pad_sequences([t for _, t in examples], pad_value=pad_id)            # (B, T)
    lengths = torch.tensor([len(s) for s, _ in examples], dtype=torch.long)    # (B,)
    return Batch(src, lengths, tgt, torch.as_tensor(list(index), dtype=torch.long))


def bucket_batches(examples: Sequence[tuple[torch.Tensor, torch.Tensor]], batch_size: int, *,
                   shuffle: bool = True, generator: torch.Generator | None = None, pad_id: int = 0,
                   pool: int = 50) -> Iterator[Batch]:
    """One pass over `examples` in length-bucketed batches: examples are shuffled, cut into pools of
    `pool` batches, each pool sorted by source length and cut into batches, and the batches shuffled,
    so a batch holds examples of similar length (little padding) and still changes from epoch to epoch.
    With shuffle=False: sorted by source length over the whole set, in order (for evaluation)."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    n = len(examples)
    lengths = torch.tensor([len(s) for s, _ in examples], dtype=torch.long)
    if shuffle:
        order = torch.randperm(n, generator=generator)
        chunks = []
        for start in range(0, n, batch_size * pool):
            part = order[start: start + batch_size * pool]
            part = part[torch.argsort(lengths[part], stable=True)]
            chunks += [part[i: i + batch_size] for i in range(0, len(part), batch_size)]
        chunks = [chunks[i] for i in torch.randperm(len(chunks), generator=generator).tolist()]
    else:
        order = torch.argsort(lengths, stable=True)
        chunks = [order[i: i + batch_size] for i in range(0, n, batch_size)]
    for idx in chunks:
        yield collate([examples[i] for i in idx.tolist()], idx.tolist(), pad_id)


def endless_batches(examples: Sequence[tuple[torch.Tensor, torch.Tensor]], batch_size: int, *,
                    seed: int = 0, device: torch.device | str = "cpu", pad_id: int = 0) -> Iterator[Batch]:
    """Training batches forever: bucketed epochs, reshuffled each time (seeded)."""
    generator = torch.Generator().manual_seed(seed)
    while True:
        for batch in bucket_batches(examples, batch_size, generator=generator, pad_id=pad_id):
            yield batch.to(device)
