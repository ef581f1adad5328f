"""course_lib.data.qa promises: qa_tokenize's tokens; make_qa_examples is deterministic per seed, profile k does not
depend on n_profiles, gives n_profiles * questions_per_profile distinct lower-case questions ending with "?", every
type, span answers found in the passage and non-span ones (age, yes/no) that are not, balanced yes/no, answers
already tokenized; split_qa splits by profile; qa_vocab puts the specials at 0-3; qa_batch builds the tensors of Day
11's pointer-generator conventions (extended ids, <eos> after the answer, <bos> first, copied OOVs read as <unk>,
padding masked) and the question in the passage's extended numbering; decode_answers inverts it; a missing Faker and
bad input are refused with clear errors."""
from __future__ import annotations

import sys
from collections import Counter

import pytest
import torch

import course_lib.data.qa as qa
from course_lib.data.qa import (MAX_QUESTIONS_PER_PROFILE, QTYPES, SPAN_QTYPES, QAExample, decode_answers,
                                make_qa_examples, qa_batch, qa_tokenize, qa_vocab, split_qa)
from course_lib.text.vocab import SPECIALS


@pytest.fixture(scope="module")
def examples() -> list[QAExample]:
    return make_qa_examples(300, seed=0)


def _contains(tokens: list[str], part: list[str]) -> bool:
    return any(tokens[i: i + len(part)] == part for i in range(len(tokens) - len(part) + 1))


# --- qa_tokenize --------------------------------------------------------------------------------------------
def test_qa_tokenize_lower_cases_and_splits_punctuation_off():
    assert qa_tokenize("Amy's employer: Hall-Lopez.") == ["amy", "'s", "employer", ":", "hall", "-", "lopez", "."]


def test_qa_tokenize_keeps_numbers_and_ends_question_marks_as_tokens():
    assert qa_tokenize("How old was Amy in 1990?") == ["how", "old", "was", "amy", "in", "1990", "?"]


def test_qa_tokenize_of_an_empty_text_is_empty():
    assert qa_tokenize("   ") == []


def test_qa_tokenize_refuses_a_token_list():
    with pytest.raises(TypeError, match="qa_tokenize expects a str, got list"):
        qa_tokenize(["amy"])


# --- make_qa_examples ---------------------------------------------------------------------------------------
def test_examples_number_n_profiles_times_questions_per_profile():
    assert len(make_qa_examples(7, questions_per_profile=3)) == 21


def test_examples_are_deterministic_for_a_seed(examples):
    assert make_qa_examples(300, seed=0) == examples


def test_another_seed_gives_other_profiles(examples):
    assert make_qa_examples(300, seed=1)[0].passage != examples[0].passage


def test_profile_k_does_not_depend_on_n_profiles(examples):
    assert make_qa_examples(20, seed=0) == examples[:80]


def test_examples_come_profile_by_profile_with_one_passage_each(examples):
    assert [e.person for e in examples] == [k for k in range(300) for _ in range(4)]
    for k in range(300):
        assert len({tuple(e.passage) for e in examples[4 * k: 4 * k + 4]}) == 1


def test_questions_of_a_profile_are_distinct(examples):
    for k in range(300):
        assert len({tuple(e.question) for e in examples[4 * k: 4 * k + 4]}) == 4


def test_tokens_are_lower_case_qa_tokens(examples):
    for e in examples[:200]:
        for tokens in (e.passage, e.question):
            assert qa_tokenize(" ".join(tokens)) == tokens


def test_questions_end_with_a_question_mark(examples):
    assert all(e.question[-1] == "?" and "?" not in e.question[:-1] for e in examples)


def test_answers_are_non_empty_joined_qa_tokens(examples):
    for e in examples:
        assert len(e.answers) >= 1
        assert all(a and a == " ".join(qa_tokenize(a)) for a in e.answers)


def test_every_question_type_occurs_and_only_those(examples):
    counts = Counter(e.qtype for e in examples)
    assert set(counts) == set(QTYPES)
    assert min(counts.values()) >= 60                  # 1,200 questions over 9 types; "pet" the rarest


def test_span_answers_are_words_of_the_passage(examples):
    for e in examples:
        if e.qtype in SPAN_QTYPES:
            assert _contains(e.passage, e.answers[0].split()), (e.passage, e.answers)


def test_age_answers_are_numbers_not_in_the_passage(examples):
    ages = [e for e in examples if e.qtype == "age"]
    assert ages
    for e in ages:
        assert e.answers[0].isdigit() and e.answers[0] not in e.passage


