"""Running the real nbgrader command line from the course's tools and tests: one clean environment, one runner.

nbgrader exits 0 after some failures (a config file that does not load, no notebook matched) and only logs
them, as `[GenerateAssignmentApp | ERROR] ...`: the runner counts such lines as failures too."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

# Where nbgrader_config.py puts the gradebook and the exchange; NBGRADER_EXECUTION is set by nbgrader only
# inside the kernels it starts (course_lib shortens training then).
COURSE_LOCATION = ("COURSE_GRADEBOOK", "COURSE_EXCHANGE")
ERROR_LINE = re.compile(r"^\s*\[(?:[\w.]+ \| )?(?:ERROR|CRITICAL)\]")


class NbgraderError(RuntimeError):
    """An nbgrader command failed or logged an error; the message ends with the tail of its log."""


def clean_env(*, keep_course_location: bool = True, **extra: str) -> dict[str, str]:
    """The environment for an nbgrader command: this Python's scripts first on PATH (nbgrader starts
    `jupyter` and kernels), NBGRADER_EXECUTION unset. COURSE_GRADEBOOK and COURSE_EXCHANGE are kept (an
    instructor sets them on a shared server) unless `keep_course_location=False` (a throw-away course
    copy that must not reach the real gradebook). `extra` is added last."""
    drop = {"NBGRADER_EXECUTION", *(() if keep_course_location else COURSE_LOCATION)}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def error_lines(log: str) -> list[str]:
    """The lines where nbgrader logged an error."""
    return [line for line in log.splitlines() if ERROR_LINE.match(line)]


def nbgrader(course: Path, *args: str, env: dict[str, str] | None = None, check: bool = True,
             timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run `python -m nbgrader ARGS` in the course folder. With `check`, raise NbgraderError when it exits
    non-zero or logs an error."""
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env or clean_env(),
                            capture_output=True, text=True, timeout=timeout)
    if check and (result.returncode != 0 or error_lines(result.stderr)):
        tail = "\n".join(result.stderr.strip().splitlines()[-15:])
        raise NbgraderError(f"nbgrader {' '.join(args)} failed (exit {result.returncode}):\n{tail}")
    return result
