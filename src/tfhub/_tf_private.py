"""Every use of TensorFlow's and Keras's private APIs in tfhub, in one place.

This module replicates or reaches TensorFlow/Keras internals that are not in the public API
(`tensorflow.python.*`, `tf.__internal__`, `keras.src.*`, `tf_keras.src.*`). After a TensorFlow
or Keras upgrade, this is the one file to check: each function says what it reaches and the
versions it was checked on. Nothing here imports TensorFlow or Keras at module import time.

To add a use: write a small function here (name what it reaches, the version checked, and the
public alternative if one exists), and call it instead of importing the private module.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from .utils.lazy import tensorflow as tf

CHECKED_ON = "TensorFlow 2.21, Keras 3.12 and tf_keras 2.21"


# --- Keras 3 ------------------------------------------------------------------------------------


def keras3_compute_output_spec(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Traces `fn` on symbolic inputs and returns its output KerasTensors.

    Reaches `keras.src.backend.compute_output_spec` (what `keras.Layer.compute_output_spec`
    itself calls; it has no public name). Checked on Keras 3.12.
    """
    from keras.src import backend

    return backend.compute_output_spec(fn, *args, **kwargs)


def keras3_running_layer() -> Any:
    """The outermost Keras 3 layer whose `call` is running, or None. Imports nothing.

    Reads the call context in `keras.src.backend.common.global_state` (only if Keras 3 is
    already imported). Checked on Keras 3.12.
    """
    state = sys.modules.get("keras.src.backend.common.global_state")
    if state is None:
        return None
    context = state.get_global_attribute("current_call_ctx")
    return None if context is None else getattr(context, "entry_layer", context)


# --- tf_keras -----------------------------------------------------------------------------------


def tf_keras_running_layer() -> Any:
    """The innermost tf_keras layer whose `call` is running, or None. Imports nothing.

    Reads `tf_keras.src.engine.base_layer_utils.call_context()` (only if tf_keras is already
    imported). Checked on tf_keras 2.21.
    """
    utils = sys.modules.get("tf_keras.src.engine.base_layer_utils")
    if utils is None:
        return None
    context = utils.call_context()
    return context.layer if context.in_call else None


# --- TensorFlow ---------------------------------------------------------------------------------


def feature_column_base_classes() -> tuple[type, type]:
    """Returns (v1 `_DenseColumn`, v2 `DenseColumn`), the classes hub feature columns extend.

    Reaches `tensorflow.python.feature_column.feature_column(_v2)`; TensorFlow exports no base
    class for user-defined columns. Checked on TensorFlow 2.21.
    """
    tf.initialize()  # The install hint if TensorFlow is missing.
    from tensorflow.python.feature_column import feature_column as fc_v1
    from tensorflow.python.feature_column import feature_column_v2 as fc_v2

    return fc_v1._DenseColumn, fc_v2.DenseColumn


def register_feature_column(cls: type) -> type:
    """Registers a column class so `DenseFeatures.from_config` finds it by name.

    Reaches `tensorflow.python.feature_column.serialization.register_feature_column`.
    Checked on TensorFlow 2.21.
    """
    from tensorflow.python.feature_column import serialization

    return serialization.register_feature_column(cls)


def decode_structure(proto: Any) -> Any:
    """Decodes a `StructuredValue` proto of a SavedModel (e.g. a function's input signature).

    Reaches `tensorflow.python.saved_model.nested_structure_coder.decode_proto`.
    Checked on TensorFlow 2.21.
    """
    tf.initialize()  # The install hint if TensorFlow is missing.
    from tensorflow.python.saved_model import nested_structure_coder

    return nested_structure_coder.decode_proto(proto)


def trackable_class() -> type:
    """Returns TensorFlow's `Trackable` base class (what `tf.saved_model.save` accepts).

    Reaches `tf.__internal__.tracking.Trackable`. Checked on TensorFlow 2.21.
    """
    return tf.__internal__.tracking.Trackable
