"""hub.image_embedding_column over TF1 image modules."""

from __future__ import annotations

import numpy as np
import pytest
from tests.feature_column._support import (
    IMAGE_FC,
    IMAGE_V1,
    graph_input_layer,
)

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf


def test_image_embedding_column_input_layer_matches_upstream():
    column = hub.image_embedding_column("images", IMAGE_V1)
    assert column.name == IMAGE_FC["column_name"]
    assert column.image_size == (8, 6)
    spec = column.parse_example_spec["images"]
    assert (list(spec.shape), spec.dtype) == ([8, 6, 3], tf.float32)
    images = np.array(IMAGE_FC["inputs"]["images"]["value"], np.float32)
    output = graph_input_layer(column, "images", images, tf.float32)
    np.testing.assert_allclose(output, IMAGE_FC["output"]["value"], atol=1e-5)


def test_image_column_in_eager_dense_features():
    images = np.array(IMAGE_FC["inputs"]["images"]["value"], np.float32)
    layer = tf_keras.layers.DenseFeatures([hub.image_embedding_column("images", IMAGE_V1)])
    output = layer({"images": tf.constant(images)})
    np.testing.assert_allclose(output.numpy(), IMAGE_FC["output"]["value"], atol=1e-5)


def _any_size_image_module_fn():
    images = tf.compat.v1.placeholder(tf.float32, [None, None, None, 3])
    scale = tf.compat.v1.get_variable("scale", initializer=tf.constant([1.0, 2.0, 3.0]))
    hub.add_signature(
        inputs={"images": images}, outputs={"default": tf.reduce_mean(images, [1, 2]) * scale}
    )


def _image_module_with_info_fn():
    _any_size_image_module_fn()
    info = hub.ImageModuleInfo()
    info.default_image_size.height, info.default_image_size.width = 4, 5
    hub.attach_image_module_info(info)


def test_image_column_size_from_attached_image_module_info():
    column = hub.image_embedding_column(
        "pixels", hub.create_module_spec(_image_module_with_info_fn)
    )
    assert column.image_size == (4, 5)
    assert column.parse_example_spec["pixels"].shape == [4, 5, 3]
    images = np.linspace(0.0, 1.0, 2 * 4 * 5 * 3, dtype=np.float32).reshape([2, 4, 5, 3])
    output = tf_keras.layers.DenseFeatures([column])({"pixels": tf.constant(images)})
    np.testing.assert_allclose(output.numpy(), images.mean(axis=(1, 2)) * [1, 2, 3], rtol=1e-5)


def test_image_column_without_known_size_needs_image_size():
    spec = hub.create_module_spec(_any_size_image_module_fn)
    with pytest.raises(errors.ModuleSpecError, match=r"no known image size.*image_size=\(height"):
        hub.image_embedding_column("pixels", spec)
    column = hub.image_embedding_column("pixels", spec, image_size=(2, 3))
    assert column.parse_example_spec["pixels"].shape == [2, 3, 3]
    images = np.arange(36, dtype=np.float32).reshape([2, 2, 3, 3]) / 36.0
    output = tf_keras.layers.DenseFeatures([column])({"pixels": tf.constant(images)})
    np.testing.assert_allclose(output.numpy(), images.mean(axis=(1, 2)) * [1, 2, 3], rtol=1e-6)


def test_image_column_checks_image_size_against_module_and_inputs():
    with pytest.raises(
        errors.ModuleSpecError, match=r"shape \(None, 8, 6, 3\).*image_size=\(4, 4\)"
    ):
        hub.image_embedding_column("images", IMAGE_V1, image_size=(4, 4))
    with pytest.raises(ValueError, match="positive ints"):
        hub.image_embedding_column("images", IMAGE_V1, image_size=(8.5, 6))
    column = hub.image_embedding_column("images", IMAGE_V1, image_size=np.array([8, 6]))
    assert column.image_size == (8, 6)
    layer = tf_keras.layers.DenseFeatures([column])
    with pytest.raises(errors.InputSpecError, match=r"\(None, 8, 6, 3\).*shape=\(1, 4, 4, 3\)"):
        layer({"images": tf.zeros([1, 4, 4, 3])})


def test_images_of_another_dtype_name_the_column_and_the_remedy():
    """Was TensorFlow's "Tensor conversion requested dtype float32 for Tensor with dtype uint8"
    followed by every pixel of the batch, naming no column."""
    column = hub.image_embedding_column("images", IMAGE_V1)
    pattern = r"image_embedding_column\('images'\).*convert_image_dtype.*images.dtype=uint8"
    with pytest.raises(errors.InputSpecError, match=pattern):
        tf_keras.layers.DenseFeatures([column])({"images": tf.zeros([1, 8, 6, 3], tf.uint8)})
    with tf.Graph().as_default(), pytest.raises(ValueError, match=pattern):  # As upstream's.
        images = tf.compat.v1.placeholder(tf.uint8, [None, 8, 6, 3])
        tf.compat.v1.feature_column.input_layer({"images": images}, [column])
    with pytest.raises(ValueError, match=r"positive ints.*image_size=\(True, 6\)"):
        hub.image_embedding_column("images", IMAGE_V1, image_size=(True, 6))
