"""Synthetic classes of submissions for tests/test_grader.py: honest answers, realistic bugs, broken files,
runaway code and cheats, each with the outcome the grader must reach."""
