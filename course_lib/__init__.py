"""course_lib: the reference code, data, training loop, plots and test helpers the notebooks import.

Modules, by topic:
    runtime    device, seeding, grading budgets, notebook set-up
    checks     helpers for the tests under each exercise (clear failure messages)
    plotting   the course plot style and small plotting helpers
    text       vocabularies (token <-> id)
    data       offline data sets (data.names, ...)
    rnn        the vanilla RNN: NumPy forward/BPTT, torch cell and module matching nn.RNN
    gradients  gradient clipping and measured gradient norms through time
    training   the training loop with clipping, progress bar and history
"""
__version__ = "0.1.0"
