"""make_image_classifier's input pipeline vs upstream's (issue 8). Run:

    python3 benchmarks/bench_image_classifier.py [--runs 2] [--epochs 5] [--per-class 734]
        [--modules tiny[,mobilenet]] [--loaded]

Trains the same classifier (module, Dropout 0.2, softmax Dense with L2 1e-4; SGD lr 0.1,
momentum 0.9; label smoothing 0.1; batch 32; 224x224 inputs; 20% validation) on the same JPEG
images (5 classes of coloured shapes, 240x320 / 256x256 / 320x240, as TF Flowers' photos; by
default 5 x 734 = 3,670 images, TF Flowers' count: --per-class 100 for a quick run) with:
  - tfhub: `tfhub.tools.make_image_classifier` in Keras 3, the tool's own code
    (`lib.load_module`, then `lib.train_on_module`, as `lib.make_image_classifier` runs them):
    each image decoded in parallel by tf.data the first time training asks for it (decoding
    overlaps the first epoch) and run through the frozen module once ("bottlenecks"), its
    features kept in memory for later epochs, shuffled, batched, prefetched; the head trains on
    them, and the whole model is put together at the end; each TensorFlow op on one thread, as
    the command sets its own process for bottlenecks (BENCH_BOTTLENECKS=0 in the
    environment: the whole model on kept pixels, the path of fine-tuning and augmentation);
  - upstream: tensorflow_hub 0.16.1's KerasLayer in tf_keras (TF_USE_LEGACY_KERAS=1) fed by
    `ImageDataGenerator.flow_from_directory`, as make_image_classifier 0.10.0 did.
Each side runs in its own process, alternated run by run (tfhub first in even runs, upstream
first in odd ones, so neither always meets the images' cold page cache), after `--warmup` runs
of each side (1 epoch each, default 1) that are not timed: in the lead's idle runs at the
forty-ninth session's start and in sessions 51 and 52, each side's first run had the highest
first-epoch CPU of its three (tfhub 9.2 vs 7.8/7.5 s, upstream 18.3 vs 16.4/17.9 s in session
52), and tfhub, first in run 0, always took the earliest slot; the page cache did not explain
it (session 53: cold, freshly written or warm images, cold or warm TensorFlow libraries: no
change of the first epoch's CPU beyond the noise), so whatever state of the machine it is, the
warm-up takes it, on neither side's figures. Both sides load the
module before the clock starts; each side's first epoch then counts the same steps: listing the
image folder, setting up its input pipeline, building and compiling the model, and the epoch
itself with its validation. Reported per module: training
images/s of the first epoch (both sides decode every image in it), of later epochs (median),
of the whole run (all epochs), the CPU seconds of the whole run, and the final validation
accuracy; ratios are tfhub / upstream of the medians over runs.
Modules: "tiny" (a conv feature vector of 8 features: the pipeline dominates) and "mobilenet"
(MobileNetV2 alpha 0.35 with random weights, the compute of a real feature-vector module:
the model dominates). The condition (idle, or with `--loaded` one CPU-bound busy loop per core,
started by the benchmark, running through every side's run), the machine's cores and load
average are printed beside each module's figures. --json prints the results as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))  # For tests._helpers.
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))
from _common import add_loaded_flag, condition, machine  # noqa: E402

IMAGE_SIZE = 224
BATCH = 32
LEARNING_RATE = 0.1
CLASSES = ("circle", "square", "triangle", "cross", "ring")
SIZES = ((240, 320), (256, 256), (320, 240))


def _make_inputs(root: Path, per_class: int, modules: list[str]) -> dict[str, str]:
    from tests._helpers import image_models, image_sets

    image_sets.make_image_folder(
        root / "images", classes=CLASSES, per_class=per_class, sizes=SIZES, formats=("jpg",)
    )
    built = {}
    if "tiny" in modules:
        built["tiny"] = image_models.save_image_feature_vector(
            root / "tiny", image_size=(IMAGE_SIZE, IMAGE_SIZE)
        )
    if "mobilenet" in modules:
        built["mobilenet"] = _save_mobilenet(root / "mobilenet")
    return built


def _save_mobilenet(path: Path) -> str:
    """MobileNetV2 (alpha 0.35, random weights) as a reusable SavedModel: images -> [b, 1280]."""
    import keras
    import tensorflow as tf

    net = keras.applications.MobileNetV2(
        input_shape=(IMAGE_SIZE, IMAGE_SIZE, 3),
        alpha=0.35,
        include_top=False,
        weights=None,
        pooling="avg",
    )
    root = tf.train.Checkpoint()
    root.net = net
    root.__call__ = tf.function(
        lambda images: net(images * 2.0 - 1.0, training=False),
        input_signature=[tf.TensorSpec([None, IMAGE_SIZE, IMAGE_SIZE, 3], tf.float32)],
    )
    root.variables = [v.value for v in net.variables]
    root.trainable_variables = [v.value for v in net.trainable_variables]
    root.regularization_losses = []
    tf.saved_model.save(root, os.fspath(path))
    return os.fspath(path)


# --- The two sides, each in its own process -------------------------------------------------------


def _child_tfhub(image_dir: str, handle: str, epochs: int) -> dict:
    """make_image_classifier's own code (lib.load_module, then lib.train_on_module), timed from
    the file listing on (the module is loaded and checked before, as upstream's side loads its
    layer before)."""
    import numpy as np

    from tfhub.tools import image_folders
    from tfhub.tools.make_image_classifier import data, get_default_hparams, lib

    hparams = get_default_hparams()._replace(
        train_epochs=epochs, batch_size=BATCH, learning_rate=LEARNING_RATE
    )
    strategy = lib.NoStrategy()
    bottlenecks = os.environ.get("BENCH_BOTTLENECKS", "1") == "1"
    if bottlenecks:  # As the command sets its own process (cli.run: single_threaded_ops=True).
        from tfhub.tools.make_image_classifier.module_setup import (
            single_threaded_ops_for_bottlenecks,
        )

        single_threaded_ops_for_bottlenecks(hparams)
    module = lib.load_module(handle, hparams, strategy, bottlenecks=bottlenecks)
    cpu = time.process_time()
    started = time.perf_counter()
    marks, cpu_marks, setup = [started], [cpu], [0.0]

    def say(line: str) -> None:
        if line.startswith("Epoch "):  # The tool's line at the end of each epoch.
            marks.append(time.perf_counter())
            cpu_marks.append(time.process_time())
        elif line.startswith("Found "):  # Said once the input pipeline is set up.
            setup[0] = time.perf_counter() - started

    files = image_folders.list_image_files(image_dir)
    _, _, history = lib.train_on_module(module, files, hparams, strategy, say=say, seed=0)
    label_ids = np.asarray(files.label_ids)
    train_images = len(data.split_indices(label_ids, hparams.validation_split)[0])
    return {
        "epoch_seconds": [b - a for a, b in zip(marks, marks[1:], strict=False)],
        "setup_seconds": setup[0],
        "epoch_cpu_seconds": [b - a for a, b in zip(cpu_marks, cpu_marks[1:], strict=False)],
        "cpu_seconds": time.process_time() - cpu,
        "train_images": train_images,
        "val_accuracy": float(history.history["val_accuracy"][-1]),
        "bottlenecks": module.bottlenecks,
    }


def _child_upstream(image_dir: str, handle: str, epochs: int) -> dict:
    import tensorflow as tf
    import tensorflow_hub as hub

    assert tf.keras.__name__.startswith("tf_keras"), "run with TF_USE_LEGACY_KERAS=1"
    size = (IMAGE_SIZE, IMAGE_SIZE)
    layer = hub.KerasLayer(handle, trainable=False)  # Loaded before the clock, as tfhub's side.
    cpu = time.process_time()
    started = time.perf_counter()  # From the file listing, as tfhub's side.
    datagen = tf.keras.preprocessing.image.ImageDataGenerator(
        rescale=1.0 / 255, validation_split=0.2
    )
    flow = {"target_size": size, "batch_size": BATCH, "interpolation": "bilinear"}
    valid = datagen.flow_from_directory(image_dir, subset="validation", shuffle=False, **flow)
    train = datagen.flow_from_directory(image_dir, subset="training", shuffle=True, **flow)
    setup = time.perf_counter() - started
    model = tf.keras.Sequential(  # Building counts, as on tfhub's side (lib.train_on_module).
        [
            tf.keras.Input(shape=(*size, 3)),
            layer,
            tf.keras.layers.Dropout(rate=0.2),
            tf.keras.layers.Dense(
                train.num_classes,
                activation="softmax",
                kernel_regularizer=tf.keras.regularizers.l1_l2(l1=0.0, l2=0.0001),
            ),
        ]
    )
    marks, cpu_marks = [started], [cpu]  # The first epoch counts everything from the listing.
    model.compile(
        optimizer=tf.keras.optimizers.SGD(learning_rate=LEARNING_RATE, momentum=0.9),
        loss=tf.keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
        metrics=["accuracy"],
    )

    class Timer(tf.keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            marks.append(time.perf_counter())
            cpu_marks.append(time.process_time())

    steps = train.samples // BATCH
    history = model.fit(
        train,
        epochs=epochs,
        steps_per_epoch=steps,
        validation_data=valid,
        validation_steps=max(1, valid.samples // BATCH),  # 0 would never end.
        callbacks=[Timer()],
        verbose=0,
    )
    return {
        "epoch_seconds": [b - a for a, b in zip(marks, marks[1:], strict=False)],
        "setup_seconds": setup,
        "epoch_cpu_seconds": [b - a for a, b in zip(cpu_marks, cpu_marks[1:], strict=False)],
        "cpu_seconds": time.process_time() - cpu,
        "train_images": steps * BATCH,
        "val_accuracy": float(history.history["val_accuracy"][-1]),
    }


def _run_side(side: str, image_dir: str, handle: str, epochs: int) -> dict:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{ROOT}")
    env["TF_USE_LEGACY_KERAS"] = "1" if side == "upstream" else "0"
    args = [sys.executable, __file__, "--child", side, image_dir, handle, str(epochs)]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=3600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{side} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- Driver -------------------------------------------------------------------------------------


def _warm_up(runs: int, image_dir: str, handle: str) -> None:
    """Runs each side `runs` times (1 epoch, alternated, results dropped) before the timed runs,
    so that the machine's state after the set-up (the first processes ran slower, on either
    side) falls on neither side's figures."""
    for run in range(runs):
        for side in ("tfhub", "upstream") if run % 2 == 0 else ("upstream", "tfhub"):
            _run_side(side, image_dir, handle, 1)


