"""`tfhub serve --server granian` stops gracefully (exit 0) on SIGTERM however the signal
reaches its workers (docs/cli.md, docs/hub.md): the suite's flake of session 45.

The suite's `serve_hub` stops the server with SIGTERM to its whole process group, as Ctrl-C in
a terminal and systemd do: each worker stops on its own copy. On a busy machine granian's
supervisor saw its worker gone before its own handler had run, logged "Unexpected exit from
worker-1" and exited 1. Stopping the supervisor (SIGSTOP) while the signal reaches the group
makes it that late every time. And a worker still starting ignored SIGTERM (it ran a copy of the
supervisor's handler), the supervisor's own too, then served: the supervisor waited for ever.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from tests._helpers.hub_server import (
    HubProcess,
    free_port,
    serve_hub,
    write_model_doc,
    write_publisher,
)
from tests._helpers.python_process import start_python

# Run in the `tfhub serve` process before its command: each worker, forked from it, then waits
# in its app factory (its start-up, before granian installs the worker's own signal handlers)
# until the test answers on the Unix socket HOLD; it first sends its PID and the signals it had
# blocked when born (seen by an at-fork hook that runs right after Python's fork fix-ups, before
# any hook tfhub registers).
HOLD_WORKERS = """
import os, signal, socket
import tfhub.hub.app as _app
_born_blocked = []
os.register_at_fork(
    after_in_child=lambda: _born_blocked.extend(signal.pthread_sigmask(signal.SIG_BLOCK, []))
)
_factory = _app.granian_app_from_env
def _held_factory():
    hold = socket.socket(socket.AF_UNIX)
    hold.connect({path!r})
    hold.sendall(" ".join(map(str, [os.getpid(), *map(int, _born_blocked)])).encode())
    hold.recv(1)
    return _factory()
