"""What `create_module_spec` refuses, or warns of, in the colocation constraints of a module's
graph: a state op colocated with a non-state op, a signature input under a `tf.colocate_with`,
an input from an op with several outputs (whose colocation rewrite on apply may be ambiguous).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..utils.lazy import tensorflow as tf
from .graph_state import list_state_op_types

_LOC_PREFIX = b"loc:@"


def find_state_op_colocation_error(graph: Any, reported_tags: Any = None) -> str | None:
    """Returns an error message if a state op is colocated with a non-state op, else None."""
    state_types = list_state_op_types(graph.as_graph_def())
    state_ops = {op.name: op for op in graph.get_operations() if op.type in state_types}
    for op in state_ops.values():
        for group in op.colocation_groups():
            if group.startswith(_LOC_PREFIX) and tf.compat.as_str(group[5:]) in state_ops:
                continue
            where = "" if reported_tags is None else f"in the graph for tags {reported_tags}, "
            return (
                "A state-holding node x of a module's graph (e.g., a Variable op) must not be "
                "subject to a tf.colocate_with(y) constraint unless y is also a state-holding "
                f"node.\nDetails: {where}node '{op.name}' has op '{op.type}', which counts as "
                f"state-holding, but Operation.colocation_groups() == {op.colocation_groups()}."
            )
    return None


def find_signature_input_error(signature_name: str, inputs: Mapping[str, Any]) -> str | None:
    """Returns an error message if an input is subject to a colocation constraint, else None.

    Inputs need not be placeholders (as upstream): applying the module replaces them by the
    caller's tensors and rewrites the colocation constraints that refer to them.
    """
    for input_name, value in inputs.items():
        for tensor in tf.nest.flatten(value, expand_composites=True):
            if not hasattr(tensor, "op"):
                continue  # Not a graph tensor at all: saved_model_lib.add_signature says so.
            expected = [_LOC_PREFIX + tensor.op.name.encode()]
            if tensor.op.colocation_groups() != expected:
                return (
                    "A tensor x used as input in a signature must not be subject to a "
                    "tf.colocate_with(y) constraint. (The reverse would be allowed.)\n"
                    f"Details: tensor '{tensor}' appears as input '{input_name}' of signature "
                    f"'{signature_name}' but has Tensor.op.colocation_groups() == "
                    f"{tensor.op.colocation_groups()}{_ragged_hint(value)}"
                )
    return None


def _ragged_hint(value: Any) -> str:
    """What to do when a ragged input's validation colocated its row partition, else ""."""
    if not isinstance(value, tf.RaggedTensor):
        return ""
    return (
        ". A tf.RaggedTensor input built from placeholders must skip validation, whose "
        "assertions colocate the row partition with its placeholder: build it with "
        "validate=False, e.g. tf.RaggedTensor.from_row_splits(values, row_splits, "
        "validate=False)."
    )


def find_signature_inputs_from_multivalued_ops(inputs: Mapping[str, Any]) -> str | None:
    """Returns a warning if an input comes from an op with several outputs, else None.

    Such inputs work, but a `tf.colocate_with()` on that op can make the colocation rewrite
    ambiguous when the module is applied (then `hub.Module.__call__` raises).
    """
    affected = []
    for input_name, value in sorted(inputs.items()):
        components = _named_components(tf, input_name, value)
        for name, tensor in components:
            if hasattr(tensor, "op") and len(tensor.op.outputs) > 1:
                affected.append(f"{name}='{tensor.name}'")
    if not affected:
        return None
    return (
        "WARNING: The inputs declared in hub.add_signature() should be tensors from ops with a "
        "single output, or else uses of tf.colocate_with() on that op can trigger fatal errors "
        "when the module is applied and colocation constraints have to be rewritten.\n"
        f"Affected inputs: {', '.join(affected)}"
    )


def _named_components(tf: Any, name: str, value: Any) -> list[tuple[str, Any]]:
    """[(name, tensor)] of a dense tensor, or of a SparseTensor's three components."""
    if isinstance(value, tf.SparseTensor):
        return [
            (f"{name}.indices", value.indices),
            (f"{name}.values", value.values),
            (f"{name}.dense_shape", value.dense_shape),
        ]
    flat = tf.nest.flatten(value, expand_composites=True)
    return [(name if len(flat) == 1 else f"{name}[{i}]", t) for i, t in enumerate(flat)]
