"""Extraction of an archive of many one-byte files: tfhub against GNU tar.

One command: python3 benchmarks/bench_extract_small_files.py [--files 20000] [--dir /dev/shm]
[--loaded] (a minute on tmpfs, several on a disk).

Recipe (printed with the results): a `tarfile` .tar.gz (gzip level 6) of `--files` one-byte
files spread over 100 folders; each run is a fresh process extracting it into an empty folder on
the same filesystem: a Python process running `tfhub._archive.extract_file` (every safety
check, sha256 of each file; Python's start-up and imports counted, from compiled bytecode as a
pip install has it: a warm-up import fills a bytecode cache in the work folder; past 1,000
small files a writer process creates them) against `tar -xzf`; the two alternate run by run
(tfhub first in odd-numbered runs, tar first in even-numbered ones).
On a disk, every run's folder is kept until the end: ext4 without a journal (this VM's) skips
inodes freed in the last 30 s one by one when it allocates, so a run made after a removal pays
for it (0.4 s to 4 s of system time for the same 20,000 files); on tmpfs the folder is removed
after each run. Before every run `sync` is called and the dirty and writeback pages are waited
for (until below 1 MB, at most 10 s: other processes may keep writing; what is left is
printed), so no run pays for the last one's writeback. The figure is the median wall time;
each run's CPU time (user+sys of the process and its children: tfhub's writer process, tar's
gzip) is printed beside it, with the cores and load average, and the gunzip limit: the
seconds ISA-L (zlib without it) takes to inflate the same archive in memory, best of 3. Also
printed: tfhub's import +
extraction time measured inside its process (what `hub.resolve` costs in a program already
running) against tar's whole process, and the interpreter's own start-up (`-c pass`, same
environment), which the whole-process figure includes, with the interpreter's path and what its
site imports at start (a `.pth` file may import packages every process then pays for; run it with
the front door's `.venv/bin/python` for a clean environment). With `--loaded`, every run meets
a busy machine: one CPU-bound busy loop per core runs from the first run to the last (the
condition of the issue's "92 s vs 61 s on a busy machine").
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
from _common import (
    add_loaded_flag,
    child_env,
    condition,
    inflate_seconds,
    wait_with_usage,
    with_bytecode,
)

TFHUB_CODE = """
import time
started = time.perf_counter()
import sys
from tfhub import _archive
result = _archive.extract_file(sys.argv[1], sys.argv[2])
print(len(result.files), result.by_worker, time.perf_counter() - started)
"""
DRAINED_KB = 1024  # Dirty + Writeback pages (kB) below which the disk counts as quiet.


def make_archive(path: str, files: int) -> None:
    with tarfile.open(path, "w:gz", compresslevel=6) as tar:
        for index in range(files):
            info = tarfile.TarInfo(f"d{index % 100:02d}/f{index}")
            info.size = 1
            tar.addfile(info, io.BytesIO(b"x"))


def run(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Returns (wall s, CPU s: user+sys of the process and the children it waited for, stdout)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE)
    out = process.stdout.read()  # type: ignore[union-attr]
    usage = wait_with_usage(process)
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({process.returncode})")
    return wall, usage.ru_utime + usage.ru_stime, out.decode().strip()


def tfhub_env(work: str) -> dict[str, str]:
    """The child's environment, with bytecode written to (and read from) a cache in `work`."""
    return with_bytecode(child_env(), os.path.join(work, "pycache"))


def run_tfhub(archive: str, target: str) -> tuple[float, float, str, float]:
    """Whole process (Python's start and imports included, as tar's), and the seconds of the
    import and the extraction inside it (what `hub.resolve` costs in a running program)."""
    env = tfhub_env(os.path.dirname(archive))
    wall, cpu, out = run([sys.executable, "-c", TFHUB_CODE, archive, target], env=env)
    _, by_worker, inside = out.split()
    return wall, cpu, f"writer process wrote {by_worker} files", float(inside)


def run_python(env: dict[str, str]) -> float:
    """Wall seconds of the interpreter alone (`-c pass`, the tfhub side's environment)."""
    return run([sys.executable, "-c", "pass"], env=env)[0]


