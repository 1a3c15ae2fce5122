"""tensorflow_hub's `meta_graph_lib` module path: its MetaGraphDef helpers that behave as
upstream's did (they live in `tfhub.tf1.meta_graph_lib`). Upstream's pruning helpers
(`mark_backward`, `prune_unused_nodes(meta_graph, signature_def)`, `prune_feed_map`) were
internals of `hub.Module`'s graph surgery and are not offered."""

from __future__ import annotations

from .tf1.meta_graph_lib import (
    filter_collections,
    prefix_shared_name_attributes,
    prepend_name_scope,
)

__all__ = ["filter_collections", "prefix_shared_name_attributes", "prepend_name_scope"]
