"""`tfhub-module-search` stopped by a signal while it scores a module: shared by the tests of
its Ctrl-C (130) and SIGTERM (143) endings."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests._helpers.python_process import child_env, ctrl_c_as_in_a_terminal
from tests._helpers.raw_server import accept_each


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
    module is being scored (and half a second into its download)."""
    held: list[socket.socket] = []
    listener = accept_each(held.append)
    hanging = f"http://127.0.0.1:{listener.getsockname()[1]}/m.tar.gz"
    argv = [f"--dataset={dataset}#6", f"--module={scored}", f"--module={hanging}"]
    command = [sys.executable, "-m", "tfhub.tools.module_search", *argv]
    with subprocess.Popen(
        command,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ctrl_c_as_in_a_terminal,
    ) as child:
        try:
            lines = []
            for line in child.stderr:  # type: ignore[union-attr]
                lines.append(line)
                if line.startswith(f"tfhub: Scoring {hanging}"):
                    break
            time.sleep(0.5)  # Into the download.
            child.send_signal(stop)
            out, err = child.communicate(timeout=120)
        finally:
            child.kill()
            listener.close()
    return StoppedSearch(child.returncode, out, err, "".join(lines))
