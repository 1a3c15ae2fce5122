"""image_embedding_column over modules that take images of any size (review50d-F2)."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = [pytest.mark.tf]
IMAGES = np.linspace(0.0, 1.0, 2 * 10 * 10 * 3, dtype=np.float32).reshape([2, 10, 10, 3])
EXPECTED = IMAGES.mean(axis=(1, 2)) * [1.0, 2.0, 3.0]


def _module_fn(*, info: bool, height: int | None = None) -> None:
    images = tf.compat.v1.placeholder(tf.float32, [None, height, None, 3])
    scale = tf.compat.v1.get_variable("scale", initializer=tf.constant([1.0, 2.0, 3.0]))
    hub.add_signature(
        inputs={"images": images}, outputs={"default": tf.reduce_mean(images, [1, 2]) * scale}
    )
    if info:
        module_info = hub.ImageModuleInfo()
        module_info.default_image_size.height, module_info.default_image_size.width = 8, 6
        hub.attach_image_module_info(module_info)


def _any_size_columns() -> list:
    with_info = hub.create_module_spec(lambda: _module_fn(info=True))
    without_info = hub.create_module_spec(lambda: _module_fn(info=False))
    return [
        hub.image_embedding_column("im", with_info),
        hub.image_embedding_column("im", without_info, image_size=(8, 6)),
    ]


def test_a_module_of_any_image_size_embeds_images_of_another_size_than_the_columns():
    """review50d-F2: as upstream 0.10.0, the images go to the module as they are; image_size
    only gives parse_example_spec. tfhub refused 10x10 images for an 8x6 column
    (CallInputSpecError) although the module takes any size."""
    for column in _any_size_columns():
        output = tf_keras.layers.DenseFeatures([column])({"im": tf.constant(IMAGES)})
        np.testing.assert_allclose(output.numpy(), EXPECTED, rtol=1e-5)
        with tf.Graph().as_default():
            images = tf.compat.v1.placeholder(tf.float32, [None, None, None, 3])
            output = tf.compat.v1.feature_column.input_layer({"im": images}, [column])
            with tf.compat.v1.Session() as session:
                session.run(tf.compat.v1.global_variables_initializer())
                result = session.run(output, {images: IMAGES})
        np.testing.assert_allclose(result, EXPECTED, rtol=1e-5)


def test_a_module_still_refuses_what_its_images_input_does_not_take():
    """The check is against the module's `images` input: another number of channels, or a
    height its input fixes, is refused as before."""
    fixed_height = hub.create_module_spec(lambda: _module_fn(info=False, height=8))
    column = hub.image_embedding_column("im", fixed_height, image_size=(8, 6))
    layer = tf_keras.layers.DenseFeatures([column])
    np.testing.assert_allclose(
        layer({"im": tf.constant(IMAGES[:, :8])}).numpy(),
        IMAGES[:, :8].mean(axis=(1, 2)) * [1.0, 2.0, 3.0],
        rtol=1e-5,
    )
    with pytest.raises(errors.CallInputSpecError, match=r"\(None, 8, None, 3\)"):
        layer({"im": tf.constant(IMAGES)})
    (any_size, _) = _any_size_columns()
    with pytest.raises(errors.CallInputSpecError, match="3 channel"):
        tf_keras.layers.DenseFeatures([any_size])({"im": tf.constant(IMAGES[..., :2])})
