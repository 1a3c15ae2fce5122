"""Resolve a cached handle: whole process (import + resolve) and in a loop; tfhub vs tensorflow_hub.

Run by hand: python3 benchmarks/bench_resolve.py [--runs 5] [--loop 2000] [--loaded]
Both libraries resolve the same handle from the same cache (they share its layout), with the
server stopped, so nothing is downloaded during the timings. The two alternate run by run (the
whole processes and the loops alike; each figure is the median of `--runs`), and the machine's
cores and load average are printed beside each figure. With `--loaded`, every timed run meets
one CPU-bound busy loop per core (started by the benchmark): the busy machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (
    add_loaded_flag,
    child_env,
    condition,
    median,
    model_server,
    run_child_rss,
    with_bytecode,
)

PROCESS_CODE = {
    "tfhub": "import sys, tfhub as hub; print(hub.resolve(sys.argv[1]))",
    "tensorflow_hub": "import sys, tensorflow_hub as hub; print(hub.resolve(sys.argv[1]))",
}
LOOP_CODE = """
import sys, time, {module} as hub
handle, n = sys.argv[1], int(sys.argv[2])
hub.resolve(handle)
start = time.perf_counter()
for _ in range(n):
    hub.resolve(handle)
print((time.perf_counter() - start) / n * 1e6)
"""


def timed_runs(
    handle: str, env: dict[str, str], runs: int, loop: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Whole-process seconds and loop µs per call of each side, alternated run by run."""
    walls: dict[str, list[float]] = {name: [] for name in PROCESS_CODE}
    loops: dict[str, list[float]] = {name: [] for name in PROCESS_CODE}
    for run in range(runs):  # Alternated: tfhub first in even runs, second in odd.
        names = list(PROCESS_CODE) if run % 2 == 0 else list(reversed(PROCESS_CODE))
        for name in names:
            walls[name].append(run_child_rss(PROCESS_CODE[name], handle, env=env)[0])
    for run in range(runs):  # The loops alternated the same way.
        names = list(PROCESS_CODE) if run % 2 == 0 else list(reversed(PROCESS_CODE))
        for name in names:
            code = LOOP_CODE.format(module=name)
            loops[name].append(float(run_child_rss(code, handle, str(loop), env=env)[2]))
    return walls, loops


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--loop", type=int, default=2000)
    add_loaded_flag(parser)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="tfhub-bench-resolve-")
    try:
        served = os.path.join(work, "served")
        os.makedirs(served)
        model = os.path.join(
            os.path.dirname(__file__), "..", "src", "tfhub", "data", "half_plus_two_v1.tar.gz"
        )
        shutil.copy(model, os.path.join(served, "m.tar.gz"))
        env = with_bytecode(  # Both sides' modules compiled once, as pip installs them.
            child_env(TFHUB_CACHE_DIR=os.path.join(work, "cache")), os.path.join(work, "pycache")
        )
        with model_server(served) as url:
            handle = url + "m.tar.gz"
            run_child_rss(PROCESS_CODE["tfhub"], handle, env=env)  # Fill the cache.
        for name in PROCESS_CODE:  # Warm-up, untimed: fills the bytecode cache of each side.
            run_child_rss(PROCESS_CODE[name], handle, env=env)
        with condition(args.loaded) as cond:
            walls, loops = timed_runs(handle, env, args.runs, args.loop)
            seen = cond.seen()  # Read while the competitors still run.
        for name in PROCESS_CODE:
            print(
                f"{name:15s} import+resolve (whole process): {median(walls[name]) * 1000:8.1f} ms "
                f"(runs {', '.join(f'{w * 1000:.0f}' for w in walls[name])})   "
                f"resolve in a loop: {median(loops[name]):8.1f} us/call "
                f"(runs {', '.join(f'{u:.1f}' for u in loops[name])}) | {seen}"
            )
        whole = median(walls["tensorflow_hub"]) / median(walls["tfhub"])
        loop = median(loops["tensorflow_hub"]) / median(loops["tfhub"])
        print(
            f"ratio (tensorflow_hub / tfhub): whole process {whole:.1f}x, loop {loop:.1f}x "
            f"(target: whole process >= 25x) | {seen}"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
