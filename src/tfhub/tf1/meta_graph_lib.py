"""Helpers that rewrite MetaGraphDefs before they are imported into a graph."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .. import _tf_private, errors
from ..utils.lazy import tensorflow as tf

logger = logging.getLogger(__name__)

_SCOPE_PATTERN = re.compile(r"([\^]|loc:@|^)(.*)")


def prepend_name_scope(name: str | bytes, import_scope: str) -> str:
    """Prepends `import_scope` to a tensor, op, control-input or colocation name.

    The scope is inserted as it is, not as a replacement template: TensorFlow's own
    `prepend_name_scope` reads a scope starting with a digit ("3d/m_apply_default") as part of
    a group reference ("\\13d...") and fails with `re.error`.
    """
    if isinstance(name, bytes):
        name = name.decode("utf-8")
    if not import_scope:
        return name
    return _SCOPE_PATTERN.sub(lambda m: f"{m.group(1)}{import_scope}/{m.group(2)}", name)


def prefix_shared_name_attributes(meta_graph: Any, absolute_import_scope: str) -> None:
    """Prefixes, in place, non-empty `shared_name` attributes with the import scope.

    This keeps two instances of a module (e.g. two lookup tables) from sharing resources.
    """
    for node in meta_graph.graph_def.node:
        shared_name = node.attr.get("shared_name", None)
        if shared_name is not None and shared_name.HasField("s") and shared_name.s:
            node.attr["shared_name"].s = prepend_name_scope(
                shared_name.s, absolute_import_scope
            ).encode("utf-8")


def filter_collections(meta_graph: Any, collections: Iterable[str]) -> None:
    """Deletes, in place, every collection of `meta_graph` not named in `collections`."""
    keep = frozenset(collections)
    for name in list(meta_graph.collection_def.keys()):
        if name not in keep:
            del meta_graph.collection_def[name]


def _node_name(name: str) -> str:
    """Returns the node of a tensor name, control input ("^x") or collection entry."""
    return name.lstrip("^").split(":")[0]


def _dependencies(node: Any) -> list[str]:
    names = [_node_name(name) for name in node.input]
    if "_class" in node.attr:
        names += [v.decode()[5:] for v in node.attr["_class"].list.s if v.startswith(b"loc:@")]
    return names


def prune_unused_nodes(meta_graph: Any, roots: Iterable[str]) -> None:
    """Keeps, in place, only the nodes that `roots` (tensor or node names) depend on.

    Dependencies are data inputs, control inputs and colocation targets; the function library
    is kept whole. Applying a module imports only what its signature's outputs need, instead
    of a second copy of the whole graph (e.g. large constant initializers).
    """
    nodes = {node.name: node for node in meta_graph.graph_def.node}
    keep = ancestors(nodes, roots)
    kept = [node for node in meta_graph.graph_def.node if node.name in keep]
    del meta_graph.graph_def.node[:]
    meta_graph.graph_def.node.extend(kept)


def ancestors(nodes: dict[str, Any], roots: Iterable[str]) -> set[str]:
    """The names of the nodes among `nodes` ({name: NodeDef}) that `roots` (tensor or node
    names) depend on, themselves included: data inputs, control inputs and colocation
    targets (what an import must keep; what a feed cuts is `reached_from`'s question)."""
    found: set[str] = set()
    stack = [_node_name(root) for root in roots]
    while stack:
        name = stack.pop()
        if name in found or name not in nodes:
            continue
        found.add(name)
        stack.extend(_dependencies(nodes[name]))
    return found


def node_edges(nodes: dict[str, Any]) -> Iterator[tuple[str, str | None, str]]:
    """The edges of the NodeDefs `nodes` ({name: NodeDef}) as `reached_from` reads them:
    (producer, the tensor `op:index` it gives, or None for a control input, consumer).
    Colocation (`loc:@`) is no edge: it places a node, it needs no value."""
    for node in nodes.values():
        for name in node.input:
            tensor = None if name.startswith("^") else _tensor_name(name)
            yield _node_name(name), tensor, node.name


def needing_unfed_placeholders(
    edges: Iterable[tuple[str, str | None, str]],
    *,
    inputs: Iterable[str],
    fed: Iterable[str],
    op_type: Callable[[str], str | None],
) -> set[str]:
    """The names of the nodes that need a `Placeholder` among the nodes of `inputs` (every
    signature's input tensors) that a call feeding the tensors `fed` (its signature's inputs)
    does not feed: another signature's placeholder, reached through tensors the call does not
    feed (`reached_from` over `edges`, read only if there is such a placeholder). The rule
    that chooses the UPDATE_OPS an application can run, in a graph
    (`module_apply.keep_feedable_update_ops`, over NodeDefs) and eagerly
    (`LoadedModel.training_function`, over a tf.Graph's ops): another signature's input
    that is an inner tensor (not a placeholder) is computed, not fed.

    Args:
        edges: the graph's edges (`node_edges`, or the same of a tf.Graph's ops).
        inputs: tensor names (`op:index`) of the inputs of every signature.
        fed: tensor names of the inputs the call feeds.
        op_type: a node's op type from its name; None for no such node.
    """
    fed_tensors = {_tensor_name(name) for name in fed}
    fed_nodes = {_node_name(name) for name in fed_tensors}
    blocking = {
        name
        for name in {_node_name(tensor) for tensor in inputs} - fed_nodes
        if op_type(name) == "Placeholder"
    }
    return reached_from(edges, blocking, fed=fed_tensors) if blocking else set()


def reached_from(
    edges: Iterable[tuple[str, str | None, str]], sources: Iterable[str], *, fed: Iterable[str] = ()
) -> set[str]:
    """The names of the nodes that need a value of `sources` (node names), these included, in
    one pass over the graph's `edges` (producer, the tensor `op:index` it carries or None for a
    control input, consumer): O(nodes + edges). A data edge carrying a tensor named in `fed`
    (e.g. one an import feeds) is not followed: the feed stands for it and all it is computed
    from, but not for the other outputs of its node, nor for a control input on that node.
    (`needing_unfed_placeholders` asks it.)
    """
    cut = frozenset(_tensor_name(name) for name in fed)
    consumers: dict[str, list[str]] = {}
    for producer, tensor, consumer in edges:
        if tensor is None or tensor not in cut:
            consumers.setdefault(producer, []).append(consumer)
    found: set[str] = set()
    stack = list(sources)
    while stack:
        name = stack.pop()
        if name not in found:
            found.add(name)
            stack.extend(n for n in consumers.get(name, ()) if n not in found)
    return found


def _tensor_name(name: str) -> str:
    """A data input or tensor name as `op:index` (a NodeDef writes output 0 as `op`)."""
    return name if ":" in name else f"{name}:0"


def collection_node_names(meta_graph: Any, key: str) -> list[str]:
    """Returns the node names listed in a node_list collection (empty if absent)."""
    if key not in meta_graph.collection_def:
        return []
    return [_node_name(name) for name in meta_graph.collection_def[key].node_list.value]


def collection_variable_defs(meta_graph: Any, key: str) -> list[Any]:
    """Returns the VariableDef protos listed in a bytes_list collection, in order."""
    from tensorflow.core.framework import variable_pb2

    collection = meta_graph.collection_def.get(key)
    raw_defs = [] if collection is None else collection.bytes_list.value
    return [variable_pb2.VariableDef.FromString(raw) for raw in raw_defs]


def trainable_reference_variables(meta_graph: Any) -> str:
    """The trainable TF1 reference variables of `meta_graph` (`get_variable(use_resource=False)`,
    TF1's default), for a message: the count and the first five names ("2 of the module's
    variables ('a', 'b')"); "" if it has none. TensorFlow's eager loader makes no Python object
    of them, so eager training cannot change them (eager `hub.Module` and the TF1 columns warn)."""
    names = [
        split_tensor_name(d.variable_name)[0]
        for d in collection_variable_defs(meta_graph, "trainable_variables")
        if not d.is_resource
    ]
    if not names:
        return ""
    shown = ", ".join(repr(name) for name in names[:5]) + (", ..." if len(names) > 5 else "")
    return f"{len(names)} of the module's variables ({shown})"


def _conflicting_functions(library: Any, graph: Any) -> dict[str, str]:
    """Returns {name: new name} for library functions that `graph` defines differently."""
    renames = {}
    for function_def in library.function:
        name = function_def.signature.name
        existing = graph._get_function(name)
        if existing is None or existing.definition == function_def:
            continue
        index = 1
        while graph._is_function(f"{name}_hub{index}"):
            index += 1
        renames[name] = f"{name}_hub{index}"
    return renames


def _rename_in_node(node: Any, renames: dict[str, str]) -> None:
    if node.op in renames:
        node.op = renames[node.op]
    for attr in node.attr.values():
        if attr.HasField("func") and attr.func.name in renames:
            attr.func.name = renames[attr.func.name]
        for func in attr.list.func:
            if func.name in renames:
                func.name = renames[func.name]


def rename_conflicting_functions(meta_graph: Any, graph: Any) -> None:
    """Renames, in place, library functions whose names `graph` already uses for other code.

    Functions get process-local names (e.g. `cond_true_6` for a tf.cond), so two modules built
    in different processes can clash when imported into one graph.
    """
    library = meta_graph.graph_def.library
    renames = _conflicting_functions(library, graph)
    if not renames:
        return
    for node in meta_graph.graph_def.node:
        _rename_in_node(node, renames)
    for function_def in library.function:
        function_def.signature.name = renames.get(
            function_def.signature.name, function_def.signature.name
        )
        for node in function_def.node_def:
            _rename_in_node(node, renames)
    for gradient in library.gradient:
        gradient.function_name = renames.get(gradient.function_name, gradient.function_name)
        gradient.gradient_func = renames.get(gradient.gradient_func, gradient.gradient_func)
    logger.info("Renamed clashing graph functions: %s", renames)


def import_meta_graph(meta_graph: Any, *, import_scope: str, input_map: dict[str, Any]) -> None:
    """Imports `meta_graph` (graph and collections) into the default graph under `import_scope`.

    Unlike `tf.compat.v1.train.import_meta_graph`, this builds no throwaway `Saver` for all of
    the graph's variables (which costs about a third of the import time). Library functions
    whose names clash with different functions already in the graph are renamed first.
    """
    rename_conflicting_functions(meta_graph, tf.compat.v1.get_default_graph())
    _tf_private.import_scoped_meta_graph(meta_graph, import_scope=import_scope, input_map=input_map)


def split_tensor_name(tensor_name: str) -> tuple[str, int]:
    """Splits "node:3" into ("node", 3).

    Raises:
        tfhub.errors.ModuleSpecError: (a ValueError) if the name is not of the form
            node_name:output_number.
    """
    match = re.match(r"(.*):(\d+)$", tensor_name)
    if not match:
        raise errors.ModuleSpecError(
            "Unexpected format for tensor name. Expected node_name:output_number. "
            f"Received: tensor_name={tensor_name!r}"
        )
    return match.group(1), int(match.group(2))
