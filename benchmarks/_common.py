"""Helpers shared by the benchmarks: child processes with peak RSS, a model server process, the
machine's limits and the busy machine of `--loaded`."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

REPO_SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")


def die_with_parent() -> Callable[[], None]:
    """Returns a `preexec_fn` for `subprocess.Popen`: the child gets SIGTERM as soon as this
    process ends, however it ends (SIGKILL, a test's timeout), by Linux's PR_SET_PDEATHSIG, so a
    benchmark killed outright leaves none of its servers running. Call it in the thread that
    starts the child and keeps running: the signal follows the starting thread's end."""
    import ctypes
    import signal

    parent = os.getpid()
    libc = ctypes.CDLL(None, use_errno=True)

    def set_parent_death_signal() -> None:
        libc.prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG.
        if os.getppid() != parent:  # The benchmark ended before the call above took effect.
            os._exit(1)

    return set_parent_death_signal


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=REPO_SRC, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("TFHUB_DOWNLOAD_PROGRESS", None)
    env.update(extra)
    return env


def with_bytecode(env: dict[str, str], pycache: str) -> dict[str, str]:
    """`env` where Python keeps compiled modules (in `pycache`), as a pip-installed package has
    them (pip compiles at install); PYTHONDONTWRITEBYTECODE, if set, would make every process
    compile the modules changed since their last `.pyc`."""
    env = dict(env, PYTHONPYCACHEPREFIX=pycache)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def wait_with_usage(proc: subprocess.Popen[Any]) -> Any:
    """Waits for `proc` through os.wait4 and returns its own resource usage (CPU, peak RSS).

    Its exit code is recorded on `proc`: a Popen that still took its child for running warned
    from `__del__`, where a Ctrl-C that landed was swallowed ("Exception ignored") and the
    benchmark ran on. An interrupted wait kills the child first.
    """
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage


def run_child_rss(code: str, *args: str, env: dict[str, str]) -> tuple[float, int, str]:
    """Like run_child but measures this child's own peak RSS through os.wait4."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out = proc.stdout.read()  # type: ignore[union-attr]
    err = proc.stderr.read()  # type: ignore[union-attr]
    usage = wait_with_usage(proc)
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
        [sys.executable, "-c", code, root],
        env=child_env(),
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=die_with_parent(),
    )
    try:
        url = proc.stdout.readline().strip()  # type: ignore[union-attr]
        yield url
    finally:
        proc.kill()
        proc.wait()


def machine() -> str:
    """Returns the machine's limits to print beside a figure: cores and load average now."""
    one, five, _ = os.getloadavg()
    return f"cores {os.cpu_count()}, load {one:.2f}/{five:.2f} (1/5 min)"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def plain_http_server(root: str) -> Iterator[str]:
    """Serves `root` with `python -m http.server` in another process; yields its base URL."""
    import urllib.request

    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "-d", root],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=die_with_parent(),
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url, timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        proc.kill()
        proc.wait()


# A competitor: spins until killed, and ends by itself (within ~0.1 s) once the benchmark that
# started it is gone, even killed by SIGKILL or a test's timeout (its parent changes then).
BUSY_LOOP = (
    "import os, sys\n"
    "parent = int(sys.argv[1])\n"
    "while os.getppid() == parent:\n"
    "    for _ in range(1_000_000): pass\n"
)


@contextmanager
def cpu_load(processes: int) -> Iterator[None]:
    """Runs `processes` CPU-bound competitors (busy loops) while the block runs; they are killed
    when it ends, however it ends (an exception, Ctrl-C)."""
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(processes):
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-c", BUSY_LOOP, str(os.getpid())],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,  # Holds no pipe of the benchmark's open.
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,  # Ctrl-C reaches the benchmark, which stops them.
                )
            )
        time.sleep(0.5)  # Let the scheduler see them.
        yield
    finally:
        for proc in procs:
            proc.kill()
        for proc in procs:
            proc.wait()


def add_loaded_flag(parser: argparse.ArgumentParser) -> None:
    """Adds `--loaded`, the same for every benchmark."""
    parser.add_argument(
        "--loaded",
        action="store_true",
        help="measure on a busy machine: one CPU-bound busy loop per core, started by the "
        "benchmark and stopped when it ends",
    )


class Condition:
    """The machine a figure was measured on: idle, or loaded with `loops` busy loops."""

    def __init__(self, loops: int) -> None:
        self.loops = loops

    @property
    def name(self) -> str:
        """`idle` or `loaded (N busy loops)`."""
        return f"loaded ({self.loops} busy loops)" if self.loops else "idle"

    def seen(self) -> str:
        """The condition and the machine's limits now, to print beside a figure."""
        return f"{self.name}, {machine()}"


@contextmanager
def condition(loaded: bool) -> Iterator[Condition]:
    """The one home of `--loaded`: with `loaded`, one CPU-bound busy loop per core runs while
    the block runs (stopped however the block ends); yields the `Condition` whose `seen()` each
    figure's line prints (read it inside the block, while the competitors still run)."""
    if not loaded:
        yield Condition(0)
        return
    cores = os.cpu_count() or 1
    with cpu_load(cores):
        yield Condition(cores)


def inflate_seconds(path: str) -> tuple[float, str]:
    """The machine's gunzip limit for `path`: seconds ISA-L (zlib without it) takes to inflate
    it in memory in 64 KiB input steps (the fastest step on the reference machine: the output
    stays in the CPU cache), best of 3; and the library's name."""
    try:
        from isal import isal_zlib as inflate_lib

        library = "ISA-L"
    except ImportError:
        import zlib as inflate_lib

        library = "zlib"
    with open(path, "rb") as f:
        data = f.read()
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        inflater = inflate_lib.decompressobj(31)
        for start in range(0, len(data), 64 << 10):
            inflater.decompress(data[start : start + (64 << 10)])
        best = min(best, time.perf_counter() - started)
    return best, library
