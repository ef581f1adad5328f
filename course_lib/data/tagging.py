"""A GENERATED named-entity tagging set, for Day 05 (batching variable lengths; a BiLSTM tagger).

Why generated: no clean English named-entity corpus ships as an installable package that works offline
(the CoNLL and OntoNotes corpora are licensed and downloaded; the one treebank package we tried ships no
data). So the sentences here are *made up*: entities drawn from Faker (https://github.com/joke2k/faker,
MIT licence) -- person names, cities, US states, countries, company names and dates -- are placed into
hand-written sentence templates, and one to eight clauses are joined into a sentence, so lengths range
from 3 to about 90 words. Every word gets a BIO tag (B-X begins an entity of type X, I-X continues it,
O is outside any entity), with the four types PER, LOC, ORG and DATE.

What makes it a fair exercise for a tagger although it is generated: Faker's cities are often built from
first names ("New Thomas", "Vanessaside"), company names are surnames joined by commas and "and"
("Patrick, Barrera and Collins"), many names in the test split are rare in training, and some templates
("we visited ___ last year") take a person, a place or a company alike -- so neither the words alone
nor the context alone gives every tag away. What it is not: real text. Its
vocabulary is small, its grammar repetitive, and scores on it say nothing about news or web text.

Determinism: the same `seed` gives the same sentences and the same splits (with the pinned Faker
version; another Faker release may draw different entities). Sentences are de-duplicated before they
are split, so no sentence occurs in two splits.
"""
from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence

import torch

from ..text.vocab import Vocab, build_vocab
from .splits import Splits

ENTITY_TYPES: tuple[str, ...] = ("PER", "LOC", "ORG", "DATE")
TAGS: tuple[str, ...] = ("O",) + tuple(f"{bio}-{t}" for t in ENTITY_TYPES for bio in ("B", "I"))

Example = tuple[list[str], list[str]]   # (words, tags), equally long

# One clause each; {PER}, {LOC}, {ORG}, {DATE} are entity slots, {LAST} a surname tagged PER, {ANY} a
# person, place or company (the context cannot tell which: only the words can), {NUM} a number (tag O).
_CLAUSES: tuple[str, ...] = (
    "{PER} joined {ORG} in {LOC} on {DATE}",
    "{PER} was born in {LOC}",
    "the board of {ORG} met on {DATE}",
    "{ORG} opened an office in {LOC}",
    "{PER} met {PER} at the {ORG} headquarters",
    "shares of {ORG} fell sharply",
    "on {DATE} , {PER} flew from {LOC} to {LOC}",
    "{PER} said the deal would close by {DATE}",
    "the weather in {LOC} was mild",
    "nobody expected that",
    "according to {PER} , {ORG} will hire more staff",
    "{LOC} hosted the conference on {DATE}",
    "a spokesperson for {ORG} declined to comment",
    "{PER} moved to {LOC} after leaving {ORG}",
    "Mr {LAST} visited {LOC}",
    "Ms {LAST} spoke to reporters in {LOC}",
    "{PER} and {PER} founded {ORG} in {LOC}",
    "the report was published on {DATE}",
    "sales were flat",
    "{ORG} signed a contract with {ORG}",
    "{PER} works for {ORG}",
    "it rained in {LOC} for most of {DATE}",
    "prices rose again",
    "{PER} , who lives in {LOC} , disagreed",
    "the team from {LOC} won",
    "{PER} called",
    "{ORG} bought a factory near {LOC}",
    "{PER} will visit {LOC} on {DATE}",
    "the meeting ended early",
    "investors in {LOC} sold {ORG} stock",
    "{PER} thanked {PER}",
    "{ORG} reported record profits for {DATE}",
    "we visited {ANY} last year",
    "{ANY} is growing fast",
    "everyone talked about {ANY}",
    "{ANY} was in the news again",
    "the story about {ANY} spread quickly",
    "sales rose {NUM} percent",
    "{NUM} people attended",
)
_JOINERS: tuple[str, ...] = (", and", ", but", "; meanwhile ,", ", while", "because", ". Later ,", "and")
_CLAUSE_COUNTS, _CLAUSE_WEIGHTS = (1, 2, 3, 4, 5, 6, 7, 8), (40, 22, 13, 9, 6, 4, 3, 3)
_DATE_FORMATS: tuple[str, ...] = ("{B} {d} , {Y}", "{d} {B} {Y}", "{iso}", "{B} {Y}", "{A}", "{A} , {B} {d}")


