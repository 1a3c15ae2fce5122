"""`tfhub serve` over 3,000 generated docs: start-up time, index/search/model page latency.

Run by hand: python3 benchmarks/bench_hub_pages.py [--docs 3000] [--requests 300]
                 [--server granian] [--loaded]
Generates a hub folder of N model docs (tfhub.dev's format: metadata lines, a few paragraphs of
text from a 2,000-word vocabulary, 12 tasks, 40 architectures, 30 datasets, 8 languages), starts
`tfhub serve` (one worker) in a child process and measures the time until /healthz answers (the
scan of ROOT and the index build), then p50/p99 of sequential keep-alive requests: the index
page, full-text searches (random words), filtered searches, model pages and the JSON search API.
Model pages twice: the same page each time (its rendered doc cached after the first view) and a
different page each time (each doc rendered at its first view, as visitors browsing the hub
meet most pages); the other rows ask the same URL each time, after 5 untimed requests.
The condition (idle, or with `--loaded` one CPU-bound busy loop per core, started by the
benchmark before the server and running until the last figure), the cores and the load average
are printed beside each figure (tensorflow_hub has no server: no ratio).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import add_loaded_flag, condition, machine
from _hub_servers import tfhub_serve

DOC = """# Module {handle}
{description}

<!-- asset-path: https://storage.example.com/{handle}.tar.gz -->
<!-- task: {task} -->
<!-- network-architecture: {architecture} -->
<!-- dataset: {dataset} -->
<!-- language: {language} -->
<!-- fine-tunable: {fine_tunable} -->
<!-- format: saved_model_2 -->
<!-- license: apache-2.0 -->

## Overview

{body}

#### Example use

```python
import tensorflow_hub as hub
model = hub.load("https://hub.example.com/{handle}")
```
"""


def make_tree(root: str, count: int, rng: random.Random) -> list[str]:
    """Writes `count` model docs under ROOT/assets/docs; returns their handles."""
    words = [f"w{index}{rng.choice('aeiou')}{rng.choice('nrst')}" for index in range(2000)]
    tasks = [f"task-{index}" for index in range(12)]
    handles = []
    for index in range(count):
        publisher = f"pub{index % 20}"
        handle = f"{publisher}/family{index % 150}/model-{index}/{1 + index % 3}"
        folder, version = handle.rsplit("/", 1)
        path = os.path.join(root, "assets/docs", publisher, "models", *folder.split("/")[1:])
        os.makedirs(path, exist_ok=True)
        paragraphs = [" ".join(rng.choices(words, k=60)) for _ in range(4)]
        text = DOC.format(
            handle=handle,
            description=" ".join(rng.choices(words, k=10)).capitalize() + ".",
            task=rng.choice(tasks),
            architecture=f"arch-{rng.randrange(40)}",
            dataset=f"dataset-{rng.randrange(30)}",
            language=rng.choice(["en", "de", "fr", "ja", "zh", "es", "hi", "multilingual"]),
            fine_tunable=rng.choice(["true", "false"]),
            body="\n\n".join(paragraphs),
        )
        with open(os.path.join(path, f"{version}.md"), "w") as file:
            file.write(text)
        handles.append(handle)
    return handles


def timed(session, urls: list[str], runs: int) -> tuple[float, float]:
    """p50 and p99 latency in ms of `runs` GETs, of `urls` in turn (all must answer 200)."""
    times = []
    for index in range(runs):
        url = urls[index % len(urls)]
        started = time.perf_counter()
        response = session.get(url, timeout=30)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def main() -> None:
    import requests

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--server", default="granian")
    add_loaded_flag(parser)
    args = parser.parse_args()
    rng = random.Random(0)
    print(f"before: {machine()}")
    print(
        f"recipe: {args.docs} docs, {args.requests} sequential keep-alive GETs per row, "
        f"tfhub serve --server {args.server} --workers 1"
    )
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as root:
        handles = make_tree(root, args.docs, rng)
        with (
            condition(args.loaded) as cond,
            tfhub_serve(root, server=args.server, workers=1) as server,
        ):
            print(
                f"start-up (process start to /healthz answering): {server.started_s:.2f} s "
                f"| {cond.seen()}"
            )
            session = requests.Session()
            base = server.base
            worker = session.get(base + "/healthz").text.strip()
            print(f"  of which in the worker: {worker} | {cond.seen()}")
            word = "w17" + "a"
            pages = [f"{base}/{handle}" for handle in handles]
            rows = {  # Each row's URLs, asked in turn.
                "index page (all models, first 50 listed)": [f"{base}/"],
                "search page, one word": [f"{base}/?q={word}"],
                "search page, two words + task filter": [f"{base}/?q=w1+w2&task=task-3"],
                "search page, filters only": [f"{base}/?language=en&fine-tunable=true"],
                "model page, the same one each time (its render cached)": [
                    pages[1234 % len(pages)]
                ],
                f"model page, a different one each time ({min(args.requests, len(pages))} "
                "pages, each rendered at its first view)": pages,
                "JSON API search": [f"{base}/api/models?q=w3&limit=50"],
            }
            timed(session, [f"{base}/healthz"], 5)  # Warm-up: the connection.
            for name, urls in rows.items():
                if len(urls) == 1:
                    timed(session, urls, 5)  # Warm-up: this page's render cache, if any.
                p50, p99 = timed(session, urls, args.requests)
                print(f"{name}: p50 {p50:.1f} ms, p99 {p99:.1f} ms | {cond.seen()}")
            print(f"server RSS: {server.rss_mb():.0f} MB | {cond.seen()}")
    print(f"after: {machine()}")


if __name__ == "__main__":
    main()
