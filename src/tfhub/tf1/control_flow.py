"""Where a module is built or applied inside TensorFlow control flow (control flow v2).

A `tf.cond` branch or `tf.while_loop` body is a function graph that shares its collections with
its outer graph: what may be created or applied there, and how a module's state reaches it (a
TF1 reference variable, which a while_loop cannot carry, is read just outside the loop).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .. import errors
from ..utils.lazy import tensorflow as tf
from .meta_graph_lib import split_tensor_name


def in_control_flow_body(graph: Any) -> bool:
    """True for a tf.cond branch or tf.while_loop body (control flow v2): a function graph that
    shares its collections with its outer graph, so what it adds to them (variables, update ops)
    is listed in the outer graph, out of its reach. tf.compat.v1.wrap_function and Defun graphs
    have collections of their own."""
    outer = getattr(graph, "outer_graph", None)
    if not graph.building_function or outer is None:
        return False
    # No public API says it; cond_v2 and while_v2 pass the outer graph's dict itself.
    return getattr(graph, "_collections", None) is getattr(outer, "_collections", ())


def capturable_state(graph: Any, value: Any) -> Any:
    """`value` (a state tensor of the module, of an outer graph) as the function graph `graph`
    captures it: a TF1 reference variable's output (dtype float_ref, ...) is read first, in its
    own graph, where `graph` lies in a tf.while_loop body (control flow v2), whose loop cannot
    carry a reference-typed capture (TensorFlow's bare InvalidArgumentError "AttrValue must not
    have reference type value of float_ref"). A module op that writes the variable is refused
    before (`refuse_reference_writes_in_while_loop`).

    The read runs once per `session.run`, before the loop starts, after what the loop waits for:
    the control dependencies in effect in the variable's graph where the loop (or the cond
    around it) is built, and the ops of that graph that the bodies and branches around `graph`
    order before their ops (`tf.control_dependencies([op])` inside them, up to the module's
    call). Ops of the bodies themselves cannot order it (nor write the variable: a
    while_loop or cond branch cannot take a reference to it).

    Inside a tf.function (traced in the variable's graph), the read belongs to the trace,
    which every later call with the same signature reuses: it waits only for what the
    function's own bodies order, not for the control dependencies around the call that
    traced it (the function's call op waits for those), which would run with every call."""
    if value.dtype == value.dtype.base_dtype or not _in_while_body(graph, value.graph):
        return value
    waits_for = _outer_control_inputs(graph, value.graph)
    # None drops the dependencies in effect in the variable's graph; [] keeps them.
    in_effect: list[Any] | None = None if _in_function_below(graph, value.graph) else []
    with value.graph.as_default(), value.graph.control_dependencies(in_effect):
        with value.graph.control_dependencies(waits_for):
            return tf.identity(value, name=value.op.name + "_read_for_loop")


def _in_function_below(graph: Any, outer: Any) -> bool:
    """True if a function graph that is no cond branch or while_loop body (a tf.function's)
    lies between `graph` and `outer`, `graph` included: its trace is reused by its calls."""
    return any(
        each.building_function and not in_control_flow_body(each)
        for each in _graphs_between(graph, outer)
    )


def _outer_control_inputs(graph: Any, outer: Any) -> list[Any]:
    """The ops (or tensors) of `outer` that the function graphs from `graph` out to `outer`
    hold as control captures (`tf.control_dependencies` on an op of an outer graph inside a
    body or branch: while_v2 and cond_v2 make them control inputs of the While / If op)."""
    found: list[Any] = []
    for each in _graphs_between(graph, outer):
        captures = getattr(getattr(each, "function_captures", None), "control", ())
        found += sorted((c for c in captures if c.graph is outer), key=lambda c: c.name)
    return found


def _graphs_between(graph: Any, outer: Any) -> Iterator[Any]:
    """`graph` and the function graphs around it, out to `outer` (not included) or to the
    outermost graph."""
    while graph is not outer and getattr(graph, "outer_graph", None) is not None:
        yield graph
        graph = graph.outer_graph


def refuse_reference_writes_in_while_loop(
    graph: Any, meta_graph: Any, feed_map: Mapping[str, Any], name: str
) -> None:
    """Refuses to apply, inside a tf.while_loop body, a module whose graph writes one of its TF1
    reference variables (an op taking it as a reference input: Assign, AssignAdd, an
    optimizer's Apply* op, ...): the loop sees only a read of it (`capturable_state`).

    Args:
        graph: the graph the module is applied in.
        meta_graph: the apply graph about to be imported (its `stripped_op_list` says which
            inputs of an op are references; a graph without it is not checked).
        feed_map: {tensor name in the module: the tensor fed to it}.
        name: the module's scope, for the message.

    Raises:
        tfhub.errors.ControlFlowModuleError: (a RuntimeError, as upstream refused any
            application in a branch graph) naming the op and the variable; before, TensorFlow's
            bare ValueError "... incompatible with expected float_ref".
    """
    references = {
        key: value
        for key, value in feed_map.items()
        if value.graph is not graph
        and value.dtype != value.dtype.base_dtype
        and _in_while_body(graph, value.graph)
    }
    if not references:
        return
    op_defs = {op.name: op for op in meta_graph.meta_info_def.stripped_op_list.op}
    for node in meta_graph.graph_def.node:
        op_def = op_defs.get(node.op)
        if op_def is None or not any(arg.is_ref for arg in op_def.input_arg):
            continue
        for position, source in enumerate(node.input):
            fed = source if ":" in source else source + ":0"
            if fed in references and _is_reference_input(op_def, position):
                variable = split_tensor_name(fed)[0]
                raise errors.ControlFlowModuleError(
                    f"The hub.Module {name!r} cannot be applied inside a tf.while_loop body "
                    f"({graph.name}): its op {node.name!r} ({node.op}) writes its TF1 reference "
                    f"variable {variable!r}, which a while_loop (control flow v2) can only read. "
                    "Apply the module outside the loop and pass its outputs in, or export it "
                    "with resource variables (tf.compat.v1.get_variable(..., "
                    "use_resource=True))."
                )


def _is_reference_input(op_def: Any, position: int) -> bool:
    """True if input `position` of a node of `op_def` is a reference input (an op with list
    inputs counts as one if any of its inputs is)."""
    arguments = list(op_def.input_arg)
    if any(arg.number_attr or arg.type_list_attr for arg in arguments):
        return any(arg.is_ref for arg in arguments)
    return position < len(arguments) and arguments[position].is_ref


def _in_while_body(graph: Any, outer: Any) -> bool:
    """True if `graph`, or a function graph around it inside `outer`, is a while_loop body or
    condition (control flow v2; no public API names them)."""
    return any(
        type(each).__name__ in ("WhileBodyFuncGraph", "WhileCondFuncGraph")
        for each in _graphs_between(graph, outer)
    )


def _in_tf_function(graph: Any) -> bool:
    """True if the cond/while bodies around `graph` lie in a tf.function's graph, whose automatic
    control dependencies run the bodies' stateful ops (update ops included) with the function."""
    while in_control_flow_body(graph):
        graph = graph.outer_graph
    return bool(graph.building_function)


def refuse_creation_in_control_flow(graph: Any) -> None:
    """Refuses to create a hub.Module inside a tf.cond branch or tf.while_loop body.

    Raises:
        tfhub.errors.ControlFlowModuleError: (a RuntimeError; upstream failed at creation too)
            if `graph` is such a body: the module's variables would be made in the branch but
            listed in the outer graph's GLOBAL_VARIABLES, failing the whole graph's
            global_variables_initializer().
    """
    if in_control_flow_body(graph):
        raise errors.ControlFlowModuleError(
            f"hub.Module(...) cannot be created inside a tf.cond branch or tf.while_loop body "
            f"({graph.name}): its variables would be made inside the branch but listed in the "
            "outer graph, and tf.compat.v1.global_variables_initializer() would fail for the "
            "whole graph. Create the hub.Module outside the cond/loop, then apply it inside "
            "(m = hub.Module(...); tf.compat.v1.cond(pred, lambda: m(x), ...))."
        )


def refuse_update_ops_in_control_flow(graph: Any, update_ops: list[str], name: str) -> None:
    """Refuses to apply a trainable module with update ops inside a tf.cond / tf.while_loop.

    Raises:
        tfhub.errors.ControlFlowModuleError: (a RuntimeError, as upstream raised) if
            `update_ops` (the application's UPDATE_OPS) is not empty and `graph` is a cond
            branch or while_loop body: the outer graph's UPDATE_OPS would list ops of the
            branch, which `tf.control_dependencies(UPDATE_OPS)` refuses, and the moving
            averages would never update. Inside a tf.function they run with the function
            (automatic control dependencies): not refused there.
    """
    if update_ops and in_control_flow_body(graph) and not _in_tf_function(graph):
        raise errors.ControlFlowModuleError(
            f"The trainable hub.Module {name!r} (its graph has UPDATE_OPS, e.g. batch norm "
            f"moving averages) cannot be applied inside a tf.cond branch or tf.while_loop body "
            f"({graph.name}): its update ops would be listed in the outer graph's UPDATE_OPS "
            "but live in the branch, where the training step cannot run them. Apply the module "
            "outside the cond/loop and pass its outputs in (or create it with trainable=False "
            "or tags without 'train')."
        )
