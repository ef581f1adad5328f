"""GENERATED reading-comprehension data for generative question answering: short passages about invented
people, questions about them, and their answers. Nothing here is real, and nothing is downloaded.

No real QA corpus ships in an offline installation (SQuAD, bAbI and friends are downloads), so the course
generates one, bAbI-style, from Faker's en_US word lists (https://github.com/joke2k/faker, MIT licence; the
pinned Faker==40.54.0): first and last names, city names (Faker's own formats, e.g. "west tammyfort",
"hullport"), company names ("brown-sellers", "summers , barnett and smith") and job titles (those without "(" or
"/", "engineer, electronics" turned into "electronics engineer", at most four words). The words are drawn with
Python's `random.Random(seed)` straight from those lists (Faker's own generators cost 0.1-0.3 ms a call, too slow
for thousands of profiles); the templates and the questions are written here.

A profile: name (first + last), gender (pronoun she / he), birth year (1940-2004) and birth city, the city they
live in now (sometimes with the year they moved there: a second year in the passage), job and employer, a brother
or sister (first name; sometimes the sibling's own city: a second city), 0-4 children, maybe a pet (kind and name).
The passage states every fact once, in 6 or 7 sentences of varied templates, in shuffled order (the first sentence
names the person in full; later ones use the first name, the full name or the pronoun). Profile 1 of seed 0:

    angel gibbs was born in lake damonfurt in 1975 . angel has two children . angel lives in new wayne .
    angel works as a historic buildings conservation officer for woodard group . angel has a dog named
    rachel . his brother , taylor , lives in davidburgh .

Question types (`QTYPES`) and answers (every gold string is already tokenized with `qa_tokenize` and joined by
spaces, so a generated token list joined by spaces is compared like for like; the first gold is the target):

    who       "who is angel 's brother ?"                     -> "taylor"                    (span, rare name)
    where     "where was angel gibbs born ?" / "where does angel live ?" / "where does angel 's brother live ?"
                                                              -> "lake damonfurt", "in lake damonfurt"  (span)
    when      "when was angel born ?" / "in what year did angel move to ... ?"  -> "1975", "in 1975"  (span)
    job       "what is angel 's job ?"     -> "a historic buildings conservation officer", "historic ..."  (span)
    employer  "who does angel work for ?"                     -> "woodard group"; "hall - lopez"     (span)
    pet       "what is the name of angel gibbs 's dog ?" -> "rachel"; "what kind of pet does angel have ?"
              -> "dog", "a dog"                                                                    (span)
    count     "how many children does angel gibbs have ?"     -> "two", "2"; for none: "none", "0", "zero",
              "no children"                     (the word is a span, except "none"; the digit is not)
    age       "how old was angel gibbs in 2011 ?"             -> "36"              (NOT a span: arithmetic)
    yesno     "does angel have children ?" / "was angel born in new wayne ?" / "does angel have a pet ?" /
              "does angel work for nolan ltd ?"               -> "yes" or "no"     (NOT a span; half are "no")

Each profile gets `questions_per_profile` distinct questions, their types drawn in turn from a shuffled list of
the types that apply (no "pet" question without a pet: 40 % of the profiles have none), so the types are equally
frequent but "pet" (seed 0, 3,000 profiles x 4: about 1,400 questions of each type, 790 "pet").

Determinism: the same (n_profiles, seed, questions_per_profile) gives the same examples, and profile k does not
depend on n_profiles (each profile has its own random stream, seeded by (seed, k)). Generating 3,000 profiles
(12,000 questions) takes about 0.4-0.6 s on one core.

Tokenization (`qa_tokenize`): lower-case; a token is "'s", a run of letters, digits and "_", or any other single
non-space character ("hall-lopez" -> "hall", "-", "lopez"; "amy's" -> "amy", "'s").

Also here: `split_qa` (by profile), `qa_vocab`, and `qa_batch` / `decode_answers`, which turn examples into the
tensors of `course_lib.models.qa_generator.QAGenerator` (with Day 11's `course_lib.layers.pointer.extended_ids`)
and its extended ids back into answer strings.
"""
from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import torch

