"""Lifecycles of make_image_classifier a user runs (session 62, p62t): the Python API under
`--distribution_strategy mirrored` with `--do_fine_tuning`, on a module with batch
normalization (moving statistics updated when called with training=True), over two replicas.

The tool's own checks of the module (its output on black images and on a few real images,
and the memory one batch takes) call the module through `strategy.run` eagerly, on purpose;
TensorFlow logs "Using MirroredStrategy eagerly has significant overhead currently ... please
wrap `call_for_each_replica` or `experimental_run` or `run` inside a tf.function" for each of
them (8 lines for a run), advice about code that is the tool's, not the user's, which
tensorflow_hub 0.10's tool never printed. The command line hides TensorFlow's Python logs; a
Python API caller saw every one."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests._helpers import image_sets
from tests._helpers.python_process import child_env
from tests.tools._one_child import ForkServer

pytestmark = [pytest.mark.tf]

# Builds the module (conv, batch normalization, mean pool: 5 features), then trains under a
# MirroredStrategy of two logical CPUs with fine-tuning and exports a SavedModel and a .tflite
# file; prints the exported variables, the SavedModel's probabilities for 3 images and how far
# the .tflite file's are from them (for the first image alone, then for all 3).
FINE_TUNE_MIRRORED = """
    import json, os, sys
    import numpy as np
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from tests._helpers.image_models import tflite_predictions
    from tests._helpers.models import _save
    from tfhub.tools import make_image_classifier as mic

    images, work = sys.argv[1:3]

    class BatchNormFeatures(tf.Module):
        def __init__(self):
            super().__init__()
            kernel = np.random.default_rng(0).normal(0, 0.5, (3, 3, 3, 5)).astype(np.float32)
            self.kernel = tf.Variable(kernel, name="kernel")
            self.gamma = tf.Variable(tf.ones([5]), name="gamma")
            self.beta = tf.Variable(tf.zeros([5]), name="beta")
            self.mean = tf.Variable(tf.zeros([5]), trainable=False, name="moving_mean")
            self.var = tf.Variable(tf.ones([5]), trainable=False, name="moving_variance")

        def __call__(self, images, training=False):
            conv = tf.nn.conv2d(images, self.kernel, 2, "SAME")
            if training:
                mean, var = tf.nn.moments(conv, [0, 1, 2])
                self.mean.assign(0.9 * self.mean + 0.1 * mean)
                self.var.assign(0.9 * self.var + 0.1 * var)
            else:
                mean, var = self.mean, self.var
            normed = tf.nn.batch_normalization(conv, mean, var, self.beta, self.gamma, 1e-3)
            return tf.reduce_mean(tf.nn.relu(normed), [1, 2])

    module = BatchNormFeatures()
    call = tf.function(module.__call__)
    for training in (False, True):
        call.get_concrete_function(tf.TensorSpec([None, 32, 32, 3]), training)
    _save(module, os.path.join(work, "bn"), call)
    hparams = mic.get_default_hparams()._replace(
        train_epochs=2, batch_size=4, validation_split=0.25, do_fine_tuning=True
    )
    out = os.path.join(work, "exported")
    _, labels, history = mic.train_and_export(
        os.path.join(work, "bn"), images, hparams, distribution_strategy="mirrored",
        outputs=mic.Outputs(saved_model_dir=out, tflite_output_file=out + ".tflite"),
        say=lambda line: None,
    )
    exported = tf.saved_model.load(out)
    variables = {v.name.split(":")[0]: v.numpy().tolist() for v in exported.variables}
    batch = np.random.default_rng(1).uniform(0, 1, (3, 32, 32, 3)).astype(np.float32)
    served = exported.signatures["serving_default"](input_1=tf.constant(batch))["dense"].numpy()
    lite = [tflite_predictions(out + ".tflite", rows) for rows in (batch[:1], batch)]
    gaps = [float(np.abs(rows - served[: len(rows)]).max()) for rows in lite]
    print(json.dumps([labels, sorted(history.history), variables, served.tolist(), gaps]))
