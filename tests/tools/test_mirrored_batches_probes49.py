"""review49d-F6: make_image_classifier under MirroredStrategy (2 or 3 logical CPUs) leaves out
every batch of fewer images than replicas (TensorFlow 2.21's oneDNN Conv2D fails on a replica's
empty part). A --batch_size below the replica count, or a training (or validation) set smaller
than it, left out every batch: Keras 3 trained on nothing and exported the untrained model with
exit 0, tf_keras ended in Keras' builtin "Empty logs" ValueError. The tool now refuses them with
a ToolFlagError once the strategy is known, before the module loads; an epoch that still runs
no training step (unreadable images leave every batch short) stops with an ImageFolderError
before anything is exported."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from tests._helpers import image_sets
from tests._helpers.python_process import child_env
from tests.tools._one_child import ForkServer

pytestmark = [pytest.mark.tf, pytest.mark.slow]

_CHILD = """
    import json, os, sys
    import tensorflow as tf

    replicas = int(sys.argv[1])
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * replicas
    )
    from tfhub import errors
    from tfhub.tools.make_image_classifier import Outputs, get_default_hparams, train_and_export

    module, out = sys.argv[2:4]
    results = {}
    for name, images, fields in json.loads(sys.argv[4]):
        hparams = get_default_hparams()._replace(train_epochs=1, **fields)
        saved = os.path.join(out, name)
        said = []
        try:
            train_and_export(
                module, images, hparams, outputs=Outputs(saved_model_dir=saved),
                distribution_strategy="mirrored", say=said.append,
            )
            results[name] = {"error": None}
        except errors.ToolError as err:
            results[name] = {
                "error": type(err).__name__, "flag": getattr(err, "flag", None),
                "message": str(err),
            }
        results[name]["exported"] = os.path.exists(saved)
        results[name]["module_loaded"] = any(line.startswith("Using module") for line in said)
    print(json.dumps(results))
"""


def _folder(root: Path, counts: dict[str, int], *, unreadable: int = 0) -> str:
    """`root/<class>/` with `counts[class]` readable PNGs and `unreadable` undecodable JPEGs."""
    rng = np.random.default_rng(0)
    for kind, count in counts.items():
        (root / kind).mkdir(parents=True)
        for i in range(count):
            pixels = image_sets.draw_shape(kind, height=32, width=32, rng=rng)
            image_sets.write_image(root / kind / f"a{i}.png", pixels)
        for i in range(unreadable):
            image_sets.write_corrupt_image(root / kind / f"z{i}.jpg")
    return os.fspath(root)


def _runs(module: str, out: Path, replicas: int, legacy: str, cases: list) -> dict[str, dict]:
    """The cases' results from one process of their own (it sets up `replicas` logical CPUs
    before TensorFlow starts), forked from the tools' warm server (TensorFlow imported, not
    started, no Keras flavour chosen)."""
    done = ForkServer().run(
        _CHILD, str(replicas), module, os.fspath(out), json.dumps(cases),
        env=child_env(TF_USE_LEGACY_KERAS=legacy), timeout=400,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.timeout(420)
@pytest.mark.parametrize("legacy", ["", "1"], ids=["keras3", "tf_keras"])
def test_batch_size_below_the_replicas_is_refused_before_the_module_loads(
    image_modules: dict[str, str], shape_images: Path, tmp_path: Path, legacy: str
) -> None:
    few_valid = _folder(tmp_path / "few_valid", {"circle": 2, "square": 1})
    cases = [
        ["batch", os.fspath(shape_images), {"batch_size": 1}],
        # circle holds out 1 of 2 images, square 0 of 1: 1 validation image, 2 replicas.
        ["valid", few_valid, {"validation_split": 0.5}],
    ]
    results = _runs(image_modules["fixed"], tmp_path / "out", 2, legacy, cases)
    batch = results["batch"]
    assert (batch["error"], batch["flag"]) == ("ToolFlagError", "batch_size"), batch
    assert "--batch_size 1 is below the 2 replicas" in batch["message"]
    assert "Pass --batch_size 2 or more" in batch["message"]
    assert not batch["module_loaded"] and not batch["exported"]
    valid = results["valid"]
    assert (valid["error"], valid["flag"]) == ("ToolFlagError", "validation_split"), valid
    assert "1 validation image" in valid["message"] and "2 replicas" in valid["message"]
    assert not valid["module_loaded"] and not valid["exported"]


@pytest.mark.timeout(420)
def test_too_few_training_images_or_an_epoch_without_a_step_export_nothing(
    image_modules: dict[str, str], tmp_path: Path
) -> None:
    few_train = _folder(tmp_path / "few_train", {"circle": 1, "square": 1})
    # 4 images (not below 3 replicas), one batch of 4 of which 2 decode: no training step.
    short = _folder(tmp_path / "short", {"circle": 1, "square": 1}, unreadable=1)
    cases = [
        ["train", few_train, {"validation_split": 0.0}],
        ["short", short, {"validation_split": 0.0, "batch_size": 4}],
    ]
    results = _runs(image_modules["fixed"], tmp_path / "out", 3, "", cases)
    train = results["train"]
    assert (train["error"], train["flag"]) == ("ToolFlagError", "distribution_strategy"), train
    assert "2 training images" in train["message"] and "3 replicas" in train["message"]
    assert not train["module_loaded"] and not train["exported"]
    short_run = results["short"]
    assert short_run["error"] == "ImageFolderError", short_run
    assert "no training step" in short_run["message"]
    assert not short_run["exported"]
