"""Generated parallel data for sequence-to-sequence models, character level: a calendar date written by
Babel (BSD-3-Clause; its locale data comes from the Unicode CLDR, Unicode licence) in one of several
languages and formats -> the ISO form YYYY-MM-DD, e.g. "jeudi 9 mars 2017" -> "2017-03-09". Nothing is
downloaded.

No parallel corpus ships with an offline installation, and this task has a property real translation
lacks: every output character can be traced to a few input characters (the day, the month name, the
year), so an attention map can be checked by eye.

Splits are made by the *underlying date*, not by the rendered string, so a date seen in training never
appears in validation or test in another language or format.
"""
from __future__ import annotations

import datetime
from collections.abc import Sequence

import numpy as np
import torch

from ..text.vocab import Vocab, build_vocab
from .splits import Splits, split_indices

DATE_LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es", "it", "nl")
# Babel's named formats (CLDR) and a few custom CLDR patterns.
DATE_FORMATS: tuple[str, ...] = ("short", "medium", "long", "full", "d MMMM y", "dd.MM.y", "EEE d MMM y")
# US short dates are month-first ("3/9/17" is 9 March); Spanish ones are day-first with the same look
# ("9/3/17"): next to each other the input would be ambiguous, so the US short form is left out.
AMBIGUOUS: frozenset[tuple[str, str]] = frozenset({("en", "short")})
FIRST_DATE, LAST_DATE = datetime.date(1950, 1, 1), datetime.date(2049, 12, 31)  # two-digit years stay unique

Pair = tuple[str, str]


def date_pairs(languages: Sequence[str] = DATE_LANGUAGES, formats: Sequence[str] = DATE_FORMATS,
               fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0,
               first: datetime.date = FIRST_DATE, last: datetime.date = LAST_DATE) -> Splits:
    """Splits of (rendered date, "YYYY-MM-DD") pairs.

    Every day from `first` to `last` appears exactly once, in one split, written in one (language, format)
    drawn with `seed` (all combinations equally likely, except those in AMBIGUOUS, left out). The same arguments always give the same pairs. Dates from 1950 to 2049 keep the
    two-digit years of the "short" formats unambiguous ("3/9/17" can only be 2017)."""
    try:
        from babel import Locale
        from babel.dates import format_date
    except ModuleNotFoundError as err:
        raise ModuleNotFoundError("course_lib.data.dates.date_pairs needs the 'babel' package: "
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
    split = split_indices(n, fractions, seed)
    which = np.random.default_rng(seed + 1).integers(len(combos), size=n)
    out: tuple[list[Pair], ...] = ([], [], [])
    for i in range(n):
        day = first + datetime.timedelta(days=i)
        lang, fmt = combos[which[i]]
        text = format_date(day, fmt, locale=locales[lang])
        out[split[i]].append((text, day.isoformat()))
    return Splits(*out)


def build_vocabs(pairs: Sequence[Pair]) -> tuple[Vocab, Vocab]:
    """Character vocabularies (source, target) from training pairs; specials <pad>=0, <unk>, <bos>, <eos>.
    A character never seen in training becomes <unk>."""
    if not pairs:
        raise ValueError("build_vocabs needs at least one pair")
    return Vocab(build_vocab([s for s, _ in pairs])), Vocab(build_vocab([t for _, t in pairs]))


def encode_pairs(pairs: Sequence[Pair], src_vocab: Vocab, tgt_vocab: Vocab
                 ) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Each pair as (source ids (S_i,), target ids (T_i,)). The source is the characters only; the target
    is wrapped in <bos> ... <eos> (the decoder starts from <bos> and must learn to emit <eos>)."""
    return [(src_vocab.encode(s, add_bos_eos=False), tgt_vocab.encode(t)) for s, t in pairs]


