"""Synthetic classes of submissions for tests/course_tools/grader/test_synthetic_class.py: honest answers,
realistic bugs, broken files, runaway code and cheats, each with the outcome the grader must reach."""
