"""Copy detection (course_tools/grader/similarity.py): the normal form ignores what a copier changes, winnowing
finds every long enough shared run, the stub and boilerplate do not count, short answers are not judged, and the
class-wide comparison names the reference, the solution or the other student. The false-positive rate on
independently written correct answers is measured in test_synthetic_class.py."""
from __future__ import annotations

import shutil

import nbformat
import pytest

from course_tools.grader import similarity
from course_tools.grader.course import Course
from course_tools.grader.scan import private_names, release_bindings, scan
from course_tools.grader.similarity import (K, MIN_FINGERPRINTS, THRESHOLD, WINDOW, class_similarity,
                                            compare_exercise, flags_by_student, normalise, reference_source,
                                            side_by_side_lines, winnow)
from course_tools.notebooks import cells_by_id, read, solved
from graderclass.day01_corpus import CORPUS
from support import ROOT

DAY = "day01_rnn"
RELEASE = read(ROOT / "notebooks" / DAY / f"{DAY}.ipynb")
SOLUTION = read(ROOT / "solutions" / DAY / f"{DAY}.ipynb")
STUB = cells_by_id(RELEASE)["clip_grad_norm"].source
CLIP_REFERENCE = "course_lib.gradients.clipping.clip_grad_norm"

ORIGINAL = '''def clip(params, limit):
    """Clip."""
    grads = [p.grad for p in params if p.grad is not None]  # the ones with a gradient
    total = torch.sqrt(sum((g ** 2).sum() for g in grads))
    if total > limit:
        for g in grads:
            g.mul_(limit / (total + 1e-6))
    return total
'''
DISGUISED = '''def clip(ps, m):
    # renamed, reformatted, other comments and constants
    gs = [q.grad for q in ps
          if q.grad is not None]
    n = torch.sqrt(sum((x ** 3).sum() for x in gs))

    if n > m:
        for x in gs:
            x.mul_(m / (n + 0.5))
    return n
'''


def renamed(source: str, names: dict[str, str]) -> str:
    import re
    for old, new in names.items():
        source = re.sub(rf"\b{old}\b", new, source)
    return source


def test_renaming_comments_docstrings_literals_and_layout_do_not_change_the_normal_form() -> None:
    assert [t for t, _ in normalise(ORIGINAL)] == [t for t, _ in normalise(DISGUISED)]
    assert "mul_" in [t for t, _ in normalise(ORIGINAL)], "attribute names (the library's API) are kept"
    assert [t for t, _ in normalise(ORIGINAL)] != [t for t, _ in normalise(ORIGINAL.replace("mul_", "div_"))]


def test_an_unfinished_answer_or_a_magic_still_normalises() -> None:
    assert normalise("def f(x):\n    return (x +")
    assert normalise("%time y = 1\nz = 2\n")


def test_winnowing_finds_every_shared_run_of_k_plus_window_minus_one_tokens() -> None:
    shared = [(f"t{i}", 1) for i in range(K + WINDOW - 1)]
    for before, after in [(3, 5), (0, 7), (11, 2)]:
        a = [(f"a{i}", 1) for i in range(before)] + shared + [(f"b{i}", 1) for i in range(after)]
        b = [(f"c{i}", 1) for i in range(after)] + shared + [(f"d{i}", 1) for i in range(before)]
        assert set(winnow(a)) & set(winnow(b)), (before, after)
    unrelated = [(f"e{i}", 1) for i in range(40)], [(f"f{i}", 1) for i in range(40)]
    assert not set(winnow(unrelated[0])) & set(winnow(unrelated[1]))


def test_a_pasted_and_renamed_reference_is_flagged_naming_the_reference() -> None:
    reference = reference_source(CLIP_REFERENCE)
    pasted = renamed(reference, {"parameters": "params", "grads": "gradients", "total": "norm", "scale": "factor",
                                 "eps": "tiny", "g": "grad"}).replace("clip_grad_norm", "clip_grad_norm", 1)
    res = compare_exercise("clip_grad_norm", STUB, {"mallory": pasted, "honest": CORPUS["clip_grad_norm"][0]},
                           {CLIP_REFERENCE: reference})
    flagged = {(p.a.owner, p.b.owner) for p in res.flagged}
    assert flagged == {("mallory", CLIP_REFERENCE)}, res.pairs
    reason = flags_by_student([res])["mallory"][0]
    assert "answer to clip_grad_norm matches course_lib's reference " + CLIP_REFERENCE in reason, reason
    assert "honest" not in flags_by_student([res])


def test_two_students_sharing_an_answer_are_both_flagged_and_the_solution_is_named() -> None:
    shared = CORPUS["build_vocab"][1]
    students = {"ann": shared, "bob": renamed(shared, {"counts": "tally", "frequent": "rows"}),
                "cy": CORPUS["build_vocab"][4], "dee": CORPUS["build_vocab"][7]}
    solution = cells_by_id(SOLUTION)["build_vocab"].source
    students["eve"] = solution.replace("kept", "chosen")
    res = compare_exercise("build_vocab", cells_by_id(RELEASE)["build_vocab"].source, students, {}, solution)
    flags = flags_by_student([res])
    assert set(flags) == {"ann", "bob", "eve"}, flags
    assert any("matches student bob's answer" in f for f in flags["ann"])
    assert any("matches student ann's answer" in f for f in flags["bob"])
    assert any("matches the solution notebook's answer" in f for f in flags["eve"])


