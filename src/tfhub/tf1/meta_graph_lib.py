"""Helpers that rewrite MetaGraphDefs before they are imported into a graph."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

logger = logging.getLogger(__name__)

_SCOPE_PATTERN = re.compile(r"([\^]|loc:@|^)(.*)")


def prepend_name_scope(name: str | bytes, import_scope: str) -> str:
    """Prepends `import_scope` to a tensor, op, control-input or colocation name."""
    if isinstance(name, bytes):
        name = name.decode("utf-8")
    if not import_scope:
        return name
    return _SCOPE_PATTERN.sub(r"\1" + import_scope + r"/\2", name)


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


def split_tensor_name(tensor_name: str) -> tuple[str, int]:
    """Splits "node:3" into ("node", 3).

    Raises:
        ValueError: if the name is not of the form node_name:output_number.
    """
    match = re.match(r"(.*):(\d+)$", tensor_name)
    if not match:
        raise ValueError(
            "Unexpected format for tensor name. Expected node_name:output_number. "
            f"Received: tensor_name={tensor_name!r}"
        )
    return match.group(1), int(match.group(2))
