"""course_lib.metrics.squad promises: the SQuAD v1.1 normalisation rules one by one (order lower -> punctuation ->
articles -> whitespace; ASCII punctuation only; whole-word articles at any position), exact match and token F1
as the maximum over gold answers with tokens counted with multiplicity and v1.1's 0.0 for an empty side, the
percent means of squad_scores, equality with an independent re-statement of the official rules on seeded random
strings, and errors naming what was expected and what came."""
from __future__ import annotations

import random
import string

import pytest

from course_lib.metrics.squad import exact_match, normalize_answer, squad_scores, token_f1


# An independent re-statement of the official SQuAD v1.1 rules, written from the rules (not the script's code):
# articles are found by scanning maximal runs of word characters (str.isalnum() or "_", what Python's unicode
# \w matches) instead of a regex, punctuation by a membership test, whitespace by str.split.
def reference_normalize(text: str) -> str:
    text = text.lower()
    text = "".join(c for c in text if c not in string.punctuation)
    out, word = [], []
    for c in text + "\0":                               # "\0" is not a word character: flushes the last run
        if c.isalnum() or c == "_":
            word.append(c)
            continue
        run = "".join(word)
        out.append(" " if run in ("a", "an", "the") else run)
        word = []
        out.append(c)
    return " ".join("".join(out)[:-1].split())


def reference_f1(prediction: str, gold: str) -> float:
    p, g = reference_normalize(prediction).split(), reference_normalize(gold).split()
    shared = 0
    remaining = list(g)
    for token in p:                                     # multiset intersection by removal
        if token in remaining:
            remaining.remove(token)
            shared += 1
    if shared == 0:
        return 0.0
    precision, recall = shared / len(p), shared / len(g)
    return 2 * precision * recall / (precision + recall)


PIECES = ["a", "an", "the", "The", "THE", "theatre", "anne", "at", "paris", "x", "1", "_", "the_", "é", "thé",
          "the\u0301", "don't", "u.s.", ",", ".", "!", "-", "«", "»", "’", "—", "€", "×", "¿", " ", "  ",
          "\t", "\n", "\u00a0", "\u2003", "İ", "ß", "Ǆ"]


def random_text(rng: random.Random) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 8)))


# --- normalisation, rule by rule ----------------------------------------------------------------------------
def test_normalize_lower_cases():
    assert normalize_answer("PaRiS") == "paris"


def test_normalize_removes_punctuation_inside_words():
    assert normalize_answer("don't") == "dont"
    assert normalize_answer("U.S.A.") == "usa"
    assert normalize_answer("self-driving") == "selfdriving"


def test_normalize_removes_every_character_of_string_punctuation():
    assert normalize_answer("x" + string.punctuation + "y") == "xy"


def test_normalize_keeps_unicode_punctuation_outside_string_punctuation():
    assert normalize_answer("«paris»") == "«paris»"
    assert normalize_answer("l’école — ¿sí?") == "l’école — ¿sí"


def test_normalize_removes_articles_at_any_position():
    assert normalize_answer("the cat") == "cat"
    assert normalize_answer("cat the") == "cat"
    assert normalize_answer("a cat and an owl") == "cat and owl"
    assert normalize_answer("The A An") == ""


def test_normalize_keeps_article_letters_inside_words():
    assert normalize_answer("theatre") == "theatre"
    assert normalize_answer("anne and atlas") == "anne and atlas"
    assert normalize_answer("bathe") == "bathe"


def test_normalize_removes_articles_exposed_by_punctuation_removal():
    assert normalize_answer("(the) cat") == "cat"            # punctuation goes first: "(the)" -> "the"
    assert normalize_answer("the-cat") == "thecat"            # ... and can also glue an article to a word


def test_normalize_treats_unicode_punctuation_as_an_article_boundary():
    assert normalize_answer("«the»") == "« »"                 # \b between « and t: the article goes


def test_normalize_collapses_every_kind_of_whitespace():
    assert normalize_answer("  new \t york\n\u00a0city  ") == "new york city"


def test_normalize_of_an_empty_or_article_only_text_is_empty():
    assert normalize_answer("") == "" and normalize_answer(" the . ") == ""


def test_normalize_equals_the_independent_restatement_on_random_texts():
    rng = random.Random(0)
    for _ in range(3000):
        text = random_text(rng)
        assert normalize_answer(text) == reference_normalize(text), repr(text)


# --- exact match --------------------------------------------------------------------------------------------
def test_exact_match_compares_normalised_strings():
    assert exact_match("The Eiffel Tower.", ["eiffel tower"]) == 1.0
    assert exact_match("Eiffel", ["eiffel tower"]) == 0.0


def test_exact_match_is_the_maximum_over_gold_answers():
    assert exact_match("in paris", ["paris", "in paris"]) == 1.0
    assert exact_match("rome", ["paris", "in paris"]) == 0.0


def test_exact_match_returns_a_float():
    assert type(exact_match("a", ["b"])) is float


def test_exact_match_of_two_empty_normalisations_is_one():
    assert exact_match("the", [""]) == 1.0


# --- token F1 -----------------------------------------------------------------------------------------------
def test_token_f1_of_a_partial_overlap():
    # prediction {new, york}, gold {new, york, city}: P = 1, R = 2/3, F1 = 0.8
    assert token_f1("New York", ["new york city"]) == pytest.approx(0.8)


