"""The stack manager against real processes, on ports of its own so it never touches the test servers."""

from __future__ import annotations

import json
import urllib.request

import pytest

from movierecs.stack.manager import LocalStack, StackSettings
from movierecs.stack.servers import read_pid
from tests.integration.helpers import free_port
from tests.integration.serving.conftest import train_and_publish

pytestmark = pytest.mark.integration


def test_up_up_status_down(tmp_path):
    settings = StackSettings(state_dir=tmp_path / "state", kafka_port=free_port(), mongo_port=free_port(),
                             api_port=free_port(), streaming_metrics_port=free_port())
    stack = LocalStack(settings)
    # A published model, as the first `up` leaves one (the bootstrap steps of `movierecs up` are not run here).
    train_and_publish(stack.state_dir / "models", epochs=1)
    lines: list[str] = []
    try:
        stack.up(echo=lines.append)
        assert all(row["state"] == "running" for row in stack.status()), stack.status()
        pids = {row["name"]: row["pid"] for row in stack.status()}

        lines.clear()
        stack.up(echo=lines.append)  # a second `up` changes nothing
        assert all("already running" in line for line in lines), lines
        assert {row["name"]: row["pid"] for row in stack.status()} == pids

        rows = {row["name"]: row for row in stack.status()}
        assert rows["broker"]["address"] == f"127.0.0.1:{settings.kafka_port}"
        assert rows["api"]["address"] == f"http://127.0.0.1:{settings.api_port}"
        with urllib.request.urlopen(f"http://127.0.0.1:{settings.api_port}/readyz", timeout=5) as response:
            readiness = json.load(response)
        assert readiness["status"] == "ready", readiness
        assert readiness["checks"]["broker"] == readiness["checks"]["mongodb"] == "ok"
        assert (settings.state_dir / "logs" / "mongod.log").exists()
    finally:
        stack.down(echo=lines.append)
    assert all(row["state"] == "stopped" for row in stack.status())
    assert all(read_pid(c.pid_file) is None for c in stack.components())


def test_down_leaves_alone_what_it_did_not_start(tmp_path, kafka_bootstrap):
    # The session's broker is running but was not started by this state directory: down must not touch it.
    port = int(kafka_bootstrap.rsplit(":", 1)[1])
    stack = LocalStack(StackSettings(state_dir=tmp_path, kafka_port=port, mongo_port=free_port(),
                                     api_port=free_port()))
    lines: list[str] = []
    stack.down(echo=lines.append)
    assert any(line.startswith("broker") and "left alone" in line for line in lines)
    assert stack.broker.is_healthy()
