"""The state of a module's graph: its scope, state ops, variable maps and colocation constraints.

A module is instantiated in two parts: its *state graph* (variables, tables: the registered
stateful ops without inputs) is imported once per `hub.Module`, and every application imports
the *apply graph* with those state ops replaced by placeholders that are fed the state tensors.
"""

from __future__ import annotations

import logging
import re
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


def check_scope_name(name: Any, abs_state_scope: str | None = None) -> None:
    """Refuses a module name TensorFlow cannot import a graph under.

    Args:
        name: the `name` given to hub.Module.
        abs_state_scope: the absolute scope it became ("outer/name/"), once known.

    Raises:
        tfhub.errors.ArgumentTypeError: if `name` is not a string.
        tfhub.errors.ArgumentError: if it is empty (an IndexError deep inside), starts or ends
            with "/" (upstream refused "/m"; "m/" failed with a bare KeyError), or the scope or
            its last part (the module's own name: `encoders/2019/`, `a/1b/`) starts with a
            digit: TensorFlow's `prepend_name_scope` then builds the regular expression
            replacement "\\1" + "1abc" and fails with `re.error` (or, for "\\120...", names
            another scope and fails with a KeyError at the module's first application).
    """
    if not isinstance(name, str):
        raise errors.ArgumentTypeError(
            f"hub.Module needs a string name. Received: name={name!r} of type {type(name).__name__}"
        )
    if not name:
        raise errors.ArgumentError("hub.Module needs a non-empty name. Received: name=''")
    if name.startswith("/") or name.endswith("/"):  # "m/" failed with a bare KeyError.
        raise errors.ArgumentError(
            "hub.Module's name is a variable scope name inside the current one: it cannot "
            "start or end with '/' (use tf.compat.v1.variable_scope(...) around hub.Module to "
            f"nest it). Received: name={name!r}"
        )
    if not abs_state_scope:
        return
    last = abs_state_scope.rstrip("/").split("/")[-1]
    _check_scope_characters(name, abs_state_scope, last)
    # The graph is imported with the scope's last part as its relative scope (and
    # "<last part>_apply_<signature>" when applied): TensorFlow reads "\\1" + "2019..." as
    # the escape "\\120" (a "P") or a group reference there too.
    if abs_state_scope[0].isdigit() or last[:1].isdigit():
        what = f"a scope that starts with a digit ({abs_state_scope!r})"
        if not abs_state_scope[0].isdigit():
            what = f"a name that starts with a digit ({last!r}, in the scope {abs_state_scope!r})"
        raise errors.ArgumentError(
            f"TensorFlow cannot import a module under {what}; start the module's name (or its "
            f"outer variable scope) with a letter. Received: name={name!r}"
        )


# What TensorFlow takes in a name scope ("/" separates its parts), and how a scope it imports a
# graph under (the module's first and last part: "<last part>_apply_<signature>" may be a root
# scope) must start (tensorflow/python/framework/ops.py, _VALID_OP_NAME_REGEX; a backslash,
# which that allows, makes the import fail with "would lead to invalid node names").
_SCOPE_CHARACTERS = re.compile(r"[A-Za-z0-9_.\->/]*")
_ROOT_SCOPE_START = re.compile(r"[A-Za-z0-9.]")


def _check_scope_characters(name: str, abs_state_scope: str, last: str) -> None:
    """Refuses a module scope TensorFlow cannot import a graph under, or apply it under.

    Raises:
        tfhub.errors.ArgumentError: if the scope holds a character a scope name cannot (a
            space, ":", "\\", a non-ASCII letter), or its first or last part starts with "_"
            or "-": TensorFlow's bare ValueError ("... is not a valid root scope name") came
            at the import, or for the last part only at the module's first application.
    """
    if (
        _SCOPE_CHARACTERS.fullmatch(abs_state_scope)
        and _ROOT_SCOPE_START.match(abs_state_scope)
        and _ROOT_SCOPE_START.match(last)
    ):
        return
    raise errors.ArgumentError(
        f"TensorFlow cannot import a module under the scope {abs_state_scope!r}: a scope name "
        "takes only ASCII letters, digits, '_', '.', '-' and '>' (and '/' between its parts), "
        "and the module's own name (and its outer variable scope) must start with a letter or "
        f"'.'. Give hub.Module another name=. Received: name={name!r}"
    )


def scope_part(signature: str) -> str:
    """`signature` as part of a name scope: each character TensorFlow refuses in a scope name
    (":", a space, a non-ASCII letter) and "/" (which would open a sub-scope) becomes "_"."""
    return re.sub(r"[^A-Za-z0-9_.\->]", "_", signature)