_app.granian_app_from_env = _held_factory
"""


@pytest.fixture(scope="module")
def hub_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hub45")
    write_publisher(root, "test", "Test Lab")
    write_model_doc(root, "test/model/1")
    return root


def _worker_pids(supervisor: int) -> list[int]:
    with open(f"/proc/{supervisor}/task/{supervisor}/children") as children:
        return [int(pid) for pid in children.read().split()]


@contextmanager
def _stopped_while_workers_end(supervisor: int) -> Iterator[None]:
    """Stops the supervisor (SIGSTOP; waits until it is stopped, as its parent can), runs the
    block, waits until every worker has ended, then lets the supervisor go on (SIGCONT): it
    sees the workers gone before it runs its own signal handler."""
    pidfds = [os.pidfd_open(pid) for pid in _worker_pids(supervisor)]  # Readable once ended.
    os.kill(supervisor, signal.SIGSTOP)
    try:
        assert os.WIFSTOPPED(os.waitpid(supervisor, os.WUNTRACED)[1])
        yield
        for fd in pidfds:
            assert select.select([fd], [], [], 10)[0], "a worker did not end"
    finally:
        os.kill(supervisor, signal.SIGCONT)
        for fd in pidfds:
            os.close(fd)


def _assert_stopped_cleanly(log: Path) -> None:
    text = log.read_text()
    assert "Unexpected exit" not in text and "Traceback" not in text, text
    assert "Granian shutdown completed" in text, text


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_to_the_group_seen_late_by_the_supervisor_exits_0(hub_root, tmp_path, workers):
    """The flake: the workers stop on their copy of the group's SIGTERM before the supervisor
    has run its handler (here it is stopped until they have ended). Exit 1 before (19 and 20
    runs of 20), 0 now, and no "Unexpected exit" error in the log."""
    log = tmp_path / "serve.log"
    options = ("--rescan", "0", "--server", "granian", "--workers", workers)
    with serve_hub(hub_root, log, *options) as running:
        assert len(_worker_pids(running.proc.pid)) == int(workers)
        with _stopped_while_workers_end(running.proc.pid):
            os.killpg(running.proc.pid, signal.SIGTERM)
        assert running.proc.wait(timeout=15) == 0, log.read_text()
    _assert_stopped_cleanly(log)


def test_a_worker_stopped_alone_still_ends_the_server_with_exit_1(hub_root, tmp_path):
    """A worker that a signal sent to it alone stopped (exit status 0) is no graceful stop of
    the server: it exits 1, naming the worker and its status, as granian did."""
    log = tmp_path / "serve.log"
    with serve_hub(hub_root, log, "--rescan", "0", "--server", "granian") as running:
        (worker,) = _worker_pids(running.proc.pid)
        os.kill(worker, signal.SIGTERM)
        assert running.proc.wait(timeout=15) == 1, log.read_text()
    text = log.read_text()
    assert "Unexpected exit from worker-1 (exit status 0)" in text, text


class _Holder:
    """Accepts the workers' connections on a Unix socket: lets the first start at once and
    holds the second in its start-up (`held` is set with its PID and connection)."""

    def __init__(self, path: Path) -> None:
        self.listener = socket.socket(socket.AF_UNIX)
        self.listener.bind(str(path))
        self.listener.listen(2)
        self.held = threading.Event()
        self.pid = 0
        self.born_blocked: set[int] = set()
        self.connection: socket.socket | None = None
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        first, _ = self.listener.accept()
        first.recv(32)
        first.sendall(b"g")
        first.close()
        self.connection, _ = self.listener.accept()
        self.pid, *blocked = map(int, self.connection.recv(256).split())
        self.born_blocked = set(blocked)
        self.held.set()

    def close(self) -> None:
        self.listener.close()
        if self.connection is not None:
            self.connection.close()


@contextmanager
def _one_worker_held(hub_root: Path, tmp_path: Path) -> Iterator[tuple[HubProcess, _Holder]]:
    """`tfhub serve --workers 2` with its first worker serving and its second still starting."""
    holder = _Holder(tmp_path / "hold.sock")
    prelude = HOLD_WORKERS.format(path=str(tmp_path / "hold.sock"))
    options = ("--rescan", "0", "--server", "granian", "--workers", "2")
    try:
        with serve_hub(hub_root, tmp_path / "serve.log", *options, prelude=prelude) as running:
            assert holder.held.wait(timeout=30), "the second worker did not start"
            yield running, holder
    finally:
        holder.close()


def test_sigterm_to_the_supervisor_while_a_worker_starts_stops_the_server(hub_root, tmp_path):
    """SIGTERM to the supervisor alone (`kill PID`, `docker stop`) while a worker is still
    starting: that worker ran a copy of the supervisor's handler, which ignored the
    supervisor's SIGTERM, and the supervisor waited for it for ever. It ends at once now (its
    connection to the test closes) and the server exits 0."""
    with _one_worker_held(hub_root, tmp_path) as (running, holder):
        running.proc.send_signal(signal.SIGTERM)
        try:
            code = running.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:  # Hung: `serve_hub` kills it and the held worker.
            pytest.fail(f"tfhub serve did not stop: {(tmp_path / 'serve.log').read_text()}")
        assert code == 0, (tmp_path / "serve.log").read_text()
        assert holder.connection is not None
        holder.connection.settimeout(5)
        assert holder.connection.recv(1) == b"", "the starting worker is still alive"
    _assert_stopped_cleanly(tmp_path / "serve.log")


def test_sigterm_to_the_group_while_a_worker_starts_seen_late_exits_0(hub_root, tmp_path):
    """SIGTERM to the whole group while a worker is still starting, seen by the supervisor
    after both workers ended (it is stopped meanwhile): the starting one ended by the signal
    (it ignored it before, and the server never stopped), the serving one gracefully. Exit 0."""
    with _one_worker_held(hub_root, tmp_path) as (running, holder):
        pids = _worker_pids(running.proc.pid)
        assert holder.pid in pids and len(pids) == 2
        with _stopped_while_workers_end(running.proc.pid):
            os.killpg(running.proc.pid, signal.SIGTERM)
        assert running.proc.wait(timeout=15) == 0, (tmp_path / "serve.log").read_text()
    _assert_stopped_cleanly(tmp_path / "serve.log")


def test_only_the_supervisors_main_thread_takes_the_stop_signals(hub_root, tmp_path):
    """The kernel gives a signal sent to the process to any thread that does not block it;
    Python runs the handler in the main thread only, when that thread next runs Python. Taken
    by a worker's watcher thread (as when the supervisor was stopped), the handler ran after
    the supervisor had decided that a worker failed: exit 1. Every other thread blocks them."""
    blocked = (1 << (signal.SIGINT - 1)) | (1 << (signal.SIGTERM - 1))
    options = ("--rescan", "0", "--server", "granian", "--workers", "2")
    with serve_hub(hub_root, tmp_path / "serve.log", *options) as running:
        supervisor = running.proc.pid
        masks = {}
        for task in os.listdir(f"/proc/{supervisor}/task"):
            with open(f"/proc/{supervisor}/task/{task}/status") as status:
                fields = dict(line.split(":\t", 1) for line in status if ":\t" in line)
            masks[int(task)] = int(fields["SigBlk"], 16)
    assert masks.pop(supervisor) & blocked == 0
    assert len(masks) >= 3  # tfhub's redelivery thread and a watcher per worker.
    assert all(mask & blocked == blocked for mask in masks.values()), masks


def test_a_worker_is_born_with_the_stop_signals_blocked(hub_root, tmp_path):
    """A SIGTERM that reached a new worker before Python's fork fix-ups ran was dropped by
    them (they clear the signals already caught), and the worker went on to serve: the
    supervisor waited for it for ever (2 runs of 20 hung). Workers are forked with the stop
    signals blocked, so such a signal waits for them to be unblocked after the fix-ups."""
    with _one_worker_held(hub_root, tmp_path) as (running, holder):
        assert {signal.SIGINT, signal.SIGTERM} <= holder.born_blocked, holder.born_blocked
        running.proc.send_signal(signal.SIGTERM)
        assert running.proc.wait(timeout=15) == 0, (tmp_path / "serve.log").read_text()


# `tfhub serve ARGS` whose granian supervisor waits, as it starts (before it installs its
# signal handlers, listens or forks a worker), until the test answers on the Unix socket HOLD.
HOLD_SUPERVISOR = """
import socket, sys
import granian.server.common as _common
_startup = _common.AbstractServer.startup
def _held_startup(self, *args):
    hold = socket.socket(socket.AF_UNIX)
    hold.connect({path!r})
    hold.sendall(b"s")
    hold.recv(1)
    return _startup(self, *args)