def _start_imports(env: dict[str, str]) -> str:
    """What the interpreter imports at start beyond a bare start (`-I -S`): its site's `.pth`
    files may import packages (e.g. `certifi`) that every process then pays for."""
    code = "import sys; print(' '.join(sorted(sys.modules)))"
    with_site = set(
        subprocess.run(
            [sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True, check=True
        ).stdout.split()
    )
    bare = set(
        subprocess.run(
            [sys.executable, "-I", "-S", "-c", code], stdout=subprocess.PIPE, text=True, check=True
        ).stdout.split()
    )
    extra = sorted(
        name for name in with_site - bare if "." not in name and not name.startswith("_")
    )
    return f"site imports {len(with_site - bare)} modules at start ({', '.join(extra[:8])})"


def run_tar(archive: str, target: str) -> tuple[float, float, str, float]:
    wall, cpu, out = run(["tar", "-xzf", archive, "-C", target])
    return wall, cpu, out, wall


def gunzip_limit(path: str) -> str:
    """The seconds ISA-L (or zlib) takes to inflate `path` in memory, best of 3, as text."""
    seconds, library = inflate_seconds(path)
    return f"gunzip limit ({library}, in memory) {seconds * 1000:.1f} ms"


def dirty_kb() -> int:
    """Dirty + Writeback pages of the machine, in kB (/proc/meminfo)."""
    with open("/proc/meminfo") as f:
        fields = dict(line.split(":", 1) for line in f)
    return sum(int(fields[name].split()[0]) for name in ("Dirty", "Writeback"))


def quiet_disk() -> tuple[float, int]:
    """Syncs (which waits for the writeback it starts), then waits up to 10 s more for what is
    still dirty to drain (other processes may keep writing); returns (seconds, kB left)."""
    started = time.perf_counter()
    os.sync()
    while dirty_kb() > DRAINED_KB and time.perf_counter() - started < 10:
        time.sleep(0.1)
    return time.perf_counter() - started, dirty_kb()


def fs_type(path: str) -> str:
    """The filesystem type of `path` (from /proc/mounts: the longest mount point above it)."""
    best, kind, real = "", "?", os.path.realpath(path)
    with open("/proc/mounts") as f:
        for line in f:
            _, point, fstype = line.split()[:3]
            if real.startswith(point.rstrip("/") + "/") and len(point) > len(best):
                best, kind = point, fstype
    return kind


def alternate_runs(
    archive: str, work: str, runs: int, *, keep: bool
) -> tuple[dict[str, list[float]], dict[str, list[float]], list[float], list[float]]:
    """Extracts `archive` `runs` times with tfhub and with tar, alternated, into folders of
    `work` (removed after each run unless `keep`), printing each run.

    Returns:
        (wall s per tool, CPU s per tool, tfhub's import + extraction inside its process, the
        interpreter's start alone), one value per run.
    """
    times: dict[str, list[float]] = {"tfhub": [], "GNU tar": []}
    cpu: dict[str, list[float]] = {"tfhub": [], "GNU tar": []}
    inside: list[float] = []  # tfhub's import + extraction, inside its process.
    bare: list[float] = []  # The interpreter alone.
    contenders = (("tfhub", run_tfhub), ("GNU tar", run_tar))
    for index in range(runs):
        for name, runner in contenders if index % 2 == 0 else contenders[::-1]:
            target = os.path.join(work, f"out-{index}-{name[-3:]}")
            os.mkdir(target)
            waited, left = quiet_disk()  # Earlier writes land now, not in this run.
            wall, used, note, own = runner(archive, target)
            times[name].append(wall)
            cpu[name].append(used)
            if name == "tfhub":
                inside.append(own)
                bare.append(run_python(tfhub_env(work)))
                note += f", import + extraction {own:.2f} s, interpreter alone {bare[-1]:.3f} s"
            print(
                f"  run {index + 1} {name}: {wall:.2f} s wall, {used:.2f} s CPU {note} "
                f"(synced, waited {waited:.1f} s, {left} kB dirty left; load "
                f"{os.getloadavg()[0]:.2f})",
                flush=True,
            )
            if not keep:
                shutil.rmtree(target)
    return times, cpu, inside, bare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", default=None, help="where to extract (default: the temp dir)")
    add_loaded_flag(parser)
    args = parser.parse_args()
    if shutil.which("tar") is None:
        raise SystemExit("GNU tar is needed (apt-get install tar)")
    print("Recipe" + __doc__.split("Recipe")[1], flush=True)
    work = tempfile.mkdtemp(prefix="tfhub-bench-small-", dir=args.dir)
    try:
        archive = os.path.join(work, "small.tar.gz")
        make_archive(archive, args.files)
        warm = [sys.executable, "-c", "import tfhub._archive"]
        subprocess.run(warm, env=tfhub_env(work), check=True)  # Compiles the bytecode once.
        keep = fs_type(work) != "tmpfs"
        print(f"Outputs: {'kept until the end' if keep else 'removed after each run'}.")
        with condition(args.loaded) as cond:
            times, cpu, inside, bare = alternate_runs(archive, work, args.runs, keep=keep)
            seen = f"{gunzip_limit(archive)} | {cond.seen()}"  # Under the same load.
        ours, theirs = (statistics.median(times[name]) for name in times)
        runs = {name: ", ".join(f"{value:.2f}" for value in times[name]) for name in times}
        cpu_median = {name: statistics.median(cpu[name]) for name in cpu}
        print(
            f"{args.files} one-byte files, {cond.name} | tfhub {ours:.2f} s ({runs['tfhub']}) | "
            f"GNU tar {theirs:.2f} s ({runs['GNU tar']}) | ratio {ours / theirs:.2f}x "
            f"(target <= 1.0x), {(ours - theirs) / args.files * 1e6:+.0f} us per file | CPU tfhub "
            f"{cpu_median['tfhub']:.2f} s, tar {cpu_median['GNU tar']:.2f} s | in {work} "
            f"({fs_type(work)}) | {seen}",
            flush=True,
        )
        own, start = statistics.median(inside), statistics.median(bare)
        print(
            f"  inside tfhub's process (import + extraction, as `hub.resolve` in a running "
            f"program): {own:.2f} s ({', '.join(f'{value:.2f}' for value in inside)}), "
            f"{own / theirs:.2f}x tar's whole process; the interpreter alone (`-c pass`, same "
            f"environment) {start * 1000:.0f} ms: {sys.executable}, "
            f"{_start_imports(tfhub_env(work))} | {seen}",
            flush=True,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