def test_age_answers_are_the_year_asked_minus_the_birth_year(examples):
    for e in (e for e in examples if e.qtype == "age"):
        birth = next(s for s in " ".join(e.passage).split(" . ") if " born " in f" {s} ")
        year = next(int(w) for w in birth.split() if w.isdigit())
        assert int(e.answers[0]) == int(e.question[-2]) - year, (birth, e.question)


def test_yes_no_answers_are_balanced(examples):
    counts = Counter(e.answers[0] for e in examples if e.qtype == "yesno")
    assert set(counts) == {"yes", "no"} and abs(counts["yes"] - counts["no"]) <= 0.2 * sum(counts.values())


def test_count_answers_accept_the_word_and_the_digit(examples):
    for e in (e for e in examples if e.qtype == "count"):
        word, digit = e.answers[:2]
        assert digit.isdigit() and word == ("none", "one", "two", "three", "four")[int(digit)]


def test_where_answers_also_accept_in_before_the_city(examples):
    for e in (e for e in examples if e.qtype == "where"):
        assert e.answers == [e.answers[0], "in " + e.answers[0]]


def test_most_passages_hold_a_city_that_no_other_profile_has(examples):
    # the rare words copying is for: a city of one profile rarely occurs in another
    cities = [e.answers[0] for e in examples if e.qtype == "where"]
    passages = {e.person: " ".join(e.passage) for e in examples}
    unique = sum(sum(f" {c} " in f" {p} " for p in passages.values()) == 1 for c in cities)
    assert unique >= 0.8 * len(cities)


def test_generation_is_fast_enough_for_a_notebook():
    import time
    start = time.perf_counter()
    make_qa_examples(1000, seed=3)
    assert time.perf_counter() - start < 3.0             # ~0.15 s on an idle core


@pytest.mark.parametrize("value", [0, -1])
def test_make_qa_examples_refuses_fewer_than_one_profile(value):
    with pytest.raises(ValueError, match=f"n_profiles must be >= 1, got {value}"):
        make_qa_examples(value)


def test_make_qa_examples_refuses_a_float_profile_count():
    with pytest.raises(TypeError, match="n_profiles must be an int, got float"):
        make_qa_examples(10.0)


def test_make_qa_examples_refuses_a_bool_seed():
    with pytest.raises(TypeError, match="seed must be an int, got bool"):
        make_qa_examples(10, seed=True)


def test_make_qa_examples_refuses_more_questions_than_every_profile_has():
    with pytest.raises(ValueError, match=f"at most {MAX_QUESTIONS_PER_PROFILE}"):
        make_qa_examples(2, questions_per_profile=MAX_QUESTIONS_PER_PROFILE + 1)


def test_make_qa_examples_gives_the_most_questions_allowed():
    examples = make_qa_examples(30, questions_per_profile=MAX_QUESTIONS_PER_PROFILE)
    for k in range(30):
        chunk = examples[k * MAX_QUESTIONS_PER_PROFILE: (k + 1) * MAX_QUESTIONS_PER_PROFILE]
        assert len({tuple(e.question) for e in chunk}) == MAX_QUESTIONS_PER_PROFILE


def test_make_qa_examples_refuses_zero_questions():
    with pytest.raises(ValueError, match="questions_per_profile must be >= 1, got 0"):
        make_qa_examples(2, questions_per_profile=0)


def test_a_missing_faker_names_the_package_and_its_pin(monkeypatch):
    monkeypatch.setattr(qa, "_WORDS", None)
    for module in ("faker", "faker.providers", "faker.providers.address", "faker.providers.address.en_US"):
        monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ModuleNotFoundError, match=r"'Faker' package: pip install Faker==40\.54\.0"):
        make_qa_examples(2)


# --- split_qa -----------------------------------------------------------------------------------------------
def test_split_qa_puts_each_profile_in_one_split(examples):
    parts = split_qa(examples)
    people = [{e.person for e in part} for part in parts]
    assert not (people[0] & people[1] or people[0] & people[2] or people[1] & people[2])
    passages = [{tuple(e.passage) for e in part} for part in parts]
    assert not (passages[0] & passages[1] or passages[0] & passages[2] or passages[1] & passages[2])


def test_split_qa_keeps_every_example_in_order(examples):
    parts = split_qa(examples)
    assert sorted(map(id, sum(parts, []))) == sorted(map(id, examples))
    for part in parts:
        positions = [examples.index(e) for e in part[:20]]
        assert positions == sorted(positions)


