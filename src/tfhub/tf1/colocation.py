"""Rewriting colocation constraints after a module's apply graph is imported with an input_map.

If op x had `loc:@y` and the import's input_map replaced y's output by z's, x must now be
colocated with z instead (and placed on z's device). Same rules as upstream tensorflow_hub.
"""

from __future__ import annotations

import collections
import logging
from collections.abc import Mapping
from typing import Any

from .. import errors
from ..utils.lazy import tensorflow as tf
from .meta_graph_lib import split_tensor_name

logger = logging.getLogger(__name__)


class _ConsistentValue:
    """A value set from several sources that must agree; remembers why for the error."""

    def __init__(self) -> None:
        self.value: Any = None
        self.reasons: list[str] = []
        self.conflict: Any = None

    def set(self, value: Any, reason: str) -> None:
        if self.value is None:
            self.value, self.reasons = value, [reason]
        elif self.value != value and self.conflict is None:
            self.conflict = value
            self.reasons.append(reason)

    def get(self, op_name: str, class_value: bytes) -> Any:
        if self.conflict is not None:
            raise errors.ModuleSpecError(
                "Failed to rewrite colocation constraints while applying hub.Module:\n"
                f"The module graph contains a node {op_name!r} that has a colocation constraint "
                f"{class_value!r} with ambiguous rewriting {self.value!r} vs {self.conflict!r} "
                f"because {self.reasons[0]} and {self.reasons[1]}, respectively.\nTo fix, avoid "
                "publishing a module with inputs comprising multiple outputs of one op that is "
                "referenced in tf.colocate_with(...) constraints on other ops."
            )
        return self.value


def _build_attr_map(graph: Any, input_map: Mapping[str, Any], scope: str) -> dict[bytes, Any]:
    attr_map: dict[bytes, _ConsistentValue] = collections.defaultdict(_ConsistentValue)
    used_outputs: dict[str, set[int]] = collections.defaultdict(set)
    for imported_name, mapped in input_map.items():
        op_name, index = split_tensor_name(f"{scope}/{imported_name}")
        key = b"loc:@" + op_name.encode()
        attr_map[key].set(
            mapped.op.colocation_groups(),
            f"input '{scope}/{imported_name}' is substituted by '{mapped.name}'",
        )
        used_outputs[op_name].add(index)
    for op_name, used in used_outputs.items():
        op = graph.get_operation_by_name(op_name)
        unused = set(range(len(op.outputs))) - used
        if not unused:
            continue
        key = b"loc:@" + op_name.encode()
        listed = ",".join(str(i) for i in sorted(unused))
        attr_map[key].set([key], f"tensor '{op_name}:{listed}' is not substituted by inputs")
    return attr_map


def _rewrite_op(graph: Any, op: Any, attr_map: Mapping[bytes, Any]) -> None:
    try:
        class_values = op.get_attr("_class")
    except ValueError:
        return
    new_value = tf.compat.v1.AttrValue()
    groups: list[bytes] = []
    for class_value in class_values:
        if not class_value.startswith(b"loc:@"):
            new_value.list.s.append(class_value)
        elif class_value in attr_map:
            groups.extend(attr_map[class_value].get(op.name, class_value))
        else:
            groups.append(class_value)
    groups = sorted(set(groups))
    new_value.list.s.extend(groups)
    op._set_attr("_class", new_value)
    if groups:
        device = ""
        for group in groups:
            device = graph.get_operation_by_name(tf.compat.as_str(group[5:])).device
            if device:
                break
        op._set_device(device)


def fix_colocation_after_import(input_map: Mapping[str, Any], absolute_import_scope: str) -> None:
    """Rewrites `loc:@` constraints of the ops just imported under `absolute_import_scope`.

    Raises:
        tfhub.errors.ModuleSpecError: if a rewrite would be ambiguous.
    """
    graph = tf.compat.v1.get_default_graph()
    attr_map = _build_attr_map(graph, input_map, absolute_import_scope)
    prefix = absolute_import_scope + "/"
    for op in graph.get_operations():
        if op.name.startswith(prefix):
            _rewrite_op(graph, op, attr_map)
