"""Floating dtypes outside mixed precision: the layer passes inputs and outputs as the model
takes and gives them, as upstream's layer did (rf56a-F1, rf56a-F2).

Casting exists for mixed precision (docs/keras.md "Mixed precision"): float16 inputs to the
float32 the model expects, and its float outputs to the layer's compute dtype. Outside a mixed
policy, a model's float64 output stayed float64 in tensorflow_hub 0.16.1 (tfhub cast it to
float32), and a float64 input of a model traced for float32 and float64 ran the float64 trace
(tfhub cast it to float32, the first trace's dtype).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

X64 = np.array([[0.1, 0.2, 0.3]], np.float64)


@pytest.fixture(scope="module")
def dtype_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """`float64_output`: __call__(float32 x) -> {"f64": float64 x@w/3, "f32": x@w};
    `two_traces`: __call__(x) -> x / 3, traced for float32 and for float64 inputs."""
    import tensorflow as tf

    root = tmp_path_factory.mktemp("float_dtypes")

    class Float64Output(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = tf.Variable([[1.0], [2.0], [3.0]], name="w")

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def __call__(self, x: Any) -> Any:
            product = tf.matmul(x, self.w)
            return {"f64": tf.cast(product, tf.float64) / 3.0, "f32": product}

    class TwoTraces(tf.Module):
        @tf.function
        def __call__(self, x: Any) -> Any:
            return x / 3.0

    float64_output = Float64Output()
    root_object = tf.train.Checkpoint(model=float64_output)
    root_object.__call__ = float64_output.__call__
    root_object.variables = [float64_output.w]
    root_object.trainable_variables = [float64_output.w]
    tf.saved_model.save(root_object, os.fspath(root / "float64_output"))
    two_traces = TwoTraces()
    for dtype in (tf.float32, tf.float64):
        two_traces.__call__.get_concrete_function(tf.TensorSpec([None, 3], dtype))
    tf.saved_model.save(two_traces, os.fspath(root / "two_traces"))
    return {name: os.fspath(root / name) for name in ("float64_output", "two_traces")}


def test_float64_output_stays_float64_without_mixed_precision(flavour, dtype_models) -> None:
    """rf56a-F1: the model's float64 output is returned as float64 (eagerly and symbolically),
    not cast to the layer's float32, as tensorflow_hub 0.16.1 returned it."""
    keras = flavour.keras
    layer = flavour.layer(dtype_models["float64_output"], trainable=True)
    outputs = layer(X64.astype(np.float32))
    assert outputs["f64"].dtype == "float64"
    assert outputs["f32"].dtype == "float32"
    np.testing.assert_allclose(outputs["f64"].numpy(), [[1.4 / 3.0]], rtol=1e-7)
    symbolic = layer(keras.Input((3,)))
    assert symbolic["f64"].dtype == "float64"
    assert symbolic["f32"].dtype == "float32"


def test_mixed_precision_still_casts_outputs(flavour, dtype_models) -> None:
    """Under mixed_float16 the outputs still take the compute dtype (docs/keras.md)."""
    keras = flavour.keras
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        layer = flavour.layer(dtype_models["float64_output"])
        outputs = layer(X64.astype(np.float32))
    finally:
        keras.mixed_precision.set_global_policy(previous)
    assert outputs["f64"].dtype == "float16"
    assert outputs["f32"].dtype == "float16"


def test_float64_input_runs_the_float64_trace(flavour, dtype_models) -> None:
    """rf56a-F2: a float64 layer over a model traced for float32 and float64 runs the float64
    trace, as `hub.load(handle)(x)` and tensorflow_hub 0.16.1 did (tfhub cast the input to
    float32, the first trace's dtype, losing precision)."""
    import tensorflow as tf

    layer = flavour.layer(dtype_models["two_traces"], dtype="float64")
    got = layer(X64)
    assert got.dtype == "float64"
    np.testing.assert_array_equal(got.numpy(), (tf.constant(X64) / 3.0).numpy())


def test_input_of_no_traced_dtype_is_still_cast(flavour, dtype_models) -> None:
    """Under mixed_float16, the float16 input of a model traced for float32 and float64 is cast
    (to the first trace's dtype) and its output back to float16, as before: only an input
    whose dtype some trace takes is passed as it is."""
    keras = flavour.keras
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        got = flavour.layer(dtype_models["two_traces"])(X64)
    finally:
        keras.mixed_precision.set_global_policy(previous)
    assert got.dtype == "float16"
    np.testing.assert_allclose(np.asarray(got, np.float32), X64 / 3.0, rtol=1e-3)
