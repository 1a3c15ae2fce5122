"""Helpers shared by the benchmarks: child processes with peak RSS, a model server process."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

REPO_SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=REPO_SRC, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("TFHUB_DOWNLOAD_PROGRESS", None)
    env.update(extra)
    return env


def run_child_rss(code: str, *args: str, env: dict[str, str]) -> tuple[float, int, str]:
    """Like run_child but measures this child's own peak RSS through os.wait4."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out = proc.stdout.read()  # type: ignore[union-attr]
    err = proc.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"child failed: {err.decode()[-2000:]}")
    return wall, usage.ru_maxrss // 1024, out.decode()


def median(values: list[float]) -> float:
    return statistics.median(values)


@contextmanager
def model_server(root: str) -> Iterator[str]:
    """Serves `root` from a separate process (so it does not share the client's GIL)."""
    code = (
        "import sys, time; from tfhub.server import serve_models\n"
        "with serve_models(sys.argv[1]) as s:\n"
        "    print(s.url(), flush=True)\n"
        "    time.sleep(10**6)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, root], env=child_env(), stdout=subprocess.PIPE, text=True
    )
    try:
        url = proc.stdout.readline().strip()  # type: ignore[union-attr]
        yield url
    finally:
        proc.kill()
        proc.wait()
