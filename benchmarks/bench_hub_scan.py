"""The hub server's doc scan: CPU and wall seconds of `Catalog.scan` over N docs.

Run by hand: python3 benchmarks/bench_hub_scan.py [--docs 5000] [--runs 7] [--loaded] [--json]
The benchmark writes its own hub folder in a temp folder: N docs under ROOT/assets/docs, 50
publishers (fewer below 5,000 docs: one per 100) with their publisher doc, the rest model docs
spread over them. Each run is a fresh process of this checkout's src/ that scans once to warm
up, then keeps the best of 3 of each measurement (CPU seconds, `time.process_time`, and wall
seconds): the whole `Catalog.scan`; `catalog.served_docs` alone (the docs' reads and parses, one
confined walk of `doc_walk`); and, for comparison on the same tree, the per-doc confined read
the scan used before (`settled.served_doc` over `docs_layout.find_doc_files`: `read_inside` per
doc, then the same parse). The last two alternate run by run (the other goes first in every
other run); the summary gives the median and the spread (lowest-highest) of the R runs and the
ratio of the medians. The condition (idle, or with `--loaded` one CPU-bound busy loop per core,
started by the benchmark, running from the first run to the last), the cores and the load
average are printed beside each figure. --json prints the results as JSON on stdout (the run
lines go to stderr then).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import Condition, add_loaded_flag, child_env, condition, machine

PUBLISHER_DOC = "# Publisher {publisher}\nPublisher {publisher} of the scan benchmark.\n"
MODEL_DOC = """# Module {publisher}/{model}/1
Model {index} of the scan benchmark.

<!-- asset-path: https://storage.example.com/{publisher}/{model}/1.tar.gz -->
<!-- task: text-embedding -->
<!-- network-architecture: arch-{arch} -->
<!-- dataset: dataset-{dataset} -->
<!-- language: en -->
<!-- fine-tunable: true -->
<!-- format: saved_model_2 -->
<!-- license: apache-2.0 -->

## Overview

A model doc of a few hundred bytes, as a catalog holds thousands of.
"""

# One fresh process per run: argv = ROOT, the first of the two read measurements.
CHILD = r"""
import json, logging, os, sys, time
from pathlib import Path
logging.disable(logging.WARNING)
from tfhub.hub import catalog, docs_layout, settled

root = Path(sys.argv[1]).resolve()


def per_doc():
    real_root = os.path.realpath(root)
    found = (settled.served_doc(f, f, root, real_root=real_root)
             for f in docs_layout.find_doc_files(root))
    return [doc for doc in found if doc is not None]


def scan():
    return catalog.Catalog.scan(root).models


jobs = {"scan": scan, "served_docs": lambda: catalog.served_docs(root), "per_doc": per_doc}
order = ["scan", *(["served_docs", "per_doc"] if sys.argv[2] == "served_docs"
                   else ["per_doc", "served_docs"])]
counts = {name: len(jobs[name]()) for name in order}  # The warm-up.
best = {name: [float("inf"), float("inf")] for name in order}
for _ in range(3):
    for name in order:
        cpu, wall = time.process_time(), time.perf_counter()
        jobs[name]()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        best[name] = [min(best[name][0], cpu), min(best[name][1], wall)]
import tfhub
print(json.dumps({"file": tfhub.__file__, "counts": counts, "best": best}))
"""
MEASURES = ("scan", "served_docs", "per_doc")


def make_tree(root: str, docs: int) -> tuple[int, int]:
    """Writes `docs` docs under ROOT/assets/docs; returns (publishers, model docs)."""
    publishers = max(1, min(50, docs // 100))
    models = docs - publishers
    base = os.path.join(root, "assets", "docs")
    for index in range(publishers):
        folder = os.path.join(base, f"pub{index}")
        os.makedirs(os.path.join(folder, "models"))
        with open(os.path.join(folder, f"pub{index}.md"), "w") as file:
            file.write(PUBLISHER_DOC.format(publisher=f"pub{index}"))
    for index in range(models):
        publisher, model = f"pub{index % publishers}", f"model-{index}"
        folder = os.path.join(base, publisher, "models", model)
        os.makedirs(folder)
        text = MODEL_DOC.format(
            publisher=publisher, model=model, index=index, arch=index % 40, dataset=index % 30
        )
        with open(os.path.join(folder, "1.md"), "w") as file:
            file.write(text)
    return publishers, models


def one_run(root: str, first: str) -> dict[str, dict[str, float]]:
    """One fresh process: best CPU and wall seconds of each measurement, and its doc counts."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, root, first],
        env=child_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the scan's child failed:\n{done.stderr[-2000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    src = child_env()["PYTHONPATH"]
    if not out["file"].startswith(src):
        raise RuntimeError(f"the child imported {out['file']}, not this checkout's {src}")
    if out["counts"]["served_docs"] != out["counts"]["per_doc"]:
        raise RuntimeError(f"the two reads served different docs: {out['counts']}")
    return out


