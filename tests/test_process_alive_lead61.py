"""`utils.processes.process_alive`: a zombie is dead, a process whose first thread left while
another still runs (state Z too, in /proc) is alive, and a process named like a stat line is
read by its real state."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tfhub.utils import processes

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="process states are read from Linux's /proc"
)

_LEADER_LEAVES = r"""
import ctypes, sys, threading, time
def work():
    for beat in range(100):
        with open(sys.argv[1], "w") as out:
            out.write(str(beat))
        time.sleep(0.05)
threading.Thread(target=work).start()
time.sleep(0.2)
ctypes.CDLL(None).syscall(60, 0)  # SYS_exit on x86-64: only this (the first) thread ends.
"""


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0].decode()


def _wait_for_state(pid: int, state: str) -> None:
    deadline = time.monotonic() + 30
    while _state(pid) != state:
        assert time.monotonic() < deadline, f"process {pid} never reached state {state}"
        time.sleep(0.02)


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.uname().machine != "x86_64",
    reason="the raw SYS_exit number (60) is x86-64 Linux's",
)
def test_a_process_whose_first_thread_left_while_another_runs_is_alive(tmp_path):
    beat = tmp_path / "beat"
    child = subprocess.Popen([sys.executable, "-c", _LEADER_LEAVES, str(beat)])
    try:
        _wait_for_state(child.pid, "Z")
        first = beat.read_text()
        time.sleep(0.3)
        assert beat.read_text() != first  # Still running code.
        assert processes.process_alive(child.pid)
    finally:
        child.kill()
        child.wait()


def test_a_killed_process_not_yet_reaped_is_dead_and_a_reaped_one_too():
    code = "import ctypes, time; ctypes.CDLL(None).prctl(15, b'x) Z 1 (y', 0, 0, 0); time.sleep(60)"
    child = subprocess.Popen([sys.executable, "-c", code])
    try:
        _wait_for_state(child.pid, "S")
        assert processes.process_alive(child.pid)  # Its name holds ") Z": its state is S.
        child.kill()
        _wait_for_state(child.pid, "Z")
        assert not processes.process_alive(child.pid)
    finally:
        child.kill()
        child.wait()
    assert not processes.process_alive(child.pid)
