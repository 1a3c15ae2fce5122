"""Benchmarks of hub.KerasLayer (issue 3). Run: python3 benchmarks/bench_keras_layer.py

Prints ratios measured in one run (lower is better; 1.00 = same time):
  1. inference through the layer vs calling the loaded SavedModel directly, eagerly and in a
     compiled tf.function, on a 1024x64 batch, for a small and a bigger MLP (target <= 1.05);
  2. training with trainable=True: tfhub in Keras 3 and in tf_keras vs tensorflow_hub 0.16.1 in
     tf_keras (target <= 1.0): a compiled GradientTape step (the layer's own cost) and one `fit`
     epoch (which adds each Keras's own training loop);
  3. time to construct and build the layer vs tensorflow_hub 0.16.1.
Ratios are medians of back-to-back pairs, the order alternating (robust to a busy machine);
each group prints the condition (idle, or with `--loaded` one CPU-bound busy loop per core,
started by the benchmark, running through every group), the cores and the load average it ran
on. References that show
the frameworks' own overheads: tensorflow_hub's layer in eager, plain Keras 3 vs tf_keras
Dense models of the same size in `fit`, and a minimal Keras 3 layer (tracks the SavedModel's
variables and calls it, nothing else) in `fit`. Options: --repeats N, --sizes small,big (the
models measured), --groups (inference,train_step,fit_epoch,construct_and_build: the groups
measured), --loaded, --json (JSON on stdout).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parents[1]))  # For tests._helpers.models.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import Condition, add_loaded_flag, condition

BATCH, FEATURES = 1024, 64
SIZES = {"small": {"hidden": 256, "outputs": 16}, "big": {"hidden": 2048, "outputs": 256}}


def _median_time(fn: Callable[[], object], repeats: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        _block(fn())
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        _block(fn())
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _paired_ratio(
    candidate: Callable[[], object], baseline: Callable[[], object], repeats: int
) -> float:
    """Median of time(candidate) / time(baseline), measured back to back in each repeat.

    Pairing cancels most of the drift from other processes sharing the machine; the order
    alternates (baseline first in even repeats, candidate first in odd) so neither side always
    runs on the caches the other just warmed.
    """
    for _ in range(3):
        _block(candidate())
        _block(baseline())
    ratios = []
    for repeat in range(repeats):
        first, second = (baseline, candidate) if repeat % 2 == 0 else (candidate, baseline)
        start = time.perf_counter()
        _block(first())
        middle = time.perf_counter()
        _block(second())
        end = time.perf_counter()
        firsts, seconds = middle - start, end - middle
        ratios.append(seconds / firsts if repeat % 2 == 0 else firsts / seconds)
    return statistics.median(ratios)


def _block(value: object) -> None:
    """Waits for the result (forces the computation to finish)."""
    if hasattr(value, "numpy"):
        value.numpy()


def bench_inference(path: str, repeats: int) -> dict[str, float]:
    import tensorflow as tf

    import tfhub as hub
    from tfhub.keras.layer import KerasLayer
    from tfhub.keras.tf_keras_layer import KerasLayer as TFKerasLayer

    x = tf.constant(np.random.default_rng(0).normal(size=(BATCH, FEATURES)).astype(np.float32))
    obj = hub.load(path)
    import tensorflow_hub

    keras3, tfk = KerasLayer(path), TFKerasLayer(path)
    upstream = tensorflow_hub.KerasLayer(path)
    minimal = _minimal_keras3_layer(path)
    direct_fn = tf.function(lambda t: obj(t))
    keras3_fn = tf.function(lambda t: keras3(t))
    tfk_fn = tf.function(lambda t: tfk(t))
    return {
        "keras3_eager": _paired_ratio(lambda: keras3(x), lambda: obj(x), repeats),
        "tf_keras_eager": _paired_ratio(lambda: tfk(x), lambda: obj(x), repeats),
        "upstream_eager(ref)": _paired_ratio(lambda: upstream(x), lambda: obj(x), repeats),
        "minimal_keras3_eager(ref)": _paired_ratio(lambda: minimal(x), lambda: obj(x), repeats),
        "keras3_compiled": _paired_ratio(lambda: keras3_fn(x), lambda: direct_fn(x), repeats),
        "tf_keras_compiled": _paired_ratio(lambda: tfk_fn(x), lambda: direct_fn(x), repeats),
        "direct_eager_ms": _median_time(lambda: obj(x), repeats) * 1e3,
    }


def _fit_runner(
    make_layer: Callable[[], object], keras_module: object, outputs: int
) -> Callable[[], None]:
    """Returns a function that runs one fit epoch (after a warm-up epoch that traces)."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4096, FEATURES)).astype(np.float32)
    y = rng.normal(size=(4096, outputs)).astype(np.float32)
    model = keras_module.Sequential([keras_module.Input((FEATURES,)), make_layer()])
    model.compile(keras_module.optimizers.SGD(0.001), "mse")

    def epoch() -> None:
        model.fit(x, y, epochs=1, batch_size=256, verbose=0)

    epoch()
    return epoch