from ..layers.pointer import decoder_inputs, extended_ids
from ..text.vocab import SPECIALS, Vocab, build_vocab
from .splits import Splits, split_indices
from ..validation import check_int

QTYPES: tuple[str, ...] = ("who", "where", "when", "job", "employer", "pet", "count", "age", "yesno")
SPAN_QTYPES: frozenset[str] = frozenset({"who", "where", "when", "job", "employer", "pet"})   # answer in passage
NUMBER_WORDS: tuple[str, ...] = ("none", "one", "two", "three", "four")
PET_KINDS: tuple[str, ...] = ("dog", "cat", "parrot", "rabbit", "hamster", "horse", "tortoise", "goldfish")

_TOKEN = re.compile(r"'s\b|\w+|[^\w\s]")


@dataclass(frozen=True)
class QAExample:
    """One question about one passage. passage: lower-case tokens; question: lower-case tokens ending with "?";
    answers: the gold answers (>= 1; tokenized and joined by spaces; answers[0] is the training target);
    qtype: one of QTYPES; person: the id of the profile (0 .. n_profiles - 1) the passage describes.
    The field types, a non-empty answer list and a known qtype are checked when an example is made."""
    passage: list[str]
    question: list[str]
    answers: list[str]
    qtype: str
    person: int

    def __post_init__(self) -> None:
        for name in ("passage", "question", "answers"):
            value = getattr(self, name)
            if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
                held = "" if not isinstance(value, list) else " holding " + ", ".join(
                    sorted({type(w).__name__ for w in value if not isinstance(w, str)}))
                hint = "" if not isinstance(value, str) else (" (a list of gold answers: wrap it, [answer])"
                                                              if name == "answers" else
                                                              " (split it into tokens with qa_tokenize)")
                raise TypeError(f"QAExample.{name} must be a list of str, got {type(value).__name__}{held}{hint}")
        if not self.answers:
            raise ValueError("QAExample.answers must hold at least one gold answer, got []")
        if not isinstance(self.qtype, str):
            raise TypeError(f"QAExample.qtype must be a str, got {type(self.qtype).__name__} {self.qtype!r}")
        if self.qtype not in QTYPES:
            raise ValueError(f"QAExample.qtype must be one of {QTYPES}, got {self.qtype!r}")
        if isinstance(self.person, bool) or not isinstance(self.person, int) or self.person < 0:
            raise TypeError(f"QAExample.person must be an int >= 0 (a profile id), got {type(self.person).__name__} "
                            f"{self.person!r}")


def qa_tokenize(text: str) -> list[str]:
    """Lower-case word and punctuation tokens: "'s", runs of letters / digits / "_", any other non-space
    character alone. qa_tokenize("Amy's employer: Hall-Lopez.") == ["amy", "'s", "employer", ":", "hall", "-",
    "lopez", "."]."""
    if not isinstance(text, str):
        raise TypeError(f"qa_tokenize expects a str, got {type(text).__name__} {text!r}")
    return _TOKEN.findall(text.lower())


# ------------------------------------------------------------------------------------------------------------
# Faker's word lists, read once.
class _Words(NamedTuple):
    female: tuple[str, ...]
    male: tuple[str, ...]
    last: tuple[str, ...]
    city_prefixes: tuple[str, ...]
    city_suffixes: tuple[str, ...]
    city_formats: tuple[str, ...]
    company_formats: tuple[str, ...]
    company_suffixes: tuple[str, ...]
    jobs: tuple[str, ...]


_WORDS: _Words | None = None


def _job_title(job: str) -> str | None:
    """Faker's "Engineer, electronics" -> "electronics engineer"; None for titles with "(", "/", two commas or
    more than four words."""
    if "(" in job or "/" in job or job.count(",") > 1:
        return None
    if "," in job:
        head, tail = (part.strip() for part in job.split(","))
        job = f"{tail} {head}"
    job = job.lower()
    return job if len(job.split()) <= 4 else None


