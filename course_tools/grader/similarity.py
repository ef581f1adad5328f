"""Copy detection for the review list: every student's answer to each exercise is compared with the course's
reference implementation(s) of that exercise (the exercise registry's `references`, their source through
inspect.getsource; for a class, also its course_lib base classes), with the solution notebook's answer, and with
every other student's answer to the same exercise. The method is MOSS's (Schleimer, Wilkerson, Aiken,
"Winnowing: local algorithms for document fingerprinting", SIGMOD 2003), written out here in a few dozen lines
because no maintained Python library for it is part of the course's environment:

1. **Normalise** the answer cell with Python's own tokenizer (after IPython's cell transforms, so magics do not
   stop it): comments, blank lines and layout disappear, a docstring is dropped, every number becomes `N`,
   every other string `S`, every identifier the student could rename becomes `V`. Kept: keywords, operators,
   builtins (`len`, `sorted`) and attribute names after a dot (`.sort`, `torch.tanh`: a copier cannot rename
   the library's API without changing what the code does). Indentation is kept as block structure (`{`, `}`),
   statement ends as `;`. Renaming variables, reformatting or rewording comments leaves this stream unchanged.
2. **Fingerprint**: hash every run of K consecutive normalised tokens (k-grams), then **winnow**: in every window
   of WINDOW consecutive hashes keep the smallest (the rightmost on ties). Any run of at least
   K + WINDOW - 1 tokens shared by two answers is guaranteed to give them a common fingerprint; runs shorter
   than K tokens never do (that is the noise level).
3. **Discount** what is not the student's: fingerprints that also occur in the released stub of the exercise
   (its signature, docstring, imports), and boilerplate, fingerprints found in more than BOILERPLATE_SHARE of
   the class's answers to that exercise (and in at least BOILERPLATE_MIN of them) — the way every correct
   answer has to be written. What remains are an answer's *own* fingerprints.
4. **Judge** only answers with at least MIN_FINGERPRINTS own fingerprints: a one-line answer (an RNN step is one
   formula) cannot be told apart from an independent one, so it is reported as "too short to judge", never as
   a copy. The score of a pair is the share of the smaller answer's own fingerprints that the other has
   (|A ∩ B| / min(|A|, |B|)): 1.0 when one answer is contained in the other, whatever was added around it.
   A pair scoring at least THRESHOLD goes to the review list.

The threshold and the minimum were set on tests/graderclass/day01_corpus.py (at least 20 independently written
correct answers per Day 01 exercise, in several styles): see tests/course_tools/grader/test_synthetic_class.py,
which prints the false-positive rate and the scores of a pasted-and-renamed reference and of a shared answer.

Answers that copy the reference at run time (inspect.getsource, exec, compile, or the registry's objects
reached through an alias) are the static scan's and the hidden checks' business (scan.py, notebook.rules).
"""
from __future__ import annotations

import builtins
import hashlib
import html
import inspect
import io
import keyword
import textwrap
import tokenize
from dataclasses import dataclass, field

K = 6                    # tokens per k-gram
WINDOW = 4               # winnowing window: shared runs of >= K + WINDOW - 1 = 9 tokens are always found
MIN_FINGERPRINTS = 10    # own fingerprints an answer needs to be judged at all
THRESHOLD = 0.8          # score from which a pair goes to the review list
BOILERPLATE_SHARE = 0.5  # a fingerprint in more than this share of the class's answers is boilerplate ...
BOILERPLATE_MIN = 4      # ... provided it is in at least this many answers

BUILTINS = frozenset(n for n in dir(builtins) if not n.startswith("_"))
DROPPED = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
STUDENT, REFERENCE, SOLUTION = "student", "reference", "solution"


# ------------------------------------------------------------------------------------------- normalising
def _transformed(source: str) -> str:
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - IPython absent or the cell unparsable: tokenize what there is
        return source


def _raw_tokens(source: str) -> list[tokenize.TokenInfo]:
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            out.append(tok)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # an unfinished answer: what was read so far still counts
    return out


def normalise(source: str) -> list[tuple[str, int]]:
    """The answer as a stream of (normalised token, line in `source`) (see the module docstring)."""
    toks = [t for t in _raw_tokens(_transformed(textwrap.dedent(source))) if t.type not in DROPPED]
    out: list[tuple[str, int]] = []
    for i, tok in enumerate(toks):
        before = toks[i - 1] if i else None
        after = toks[i + 1] if i + 1 < len(toks) else None
        if tok.type == tokenize.STRING:
            statement_start = before is None or before.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
            if statement_start and (after is None or after.type == tokenize.NEWLINE):
                continue  # a docstring or a bare string statement
            text = "S"
        elif tok.type == tokenize.NUMBER:
            text = "N"
        elif tok.type == tokenize.NAME:
            if keyword.iskeyword(tok.string) or tok.string in BUILTINS or (before is not None and before.string == "."):
                text = tok.string
            else:
                text = "V"
        elif tok.type == tokenize.NEWLINE:
            if not out or out[-1][0] in (";", "{"):
                continue
            text = ";"
        elif tok.type == tokenize.INDENT:
            text = "{"
        elif tok.type == tokenize.DEDENT:
            text = "}"
        else:
            text = tok.string
        out.append((text, tok.start[0]))
    return out


