"""Download + extract of a ~200 MB model, tfhub against tensorflow_hub 0.16.1, as users meet it.

One command (a few minutes): python3 benchmarks/bench_download.py [--mb 200] [--runs 3]
    [--rss-mb 50,200,1000] [--workdir DIR (keeps the archives for the next run)]

Recipe (printed with the results):
- the model: saved_model.pb and variables.index (4 KiB each) and one variables shard of float32
  normal noise (trained weights compress about as badly), `--mb` MiB;
- packed two ways: Python's `tarfile` with gzip level 6 (what `tar czf` and publishers' scripts
  make) and ISA-L's igzip at level 2 (fast packers);
- served by a plain `python -m http.server` in another process on 127.0.0.1;
- each measurement is a fresh process and a fresh cache resolving the URL; MB/s is archive
  bytes over the `resolve` call's wall time (imports done before, so TensorFlow's import does
  not count against tensorflow_hub; the modules tfhub imports lazily inside `resolve` count
  against tfhub); tfhub and tensorflow_hub alternate run by run (tfhub first in even runs,
  tensorflow_hub first in odd ones);
- both libraries run with their modules compiled (a `.pyc` cache made by one unmeasured resolve
  of a 1 MiB archive each, before the first measurement), as pip-installed packages have them:
  without it each of tfhub's runs would compile its lazily imported modules (~50 ms here);
- two conditions: idle, and loaded (one CPU-bound busy loop per core, started by the benchmark);
- the machine's gunzip limit, ISA-L inflating the same archive in memory (best of 3), is printed
  beside each figure with the cores and load average;
- peak RSS of tfhub's process for 50 MB, 200 MB and 1 GB archives (`--rss-mb`);
- under each row, tfhub's threads: median CPU seconds and seconds spent waiting on a runqueue
  (the kernel's schedstat), and the share of its runnable time the decoder thread ran.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import sys
import tarfile
import tempfile
from typing import NamedTuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (
    Condition,
    child_env,
    condition,
    inflate_seconds,
    machine,
    plain_http_server,
    run_child_rss,
    with_bytecode,
)

CODE = """
import json, sys, threading, time
import {module} as hub
import requests  # tensorflow_hub imports its HTTP client at import; tfhub does so lazily.
THREADS = {{}}  # name: [CPU s, runqueue wait s] of the threads that ran (kernel schedstat).
def schedstat():
    run, wait, _ = open("/proc/thread-self/schedstat").read().split()
    return int(run) / 1e9, int(wait) / 1e9
def record(name, start):
    end = schedstat()
    totals = THREADS.setdefault(name, [0.0, 0.0])
    totals[0] += end[0] - start[0]
    totals[1] += end[1] - start[1]
def run(self, _run=threading.Thread.run):
    start = schedstat()
    try:
        _run(self)
    finally:
        record(self.name, start)
