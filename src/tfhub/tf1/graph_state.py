"""The state of a module's graph: its state ops, the tensors they feed, its variable maps.

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