def _words() -> _Words:
    global _WORDS
    if _WORDS is None:
        try:
            from faker.providers.address.en_US import Provider as Address
            from faker.providers.company.en_US import Provider as Company
            from faker.providers.job.en_US import Provider as Job
            from faker.providers.person.en_US import Provider as Person
        except ModuleNotFoundError as err:
            raise ModuleNotFoundError("course_lib.data.qa.make_qa_examples needs the 'Faker' package: "
                                      "pip install Faker==40.54.0 (it is in requirements.txt)") from err
        jobs = sorted({t for t in map(_job_title, Job.jobs) if t})
        _WORDS = _Words(tuple(sorted(Person.first_names_female)), tuple(sorted(Person.first_names_male)),
                        tuple(sorted(Person.last_names)), tuple(Address.city_prefixes),
                        tuple(dict.fromkeys(Address.city_suffixes)), tuple(Address.city_formats),
                        tuple(Company.formats), tuple(Company.company_suffixes), tuple(jobs))
    return _WORDS


_FIELD = re.compile(r"\{\{(\w+)\}\}")


def _render(fmt: str, fields: dict) -> str:
    """Faker's "{{last_name}}-{{last_name}}" with each field drawn anew by fields[name]()."""
    def one(match: re.Match) -> str:
        name = match.group(1)
        if name not in fields:
            raise RuntimeError(f"unexpected field {{{{{name}}}}} in Faker's format {fmt!r}")
        return fields[name]()
    return _FIELD.sub(one, fmt)


class _Profile(NamedTuple):
    first: str
    last: str
    female: bool
    year: int
    city: str
    home: str
    moved: int | None
    job: str
    employer: str
    sibling: str
    sister: bool
    sibling_city: str | None
    children: int
    pet: tuple[str, str] | None     # (kind, name)


def _profile(rng: random.Random, words: _Words) -> _Profile:
    def first_name() -> str:
        return rng.choice(words.female if rng.random() < 0.5 else words.male)

    def last_name() -> str:
        return rng.choice(words.last)

    fields = {"first_name": first_name, "last_name": last_name, "city_prefix": lambda: rng.choice(words.city_prefixes),
              "city_suffix": lambda: rng.choice(words.city_suffixes),
              "company_suffix": lambda: rng.choice(words.company_suffixes)}

    def city() -> str:
        return _render(rng.choice(words.city_formats), fields).lower()

    female = rng.random() < 0.5
    first = rng.choice(words.female if female else words.male).lower()
    last = last_name().lower()
    year = rng.randint(1940, 2004)
    cities = [city()]
    while len(cities) < 3:
        c = city()
        if c not in cities:
            cities.append(c)
    moved = rng.randint(year + 18, 2024) if rng.random() < 0.4 and year + 18 <= 2024 else None
    sister = rng.random() < 0.5
    sibling = rng.choice(words.female if sister else words.male).lower()
    while sibling == first:
        sibling = rng.choice(words.female if sister else words.male).lower()
    employer = _render(rng.choice(words.company_formats), fields).lower()
    children = rng.choices(range(5), weights=(30, 20, 30, 15, 5))[0]
    pet = None
    if rng.random() < 0.6:
        pet_name = first_name().lower()
        while pet_name in (first, sibling):
            pet_name = first_name().lower()
        pet = (rng.choice(PET_KINDS), pet_name)
    return _Profile(first, last, female, year, cities[0], cities[1], moved, rng.choice(words.jobs), employer,
                    sibling, sister, cities[2] if rng.random() < 0.5 else None, children, pet)


def _a(phrase: str) -> str:
    return ("an " if phrase[0] in "aeiou" else "a ") + phrase


