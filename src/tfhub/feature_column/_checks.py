"""What a feature column takes: checked when it is made (its key, its handle) and when it reads
its input (strings, one per example), with errors that name the column and say what to pass.
"""

from __future__ import annotations

import os
from typing import Any

from .. import errors
from ..keras._compat import object_flavour
from ..utils.lazy import tensorflow as tf


def as_handle(module_spec: Any) -> Any:
    """A path object (`pathlib.Path`, as `hub.load` takes) as its str, so that the column's
    config can hold it; anything else (a handle string, a ModuleSpec) unchanged."""
    return os.fspath(module_spec) if isinstance(module_spec, os.PathLike) else module_spec


def module_name(module_spec: Any) -> str:
    """The module for a message: its handle, the folder a spec was loaded from, or that the
    spec was built in memory (a ModuleSpec's repr says only "object at 0x...")."""
    if isinstance(module_spec, str):
        return repr(module_spec)
    path = getattr(module_spec, "module_path", None)
    if isinstance(path, str):
        return f"(the module spec loaded from {path})"
    return "(a module spec built in memory, e.g. by hub.create_module_spec)"


def checked_key(key: Any, column: str) -> Any:
    """Returns `key` if it can name the feature: a non-empty string, or a feature column.

    Raises:
        tfhub.errors.ArgumentTypeError: (a TypeError and a ValueError) for anything else: the
            feature column code would fail later with "'int' object has no attribute 'name'".
        tfhub.errors.ArgumentError: (a ValueError) for an empty string.
    """
    if isinstance(key, str):
        if not key:
            raise errors.ArgumentError(
                f"hub.{column} needs the key of a feature: a non-empty string. Received: key=''"
            )
        return key
    if isinstance(getattr(key, "name", None), str):  # A feature column identifying it.
        return key
    raise errors.ArgumentTypeError(
        f"hub.{column} names its feature by a string key (or a feature column). Received: "
        f"key={key!r} of type {type(key).__name__}"
    )


def symbolic_input_remedy(value: Any) -> str | None:
    """What to do instead of giving a column the symbolic Keras input `value`, or None if it is
    not one (the feature column code cannot convert a KerasTensor to a tensor).

    A Keras 3 `keras.Input` cannot reach a column: Keras 3 has no feature columns; a tf_keras
    `tf_keras.Input` reaches them through `tf_keras.layers.DenseFeatures`, not `input_layer`.
    """
    flavour = object_flavour(value)
    if flavour == "keras3":
        return (
            "it is a Keras 3 symbolic input (keras.Input), and Keras 3 has no feature columns "
            "nor DenseFeatures: in a Keras 3 model, apply hub.KerasLayer(handle) to the "
            "feature instead (docs/feature_columns.md, 'Keras 3'); for feature columns in a "
            "Keras model, use tf_keras: tf_keras.Input and tf_keras.layers.DenseFeatures(columns)"
        )
    if flavour == "tf_keras":
        return (
            "it is a tf_keras symbolic input (tf_keras.Input), which "
            "tf.compat.v1.feature_column.input_layer cannot take: in a tf_keras model, apply the "
            "columns with tf_keras.layers.DenseFeatures(columns)(inputs)"
        )
    return None


def checked_strings(
    tensor: Any, column: Any, *, error: type[errors.InputSpecError] = errors.InputSpecError
) -> Any:
    """Returns `tensor` if it holds strings, else raises `error` naming the column (the module
    would fail at run time, in a graph, or with TensorFlow's raw error, eagerly).

    Args:
        tensor: the feature's tensor (a sparse feature's values).
        column: the column (its `key` and `_column`, the public function's name, are quoted).
        error: the InputSpecError class to raise.

    Raises:
        tfhub.errors.InputSpecError: (`error`) if `tensor` does not hold strings.
    """
    if tensor.dtype != tf.string:
        raise error(
            f"hub.{column._column}({column.key!r}) embeds text: it needs string features. "
            f"Received: {column.key!r} of dtype {tensor.dtype.name}"
        )
    return tensor


