"""Pid files: `down` must only ever signal a process the stack itself started."""

from __future__ import annotations

import os
import subprocess
import sys

from movierecs.stack.servers import read_pid, spawn


def test_a_spawned_process_is_recognised_and_a_reused_pid_is_not(tmp_path):
    pid_file = tmp_path / "sleeper.pid"
    pid = spawn([sys.executable, "-c", "import time; time.sleep(30)"], tmp_path / "sleeper.log", pid_file)
    try:
        assert read_pid(pid_file) == pid
        # Same pid, other start time: what a pid file left from before a reboot looks like.
        recorded_pid, started = pid_file.read_text().split()
        pid_file.write_text(f"{recorded_pid} {int(started) + 1}")
        assert read_pid(pid_file) is None
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)


def test_a_pid_file_without_start_time_or_of_a_dead_process(tmp_path):
    pid_file = tmp_path / "x.pid"
    pid_file.write_text(str(os.getpid()))  # older files (or other writers) hold just the pid
    assert read_pid(pid_file) == os.getpid()
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid_file.write_text(done.stdout.strip())
    assert read_pid(pid_file) is None
    pid_file.write_text("not a pid")
    assert read_pid(pid_file) is None
