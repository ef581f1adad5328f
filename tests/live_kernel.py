"""Run code cells one at a time in one live Jupyter kernel and judge them as nbgrader would:
a cell fails if it raises or writes anything to stderr."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.manager import start_new_kernel


@dataclass
class CellResult:
    ok: bool
    message: str  # the error line ("CheckFailed: ...") or the stderr text when not ok


class LiveKernel:
    def __init__(self, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120):
        self.timeout = timeout
        self.km, self.kc = start_new_kernel(kernel_name="python3", cwd=str(cwd),
                                            env=dict(os.environ, **(env or {})))

    def run(self, source: str) -> CellResult:
        errors: list[str] = []

        def hook(msg: dict) -> None:
            kind, content = msg["header"]["msg_type"], msg["content"]
            if kind == "error":
                errors.append(f"{content['ename']}: {content['evalue']}")
            elif kind == "stream" and content["name"] == "stderr":
                errors.append(f"stderr: {content['text']}")

        reply = self.kc.execute_interactive(source, output_hook=hook, timeout=self.timeout, allow_stdin=False)
        if reply["content"]["status"] != "ok" and not errors:
            errors.append(reply["content"].get("ename", "error"))
        return CellResult(not errors, "\n".join(errors))

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)
