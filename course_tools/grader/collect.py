"""`collect DAY [--zip]`: bring submissions into submitted/ with nbgrader, keeping every version it replaces."""
from __future__ import annotations

import re
import shutil
from datetime import datetime, timezone

from course_tools.grader.course import Course, folder_hash, say, write_json
from course_tools.nbgrader_cli import nbgrader

# what zip_collect / collect log for a file they did not take
SKIPPED = re.compile(r"Skipped (?:submission with no match information provided|notebook with invalid name"
                     r"|submission file with older timestamp)")


def cmd_collect(course: Course, day: str, zip_mode: bool) -> int:
    """nbgrader collect --update (exchange), or zip_collect --force (LMS download in
    downloaded/DAY/archive/). Every submission a newer one replaces is first copied to
    .grader/DAY/history/<time>/<student>/; files that could not be matched to a student are listed in
    .grader/DAY/uncollected.json (the report's review list shows them)."""
    before = {s: folder_hash(f) for s, f in course.submissions(day).items()}
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    backup = course.state(day) / "history" / stamp
    for student, folder in course.submissions(day).items():
        shutil.copytree(folder, backup / student, symlinks=True)
    if zip_mode:
        result = nbgrader(course.root, "zip_collect", day, "--force")
    else:
        result = nbgrader(course.root, "collect", day, "--update")
    after = {s: folder_hash(f) for s, f in course.submissions(day).items()}
    new = sorted(set(after) - set(before))
    changed = sorted(s for s in after if s in before and after[s] != before[s])
    vanished = sorted(set(before) - set(after))
    for student in list(before):
        if student not in changed and student not in vanished:
            shutil.rmtree(backup / student, ignore_errors=True)
    if backup.is_dir() and not any(backup.iterdir()):
        backup.rmdir()
    skipped = [line.split("] ", 1)[-1].strip() for line in result.stderr.splitlines() if SKIPPED.search(line)]
    write_json(course.state(day) / "uncollected.json", skipped)
    say(f"collect {day}: {len(new)} new, {len(changed)} updated, {len(after) - len(new) - len(changed)} unchanged"
        + (f"; previous versions of {', '.join(changed)} kept in {backup.relative_to(course.root)}" if changed else "")
        + (f"; {len(skipped)} file(s) not collected (see the report)" if skipped else ""))
    for line in skipped:
        say(f"  not collected: {line}")
    if vanished:
        say(f"  warning: submissions of {', '.join(vanished)} disappeared; copies kept in {backup}")
    return 0