def test_split_qa_cuts_profiles_by_the_fractions(examples):
    sizes = [len({e.person for e in part}) for part in split_qa(examples, (0.6, 0.2, 0.2))]
    assert sizes == [180, 60, 60]


def test_split_qa_is_deterministic_for_a_seed(examples):
    assert split_qa(examples, seed=4) == split_qa(examples, seed=4)
    assert split_qa(examples, seed=4).test != split_qa(examples, seed=5).test


def test_split_qa_returns_named_splits(examples):
    parts = split_qa(examples)
    assert parts.train is parts[0] and parts.validation is parts[1] and parts.test is parts[2]


def test_split_qa_refuses_fewer_than_three_profiles(examples):
    with pytest.raises(ValueError, match="at least 3 profiles.*got 2"):
        split_qa(examples[:8])


def test_split_qa_refuses_fractions_that_do_not_sum_to_one(examples):
    with pytest.raises(ValueError, match="fractions"):
        split_qa(examples, (0.8, 0.1, 0.2))


def test_split_qa_refuses_something_else_than_examples():
    with pytest.raises(TypeError, match=r"examples\[0\] must be a QAExample, got tuple"):
        split_qa([("passage", "question")])


# --- qa_vocab -----------------------------------------------------------------------------------------------
def test_qa_vocab_puts_the_specials_first(examples):
    vocab = qa_vocab(examples)
    assert vocab.itos[:4] == list(SPECIALS) and (vocab.pad_id, vocab.unk_id, vocab.bos_id, vocab.eos_id) == (0, 1, 2, 3)


def test_qa_vocab_leaves_out_rare_words(examples):
    assert len(qa_vocab(examples, min_count=5)) < len(qa_vocab(examples, min_count=1))
    assert "yes" in qa_vocab(examples).stoi and "?" in qa_vocab(examples).stoi


def test_qa_vocab_counts_a_word_once_per_profile():
    a = QAExample(["amy", "amy", "x", "."], ["amy", "?"], ["amy"], "who", 0)
    b = QAExample(["x", "."], ["x", "?"], ["x"], "who", 1)
    vocab = qa_vocab([a, a, b], min_count=2)
    assert "amy" not in vocab.stoi and "x" in vocab.stoi and "?" in vocab.stoi


def test_qa_vocab_leaves_most_cities_to_copying(examples):
    stoi = qa_vocab(examples).stoi
    cities = [e.answers[0] for e in examples if e.qtype == "where"]
    assert sum(any(w not in stoi for w in c.split()) for c in cities) >= 0.5 * len(cities)


def test_qa_vocab_tokenizes_text_with_qa_tokenize(examples):
    assert qa_vocab(examples).tokenize is qa_tokenize


# --- qa_batch and decode_answers ----------------------------------------------------------------------------
def _toy():
    stoi = {w: i for i, w in enumerate(list(SPECIALS) + ["amy", "was", "born", "in", ".", "where", "?", "yes"])}
    a = QAExample(["amy", "was", "born", "in", "hullport", "."], ["where", "was", "amy", "born", "?"],
                  ["hullport", "in hullport"], "where", 0)
    b = QAExample(["zed", "was", "born", "in", "lake", "zed", "."], ["was", "zed", "born", "in", "lake", "zed", "?"],
                  ["yes"], "yesno", 1)
    c = QAExample(["amy", "."], ["where", "?"], ["north hullport"], "where", 2)
    return stoi, [a, b, c]


def test_qa_batch_shapes_and_lengths():
    stoi, batch = _toy()
    out = qa_batch(batch, stoi)
    assert out.passage_ext.shape == (3, 7) and out.passage_lengths.tolist() == [6, 7, 2]
    assert out.question.shape == (3, 7) and out.question_lengths.tolist() == [5, 7, 2]
    assert out.dec_in.shape == out.targets.shape == out.mask.shape == (3, 3)
    assert all(t.dtype == torch.long for t in out[:6]) and out.mask.dtype == torch.bool


def test_qa_batch_gives_passage_oovs_extended_ids_in_order_of_appearance():
    stoi, batch = _toy()
    out = qa_batch(batch, stoi)
    V = len(stoi)
    assert out.oovs == [["hullport"], ["zed", "lake"], []]
    assert out.passage_ext[1].tolist() == [V, stoi["was"], stoi["born"], stoi["in"], V + 1, V, stoi["."]]
    assert out.passage_ext[2, 2:].tolist() == [0] * 5


