"""The local stack: every component of the system as a process on 127.0.0.1, in dependency order.

``up`` starts what is not already healthy (so running it twice is harmless) and waits for each component;
``down`` stops, in reverse order, only the processes whose pid files it wrote; ``status`` reports each one.
All data, logs and pid files live under one state directory (``.state/`` by default, git-ignored).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pydantic_settings import BaseSettings, SettingsConfigDict

from movierecs.stack.servers import BrokerServer, MongoServer, read_pid, spawn, stop_pid, wait_until

logger = logging.getLogger(__name__)


class StackSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MOVIERECS_STACK_", extra="ignore")

    state_dir: Path = Path(".state")
    host: str = "127.0.0.1"
    kafka_port: int = 9092
    mongo_port: int = 27017
    api_port: int = 8000
    streaming_metrics_port: int = 9108
    events_partitions: int = 3


class Component(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def address(self) -> str: ...

    @property
    def pid_file(self) -> Path: ...

    def is_healthy(self) -> bool: ...

    def start(self) -> None: ...

    def stop(self) -> bool: ...


def http_ok(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= response.status < 300
    except OSError:
        return False


@dataclass
class PythonProcess:
    """A Python service of ours, run with this interpreter, configured only through its environment."""

    name: str
    module_args: list[str]
    env: dict[str, str]
    state_dir: Path
    health_url: str
    address: str
    start_timeout_s: float = 120.0

    @property
    def pid_file(self) -> Path:
        return self.state_dir / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "logs" / f"{self.name}.log"

    def is_healthy(self) -> bool:
        return http_ok(self.health_url)

    def start(self) -> None:
        env = {**os.environ, **self.env}
        spawn([sys.executable, "-m", *self.module_args], self.log_file, self.pid_file, env=env)
        wait_until(self._healthy_or_dead, self.start_timeout_s, f"{self.name} at {self.address}")
        if not self.is_healthy():
            raise RuntimeError(f"{self.name} exited during start-up; see {self.log_file}")

    def _healthy_or_dead(self) -> bool:
        return self.is_healthy() or read_pid(self.pid_file) is None

    def stop(self) -> bool:
        return stop_pid(self.pid_file, timeout_s=30.0)


@dataclass
class LocalStack:
    settings: StackSettings = field(default_factory=StackSettings)
    # Steps run after a component is up (create topics, bootstrap data, train a first model); each is idempotent.
    # A step receives whether ``up`` started the component just now (False: it was already running).
    after_start: dict[str, Callable[[bool], None]] = field(default_factory=dict)

    @property
    def state_dir(self) -> Path:
        return self.settings.state_dir.resolve()

    @property
    def broker(self) -> BrokerServer:
        return BrokerServer(self.state_dir, port=self.settings.kafka_port, host=self.settings.host)

    @property
    def mongo(self) -> MongoServer:
        return MongoServer(self.state_dir, port=self.settings.mongo_port, host=self.settings.host)

    def service_env(self) -> dict[str, str]:
        """The connection settings every service of the stack shares."""
        return {
            "MOVIERECS_KAFKA_BOOTSTRAP_SERVERS": self.broker.address,
            "MOVIERECS_MONGO_URI": self.mongo.uri,
            "MOVIERECS_MODEL_DIR": str(self.state_dir / "models"),
        }

    def api(self) -> PythonProcess:
        host, port = self.settings.host, self.settings.api_port
        return PythonProcess(
            name="api",
            module_args=["movierecs", "serve", "--host", host, "--port", str(port)],
            env=self.service_env(),
            state_dir=self.state_dir,
            health_url=f"http://{host}:{port}/healthz",
            address=f"http://{host}:{port}",
        )

    @property
    def checkpoint_dir(self) -> Path:
        return self.state_dir / "checkpoints" / "streaming"

    def streaming(self) -> PythonProcess:
        host, port = self.settings.host, self.settings.streaming_metrics_port
        return PythonProcess(
            name="streaming",
            module_args=["movierecs_streaming"],
            env={**self.service_env(), "MOVIERECS_CHECKPOINT_LOCATION": str(self.checkpoint_dir),
                 "MOVIERECS_METRICS_PORT": str(port)},
            state_dir=self.state_dir,
            # The driver's metrics server starts once the query runs: it is the job's health signal.
            health_url=f"http://{host}:{port}/metrics",
            address=f"http://{host}:{port}/metrics",
            start_timeout_s=180.0,
        )

    def components(self) -> list[Component]:
        return [self.broker, self.mongo, self.streaming(), self.api()]

    def up(self, echo: Callable[[str], None] = print) -> None:
        (self.state_dir / "logs").mkdir(parents=True, exist_ok=True)
        for component in self.components():
            started = not component.is_healthy()
            if started:
                echo(f"{component.name:<10} starting ...")
                component.start()
                echo(f"{component.name:<10} ready             {component.address}")
            else:
                echo(f"{component.name:<10} already running   {component.address}")
            step = self.after_start.get(component.name)
            if step is not None:
                step(started)

    def down(self, echo: Callable[[str], None] = print) -> None:
        for component in reversed(self.components()):
            stopped = component.stop()
            echo(f"{component.name:<10} {'stopped' if stopped else 'no process of ours running (left alone)'}")

    def status(self) -> list[dict[str, object]]:
        rows: list[dict[str, object]] = []
        for component in self.components():
            pid = read_pid(component.pid_file)
            healthy = component.is_healthy()
            state = "running" if healthy else ("starting/unhealthy" if pid else "stopped")
            if healthy and pid is None:
                state = "running (not ours)"
            rows.append({"name": component.name, "state": state, "address": component.address, "pid": pid})
        return rows


def create_topics(bootstrap: str, topics: list[str], partitions: int) -> None:
    """Create topics if missing (idempotent). The local broker keeps data in memory, so this runs every ``up``."""
    import asyncio

    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    async def create() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            missing = [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in topics
                       if t not in existing]
            if missing:
                await admin.create_topics(missing)
        finally:
            await admin.close()

    asyncio.run(create())


def run_step(name: str, argv: list[str], env: dict[str, str], log_file: Path) -> None:
    """Run a one-shot step of ``up`` (e.g. training a first model), its output appended to a log file."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as log:
        result = subprocess.run(argv, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
                                check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{name} failed (exit {result.returncode}); see {log_file}")


def status_json(stack: LocalStack) -> str:
    return json.dumps(stack.status(), indent=2)


__all__ = ["LocalStack", "StackSettings", "create_topics", "run_step", "status_json"]
