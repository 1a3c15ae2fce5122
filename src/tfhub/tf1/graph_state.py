"""The state of a module's graph: its scope, state ops, variable maps and colocation constraints.

A module is instantiated in two parts: its *state graph* (variables, tables: the registered
stateful ops without inputs) is imported once per `hub.Module`, and every application imports
the *apply graph* with those state ops replaced by placeholders that are fed the state tensors.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from .. import _tf_private, errors
from ..utils.lazy import tensorflow as tf
from .meta_graph_lib import split_tensor_name

logger = logging.getLogger(__name__)

_LOC_PREFIX = b"loc:@"


def list_state_op_types(graph_def: Any) -> set[str]:
    """Returns the op types in `graph_def` that are registered, stateful and take no inputs."""
    return {
        op_type
        for op_type in {node.op for node in graph_def.node}
        if _tf_private.is_state_op_type(op_type)
    }


def get_state_map(
    meta_graph: Any, state_op_types: set[str], get_tensor: Callable[[str], Any]
) -> dict[str, Any]:
    """Returns {tensor name in the module: instantiated state tensor} for every state op.

    Raises:
        tfhub.errors.ModuleSpecError: if a state op has more than one output.
    """
    state_map = {}
    for node in meta_graph.graph_def.node:
        if node.op in state_op_types:
            tensor_name = node.name + ":0"
            tensor = get_tensor(tensor_name)
            if len(tensor.op.outputs) != 1:
                raise errors.ModuleSpecError(
                    f"Stateful op {node.op} has {len(tensor.op.outputs)} outputs, expected 1."
                )
            state_map[tensor_name] = tensor
    return state_map


def replace_apply_state(
    meta_graph: Any, state_op_types: set[str], feed_map: Mapping[str, Any]
) -> None:
    """Turns, in place, the state ops that `feed_map` feeds into resource placeholders."""
    for node in meta_graph.graph_def.node:
        if node.op in state_op_types and node.name + ":0" in feed_map:
            node.op = "Placeholder"
            for key in [key for key in node.attr if key != "shape"]:
                del node.attr[key]
            node.attr["dtype"].type = tf.resource.as_datatype_enum


def variable_map_from_tensor_map(tensor_map: Mapping[str, Any]) -> dict[str, Any]:
    """Returns {variable name: Variable, or a list of partitions ordered by offset}.

    Raises:
        tfhub.errors.PartitionedVariablesError: if partitioned variables are inconsistent.
    """
    variables = {split_tensor_name(key)[0]: v for key, v in tensor_map.items()}
    slices = {
        name: (name[: name.rfind("/")], v._save_slice_info.var_offset[0])
        for name, v in variables.items()
        if v._save_slice_info
    }
    return group_partitions(variables, slices)


def group_partitions(
    variables: Mapping[str, Any], slices: Mapping[str, tuple[str, int]]
) -> dict[str, Any]:
    """Returns {variable name: Variable, or a list of partitions ordered by offset}.

    Args:
        variables: {name: variable}, partitions included ("w/part_0").
        slices: {name of a partition: (name of the whole variable, offset)}.

    Raises:
        tfhub.errors.PartitionedVariablesError: if partitioned variables are inconsistent.
    """
    result: dict[str, Any] = {}
    partitioned: dict[str, dict[int, Any]] = {}
    for name, variable in variables.items():
        if name not in slices:
            result[name] = variable
            continue
        base, offset = slices[name]
        parts = partitioned.setdefault(base, {})
        if offset in parts:
            raise errors.PartitionedVariablesError(
                f"Duplicate offset {offset} for variable {base!r}."
            )
        parts[offset] = variable
    overlap = set(result) & set(partitioned)
    if overlap:
        raise errors.PartitionedVariablesError(
            f"Variables both single and partitioned: {sorted(overlap)}"
        )
    for base, parts in partitioned.items():
        result[base] = [variable for _, variable in sorted(parts.items())]
    return result


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