def _rates(result: dict) -> tuple[float, float, float]:
    """(first-epoch images/s, median later-epoch images/s, whole-run images/s)."""
    seconds = result["epoch_seconds"]
    later = statistics.median(seconds[1:]) if len(seconds) > 1 else seconds[0]
    images = result["train_images"]
    return images / seconds[0], images / later, images * len(seconds) / sum(seconds)


RATES = ("first_epoch_images_per_s", "later_epoch_images_per_s", "run_images_per_s")


def _summary(name: str, runs: dict[str, list[dict]]) -> dict:
    row: dict = {"module": name}
    for side, results in runs.items():
        rates = [_rates(r) for r in results]
        row[side] = {key: statistics.median(r[i] for r in rates) for i, key in enumerate(RATES)}
        row[side]["cpu_seconds"] = statistics.median(r["cpu_seconds"] for r in results)
        row[side]["first_epoch_cpu_seconds"] = statistics.median(
            r["epoch_cpu_seconds"][0] for r in results
        )
        row[side]["val_accuracy"] = [r["val_accuracy"] for r in results]
        row[side]["runs"] = results
    for key in (*RATES, "cpu_seconds", "first_epoch_cpu_seconds"):
        row[f"ratio_{key}"] = row["tfhub"][key] / row["upstream"][key]
    return row


