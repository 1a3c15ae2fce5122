"""Findings of the session-48 review of hub.KerasLayer (review48a), each failing before its fix.

F1: a layer over a model with TUPLE outputs and `output_shape=([3], [1])` built and predicted,
but its config went through JSON (the tuple became a list) and `load_model` / `from_config`
then refused it as "not nested like the model's outputs"; `output_shape=[[3], [1]]` failed at
the first call. F2: a signature's input of the wrong dtype was TensorFlow's
InvalidArgumentError in upstream 0.10.0; tfhub's CallInputSpecError was not one.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from tests.keras._support import Flavour
from tests.keras.conftest import flavour_tuple

from tfhub import errors


def _save_tuple_outputs(path: Path) -> str:
    class Tuple(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = tf.Variable(2.0, name="w")

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def __call__(self, x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            return x * self.w, tf.reduce_sum(x, axis=1, keepdims=True)

    tf.saved_model.save(Tuple(), os.fspath(path))
    return os.fspath(path)


def _save_two_input_signature(path: Path) -> str:
    class Two(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = tf.Variable(2.0, name="w")

        @tf.function(
            input_signature=[
                tf.TensorSpec([None, 2], tf.float32),
                tf.TensorSpec([None, 2], tf.float32),
            ]
        )
        def two(self, a: tf.Tensor, b: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"out": a * self.w + b}

    module = Two()
    tf.saved_model.save(module, os.fspath(path), signatures={"two": module.two})
    return os.fspath(path)


@pytest.mark.parametrize("saved_as", [".keras", "config"])
def test_tuple_outputs_with_their_output_shape_load_again(flavour: Flavour, tmp_path, saved_as):
    _check_round_trip(flavour, tmp_path, saved_as)


def test_tuple_outputs_with_their_output_shape_load_again_from_h5(tmp_path):
    """tf_keras's .h5 (Keras 3 writes .h5 only as a legacy format of its own)."""
    _check_round_trip(flavour_tuple("tf_keras"), tmp_path, ".h5")


def _check_round_trip(flavour: Flavour, tmp_path: Path, saved_as: str) -> None:
    keras = flavour.keras
    handle = _save_tuple_outputs(tmp_path / "tuple")
    inputs = keras.Input((3,))
    outputs = flavour.layer(handle, output_shape=([3], [1]))(inputs)
    model = keras.Model(inputs, list(outputs))
    x = np.arange(6, dtype="float32").reshape(2, 3)
    expected = model.predict(x, verbose=0)
    if saved_as == "config":
        layer = model.layers[-1]
        again = flavour.layer.from_config(layer.get_config())
        got = [np.asarray(out) for out in again(tf.constant(x))]
    else:
        path = os.fspath(tmp_path / f"model{saved_as}")
        model.save(path)
        loaded = keras.models.load_model(path, custom_objects={"KerasLayer": flavour.layer})
        got = loaded.predict(x, verbose=0)
    assert [out.shape for out in got] == [(2, 3), (2, 1)]
    for one, other in zip(got, expected, strict=True):
        np.testing.assert_allclose(one, other)


def test_output_shape_as_a_list_fits_tuple_outputs(flavour: Flavour, tmp_path):
    layer = flavour.layer(_save_tuple_outputs(tmp_path / "tuple"), output_shape=[[3], [1]])
    first, second = layer(tf.ones((2, 3)))
    assert first.shape == (2, 3) and second.shape == (2, 1)


def test_output_shape_nested_otherwise_is_still_refused(flavour: Flavour, tmp_path):
    layer = flavour.layer(_save_tuple_outputs(tmp_path / "tuple"), output_shape=[3])
    with pytest.raises(errors.ArgumentError, match="not nested like the model's outputs"):
        layer(tf.ones((2, 3)))


def test_a_signature_input_of_the_wrong_dtype_is_also_tensorflows_error(flavour: Flavour, tmp_path):
    handle = _save_two_input_signature(tmp_path / "two")
    layer = flavour.layer(handle, signature="two", output_key="out")
    inputs = {"a": tf.ones((2, 2)), "b": tf.ones((2, 2), tf.int32)}
    with pytest.raises(tf.errors.InvalidArgumentError) as raised:
        layer(inputs)
    assert isinstance(raised.value, errors.CallInputSpecError)
    assert isinstance(raised.value, TypeError)  # As the class promised before.
    assert "signature 'two'" in str(raised.value) and "int32" in str(raised.value)
    again = pickle.loads(pickle.dumps(raised.value))
    assert type(again) is type(raised.value) and str(again) == str(raised.value)


def _save_dict_outputs(path: Path) -> str:
    class Named(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def __call__(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"a_out": x * 2.0, "b_out": tf.reduce_sum(x, axis=1, keepdims=True)}

    tf.saved_model.save(Named(), os.fspath(path))
    return os.fspath(path)


@pytest.mark.parametrize(
    "output_shape",
    [{"x": [3], "y": [1]}, {"b_out": [3], "c": [1]}, [[3], [1]]],
    ids=["other-keys", "one-key-wrong", "a-list-for-a-dict"],
)
def test_output_shape_of_dict_outputs_must_name_their_keys(
    flavour: Flavour, tmp_path, output_shape
):
    """review48d F1: with the nesting check's types off (for tuples saved as lists), dict keys
    went unchecked too: `{'b_out': [3], 'c': [1]}` set `a_out`'s shape by sorted position."""
    layer = flavour.layer(_save_dict_outputs(tmp_path / "named"), output_shape=output_shape)
    with pytest.raises(errors.ArgumentError, match="not nested like the model's outputs"):
        layer(tf.ones((2, 3)))


def test_output_shape_of_dict_outputs_with_their_keys_is_taken(flavour: Flavour, tmp_path):
    shapes = {"b_out": [1], "a_out": [3]}
    layer = flavour.layer(_save_dict_outputs(tmp_path / "named"), output_shape=shapes)
    outputs = layer(tf.ones((2, 3)))
    assert outputs["a_out"].shape == (2, 3) and outputs["b_out"].shape == (2, 1)
