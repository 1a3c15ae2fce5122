"""Benchmarks of make_nearest_neighbour_index (issue 8). Run:
    python3 benchmarks/bench_nearest_neighbour.py [--lines 20000] [--items 20000] [--rounds 2]
        [--loaded]

Prints, with the condition (idle, or with `--loaded` one CPU-bound busy loop per core, started
by the benchmark, running through both parts), the machine's cores and load average beside the
figures:
  1. `generate` items/s: the Beam pipeline on the DirectRunner (in-process, and 2 workers in
     threads) vs a plain Python loop over the same module (hub.load, batches of 1028, random
     projection, tf.train.Example, tf.io.TFRecordWriter); same lines, same 128-dimensional text
     module, projected to 64; runs alternated (the order rotates round by round), each
     including the module load;
  2. each ANN library with the tool's settings: build time, recall@10 against exact (brute
     force cosine) search, single queries/s (as `query` issues them; libraries alternated in 5
     rounds of 100 queries, the order rotating, median), index file size; on
     synthetic 64-dimensional vectors, clustered (a mixture of Gaussians, like topics) and
     i.i.d. Gaussian (the hardest case), 500 held-out queries each.
Options: --json (JSON on stdout).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # For tests._helpers.models.
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))
from _common import add_loaded_flag, condition, machine  # noqa: E402

TITLES = ROOT / "tests" / "data" / "nearest_neighbour" / "data" / "titles.txt"


def _write_lines(path: Path, count: int) -> str:
    titles = TITLES.read_text(encoding="utf-8").split("\n")
    titles = [t for t in titles if t]
    lines = [f"{titles[i % len(titles)]} {i}" for i in range(count)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _plain_loop(data: str, module: str, out: str, matrix: np.ndarray) -> None:
    import tensorflow as tf

    import tfhub as hub
    from tfhub.tools.make_nearest_neighbour_index.embedding_generator import to_examples

    embed = hub.load(module)
    with open(data, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    os.makedirs(out, exist_ok=True)
    with tf.io.TFRecordWriter(os.path.join(out, "emb-00000-of-00001.tfrecords")) as writer:
        for start in range(0, len(lines), 1028):
            batch = lines[start : start + 1028]
            vectors = (embed(tf.constant(batch)).numpy().astype(np.float64) @ matrix).astype(
                np.float32
            )
            for record in to_examples(batch, vectors):
                writer.write(record)


def _beam(data: str, module: str, out: str, beam_args: list[str]) -> None:
    from tfhub.tools.make_nearest_neighbour_index import embedding_generator as gen

    gen.run(gen.GenerateConfig(data, module, out, projected_dim=64, seed=0), beam_args)


def bench_generate(lines: int, rounds: int, tmp: Path) -> dict[str, float]:
    from tests._helpers.models import save_text_embedding

    module = save_text_embedding(str(tmp / "text128"), dim=128)
    data = _write_lines(tmp / "lines.txt", lines)
    matrix = np.random.default_rng(0).normal(0, 1 / 8, (128, 64))
    contenders = {
        "plain Python loop": lambda out: _plain_loop(data, module, out, matrix),
        "Beam DirectRunner": lambda out: _beam(data, module, out, []),
        "Beam DirectRunner, 2 workers (threads)": lambda out: _beam(
            data,
            module,
            out,
            ["--direct_num_workers=2", "--direct_running_mode=multi_threading"],
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for round_ in range(rounds):
        shift = round_ % len(names)  # Alternated: each contender goes first in turn.
        for name in names[shift:] + names[:shift]:
            run = contenders[name]
            started = time.perf_counter()
            run(str(tmp / f"out-{round_}-{len(times[name])}-{abs(hash(name))}"))
            times[name].append(time.perf_counter() - started)
    return {name: lines / statistics.median(ts) for name, ts in times.items()}


def _dataset(kind: str, count: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    """ "clustered": a mixture of count/100 Gaussians (like topics); "random": i.i.d. Gaussian,
    the hardest case for every ANN method."""
    if kind == "random":
        return rng.normal(0, 1, (count, dim)).astype(np.float32)
    centres = rng.normal(0, 1, (max(10, count // 100), dim))
    labels = rng.integers(0, len(centres), count)
    return (centres[labels] + rng.normal(0, 0.8, (count, dim))).astype(np.float32)


def _build(library: str, vectors: np.ndarray, tmp: Path) -> tuple[object, dict]:
    from tfhub.tools.make_nearest_neighbour_index import ann

    index = ann.make_index(library, vectors.shape[1])  # The tool's defaults.
    started = time.perf_counter()
    index.build(vectors)
    build = time.perf_counter() - started
    path = str(tmp / f"{library}.index")
    index.save(path)
    loaded = ann.make_index(library, vectors.shape[1], index.params)
    loaded.load(path)
    row = {"build_s": build, "file_MB": os.path.getsize(path) / 1e6, "params": index.params}
    return loaded, row


def bench_ann(items: int, tmp: Path, rounds: int = 5) -> dict[str, dict[str, dict]]:
    """Builds every library's index, then queries them in alternated rounds (median rate)."""
    from tfhub.tools.make_nearest_neighbour_index import ann

    results: dict[str, dict[str, dict]] = {}
    for kind in ("clustered", "random"):
        data = _dataset(kind, items + 500, 64, np.random.default_rng(0))
        vectors, queries = data[:items], data[items:]
        exact = np.argsort(-(ann.normalized(queries) @ ann.normalized(vectors).T), axis=1)[:, :10]
        built = {lib: _build(lib, vectors, tmp) for lib in sorted(ann.LIBRARIES)}
        rates: dict[str, list[float]] = {lib: [] for lib in built}
        hits = dict.fromkeys(built, 0)
        libs = list(built)
        for round_, chunk in enumerate(np.array_split(np.arange(len(queries)), rounds)):
            shift = round_ % len(libs)  # Each library goes first in turn.
            for lib in libs[shift:] + libs[:shift]:
                index = built[lib][0]
                started = time.perf_counter()
                found = [index.query(queries[i], 10)[0] for i in chunk]  # type: ignore[attr-defined]
                rates[lib].append(len(chunk) / (time.perf_counter() - started))
                hits[lib] += sum(
                    len(set(ids.tolist()) & set(exact[i].tolist()))
                    for ids, i in zip(found, chunk, strict=True)
                )
        results[kind] = {
            lib: {
                **row,
                "recall@10": hits[lib] / exact.size,
                "queries_per_s": statistics.median(rates[lib]),
            }
            for lib, (_, row) in built.items()
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=20000)
    parser.add_argument("--items", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    add_loaded_flag(parser)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with tempfile.TemporaryDirectory() as tmp, condition(args.loaded) as cond:
        before = cond.seen()
        ann_results = bench_ann(args.items, Path(tmp))
        after_ann = cond.seen()  # Read at the end of each section: printed beside its figures.
        generate = bench_generate(args.lines, args.rounds, Path(tmp))
        after_generate = cond.seen()
    results = {
        "condition": cond.name,
        "machine": {"start": before, "ann": after_ann, "generate": after_generate},
        "generate_items_per_s": generate,
        "ann": ann_results,
    }
    if args.json:
        print(json.dumps(results))
        return
    print(f"Machine: {before} (start), {machine()} (end)")
    print(
        f"generate: {args.lines} lines, 128-d module projected to 64, median of {args.rounds} "
        f"| {after_generate}"
    )
    loop = generate["plain Python loop"]
    for name, rate in generate.items():
        print(f"  {name:<42} {rate:9.0f} items/s  ({rate / loop:.2f}x the loop) | {after_generate}")
    for kind, rows in ann_results.items():
        print(
            f"ANN: {args.items} {kind} 64-d vectors, 500 queries, recall@10 vs exact search "
            f"| {after_ann}"
        )
        print(f"  {'library':<10} {'build s':>8} {'recall@10':>10} {'queries/s':>10} {'MB':>6}")
        for library, row in rows.items():
            print(
                f"  {library:<10} {row['build_s']:8.2f} {row['recall@10']:10.3f} "
                f"{row['queries_per_s']:10.0f} {row['file_MB']:6.1f}  {row['params']} | {after_ann}"
            )


if __name__ == "__main__":
    main()
