"""JupyterLab started the way the README says (`python3 course.py lab`), for tests: on a free localhost
port with a token, in throw-away working, exchange and Jupyter folders, stopped afterwards."""
from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COURSE_ID = "seqmodels"


@dataclass
class Lab:
    url: str
    token: str
    work: Path
    exchange: Path
    log: Path

    def request(self, path: str, data: dict | None = None, method: str | None = None,
                body: bytes | None = None, timeout: float = 120) -> tuple[int, bytes]:
        """(status, body) of an authenticated request; form-encodes `data` (a POST)."""
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
        req = urllib.request.Request(f"{self.url}{path}", data=body, method=method,
                                     headers={"Authorization": f"token {self.token}"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def json(self, path: str, data: dict | None = None, method: str | None = None,
             body: bytes | None = None) -> dict:
        status, raw = self.request(path, data, method, body)
        assert status < 400, f"{method or ('POST' if data is not None else 'GET')} {path}: {status} {raw[:500]!r}"
        return json.loads(raw)

    def page_config(self) -> dict:
        """The page config JupyterLab's /lab page hands to the browser (enabled/disabled plugins...)."""
        status, raw = self.request("/lab")
        assert status == 200, status
        match = re.search(rb'<script id="jupyter-config-data" type="application/json">(.*?)</script>', raw, re.S)
        assert match, "no page config in /lab"
        return json.loads(match.group(1))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lab_env(tmp: Path, exchange: Path | None) -> dict[str, str]:
    """The environment of a test lab: this Python first, own Jupyter config and data folders (no user
    settings or workspaces leak in, nbgrader's submit cache stays in tmp), no grading variables."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("NBGRADER_EXECUTION", "COURSE_GRADEBOOK", "COURSE_EXCHANGE", "JUPYTER_CONFIG_PATH")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["COURSE_WORK"] = str(tmp / "work")
    env["JUPYTER_CONFIG_DIR"] = str(tmp / "jupyter-config")
    env["JUPYTER_DATA_DIR"] = str(tmp / "jupyter-data")
    env["JUPYTER_RUNTIME_DIR"] = str(tmp / "jupyter-runtime")
    env["COURSE_GRADEBOOK"] = f"sqlite:///{tmp / 'gradebook.db'}"
    if exchange is not None:
        env["COURSE_EXCHANGE"] = str(exchange)
    return env


def release(days: list[str], env: dict[str, str]) -> None:
    """The instructor's `nbgrader release_assignment DAY` into the exchange named in env."""
    for day in days:
        result = subprocess.run([sys.executable, "-m", "nbgrader", "release_assignment", day], cwd=ROOT,
                                env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0 and "ERROR" not in result.stderr, result.stderr


@contextmanager
def running_lab(tmp: Path, *, instructor: bool = False, exchange_days: list[str] | None = None,
                timeout: float = 90) -> Iterator[Lab]:
    """`python3 course.py lab [--instructor]` (with --no-setup: this Python), started from the course
    folder. With `exchange_days`, a throw-away exchange is configured (COURSE_EXCHANGE) and the
    instructor has released those days into it."""
    exchange = tmp / "exchange" if exchange_days is not None else None
    env = lab_env(tmp, exchange)
    if exchange is not None:
        release(exchange_days, env)
    port, token = free_port(), secrets.token_hex(16)
    log = tmp / ("lab-instructor.log" if instructor else "lab-student.log")
    args = [sys.executable, str(ROOT / "course.py"), "lab", "--no-setup", *(["--instructor"] if instructor else []),
            "--no-browser", "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    lab = Lab(f"http://127.0.0.1:{port}", token, Path(env["COURSE_WORK"]), exchange or Path(), log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{lab.url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"course.py lab did not start in {timeout:.0f} s:\n{log.read_text()[-3000:]}")
                time.sleep(0.25)
        yield lab
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the server (it shuts its kernels down), then to its whole process group if it lingers."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait(timeout=10)
