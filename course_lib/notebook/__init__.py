"""What a notebook uses around the exercises: set-up and grading budgets (runtime), the check helpers of
the test cells (checks), the course plot style (plotting), timing (timing), what an answer may not call and
the copy key of a reference (rules), and the exercise registry: each exercise's references and bans
(registry)."""