def test_token_f1_counts_tokens_with_multiplicity():
    # "paris paris" vs "paris": 1 shared, P = 1/2, R = 1, F1 = 2/3 (not 1.0)
    assert token_f1("paris paris", ["paris"]) == pytest.approx(2 / 3)
    assert token_f1("a b b", ["b b c"]) == pytest.approx(2 * (1.0 * 2 / 3) / (1.0 + 2 / 3))


def test_token_f1_is_the_maximum_over_gold_answers():
    assert token_f1("nurse", ["a senior nurse", "nurse"]) == 1.0
    assert token_f1("senior", ["a senior nurse", "doctor"]) == pytest.approx(2 / 3)


def test_token_f1_takes_precision_and_recall_from_the_same_gold():
    # "x y" vs "x": P 1/2, R 1, F1 2/3; vs "x y z w": P 1, R 1/2, F1 2/3 -- never P 1 and R 1 together
    assert token_f1("x y", ["x", "x y z w"]) == pytest.approx(2 / 3)


def test_token_f1_has_no_pairwise_helper_left_in_the_module():
    import course_lib.metrics.squad as squad
    assert not hasattr(squad, "_f1")          # a shared helper would be a route around the token_f1 exercise


def test_token_f1_is_zero_without_a_shared_token():
    assert token_f1("rome", ["paris"]) == 0.0


def test_token_f1_is_zero_when_a_side_is_empty_after_normalisation():
    assert token_f1("the", ["paris"]) == 0.0
    assert token_f1("paris", ["an"]) == 0.0
    assert token_f1("", [""]) == 0.0                           # v1.1 convention (v2.0 would give 1.0)


def test_token_f1_ignores_token_order():
    assert token_f1("york new", ["new york"]) == 1.0


def test_token_f1_equals_the_independent_restatement_on_random_texts():
    rng = random.Random(1)
    for _ in range(2000):
        prediction = random_text(rng)
        golds = [random_text(rng) for _ in range(rng.randint(1, 3))]
        expected = max(reference_f1(prediction, g) for g in golds)
        assert token_f1(prediction, golds) == pytest.approx(expected, abs=1e-12), (prediction, golds)
        assert exact_match(prediction, golds) == float(any(reference_normalize(prediction) == reference_normalize(g)
                                                           for g in golds)), (prediction, golds)


# --- squad_scores -------------------------------------------------------------------------------------------
def test_squad_scores_are_means_in_percent():
    scores = squad_scores(["paris", "new york", "rome"], [["Paris"], ["new york city"], ["milan"]])
    assert scores["exact_match"] == pytest.approx(100 / 3)
    assert scores["f1"] == pytest.approx(100 * (1 + 0.8 + 0) / 3)
    assert set(scores) == {"exact_match", "f1"}


def test_squad_scores_of_one_example():
    assert squad_scores(["x"], [["x"]]) == {"exact_match": 100.0, "f1": 100.0}


# --- bad input ----------------------------------------------------------------------------------------------
def test_normalize_refuses_a_non_str():
    with pytest.raises(TypeError, match="text must be a str, got list"):
        normalize_answer(["paris"])


@pytest.mark.parametrize("metric", [exact_match, token_f1])
def test_metrics_refuse_a_non_str_prediction(metric):
    with pytest.raises(TypeError, match="prediction must be a str, got int"):
        metric(3, ["3"])


@pytest.mark.parametrize("metric", [exact_match, token_f1])
def test_metrics_refuse_a_bare_str_as_the_gold_list(metric):
    with pytest.raises(TypeError, match=r"gold_answers must be a list of str.*got str.*\['paris'\]"):
        metric("paris", "paris")


@pytest.mark.parametrize("metric", [exact_match, token_f1])
def test_metrics_refuse_an_empty_gold_list(metric):
    with pytest.raises(ValueError, match="at least one gold answer"):
        metric("paris", [])


@pytest.mark.parametrize("metric", [exact_match, token_f1])
def test_metrics_refuse_a_non_str_gold_answer(metric):
    with pytest.raises(TypeError, match=r"gold_answers\[1\] must be a str, got NoneType"):
        metric("paris", ["paris", None])


def test_squad_scores_refuses_lists_of_different_lengths():
    with pytest.raises(ValueError, match="same length, got 2 predictions and 1 gold lists"):
        squad_scores(["a", "b"], [["a"]])


def test_squad_scores_refuses_empty_lists():
    with pytest.raises(ValueError, match="at least one example"):
        squad_scores([], [])


def test_squad_scores_refuses_a_bare_str_gold_per_example():
    with pytest.raises(TypeError, match=r"golds\[0\] must be a list of str"):
        squad_scores(["paris"], ["paris"])


def test_squad_scores_refuses_a_non_str_prediction():
    with pytest.raises(TypeError, match=r"predictions\[1\] must be a str, got list"):
        squad_scores(["a", ["b"]], [["a"], ["b"]])


def test_squad_scores_refuses_a_str_instead_of_a_list_of_predictions():
    with pytest.raises(TypeError, match="predictions must be a list, got str"):
        squad_scores("paris", [["paris"]])
