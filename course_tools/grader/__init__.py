"""Grade a whole class with the real nbgrader, safely and in parallel: `python -m course_tools.grader <command>`.

Run from the course folder (the one with nbgrader_config.py), or pass --course DIR.

    release   [DAY ...] [--exchange]   nbgrader generate_assignment --force for each day (all by default):
                                       registers it in the gradebook and regenerates notebooks/<day>/;
                                       --exchange also runs nbgrader release_assignment
    collect   DAY [--zip]              nbgrader collect --update (exchange), or with --zip nbgrader zip_collect
                                       --force (LMS download in downloaded/DAY/archive/); every replaced
                                       submission is kept in .grader/DAY/history/<time>/<student>/, unmatched
                                       files are listed
    autograde DAY [--jobs N] [--student ID ...] [--force] [--retry-failed]
              [--cell-timeout S] [--notebook-timeout S] [--memory-mb M] [--keep-sandboxes]
                                       each submission is checked, then graded by `nbgrader autograde` in its
                                       own process and throw-away course copy with caps, then recorded in
                                       the course gradebook by nbgrader (one writer); unchanged submissions
                                       are skipped on a rerun
    feedback  DAY [--exchange]         nbgrader generate_feedback --force, then checks that no hidden test is
                                       in any feedback file; --exchange also runs nbgrader release_feedback
    report    DAY                      nbgrader export -> grades.csv (hand grading still to do marked, totals
                                       marked provisional), and reports/DAY/: scores.csv, review.csv,
                                       score_distribution.png, report.md (per exercise: distribution, most
                                       common failing check; reflections waiting for hand grading;
                                       submissions flagged for review and why; answers too alike to the
                                       course's reference, the solution or another student's, side by side)
    all       DAY [options]            release (if the day is not in the gradebook yet), collect (when an
                                       archive or exchange submissions exist), autograde, feedback, report

The modules, one per job:
    cli            the command line above, and `all`
    course         the course folder, its nbgrader settings, gradebook and submissions; shared helpers
    release        `release`
    collect        `collect`
    precheck       checks before grading: the file, the notebook, locked cells and metadata (repaired)
    scan           the static scan of the student's code
    similarity     copy detection (winnowing fingerprints) for the report's review list
    schedule       `autograde`: what to grade, the parallel loop
    sandbox        the throw-away course copy per submission, its caps and its nbgrader process
    guard_cells    nbgrader preprocessors in the sandbox: inject the guard cells, collect their reports
    kernel_guard   the guard that runs in the student's kernel (its text is sent there)
    ledger         recording grades: the ledger entry per student, the guards' findings in words, nbgrader
    feedback       `feedback` and its leak check
    report         `report`

What autograde guarantees, and how, is in docs/INSTRUCTORS_AT_SCALE.md.
"""