def test_the_stub_does_not_count_and_a_short_answer_is_reported_as_too_short_not_as_a_copy() -> None:
    stub = cells_by_id(RELEASE)["rnn_cell_step"].source
    one_line = stub.replace("    # YOUR CODE HERE\n    raise NotImplementedError()",
                            "    return np.tanh(x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)")
    res = compare_exercise("rnn_cell_step", stub, {"a": stub, "b": stub, "c": one_line, "d": one_line}, {})
    assert sorted(res.too_short) == ["a", "b", "c", "d"] and not res.flagged


def test_boilerplate_shared_by_most_of_the_class_is_discounted() -> None:
    common = "    grads = [p.grad for p in parameters if p.grad is not None]\n"
    bodies = [answer.replace(answer.split("\n", 2)[2], common + answer.split("\n", 2)[2], 1)
              for answer in CORPUS["clip_grad_norm"][:6]]
    with_common = compare_exercise("clip_grad_norm", STUB, {str(i): b for i, b in enumerate(bodies)}, {})
    prints = set(winnow(normalise(common)))
    assert with_common.boilerplate and all(not (a.own & prints) for a in with_common.answers)


def test_a_class_reference_brings_its_course_lib_bases() -> None:
    source = reference_source("course_lib.layers.rnn.ElmanRNN")
    assert "class ElmanRNN" in source and "class Recurrent" in source


def test_code_that_reads_or_runs_course_source_is_flagged_by_the_static_scan() -> None:
    """Pasting at run time needs inspect (or another module that reads source), exec/eval or compile: the scan
    names each in the review list."""
    for source, finding in [
        ("import inspect\nsrc = inspect.getsource(Vocab.encode)\n", "imports inspect"),
        ("from inspect import getsource as g\nsrc = g(Vocab)\n", "imports from inspect"),
        ("exec(SRC)\n", "calls exec()"),
        ("code = compile(SRC, 'x', 'exec')\n", "calls compile()"),
        ("import torch\nlines = torch._sources.get_source_lines_and_file(Vocab)\n", "get_source_lines_and_file"),
    ]:
        nb = solved(RELEASE, SOLUTION, {"encode": "SRC = ''\n" + source})
        found = scan(nb, RELEASE, release_bindings(RELEASE), private_names(SOLUTION))
        assert any(finding in f for f in found), (source, found)


@pytest.fixture
def small_class(tmp_path):
    course = tmp_path / "course"
    (course / "solutions").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / DAY, course / "solutions" / DAY)
    shutil.copytree(ROOT / "notebooks" / DAY, course / "notebooks" / DAY)
    reference = reference_source(CLIP_REFERENCE)
    answers = {
        "ann": {"build_vocab": CORPUS["build_vocab"][2], "clip_grad_norm": CORPUS["clip_grad_norm"][2]},
        "bob": {"build_vocab": CORPUS["build_vocab"][2], "clip_grad_norm": CORPUS["clip_grad_norm"][3]},
        "cy": {"build_vocab": CORPUS["build_vocab"][5],
               "clip_grad_norm": renamed(reference, {"grads": "gs", "total": "n"})},
        "dee": {"build_vocab": CORPUS["build_vocab"][6], "clip_grad_norm": CORPUS["clip_grad_norm"][6]},
    }
    for student, own in answers.items():
        path = course / "submitted" / student / DAY / (f"{DAY}.ipynb" if student != "dee" else "renamed.ipynb")
        path.parent.mkdir(parents=True)
        path.write_text(nbformat.writes(solved(RELEASE, SOLUTION, own)))
    (course / "submitted" / "broken" / DAY).mkdir(parents=True)
    (course / "submitted" / "broken" / DAY / f"{DAY}.ipynb").write_text("{not json")
    return Course(course)


def test_the_class_comparison_flags_the_shared_and_the_pasted_answers_and_shows_them_side_by_side(small_class) -> None:
    results = class_similarity(small_class, DAY)
    assert [r.exercise for r in results] == ["build_vocab", "encode", "rnn_cell_step", "rnn_forward", "rnn_module",
                                             "clip_grad_norm"]
    flags = flags_by_student(results)
    assert sorted(flags) == ["ann", "bob", "cy"], flags
    assert flags["ann"] == [f for f in flags["ann"] if "build_vocab matches student bob's answer" in f]
    assert any(f"clip_grad_norm matches course_lib's reference {CLIP_REFERENCE}" in f for f in flags["cy"])
    # everyone left the other exercises at the solution's text: that is boilerplate of this class, not judged
    lines = "\n".join(side_by_side_lines(results))
    assert "<table>" in lines and "student ann" in lines and "student bob" in lines and "»" in lines
    assert "\n\n" not in lines.split("<table>", 1)[1].split("</table>", 1)[0], "a blank line ends the HTML block"


def test_the_documented_settings_are_the_module_constants() -> None:
    doc = similarity.__doc__
    assert "K + WINDOW - 1" in doc and THRESHOLD >= 0.5 and MIN_FINGERPRINTS >= 1