def text_batch(inputs: Any, column: Any) -> Any:
    """Returns a dense text column's input `[N]` or `[N, 1]` of strings as a batch `[N]`.

    Args:
        inputs: the feature's tensor.
        column: the column (its `key` and `_column`, the public function's name, are quoted).

    Returns:
        The strings, one per example, as a rank-1 tensor.

    Raises:
        tfhub.errors.CallInputSpecError: (a ValueError and a TypeError) if `inputs` does not hold
            strings (the module would fail with TensorFlow's raw error, or at run time in a
            graph), or holds several strings (or none) per example: reshaping them to a batch
            would give more (or fewer) embeddings than examples. A width known only when the
            graph runs is checked then (a tf.errors.InvalidArgumentError with the same words).
    """
    where = f"hub.{column._column}({column.key!r})"
    if isinstance(inputs, tf.SparseTensor):  # tf.reshape would fail with a bare ValueError.
        raise errors.CallInputSpecError(
            f"{where} takes a dense tensor of strings, one per example; for a tf.SparseTensor "
            f"of tokens (e.g. from tf.io.VarLenFeature) {_tokens_remedy(column, 'tokens')}; "
            "for one string per example, make it dense with "
            "tf.sparse.to_dense(feature, default_value=''). "
            f"Received: {column.key!r} as a tf.SparseTensor of shape {inputs.shape}"
        )
    checked_strings(inputs, column, error=errors.CallInputSpecError)
    shape = inputs.shape
    if shape.rank is not None and (
        shape.rank > 2 or (shape.rank == 2 and shape[1] not in (1, None))
    ):
        raise errors.CallInputSpecError(
            f"{where} takes one string per example, of shape (batch,) or (batch, 1); for "
            f"several tokens per example {_tokens_remedy(column, 'tf.sparse.from_dense(tokens)')}. "
            f"Received: {column.key!r} of shape {tuple(shape.as_list())}"
        )
    if shape.rank is None or (shape.rank == 2 and shape[1] is None):  # Known only when run.
        message = f"{where} takes one string per example, of shape (batch,) or (batch, 1)"
        # Exactly one: a width of 0 would give fewer embeddings than examples.
        check = tf.debugging.assert_equal(tf.size(inputs), tf.shape(inputs)[0], message=message)
        with tf.control_dependencies([check]):
            return tf.reshape(inputs, [-1])
    return tf.reshape(inputs, [-1])


def join_tokens(tokens: str) -> str:
    """The code that makes one text per example of the tf.SparseTensor of tokens `tokens`
    (the tokens of each example joined by spaces), for a dense text column."""
    return f"tf.strings.reduce_join(tf.RaggedTensor.from_sparse({tokens}), axis=-1, separator=' ')"


def _tokens_remedy(column: Any, tokens: str) -> str:
    """What to do with several tokens per example (`tokens`, as code) for the dense text
    column `column`: over a TF1 module, the sparse column takes them; over a TF2 model,
    which that column refuses, join them into one text."""
    if column._column != "text_embedding_column_v2":
        return "use hub.sparse_text_embedding_column"
    return (
        f"join them into one text per example, {join_tokens(tokens)} "
        "(hub.sparse_text_embedding_column, which combines token embeddings, takes TF1 Hub "
        "modules only)"
    )


def require_handle(module_spec: Any, column: str) -> None:
    """Raises ConfigNotSupportedError unless the column was built from a handle string.

    The message starts with upstream's words (a NotImplementedError there too).
    """
    if not isinstance(module_spec, str):
        raise errors.ConfigNotSupportedError(
            f"Can only generate a valid config for `hub.{column}`that uses a string "
            f"`module_spec`.\n\nGot `type(module_spec)`: {type(module_spec)}. A ModuleSpec "
            "object cannot be written into a config: export the spec (spec.export(path)) and "
            f"pass its path. Received: module_spec={module_name(module_spec)}"
        )
