"""CPU seconds per test, to rank the suite's files by what they cost (not by wall time).

`--durations` gives wall seconds, which on a loaded 2-core machine say more about the load than
about the test. This pytest plugin records, per test (set-up, call and tear-down, so a module or
session fixture counts for the first test that asks for it), the CPU seconds of the pytest
process, of the children it waited for, and of the children still running (a warm server's
programs, tests/_helpers/warm_python.py, count in the server's children's time). Load it only
when measuring:

    CPU_PROFILE_OUT=/tmp/cpu.jsonl PYTHONPATH=$PWD/src:$PWD python3 -m pytest -q \\
        -p no:cacheprovider -p tests._helpers.cpu_profile_suite56 tests/keras
    python3 -m tests._helpers.cpu_profile_suite56 /tmp/cpu.jsonl   # Files, costliest first.

Each pytest process (each xdist worker too) appends one JSON line per test to CPU_PROFILE_OUT.
"""

from __future__ import annotations

import collections
import json
import os
import resource
import sys
import time
from collections.abc import Iterator

import pytest

OUT_VARIABLE = "CPU_PROFILE_OUT"
_TICKS = os.sysconf("SC_CLK_TCK")


def _live_children_seconds() -> dict[str, float]:
    """CPU seconds (their own and their waited children's) of this process's running children,
    by pid (Linux's /proc; empty elsewhere)."""
    pids: list[str] = []
    try:
        tasks = os.listdir(f"/proc/{os.getpid()}/task")
    except OSError:
        return {}
    for task in tasks:
        try:
            with open(f"/proc/{os.getpid()}/task/{task}/children") as children:
                pids += children.read().split()
        except OSError:
            continue
    seconds = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:  # Ended meanwhile: counted once waited for.
            continue
        seconds[pid] = sum(int(field) for field in fields[11:15]) / _TICKS
    return seconds


def _cpu_now() -> tuple[float, float, dict[str, float]]:
    """(this process's CPU seconds, its waited children's, its running children's by pid)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    waited = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (
        own.ru_utime + own.ru_stime,
        waited.ru_utime + waited.ru_stime,
        _live_children_seconds(),
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Appends {"id", "self", "children", "wall"} of the test to CPU_PROFILE_OUT, if set."""
    out = os.environ.get(OUT_VARIABLE)
    own_before, waited_before, live_before = _cpu_now()
    started = time.monotonic()
    yield
    if not out:
        return
    own_after, waited_after, live_after = _cpu_now()
    live = sum(seconds - live_before.get(pid, 0.0) for pid, seconds in live_after.items())
    record = {
        "id": item.nodeid,
        "self": round(own_after - own_before, 3),
        "children": round(waited_after - waited_before + live, 3),
        "wall": round(time.monotonic() - started, 3),
    }
    with open(out, "a") as file:
        file.write(json.dumps(record) + "\n")


def file_ranking(lines: list[str]) -> list[tuple[str, float, float, float, int]]:
    """(file, own CPU-s, children's CPU-s, wall s, tests) per test file of the JSON `lines`,
    the costliest (own + children) first."""
    totals: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0, 0.0, 0])
    for line in lines:
        record = json.loads(line)
        total = totals[record["id"].split("::")[0]]
        total[0] += record["self"]
        total[1] += record["children"]
        total[2] += record["wall"]
        total[3] += 1
    ranked = sorted(totals.items(), key=lambda item: -(item[1][0] + item[1][1]))
    return [(name, own, kids, wall, int(n)) for name, (own, kids, wall, n) in ranked]


def main(argv: list[str]) -> int:
    """Prints the file ranking of the JSONL file argv[0]."""
    with open(argv[0]) as file:
        rows = file_ranking(file.read().splitlines())
    for name, own, kids, wall, count in rows:
        figures = f"{own + kids:8.1f} CPU-s ({own:7.1f} own {kids:7.1f} children)"
        print(f"{figures} {wall:8.1f} s {count:5d} {name}")
    print(f"{sum(r[1] + r[2] for r in rows):8.1f} CPU-s in all, {sum(r[4] for r in rows)} tests")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