def _faker(seed: int, who: str):
    try:
        from faker import Faker
    except ModuleNotFoundError as err:
        raise ModuleNotFoundError(f"course_lib.data.tagging.{who} needs the 'Faker' package: "
                                  "pip install Faker==40.54.0 (it is in requirements.txt)") from err
    fake = Faker("en_US")
    fake.seed_instance(seed)
    return fake


def _tokens(text: str) -> list[str]:
    """Words of `text`: split on spaces, with commas split off as words of their own."""
    return text.replace(",", " , ").split()


def _entity(kind: str, fake, rng: random.Random) -> list[str]:
    if kind == "PER":
        return _tokens(f"{fake.first_name()} {fake.last_name()}" if rng.random() < 0.8 else fake.last_name())
    if kind == "LAST":
        return [fake.last_name()]
    if kind == "LOC":
        r = rng.random()
        return _tokens(fake.city() if r < 0.6 else fake.state() if r < 0.8 else fake.country())
    if kind == "ORG":
        return _tokens(fake.company())
    if kind == "DATE":
        d = fake.date_object()
        return rng.choice(_DATE_FORMATS).format(B=d.strftime("%B"), d=d.day, Y=d.year, iso=d.isoformat(),
                                                A=d.strftime("%A")).split()
    raise ValueError(f"unknown entity kind {kind!r}")


def _sentence(fake, rng: random.Random) -> Example:
    n = rng.choices(_CLAUSE_COUNTS, weights=_CLAUSE_WEIGHTS)[0]
    words: list[str] = []
    tags: list[str] = []
    for k in range(n):
        if k:
            joiner = rng.choice(_JOINERS).split()
            words += joiner
            tags += ["O"] * len(joiner)
        for piece in rng.choice(_CLAUSES).split():
            if piece == "{NUM}":
                words.append(str(rng.choice([rng.randint(2, 99), rng.randint(100, 5000)])))
                tags.append("O")
            elif piece.startswith("{"):
                kind = piece[1:-1]
                if kind == "ANY":
                    kind = rng.choice(("PER", "LOC", "ORG"))
                entity = _entity(kind, fake, rng)
                label = "PER" if kind == "LAST" else kind
                words += entity
                tags += [f"B-{label}"] + [f"I-{label}"] * (len(entity) - 1)
            else:
                words.append(piece)
                tags.append("O")
    words[0] = words[0][:1].upper() + words[0][1:]
    return words + ["."], tags + ["O"]


def load_tagging(n_train: int = 4000, n_validation: int = 500, n_test: int = 500, seed: int = 0) -> Splits:
    """The generated named-entity set (see the module docstring): Splits of lists of (words, tags) pairs of
    equal length, tags from `TAGS` (BIO scheme).

    Deterministic for a given `seed`; all sentences are distinct, so the splits never overlap."""
    return _distinct_splits(_sentence, "load_tagging", n_train, n_validation, n_test, seed)


def _distinct_splits(sentence: Callable[[object, random.Random], Example], loader: str, n_train: int,
                     n_validation: int, n_test: int, seed: int) -> Splits:
    """n_train + n_validation + n_test distinct sentences drawn from `sentence(fake, rng)`, shuffled and split;
    the same seed gives the same splits."""
    for name, n in (("n_train", n_train), ("n_validation", n_validation), ("n_test", n_test)):
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ValueError(f"{name} must be a non-negative int, got {n!r}")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"seed must be an int, got {seed!r}")
    total = n_train + n_validation + n_test
    fake, rng = _faker(seed, loader), random.Random(seed)
    seen: set[tuple[str, ...]] = set()
    examples: list[Example] = []
    attempts = 0
    while len(examples) < total:
        attempts += 1
        if attempts > 20 * total + 100:
            raise RuntimeError(f"could not generate {total} distinct sentences")
        words, tags = sentence(fake, rng)
        if tuple(words) not in seen:
            seen.add(tuple(words))
            examples.append((words, tags))
    rng.shuffle(examples)
    return Splits(examples[:n_train], examples[n_train:n_train + n_validation], examples[n_train + n_validation:])