"""


def test_fine_tuning_a_batch_norm_module_under_mirrored_says_nothing_of_eager_runs(
    forks: ForkServer, tmp_path: Path
) -> None:
    """Two replicas fine-tune the module: its gamma trains, its moving statistics move (the
    module ran with training=True in each replica), the SavedModel's serving_default (input
    "input_1", output "dense", as upstream's export) gives probabilities, and the .tflite file
    gives the same for a batch of 1 and of 3; and stderr holds no warning about
    `strategy.run` called eagerly (it held 8 lines)."""
    images = tmp_path / "images"
    image_sets.make_image_folder(images, per_class=4, sizes=((32, 32),), seed=3)

    done = forks.run(
        FINE_TUNE_MIRRORED,
        os.fspath(images),
        os.fspath(tmp_path),
        env=child_env(TF_USE_LEGACY_KERAS="0"),
        timeout=600,
    )

    assert done.returncode == 0, done.stderr[-4000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    labels, keys, variables, probabilities, tflite_gaps = result
    assert labels == ["circle", "square", "triangle"]
    assert "val_accuracy" in keys
    assert variables["moving_mean"] != [0.0] * 5 and variables["moving_variance"] != [1.0] * 5
    assert variables["gamma"] != [1.0] * 5  # Fine-tuning reached the module.
    assert len(probabilities) == 3
    assert all(abs(sum(row) - 1.0) < 1e-5 for row in probabilities)
    assert max(tflite_gaps) < 1e-5  # The .tflite (a batch of 1, of 3) as the SavedModel serves.
    assert "MirroredStrategy eagerly" not in done.stderr, done.stderr[-2000:]


# Calls the Python API inside the caller's own `with strategy.scope():` (without a strategy,
# then with that one), then as the error says: outside it, the strategy passed.
IN_A_SCOPE = """
    import json, os, sys
    import tensorflow as tf

    from tests._helpers import image_models
    from tfhub import errors
    from tfhub.tools import make_image_classifier as mic

    images, work = sys.argv[1:3]
    module = image_models.save_image_feature_vector(os.path.join(work, "m"), image_size=(32, 32))
    hparams = mic.get_default_hparams()._replace(train_epochs=1, batch_size=4, validation_split=0)
    strategy = tf.distribute.MirroredStrategy()
    refusals = []
    for given in (None, strategy):
        with strategy.scope():
            try:
                mic.make_image_classifier(module, images, hparams, given, say=lambda line: None)
            except errors.UnsupportedStrategyError as err:
                refusals.append([isinstance(err, ValueError), err.strategy, str(err)])
    _, labels, _ = mic.make_image_classifier(module, images, hparams, strategy, say=lambda l: None)
    print(json.dumps([refusals, labels]))
"""


def test_a_call_inside_the_callers_strategy_scope_is_refused_saying_what_to_do(
    forks: ForkServer, tmp_path: Path
) -> None:
    """Inside `with strategy.scope():` the tool's host variables of the input pipeline became
    distributed ones, and training failed with a bare AttributeError (no message) from
    `MirroredVariable.sparse_read`, with or without the strategy passed (tensorflow_hub 0.10's
    tool, whose pipeline had no variables, trained). Now: an UnsupportedStrategyError (a
    ValueError) naming the strategy and the remedy, before the module loads; the remedy
    trains."""
    images = tmp_path / "images"
    image_sets.make_image_folder(images, per_class=2, sizes=((32, 32),), seed=4)

    done = forks.run(IN_A_SCOPE, os.fspath(images), os.fspath(tmp_path), timeout=600)

    assert done.returncode == 0, done.stderr[-4000:]
    refusals, labels = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(refusals) == 2
    for is_value_error, strategy, message in refusals:
        assert is_value_error and strategy == "MirroredStrategy"
        assert "inside the scope of a tf.distribute strategy (MirroredStrategy)" in message
        assert "pass the strategy as distribution_strategy=" in message
        assert message.endswith("Received: strategy=MirroredStrategy"), message
    assert labels == ["circle", "square", "triangle"]
