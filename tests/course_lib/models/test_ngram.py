"""course_lib.models.ngram.NGramLM: add-k estimates equal hand counts, each context's distribution sums to
one over the outcomes, the NLL counts every character and the end, higher orders fit training data better,
and bad arguments raise."""
from __future__ import annotations

import math

import pytest

from course_lib.models.ngram import END, NGramLM


def test_bigram_add_k_probability_by_hand():
    lm = NGramLM(2, k=0.5).fit(["ab", "aa"])
    # outcomes: a, b, END (V = 3); context "a" seen 3 times: a->b, a->a, a->END; then "a" after "a" once
    assert lm.num_outcomes == 3
    assert math.isclose(lm.prob("a", "b"), (1 + 0.5) / (3 + 1.5))
    assert math.isclose(lm.prob("", "a"), (2 + 0.5) / (2 + 1.5))   # the start context


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_each_context_distribution_sums_to_one(order):
    lm = NGramLM(order, k=0.1).fit(["anna", "bob", "hannah"])
    for context in ["", "an", "xyz", "hann"]:
        total = sum(lm.prob(context, s) for s in lm.outcomes)
        assert math.isclose(total, 1.0)


def test_nll_averages_over_characters_and_ends():
    lm = NGramLM(1, k=1.0).fit(["ab"])
    want = -(math.log(lm.prob("", "a")) + math.log(lm.prob("", "b")) + math.log(lm.prob("", END))) / 3
    assert math.isclose(lm.nll(["ab"]), want)


def test_higher_orders_fit_the_training_texts_better():
    texts = ["anna", "hannah", "joanna", "nana", "ann"]
    nlls = [NGramLM(n, k=0.01).fit(texts).nll(texts) for n in (1, 2, 3)]
    assert nlls[0] > nlls[1] > nlls[2]


def test_unseen_events_keep_a_positive_probability():
    lm = NGramLM(3, k=0.01).fit(["abc"])
    assert 0 < lm.prob("zz", "a") and math.isfinite(lm.nll(["cba"]))


@pytest.mark.parametrize("order,k", [(0, 1.0), (2, 0.0), (2, -1.0), (1.5, 1.0)])
def test_bad_order_or_k_raises(order, k):
    with pytest.raises(ValueError):
        NGramLM(order, k)


def test_unfitted_model_and_a_single_string_raise():
    with pytest.raises(ValueError, match="has not been fitted"):
        NGramLM(2).nll(["a"])
    with pytest.raises(TypeError, match="list of strings"):
        NGramLM(2).fit("abc")


def test_k_that_is_not_a_number_raises_a_value_error():
    with pytest.raises(ValueError, match="k must be a number > 0"):
        NGramLM(2, "a")


def test_nll_of_a_single_string_raises():
    with pytest.raises(TypeError, match="list of strings"):
        NGramLM(2).fit(["ab"]).nll("ab")


def test_texts_that_are_not_strings_raise_naming_the_type():
    with pytest.raises(TypeError, match="texts must be strings, got int"):
        NGramLM(2).fit([1, 2])
