"""`hub.image_embedding_column`'s errors are of upstream's builtin classes (review49c F2, F5b).

F2: images of a shape the module does not take: upstream called `module({"images": images})`,
whose tensor_info conversion raised `TypeError("Can't convert 'images': ...")`; tfhub's
error must be a TypeError too (and stays a ValueError, as tfhub's InputSpecError).
"""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf

v1 = tf.compat.v1


def _image_module_fn() -> None:
    """A module over [None, 8, 6, 3] images: their mean colour."""
    images = v1.placeholder(tf.float32, [None, 8, 6, 3])
    hub.add_signature(inputs={"images": images}, outputs=tf.reduce_mean(images, [1, 2]))


@pytest.fixture(scope="module")
def column():
    return hub.image_embedding_column("f", hub.create_module_spec(_image_module_fn))


WRONG_SHAPES = [(2, 10, 10, 3), (2, 8, 6, 1), (8, 6, 3)]


@pytest.mark.parametrize("shape", WRONG_SHAPES, ids=str)
def test_images_of_another_shape_are_a_type_error_in_a_graph(column, shape) -> None:
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match=r"\(None, 8, 6, 3\).*images\.shape=") as info:
            v1.feature_column.input_layer({"f": tf.zeros(shape)}, [column])
    assert isinstance(info.value, errors.InputSpecError)  # tfhub's contract: a ValueError too.
    assert "hub.image_embedding_column('f')" in str(info.value)


@pytest.mark.parametrize("shape", WRONG_SHAPES, ids=str)
def test_images_of_another_shape_are_a_type_error_eagerly(column, shape) -> None:
    with pytest.raises(errors.CallInputSpecError, match=r"images\.shape="):
        tf_keras.layers.DenseFeatures([column])({"f": tf.zeros(shape)})


def test_images_of_the_right_shape_still_embed(column) -> None:
    images = np.linspace(0.0, 1.0, 2 * 8 * 6 * 3, dtype=np.float32).reshape([2, 8, 6, 3])
    output = tf_keras.layers.DenseFeatures([column])({"f": tf.constant(images)})
    np.testing.assert_allclose(output.numpy(), images.mean(axis=(1, 2)), rtol=1e-5)


def test_images_of_another_dtype_stay_a_value_error_only(column) -> None:
    """Upstream raised ValueError for uint8 images (TensorFlow's conversion error)."""
    with pytest.raises(errors.InputSpecError, match="convert_image_dtype") as info:
        tf_keras.layers.DenseFeatures([column])({"f": tf.zeros([2, 8, 6, 3], tf.uint8)})
    assert not isinstance(info.value, TypeError)


# --- F5b: an image size that does not fit the module names where it came from -----------------


def _inconsistent_module_fn() -> None:
    """A module over [None, 8, 6, 3] images whose attached ImageModuleInfo says 4x5."""
    _image_module_fn()
    info = hub.ImageModuleInfo()
    info.default_image_size.height, info.default_image_size.width = 4, 5
    hub.attach_image_module_info(info)


def test_an_attached_size_that_misfits_the_input_says_the_module_is_inconsistent() -> None:
    """No image_size was passed: the message said "does not fit image_size=(4, 5); pass a
    matching image_size or none. Received: image_size=(4, 5)" and named the spec by its repr."""
    spec = hub.create_module_spec(_inconsistent_module_fn)
    with pytest.raises(errors.ModuleSpecError) as info:
        hub.image_embedding_column("photo", spec)
    message = str(info.value)
    assert "ImageModuleInfo" in message and "(4, 5)" in message and "(None, 8, 6, 3)" in message
    assert "Pass image_size=(8, 6)" in message and message.endswith("Received: image_size=None")
    assert "object at 0x" not in message and "hub.create_module_spec" in message
    column = hub.image_embedding_column("photo", spec, image_size=(8, 6))
    assert column.image_size == (8, 6)


def test_the_inconsistent_module_is_named_by_its_handle(tmp_path) -> None:
    path = str(tmp_path / "inconsistent")
    with tf.Graph().as_default():
        module = hub.Module(hub.create_module_spec(_inconsistent_module_fn))
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            module.export(path, session)
    with pytest.raises(errors.ModuleSpecError, match=rf"The image module {path!r} is inconsistent"):
        hub.image_embedding_column("photo", path)
    spec = hub.load_module_spec(path)
    with pytest.raises(errors.ModuleSpecError, match=rf"module spec loaded from {path}"):
        hub.image_embedding_column("photo", spec)


def test_a_given_image_size_that_misfits_offers_the_modules_size(column) -> None:
    spec = hub.create_module_spec(_image_module_fn)
    with pytest.raises(errors.ModuleSpecError) as info:
        hub.image_embedding_column("photo", spec, image_size=(4, 4))
    message = str(info.value)
    assert "takes images of shape (None, 8, 6, 3)" in message and "image_size=(8, 6)" in message
    assert message.endswith("Received: image_size=(4, 4)") and "object at 0x" not in message
