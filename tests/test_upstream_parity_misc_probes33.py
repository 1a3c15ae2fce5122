"""tensorflow_hub 0.10.0's image_util_test.py and estimator_test.py, case by case.

Only the cases no other test covered: the image helpers on a `hub.Module` (not only on its
spec), and the exporter driven as upstream's testLatestModuleExporterDirectly drove it (an
estimator whose `latest_checkpoint()` names the checkpoint, every argument by keyword). TensorFlow
2.21 has no `tf.estimator`, so the estimator here is a plain object with what the exporter uses,
trained by a real `tf.compat.v1` loop.
"""

from __future__ import annotations

import os
import types

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

import tfhub as hub  # noqa: E402

pytestmark = pytest.mark.tf


# --- image_util_test ---------------------------------------------------------------------------


def _image_module_fn() -> None:
    images = tf.compat.v1.placeholder(tf.float32, [None, 2, 4, 3])
    hub.add_signature(
        inputs={"images": images},
        outputs={
            "default": tf.reduce_sum(images, [1, 2, 3]),
            "sum_by_channels": tf.reduce_sum(images, [1, 2]),
        },
    )


def _image_module_with_info_fn() -> None:
    images = tf.compat.v1.placeholder(tf.float32, [None, None, None, 3])
    hub.add_signature(inputs={"images": images}, outputs={"default": tf.reduce_sum(images)})
    info = hub.ImageModuleInfo()
    info.default_image_size.height, info.default_image_size.width = 2, 4
    hub.attach_image_module_info(info)


@pytest.mark.parametrize(
    "module_fn", [_image_module_fn, _image_module_with_info_fn], ids=["from-shape", "from-info"]
)
def test_image_size_and_channels_of_a_spec_and_of_its_module(module_fn) -> None:
    """testGetExpectedImageSizeFromShape, ...FromImageModuleInfo, testGetNumImageChannels."""
    with tf.Graph().as_default():
        spec = hub.create_module_spec(module_fn)
        module = hub.Module(spec)
        for spec_or_module in (spec, module):
            assert hub.get_expected_image_size(spec_or_module) == [2, 4]
            assert hub.get_num_image_channels(spec_or_module) == 3


# --- estimator_test ----------------------------------------------------------------------------

_TEXT_FEATURE_NAME = "text"
_EXPORT_MODULE_NAME = "embedding-text"


def _text_module_fn() -> None:
    weights = tf.compat.v1.get_variable("weights", dtype=tf.float32, shape=[100, 10])
    text = tf.compat.v1.placeholder(tf.string, shape=[None])
    buckets = tf.strings.to_hash_bucket_fast(text, weights.get_shape()[0])
    hub.add_signature(inputs=text, outputs=tf.gather(weights, buckets))


def _model_fn(features, labels, mode):
    """upstream's _get_model_fn(register_module=True): no params, no config."""
    del labels, mode
    embedding = hub.Module(hub.create_module_spec(_text_module_fn))
    hub.register_module_for_export(embedding, _EXPORT_MODULE_NAME)
    predictions = embedding(features[_TEXT_FEATURE_NAME])
    global_step = tf.compat.v1.train.get_global_step()
    train_op = tf.compat.v1.assign_add(global_step, 1)
    return types.SimpleNamespace(predictions=predictions, loss=tf.constant(0.0), train_op=train_op)


def _serving_input_fn():
    text = tf.compat.v1.placeholder(dtype=tf.string, shape=[None])
    return types.SimpleNamespace(features={_TEXT_FEATURE_NAME: text}, receiver_tensors=text)


class _Estimator:
    """What the exporter needs of an Estimator: model_fn, config and latest_checkpoint()."""

    config = None

    def __init__(self, model_dir: str) -> None:
        self._model_dir = model_dir
        self.model_fn = _model_fn

    def train(self, steps: int) -> np.ndarray:
        """A tf.compat.v1 loop as Estimator.train's; returns the trained weights."""
        with tf.Graph().as_default():
            tf.compat.v1.train.create_global_step()
            features = {_TEXT_FEATURE_NAME: tf.constant(["Example 1 feature", "Example 2"])}
            spec = self.model_fn(features, tf.constant([False, True]), "train")
            (weights,) = tf.compat.v1.global_variables(scope="module")
            with tf.compat.v1.train.MonitoredTrainingSession(
                checkpoint_dir=self._model_dir, save_summaries_steps=None
            ) as session:
                for _ in range(steps):
                    session.run(spec.train_op)
                return session.run(weights)

    def latest_checkpoint(self) -> str | None:
        return tf.train.latest_checkpoint(self._model_dir)


def test_latest_module_exporter_directly(tmp_path) -> None:
    """testLatestModuleExporterDirectly: one timestamped folder holding the registered module,
    with the checkpoint's values."""
    estimator = _Estimator(os.fspath(tmp_path / "model_dir"))
    trained = estimator.train(steps=1)
    export_base_dir = os.fspath(tmp_path / "export")
    exporter = hub.LatestModuleExporter("exporter_name", _serving_input_fn)
    export_dir = exporter.export(
        estimator=estimator,
        export_path=export_base_dir,
        checkpoint_path=estimator.latest_checkpoint(),
        eval_result=None,
        is_the_final_export=None,
    )
    (timestamp_dir,) = tf.io.gfile.listdir(export_base_dir)
    assert tf.compat.as_bytes(os.path.join(export_base_dir, timestamp_dir)) == export_dir
    module_dir = os.path.join(export_dir, tf.compat.as_bytes(_EXPORT_MODULE_NAME))
    assert tf.io.gfile.isdir(module_dir)
    module = hub.load(os.fsdecode(module_dir))
    (weights,) = module.variables
    np.testing.assert_array_equal(weights.numpy(), trained)  # the checkpoint's, not new ones
