"""JupyterLab as `python3 course.py lab` starts it: the nbgrader extensions are installed and enabled,
and the Validate button's server endpoint and the assignment list answer from the course's config."""
from __future__ import annotations

import json
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest

import course
from conftest import DAYS, ROOT, nbgrader_env


def jupyter(*args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "jupyter", *args], cwd=ROOT, env=nbgrader_env(),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)


def test_nbgrader_extensions_are_enabled() -> None:
    server = jupyter("server", "extension", "list")
    for ext in ("nbgrader.server_extensions.validate_assignment", "nbgrader.server_extensions.assignment_list",
                "nbgrader.server_extensions.formgrader"):
        assert re.search(rf"{re.escape(ext)}\s+enabled", server), f"{ext} not enabled:\n{server}"
    lab = jupyter("labextension", "list")
    assert re.search(r"@jupyter/nbgrader v[\d.]+ enabled\s+OK", lab), lab


@pytest.fixture(scope="module")
def lab_server() -> Iterator[tuple[str, str]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(16)
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", *course.LAB_ARGS, "--no-browser", "--ip=127.0.0.1",
         f"--port={port}", f"--IdentityProvider.token={token}"],
        cwd=ROOT, env=nbgrader_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError("jupyter lab did not start within 60 s")
                time.sleep(0.5)
        yield base, token
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def call(base: str, token: str, path: str, data: dict | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(f"{base}{path}", data=body, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_validate_button_endpoint_on_the_release(lab_server: tuple[str, str]) -> None:
    base, token = lab_server
    day = DAYS[0]
    reply = call(base, token, "/assignments/validate", {"path": f"{day}/{day}.ipynb"})
    assert reply["success"] is True, reply
    result = reply["value"]
    assert result.get("failed"), f"validating the untouched release should list failing cells: {result}"


@pytest.mark.slow
def test_assignment_list_reads_the_course_config(lab_server: tuple[str, str]) -> None:
    base, token = lab_server
    reply = call(base, token, "/assignments?course_id=seqmodels")
    assert reply["success"] is True, reply
