"""Run an API server in a child process for a benchmark, on a free port and a topic of the benchmark's own."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from movierecs.stack.servers import free_port


@dataclass(frozen=True)
class ApiProcess:
    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far (Linux /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def api_server(env: dict[str, str], timeout_s: float = 60.0, require_ready: bool = False) -> Iterator[ApiProcess]:
    """A fresh ``movierecs serve`` process configured by ``env``, once it answers (and is ready, if asked)."""
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="movierecs-bench-api-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "movierecs", "serve", "--port", str(port)],
        env={**os.environ, **env, "MOVIERECS_LOG_LEVEL": "WARNING"}, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    probe = f"{url}/readyz" if require_ready else f"{url}/healthz"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with urllib.request.urlopen(probe, timeout=2):
                    break
            except OSError:  # refused, or an HTTPError such as 503 while not ready
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"benchmark API did not answer {probe}; see {log.name}") from None
                time.sleep(0.2)
        yield ApiProcess(url, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=15)
