"""Training objectives: masked cross-entropy and the teacher-forced sequence loss (cross_entropy); the CTC loss by its forward (alpha) recursion in log
space (ctc)."""
