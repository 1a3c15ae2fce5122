"""`tfhub serve` against nginx: 16 concurrent clients downloading a 200 MB model archive.

Run by hand: python3 benchmarks/bench_hub_server.py [--mb 200] [--clients 16] [--runs 3]
                 [--workers 2] [--servers granian,uvicorn] [--loaded]
The same file of a hub folder (ROOT/assets/docs/bench/models/big/1.tar.gz, random bytes) is
fetched by N `curl` processes at once by the hosting protocol
(`/bench/big/1?tf-hub-format=compressed`) from nginx (Debian's package, with the config that
`tfhub serve --print-nginx-config` prints: sendfile, the archive mapping done by nginx; own
config in a temp folder) and from `tfhub serve`. Contenders alternate run by run (the order
rotates by one each run, so no server always goes first); each figure is the aggregate MB/s
(N x size / wall time of the slowest client), the summary gives best and median of the runs for
every server alike. The servers' resident memory (all worker processes) is sampled before and
during the downloads. The condition (idle, or with `--loaded` one CPU-bound busy loop per core,
started by the benchmark, running from the first run to the last), the cores and the load
average are printed beside each figure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import Condition, add_loaded_flag, condition, machine
from _hub_servers import Running, nginx, tfhub_serve

DOC = """# Module bench/big/1
A {mb} MB model archive for the download benchmark.

<!-- asset-path: big.tar.gz -->
<!-- task: benchmark -->
<!-- format: saved_model_2 -->

## Overview
Random bytes.
"""
FILE_PATH = "assets/docs/bench/models/big/1.tar.gz"
HUB_PATH = "bench/big/1?tf-hub-format=compressed"


def make_root(root: str, megabytes: int) -> str:
    folder = os.path.join(root, os.path.dirname(FILE_PATH))
    os.makedirs(folder)
    with open(os.path.join(folder, "1.md"), "w") as file:
        file.write(DOC.format(mb=megabytes))
    path = os.path.join(root, FILE_PATH)
    with open(path, "wb") as file:
        for _ in range(megabytes):
            file.write(os.urandom(1 << 20))
    return path


def download_all(url: str, clients: int, size: int) -> float:
    """Runs `clients` curl processes at once; returns the aggregate MB/s."""
    command = ["curl", "-sS", "-o", "/dev/null", "-w", "%{size_download}\n", url]
    started = time.perf_counter()
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(clients)]
    sizes = [int(proc.communicate()[0].strip() or 0) for proc in procs]
    wall = time.perf_counter() - started
    if any(got != size for got in sizes):
        raise RuntimeError(f"incomplete downloads from {url}: {sizes}")
    return clients * size / 2**20 / wall


def measure(server: Running, url: str, clients: int, size: int) -> tuple[float, float, float]:
    """Returns (MB/s, RSS before MB, peak RSS during MB)."""
    before = server.rss_mb()
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], server.rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        speed = download_all(url, clients, size)
    finally:
        done.set()
        sampler.join()
    return speed, before, peak[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--servers", default="granian,uvicorn")
    add_loaded_flag(parser)
    args = parser.parse_args()
    print(f"before: {machine()}")
    print(
        f"recipe: {args.clients} curl clients at once, {args.mb} MB file, {args.workers} "
        f"workers each, best, median and all of {args.runs} alternated runs"
    )
    with tempfile.TemporaryDirectory(prefix="bench-hub-") as root:
        size = os.path.getsize(make_root(root, args.mb))
        with condition(args.loaded) as cond:
            results = alternated_runs(root, size, args, cond)
            summary(results, cond)


def alternated_runs(
    root: str, size: int, args: argparse.Namespace, cond: Condition
) -> dict[str, list[tuple[float, float, float]]]:
    """(MB/s, RSS before, peak RSS) of each run of each server, the order rotating run by run."""
    results: dict[str, list[tuple[float, float, float]]] = {}
    contenders = [("nginx", None)] + [(name, name) for name in args.servers.split(",") if name]
    for run in range(args.runs):
        shift = run % len(contenders)  # Rotated: each server goes first in turn.
        for name, server in contenders[shift:] + contenders[:shift]:
            if server is None:
                context = nginx(root, workers=args.workers)
            else:
                context = tfhub_serve(root, server=server, workers=args.workers)
            with context as running:
                url = f"{running.base}/{HUB_PATH}"
                measure(running, url, 1, size)  # Warm the page cache.
                result = measure(running, url, args.clients, size)
            results.setdefault(name, []).append(result)
            print(
                f"run {run + 1} {name}: {result[0]:.0f} MB/s, RSS {result[1]:.0f} -> "
                f"{result[2]:.0f} MB | {cond.seen()}",
                flush=True,
            )
    return results


def summary(results: dict[str, list[tuple[float, float, float]]], cond: Condition) -> None:
    """Best and median of every server, against nginx's."""
    reference = max(speed for speed, _, _ in results["nginx"])
    reference_middle = statistics.median(speed for speed, _, _ in results["nginx"])
    print(f"\nafter: {machine()}")
    for name, runs in results.items():
        best = max(speed for speed, _, _ in runs)
        middle = statistics.median(speed for speed, _, _ in runs)
        peaks = max(peak for _, _, peak in runs)
        befores = max(before for _, before, _ in runs)
        all_runs = ", ".join(f"{speed:.0f}" for speed, _, _ in runs)
        print(
            f"{name}: best {best:.0f} MB/s, median {middle:.0f} MB/s (runs {all_runs}), "
            f"{best / reference:.2f}x nginx (best), {middle / reference_middle:.2f}x (median); "
            f"RSS {befores:.0f} MB before the downloads, {peaks:.0f} MB peak | {cond.seen()}"
        )


if __name__ == "__main__":
    main()
