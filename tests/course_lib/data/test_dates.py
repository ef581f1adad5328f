"""course_lib.data.dates: generated date pairs cover every day once without overlap between splits, are ISO
targets rendered from the date, seeded and deterministic, returned as Splits; vocabularies and encoding; a
missing package is named."""
from __future__ import annotations

import datetime
import itertools
import sys

import pytest

from course_lib.data import dates as dates_module
from course_lib.data.dates import build_vocabs, date_pairs, encode_pairs
from course_lib.data.splits import Splits


PAD, BOS, EOS = 0, 2, 3  # Vocab order: <pad>, <unk>, <bos>, <eos>


# ---------------------------------------------------------------- data
@pytest.fixture(scope="module")
def dates():
    return date_pairs(first=datetime.date(2000, 1, 1), last=datetime.date(2003, 12, 31))


def test_date_pairs_cover_every_day_once_without_overlap(dates):
    targets = {name: [t for _, t in pairs] for name, pairs in dates.items()}
    every = [t for ts in targets.values() for t in ts]
    assert len(every) == len(set(every)) == (datetime.date(2003, 12, 31) - datetime.date(2000, 1, 1)).days + 1
    for a, b in itertools.combinations(targets, 2):
        assert not set(targets[a]) & set(targets[b]), f"{a} and {b} share dates"
    n = len(every)
    assert abs(len(targets["train"]) - 0.8 * n) <= 1 and abs(len(targets["test"]) - 0.1 * n) <= 1


def test_date_pairs_are_iso_and_rendered_from_the_date(dates):
    from babel.dates import format_date
    langs = set()
    for src, tgt in dates.train[:300]:
        day = datetime.date.fromisoformat(tgt)
        assert tgt == day.isoformat() and len(tgt) == 10
        renderings = {(lang, fmt): format_date(day, fmt, locale=lang)
                      for lang in dates_module.DATE_LANGUAGES for fmt in dates_module.DATE_FORMATS
                      if (lang, fmt) not in dates_module.AMBIGUOUS}
        assert src in renderings.values(), src
        langs |= {lang for (lang, _), text in renderings.items() if text == src}
    assert len(langs) == len(dates_module.DATE_LANGUAGES)


def test_us_short_dates_are_left_out(dates):
    import re
    us_short = re.compile(r"^\d{1,2}/\d{1,2}/\d{2}$")
    for src, tgt in dates.train:
        if us_short.match(src):   # then it must read day-first (es, it), never month-first
            d, m, y = src.split("/")
            assert (int(m), int(d)) == (int(tgt[5:7]), int(tgt[8:10]))


def test_date_pairs_are_deterministic_and_seeded(dates):
    again = date_pairs(first=datetime.date(2000, 1, 1), last=datetime.date(2003, 12, 31))
    assert again == dates
    other = date_pairs(first=datetime.date(2000, 1, 1), last=datetime.date(2003, 12, 31), seed=1)
    assert other.test != dates.test


def test_date_pairs_return_splits(dates):
    assert isinstance(dates, Splits) and dates._fields == ("train", "validation", "test")


@pytest.mark.parametrize("module, fn", [("babel", lambda: date_pairs())])
def test_missing_package_is_named(monkeypatch, module, fn):
    monkeypatch.setitem(sys.modules, module, None)
    monkeypatch.setitem(sys.modules, f"{module}.dates", None)
    with pytest.raises(ModuleNotFoundError, match=f"pip install {module}"):
        fn()


def test_split_fractions_checked():
    with pytest.raises(ValueError, match="fractions"):
        date_pairs(fractions=(0.5, 0.5, 0.0))


def test_vocab_and_encoding(dates):
    src_vocab, tgt_vocab = build_vocabs(dates.train)
    assert (src_vocab.pad_id, src_vocab.bos_id, src_vocab.eos_id) == (PAD, BOS, EOS)
    assert set(tgt_vocab.itos[4:]) == set("0123456789-")
    encoded = encode_pairs(dates.test[:5], src_vocab, tgt_vocab)
    for (src, tgt), (s, t) in zip(dates.test[:5], encoded):
        assert s.shape == (len(src),) and t.shape == (len(tgt) + 2,)
        assert t[0] == BOS and t[-1] == EOS and tgt_vocab.decode(t) == tgt
    unseen = src_vocab.encode("\u4e00", add_bos_eos=False)
    assert unseen.tolist() == [src_vocab.unk_id]