def refuse_foreign_variables(tensor_map: Mapping[str, Any], meta_graph: Any, scope: str) -> None:
    """Refuses a module scope that already held a variable of the user's before the module's
    graph was imported into it (e.g. `tf.compat.v1.Variable(0, name="module/step")`).

    Args:
        tensor_map: {name under the scope: variable} of the variables found under `scope`.
        meta_graph: the module's MetaGraphDef, whose nodes are the module's.
        scope: the module's absolute scope ("module").

    Raises:
        tfhub.errors.ModuleScopeTakenError: (a ValueError) naming the variable and what to do.
    """
    nodes = {node.name for node in meta_graph.graph_def.node}
    foreign = sorted(
        name for name, var in tensor_map.items() if var.op.name[len(scope) + 1 :] not in nodes
    )
    if foreign:
        shown = ", ".join(f"{scope}/{name}" for name in foreign[:5])
        raise errors.ModuleScopeTakenError(
            f"The variable scope {scope!r} of this hub.Module already holds variables that "
            f"are not the module's: {shown} (made before the module, e.g. by "
            f"tf.compat.v1.Variable(..., name='{scope}/...')). Give the hub.Module another "
            f"name= (or the variable another name). Received: scope={scope!r}"
        )


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
    while_loop or cond branch cannot take a reference to it)."""
    if value.dtype == value.dtype.base_dtype or not _in_while_body(graph, value.graph):
        return value
    waits_for = _outer_control_inputs(graph, value.graph)
    with value.graph.as_default(), tf.control_dependencies(waits_for):
        return tf.identity(value, name=value.op.name + "_read_for_loop")


def _outer_control_inputs(graph: Any, outer: Any) -> list[Any]:
    """The ops (or tensors) of `outer` that the function graphs from `graph` out to `outer`
    hold as control captures (`tf.control_dependencies` on an op of an outer graph inside a
    body or branch: while_v2 and cond_v2 make them control inputs of the While / If op)."""
    found: list[Any] = []
    while graph is not outer and getattr(graph, "outer_graph", None) is not None:
        captures = getattr(getattr(graph, "function_captures", None), "control", ())
        found += sorted((c for c in captures if c.graph is outer), key=lambda c: c.name)
        graph = graph.outer_graph
    return found


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
    while graph is not outer and getattr(graph, "outer_graph", None) is not None:
        if type(graph).__name__ in ("WhileBodyFuncGraph", "WhileCondFuncGraph"):
            return True
        graph = graph.outer_graph
    return False


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


def state_scope(name: str) -> str:
    """Returns an unused absolute scope "parent/name_N/" for the module's state.

    Raises:
        tfhub.errors.ModuleGraphError: (a RuntimeError) if the variable scope is free but its
            name scope is already taken.
    """
    current = tf.compat.v1.get_variable_scope().name
    with tf.name_scope(current + "/" if current else ""):
        with tf.compat.v1.variable_scope(
            None, default_name=name, auxiliary_name_scope=False
        ) as scope:
            abs_state_scope = scope.name + "/"
        graph = tf.compat.v1.get_default_graph()
        unique_name_scope = graph.unique_name(name, mark_as_used=False) + "/"
        if unique_name_scope != abs_state_scope:
            raise errors.ModuleGraphError(
                f"variable_scope {abs_state_scope} was unused but the corresponding name_scope was "
                f"already taken. ({_why_scope_taken(abs_state_scope)}) Received: name={name!r}"
            )
    return abs_state_scope


def _why_scope_taken(abs_state_scope: str) -> str:
    """Why the module's free variable scope has a taken name scope, and what to do: a module
    made in a replica function of a distribution strategy (each replica makes it again), a
    variable scope re-entered with reuse, an earlier module (or variable) of a variable scope
    entered again (its default names restart), or ops of the graph (an op named like the
    module, or made under `tf.name_scope` of its name)."""
    if _in_replica_function():
        return (
            "The hub.Module is made inside a distribution strategy's replica function, which "
            "each replica runs again: create the hub.Module once, in strategy.scope() before "
            "strategy.run, and apply it in the replica function (its variables are shared by "
            "the replicas)."
        )
    if tf.compat.v1.get_variable_scope().reuse:
        return (
            "This happens when a variable scope is re-entered, e.g. with reuse=True or "
            "tf.compat.v1.AUTO_REUSE: hub.Module does not share variables through scopes. Apply "
            "one hub.Module several times to share its variables, or give each hub.Module its "
            "own name=."
        )
    if any(v.name.startswith(abs_state_scope) for v in tf.compat.v1.global_variables()):
        return (
            f"Variables of an earlier hub.Module (or of yours) hold {abs_state_scope!r}: a "
            "variable scope entered again (e.g. `with tf.compat.v1.variable_scope("
            "tf.compat.v1.get_variable_scope()):` in a tower loop, or two `with "
            "variable_scope(...)` blocks of one name) restarts its default names, so this "
            "hub.Module got the same one. Create one hub.Module and apply it in every tower to "
            "share its variables, or give each hub.Module its own name= (e.g. name='module_1')."
        )
    return (
        f"Ops of the graph already use the name scope {abs_state_scope!r} (an op named "
        f"{abs_state_scope[:-1]!r}, or ops made under tf.name_scope of that name): give the "
        "hub.Module a name= that no op of the graph uses."
    )


def _in_replica_function() -> bool:
    """Whether this runs in the replica function of a strategy with several replicas."""
    if not tf.distribute.has_strategy() or tf.distribute.in_cross_replica_context():
        return False
    return bool(tf.distribute.get_strategy().num_replicas_in_sync > 1)
