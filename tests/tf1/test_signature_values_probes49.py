"""hub.add_signature refuses tensors that are not of the module_fn's graph (review49a-F2,
session 49): an eager tensor (a module-level tf.constant) raised a bare AttributeError, and a
tensor of another graph was recorded by name only, so the module silently used its own tensor
of that name (or failed with a KeyError at application)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf
tf1 = tf.compat.v1


def test_an_eager_tensor_output_is_refused_naming_the_key():
    scale = tf.constant([10.0, 10.0, 10.0])  # Eager: made outside any module_fn.

    def module_fn() -> None:
        x = tf1.placeholder(tf.float32, [None, 3])
        hub.add_signature(inputs=x, outputs={"default": x, "scale": scale})

    with pytest.raises(errors.SignatureValueTypeError) as info:
        hub.create_module_spec(module_fn)
    assert isinstance(info.value, TypeError) and isinstance(info.value, errors.ModuleSpecError)
    message = str(info.value)
    assert message.startswith("Value for key 'scale' of signature 'default' (outputs)")
    assert "an eager tensor" in message and "inside the module_fn" in message
    assert type(pickle.loads(pickle.dumps(info.value))) is errors.EagerSignatureValueError


def test_an_eager_tensor_input_is_refused():
    eager = tf.constant([1.0])

    def module_fn() -> None:
        hub.add_signature(inputs={"x": eager}, outputs=tf.constant(1.0))

    with pytest.raises(errors.SignatureValueTypeError, match="'x' .* is an eager tensor"):
        hub.create_module_spec(module_fn)


def test_a_tensor_of_another_graph_is_refused_not_replaced_by_a_namesake():
    other = tf.Graph()
    with other.as_default():
        offset = tf.constant([100.0, 100.0, 100.0])  # "Const:0", as the module's own below.

    def module_fn() -> None:
        x = tf1.placeholder(tf.float32, [None, 3])
        one = tf.constant([1.0, 1.0, 1.0])
        hub.add_signature(inputs=x, outputs={"default": x + one, "offset": offset})

    with pytest.raises(errors.SignatureValueTypeError, match="a tensor of another graph"):
        hub.create_module_spec(module_fn)


def test_a_composite_tensor_of_another_graph_is_refused():
    other = tf.Graph()
    with other.as_default():
        values = tf.constant([1.0, 2.0])
        row_splits = tf.constant([0, 1, 2], tf.int64)
        ragged = tf.RaggedTensor.from_row_splits(values, row_splits, validate=False)

    def module_fn() -> None:
        hub.add_signature(inputs=tf1.placeholder(tf.float32), outputs={"r": ragged})

    with pytest.raises(errors.SignatureValueTypeError, match="'r' .* another graph"):
        hub.create_module_spec(module_fn)


def test_tensors_of_the_module_graph_still_work():
    def module_fn() -> None:
        x = tf1.placeholder(tf.float32, [None, 3])
        hub.add_signature(inputs=x, outputs={"default": x + tf.constant([1.0, 1.0, 1.0])})

    spec = hub.create_module_spec(module_fn)
    with tf.Graph().as_default():
        out = hub.Module(spec)(np.zeros([1, 3], np.float32))
        with tf1.Session() as session:
            assert session.run(out).tolist() == [[1.0, 1.0, 1.0]]
