"""The one training loop, with optional early stopping on a validation metric (loop), and schedules of
training settings (schedules), and the benchmark harness behind Day 13's course-in-one-table (benchmark)."""