def alternated_runs(root: str, runs: int, cond: Condition, log: object) -> list[dict]:
    """R fresh processes; the two read measurements swap order run by run."""
    results = []
    for run in range(runs):
        first = "served_docs" if run % 2 == 0 else "per_doc"
        out = one_run(root, first)
        results.append(out)
        figures = ", ".join(
            f"{name} {out['best'][name][0]:.3f} s CPU {out['best'][name][1]:.3f} s wall"
            for name in MEASURES
        )
        print(
            f"run {run + 1} ({first} first): {out['counts']['scan']} models; {figures} | "
            f"{cond.seen()}",
            file=log,  # type: ignore[arg-type]
            flush=True,
        )
    return results


def summarize(results: list[dict], cond: Condition) -> dict[str, object]:
    """Median and spread (lowest, highest) of each figure, and the reads' ratio."""
    summary: dict[str, object] = {"counts": results[0]["counts"], "machine": cond.seen()}
    for name in MEASURES:
        for index, clock in enumerate(("cpu", "wall")):
            values = [out["best"][name][index] for out in results]
            summary[f"{name}_{clock}"] = {
                "median": statistics.median(values),
                "low": min(values),
                "high": max(values),
                "all": values,
            }
    for clock in ("cpu", "wall"):
        walk = summary[f"served_docs_{clock}"]["median"]  # type: ignore[index]
        old = summary[f"per_doc_{clock}"]["median"]  # type: ignore[index]
        summary[f"served_docs_per_doc_ratio_{clock}"] = walk / old if old else None
    return summary


def print_summary(summary: dict, runs: int) -> None:
    print(f"\nafter: {machine()}")
    for name in MEASURES:
        parts = []
        for clock in ("cpu", "wall"):
            figure = summary[f"{name}_{clock}"]
            parts.append(
                f"{clock.upper()} median {figure['median']:.3f} s "
                f"({figure['low']:.3f}-{figure['high']:.3f})"
            )
        print(f"{name}: {'; '.join(parts)}, {runs} runs | {summary['machine']}")
    cpu, wall = (summary[f"served_docs_per_doc_ratio_{c}"] for c in ("cpu", "wall"))
    print(
        f"served_docs / per-doc read_inside: CPU {cpu:.2f}, wall {wall:.2f} (medians) | "
        f"{summary['machine']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=5000, help="docs in the tree (default 5000)")
    parser.add_argument("--runs", type=int, default=7, help="fresh processes (default 7)")
    parser.add_argument("--json", action="store_true", help="JSON on stdout")
    add_loaded_flag(parser)
    args = parser.parse_args()
    if args.docs < 2 or args.runs < 1:
        parser.error(f"--docs must be >= 2 and --runs >= 1. Received: {args.docs}, {args.runs}")
    log = sys.stderr if args.json else sys.stdout
    print(f"before: {machine()}", file=log)
    with tempfile.TemporaryDirectory(prefix="bench-scan-") as root:
        publishers, models = make_tree(root, args.docs)
        print(
            f"recipe: {args.docs} docs ({publishers} publisher(s), {models} model docs), a fresh "
            f"process per run (a warm-up scan, then the best of 3), median and spread of "
            f"{args.runs} runs",
            file=log,
        )
        with condition(args.loaded) as cond:
            results = alternated_runs(root, args.runs, cond, log)
            summary = summarize(results, cond)
    if args.json:
        print(json.dumps(summary))
    else:
        print_summary(summary, args.runs)


if __name__ == "__main__":
    main()