def _print_row(row: dict) -> None:
    t, u = row["tfhub"], row["upstream"]
    print(f"{row['module']:>9}: measured on {row['machine']}")
    labels = ("first epoch", "later epochs", "whole run")
    for label, key in zip(labels, RATES, strict=True):
        print(
            f"{row['module']:>9}: {label:>12} {t[key]:7.1f} vs {u[key]:7.1f} images/s = "
            f"{row['ratio_' + key]:.2f}x | {row['machine']}"
        )
    print(
        f"{'':>9}  CPU seconds (user+sys, all threads): first epoch "
        f"{t['first_epoch_cpu_seconds']:.1f} vs {u['first_epoch_cpu_seconds']:.1f}, whole run "
        f"{t['cpu_seconds']:.1f} vs {u['cpu_seconds']:.1f}; val accuracy tfhub "
        f"{t['val_accuracy']} upstream {u['val_accuracy']} | {row['machine']}"
    )
    for side in ("tfhub", "upstream"):
        for key in ("epoch_seconds", "epoch_cpu_seconds"):
            per_run = ", ".join("/".join(f"{s:.1f}" for s in r[key]) for r in row[side]["runs"])
            label = key.replace("_", " ")
            print(f"{'':>9}  {side} {label} per run: {per_run} | {row['machine']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--per-class", type=int, default=734, help="734: TF Flowers' 3,670")
    parser.add_argument("--modules", default="tiny", help="tiny,mobilenet (mobilenet: slow)")
    parser.add_argument(
        "--warmup", type=int, default=1, help="untimed runs of each side first (1 epoch each)"
    )
    parser.add_argument("--json", action="store_true")
    add_loaded_flag(parser)
    args = parser.parse_args()
    if len(CLASSES) * (args.per_class - int(0.2 * args.per_class)) < BATCH:
        parser.error(  # Upstream's side trains whole batches only: 0 steps would be an error.
            f"--per-class must be at least 8: the training images ({len(CLASSES)} classes, "
            f"80% of each) must fill a batch of {BATCH}. Received: --per-class={args.per_class}"
        )
    modules = args.modules.split(",")
    print(f"machine: {machine()}", flush=True)
    print(
        f"recipe: {len(CLASSES)} classes x {args.per_class} JPEGs, {IMAGE_SIZE}x{IMAGE_SIZE}, "
        f"batch {BATCH}, {args.epochs} epochs, {args.runs} runs per side alternated, fresh "
        f"process each, after {args.warmup} untimed warm-up run(s) per side",
        flush=True,
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-classifier-") as scratch:
        handles = _make_inputs(Path(scratch), args.per_class, modules)
        image_dir = os.fspath(Path(scratch) / "images")
        with condition(args.loaded) as cond:
            for name in modules:
                _warm_up(args.warmup, image_dir, handles[name])
                runs: dict[str, list[dict]] = {"tfhub": [], "upstream": []}
                for run in range(args.runs):
                    sides = ("tfhub", "upstream") if run % 2 == 0 else ("upstream", "tfhub")
                    for side in sides:
                        runs[side].append(_run_side(side, image_dir, handles[name], args.epochs))
                seen = {"condition": cond.name, "machine": cond.seen()}
                rows.append({**_summary(name, runs), **seen})
                _print_row(rows[-1])
    print(f"machine after: {machine()}")
    if args.json:
        print(json.dumps(rows))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        side, image_dir, handle, epochs = sys.argv[2:6]
        child = _child_tfhub if side == "tfhub" else _child_upstream
        print(json.dumps(child(image_dir, handle, int(epochs))))
    else:
        main()
