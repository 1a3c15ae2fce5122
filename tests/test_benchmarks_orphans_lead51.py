"""A benchmark killed outright (SIGKILL, a test's timeout) leaves none of its servers running.

Session 50 found a `tfhub serve` started by benchmarks/bench_hub_server.py still running after the
benchmark that started it was gone: its servers were stopped only by the benchmark's own `finally`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

# The benchmark stand-in: starts one server as the benchmarks do, prints its pid, waits.
_STARTS = {
    "nginx": (
        "from _hub_servers import nginx\n"
        "import functools\n"
        "start = functools.partial(nginx, workers=1)\n"
        "args = (root,)"
    ),
    "plain_http_server": "from _common import plain_http_server as start\nargs = (root,)",
    "model_server": "from _common import model_server as start\nargs = (root,)",
    "tfhub_serve": (
        "from _hub_servers import tfhub_serve\n"
        "import functools\n"
        "start = functools.partial(tfhub_serve, server='uvicorn', workers=1)\n"
        "args = (root,)"
    ),
}
_CODE = """
import os, sys, time
sys.path.insert(0, sys.argv[1])
root = sys.argv[2]
os.makedirs(os.path.join(root, "assets", "docs"), exist_ok=True)
{start}
with start(*args) as running:
    pid = getattr(running, "pid", None)
    if pid is None:  # The servers that yield a URL: the only child is the server.
        import subprocess
        pid = int(subprocess.run(["pgrep", "-P", str(os.getpid())], capture_output=True,
                                 text=True).stdout.split()[0])
    print(pid, flush=True)
    time.sleep(600)
"""


def _descendants(pid: int) -> list[int]:
    """The processes below `pid` now (its workers), read from /proc."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = [], [pid]
    while todo:
        above = todo.pop()
        below = [child for child, parent in parents.items() if parent == above]
        found += below
        todo += below
    return found


def _alive(pid: int) -> bool:
    """True while `pid` runs (a zombie does not count)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.parametrize("server", sorted(_STARTS))
def test_a_killed_benchmark_leaves_no_server_behind(server, tmp_path):
    code = _CODE.format(start=_STARTS[server])
    bench = subprocess.Popen(
        [sys.executable, "-c", code, str(BENCHMARKS), str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        server_pid = int(bench.stdout.readline())  # type: ignore[union-attr]
        assert _alive(server_pid)
        started = [server_pid, *_descendants(server_pid)]
        os.kill(bench.pid, signal.SIGKILL)
        bench.wait()
        deadline = time.monotonic() + 20
        while any(map(_alive, started)) and time.monotonic() < deadline:
            time.sleep(0.1)
        alive = [pid for pid in started if _alive(pid)]
        for pid in alive:
            os.kill(pid, signal.SIGKILL)
        assert alive == [], f"{server} (pids {started}) outlived the benchmark that started it"
    finally:
        if bench.poll() is None:
            bench.kill()
            bench.wait()