threading.Thread.run = run
main = schedstat()
started = time.perf_counter()
hub.resolve(sys.argv[1])
elapsed = time.perf_counter() - started
record("caller", main)
peak = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(elapsed, int(peak) // 1024, json.dumps(THREADS, separators=(",", ":")))
"""
RECIPES = ("tarfile-gzip6", "isal-gzip2")
MODULES = ("tfhub", "tensorflow_hub")


class _Weights(io.RawIOBase):
    """`total` bytes of float32 normal noise, produced 16 MiB at a time."""

    def __init__(self, total: int) -> None:
        import numpy as np

        self.rng, self.left, self.buf = np.random.default_rng(0), total, b""

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        while len(self.buf) < n and self.left > 0:
            count = min(16 << 20, self.left) // 4
            self.buf += self.rng.standard_normal(count, dtype="float32").tobytes()
            self.left -= count * 4
        data, self.buf = self.buf[:n], self.buf[n:]
        return data


def _add_model(tar: tarfile.TarFile, megabytes: int) -> None:
    folder = tarfile.TarInfo("variables")
    folder.type = tarfile.DIRTYPE
    tar.addfile(folder)  # tensorflow_hub needs folder members before their files.
    for name in ("saved_model.pb", "variables/variables.index"):
        info = tarfile.TarInfo(name)
        info.size = 4096
        tar.addfile(info, io.BytesIO(os.urandom(4096)))
    info = tarfile.TarInfo("variables/variables.data-00000-of-00001")
    info.size = megabytes << 20
    tar.addfile(info, _Weights(info.size))


def make_archive(path: str, megabytes: int, recipe: str) -> None:
    """Writes the model packed by `recipe` ("tarfile-gzip6" or "isal-gzip2")."""
    if recipe == "tarfile-gzip6":
        with tarfile.open(path, "w:gz", compresslevel=6) as tar:
            _add_model(tar, megabytes)
        return
    from isal import igzip

    with igzip.open(path, "wb", compresslevel=2) as gz, tarfile.open(fileobj=gz, mode="w|") as tar:
        _add_model(tar, megabytes)


def gunzip_limit(path: str) -> float:
    """Returns MB/s (archive bytes) of ISA-L inflating `path` in memory, best of 3."""
    seconds, _ = inflate_seconds(path)
    return os.path.getsize(path) / 2**20 / seconds


class Run(NamedTuple):
    """One resolve in a fresh process: MB/s, peak RSS MB, and per thread [CPU s, runqueue s]."""

    speed: float
    peak_mb: int
    threads: dict[str, list[float]]


def measure_once(module: str, url: str, size_mb: float, work: str) -> Run:
    """Resolves `url` in one fresh process of `module`."""
    cache_dir = os.path.join(work, f"cache-{module}")
    try:
        env = with_bytecode(child_env(TFHUB_CACHE_DIR=cache_dir), os.path.join(work, "pycache"))
        out = run_child_rss(CODE.format(module=module), url, env=env)[2]
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
    # The child's own high-water mark: wait4's ru_maxrss also counts the parent's pages that a
    # forked child held before exec (this parent holds archives in memory).
    elapsed, peak, threads = out.strip().splitlines()[-1].split(" ", 2)
    return Run(size_mb / float(elapsed), int(peak), json.loads(threads))


def thread_summary(runs: list[Run]) -> str:
    """Median CPU s / runqueue-wait s per thread that used CPU, and the decoder's share.

    The share is the decoder's CPU over the time it was runnable (CPU + wait on a runqueue):
    below 1 the scheduler gave its core to other threads (busy loops, our other threads).
    """
    names = sorted({name for run in runs for name in run.threads})
    parts = []
    for name in names:
        cpu = statistics.median(run.threads.get(name, [0.0, 0.0])[0] for run in runs)
        wait = statistics.median(run.threads.get(name, [0.0, 0.0])[1] for run in runs)
        if cpu >= 0.01:
            parts.append(f"{name} {cpu:.2f}/{wait:.2f}")
    decoder = [run.threads.get("tfhub-extract", [0.0, 0.0]) for run in runs]
    shares = [cpu / (cpu + wait) for cpu, wait in decoder if cpu]
    share = f"; decoder ran {statistics.median(shares):.0%} of its runnable time" if shares else ""
    return f"tfhub threads CPU/runqueue-wait s: {', '.join(parts)}{share}"


def _archive(served: str, recipe: str, megabytes: int) -> tuple[str, float]:
    name = f"{recipe}-{megabytes}mb.tar.gz"
    path = os.path.join(served, name)
    if not os.path.exists(path):
        print(f"making {name} ...", flush=True)
        make_archive(path, megabytes, recipe)
    return name, os.path.getsize(path) / 2**20


def warm_up(url: str, served: str, work: str) -> None:
    """One unmeasured resolve per library, which leaves its compiled modules in the cache."""
    shutil.rmtree(os.path.join(work, "pycache"), ignore_errors=True)
    name, size_mb = _archive(served, "isal-gzip2", 1)
    for module in MODULES:
        measure_once(module, url + name, size_mb, work)


def speed_rows(url: str, served: str, args: argparse.Namespace, work: str) -> None:
    for loaded in (False, True):
        with condition(loaded) as cond:
            for recipe in RECIPES:
                name, size_mb = _archive(served, recipe, args.mb)
                limit = gunzip_limit(os.path.join(served, name))
                speeds: dict[str, list[float]] = {module: [] for module in MODULES}
                ours: list[Run] = []
                for run_index in range(args.runs):  # Alternated: load changes hit both.
                    order = MODULES if run_index % 2 == 0 else MODULES[::-1]
                    for module in order:
                        run = measure_once(module, url + name, size_mb, work)
                        speeds[module].append(run.speed)
                        if module == "tfhub":
                            ours.append(run)
                _print_row(cond, recipe, size_mb, limit, speeds)
                print(f"  {thread_summary(ours)}", flush=True)


def _print_row(
    cond: Condition, recipe: str, size_mb: float, limit: float, speeds: dict[str, list[float]]
) -> None:
    ours, theirs = (statistics.median(speeds[module]) for module in MODULES)
    runs = {m: ", ".join(f"{v:.0f}" for v in speeds[m]) for m in MODULES}
    print(
        f"{'loaded' if cond.loops else 'idle':6s} {recipe:13s} {size_mb:5.0f} MB archive | "
        f"tfhub {ours:5.0f} MB/s "
        f"({runs['tfhub']}) | tensorflow_hub {theirs:5.0f} MB/s ({runs['tensorflow_hub']}) | "
        f"ratio {ours / theirs:.2f}x (target {'1.3' if cond.loops else '1.6'}x) | "
        f"gunzip limit {limit:.0f} MB/s, tfhub at {ours / limit:.0%} (target >= 85%) | "
        f"{cond.seen()}",
        flush=True,
    )


def rss_rows(url: str, served: str, args: argparse.Namespace, work: str) -> None:
    for megabytes in (int(value) for value in args.rss_mb.split(",")):
        name, size_mb = _archive(served, "isal-gzip2", megabytes)
        speed, peak, _ = measure_once("tfhub", url + name, size_mb, work)
        print(
            f"peak RSS tfhub, {size_mb:.0f} MB archive: {peak} MB (target <= 100 MB; "
            f"{speed:.0f} MB/s) | {machine()}",
            flush=True,
        )
        if megabytes >= 1000:
            os.remove(os.path.join(served, name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=int, default=200, help="MiB of float32 in the model")
    parser.add_argument("--runs", type=int, default=3, help="runs per library and condition")
    parser.add_argument("--rss-mb", default="50,200,1000", help="model sizes for peak RSS")
    parser.add_argument("--workdir", default=None, help="reuse archives made by an earlier run")
    args = parser.parse_args()
    print("Recipe" + __doc__.split("Recipe")[1], flush=True)
    work = args.workdir or tempfile.mkdtemp(prefix="tfhub-bench-download-")
    served = os.path.join(work, "served")
    os.makedirs(served, exist_ok=True)
    try:
        for recipe in RECIPES:
            _archive(served, recipe, args.mb)
        with plain_http_server(served) as url:
            warm_up(url, served, work)
            speed_rows(url, served, args, work)
            rss_rows(url, served, args, work)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
