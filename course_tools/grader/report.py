"""`report DAY`: grades.csv (nbgrader export, marked where hand grading is still to do) and reports/DAY/ for the
instructor: scores.csv, review.csv, score_distribution.png and report.md. The review list also holds the pairs
of answers the copy detection (similarity.py) finds too alike; report.md shows each such pair side by side."""
from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

from course_tools.grader.course import Course, say, waiting
from course_tools.grader.ledger import FLAGGED, GRADED, Entry, read_ledger
from course_tools.grader.similarity import class_similarity, flags_by_student, side_by_side_lines
from course_tools.nbgrader_cli import nbgrader
from course_tools.notebooks import exercises, grade_id, nbgrader_meta, read

PENDING = "pending"  # a hand-graded cell nobody has graded yet
PROVISIONAL, FINAL = "provisional", "final"


def hand_graded(solution) -> dict[str, float]:
    """{grade_id: points} of the cells graded by hand (the reflections)."""
    return {grade_id(c): float(nbgrader_meta(c)["points"]) for c in solution.cells
            if nbgrader_meta(c).get("grade") and nbgrader_meta(c).get("solution")}


def waiting_for_hand_grading(course: Course) -> dict[tuple[str, str], list[str]]:
    """{(day, student): [hand-graded cells (reflections) still waiting to be graded]} for every submission
    in the gradebook."""
    with course.gradebook() as gb:
        return {(a.name, sub.student.id): [g.name for nb in sub.notebooks for g in nb.grades if waiting(g)]
                for a in gb.assignments for sub in gb.assignment_submissions(a.name)}


