"""`output_shape` handling shared by both KerasLayer flavours.

`output_shape` is given without the batch dimension and nested like the outputs. Unlike
upstream, an unknown batch size gives outputs of known rank `[None, *output_shape]` (upstream
set an unknown rank, which left the next `Dense` layer unbuildable).
"""

from __future__ import annotations

import logging
from typing import Any

from .. import errors
from ..utils.lazy import tensorflow as tf

logger = logging.getLogger(__name__)


def nest_to_shapes(value: Any) -> Any:
    """Converts a nest of raw tuples/lists of int or None into a nest of `tf.TensorShape`.

    Raises:
        tfhub.errors.ArgumentTypeError: (a TypeError) if a leaf is neither a shape nor a
            dict/list/tuple of shapes.
    """
    if isinstance(value, dict):
        return type(value)((key, nest_to_shapes(item)) for key, item in value.items())
    try:
        return tf.TensorShape(value)
    except (TypeError, ValueError):
        pass  # Not a shape: try it as a container.
    if isinstance(value, list | tuple):
        return type(value)(nest_to_shapes(item) for item in value)
    raise errors.ArgumentTypeError(
        "Cannot convert to nest of TensorShapes, found none of TensorShape, dict, list, tuple: "
        f"{value!r}. output_shape must be a shape (list/tuple of int or None) or a "
        f"dict/list/tuple of shapes, without the batch dimension. Received: {value!r}"
    )


def nest_from_shapes(shapes: Any) -> Any:
    """Converts a nest of `tf.TensorShape` into lists of int or None (JSON-friendly)."""
    return tf.nest.map_structure(lambda shape: list(shape.as_list()), shapes)


def apply_output_shape(inputs: Any, outputs: Any, output_shape: Any) -> Any:
    """Sets the static shape `[batch, *output_shape]` on each output tensor (in place).

    Raises:
        tfhub.errors.ArgumentError: (a ValueError, as TensorFlow's) `output_shape` is not
            nested like the outputs, or does not fit an output's shape.
    """
    first = next(iter(tf.nest.flatten(inputs)), None)
    full = _sequences_like(outputs, _with_batch_size(getattr(first, "shape", None), output_shape))
    try:
        tf.nest.assert_same_structure(outputs, full)
    except (TypeError, ValueError):
        raise errors.ArgumentError(
            f"output_shape is not nested like the model's outputs "
            f"({_describe_shapes(outputs)}): give one shape per output, nested as they are, or "
            f"pick one output with output_key. Received: output_shape="
            f"{nest_from_shapes(output_shape)!r}"
        ) from None

    def set_shape(tensor: Any, shape: Any) -> Any:
        try:
            tensor.set_shape(shape)
        except ValueError:
            raise errors.ArgumentError(
                f"output_shape does not fit the model's output of shape "
                f"{_describe_shapes(tensor)} (the batch dimension first, then output_shape's): "
                f"give the output's shape without its batch dimension, or leave output_shape "
                f"out. Received: output_shape={nest_from_shapes(output_shape)!r}"
            ) from None
        return tensor

    return tf.nest.map_structure(set_shape, outputs, full)


def _sequences_like(outputs: Any, shapes: Any) -> Any:
    """`shapes` (a nest of TensorShape) with each list or tuple of it made the sequence type of
    the outputs in its place: a layer's config goes through JSON, which makes the tuple of
    shapes given for tuple outputs a list. Dicts and their keys are left as they are (the
    nesting check compares them)."""
    if isinstance(outputs, dict) and isinstance(shapes, dict):
        return type(shapes)(
            (key, _sequences_like(outputs[key], value) if key in outputs else value)
            for key, value in shapes.items()
        )
    both_sequences = all(isinstance(v, list | tuple) for v in (outputs, shapes))
    if not both_sequences or len(outputs) != len(shapes):
        return shapes  # The nesting check refuses what differs.
    items = [_sequences_like(out, shape) for out, shape in zip(outputs, shapes, strict=True)]
    if hasattr(outputs, "_fields"):  # A namedtuple.
        return type(outputs)(*items)
    return type(outputs)(items)


def _describe_shapes(outputs: Any) -> str:
    """`[2, 4]`, or `{'prod': [2, 2], 'sum': [2, 2]}`: the shapes of a nest of tensors."""
    shapes = tf.nest.map_structure(lambda tensor: tf.TensorShape(tensor.shape).as_list(), outputs)
    return str(shapes)


def full_output_shape(input_shape: Any, output_shape: Any) -> Any:
    """Returns `output_shape` (a nest of TensorShape) with the input's batch size prepended.

    Args:
        input_shape: the layer's input shape: a shape, or a nest of shapes (first one counts).
        output_shape: nest of `tf.TensorShape` without the batch dimension.

    Returns:
        A nest of `tf.TensorShape`, like `output_shape`.
    """
    leaves = _shape_leaves(input_shape)
    return _with_batch_size(leaves[0] if leaves else None, output_shape)


def _with_batch_size(first_input_shape: Any, output_shape: Any) -> Any:
    """`output_shape` with the first dimension of `first_input_shape` (None: unknown) prepended."""
    dims = tf.TensorShape(first_input_shape)
    prefix = tf.TensorShape([dims[0] if dims.rank else None])
    return tf.nest.map_structure(prefix.concatenate, output_shape)


def untraceable_error(
    handle: Any, dtype: Any, input_shape: Any, err: BaseException
) -> NotImplementedError:
    """The NotImplementedError of `compute_output_shape` when tracing the layer's model on dense
    `dtype` inputs of `input_shape` failed with `err` (the reason, kept in the message): the
    model may take other inputs; `output_shape=` tells the shape without tracing."""
    return NotImplementedError(
        f"hub.KerasLayer could not infer the output shape of {handle!r} from dense {dtype} "
        f"inputs of shape {input_shape!r} (the model may take ragged, sparse or other inputs): "
        f"pass output_shape=... ({err})"
    )


def graph_mode_error(handle: Any, input_shape: Any) -> NotImplementedError:
    """The NotImplementedError of tf_keras's `compute_output_shape` in graph mode (in a
    `tf.Graph`), where tf_keras traces no layer (its own error had no message): `output_shape=`
    tells the shape without tracing."""
    return NotImplementedError(
        f"hub.KerasLayer cannot infer the output shape of {handle!r} in graph mode (in a "
        "tf.Graph, where tf_keras traces no layer): pass output_shape=... (without the batch "
        f"dimension). Received: input_shape={input_shape!r}"
    )


def is_shape(value: Any) -> bool:
    """True for a TensorShape or a flat list/tuple of int or None."""
    if isinstance(value, tf.TensorShape):
        return True
    return isinstance(value, tuple | list) and all(
        isinstance(dim, int) or dim is None for dim in value
    )


def _shape_leaves(value: Any) -> list[Any]:
    """The shapes in a nest of shapes (tuples of int/None are leaves, not sequences)."""
    if is_shape(value):
        return [value]
    items = value.values() if isinstance(value, dict) else value
    leaves: list[Any] = []
    for item in items:
        leaves.extend(_shape_leaves(item))
    return leaves