def _hash(gram: list[tuple[str, int]]) -> int:
    return int.from_bytes(hashlib.blake2b(" ".join(t for t, _ in gram).encode(), digest_size=8).digest(), "big")


def winnow(tokens: list[tuple[str, int]], k: int | None = None,
           window: int | None = None) -> dict[int, list[tuple[int, int]]]:
    """{fingerprint: [(first line, last line) of each k-gram it was chosen from]} by winnowing (K and WINDOW
    by default)."""
    k, window = k or K, window or WINDOW
    hashes = [_hash(tokens[i:i + k]) for i in range(len(tokens) - k + 1)]
    chosen: dict[int, set[int]] = {}
    if not hashes:
        return {}
    for start in range(max(1, len(hashes) - window + 1)):
        block = hashes[start:start + window]
        low = min(block)
        pos = start + max(i for i, h in enumerate(block) if h == low)  # rightmost minimum
        chosen.setdefault(low, set()).add(pos)
    return {h: sorted((tokens[p][1], tokens[p + k - 1][1]) for p in positions) for h, positions in chosen.items()}


# ------------------------------------------------------------------------------------------- comparing
@dataclass
class Answer:
    """One text compared: a student's answer cell, a reference's source or the solution's answer."""
    owner: str    # the student id, the reference's dotted path, or "solution"
    kind: str     # STUDENT, REFERENCE or SOLUTION
    source: str
    prints: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    own: frozenset = frozenset()

    def label(self) -> str:
        return {STUDENT: f"student {self.owner}", REFERENCE: f"course_lib's reference {self.owner}",
                SOLUTION: "the solution notebook's answer"}[self.kind]


@dataclass
class Pair:
    exercise: str
    a: Answer     # always a student
    b: Answer
    score: float
    shared: frozenset

    @property
    def flagged(self) -> bool:
        return self.score >= THRESHOLD

    def reason(self, student: str) -> str:
        other = self.b if student == self.a.owner else self.a
        what = {STUDENT: f"matches student {other.owner}'s answer", REFERENCE: f"matches course_lib's reference "
                f"{other.owner}", SOLUTION: "matches the solution notebook's answer"}[other.kind]
        return f"possible copying: answer to {self.exercise} {what} (similarity {self.score:.2f})"

    def lines(self, answer: Answer) -> set[int]:
        """Lines of `answer` inside a shared fingerprint's k-gram."""
        return {line for h in self.shared for first, last in answer.prints.get(h, []) for line in range(first, last + 1)}


@dataclass
class ExerciseResult:
    exercise: str
    answers: list[Answer]                                   # students, then references and the solution
    too_short: list[str] = field(default_factory=list)      # students not judged (too few own fingerprints)
    pairs: list[Pair] = field(default_factory=list)         # every judged pair, highest score first
    boilerplate: int = 0                                    # fingerprints discounted as boilerplate

    @property
    def flagged(self) -> list[Pair]:
        return [p for p in self.pairs if p.flagged]


def score(a: frozenset, b: frozenset) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def compare_exercise(exercise: str, stub: str, students: dict[str, str], references: dict[str, str],
                     solution: str | None = None) -> ExerciseResult:
    """Every student's answer against the references, the solution and every other student."""
    answers = [Answer(s, STUDENT, src) for s, src in students.items()]
    answers += [Answer(r, REFERENCE, src) for r, src in references.items()]
    if solution is not None:
        answers.append(Answer("solution", SOLUTION, solution))
    stub_prints = set(winnow(normalise(stub))) if stub else set()
    for a in answers:
        a.prints = winnow(normalise(a.source))
    counts: dict[int, int] = {}
    for a in answers:
        if a.kind == STUDENT:
            for h in set(a.prints) - stub_prints:
                counts[h] = counts.get(h, 0) + 1
    n = sum(a.kind == STUDENT for a in answers)
    common = {h for h, c in counts.items() if c >= BOILERPLATE_MIN and c > BOILERPLATE_SHARE * n}
    for a in answers:
        a.own = frozenset(set(a.prints) - stub_prints - common)
    result = ExerciseResult(exercise, answers, boilerplate=len(common))
    judged = [a for a in answers if len(a.own) >= MIN_FINGERPRINTS]
    result.too_short = [a.owner for a in answers if a.kind == STUDENT and len(a.own) < MIN_FINGERPRINTS]
    for i, a in enumerate(judged):
        if a.kind != STUDENT:
            continue
        for b in judged[i + 1:]:
            result.pairs.append(Pair(exercise, a, b, score(a.own, b.own), a.own & b.own))
    result.pairs.sort(key=lambda p: -p.score)
    return result


