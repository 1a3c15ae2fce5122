"""A loaded model's lookup tables in tf_keras' graph mode, which runs no table initializer.

Used by the tf_keras `KerasLayer` and by the feature columns under `DenseFeatures`.
"""

from __future__ import annotations

from typing import Any

from ..utils.lazy import tensorflow as tf
from ..utils.lazy import tf_keras


def table_initializers() -> list[Any]:
    """The graph's TABLE_INITIALIZERS so far ([] eagerly): compare before and after a load to
    find the ones the load added."""
    if tf.executing_eagerly():
        return []
    return list(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.TABLE_INITIALIZERS))


def initialize_once(initializers: list[Any]) -> Any:
    """Has tf_keras' graph mode run `initializers` (a model's table initializers) once.

    tf_keras runs no table initializer, but before its first fit, evaluate or predict in a graph
    it initializes, once, each variable a layer holds. So the initializers become the
    initializer of a boolean variable (in no collection: no Saver, checkpoint or TF1
    initializer sees it) that a throwaway layer holds. (Before, they ran before each use of the
    module: the vocabulary was read at every `session.run`, and failed once it was gone.)

    Returns:
        The variable, which the caller must keep alive: tf_keras holds it weakly.
    """
    with tf.control_dependencies(initializers):
        done = tf.constant(True)
    flag = tf.compat.v1.Variable(
        done, trainable=False, collections=[], name="hub_module_tables_initialized"
    )
    holder = tf_keras.layers.Layer(name="hub_module_tables")  # tf_keras has no public
    holder.tables_initialized = flag  # track_variable: holding it registers it.
    return flag
