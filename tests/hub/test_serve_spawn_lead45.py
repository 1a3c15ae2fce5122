"""`tfhub serve --server granian --workers 2` with the `spawn` start method (macOS's default;
Python 3.14's forkserver becomes spawn in granian) stops on SIGTERM (session 45): 642b690 forked
workers with the stop signals blocked, and a spawned worker kept them blocked (no fork hook
runs in a new interpreter), so the supervisor's SIGTERM never reached worker 2 and the
supervisor waited for it for ever."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from tests._helpers.hub_server import serve_hub, write_model_doc, write_publisher

STOP_BITS = (1 << (signal.SIGINT - 1)) | (1 << (signal.SIGTERM - 1))


def _spawned_workers(supervisor: int) -> list[int]:
    with open(f"/proc/{supervisor}/task/{supervisor}/children") as children:
        pids = [int(pid) for pid in children.read().split()]
    workers = []
    for pid in pids:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            if b"resource_tracker" not in cmdline.read():
                workers.append(pid)
    return workers


def _blocked(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("SigBlk:"))
    return int(line.split()[1], 16)


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads the workers' masks in /proc")
def test_spawned_workers_take_sigterm_and_the_server_exits_0(tmp_path: Path) -> None:
    root = tmp_path / "hub"
    write_publisher(root, "test", "Test Lab")
    write_model_doc(root, "test/model/1")
    prelude = "import multiprocessing; multiprocessing.set_start_method('spawn')"
    options = ("--server", "granian", "--workers", "2", "--rescan", "0")
    with serve_hub(root, tmp_path / "serve.log", *options, prelude=prelude) as running:
        deadline = time.monotonic() + 60
        while len(_spawned_workers(running.proc.pid)) < 2:
            assert time.monotonic() < deadline, running.access_log()
            time.sleep(0.05)
        for pid in _spawned_workers(running.proc.pid):
            assert not _blocked(pid) & STOP_BITS, (pid, hex(_blocked(pid)))
        os.kill(running.proc.pid, signal.SIGTERM)  # The supervisor only: it stops the workers.
        assert running.proc.wait(timeout=30) == 0, running.access_log()
