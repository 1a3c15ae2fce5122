"""A model that makes and uses strings only inside a nested function must keep XLA off.

A nested function is read from its stored definition, whose nodes carry no output types, and
ops such as `AsString` name no string type in their attributes: such a model said it
`supports_jit` (mutkeras42's report). The ops' registered definitions say what they output.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

pytestmark = pytest.mark.tf


def test_strings_made_and_parsed_only_inside_a_nested_function_keep_xla_off(tmp_path):
    import tensorflow as tf

    from tfhub.keras.layer import KerasLayer

    @tf.function
    def round_trip(x):
        return tf.strings.to_number(tf.strings.as_string(x)) * 2.0

    class Nested(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
        def __call__(self, x):
            return round_trip(x)

    path = os.fspath(tmp_path / "nested")
    tf.saved_model.save(Nested(), path)
    layer = KerasLayer(path)
    np.testing.assert_allclose(layer(np.ones((1, 2), np.float32)).numpy(), [[2.0, 2.0]])
    assert layer.supports_jit is False


def test_a_numeric_model_with_a_nested_function_still_compiles_with_xla(tmp_path):
    import tensorflow as tf

    from tfhub.keras.layer import KerasLayer

    @tf.function
    def double(x):
        return tf.identity(x) * 2.0

    class Numeric(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
        def __call__(self, x):
            return double(x) + 1.0

    path = os.fspath(tmp_path / "numeric")
    tf.saved_model.save(Numeric(), path)
    layer = KerasLayer(path)
    np.testing.assert_allclose(layer(np.ones((1, 2), np.float32)).numpy(), [[3.0, 3.0]])
    assert layer.supports_jit is True
