"""Where a notebook runs: device choice, seeding, and the shorter training budget used while grading."""
from __future__ import annotations

import os
import random
import sys
import warnings

import numpy as np
import torch

DEVICE_ENV = "COURSE_DEVICE"
GRADING_ENV = "NBGRADER_EXECUTION"
THREADS_ENV = "COURSE_THREADS"


def get_device() -> torch.device:
    """The device every notebook uses: $COURSE_DEVICE if set ("cpu", "cuda", "cuda:1"), else CUDA when
    available, else the CPU."""
    wanted = os.environ.get(DEVICE_ENV, "").strip()
    if wanted:
        try:
            device = torch.device(wanted)
        except RuntimeError as err:
            raise ValueError(f"{DEVICE_ENV}={wanted!r} is not a device name; use 'cpu' or 'cuda[:N]'") from err
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"{DEVICE_ENV}={wanted!r} but this machine has no CUDA device; unset it or use 'cpu'")
        return device
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch (CPU and CUDA) so a notebook's figures repeat run after run."""
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def is_grading() -> bool:
    """True while nbgrader validates or autogrades this notebook (it sets NBGRADER_EXECUTION)."""
    return bool(os.environ.get(GRADING_ENV))


def budget(full: int, grading: int) -> int:
    """How many steps/epochs a training cell should run: `full` normally, `grading` under nbgrader,
    so that one student's autograde takes seconds, not minutes."""
    if full < 1 or grading < 1:
        raise ValueError(f"budgets must be >= 1, got full={full}, grading={grading}")
    return grading if is_grading() else full


def _warning_to_stdout(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"{category.__name__}: {message}", file=sys.stdout)


def _before_cell(*_: object) -> None:
    from .checks import visible_checks_run

    visible_checks_run(reset=True)


def _after_cell(result: object) -> None:
    """IPython's post_run_cell callback: a cell that ran visible checks and raised nothing says so in one
    line on stdout (never stderr: nbgrader scores a test cell that writes to stderr as failed)."""
    from .checks import visible_checks_run

    count = visible_checks_run(reset=True)
    if count and getattr(result, "success", False) and not is_grading():
        checks = "check" if count == 1 else "checks"
        print(f"✓ {count} visible {checks} passed (graders also run hidden tests)", file=sys.stdout)


def report_passing_checks() -> bool:
    """Let each passing test cell print "✓ N visible checks passed (graders also run hidden tests)".
    Only in an IPython kernel and never while grading, so autograded notebooks stay as they were."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or is_grading():
        return False
    for event, callback in (("pre_run_cell", _before_cell), ("post_run_cell", _after_cell)):
        if callback not in shell.events.callbacks[event]:
            shell.events.register(event, callback)
    return True


def setup_notebook(seed: int = 0, quiet: bool = False) -> torch.device:
    """First cell of every day: seed everything, use one CPU thread ($COURSE_THREADS to change), apply the
    course plot style, send Python warnings to stdout (nbgrader scores a test cell that writes to stderr
    as failed), let a passing test cell say so in one line (not while grading), and return the device."""
    from .plotting import use_course_style

    seed_everything(seed)
    # The course's models are small: one thread avoids thread start-up and oversubscription costs that
    # make tiny matmuls slower, not faster (COURSE_THREADS=N to change).
    torch.set_num_threads(int(os.environ.get(THREADS_ENV, "1")))
    use_course_style()
    warnings.showwarning = _warning_to_stdout
    report_passing_checks()
    device = get_device()
    if not quiet:
        mode = "grading (short training budgets)" if is_grading() else "full"
        print(f"torch {torch.__version__} | device: {device} | seed: {seed} | mode: {mode}")
    return device
