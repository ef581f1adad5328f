"""Copy-detection measurements on Day 01, outside nbgrader: the corpus of independently written correct answers
(day01_corpus.py) checked in one live kernel against each exercise's full test cell, and the detector's
false-positive rate on it (every pair of corpus answers, and every corpus answer against the exercise's
references and the solution notebook's answer)."""
from __future__ import annotations

from dataclasses import dataclass, field

from course_tools.grader import similarity
from course_tools.notebooks import cells_by_id, exercises, solution_answer
from graderclass.day01_corpus import CORPUS


def failing_corpus_answers(solution, release_dir) -> list[str]:
    """Run the solution notebook up to its last graded test in a live kernel (grading budgets), then each corpus
    answer followed by its exercise's full test cell (visible and hidden tests); the solution's answer is put
    back after each. Returns 'exercise #i: message' for every corpus answer that fails."""
    from live_kernel import LiveKernel
    graded = {ex["id"]: ex for ex in exercises(solution)}
    last_test = max(i for i, c in enumerate(solution.cells)
                    if c.get("metadata", {}).get("nbgrader", {}).get("grade_id", "").startswith("test_"))
    kernel = LiveKernel(release_dir, env={"NBGRADER_EXECUTION": "autograde"})
    problems = []
    try:
        for cell in solution.cells[:last_test + 1]:
            if cell.cell_type == "code":
                result = kernel.run(cell.source)
                assert result.ok, f"the solution notebook fails in a live kernel:\n{cell.source[:200]}\n{result.message}"
        for gid, answers in CORPUS.items():
            correct = solution_answer(graded[gid]["answer"])
            for i, answer in enumerate(answers):
                result = kernel.run(answer)
                if result.ok:
                    result = kernel.run(graded[gid]["test"])
                if not result.ok:
                    problems.append(f"{gid} #{i}: {result.message[:300]}")
                assert kernel.run(correct).ok
    finally:
        kernel.close()
    return problems


@dataclass
class Rate:
    pairs: int = 0            # pairs compared: corpus x corpus, corpus x (references + solution)
    judged: int = 0           # of which both answers were long enough to judge
    flagged: list = field(default_factory=list)   # (exercise, a, b, score) at or above the threshold
    highest: dict = field(default_factory=dict)   # exercise -> (score, a, b) of its most similar judged pair
    too_short: dict = field(default_factory=dict)  # exercise -> corpus answers too short to judge

    @property
    def rate(self) -> float:
        return len(self.flagged) / self.pairs if self.pairs else 0.0


def false_positive_rate(release, solution) -> Rate:
    """The detector run on each exercise's corpus as if it were a class, with the references and the solution."""
    out = Rate()
    stubs, sols = cells_by_id(release), cells_by_id(solution)
    for gid, answers in CORPUS.items():
        res = similarity.compare_exercise(gid, stubs[gid].source, {f"#{i}": a for i, a in enumerate(answers)},
                                          similarity.references_for(gid), solution_answer(sols[gid].source))
        n, others = len(answers), len(res.answers) - len(answers)
        out.pairs += n * (n - 1) // 2 + n * others
        out.judged += len(res.pairs)
        out.flagged += [(gid, p.a.owner, p.b.owner, p.score) for p in res.flagged]
        out.too_short[gid] = len(res.too_short)
        if res.pairs:
            top = res.pairs[0]
            out.highest[gid] = (top.score, top.a.owner, top.b.owner)
    return out
