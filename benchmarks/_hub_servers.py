"""Server processes for the hub benchmarks: `tfhub serve` (granian or uvicorn) and nginx.

Each server runs in its own process group on a free loopback port; `rss_mb()` sums the
resident memory of the server and its children (worker processes) from /proc.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE), os.path.join(os.path.dirname(HERE), "src")]
from _common import child_env, die_with_parent  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, timeout: float = 120.0) -> float:
    """Polls `url` until it answers; returns the seconds waited."""
    started = time.perf_counter()
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                response.read()
                return time.perf_counter() - started
        except urllib.error.HTTPError:
            return time.perf_counter() - started  # An error status is an answer too.
        except OSError:
            if time.perf_counter() - started > timeout:
                raise RuntimeError(f"{url} did not answer within {timeout:g} s") from None
            time.sleep(0.02)


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            continue
        todo.extend(_children(current))
    return total / 1024


@dataclass
class Running:
    name: str
    base: str
    pid: int
    started_s: float

    def rss_mb(self) -> float:
        return tree_rss_mb(self.pid)


@contextmanager
def tfhub_serve(
    root: str, *, server: str, workers: int, extra: tuple[str, ...] = ()
) -> Iterator[Running]:
    """Runs `tfhub serve ROOT` in a child process until the block ends."""
    port = free_port()
    code = "import sys; from tfhub.cli.main import main; sys.exit(main(sys.argv[1:]))"
    args = ["serve", root, "--port", str(port), "--workers", str(workers), "--server", server]
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args, "--no-access-log", *extra],
        env=child_env(),
        stdout=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=die_with_parent(),  # SIGTERM, as the block's end sends, if the benchmark dies.
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base + "/healthz")
        yield Running(f"tfhub serve ({server})", base, proc.pid, time.perf_counter() - started)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextmanager
def nginx(root: str, *, workers: int) -> Iterator[Running]:
    """Runs Debian's nginx with the config `tfhub serve --print-nginx-config` prints.

    Archive requests (`/<publisher>/<model>/<version>?tf-hub-format=compressed`) are answered
    by nginx from ROOT with sendfile; nothing listens on the upstream (never asked here). The
    config is the open hub's (`auth=False`: no `auth_request` to tfhub serve), as `tfhub serve`
    runs here without a token file; with the default (`auth=True`) every archive request would
    ask the absent upstream first and end in a 500.
    """
    from tests._helpers.hub_server import run_nginx

    from tfhub.hub.nginx import nginx_config

    port = free_port()
    upstream = f"127.0.0.1:{free_port()}"
    conf = nginx_config(root, upstream=upstream, listen=f"127.0.0.1:{port}", auth=False)
    with tempfile.TemporaryDirectory(prefix="bench-nginx-") as tmp:
        started = time.perf_counter()
        with run_nginx(
            conf,
            Path(tmp),
            port=port,
            workers=workers,
            access_log=False,
            preexec_fn=die_with_parent(),  # nginx ends (SIGTERM: fast stop) if the benchmark dies.
        ) as base:
            pid = int((Path(tmp) / "nginx.pid").read_text())
            yield Running("nginx", base, pid, time.perf_counter() - started)
