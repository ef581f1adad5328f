#!/usr/bin/env python3
"""One entry point for the course. Needs only Python 3.11; everything else it installs itself.

    python3 course.py lab     set up (first time only) and open JupyterLab on notebooks/
    python3 course.py test    set up (first time only) and run the whole test suite
    python3 course.py build   rebuild solutions/ from sources/ and regenerate the release notebooks/

Set-up makes a virtual environment in .venv/ and installs the pinned requirements.txt plus this
repository (course_lib, course_tools) in editable mode. It is redone only when requirements.txt or
pyproject.toml change. Extra arguments are passed on: `python3 course.py test -k day01 -x`.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".course-installed"
# Started from the course root so the Validate button and the assignment list read
# nbgrader_config.py; the file browser is rooted at notebooks/ (the student release).
LAB_ARGS = ["--ServerApp.root_dir=notebooks"]
if hasattr(os, "geteuid") and os.geteuid() == 0:  # e.g. inside a container
    LAB_ARGS.append("--allow-root")


def _fingerprint() -> str:
    h = hashlib.sha256()
    for name in ("requirements.txt", "pyproject.toml"):
        h.update((ROOT / name).read_bytes())
    return h.hexdigest()


def ensure_environment() -> None:
    """Create .venv and install the pinned requirements, unless that was already done."""
    if sys.version_info[:2] != (3, 11):
        print(f"warning: the course is pinned for Python 3.11; this is {sys.version.split()[0]}. "
              "If installing fails, use Python 3.11 (or conda: see README).", file=sys.stderr)
    if STAMP.exists() and STAMP.read_text() == _fingerprint():
        return
    if not PY.exists():
        print(f"Creating a virtual environment in {VENV.relative_to(ROOT)}/ ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("Installing the pinned requirements (first time: a minute or two) ...", flush=True)
    subprocess.run([str(PY), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-r", str(ROOT / "requirements.txt"), "-e", str(ROOT)], check=True)
    STAMP.write_text(_fingerprint())


def run(args: list[str]) -> int:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", VIRTUAL_ENV=str(VENV))
    env.pop("NBGRADER_EXECUTION", None)
    return subprocess.run(args, cwd=ROOT, env=env).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"lab", "test", "build"}:
        print(__doc__)
        return 2
    command, extra = argv[0], argv[1:]
    ensure_environment()
    if command == "lab":
        return run([str(PY), "-m", "jupyter", "lab", *LAB_ARGS, *extra])
    if command == "test":
        return run([str(PY), "-m", "pytest", *extra])
    return run([str(PY), "-m", "course_tools.build", *extra])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
