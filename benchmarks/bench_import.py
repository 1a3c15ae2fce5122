"""Start-up cost of a tfhub process: `import tfhub`, the extractor's imports, a cached resolve.

Run by hand: python3 benchmarks/bench_import.py [--runs 30] [--compare-src /tmp/old/src] [--loaded]
Each figure is a fresh interpreter (the real binary, not pyenv's shim) running one statement,
measured by its own CPU time (user+sys, from os.wait4) and wall time, medians over `--runs`;
`python -c pass` is the floor. The sources' bytecode is compiled first (as a pip install has
it). Two interpreter modes: as started here, and `-S` (no `site`: no `.pth` file imports
anything first; this sandbox's `site` imports certifi, and with it typing, pathlib, tempfile and
re, which hides what tfhub imports). With `--compare-src`, that tree (e.g. `git archive <commit>
src | tar -x -C /tmp/old`) is measured too, alternated run by run. The cached handle is a local
archive imported into a temporary cache first; the condition (idle, or with `--loaded` one
CPU-bound busy loop per core, started by the benchmark, running through every timed run), the
cores and the load average are printed beside each figure.
"""

from __future__ import annotations

import argparse
import compileall
import os
import site
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import REPO_SRC, add_loaded_flag, condition, machine, wait_with_usage

STATEMENTS = {
    "python -c pass": "pass",
    "import tfhub": "import tfhub",
    "from tfhub import _archive": "from tfhub import _archive",
    "hub.resolve (cached)": "import sys, tfhub as hub; hub.resolve(sys.argv[1])",
}
HANDLE = "https://example.com/bench-import/m.tar.gz"


def run_once(src: str, code: str, *, no_site: bool, cache: str) -> tuple[float, float]:
    """Runs `code` in a fresh interpreter; returns its (CPU ms, wall ms)."""
    path = os.pathsep.join([src, *site.getsitepackages()]) if no_site else src
    env = dict(os.environ, PYTHONPATH=path, TFHUB_CACHE_DIR=cache)
    command = [sys.executable, *(["-S"] if no_site else []), "-c", code, HANDLE]
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    usage = wait_with_usage(proc)
    wall = (time.perf_counter() - started) * 1e3
    if proc.returncode != 0:
        raise RuntimeError(f"{command} failed")
    return (usage.ru_utime + usage.ru_stime) * 1e3, wall


def fill_cache(src: str, cache: str) -> None:
    """Installs the repository's small test model under HANDLE in `cache`."""
    archive = os.path.join(REPO_SRC, "tfhub", "data", "half_plus_two_v1.tar.gz")
    code = "import sys; from tfhub.cache.importing import import_archive as i; i(*sys.argv[1:])"
    env = dict(os.environ, PYTHONPATH=src, TFHUB_CACHE_DIR=cache)
    subprocess.run([sys.executable, "-c", code, archive, HANDLE], env=env, check=True)


def alternated(
    trees: dict[str, str], code: str, runs: int, *, no_site: bool, cache: str
) -> dict[str, list[tuple[float, float]]]:
    """(CPU ms, wall ms) of `code` per run for each tree, the trees alternated run by run."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
    for run in range(runs):
        names = list(trees) if run % 2 == 0 else list(reversed(trees))
        for name in names:
            times[name].append(run_once(trees[name], code, no_site=no_site, cache=cache))
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--compare-src", default=None, help="another src/ tree to measure")
    add_loaded_flag(parser)
    args = parser.parse_args()
    trees = {"this tree": REPO_SRC}
    if args.compare_src:
        trees = {"compared": os.path.abspath(args.compare_src), **trees}
    for src in trees.values():
        compileall.compile_dir(src, quiet=1)  # Bytecode, as a pip install has it.
    with tempfile.TemporaryDirectory(prefix="tfhub-bench-import-") as cache:
        fill_cache(REPO_SRC, cache)
        print(f"before: {machine()}; {args.runs} runs each, alternated")
        with condition(args.loaded) as cond:
            for no_site in (False, True):
                for label, code in STATEMENTS.items():
                    times = alternated(trees, code, args.runs, no_site=no_site, cache=cache)
                    for name, results in times.items():
                        cpu = statistics.median(r[0] for r in results)
                        wall = statistics.median(r[1] for r in results)
                        mode = "python -S" if no_site else "python"
                        figures = f"CPU {cpu:5.1f} ms | wall {wall:5.1f} ms"
                        print(f"{mode:9} | {label:26} | {name:9} | {figures} | {cond.seen()}")
        print(f"after: {machine()}")


if __name__ == "__main__":
    main()