def _passage(p: _Profile, rng: random.Random) -> str:
    full, pronoun, poss = f"{p.first} {p.last}", ("she" if p.female else "he"), ("her" if p.female else "his")

    def subj(first: bool = False) -> str:
        if first:
            return full
        r = rng.random()
        return p.first if r < 0.5 else full if r < 0.7 else pronoun      # 50 % / 20 % / 30 %

    def owner(first: bool = False) -> str:
        return f"{full} 's" if first else f"{p.first} 's" if rng.random() < 0.5 else poss

    rel = "sister" if p.sister else "brother"
    n = NUMBER_WORDS[p.children]
    job = _a(p.job)
    facts = {
        "birth": lambda f: rng.choice((f"{subj(f)} was born in {p.city} in {p.year} .",
                                       f"{subj(f)} was born in {p.year} in {p.city} .",
                                       f"in {p.year} , {subj(f)} was born in {p.city} .")),
        "home": lambda f: (f"{subj(f)} moved to {p.home} in {p.moved} ." if p.moved is not None else
                           rng.choice((f"{subj(f)} lives in {p.home} .", f"{subj(f)} now lives in {p.home} ."))),
        "work": lambda f: rng.choice((f"{subj(f)} works as {job} for {p.employer} .",
                                      f"{subj(f)} is {job} at {p.employer} .",
                                      f"{subj(f)} works for {p.employer} as {job} .",
                                      f"{subj(f)} is {job} . {subj()} works for {p.employer} .")),
        "sibling": lambda f: (f"{owner(f)} {rel} , {p.sibling} , lives in {p.sibling_city} ."
                              if p.sibling_city is not None else
                              rng.choice((f"{subj(f)} has a {rel} called {p.sibling} .",
                                          f"{p.sibling} is {owner(f)} {rel} ."))),
        "children": lambda f: (rng.choice((f"{subj(f)} has no children .", f"{subj(f)} does not have children ."))
                               if p.children == 0 else f"{subj(f)} has one child ." if p.children == 1 else
                               rng.choice((f"{subj(f)} has {n} children .",
                                           f"{subj(f)} is the parent of {n} children ."))),
        "pet": lambda f: (rng.choice((f"{subj(f)} has a {p.pet[0]} named {p.pet[1]} .",
                                      f"{owner(f)} {p.pet[0]} is called {p.pet[1]} ."))
                          if p.pet is not None else f"{subj(f)} has no pets ."),
    }
    order = list(facts)
    rng.shuffle(order)
    if rng.random() < 0.7:                   # the birth or the work sentence usually opens the passage
        opener = rng.choice(("birth", "work"))
        order.remove(opener)
        order.insert(0, opener)
    return " ".join(facts[name](k == 0) for k, name in enumerate(order))


def _join(text: str) -> str:
    return " ".join(qa_tokenize(text))


def _questions(p: _Profile, rng: random.Random, words: _Words) -> dict[str, list[tuple[str, list[str]]]]:
    """Every question this profile can be asked, by type: {qtype: [(question text, gold answers), ...]}."""
    def who() -> str:                        # how a question names the person: full name or first name
        return f"{p.first} {p.last}" if rng.random() < 0.5 else p.first

    rel = "sister" if p.sister else "brother"
    job = _a(p.job)
    number = [NUMBER_WORDS[p.children], str(p.children)] + (["zero", "no children"] if p.children == 0 else [])
    q: dict[str, list[tuple[str, list[str]]]] = {
        "who": [(f"who is {who()} 's {rel} ?", [p.sibling]),
                (f"what is the name of {who()} 's {rel} ?", [p.sibling])],
        "where": [(f"where was {who()} born ?", [p.city, f"in {p.city}"]),
                  (f"in which city was {who()} born ?", [p.city, f"in {p.city}"]),
                  (f"where does {who()} live ?", [p.home, f"in {p.home}"])]
                 + ([(f"where does {who()} 's {rel} live ?", [p.sibling_city, f"in {p.sibling_city}"])]
                    if p.sibling_city is not None else []),
        "when": [(f"when was {who()} born ?", [str(p.year), f"in {p.year}"]),
                 (f"in what year was {who()} born ?", [str(p.year), f"in {p.year}"])]
                + ([(f"in what year did {who()} move to {p.home} ?", [str(p.moved), f"in {p.moved}"])]
                   if p.moved is not None else []),
        "job": [(f"what is {who()} 's job ?", [job, p.job]),
                (f"what does {who()} do for a living ?", [job, p.job])],
        "employer": [(f"who does {who()} work for ?", [p.employer]),
                     (f"which company does {who()} work for ?", [p.employer])],
        "count": [(f"how many children does {who()} have ?", number)],
    }
    if p.pet is not None:
        kind, name = p.pet
        q["pet"] = [(f"what is the name of {who()} 's {kind} ?", [name]),
                    (f"what kind of pet does {who()} have ?", [kind, _a(kind)])]      # "her dog is called ..."
    asked = rng.sample(range(p.year + 5, min(p.year + 60, 2025) + 1), 2)
    q["age"] = [(f"how old was {who()} in {y} ?", [str(y - p.year)]) for y in asked]
    other_employer = p.employer
    while other_employer == p.employer:
        other_employer = _render(rng.choice(words.company_formats),
                                 {"last_name": lambda: rng.choice(words.last),
                                  "company_suffix": lambda: rng.choice(words.company_suffixes)}).lower()
    wrong_city = p.home if p.sibling_city is None or rng.random() < 0.5 else p.sibling_city
    yes, no = [], []
    (yes if p.children else no).append(f"does {who()} have children ?")
    (yes if p.pet else no).append(f"does {who()} have a pet ?")
    yes.append(f"was {who()} born in {p.city} ?")
    no.append(f"was {who()} born in {wrong_city} ?")
    yes.append(f"does {who()} work for {p.employer} ?")
    no.append(f"does {who()} work for {other_employer} ?")
    rng.shuffle(yes)
    rng.shuffle(no)
    q["yesno"] = [pair for pairs in zip(((text, ["yes"]) for text in yes), ((text, ["no"]) for text in no))
                  for pair in (pairs if rng.random() < 0.5 else pairs[::-1])]
    return q