def test_qa_batch_targets_are_the_first_answer_then_eos_then_padding():
    stoi, batch = _toy()
    out = qa_batch(batch, stoi)
    V = len(stoi)
    assert out.targets.tolist() == [[V, 3, 0], [stoi["yes"], 3, 0], [1, 1, 3]]   # "north hullport": not copyable
    assert out.mask.tolist() == [[True, True, False], [True, True, False], [True, True, True]]


def test_qa_batch_decoder_inputs_start_with_bos_and_read_copied_words_as_unk():
    stoi, batch = _toy()
    out = qa_batch(batch, stoi)
    assert out.dec_in.tolist() == [[2, 1, 0], [2, stoi["yes"], 0], [2, 1, 1]]


def test_qa_batch_question_ids_are_in_the_vocabulary_with_oovs_as_unk():
    stoi, batch = _toy()
    out = qa_batch(batch, stoi)
    assert out.question[1].tolist() == [stoi["was"], 1, stoi["born"], stoi["in"], 1, 1, stoi["?"]]
    assert int(out.question.max()) < len(stoi)


def test_qa_batch_question_ext_numbers_passage_oovs_like_the_passage():
    stoi, batch = _toy()
    out = qa_batch(batch, stoi)
    V = len(stoi)
    assert out.question_ext[1].tolist() == [stoi["was"], V, stoi["born"], stoi["in"], V + 1, V, stoi["?"]]
    assert torch.equal(out.question, out.question_ext.masked_fill(out.question_ext >= V, 1))


def test_qa_batch_question_ext_gives_unk_to_an_oov_not_in_the_passage():
    stoi = {w: i for i, w in enumerate(list(SPECIALS) + ["?"])}
    out = qa_batch([QAExample(["amy"], ["zed", "?"], ["amy"], "who", 0)], stoi)
    assert out.question_ext.tolist() == [[1, 4]] and out.passage_ext.tolist() == [[5]]      # V = 5, "?" = 4


def test_qa_batch_of_one_example_with_a_one_token_passage():
    stoi = {w: i for i, w in enumerate(list(SPECIALS) + ["yes", "?"])}
    out = qa_batch([QAExample(["yes"], ["?"], ["yes"], "yesno", 0)], stoi)
    assert out.passage_ext.tolist() == [[4]] and out.targets.tolist() == [[4, 3]] and out.dec_in.tolist() == [[2, 4]]


def test_qa_batch_of_generated_examples_with_their_vocabulary(examples):
    vocab = qa_vocab(examples)
    out = qa_batch(examples[:32], vocab.stoi)
    assert out.passage_ext.shape[0] == 32 and bool(out.mask[:, 0].all())
    assert (out.targets[out.mask] >= len(vocab)).any()                          # some answers must be copied
    assert decode_answers(out.targets, out.oovs, vocab.itos) == [
        " ".join(w if w in vocab.stoi or w in e.passage else "<unk>" for w in e.answers[0].split())
        for e in examples[:32]]


def test_decode_answers_stops_at_eos_and_skips_padding():
    itos = list(SPECIALS) + ["yes", "in"]
    assert decode_answers(torch.tensor([[5, 7, 3, 4], [0, 4, 0, 0]]), [["hullport", "lake"], []], itos) == \
        ["in lake", "yes"]


def test_decode_answers_accepts_lists_of_ids():
    assert decode_answers([[4, 3]], [[]], list(SPECIALS) + ["yes"]) == ["yes"]


def test_decode_answers_refuses_an_id_beyond_the_oovs():
    with pytest.raises(ValueError, match=r"id 6 is outside \[0, V \+ len\(oovs\[0\]\)\) = \[0, 6\)"):
        decode_answers(torch.tensor([[6]]), [["x"]], list(SPECIALS) + ["yes"])


def test_decode_answers_refuses_a_row_count_other_than_the_oovs():
    with pytest.raises(ValueError, match="2 rows but oovs 1 lists"):
        decode_answers(torch.tensor([[4], [4]]), [[]], list(SPECIALS) + ["yes"])


def test_qa_batch_refuses_an_empty_list():
    stoi, _ = _toy()
    with pytest.raises(ValueError, match="at least one example"):
        qa_batch([], stoi)


def test_qa_batch_refuses_special_ids_outside_the_vocabulary():
    stoi, batch = _toy()
    with pytest.raises(ValueError, match=r"eos_id must be an id of the vocabulary, an int in \[0, 12\), got 12"):
        qa_batch(batch, stoi, eos_id=12)


