"""Bug banks: realistic wrong answers, one module per day, keyed by the answer cell's grade_id.

Each entry is (short description, full source of the answer cell as a student would write it).
tests/test_bugbank.py proves every entry loses points, and that every exercise has at least one
wrong answer that only the hidden tests catch."""
