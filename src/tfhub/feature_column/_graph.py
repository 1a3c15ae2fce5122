"""What a hub column's module needs in a `tf.Graph`: its variables in the graph's collections
(as a `hub.Module` put them there) and its gradient built before any Session runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..graph_gradients import build_gradient_in_graph
from ..utils.lazy import tensorflow as tf

if TYPE_CHECKING:
    from ._base import LoadedModule, TensorFn


def ops_added_to(key: str, fn: Callable[[], Any]) -> tuple[Any, list[Any]]:
    """Runs `fn()`; returns its result and what it added to the graph's collection `key` (e.g.
    a module's UPDATE_OPS or TABLE_INITIALIZERS), in order; eagerly, nothing."""
    if tf.executing_eagerly():
        return fn(), []
    known = {id(op) for op in tf.compat.v1.get_collection(key)}
    result = fn()
    return result, [op for op in tf.compat.v1.get_collection(key) if id(op) not in known]


def add_to_collections(module: LoadedModule, collections: list[str]) -> None:
    """In a `tf.Graph`, adds the module's variables to `collections` (as a `hub.Module` did).

    TRAINABLE_VARIABLES gets only the trainable ones; nothing is added twice; eager is a no-op.
    """
    if tf.executing_eagerly():
        return
    for collection in collections:
        trainable_only = collection == tf.compat.v1.GraphKeys.TRAINABLE_VARIABLES
        variables = module.trainable_variables if trainable_only else module.variables
        add_once_to_collection(collection, variables)


def add_once_to_collection(collection: str, variables: list[Any]) -> None:
    """Adds to the graph's `collection` each of `variables` it does not hold yet."""
    known = {id(v) for v in tf.compat.v1.get_collection(collection)}
    for variable in variables:
        if id(variable) not in known:
            tf.compat.v1.add_to_collection(collection, variable)


def with_gradient_built(fn: TensorFn, variables: list[Any]) -> TensorFn:
    """Returns `fn` that, in a `tf.Graph`, builds its gradient for `variables` at every call.

    TensorFlow gives a function call op the extra outputs its gradient needs only when that
    gradient is first built. If a Session has run the graph before (`model.predict` before
    `model.fit`, or tf_keras' graph-mode `fit` initializing a dataset iterator), the Session
    never sees those outputs and training fails with "Connecting to invalid output 1 of source
    node ...StatefulPartitionedCall which has 1 outputs". Building the gradient right away
    rewrites the call op before any Session runs (`graph_gradients.build_gradient_in_graph`, which
    hub.KerasLayer's tf_keras layer uses too); the extra gradient ops are never run.
    """

    def fn_with_gradient_built(*args: Any, **kwargs: Any) -> Any:
        outputs = fn(*args, **kwargs)
        build_gradient_in_graph(outputs, variables)
        return outputs

    return fn_with_gradient_built