def export_grades(course: Course, day: str, book: dict[str, Entry]) -> Path:
    """nbgrader export -> grades.csv, plus two columns: `awaiting_hand_grading` (the cells still to grade by
    hand, with their points) and `score_status`: final, provisional (hand grading to do: the score counts
    those cells as 0), no submission, or, for DAY, not graded (see reports/DAY/review.csv)."""
    path = course.root / "grades.csv"
    nbgrader(course.root, "export", "--to", str(path))
    waiting = waiting_for_hand_grading(course)
    points: dict[str, dict[str, float]] = {}
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        fields, rows = list(reader.fieldnames or []), list(reader)
    for row in rows:
        key = (row["assignment"], row["student_id"])
        if key in waiting:
            if row["assignment"] not in points and course.source(row["assignment"]).exists():
                points[row["assignment"]] = hand_graded(read(course.source(row["assignment"])))
            cells = waiting[key]
            most = points.get(row["assignment"], {})
            row["awaiting_hand_grading"] = "; ".join(f"{c} ({most[c]:g} points)" if c in most else c for c in cells)
            row["score_status"] = PROVISIONAL if cells else FINAL
        else:
            entry = book.get(row["student_id"]) if row["assignment"] == day else None
            row["awaiting_hand_grading"] = ""
            row["score_status"] = "not graded" if entry is not None else "no submission"
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=[*fields, "awaiting_hand_grading", "score_status"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def cmd_report(course: Course, day: str) -> int:
    book = read_ledger(course, day)
    export_grades(course, day, book)
    solution = read(course.source(day))
    exs = exercises(solution)
    tests = [ex["test_id"] for ex in exs]
    points = {ex["test_id"]: float(ex["points"]) for ex in exs}
    manual = hand_graded(solution)
    students = sorted(set(book) | set(course.submissions(day)))
    out = course.root / "reports" / day
    out.mkdir(parents=True, exist_ok=True)
    copies = class_similarity(course, day)
    copied = flags_by_student(copies)
    rows, review, failing = [], [], {t: Counter() for t in tests}
    for student in students:
        entry = book.get(student)
        status, flags = (entry.status, entry.flags) if entry else ("not graded yet", [])
        if copied.get(student):
            flags = [*flags, *copied[student]]
            status = FLAGGED if status == GRADED else status
        scores = course.scores(day, student) or {}
        for t in tests:
            if entry and t in entry.failures and t in scores and scores[t][0] is not None and scores[t][0] < points[t]:
                failing[t][entry.failures[t]] += 1
        waiting = [c for c in manual if c in scores and scores[c][0] is None]
        rows.append({"student": student, "status": status,
                     "total": sum((v[0] or 0) for v in scores.values()) if scores else "",
                     "max": sum(v[1] for v in scores.values()) if scores else "",
                     "score_status": "" if not scores else PROVISIONAL if waiting else FINAL,
                     **{t: "" if t not in scores or scores[t][0] is None else scores[t][0] for t in tests},
                     **{c: "" if c not in scores else PENDING if scores[c][0] is None else scores[c][0]
                        for c in manual},
                     "awaiting_hand_grading": "; ".join(waiting),
                     "needs_review": "yes" if flags else "",
                     "flags": " | ".join(flags)})
        for flag in flags:
            review.append({"student": student, "status": status, "reason": flag})
    uncollected_path = course.state(day) / "uncollected.json"
    for line in (json.loads(uncollected_path.read_text()) if uncollected_path.exists() else []):
        review.append({"student": "(not collected)", "status": "not graded", "reason": line})
    write_csv(out / "scores.csv", rows, ["student", "status", "total", "max", "score_status", *tests, *manual,
                                         "awaiting_hand_grading", "needs_review", "flags"])
    write_csv(out / "review.csv", review, ["student", "status", "reason"])
    plot_distribution(out / "score_distribution.png", day, rows, tests, points)
    lines = report_lines(day, rows, review, tests, points, manual, failing) + ["", *side_by_side_lines(copies)]
    (out / "report.md").write_text("\n".join(lines) + "\n")
    flagged = {r["student"] for r in review}
    say(f"report {day}: grades.csv, {(out / 'report.md').relative_to(course.root)}, scores.csv, review.csv, "
        f"score_distribution.png; {len(flagged)} flagged for review")
    for line in lines[2:lines.index("## Flagged for review", 2) if "## Flagged for review" in lines else None]:
        say("  " + line)
    return 0


def write_csv(path: Path, rows: list[dict], fields: list[str]) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def report_lines(day: str, rows: list[dict], review: list[dict], tests: list[str], points: dict[str, float],
                 manual: dict[str, float], failing: dict[str, Counter]) -> list[str]:
    """report.md: the outcome, hand grading still to do, per exercise the score distribution and the most
    common failing check (the name a course check gives its failure, or the error type), and the
    submissions flagged for review with their reasons."""
    graded = [r for r in rows if r["total"] != ""]
    waiting = [r for r in graded if r["awaiting_hand_grading"]]
    lines = [f"# {day}: grading report", "",
             f"{len(rows)} submissions: {sum(r['status'] == GRADED for r in rows)} graded clean, "
             f"{sum(r['status'] == FLAGGED for r in rows)} graded and flagged, "
             f"{sum(r['status'].startswith('not graded') for r in rows)} not graded. "
             f"Grades: grades.csv (nbgrader export). Plot: score_distribution.png.", ""]
    if manual:
        if waiting:
            lines += [f"**Hand grading to do:** {len(waiting)} of {len(graded)} graded submissions have "
                      f"reflections nobody has graded yet, so their totals are provisional (they count those "
                      f"cells as 0; grades.csv: score_status {PROVISIONAL}). Grade them in the formgrader "
                      f"(`jupyter lab`, menu Nbgrader), then run `report` again.", ""]
        elif graded:
            lines += ["Hand grading: done for every graded submission; the totals are final.", ""]
        lines += ["| graded by hand | points | graded | waiting | mean of graded |", "|---|---|---|---|---|"]
        for cell, most in manual.items():
            done = [r[cell] for r in graded if r[cell] not in ("", PENDING)]
            pending = sum(r[cell] == PENDING for r in graded)
            mean = f"{sum(done) / len(done):.2f}" if done else "-"
            lines.append(f"| {cell} | {most:g} | {len(done)} | {pending} | {mean} |")
        if waiting:
            names = [r["student"] for r in waiting]
            lines += ["", "Waiting for hand grading: " + ", ".join(names[:30])
                      + (f", … {len(names) - 30} more" if len(names) > 30 else "") + "."]
        lines.append("")
    lines += ["| exercise | points | graded | mean | full | partial | zero | most common failing check |",
              "|---|---|---|---|---|---|---|---|"]
    for t in tests:
        values = [r[t] for r in graded if r[t] != ""]
        common = failing[t].most_common(1)
        check = f"{common[0][0]} ({common[0][1]}×)" if common else "-"
        mean = sum(values) / len(values) if values else 0.0
        lines.append(f"| {t} | {points[t]:g} | {len(values)} | {mean:.2f} | "
                     f"{sum(v >= points[t] for v in values)} | {sum(0 < v < points[t] for v in values)} | "
                     f"{sum(v == 0 for v in values)} | {check.replace('|', '/')} |")
    flagged = sorted({r["student"] for r in review})
    lines += ["", "## Flagged for review", "", f"{len(flagged)} submission(s)." if flagged else "None.", ""]
    for student in flagged:
        reasons = [r["reason"] for r in review if r["student"] == student]
        status = next(r["status"] for r in review if r["student"] == student)
        lines.append(f"- **{student}** ({status}): " + "; ".join(reasons[:6])
                     + (f"; … {len(reasons) - 6} more" if len(reasons) > 6 else ""))
    return lines


def plot_distribution(path: Path, day: str, rows: list[dict], tests: list[str], points: dict[str, float]) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    n = len(tests) + 1
    cols = min(4, n)
    fig, axes = plt.subplots((n + cols - 1) // cols, cols, figsize=(3.2 * cols, 2.6 * ((n + cols - 1) // cols)),
                             squeeze=False)
    graded = [r for r in rows if r["total"] != ""]
    panels = [(t, [r[t] for r in graded if r[t] != ""], points[t]) for t in tests]
    panels.append(("total", [r["total"] for r in graded], sum(points.values())))
    for ax, (name, values, most) in zip(axes.flat, panels):
        levels = sorted(set(values) | {0.0, most})
        ax.bar([f"{v:g}" for v in levels], [sum(x == v for x in values) for v in levels], color="#4477aa")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("score", fontsize=8)
        ax.set_ylabel("students", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.suptitle(f"{day}: autograded scores ({len(graded)} graded submissions)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
