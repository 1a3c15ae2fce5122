"""Extraction of an archive of many one-byte files: tfhub against GNU tar.

One command (about a minute): python3 benchmarks/bench_extract_small_files.py [--files 20000]

Recipe (printed with the results): a `tarfile` .tar.gz (gzip level 6) of `--files` one-byte
files spread over 100 folders; each run is a fresh process extracting it into an empty folder on
the same filesystem: a Python process running `tfhub._archive.extract_file` (every safety
check, sha256 of each file; Python's start-up counted) against `tar -xzf`; the two alternate
run by run and the folder is removed (and the disk synced) between runs; the figure is the median
wall time, printed with the cores and load average.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import child_env, machine

TFHUB_CODE = """
import sys, time
from tfhub import _archive
started = time.perf_counter()
result = _archive.extract_file(sys.argv[1], sys.argv[2])
print(time.perf_counter() - started, len(result.files))
"""


def make_archive(path: str, files: int) -> None:
    with tarfile.open(path, "w:gz", compresslevel=6) as tar:
        for index in range(files):
            info = tarfile.TarInfo(f"d{index % 100:02d}/f{index}")
            info.size = 1
            tar.addfile(info, io.BytesIO(b"x"))


def run_tfhub(archive: str, target: str) -> float:
    """Returns the whole process's wall time (Python's start and imports included, as tar's)."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", TFHUB_CODE, archive, target],
        env=child_env(),
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def run_tar(archive: str, target: str) -> float:
    started = time.perf_counter()
    subprocess.run(["tar", "-xzf", archive, "-C", target], check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", default=None, help="where to extract (default: the temp dir)")
    args = parser.parse_args()
    if shutil.which("tar") is None:
        raise SystemExit("GNU tar is needed (apt-get install tar)")
    print("Recipe" + __doc__.split("Recipe")[1], flush=True)
    work = tempfile.mkdtemp(prefix="tfhub-bench-small-", dir=args.dir)
    try:
        archive = os.path.join(work, "small.tar.gz")
        make_archive(archive, args.files)
        times: dict[str, list[float]] = {"tfhub": [], "GNU tar": []}
        for _ in range(args.runs):
            for name, run in (("tfhub", run_tfhub), ("GNU tar", run_tar)):
                target = os.path.join(work, "out")
                os.mkdir(target)
                os.sync()  # The last removal's writes land now, not in this run's time.
                times[name].append(run(archive, target))
                shutil.rmtree(target)
        ours, theirs = (statistics.median(times[name]) for name in times)
        runs = {name: ", ".join(f"{value:.2f}" for value in times[name]) for name in times}
        print(
            f"{args.files} one-byte files | tfhub {ours:.2f} s ({runs['tfhub']}) | GNU tar "
            f"{theirs:.2f} s ({runs['GNU tar']}) | ratio {ours / theirs:.2f}x (target <= 1.0x), "
            f"{(ours - theirs) / args.files * 1e6:+.0f} us per file | in {work} | {machine()}",
            flush=True,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