def word_vocab(examples: Iterable[Example], min_count: int = 2) -> Vocab:
    """A word vocabulary of tagged sentences (`build_vocab` over their words); rarer words read as <unk>."""
    return Vocab(build_vocab([words for words, _ in examples], min_count), tokenize=str.split)


def encode_examples(examples: Sequence[Example], vocab: Vocab, tags: Sequence[str] = TAGS
                    ) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Each (words, tags) pair as (word ids (L,), tag ids (L,)), both torch.long; unknown words -> <unk>."""
    tag_id = {t: i for i, t in enumerate(tags)}
    out = []
    for words, labels in examples:
        if len(words) != len(labels):
            raise ValueError(f"{len(words)} words but {len(labels)} tags in {' '.join(words)!r}")
        ids = torch.tensor([vocab.stoi.get(w, vocab.unk_id) for w in words], dtype=torch.long)
        out.append((ids, torch.tensor([tag_id[t] for t in labels], dtype=torch.long)))
    return out


# ---------------------------------------------------------------------------------------------------------
# Day 09: a harder generated set, where tag dependencies matter.
#
# Day 05's set is nearly solved word by word (a softmax BiLSTM tagger reaches entity F1 about 0.97). Here
# entities are built mostly from AMBIGUOUS_WORDS -- words that are a first name, a surname, a place and part
# of a company name alike ("Jordan", "Washington", "Morgan Chase") -- so the words of an entity rarely give
# its type away: the context words decide it (PER: "said", "according to"; LOC: "flew to", "the mayor of";
# ORG: "shares of", "hired"), sometimes two or three words away, before or after the entity; a few templates
# ("everyone talked about ___") do not tell the type at all. Entities are one
# to three words long, and some templates put two entities of different types side by side with no word
# between them ("the Morgan Chase Denver branch": ORG then LOC), so where one entity ends is decided by the
# tags around it. Generated the same way as load_tagging (Faker's en_US first and last names, MIT licence,
# for the non-ambiguous names; templates and word lists written for the course); not real text.

HARD_ENTITY_TYPES: tuple[str, ...] = ("PER", "LOC", "ORG")
HARD_TAGS: tuple[str, ...] = ("O",) + tuple(f"{bio}-{t}" for t in HARD_ENTITY_TYPES for bio in ("B", "I"))
AMBIGUOUS_WORDS: tuple[str, ...] = (
    "Jordan", "Washington", "Austin", "Lincoln", "Chase", "Morgan", "Dallas", "Georgia", "Victoria", "Hamilton",
    "Florence", "Madison", "Orlando", "Sydney", "Warren", "Jackson", "Denver", "Charlotte", "Houston", "Clinton",
    "Phoenix", "Kent", "Troy", "Carson",
)
_HARD_CLAUSES: tuple[str, ...] = (
    "{PER} said the talks had failed",
    "according to {PER} , the plan is ready",
    "an interview with {PER} was broadcast",
    "{PER} , aged {NUM} , resigned",
    "we flew to {LOC} last week",
    "the mayor of {LOC} spoke",
    "it snowed in {LOC} again",
    "{LOC} , a city of {NUM} people , voted",
    "shares of {ORG} fell",
    "{ORG} hired {NUM} engineers",
    "the chief executive of {ORG} quit",
    "{ORG} reported record profits",
    "she invested in {ORG}",
    "he grew up in {LOC}",
    "the {ORG} {LOC} branch closed",
    "{LOC} resident {PER} complained",
    "{ORG} founder {PER} retired",
    "{PER} of {ORG} met {PER}",
    "{PER} moved from {LOC} to {LOC}",
    "{ORG} opened an office in {LOC}",
    "talks between {ORG} and {ORG} stalled",
    "{PER} thanked {PER}",
    "everyone talked about {ANY}",
    "{ANY} was in the news again",
    "the story about {ANY} spread quickly",
    "nobody mentioned {ANY} or {ANY}",
)
_HARD_JOINERS: tuple[str, ...] = (", and", ", but", "; meanwhile ,", ", while", "because")
_LOC_WORDS, _ORG_WORDS = ("North", "Falls", "Heights"), ("Group", "Partners", "Holdings", "&")


# Each ambiguous word leans to one type (AMBIGUOUS_WORDS[i] to HARD_ENTITY_TYPES[i % 3]): it is drawn three times
# as often for an entity of that type as for the others. So in a context that does not tell the type, the words
# of one entity can lean to different types ("Jordan Denver": PER, then LOC) and only a consistent reading of
# the whole entity is right.
_LEANING_WEIGHTS: dict[str, list[int]] = {
    kind: [3 if HARD_ENTITY_TYPES[i % 3] == kind else 1 for i in range(len(AMBIGUOUS_WORDS))]
    for kind in HARD_ENTITY_TYPES}


def _hard_entity(kind: str, fake, rng: random.Random) -> list[str]:
    """One to three words; most of them drawn from AMBIGUOUS_WORDS, a few type-revealing words now and then."""
    amb = lambda: rng.choices(AMBIGUOUS_WORDS, weights=_LEANING_WEIGHTS[kind])[0]  # noqa: E731
    if kind == "PER":
        first = amb() if rng.random() < 0.6 else fake.first_name()
        last = amb() if rng.random() < 0.6 else fake.last_name()
        return rng.choice(([first, last], [first, last], [last], [first, amb(), last]))
    if kind == "LOC":
        r = rng.random()
        return [amb()] if r < 0.55 else [amb(), amb()] if r < 0.75 else \
            ["North", amb()] if r < 0.85 else [amb(), rng.choice(_LOC_WORDS[1:])]
    if kind == "ORG":
        r = rng.random()
        return [amb(), amb()] if r < 0.45 else [amb()] if r < 0.6 else [amb(), "&", amb()] if r < 0.75 else \
            [amb(), rng.choice(_ORG_WORDS[:3])] if r < 0.9 else [amb(), amb(), amb()]
    raise ValueError(f"unknown entity kind {kind!r}")


def _hard_sentence(fake, rng: random.Random) -> Example:
    words: list[str] = []
    tags: list[str] = []
    for k in range(rng.choices((1, 2, 3), weights=(45, 35, 20))[0]):
        if k:
            joiner = rng.choice(_HARD_JOINERS).split()
            words += joiner
            tags += ["O"] * len(joiner)
        for piece in rng.choice(_HARD_CLAUSES).split():
            if piece == "{NUM}":
                words.append(str(rng.randint(2, 999)))
                tags.append("O")
            elif piece.startswith("{"):
                kind = piece[1:-1]
                if kind == "ANY":                                  # the context does not tell the type
                    kind = rng.choice(HARD_ENTITY_TYPES)
                entity = _hard_entity(kind, fake, rng)
                words += entity
                tags += [f"B-{kind}"] + [f"I-{kind}"] * (len(entity) - 1)
            else:
                words.append(piece)
                tags.append("O")
    words[0] = words[0][:1].upper() + words[0][1:]
    return words + ["."], tags + ["O"]


def load_hard_tagging(n_train: int = 3000, n_validation: int = 500, n_test: int = 500, seed: int = 0) -> Splits:
    """The harder generated named-entity set of Day 09 (see the comment above HARD_TAGS): Splits of
    (words, tags) pairs, tags from HARD_TAGS (IOB2: every entity starts with B-X). Deterministic for a given
    `seed` (with the pinned Faker version); sentences are distinct, so the splits never overlap."""
    return _distinct_splits(_hard_sentence, "load_hard_tagging", n_train, n_validation, n_test, seed)


def invalid_iob2(tags: Sequence[str]) -> int:
    """How many positions of one tag sequence break IOB2: an I-X that follows neither B-X nor I-X (the first
    position included). 0 for a valid sequence. Tag names must be 'O', 'B-X' or 'I-X'."""
    if isinstance(tags, str) or not isinstance(tags, (list, tuple)):
        raise TypeError(f"invalid_iob2 needs a list of tag names, got {type(tags).__name__}")
    for tag in tags:
        if not isinstance(tag, str) or not (tag == "O" or (tag[:2] in ("B-", "I-") and len(tag) > 2)):
            raise ValueError(f"invalid_iob2: tag names must be 'O', 'B-X' or 'I-X', got {tag!r}")
    bad = 0
    for k, tag in enumerate(tags):
        if tag.startswith("I-"):
            before = tags[k - 1] if k else "O"
            if before not in ("B-" + tag[2:], tag):
                bad += 1
    return bad