MAX_QUESTIONS_PER_PROFILE = 12   # every profile has at least 12 distinct questions (who 2, where 3, when 2, ...)


def make_qa_examples(n_profiles: int, seed: int = 0, questions_per_profile: int = 4) -> list[QAExample]:
    """n_profiles generated passages (see the module docstring) with questions_per_profile distinct questions
    each (1 .. MAX_QUESTIONS_PER_PROFILE): n_profiles * questions_per_profile QAExamples, profile by profile
    (person 0's questions first). Deterministic for (seed, questions_per_profile); profile k is the same
    whatever n_profiles."""
    check_int(n_profiles, "n_profiles", 1)
    check_int(seed, "seed", -2 ** 63)
    check_int(questions_per_profile, "questions_per_profile", 1)
    if questions_per_profile > MAX_QUESTIONS_PER_PROFILE:
        raise ValueError(f"questions_per_profile must be at most {MAX_QUESTIONS_PER_PROFILE} (the distinct questions "
                         f"every profile has), got {questions_per_profile}")
    words = _words()
    examples: list[QAExample] = []
    for person in range(n_profiles):
        rng = random.Random(f"qa {seed} {person}")
        profile = _profile(rng, words)
        passage = qa_tokenize(_passage(profile, rng))
        by_type = _questions(profile, rng, words)
        types = list(by_type)
        rng.shuffle(types)
        chosen: list[tuple[str, str, list[str]]] = []
        while len(chosen) < questions_per_profile:
            for qtype in types:
                if by_type[qtype] and len(chosen) < questions_per_profile:
                    text, answers = by_type[qtype].pop(rng.randrange(len(by_type[qtype])))
                    chosen.append((qtype, text, answers))
        for qtype, text, answers in chosen:
            examples.append(QAExample(passage, qa_tokenize(text), [_join(a) for a in answers], qtype, person))
    return examples


def _check_examples(examples: object, name: str = "examples") -> None:
    if not isinstance(examples, (list, tuple)):
        raise TypeError(f"{name} must be a list of QAExample, got {type(examples).__name__}")
    for i, example in enumerate(examples):
        if not isinstance(example, QAExample):
            raise TypeError(f"{name}[{i}] must be a QAExample, got {type(example).__name__}")


def split_qa(examples: list[QAExample], fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0) -> Splits:
    """Splits(train, validation, test) of the examples BY PROFILE: the distinct `person` ids, in order of first
    appearance, are cut by `fractions` with a seeded permutation (`course_lib.data.splits.split_indices`), and
    every question goes where its profile goes, so no passage is in two splits. Order within a split is kept.
    Needs at least three profiles (one per split)."""
    _check_examples(examples)
    check_int(seed, "seed", -2 ** 63)
    people = list(dict.fromkeys(example.person for example in examples))
    if len(people) < 3:
        raise ValueError(f"split_qa needs examples about at least 3 profiles (one per split), got {len(people)}")
    where = dict(zip(people, split_indices(len(people), tuple(fractions), seed).tolist()))
    parts: tuple[list[QAExample], ...] = ([], [], [])
    for example in examples:
        parts[where[example.person]].append(example)
    return Splits(*parts)


