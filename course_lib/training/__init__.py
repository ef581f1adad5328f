"""The one training loop (loop) and schedules of training settings (schedules)."""