def test_qa_batch_refuses_equal_special_ids():
    stoi, batch = _toy()
    with pytest.raises(ValueError, match="four different ids"):
        qa_batch(batch, stoi, bos_id=3)


def test_qa_batch_refuses_an_example_with_an_empty_question():
    stoi, _ = _toy()
    with pytest.raises(ValueError, match=r"examples\[0\] needs a non-empty passage, question and answers.*0 question"):
        qa_batch([QAExample(["amy"], [], ["amy"], "who", 0)], stoi)


def test_qa_batch_refuses_a_vocabulary_list_instead_of_a_dict():
    _, batch = _toy()
    with pytest.raises(TypeError, match="stoi must be a dict word -> id, got list"):
        qa_batch(batch, list(SPECIALS))


def test_decode_answers_refuses_float_tokens():
    with pytest.raises(ValueError, match=r"tokens must be a long tensor \(B, T\), got torch.float32"):
        decode_answers(torch.tensor([[4.0]]), [[]], list(SPECIALS) + ["yes"])


def test_decode_answers_refuses_a_str_as_itos():
    with pytest.raises(TypeError, match="itos must be the vocabulary's list of words"):
        decode_answers(torch.tensor([[4]]), [[]], "abcde")


# --- QAExample ----------------------------------------------------------------------------------------------
def test_qa_example_refuses_a_str_passage_and_says_to_tokenize_it():
    with pytest.raises(TypeError, match=r"QAExample.passage must be a list of str, got str \(split it into tokens"):
        QAExample("amy was born in hullport .", ["where", "?"], ["hullport"], "where", 0)


def test_qa_example_refuses_a_str_as_the_answer_list():
    with pytest.raises(TypeError, match=r"QAExample.answers must be a list of str, got str \(a list of gold "
                                        r"answers: wrap"):
        QAExample(["amy"], ["who", "?"], "amy", "who", 0)


def test_qa_example_refuses_non_str_tokens():
    with pytest.raises(TypeError, match="QAExample.question must be a list of str, got list holding int"):
        QAExample(["amy"], [4, "?"], ["amy"], "who", 0)


def test_qa_example_refuses_an_empty_answer_list():
    with pytest.raises(ValueError, match="at least one gold answer"):
        QAExample(["amy"], ["who", "?"], [], "who", 0)


def test_qa_example_refuses_a_negative_person_id():
    with pytest.raises(TypeError, match="QAExample.person must be an int >= 0"):
        QAExample(["amy"], ["who", "?"], ["amy"], "who", -1)


def test_the_docstrings_example_passage_is_profile_1_of_seed_0(examples):
    doc = " ".join(qa.__doc__.split("Profile 1 of seed 0:")[1].split("Question types")[0].split())
    assert doc == " ".join(next(e for e in examples if e.person == 1).passage)


def test_qa_example_refuses_an_unknown_question_type():
    with pytest.raises(ValueError, match=r"QAExample.qtype must be one of \('who'.*got 'why'"):
        QAExample(["amy"], ["why", "?"], ["amy"], "why", 0)


def test_decode_answers_refuses_a_flat_list_of_ids():
    with pytest.raises(TypeError, match=r"tokens must be a long tensor \(B, T\) or a list of B lists of ids.*wrap"):
        decode_answers([4, 5], [[]], list(SPECIALS) + ["yes"])


def test_decode_answers_refuses_a_dict_as_itos():
    with pytest.raises(TypeError, match="itos must be the vocabulary's list of words .* got dict"):
        decode_answers([[4]], [[]], {w: i for i, w in enumerate(list(SPECIALS) + ["yes"])})


def test_decode_answers_refuses_a_bool_eos_id():
    with pytest.raises(TypeError, match="eos_id must be an int id, got bool"):
        decode_answers([[4]], [[]], list(SPECIALS) + ["yes"], eos_id=True)


def test_qa_batch_refuses_a_first_answer_without_tokens():
    stoi, _ = _toy()
    with pytest.raises(ValueError, match=r"examples\[0\]'s first answer \(the target\) must have at least one token"):
        qa_batch([QAExample(["amy"], ["who", "?"], [" "], "who", 0)], stoi)


def test_decode_answers_refuses_oovs_that_are_not_word_lists():
    with pytest.raises(TypeError, match="oovs must be a list of word lists .* got list of str"):
        decode_answers([[4]], ["abc"], list(SPECIALS) + ["yes"])