def qa_vocab(examples: list[QAExample], min_count: int = 2) -> Vocab:
    """A word Vocab (specials <pad> 0, <unk> 1, <bos> 2, <eos> 3, the ids qa_batch assumes) of the words of the
    passages, questions and first gold answers, keeping the words that occur in at least `min_count` PROFILES
    (a word counts once per profile, however often its passage and questions repeat it), most widespread first.
    A word of one profile only -- most cities, many last names and companies -- reads as <unk>; the copying model
    can still copy it from the passage."""
    _check_examples(examples)
    check_int(min_count, "min_count", 1)
    words: dict[int, set[str]] = {}
    for example in examples:
        words.setdefault(example.person, set()).update(example.passage, example.question, example.answers[0].split())
    return Vocab(build_vocab([sorted(w) for w in words.values()], min_count), tokenize=qa_tokenize)


class QABatch(NamedTuple):
    """Tensors of a batch of B examples (S the longest passage, Q the longest question, T the longest answer
    + 1 for <eos>):
    passage_ext (B, S) long, extended ids (a passage word outside the vocabulary gets V + its index in oovs[b]);
    passage_lengths (B,) long; question (B, Q) long ids < V (OOV -> unk); question_lengths (B,) long;
    dec_in (B, T) long: <bos> then the answer's ids, extended ids read as <unk>, pad after the answer;
    targets (B, T) long: the answer's extended ids then <eos> (an answer word neither in the vocabulary nor in the
    passage -> unk), pad after; mask (B, T) bool, True at the real targets (the answer's tokens and <eos>);
    oovs: each passage's out-of-vocabulary words in order of first appearance;
    question_ext (B, Q) long: the question in the passage's extended numbering (a question word that is one of the
    passage's OOVs gets its id V + k, any other OOV unk), for QAGenerator's exact-match feature (added after the
    contract's fields: `question` stays ids < V)."""
    passage_ext: torch.Tensor
    passage_lengths: torch.Tensor
    question: torch.Tensor
    question_lengths: torch.Tensor
    dec_in: torch.Tensor
    targets: torch.Tensor
    mask: torch.Tensor
    oovs: list[list[str]]
    question_ext: torch.Tensor


def qa_batch(examples: list[QAExample], stoi: dict[str, int], *, pad_id: int = 0, unk_id: int = 1, bos_id: int = 2,
             eos_id: int = 3) -> QABatch:
    """The QABatch of `examples` (see QABatch) over the vocabulary stoi (ids 0 .. V-1); the answer is
    qa_tokenize(answers[0]) + <eos>. Built with Day 11's `extended_ids` and `decoder_inputs`."""
    _check_examples(examples)
    if not examples:
        raise ValueError("qa_batch needs at least one example, got an empty list")
    if not isinstance(stoi, dict):
        raise TypeError(f"stoi must be a dict word -> id, got {type(stoi).__name__}")
    V = len(stoi)
    ids = {"pad_id": pad_id, "unk_id": unk_id, "bos_id": bos_id, "eos_id": eos_id}
    for name, value in ids.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < V:
            raise ValueError(f"{name} must be an id of the vocabulary, an int in [0, {V}), got {value!r}")
    if len(set(ids.values())) != 4:
        raise ValueError(f"pad_id, unk_id, bos_id and eos_id must be four different ids, got {ids}")
    for i, example in enumerate(examples):
        if not example.passage or not example.question or not example.answers:
            raise ValueError(f"examples[{i}] needs a non-empty passage, question and answers, got "
                             f"{len(example.passage)} passage tokens, {len(example.question)} question tokens, "
                             f"{len(example.answers)} answers")
        if not qa_tokenize(example.answers[0]):
            raise ValueError(f"examples[{i}]'s first answer (the target) must have at least one token, got "
                             f"{example.answers[0]!r}")
    answers = [qa_tokenize(example.answers[0]) for example in examples]
    passage_ext, answer_ext, oovs = extended_ids([e.passage for e in examples], answers, stoi, unk_id, pad_id)
    B, T = len(examples), max(len(a) for a in answers) + 1
    answer_lengths = torch.tensor([len(a) for a in answers])
    targets = torch.full((B, T), pad_id, dtype=torch.long)
    targets[:, :answer_ext.shape[1]] = answer_ext                                 # (B, T): answer, then pad
    targets[torch.arange(B), answer_lengths] = eos_id                             # <eos> right after the answer
    mask = torch.arange(T) < (answer_lengths + 1).unsqueeze(1)                    # (B, T)
    bos = torch.full((B, 1), bos_id, dtype=torch.long)
    dec_in = torch.cat([bos, decoder_inputs(targets, V, unk_id)[:, :-1]], dim=1)  # (B, T): <bos>, answer
    dec_in = dec_in.masked_fill(~mask, pad_id)
    _, question_ext, _ = extended_ids([e.passage for e in examples], [e.question for e in examples], stoi, unk_id,
                                      pad_id)                                     # (B, Q)
    question = decoder_inputs(question_ext, V, unk_id)                            # (B, Q) ids < V
    return QABatch(passage_ext, torch.tensor([len(e.passage) for e in examples]), question,
                   torch.tensor([len(e.question) for e in examples]), dec_in, targets, mask, oovs, question_ext)


