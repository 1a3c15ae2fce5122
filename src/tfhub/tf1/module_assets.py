"""The assets of a TF1 Hub module's SavedModel: where each asset file lives under
`<module>/assets`, pointing the asset constants of a loaded module's graphs there (refusing
names that leave assets/ and constants that name files outside the module), and, on export,
listing a graph's asset files in the `saved_model_assets` collection under unique names.

`saved_model_lib` (load, `SavedModelHandler.export`) asks it.
"""

from __future__ import annotations

import os
import posixpath
import re
from typing import Any

from .. import errors, gfile_io
from ..asset_names import outside_assets
from ..saved_model_proto import ASSETS_COLLECTION, collection_asset_defs, damaged_model_error
from ..utils.lazy import tensorflow as tf
from ..utils.printable import escaped, repr_escaped
from .meta_graph_lib import split_tensor_name

ASSETS_KEY = ASSETS_COLLECTION
ASSET_FILEPATHS = "asset_filepaths"
_ASSET_PLACEHOLDER = b"SAVEDMODEL-ASSET"
_SHOWN_CHARS = 200  # Of an asset name from a module's files, in a message.


def assets_dir(export_dir: str) -> str:
    """Returns the module's assets folder, `<export_dir>/assets`."""
    return os.path.join(export_dir, "assets")


def shown(name: str) -> str:
    """An asset name from a module's files, for a message: escaped (a hostile name may hold
    "\\n\\x1b[2J" or NUL) and cut to _SHOWN_CHARS characters."""
    if len(name) <= _SHOWN_CHARS:
        return escaped(name)
    return f"{escaped(name[:_SHOWN_CHARS])}... ({len(name)} characters)"


def is_scheme_url(path: str) -> bool:
    """True for a `scheme://...` path (gs://, ram://, file://, s3://), which tf.io.gfile reads."""
    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", path) is not None


def asset_file_path(export_dir: str, asset_filename: str) -> str:
    """Returns the asset's path under `<export_dir>/assets`, refusing paths that leave it.

    Local folders are made absolute (the graph is run from any working directory); URLs are
    kept as they are (`os.path.abspath` would turn `gs://b/m` into `<cwd>/gs:/b/m`).

    Raises:
        tfhub.errors.TFHubLoadError: if `asset_filename` points outside the assets folder.
    """
    if outside_assets(asset_filename):  # The rule hub.load's check shares.
        raise errors.TFHubLoadError(
            f"Asset filename ({shown(asset_filename)}) points outside assets_dir: "
            f"{assets_dir(export_dir)}. "
            f"Received: asset_filename={repr_escaped(asset_filename[:_SHOWN_CHARS])}"
        )
    relative = posixpath.normpath(asset_filename.replace(os.sep, "/"))
    if is_scheme_url(export_dir):
        return export_dir.rstrip("/") + "/assets/" + relative
    return os.path.join(os.path.abspath(assets_dir(export_dir)), relative)


def _check_asset_node(node: Any) -> None:
    """Raises AssetNodeError (a TypeError, as upstream) unless `node` is one constant string."""
    if node.op != "Const":
        raise errors.AssetNodeError(f"Asset node {node.name!r} must be a constant.")
    if tf.dtypes.as_dtype(node.attr["dtype"].type) != tf.string:
        raise errors.AssetNodeError(f"Asset node {node.name!r} must be of dtype string.")
    if len(node.attr["value"].tensor.string_val) != 1:
        raise errors.AssetNodeError(f"Asset node {node.name!r} must be a scalar.")


def merge_assets_key_collection(saved_model: Any, path: str) -> dict[str, str]:
    """Points asset constants at `<path>/assets` files and drops the ASSETS_KEY collection.

    Returns:
        {asset filename as recorded: its path under `<path>/assets`}.
    """
    assets: dict[str, str] = {}
    for meta_graph in saved_model.meta_graphs:
        node_asset_map = {}
        if ASSETS_KEY in meta_graph.collection_def:
            for asset in collection_asset_defs(meta_graph):
                node_name = split_tensor_name(asset.tensor_info.name)[0]
                node_asset_map[node_name] = assets[asset.filename] = asset_file_path(
                    path, asset.filename
                )
            del meta_graph.collection_def[ASSETS_KEY]
        for asset_file_def in list(meta_graph.asset_file_def):
            node_name = split_tensor_name(asset_file_def.tensor_info.name)[0]
            asset_path = asset_file_path(path, asset_file_def.filename)
            node_asset_map.setdefault(node_name, asset_path)
            assets.setdefault(asset_file_def.filename, asset_path)
        del meta_graph.asset_file_def[:]  # Upstream's modules keep assets in ASSETS_KEY only.
        _refuse_foreign_assets(meta_graph, set(node_asset_map), path)
        for node in meta_graph.graph_def.node:
            if node.name in node_asset_map:
                _check_asset_node(node)
                node.attr["value"].tensor.string_val[0] = node_asset_map[node.name].encode()
    return assets


