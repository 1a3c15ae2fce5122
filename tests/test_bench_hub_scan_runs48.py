"""benchmarks/bench_hub_scan.py runs end to end on a tiny tree and prints its figures.

A benchmark is run by hand, so a broken import or a renamed tfhub function shows only when
someone follows the README. The tiny run (20 docs, one process) takes about a second; no figure
is asserted (the machine is shared), only that each one is printed with the machine beside it
and that the tree it built was scanned whole.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests._helpers.python_process import child_env

SCRIPT = Path(__file__).parents[1] / "benchmarks" / "bench_hub_scan.py"
SECONDS = r"\d+\.\d{3} s"
MACHINE = r"\| idle, cores \d+, load \d+\.\d+/\d+\.\d+ \(1/5 min\)"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--docs", "20", "--runs", "2", *args],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def test_tiny_run_prints_every_figure_beside_the_machine() -> None:
    out = _run().stdout
    assert "recipe: 20 docs (1 publisher(s), 19 model docs)" in out, out
    for run, first in ((1, "served_docs"), (2, "per_doc")):
        line = rf"run {run} \({first} first\): 19 models; scan {SECONDS} CPU {SECONDS} wall, "
        assert re.search(line + rf".*per_doc {SECONDS} CPU {SECONDS} wall {MACHINE}$", out, re.M)
    for name in ("scan", "served_docs", "per_doc"):
        figure = rf"{name}: CPU median {SECONDS} \(.*\); WALL median {SECONDS} \(.*\), 2 runs "
        assert re.search(figure + MACHINE + "$", out, re.M), out
    ratio = r"served_docs / per-doc read_inside: CPU \d+\.\d\d, wall \d+\.\d\d \(medians\) "
    assert re.search(ratio + MACHINE + "$", out, re.M), out


def test_json_gives_the_counts_and_the_medians() -> None:
    done = _run("--json")
    result = json.loads(done.stdout)
    assert result["counts"] == {"scan": 19, "served_docs": 20, "per_doc": 20}
    for name in ("scan", "served_docs", "per_doc"):
        for clock in ("cpu", "wall"):
            figure = result[f"{name}_{clock}"]
            assert len(figure["all"]) == 2, figure
            assert figure["low"] <= figure["median"] <= figure["high"], figure
    assert result["served_docs_per_doc_ratio_cpu"] > 0
    assert "run 2 (per_doc first)" in done.stderr, done.stderr


def test_loaded_says_so_beside_each_figure() -> None:
    cores = os.cpu_count() or 1
    out = _run("--runs", "1", "--loaded").stdout  # The last --runs wins: one run.
    figures = [line for line in out.splitlines() if " | " in line]
    assert len(figures) == 5, out  # One run, three medians, the ratio.
    assert all(f"| loaded ({cores} busy loops), cores {cores}, load " in f for f in figures), out
