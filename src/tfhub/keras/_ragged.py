"""Ragged tensors between Keras 3 layers: the symbolic trace that keeps them ragged.

Keras 3's TensorFlow backend traces a layer on dense placeholders and describes every output as
a dense KerasTensor, though `keras.KerasTensor` can say "ragged". So the BERT preprocessing
pattern of the models' pages, `tokenize = hub.KerasLayer(preprocessor.tokenize)` (a
RaggedTensor of token ids) fed to `hub.KerasLayer(preprocessor.bert_pack_inputs, ...)` (which
takes RaggedTensors), failed at model construction: the second layer was traced on a dense
placeholder its function does not accept. `trace_output_spec` feeds ragged placeholders for
ragged KerasTensors and describes ragged outputs as ragged KerasTensors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import _tf_private
from ..utils.lazy import tensorflow as tf


def _is_ragged_keras_tensor(value: Any) -> bool:
    return bool(getattr(value, "ragged", False)) and hasattr(value, "ragged_rank")


def trace_output_spec(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Returns the output KerasTensors of `fn` on the KerasTensors in `args`/`kwargs`, ragged
    where the inputs or outputs are (else exactly what Keras itself computes)."""
    import keras

    given = (args, kwargs)
    ragged_in = any(_is_ragged_keras_tensor(x) for x in tf.nest.flatten(given))
    traced: list[Any] = []

    def traced_fn(*placeholders: Any, **keyword_placeholders: Any) -> Any:
        inputs = (placeholders, keyword_placeholders)
        if ragged_in:
            inputs = tf.nest.map_structure(_ragged_placeholder, given, inputs)
        outputs = fn(*inputs[0], **inputs[1])
        traced.append(outputs)
        return outputs

    spec = _tf_private.keras3_compute_output_spec(traced_fn, *args, **kwargs)
    if not traced or not any(isinstance(x, tf.RaggedTensor) for x in _flat(traced[0])):
        return spec

    def as_ragged(keras_tensor: Any, output: Any) -> Any:
        if not isinstance(output, tf.RaggedTensor):
            return keras_tensor
        return keras.KerasTensor(
            output.shape,
            output.dtype,
            ragged=True,
            ragged_rank=output.ragged_rank,
            row_splits_dtype=output.row_splits.dtype,
        )

    return tf.nest.map_structure(as_ragged, spec, traced[0], expand_composites=False)


def _flat(structure: Any) -> list[Any]:
    return tf.nest.flatten(structure, expand_composites=False)


def _ragged_placeholder(keras_tensor: Any, placeholder: Any) -> Any:
    """A ragged placeholder where `keras_tensor` is ragged, else the placeholder Keras made."""
    if not _is_ragged_keras_tensor(keras_tensor):
        return placeholder
    shape = keras_tensor.shape
    rank = keras_tensor.ragged_rank
    if rank is None:  # keras.Input(ragged=True): every dimension but the last is ragged.
        rank = len(shape) - 1
    return tf.compat.v1.ragged.placeholder(
        keras_tensor.dtype,
        ragged_rank=rank,
        value_shape=tuple(shape[rank + 1 :]),
    )