def reference_source(path: str) -> str:
    """The source of a registry reference; for a class, also that of its course_lib base classes (a student
    who pastes ElmanRNN's machinery pastes Recurrent's)."""
    from course_lib.notebook.registry import resolve
    obj = resolve(path)
    if inspect.isclass(obj):
        parts = [inspect.getsource(c) for c in obj.__mro__
                 if (getattr(c, "__module__", "") or "").startswith("course_lib")]
        return "\n\n".join(textwrap.dedent(p) for p in parts)
    return textwrap.dedent(inspect.getsource(obj))


def references_for(grade_id: str) -> dict[str, str]:
    """{dotted path: source} of an exercise's references; none for an exercise missing from the registry."""
    from course_lib.notebook.registry import RegistryError, exercise
    try:
        paths = exercise(grade_id).references
    except RegistryError:
        return {}
    out = {}
    for path in paths:
        try:
            out[path] = reference_source(path)
        except (OSError, TypeError):  # no Python source to compare with (a built-in)
            continue
    return out


# ------------------------------------------------------------------------------------------- the class
def class_similarity(course, day: str) -> list[ExerciseResult]:
    """Copy detection over every submission of a day in a course folder (the notebook each student handed in,
    found as the grader finds it; unreadable ones are left out)."""
    from course_tools.grader.precheck import load, locate
    from course_tools.notebooks import cells_by_id, nbgrader_meta, read, solution_answer
    solution = read(course.source(day))
    release = read(course.release(day)) if course.release(day).exists() else None
    answer_ids = [gid for gid, c in cells_by_id(solution).items()
                  if nbgrader_meta(c).get("solution") and nbgrader_meta(c).get("grade") is not True
                  and c.cell_type == "code"]
    texts: dict[str, dict[str, str]] = {gid: {} for gid in answer_ids}
    for student, folder in course.submissions(day).items():
        path, _ = locate(folder, day)
        nb, _ = load(path) if path is not None else (None, [])
        if nb is None:
            continue
        cells = cells_by_id(nb)
        for gid in answer_ids:
            if gid in cells and cells[gid].cell_type == "code":
                texts[gid][student] = cells[gid].source
    results = []
    for gid in answer_ids:
        stub = cells_by_id(release)[gid].source if release is not None and gid in cells_by_id(release) else ""
        results.append(compare_exercise(gid, stub, texts[gid], references_for(gid),
                                        solution_answer(cells_by_id(solution)[gid].source)))
    return results


def flags_by_student(results: list[ExerciseResult]) -> dict[str, list[str]]:
    """{student: [review reasons]} for every flagged pair (both students of a pair between students)."""
    out: dict[str, list[str]] = {}
    for res in results:
        for pair in res.flagged:
            for ans in (pair.a, pair.b):
                if ans.kind == STUDENT:
                    out.setdefault(ans.owner, []).append(pair.reason(ans.owner))
    return out


def _side(answer: Answer, marked: set[int]) -> str:
    lines = answer.source.splitlines()
    # numbered lines: no line of the <pre> is blank, so markdown keeps the whole table as one HTML block
    return "\n".join(f"{i + 1:>3}{'»' if i + 1 in marked else ' '} {html.escape(line)}" for i, line in enumerate(lines))


def side_by_side_lines(results: list[ExerciseResult]) -> list[str]:
    """The report's section on copying: per exercise what was judged, then every flagged pair side by side (the
    sources as handed in; » marks the lines inside shared fingerprints)."""
    out = ["## Possible copying", "",
           f"Each answer compared with the exercise's course_lib reference(s), the solution notebook's answer and "
           f"every other student's answer: winnowing fingerprints (k = {K} normalised tokens, window {WINDOW}); "
           f"the stub's and boilerplate fingerprints (in more than {BOILERPLATE_SHARE:.0%} of the answers) "
           f"discounted; answers with fewer than {MIN_FINGERPRINTS} own fingerprints are too short to judge; a pair "
           f"is listed from similarity {THRESHOLD} (course_tools/grader/similarity.py). A listed pair means "
           f"\"look at it\", not \"copied\".", "",
           "| exercise | answers | judged | too short to judge | flagged pairs | highest score |",
           "|---|---|---|---|---|---|"]
    for res in results:
        students = [a for a in res.answers if a.kind == STUDENT]
        top = f"{res.pairs[0].score:.2f}" if res.pairs else "-"
        out.append(f"| {res.exercise} | {len(students)} | {len(students) - len(res.too_short)} | "
                   f"{len(res.too_short)} | {len(res.flagged)} | {top} |")
    for res in results:
        for pair in res.flagged:
            out += ["", f"### {res.exercise}: {pair.a.label()} and {pair.b.label()}: similarity {pair.score:.2f}", "",
                    "<table><tr>" + "".join(f"<th>{html.escape(x.label())}</th>" for x in (pair.a, pair.b))
                    + "</tr><tr>"
                    + "".join(f"<td><pre>{_side(x, pair.lines(x))}</pre></td>" for x in (pair.a, pair.b))
                    + "</tr></table>"]
    return out
