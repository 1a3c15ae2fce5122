"""What an application of a TF1 Hub module's signature imports: its graph pruned to what the
signature's outputs need (`prune_for_apply`), and the feeds of the import (`apply_feed_map`: the
module's state and the inputs, captured into a function graph or entered into a v1 control flow
context). `NativeModuleImpl.create_apply_graph` (`module_impl.py`) does the import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from . import meta_graph_lib, tensor_info
from .control_flow import capturable_state, refuse_reference_writes_in_while_loop
from .meta_graph_lib import split_tensor_name
from .module_collections import ASSET_FILEPATHS, COND_CONTEXT, UPDATE_OPS, WHILE_CONTEXT
from .tensor_info import tensor_names


def apply_feed_map(
    graph: Any,
    meta_graph: Any,
    signature_def: Any,
    input_tensors: Mapping[str, Any],
    *,
    state_map: Mapping[str, Any],
    scope_name: str,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Returns (the import's input_map, every feed by name incl. pruned inputs) of an
    application of the signature `signature_def` (of the module's state `state_map`, imported
    under `scope_name`) to `input_tensors`.

    State tensors and inputs feed the apply graph; inside a cond/while_loop body they are
    captured into the branch graph (control flow v2) or entered into the v1 context.
    """
    all_feeds = dict(state_map)
    all_feeds.update(tensor_info.build_input_map(signature_def.inputs, input_tensors))
    node_names = {node.name for node in meta_graph.graph_def.node}
    feed_map = {k: v for k, v in all_feeds.items() if split_tensor_name(k)[0] in node_names}
    if graph.building_function:  # Tensors from outside the function graph are captured.
        refuse_reference_writes_in_while_loop(graph, meta_graph, feed_map, scope_name)
        feed_map = {
            k: v if v.graph is graph else graph.capture(capturable_state(graph, v))
            for k, v in feed_map.items()
        }
    control_flow = graph._get_control_flow_context()
    if control_flow:
        feed_map = {key: control_flow.AddValue(value) for key, value in sorted(feed_map.items())}
    all_feeds.update(feed_map)
    return feed_map, all_feeds


def prune_for_apply(meta_graph: Any, signature_def: Any, *, trainable: bool) -> None:
    """Drops the nodes an application does not need (kept whole for v1 control flow).

    A trainable application keeps the UPDATE_OPS its own inputs can feed (see
    `keep_feedable_update_ops`).
    """
    if trainable:
        keep_feedable_update_ops(meta_graph, signature_def)
    if COND_CONTEXT in meta_graph.collection_def or WHILE_CONTEXT in meta_graph.collection_def:
        return
    roots = [name for info in signature_def.outputs.values() for name in tensor_names(info)]
    roots += meta_graph_lib.collection_node_names(meta_graph, ASSET_FILEPATHS)
    if trainable:
        roots += meta_graph_lib.collection_node_names(meta_graph, UPDATE_OPS)
    meta_graph_lib.prune_unused_nodes(meta_graph, roots)


def keep_feedable_update_ops(meta_graph: Any, signature_def: Any) -> None:
    """Removes from the UPDATE_OPS collection, in place, each update op that needs a
    placeholder input of another signature, which this application of `signature_def` never
    feeds (e.g. batch norm on `default`'s input, when `embed` is applied).

    Upstream listed them too, and `tf.control_dependencies(UPDATE_OPS)` then failed with "You
    must feed a value for placeholder tensor 'module_apply_embed/x'". One pass forward from
    those placeholders, over data and control inputs
    (`meta_graph_lib.needing_unfed_placeholders`; not colocation, which needs no value), finds
    the ops that need them; it does not follow the
    tensors this application feeds (its inputs), whatever they are computed from, but does
    follow another output of their node (a split's second part).
    """
    collection = meta_graph.collection_def.get(UPDATE_OPS)
    if collection is None or not collection.node_list.value:
        return
    nodes = {node.name: node for node in meta_graph.graph_def.node}
    needs_unfed = meta_graph_lib.needing_unfed_placeholders(
        meta_graph_lib.node_edges(nodes),
        inputs=_input_tensors(meta_graph.signature_def.values()),
        fed=_input_tensors([signature_def]),
        op_type=lambda name: nodes[name].op if name in nodes else None,
    )
    if not needs_unfed:
        return
    names = meta_graph_lib.collection_node_names(meta_graph, UPDATE_OPS)
    kept = [
        entry
        for entry, name in zip(collection.node_list.value, names, strict=True)
        if name not in needs_unfed
    ]
    del collection.node_list.value[:]
    collection.node_list.value.extend(kept)


def _input_tensors(signature_defs: Iterable[Any]) -> set[str]:
    """The names (`op:index`) of the tensors that are the inputs of `signature_defs` (each
    part of a composite input)."""
    return {
        name
        for signature_def in signature_defs
        for info in signature_def.inputs.values()
        for name in tensor_names(info)
    }
