"""Vocabulary assets a model's lookup tables read, checked for being empty: TensorFlow's table
initializer fails on an empty file with an OutOfRangeError ("Read less bytes than requested")
that names a graph node, not the file or the model; these name both (`EmptyAssetError`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from . import errors, gfile_io, saved_model_proto
from .asset_names import ASSETS_DIR, asset_filenames, shown_asset_name
from .saved_model_proto import damaged_model_error

# TensorFlow's ops that fill a lookup table from a text file: a vocabulary asset.
_TEXT_FILE_TABLE_OPS = frozenset({"InitializeTableFromTextFile", "InitializeTableFromTextFileV2"})


def empty_vocabulary(
    module_path: str, *, handle: str | None = None
) -> errors.DamagedModelError | None:
    """The error for a model whose load failed with TensorFlow's OutOfRangeError ("Read less
    bytes than requested", a table initializer's for an empty vocabulary file, naming a node):
    an `EmptyAssetError` naming the first asset file of 0 bytes the graphs name, or None if
    there is none (or `saved_model.pb` cannot be read: `diagnose` says that)."""
    try:
        meta_graphs = saved_model_proto.read_saved_model_proto(module_path).meta_graphs
    except errors.DamagedModelError:
        return None
    for meta_graph in meta_graphs:
        for filename in asset_filenames(meta_graph):
            path = os.path.join(module_path, ASSETS_DIR, filename)
            if gfile_io.exists(path) and gfile_io.size(path) == 0:
                return empty_asset_error(module_path, filename, handle=handle)
    return None


def refuse_empty_vocabularies(
    module_path: str, meta_graphs: Iterable[Any], assets: Mapping[str, str]
) -> None:
    """Refuses a TF1 graph whose text-file lookup table reads an empty asset, when the module is
    read: in a graph, TensorFlow fails only at the user's `tables_initializer()` run, with an
    OutOfRangeError that names a node, not the file or the module.

    Args:
        module_path: the module's folder.
        meta_graphs: its MetaGraphs, asset constants pointing at `assets` (as
            `tf1.module_assets.merge_assets_key_collection` leaves them).
        assets: {asset name: its path in the module's `assets/`}.

    Raises:
        tfhub.errors.EmptyAssetError: (a DamagedModelError and, as TensorFlow's table
            initializer raised, a tf.errors.OutOfRangeError) naming the asset.
    """
    empty = {path: name for name, path in assets.items() if gfile_io.size(path) == 0}
    if not empty:
        return  # The usual case: no graph to scan (0.4 s for 60,000 nodes).
    read = set().union(*(table_vocabulary_paths(mg.graph_def) for mg in meta_graphs))
    for asset_path, filename in sorted(empty.items()):
        if asset_path in read:
            raise empty_asset_error(module_path, filename)


def table_vocabulary_paths(graph_def: Any) -> set[str]:
    """The file names (constants, through Identity ops) that the text-file table initializers of
    `graph_def` read without a vocab_size, for which TensorFlow's error on an empty file names
    no file (given a vocab_size, it says "Invalid vocab_size in <file>")."""
    initializers = [node for node in graph_def.node if node.op in _TEXT_FILE_TABLE_OPS]
    if not initializers:
        return set()
    nodes = {node.name: node for node in graph_def.node}
    paths = set()
    for node in initializers:
        if len(node.input) < 2:
            continue
        if "vocab_size" in node.attr and node.attr["vocab_size"].i != -1:
            continue
        source = nodes.get(_node_name(node.input[1]))
        for _ in range(8):  # A short chain: a hostile graph may loop.
            if source is None or source.op != "Identity" or not source.input:
                break
            source = nodes.get(_node_name(source.input[0]))
        if source is not None and source.op == "Const":
            values = source.attr["value"].tensor.string_val
            if values:
                paths.add(values[0].decode("utf-8", "replace"))
    return paths


def _node_name(tensor_name: str) -> str:
    """The node of a graph input: "name:1" or "^name" gives "name"."""
    return tensor_name.lstrip("^").split(":")[0]


def empty_asset_error(
    module_path: str, filename: str, *, handle: str | None = None
) -> errors.DamagedModelError:
    """The `EmptyAssetError` for the asset `filename` of 0 bytes that a lookup table of the
    model reads, worded as `damaged_model_error` words a damaged model."""
    problem = (
        f"{ASSETS_DIR}/{shown_asset_name(filename)} is empty (0 bytes), and a lookup table "
        "of the model reads its vocabulary from it"
    )
    cause = damaged_model_error(module_path, problem, handle=handle)
    error: errors.DamagedModelError = errors.EmptyAssetError(
        str(cause), path=module_path, problem=problem
    )
    return error
