"""Training objectives: masked cross-entropy and the teacher-forced sequence loss (cross_entropy)."""
