"""Bad inputs for which tensorflow_hub 0.10.0 raised AttributeError (review50d-F6)."""

from __future__ import annotations

import pickle

import pytest
from tests.feature_column._support import IMAGE_V1, TEXT_V1

tf = pytest.importorskip("tensorflow")
tf_keras = pytest.importorskip("tf_keras")

import tfhub as hub  # noqa: E402
from tfhub import errors, image_util  # noqa: E402

pytestmark = [pytest.mark.tf]


def test_a_dense_tensor_for_a_sparse_text_column_is_an_attribute_error_as_upstreams():
    """0.10.0: "'SymbolicTensor' object has no attribute 'values'"; tfhub's InputSpecError was
    no AttributeError, so `except AttributeError` written for 0.10.0 missed it."""
    column = hub.sparse_text_embedding_column("t", TEXT_V1, "sum", None)
    with tf.Graph().as_default():
        features = {"t": tf.constant([["cat", "dog"]])}
        with pytest.raises(AttributeError, match="needs a tf.SparseTensor") as raised:
            tf.compat.v1.feature_column.input_layer(features, [column])
    assert isinstance(raised.value, errors.InputSpecError)  # A ValueError, as before.
    with pytest.raises(errors.NotASparseTensorError):
        tf_keras.layers.DenseFeatures([column])({"t": tf.constant([["cat", "dog"]])})
    copy = pickle.loads(pickle.dumps(raised.value))
    assert type(copy) is type(raised.value) and str(copy) == str(raised.value)


@pytest.mark.parametrize(
    "helper",
    [hub.get_expected_image_size, hub.get_num_image_channels, image_util.get_image_module_info],
)
def test_a_handle_string_for_the_image_helpers_is_an_attribute_error_as_upstreams(helper):
    """0.10.0: "'str' object has no attribute 'get_attached_message'"."""
    with pytest.raises(AttributeError, match="hub.load_module_spec") as raised:
        helper(IMAGE_V1)
    assert isinstance(raised.value, errors.ArgumentTypeError)  # A TypeError, as before.
    assert isinstance(raised.value, errors.NotAModuleOrSpecError)
