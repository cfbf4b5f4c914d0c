"""Run an API server in a child process for a benchmark, on a free port and a topic of the benchmark's own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def api_server(env: dict[str, str], timeout_s: float = 60.0, require_ready: bool = False) -> Iterator[str]:
    """Yield the base URL of a fresh ``movierecs serve`` process configured by ``env`` (ready, if asked)."""
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="movierecs-bench-api-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "movierecs", "serve", "--port", str(port)],
        env={**os.environ, **env, "MOVIERECS_LOG_LEVEL": "WARNING"}, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"benchmark API did not start; see {log.name}") from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)
