"""What a notebook uses around the exercises: set-up and grading budgets (runtime), the check helpers of
the test cells (checks), the course plot style (plotting), and timing (timing)."""
