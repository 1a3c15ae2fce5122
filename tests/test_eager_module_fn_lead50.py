"""Eager values made outside a module_fn get tfhub errors that keep upstream's builtin classes
(review49f-F6): an eager tensor given to add_signature (upstream 0.10.0: AttributeError,
"Tensor.name is undefined when eager execution is enabled") and an eager tf.Variable read inside
the module_fn (upstream: TensorFlow's RuntimeError, "Attempting to capture an EagerTensor")."""

from __future__ import annotations

import pickle

import pytest
import tensorflow as tf

import tfhub as hub
from tfhub import errors

tf1 = tf.compat.v1


def test_an_eager_tensor_in_add_signature_is_also_upstreams_attribute_error() -> None:
    scale = tf.constant(2.0)

    def module_fn() -> None:
        x = tf1.placeholder(tf.float32, [None])
        hub.add_signature(inputs=x, outputs={"default": x, "scale": scale})

    with pytest.raises(errors.SignatureValueTypeError) as caught:
        hub.create_module_spec(module_fn)
    assert isinstance(caught.value, AttributeError)  # As upstream raised.
    assert isinstance(caught.value, TypeError)  # As tfhub raised before.
    assert "'scale'" in str(caught.value) and "eager tensor" in str(caught.value)
    assert "inside the module_fn" in str(caught.value)
    copied = pickle.loads(pickle.dumps(caught.value))
    assert type(copied) is type(caught.value) and str(copied) == str(caught.value)


def test_a_tensor_of_another_graph_is_not_called_an_attribute_error() -> None:
    other = tf.Graph()
    with other.as_default():
        foreign = tf1.placeholder(tf.float32, [None])

    def module_fn() -> None:
        x = tf1.placeholder(tf.float32, [None])
        hub.add_signature(inputs=x, outputs={"default": x, "other": foreign})

    with pytest.raises(errors.SignatureValueTypeError) as caught:
        hub.create_module_spec(module_fn)
    assert not isinstance(caught.value, AttributeError)
    assert "another graph" in str(caught.value)


def test_an_eager_variable_read_in_the_module_fn_names_it_and_says_what_to_do() -> None:
    outside = tf.Variable(3.0, name="outside_scale")

    def module_fn() -> None:
        x = tf1.placeholder(tf.float32, [None])
        hub.add_signature(inputs=x, outputs=x * outside)

    with pytest.raises(errors.ModuleSpecError) as caught:
        hub.create_module_spec(module_fn)
    assert isinstance(caught.value, RuntimeError)  # As upstream (TensorFlow's) raised.
    message = str(caught.value)
    assert "module_fn" in message and "outside" in message
    assert "tf.compat.v1.get_variable" in message
    assert isinstance(caught.value.__cause__, RuntimeError)
    copied = pickle.loads(pickle.dumps(caught.value))
    assert type(copied) is type(caught.value) and str(copied) == message


def test_other_runtime_errors_of_a_module_fn_pass_through_unchanged() -> None:
    def module_fn() -> None:
        raise RuntimeError("the user's own failure")

    with pytest.raises(RuntimeError, match="^the user's own failure$") as caught:
        hub.create_module_spec(module_fn)
    assert not isinstance(caught.value, errors.TFHubError)