def bench_fit(path: str, size: str, repeats: int) -> dict[str, float]:
    import keras
    import tensorflow_hub
    import tf_keras

    from tfhub.keras.layer import KerasLayer
    from tfhub.keras.tf_keras_layer import KerasLayer as TFKerasLayer

    sizes = SIZES[size]
    out = sizes["outputs"]
    upstream = _fit_runner(lambda: tensorflow_hub.KerasLayer(path, trainable=True), tf_keras, out)
    keras3 = _fit_runner(lambda: KerasLayer(path, trainable=True), keras, out)
    tfk = _fit_runner(lambda: TFKerasLayer(path, trainable=True), tf_keras, out)

    def dense_mlp(keras_module: object) -> Callable[[], object]:
        return lambda: keras_module.Sequential(
            [
                keras_module.layers.Dense(sizes["hidden"], activation="relu"),
                keras_module.layers.Dense(sizes["outputs"]),
            ]
        )

    minimal = _fit_runner(lambda: _minimal_keras3_layer(path), keras, out)
    return {
        "keras3_vs_upstream": _paired_ratio(keras3, upstream, repeats),
        "tf_keras_vs_upstream": _paired_ratio(tfk, upstream, repeats),
        "minimal_keras3_layer_vs_upstream(ref)": _paired_ratio(minimal, upstream, repeats),
        "dense_keras3_vs_tf_keras(ref)": _paired_ratio(
            _fit_runner(dense_mlp(keras), keras, out),
            _fit_runner(dense_mlp(tf_keras), tf_keras, out),
            repeats,
        ),
        "upstream_epoch_ms": _median_time(upstream, repeats, warmup=0) * 1e3,
    }


def _minimal_keras3_layer(path: str) -> object:
    """The least a Keras 3 layer can do to train a SavedModel: track its variables, call it.

    A reference for what Keras 3 itself costs (no config, casting, checks or errors).
    """
    import keras

    import tfhub as hub

    class Minimal(keras.layers.Layer):
        def __init__(self) -> None:
            super().__init__()
            self.obj = hub.load(path)
            for variable in self.obj.trainable_variables:
                name = variable.name.split(":")[0].replace("/", "_")
                self._track_variable(keras.Variable(initializer=variable, name=name))

        def call(self, x: object, training: object = None) -> object:
            return self.obj(x, training=bool(training))

    return Minimal()