def decode_answers(tokens: torch.Tensor | Sequence[Sequence[int]], oovs: list[list[str]], itos: Sequence[str], *,
                   eos_id: int = 3, pad_id: int = 0, bos_id: int = 2) -> list[str]:
    """Extended ids back to answer strings (tokens joined by spaces): each row read up to its first eos_id, pads
    and bos dropped; an id < V = len(itos) is itos[id], an id V + k is oovs[b][k]. tokens: (B, T) long (e.g.
    QAGenerator.greedy's) or B lists of ids."""
    if isinstance(tokens, torch.Tensor):
        if tokens.dim() != 2 or tokens.dtype != torch.long:
            raise ValueError(f"tokens must be a long tensor (B, T), got {tokens.dtype} of shape {tuple(tokens.shape)}")
        rows = tokens.tolist()
    else:
        if not isinstance(tokens, (list, tuple)) or not all(isinstance(row, (list, tuple)) for row in tokens):
            raise TypeError(f"tokens must be a long tensor (B, T) or a list of B lists of ids, got "
                            f"{type(tokens).__name__}" + (" of " + ", ".join(sorted({type(r).__name__ for r in tokens}))
                                                          if isinstance(tokens, (list, tuple)) else "")
                            + " (one example's ids? wrap them: [ids])")
        rows = [list(row) for row in tokens]
        for b, row in enumerate(rows):
            if not all(isinstance(i, int) and not isinstance(i, bool) for i in row):
                held = ", ".join(sorted({type(i).__name__ for i in row}))
                raise TypeError(f"tokens[{b}] must hold int ids, got {held}")
    if not isinstance(oovs, (list, tuple)) or not all(isinstance(o, (list, tuple)) for o in oovs):
        held = (" of " + ", ".join(sorted({type(o).__name__ for o in oovs}))) if isinstance(oovs, (list, tuple)) else ""
        raise TypeError(f"oovs must be a list of word lists (QABatch.oovs), got {type(oovs).__name__}{held}")
    if not isinstance(itos, (list, tuple)) or not all(isinstance(w, str) for w in itos):
        raise TypeError(f"itos must be the vocabulary's list of words (Vocab.itos), got {type(itos).__name__}")
    for name, value in (("eos_id", eos_id), ("pad_id", pad_id), ("bos_id", bos_id)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int id, got {type(value).__name__} {value!r}")
    if len(rows) != len(oovs):
        raise ValueError(f"tokens has {len(rows)} rows but oovs {len(oovs)} lists: one per example")
    V, out = len(itos), []
    for b, row in enumerate(rows):
        words = []
        for i in row:
            if i == eos_id:
                break
            if i in (pad_id, bos_id):
                continue
            if not 0 <= i < V + len(oovs[b]):
                raise ValueError(f"row {b}: id {i} is outside [0, V + len(oovs[{b}])) = [0, {V + len(oovs[b])})")
            words.append(itos[i] if i < V else oovs[b][i - V])
        out.append(" ".join(words))
    return out