_common.AbstractServer.startup = _held_startup
{after}
from tfhub.cli.main import main
sys.exit(main(sys.argv[1:]))
"""
# With HOLD_SUPERVISOR: `tfhub serve` waits 1.5 s once its stop signal was declared its end,
# longer than tfhub's redelivery of a stop signal whose KeyboardInterrupt was caught (1 s).
WAIT_AFTER_THE_END = """
import threading
import tfhub.cli.serve as _serve
_the_end = _serve.stop_signal_was_the_end
def _the_end_then_wait():
    _the_end()
    threading.Event().wait(1.5)
_serve.stop_signal_was_the_end = _the_end_then_wait
"""


@pytest.mark.parametrize("after", ["", WAIT_AFTER_THE_END], ids=["at-once", "then-waits"])
def test_sigterm_after_the_serving_line_before_granian_listens_exits_0(hub_root, tmp_path, after):
    """SIGTERM after `tfhub: serving ROOT at URL` but before granian had put its handlers in
    place met the command's own handler: `tfhub: terminated (SIGTERM)`, exit 143 (10 runs of
    10), where uvicorn exits 0. The server stops as on a later SIGTERM now: exit 0. Its caught
    KeyboardInterrupt is not delivered again (within 1 s) while the command ends."""
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(tmp_path / "hold.sock"))
    listener.listen(1)
    listener.settimeout(60)
    code = HOLD_SUPERVISOR.format(path=str(tmp_path / "hold.sock"), after=after)
    port = str(free_port())
    proc = start_python(code, "serve", str(hub_root), "--port", port, "--rescan", "0")
    try:
        held, _ = listener.accept()
        assert held.recv(1) == b"s"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    finally:
        listener.close()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert out.startswith("tfhub: serving") and "terminated" not in err, (out, err)
