"""Training twice in one process under MirroredStrategy (rf51a-F1).

Every `tf.distribute.MirroredStrategy` numbers its all-reduces from the same keys (group 1,
instance 100 on), and TensorFlow's runtime keeps each key's tensor shape for the life of the
process: a second strategy's first all-reduce of another shape failed ("Shape mismatch in the
collective instance 100 ... expected shape [18] but another member in the group expected shape
[27]"). Two calls of the Python API, each with a strategy of its own, must both train, also
after the caller's own `fit` under another strategy. A child of its own per flavour (the
flavour is chosen before Keras is imported, and the logical CPUs before TensorFlow starts)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from tests._helpers.python_process import child_env
from tests.tools._one_child import ForkServer

pytestmark = [pytest.mark.tf, pytest.mark.slow]

TWICE = """
    import json, sys
    import numpy as np
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from tfhub.tools import make_image_classifier as mic

    module, three_classes, two_classes = sys.argv[1:4]
    keras = mic.lib.keras_module()

    def mirrored():
        return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])

    # The caller's own training first: 5 classes on 8 features (an all-reduce of 45 values).
    with mirrored().scope():
        own = keras.Sequential([keras.Input(shape=(8,)), keras.layers.Dense(5)])
        own.compile(optimizer="sgd", loss="mse")
    own.fit(np.zeros((8, 8), np.float32), np.zeros((8, 5), np.float32), batch_size=4, verbose=0)
    hparams = mic.get_default_hparams()._replace(train_epochs=2, batch_size=6)
    accuracies = []
    for image_dir in (three_classes, two_classes, three_classes):  # 27, 18, 27 values.
        for bottlenecks in (True, False):
            _, labels, history = mic.make_image_classifier(
                module, image_dir, hparams, mirrored(), bottlenecks=bottlenecks, seed=0
            )
            accuracies.append([len(labels), history.history["val_accuracy"]])
    print(json.dumps(accuracies))
"""


@pytest.mark.parametrize("flavour", ["keras3", "tf_keras"])
def test_two_trainings_under_two_mirrored_strategies_in_one_process(
    forks: ForkServer,
    shape_images: Path,
    image_modules: dict[str, str],
    tmp_path: Path,
    flavour: str,
) -> None:
    two_classes = tmp_path / "two"
    for label in ("circle", "square"):
        shutil.copytree(shape_images / label, two_classes / label)
    done = forks.run(
        TWICE,
        image_modules["fixed"],
        os.fspath(shape_images),
        os.fspath(two_classes),
        env=child_env(TF_USE_LEGACY_KERAS="1" if flavour == "tf_keras" else "0"),
        timeout=600,
    )
    assert "Shape mismatch in the collective instance" not in done.stderr
    assert done.returncode == 0, done.stderr[-4000:]
    runs = json.loads(done.stdout.strip().splitlines()[-1])
    assert [classes for classes, _ in runs] == [3, 3, 2, 2, 3, 3]
    assert all(len(accuracy) == 2 for _, accuracy in runs)  # Both epochs validated.
