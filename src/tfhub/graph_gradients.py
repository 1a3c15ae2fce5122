"""A loaded model's gradient built at once in a TF1-style graph, before any Session runs it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .utils.lazy import tensorflow as tf


def build_gradient_in_graph(outputs: Any, xs: Iterable[Any]) -> None:
    """Builds, in a TF1-style graph, the gradient of `outputs` with respect to `xs` once, so that
    TensorFlow rewrites the function-call ops between them right away. Does nothing eagerly,
    inside a function being traced, or when no floating output or `xs` is left.

    TensorFlow gives a function-call op (a loaded model's function, a TF1 module's pruned one)
    the extra outputs its gradient needs only when that gradient is first built. If a Session
    ran the graph before (tf_keras' graph-mode `predict` or `evaluate` before `fit`), it never
    sees those outputs, and `fit` failed with "Connecting to invalid output 1 of source node
    ...StatefulPartitionedCall which has 1 outputs". The gradient ops built here never run; a
    gradient TensorFlow cannot build is skipped (the call still works).

    Args:
        outputs: a tensor or nest of tensors (composites are split into their components).
        xs: the tensors and variables the gradient is for (the trainable variables, the
            floating inputs); those of other dtypes are skipped.
    """
    if tf.executing_eagerly() or tf.compat.v1.get_default_graph().building_function:
        return
    ys = [y for y in tf.nest.flatten(outputs, expand_composites=True) if _is_differentiable(y)]
    flat = tf.nest.flatten(list(xs), expand_composites=True)
    sources = [x for x in flat if _is_differentiable(x)]
    if not ys or not sources:
        return
    try:
        tf.gradients(ys, sources)
    except (LookupError, ValueError, TypeError, NotImplementedError):
        # No gradient here (an op without one, control flow TensorFlow cannot differentiate):
        # `predict` must still work, and `fit` raises TensorFlow's own error where it needs it.
        pass


def _is_differentiable(value: Any) -> bool:
    """A tensor or variable of a floating (or complex) dtype."""
    dtype = getattr(value, "dtype", None)
    return dtype is not None and (dtype.is_floating or dtype.is_complex)