def _refuse_foreign_assets(meta_graph: Any, own_nodes: set[str], path: str) -> None:
    """Refuses a loaded module whose ASSET_FILEPATHS lists a constant that is not one of its own
    assets: that constant names a file anywhere on the machine (a hostile saved_model.pb), and
    `export` would copy it into the new module's assets/. (A module_fn's graph may name its
    vocabulary files anywhere: export copies them in and lists each as the module's asset.)

    Raises:
        tfhub.errors.ForeignAssetError: (a DamagedModelError, so a ValueError) naming the
            module folder, the constant and the file it names.
    """
    collection_def = meta_graph.collection_def.get(ASSET_FILEPATHS)
    if collection_def is None or collection_def.WhichOneof("kind") != "node_list":
        return
    listed = {split_tensor_name(name)[0] for name in collection_def.node_list.value}
    for node in meta_graph.graph_def.node:
        if node.name not in listed or node.name in own_nodes:
            continue
        values = node.attr["value"].tensor.string_val
        named = values[0].decode("utf-8", "surrogateescape") if len(values) == 1 else "?"
        problem = (
            f"its graph lists the constant {shown(node.name)} among its asset file paths "
            f"({ASSET_FILEPATHS}) but not among its own assets in assets/ ({ASSETS_KEY}): it "
            f"names the file {shown(named)}, outside the module, which an export would copy "
            "into the new module"
        )
        found = damaged_model_error(
            path,
            problem,
            todo="Do not use this module: get it again from a source you trust, or export it "
            "again from its module_fn (hub.create_module_spec).",
        )
        raise errors.ForeignAssetError(str(found), path=path, problem=problem)


def _asset_tensor_filenames(meta_graph: Any) -> dict[str, bytes]:
    """Returns {tensor name: original file} for ASSET_FILEPATHS, blanking the stored paths."""
    collection_def = meta_graph.collection_def.get(ASSET_FILEPATHS)
    if collection_def is None:
        return {}
    if collection_def.WhichOneof("kind") != "node_list":
        raise errors.ExportError("The collection ASSET_FILEPATHS is not a list of tensors.")
    asset_nodes = {split_tensor_name(name)[0] for name in collection_def.node_list.value}
    result = {}
    for node in meta_graph.graph_def.node:
        if node.name in asset_nodes:
            _check_asset_node(node)
            result[node.name + ":0"] = node.attr["value"].tensor.string_val[0]
            node.attr["value"].tensor.string_val[0] = _ASSET_PLACEHOLDER  # Don't leak the path.
    return result


def make_assets_key_collection(saved_model: Any, export_path: str) -> dict[str, str]:
    """Adds the ASSETS_KEY collection to every MetaGraph; returns {source file: destination}.

    Raises:
        tfhub.errors.AssetNodeError: (a TypeError, as upstream) an ASSET_FILEPATHS tensor that
            is not one constant string.
        tfhub.errors.AssetSourceError: (an ExportError, so a ValueError) an asset file that
            cannot be copied: a folder, no file name, a name that is not UTF-8;
            `AssetNotFoundError` (also tf.errors.NotFoundError, as upstream's copy raised) if
            it does not exist. Asked before anything is written.
    """
    from tensorflow.core.protobuf import meta_graph_pb2

    asset_names: dict[str, str] = {}
    for meta_graph in saved_model.meta_graphs:
        tensor_files = _asset_tensor_filenames(meta_graph)
        for tensor, raw_filename in sorted(tensor_files.items()):
            filename = _asset_source(tensor, raw_filename, export_path)
            if filename not in asset_names:
                asset_names[filename] = _unique_basename(filename, set(asset_names.values()))
            asset = meta_graph_pb2.AssetFileDef(filename=asset_names[filename])
            asset.tensor_info.name = tensor
            meta_graph.collection_def[ASSETS_KEY].any_list.value.add().Pack(asset)
    return {source: asset_file_path(export_path, name) for source, name in asset_names.items()}


def _asset_source(tensor: str, raw_filename: bytes, export_path: str) -> str:
    """The asset file that the constant `tensor` names, checked to be a file export can copy.

    Raises:
        tfhub.errors.AssetSourceError, AssetNotFoundError: as make_assets_key_collection.
    """
    name = raw_filename.decode("utf-8", "backslashreplace")
    try:
        filename = raw_filename.decode("utf-8")
    except UnicodeDecodeError:
        problem = "a name that is not UTF-8 (TensorFlow's file names are)"
        raise _asset_source_error(tensor, name, problem, export_path) from None
    if not os.path.basename(filename):
        problem = "no file (an empty name, or a name ending in a slash)"
        raise _asset_source_error(tensor, name, problem, export_path)
    try:
        found = gfile_io.exists(filename)
        folder = found and gfile_io.is_dir(filename)
    except errors.DownloadError as err:  # No such file system here, no access, no answer.
        problem = (
            f"a file TensorFlow cannot read here ({err.__cause__ or err}): copy the file to a "
            "local path and name that"
        )
        raise _asset_source_error(tensor, name, problem, export_path) from err
    if not found:
        problem = "a file that does not exist"
        raise _asset_source_error(tensor, name, problem, export_path, missing=True)
    if folder:
        problem = "a folder (an asset is one file)"
        raise _asset_source_error(tensor, name, problem, export_path)
    return filename


def _asset_source_error(
    tensor: str, name: str, problem: str, export_path: str, *, missing: bool = False
) -> Any:
    """The AssetSourceError (AssetNotFoundError if `missing`) of an asset export cannot copy."""
    message = (
        f"Cannot export the module to {escaped(os.fsdecode(export_path))}: its graph's asset "
        f"constant {shown(split_tensor_name(tensor)[0])} (in the {ASSET_FILEPATHS} collection, "
        f"e.g. the vocabulary file of a lookup table) names {problem}. Fix the file name in the "
        "module_fn (or create the file), then export again; nothing was written. "
        f"Received: asset={repr_escaped(name[:_SHOWN_CHARS])}"
    )
    cls = errors.AssetNotFoundError if missing else errors.AssetSourceError
    return cls(message, path=os.fsdecode(export_path), source=name)


def _unique_basename(filename: str, used: set[str]) -> str:
    basename = suggestion = os.path.basename(filename)
    index = 0
    while suggestion in used:
        suggestion = f"{basename}{index}"
        index += 1
    return suggestion
