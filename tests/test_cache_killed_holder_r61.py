"""A download killed midway whose process its parent has not reaped yet (a zombie), as a
script that starts resolves side by side and waits for them in turn leaves it, and as every
orphan stays in a container whose first process reaps none (session 61's probes).

A zombie runs no code: its download is over. The next resolve must take the entry over at
once, not wait TFHUB_LOCK_TIMEOUT for a folder that can no longer grow.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz, read_tree
from tests._helpers.http_server import LocalServer, delay, serve_folder
from tests._helpers.python_process import child_env, run_tfhub, start_python

FILES = {"saved_model.pb": os.urandom(200_000), "variables/variables.index": b"index"}
_RESOLVE = "import sys, tfhub; print(tfhub.resolve(sys.argv[1]))"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    folder = tmp_path_factory.mktemp("served_r61")
    make_tar_gz(folder / "m.tar.gz", FILES)
    with serve_folder(os.fspath(folder)) as server:
        yield server


def _is_zombie(pid: int) -> bool:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] == "Z"


def _has_tmp_folder(cache_dir: Path) -> bool:
    return cache_dir.is_dir() and any(name.endswith(".tmp") for name in os.listdir(cache_dir))


def _start_killed_unreaped_resolve(server: LocalServer, cache_dir: Path) -> subprocess.Popen:
    """Starts a resolve whose download stalls midway, kills it once it writes into its
    temporary folder, and returns it unreaped (a zombie)."""
    server.state.behaviours[:] = [delay("m.tar.gz", 30, stall_after=20_000, times=1)]
    server.state.requests.clear()
    env = child_env(TFHUB_CACHE_DIR=str(cache_dir))
    proc = start_python(_RESOLVE, server.url("m.tar.gz"), env=env)
    deadline = time.monotonic() + 30
    while not (server.state.requests and _has_tmp_folder(cache_dir)):  # Its download began.
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    time.sleep(0.3)  # It holds the stalled answer's first bytes.
    os.kill(proc.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while not _is_zombie(proc.pid):  # Dead, not reaped: no wait(), no poll().
        assert time.monotonic() < deadline
        time.sleep(0.02)
    return proc


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc to see a zombie")
def test_a_resolve_after_a_killed_unreaped_download_takes_it_over_at_once(served, tmp_path):
    cache_dir = tmp_path / "cache"
    killed = _start_killed_unreaped_resolve(served, cache_dir)
    try:
        # TFHUB_LOCK_TIMEOUT 60: the wait for a live download's growth; far above the bound here.
        started = time.monotonic()
        done = run_tfhub(
            "resolve", served.url("m.tar.gz"), timeout=20,
            TFHUB_CACHE_DIR=str(cache_dir), TFHUB_LOCK_TIMEOUT="60",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert time.monotonic() - started < 15
        assert read_tree(done.stdout.strip()) == FILES
        assert not [n for n in os.listdir(cache_dir) if n.endswith(".lock")]
    finally:
        killed.communicate()


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc to see a zombie")
def test_cache_info_and_prune_see_the_lock_of_a_killed_unreaped_download_as_a_leftover(
    served, tmp_path
):
    cache_dir = tmp_path / "cache"
    killed = _start_killed_unreaped_resolve(served, cache_dir)
    try:
        info = run_tfhub("cache", "info", TFHUB_CACHE_DIR=str(cache_dir))
        assert "leftovers: 0\n" not in info.stdout, info.stdout
        pruned = run_tfhub("cache", "prune", TFHUB_CACHE_DIR=str(cache_dir))
        assert pruned.returncode == 0, pruned.stderr
        left = [name for name in os.listdir(cache_dir) if name.endswith((".lock", ".tmp"))]
        assert left == [], pruned.stdout
    finally:
        killed.communicate()


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc to see a zombie")
def test_a_staging_folder_of_a_killed_unreaped_copy_is_abandoned_at_once(tmp_path):
    """A gfile cache's staging folder (here on a local path, read through tf.io.gfile) whose
    owner on this host is a zombie is abandoned, not kept until its heartbeat is 24 h old."""
    from tfhub.cache import remote_staging

    staging_dir = os.fspath(tmp_path / f"{'e' * 40}.{'a' * 32}.tmp")
    os.makedirs(staging_dir)
    copier = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 10
        while not _is_zombie(copier.pid):
            assert time.monotonic() < deadline
            time.sleep(0.02)
        owner = {"host": socket.gethostname(), "pid": copier.pid}
        owner |= {"started": time.time(), "heartbeat": time.time()}
        Path(remote_staging.owner_path(staging_dir)).write_text(json.dumps(owner))
        reason = remote_staging.abandoned(staging_dir)
        assert reason == f"its process {copier.pid} on this host is gone"
    finally:
        copier.wait()
