"""Cache operations whose cost must not grow with the number of files (issue 13).

Run by hand: python3 benchmarks/bench_cache_ops.py [--files 200000] [--entries 100] [--runs 7]
    [--rm-runs 2] [--compare-src OTHER_CHECKOUT/src] [--loaded]

Measures, each in a fresh process, against absolute targets and against `rm -rf`:
- `hub.resolve` of a cached entry of FILES one-byte files: the call itself (target <= 50 ms);
- the light `tfhub` commands as the user waits for them, each a whole process (interpreter
  start-up, imports, work, output; target <= 200 ms each), alternated run by run beside the
  floor, `python -c pass`: `tfhub cache list` over ENTRIES entries (one of them the big one),
  `tfhub resolve` of the big entry, `tfhub --help`, and `tfhub cache verify` of a cache holding
  one small entry; and the scan of `cache list` inside a process;
- `tfhub cache rm` of that entry vs `rm -rf` of an identical tree, alternated (target <= 1.2x).
Prints wall and CPU (user+sys of the child) time, the condition (idle, or with `--loaded` one
CPU-bound busy loop per core, started by the benchmark, from the first timing to the last), the
machine's cores and its load average beside every figure: on a busy machine the wall time
grows, the CPU time much less.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (
    Condition,
    add_loaded_flag,
    child_env,
    condition,
    machine,
    median,
    run_child_rss,
    with_bytecode,
)

RESOLVE_CODE = """
import sys, time
import tfhub as hub
started, cpu = time.perf_counter(), time.process_time()
hub.resolve(sys.argv[1])
print((time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000)
"""
FILL_CODE = """
import os, sys
from tfhub.download import atomic_download
def fill(target):
    for i in range(int(sys.argv[2])):
        folder = os.path.join(target, "assets", f"d{i // 1000:04d}")
        if i % 1000 == 0:
            os.makedirs(folder)
        with open(os.path.join(folder, f"f{i:06d}"), "wb") as out:
            out.write(b"x")
print(atomic_download(sys.argv[1], fill))
"""
SCAN_CODE = """
import time
from tfhub import cache
started = time.perf_counter()
entries = cache.scan()
print((time.perf_counter() - started) * 1000, len(entries))
"""


BIG = "https://bench.invalid/big.tar.gz"  # Cached before the timings: never fetched.


def fill_entry(handle: str, files: int, env: dict[str, str]) -> str:
    """Installs an entry of `files` one-byte files through tfhub (manifest, hashes) in a child."""
    return run_child_rss(FILL_CODE, handle, str(files), env=env)[2].strip()


def plain_tree(folder: str, files: int) -> None:
    """Writes the same tree without tfhub (for `rm -rf`)."""
    for i in range(files):
        sub = os.path.join(folder, "assets", f"d{i // 1000:04d}")
        if i % 1000 == 0:
            os.makedirs(sub)
        with open(os.path.join(sub, f"f{i:06d}"), "wb") as out:
            out.write(b"x")


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def timed_cpu(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Runs a command; returns (wall ms, CPU ms of the child: user + sys)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = timed(argv, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall * 1000, cpu * 1000


def bench_resolve(
    handle: str, env: dict[str, str], runs: int, files: int, work: str, cond: Condition
) -> None:
    """Times the first `hub.resolve` in fresh processes: with the modules' bytecode cached (as a
    pip install has it; a first, untimed run fills the cache) and, if the environment says so,
    compiling the modules without a bytecode cache (as `bench_light_commands`)."""
    cached = with_bytecode(env, os.path.join(work, "pycache-resolve"))
    run_child_rss(RESOLVE_CODE, handle, env=cached)
    variants = [("bytecode cached", cached)]
    if env.get("PYTHONDONTWRITEBYTECODE"):
        variants.append(("no bytecode cache", env))
    for label, run_env in variants:
        runs_ms = [run_child_rss(RESOLVE_CODE, handle, env=run_env)[2].split() for _ in range(runs)]
        walls = [float(wall) for wall, _ in runs_ms]
        cpus = [float(cpu) for _, cpu in runs_ms]
        print(
            f"hub.resolve of the cached {files}-file entry, first call in a fresh process (its "
            f"lazy imports included; {label}): median {median(walls):.1f} ms wall, "
            f"{median(cpus):.1f} ms CPU (walls {', '.join(f'{w:.1f}' for w in walls)}); "
            f"target <= 50 ms | {cond.seen()}"
        )


def bench_rm(work: str, env: dict[str, str], runs: int, files: int, cond: Condition) -> None:
    ours, theirs = [], []
    for run in range(runs):
        handle = f"https://bench.invalid/rm/{run}.tar.gz"
        fill_entry(handle, files, env)
        plain = os.path.join(work, f"plain-{run}")
        plain_tree(plain, files)
        subprocess.run(["sync"], check=False)
        pair = [
            ("tfhub", [sys.executable, "-m", "tfhub.cli.main", "cache", "rm", handle]),
            ("rm", ["rm", "-rf", plain]),
        ]
        for name, argv in pair if run % 2 == 0 else reversed(pair):  # Alternated.
            (ours if name == "tfhub" else theirs).append(timed(argv, env))
    ratio = median(ours) / median(theirs)
    print(
        f"tfhub cache rm vs rm -rf, {files} files: {median(ours):.2f} s vs "
        f"{median(theirs):.2f} s (runs "
        f"{', '.join(f'{o:.2f}/{t:.2f}' for o, t in zip(ours, theirs, strict=True))}) -> "
        f"{ratio:.2f}x; target <= 1.2x | {cond.seen()}"
    )


def light_commands(
    env: dict[str, str], small_env: dict[str, str], entries: int, files: int
) -> list[tuple[str, list[str], dict[str, str]]]:
    """The commands timed by `bench_light_commands`: (label, argv, environment)."""
    tfhub = [sys.executable, "-m", "tfhub.cli.main"]
    return [
        ("python -c pass (the floor: interpreter start-up)", [sys.executable, "-c", "pass"], env),
        (
            f"tfhub cache list ({entries} entries, one of {files} files)",
            [*tfhub, "cache", "list"],
            env,
        ),
        (f"tfhub resolve (cached, {files} files)", [*tfhub, "resolve", BIG], env),
        ("tfhub --help", [*tfhub, "--help"], env),
        (
            "tfhub cache verify (a cache of one 20-file entry)",
            [*tfhub, "cache", "verify"],
            small_env,
        ),
    ]


def bench_light_commands(
    env: dict[str, str],
    small_env: dict[str, str],
    args: argparse.Namespace,
    work: str,
    cond: Condition,
) -> None:
    """Times the light commands as whole processes, alternated run by run with the floor.

    Twice: with Python's bytecode cache (what users of an installed tfhub meet; one warm-up run
    fills it) and, if the environment says so, compiling every module at every start
    (PYTHONDONTWRITEBYTECODE=1 without a __pycache__, as in the sandbox this was built in).
    """
    for i in range(args.entries - 1):
        fill_entry(f"https://bench.invalid/list/{i}.tar.gz", 20, env)
    fill_entry("https://bench.invalid/small.tar.gz", 20, small_env)
    subprocess.run(["sync"], check=False)  # The fills' writeback must not land in the timings.
    pycache = os.path.join(work, "pycache")
    variants = [("bytecode cached", with_bytecode(env, pycache), with_bytecode(small_env, pycache))]
    if env.get("PYTHONDONTWRITEBYTECODE"):
        variants.append(("no bytecode cache, every module compiled", env, small_env))
    for label, variant_env, variant_small_env in variants:
        commands = light_commands(variant_env, variant_small_env, args.entries, args.files)
        if args.compare_src:  # The same commands from another tfhub source tree, alternated.
            commands += [
                (f"{name} [{args.compare_src}]", argv, dict(cmd_env, PYTHONPATH=args.compare_src))
                for name, argv, cmd_env in commands[1:]
            ]
        for _, argv, command_env in commands:
            timed(argv, command_env)  # Warm-up: the page cache and, if enabled, the bytecode.
        print(f"The light commands, whole processes ({label}):")
        time_alternated(commands, args.runs, cond)
    scans = [float(run_child_rss(SCAN_CODE, env=env)[2].split()[0]) for _ in range(args.runs)]
    print(f"  the scan inside `cache list`: median {median(scans):.1f} ms wall | {cond.seen()}")


def time_alternated(
    commands: list[tuple[str, list[str], dict[str, str]]], runs: int, cond: Condition
) -> None:
    """Runs the commands in turn (reversed every other run); prints wall, CPU and load of each."""
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name, _, _ in commands}
    for run in range(runs):
        for name, argv, command_env in commands if run % 2 == 0 else reversed(commands):
            wall, cpu = timed_cpu(argv, command_env)
            results[name].append((wall, cpu, os.getloadavg()[0]))
    for name, _, _ in commands:
        walls, cpus, loads = zip(*results[name], strict=True)
        target = "" if name.startswith("python") else "; target <= 200 ms"
        print(
            f"  {name}: median {median(list(walls)):.0f} ms wall (min {min(walls):.0f}), "
            f"{median(list(cpus)):.0f} ms CPU; load {min(loads):.1f}-{max(loads):.1f}, "
            f"{os.cpu_count()} cores{target} | {cond.name}"
        )


def main(args: argparse.Namespace) -> None:
    work = tempfile.mkdtemp(prefix="tfhub-bench-cache-")
    try:
        env = child_env(TFHUB_CACHE_DIR=os.path.join(work, "cache"))
        print(f"machine: {machine()}")
        started = time.perf_counter()
        fill_entry(BIG, args.files, env)
        print(f"(installed the {args.files}-file entry in {time.perf_counter() - started:.1f} s)")
        small_env = child_env(TFHUB_CACHE_DIR=os.path.join(work, "small-cache"))
        with condition(args.loaded) as cond:
            bench_resolve(BIG, env, args.runs, args.files, work, cond)
            bench_light_commands(env, small_env, args, work, cond)
            if args.rm_runs:
                bench_rm(work, env, args.rm_runs, args.files, cond)
        print(f"machine after: {machine()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200_000)
    parser.add_argument("--entries", type=int, default=100)
    parser.add_argument("--runs", type=int, default=7, help="runs of resolve and the commands")
    parser.add_argument(
        "--compare-src",
        help="also time the light commands from this tfhub src/ folder (e.g. a checkout of an "
        "earlier commit), alternated with this one",
    )
    parser.add_argument(
        "--rm-runs", type=int, default=2, help="alternated rm runs (0: skip, they are slow)"
    )
    add_loaded_flag(parser)
    main(parser.parse_args())
