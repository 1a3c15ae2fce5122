"""Whether XLA can compile a hub.KerasLayer's model.

Keras 3 asks each layer (`supports_jit`) before compiling a model with XLA: when the user passes
`jit_compile=True`, and by default (`"auto"`) on a machine with a GPU. XLA has no kernels for
strings or lookup tables, and TensorFlow 2.21 does not fail cleanly on them: compiling a text
model aborts the whole process ("Check failed: DataTypeCanUseMemcpy(dtype())").
"""

from __future__ import annotations

from typing import Any

from .._tf_private import op_outputs_strings
from ..model_calls import traced_functions
from ..utils.lazy import tensorflow as tf

# Lookup-table ops hold no string attribute when their keys are integers; XLA compiles none.
_TABLE_OP_MARKERS = ("LookupTable", "HashTable")


def compiles_with_xla(fn: Any, input_specs: list[Any]) -> bool:
    """Returns False if XLA cannot compile calls of `fn`.

    Args:
        fn: the function a layer calls (a restored `tf.function`, a signature's
            ConcreteFunction, or any callable).
        input_specs: the input structures `fn` was traced for.

    Returns:
        False when it takes strings, or a function it runs (each traced one, with the functions
        it calls) has a string tensor or a lookup table; True otherwise, also for a Python
        callable that TensorFlow knows nothing of yet.
    """
    for spec in tf.nest.flatten(input_specs, expand_composites=False):
        if getattr(spec, "dtype", None) == tf.string:
            return False
    return not any(_has_strings_or_tables(f.graph.as_graph_def()) for f in _traced(fn))


def _traced(fn: Any) -> list[Any]:
    """The concrete functions of `fn` that TensorFlow traced (none for a plain callable)."""
    if hasattr(fn, "graph") and hasattr(fn, "structured_input_signature"):
        return [fn]  # A ConcreteFunction (a signature).
    return traced_functions(fn)


def _has_strings_or_tables(graph_def: Any) -> bool:
    """Whether a GraphDef (its nodes and the functions of its library) has a string tensor or
    a lookup table: an attribute naming the string type, or an op whose registered definition
    outputs strings (`AsString` names only its input's type; a nested function's stored nodes
    carry no output types)."""
    string = tf.string.as_datatype_enum
    nodes = [*graph_def.node]
    for function in graph_def.library.function:
        nodes.extend(function.node_def)
    for node in nodes:
        if any(marker in node.op for marker in _TABLE_OP_MARKERS) or op_outputs_strings(node.op):
            return True
        for value in node.attr.values():
            if value.type == string or string in value.list.type:
                return True
    return False
