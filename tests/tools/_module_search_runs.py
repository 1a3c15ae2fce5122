"""`tfhub-module-search` stopped by a signal while it scores a module: shared by the tests of
its Ctrl-C (130) and SIGTERM (143) endings."""

from __future__ import annotations

import signal
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from tests._helpers.raw_server import accept_each
from tests._helpers.warm_python import WarmProcess, start_warm_python

# `python -m tfhub.tools.module_search ARGV` (sys.argv[1:]), as the interpreter runs it.
_MODULE_SEARCH_MAIN = (
    "import runpy\n"
    "runpy.run_module('tfhub.tools.module_search', run_name='__main__', alter_sys=True)\n"
)


@dataclass(frozen=True)
class StoppedSearch:
    """How the search ended: its exit status, stdout, stderr, and the stderr lines read
    before the signal was sent."""

    returncode: int
    out: str
    err: str
    before: str


def stopped_while_scoring(dataset: Path, scored: str, stop: signal.Signals) -> StoppedSearch:
    """Runs module_search over `dataset#6` with the module `scored`, then a module whose
    download hangs (a server that accepts and never answers); sends `stop` once that second
    module is being scored (and half a second into its download). The search runs as `python
    -m` runs it, in a process forked from the warm server (tests/_helpers/warm_python.py:
    TensorFlow imported, SIGINT Python's default handler as in a terminal; the signal reaches
    the search's own pid)."""
    held: list[socket.socket] = []
    listener = accept_each(held.append)
    hanging = f"http://127.0.0.1:{listener.getsockname()[1]}/m.tar.gz"
    argv = [f"--dataset={dataset}#6", f"--module={scored}", f"--module={hanging}"]
    child = start_warm_python(_MODULE_SEARCH_MAIN, *argv)
    try:
        before = _stderr_through(child, f"tfhub: Scoring {hanging}", timeout=240)
        time.sleep(0.5)  # Into the download.
        child.send_signal(stop)
        out, err = child.communicate(timeout=120)
    finally:
        child.kill()
        listener.close()
    return StoppedSearch(child.wait(), out, err, before)


def _stderr_through(child: WarmProcess, start: str, *, timeout: float) -> str:
    """The lines `child` wrote to stderr through the first that starts with `start`, once it has
    (all it wrote if it ended or `timeout` seconds passed first)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = child.stderr.read().splitlines(keepends=True)
        for number, line in enumerate(lines):
            if line.startswith(start) and line.endswith("\n"):
                return "".join(lines[: number + 1])
        if child.poll() is not None or time.monotonic() > deadline:
            return "".join(lines)
        time.sleep(0.05)
