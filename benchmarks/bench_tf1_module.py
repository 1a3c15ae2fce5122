"""Benchmark: hub.Module instantiation + first application vs a hand-written TF1 SavedModel load.

Both sides start from an empty tf.Graph and end with the first result computed:
- tfhub: `hub.Module(path)`, one application, Session, variable/table initializers, run;
- by hand: Session, `tf.compat.v1.saved_model.load(session, [], path)`, table initializers,
  run the signature's output tensor fed by name.
The module is a text embedding (vocab asset + lookup table + 20k x 128 embeddings) followed by
two dense layers, exported once with tfhub. The two sides alternate (tfhub first in even
repeats, second in odd). Target: median ratio tfhub / by hand <= 1.2. tensorflow_hub 0.16.1 has
no `hub.Module` (TF2 only), so the baseline is the hand-written load. Prints one JSON line with
the medians, every repeat, their ratio, and the machine they ran on: the condition (idle, or
with `--loaded` one CPU-bound busy loop per core, started by the benchmark, running through
every timed repeat), the cores and the load average.

Run: python3 benchmarks/bench_tf1_module.py [--repeats 7] [--loaded]
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
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import add_loaded_flag, condition

VOCAB_SIZE = 20_000
DIM = 128
SENTENCES = np.array([b"token1 token2 token3", b"token42 unknown", b"token19999"], dtype=object)


def _build_module(folder: Path) -> str:
    import tensorflow as tf

    import tfhub as hub

    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(f"token{i}" for i in range(VOCAB_SIZE)) + "\n")

    def module_fn() -> None:
        sentences = tf.compat.v1.placeholder(tf.string, [None], name="sentences")
        table = tf.compat.v1.lookup.StaticVocabularyTable(
            tf.compat.v1.lookup.TextFileInitializer(str(vocab), tf.string, -2, tf.int64, -1),
            num_oov_buckets=1,
        )
        tokens = tf.compat.v1.string_split(sentences)
        ids = tf.SparseTensor(tokens.indices, table.lookup(tokens.values), tokens.dense_shape)
        rng = np.random.default_rng(0)
        emb = tf.compat.v1.get_variable(
            "embeddings", initializer=rng.normal(size=[VOCAB_SIZE + 1, DIM]).astype(np.float32)
        )
        h = tf.nn.safe_embedding_lookup_sparse(emb, ids, None, combiner="sqrtn")
        for i in range(2):
            w = tf.compat.v1.get_variable(
                f"dense{i}/w", initializer=rng.normal(size=[DIM, DIM]).astype(np.float32) * 0.1
            )
            h = tf.nn.relu(tf.matmul(h, w))
        hub.add_signature(inputs=sentences, outputs=h)

    spec = hub.create_module_spec(module_fn)
    path = str(folder / "module")
    with tf.Graph().as_default():
        module = hub.Module(spec)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            module.export(path, session)
    return path


def _time_tfhub(path: str) -> tuple[float, Any]:
    import tensorflow as tf

    import tfhub as hub

    start = time.perf_counter()
    with tf.Graph().as_default():
        output = hub.Module(path)(SENTENCES)
        with tf.compat.v1.Session() as session:
            session.run(
                [tf.compat.v1.global_variables_initializer(), tf.compat.v1.tables_initializer()]
            )
            result = session.run(output)
    return time.perf_counter() - start, result


def _asset_feeds(meta_graph: Any, path: str) -> dict[str, str]:
    from tensorflow.core.protobuf import meta_graph_pb2

    feeds = {}
    for any_proto in meta_graph.collection_def["saved_model_assets"].any_list.value:
        asset = meta_graph_pb2.AssetFileDef()
        any_proto.Unpack(asset)
        feeds[asset.tensor_info.name] = f"{path}/assets/{asset.filename}"
    return feeds


def _time_by_hand(path: str) -> tuple[float, Any]:
    import tensorflow as tf

    start = time.perf_counter()
    with tf.Graph().as_default(), tf.compat.v1.Session() as session:
        meta_graph = tf.compat.v1.saved_model.load(session, [], path)
        # A TF1 Hub module has no main_op: initialize tables, feeding the asset paths.
        session.run(tf.compat.v1.tables_initializer(), feed_dict=_asset_feeds(meta_graph, path))
        signature = meta_graph.signature_def["default"]
        feed = {signature.inputs["default"].name: SENTENCES}
        result = session.run(signature.outputs["default"].name, feed_dict=feed)
    return time.perf_counter() - start, result


def main() -> None:
    """Runs the benchmark and prints one JSON line with the medians and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    add_loaded_flag(parser)
    args = parser.parse_args()
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    with tempfile.TemporaryDirectory() as temp:
        path = _build_module(Path(temp))
        _time_tfhub(path), _time_by_hand(path)  # Warm-up: op registration, file cache.
        with condition(args.loaded) as cond:
            hub_times, hand_times = _alternated(path, args.repeats)
            seen = cond.seen()  # Read while the competitors still run.
    hub_median, hand_median = statistics.median(hub_times), statistics.median(hand_times)
    print(
        json.dumps(
            {
                "tfhub_module_s": round(hub_median, 4),
                "saved_model_load_s": round(hand_median, 4),
                "ratio": round(hub_median / hand_median, 3),
                "target_ratio": 1.2,
                "repeats": args.repeats,
                "tfhub_runs_s": [round(t, 4) for t in hub_times],
                "saved_model_load_runs_s": [round(t, 4) for t in hand_times],
                "condition": cond.name,
                "machine": seen,
            }
        )
    )


def _alternated(path: str, repeats: int) -> tuple[list[float], list[float]]:
    """Seconds of each side per repeat, tfhub first in even repeats, second in odd ones."""
    hub_times, hand_times = [], []
    for repeat in range(repeats):
        if repeat % 2 == 0:
            hub_seconds, hub_result = _time_tfhub(path)
            hand_seconds, hand_result = _time_by_hand(path)
        else:
            hand_seconds, hand_result = _time_by_hand(path)
            hub_seconds, hub_result = _time_tfhub(path)
        np.testing.assert_allclose(hub_result, hand_result, rtol=1e-5, atol=1e-6)
        hub_times.append(hub_seconds)
        hand_times.append(hand_seconds)
    return hub_times, hand_times


if __name__ == "__main__":
    main()