def bench_train_step(path: str, repeats: int) -> dict[str, float]:
    """A compiled GradientTape + SGD step through each layer: the layer's own training cost."""
    import tensorflow as tf
    import tensorflow_hub

    from tfhub.keras.layer import KerasLayer
    from tfhub.keras.tf_keras_layer import KerasLayer as TFKerasLayer

    rng = np.random.default_rng(2)
    x = tf.constant(rng.normal(size=(256, FEATURES)).astype(np.float32))

    def step_fn(layer: Callable[..., object], variables: list) -> Callable[[], object]:
        @tf.function
        def step() -> object:
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(layer(x, training=True)))
            for variable, grad in zip(variables, tape.gradient(loss, variables), strict=True):
                variable.assign_sub(0.001 * grad)
            return loss

        return lambda: [step() for _ in range(10)][-1]

    upstream = tensorflow_hub.KerasLayer(path, trainable=True)
    keras3, tfk = KerasLayer(path, trainable=True), TFKerasLayer(path, trainable=True)
    baseline = step_fn(upstream, upstream.trainable_weights)
    return {
        "keras3_vs_upstream": _paired_ratio(
            step_fn(keras3, keras3.trainable_weights), baseline, repeats
        ),
        "tf_keras_vs_upstream": _paired_ratio(
            step_fn(tfk, tfk.trainable_weights), baseline, repeats
        ),
        "upstream_step_ms": _median_time(baseline, repeats) * 100,
    }


def bench_construct(path: str, repeats: int) -> dict[str, float]:
    import tensorflow as tf
    import tensorflow_hub

    from tfhub.keras.layer import KerasLayer
    from tfhub.keras.tf_keras_layer import KerasLayer as TFKerasLayer

    x = tf.zeros((8, FEATURES))

    def build(layer_class: Callable[..., object]) -> Callable[[], object]:
        return lambda: layer_class(path)(x)

    upstream = build(tensorflow_hub.KerasLayer)
    return {
        "keras3_vs_upstream": _paired_ratio(build(KerasLayer), upstream, repeats),
        "tf_keras_vs_upstream": _paired_ratio(build(TFKerasLayer), upstream, repeats),
        "upstream_ms": _median_time(upstream, repeats, warmup=0) * 1e3,
    }


GROUPS = ("inference", "train_step", "fit_epoch", "construct_and_build")


def run_groups(
    paths: dict[str, str], repeats: int, groups: list[str], cond: Condition
) -> tuple[dict[str, dict[str, float]], dict[str, str]]:
    """Every group's figures, and the condition and machine at the end of each group."""
    fit_repeats = max(min(5, repeats), repeats // 3)  # At least 5, unless fewer are asked.
    first = next(iter(paths))
    runs = {
        "inference": lambda name, path: bench_inference(path, repeats),
        "train_step": lambda name, path: bench_train_step(path, repeats),
        "fit_epoch": lambda name, path: bench_fit(path, name, fit_repeats),
        "construct_and_build": lambda name, path: bench_construct(path, min(7, repeats)),
    }
    results: dict[str, dict[str, float]] = {}
    machines: dict[str, str] = {}
    for group in (group for group in GROUPS if group in groups):
        models = [(first, paths[first])] if group == "construct_and_build" else paths.items()
        for name, path in models:
            results[f"{group}_{name}"] = runs[group](name, path)
            machines[f"{group}_{name}"] = cond.seen()
    return results, machines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--sizes", default="small,big", help="the models measured: small,big")
    parser.add_argument(
        "--groups", default=",".join(GROUPS), help=f"the groups measured: {','.join(GROUPS)}"
    )
    parser.add_argument("--json", action="store_true")
    add_loaded_flag(parser)
    args = parser.parse_args()
    unknown = set(args.groups.split(",")) - set(GROUPS) or set(args.sizes.split(",")) - set(SIZES)
    if unknown:
        parser.error(
            f"unknown groups or sizes {sorted(unknown)}: the groups are {', '.join(GROUPS)}, the "
            f"sizes {', '.join(SIZES)}. Received: --groups={args.groups} --sizes={args.sizes}"
        )
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from tests._helpers.models import save_mlp

    with tempfile.TemporaryDirectory() as root:
        paths = {
            name: save_mlp(os.path.join(root, name), inputs=FEATURES, **SIZES[name])
            for name in args.sizes.split(",")
        }
        with condition(args.loaded) as cond:
            results, machines = run_groups(paths, args.repeats, args.groups.split(","), cond)
    if args.json:
        print(json.dumps({"results": results, "machine": machines}))
        return
    for group, values in results.items():
        print(f"{group} | {machines[group]}")
        for key, value in values.items():
            print(f"  {key:<30} {value:8.3f} | {machines[group]}")


if __name__ == "__main__":
    main()
