"""What an application of a TF1 Hub module's signature imports: its graph pruned to what the
signature's outputs need (`prune_for_apply`), and the feeds of the import (`apply_feed_map`: the
module's state and the inputs, captured into a function graph or entered into a v1 control flow
context). `NativeModuleImpl.create_apply_graph` (`module_impl.py`) does the import.
"""

from __future__ import annotations

from collections.abc import Mapping
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
    """Drops the nodes an application does not need (kept whole for v1 control flow)."""
    if COND_CONTEXT in meta_graph.collection_def or WHILE_CONTEXT in meta_graph.collection_def:
        return
    roots = [name for info in signature_def.outputs.values() for name in tensor_names(info)]
    roots += meta_graph_lib.collection_node_names(meta_graph, ASSET_FILEPATHS)
    if trainable:
        roots += meta_graph_lib.collection_node_names(meta_graph, UPDATE_OPS)
    meta_graph_lib.prune_unused_nodes(meta_graph, roots)
