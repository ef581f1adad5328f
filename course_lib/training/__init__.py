"""The one training loop, with optional early stopping on a validation metric (loop), and schedules of
training settings (schedules)."""
