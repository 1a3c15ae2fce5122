"""The asset files a SavedModel names, and whether each lies inside the model's `assets/` folder.

TensorFlow's loader joins each asset name of `saved_model.pb` (`MetaGraphDef.asset_file_def`, or
a TF1 Hub module's `saved_model_assets` collection) to `<model>/assets/` with `os.path.join`, and
reads the file while loading (a lookup table's vocabulary): an absolute name, or one that climbs
out with `..`, makes it read a file outside the model. `refuse_unsafe_assets` checks the names
before TensorFlow reads them (`hub.load`, `hub.KerasLayer`, the feature columns);
`tf1.module_assets` (`hub.Module`) asks the same rule, `outside_assets`.

Only the names are checked: a symbolic link inside `assets/` of a local folder is followed
wherever it leads, as TensorFlow and upstream follow it. Hugging Face Hub snapshots, DVC and
git-annex checkouts, Bazel runfiles and the Nix store link every file of a model out of its
folder, and a SavedModel is a program (its graph can read any file with a ReadFile op), so a
link check would protect nothing. tfhub's extraction still refuses an archive's links.

The names are read with a message type that holds nothing else of `saved_model.pb` (the rest is
skipped unparsed): 0.2 ms for a 1.4 MB MobileNetV2 where the full parse takes 8 ms.
"""

from __future__ import annotations

import functools
import os
import posixpath
from collections.abc import Iterable
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError

from . import errors, saved_model_proto
from .saved_model_proto import ASSETS_COLLECTION, damaged_model_error
from .utils.paths import is_url
from .utils.printable import escaped, repr_escaped

# The folder of a SavedModel that holds its asset files.
ASSETS_DIR = "assets"

# The type of an AssetFileDef packed in a `google.protobuf.Any` (what `Any.Unpack` accepts).
_ASSET_FILE_DEF_TYPE = "tensorflow.AssetFileDef"
_SHOWN_LENGTH = 200  # Of an asset name in a message: a hostile one may be megabytes long.


def outside_assets(filename: str) -> bool:
    """True if the asset name `filename` points outside the assets folder it is joined to: an
    absolute path, one that climbs out with `..`, or the folder itself ("", ".")."""
    relative = posixpath.normpath(filename.replace(os.sep, "/"))
    return relative in (".", "..") or relative.startswith("../") or posixpath.isabs(relative)


def asset_name_problem(filename: str) -> str | None:
    """What makes the asset name `filename` unsafe to load, or None: it points outside the
    assets folder, or holds a NUL (TensorFlow opens the name cut at its first NUL: another
    file than the one named)."""
    if "\0" in filename:
        return "holds a NUL character, which no file name can hold"
    if outside_assets(filename):
        return "points outside the model's assets/ folder"
    return None


def asset_filenames(meta_graph: Any) -> list[str]:
    """The asset names a MetaGraph (a full `MetaGraphDef`, or `_lite_saved_model`'s) holds: in
    `asset_file_def` (TF2, and TF1 since its builder), and in the `saved_model_assets`
    collection (TF1 Hub modules). An entry that is no AssetFileDef, or does not parse, is left
    out: TensorFlow's loader reads it as no name, or fails on it itself."""
    names = [asset.filename for asset in meta_graph.asset_file_def]
    if ASSETS_COLLECTION not in meta_graph.collection_def:
        return names
    asset_type = _lite_types()["AssetFileDef"]
    for packed in meta_graph.collection_def[ASSETS_COLLECTION].any_list.value:
        if packed.type_url.split("/")[-1] != _ASSET_FILE_DEF_TYPE:
            continue
        try:
            names.append(asset_type.FromString(packed.value).filename)
        except DecodeError:
            continue
    return names


def refuse_unsafe_assets(
    module_path: str, *, saved_model: Any = None, handle: str | None = None
) -> None:
    """Raises before TensorFlow loads the model if its `saved_model.pb` names an asset file
    outside its `assets/` folder (`asset_name_problem`).

    Args:
        module_path: the model's folder.
        saved_model: the folder's `SavedModel` proto, if it was parsed already; else the names
            are read with a message type that holds only them.
        handle: the handle the user loaded, for the message.

    Raises:
        tfhub.errors.UnsafeAssetError: (a DamagedModelError) naming the model, the asset name
            and what to do.
    """
    meta_graphs = _read_meta_graphs(module_path) if saved_model is None else saved_model.meta_graphs
    for meta_graph in meta_graphs:
        for filename in asset_filenames(meta_graph):
            problem = asset_name_problem(filename)
            if problem is not None:
                raise unsafe_asset_error(module_path, filename, problem, handle=handle)


def unsafe_asset_error(
    module_path: str, filename: str, problem: str, *, handle: str | None = None
) -> errors.UnsafeAssetError:
    """The error for a model whose asset name `filename` is unsafe (`problem`, as
    `asset_name_problem` says it); the name is shown escaped and cut to 200 characters."""
    shown, more = filename[:_SHOWN_LENGTH], _more(filename)
    found = damaged_model_error(
        module_path,
        f"its {_graph_file_name(module_path)} names the asset file "
        f"{shown_asset_name(filename)}, which {problem}",
        handle=handle,
        todo=(
            "TensorFlow would read that file into the model. A model's asset files are in its "
            "assets/ folder: this model is damaged or made to read other files. Do not load it; "
            "get it again from its publisher, or export it again with its asset files in "
            f"assets/. Received: asset_filename={repr_escaped(shown)}{more}"
        ),
    )
    return errors.UnsafeAssetError(str(found), path=module_path, problem=found.problem)


def _graph_file_name(module_path: str) -> str:
    """The file the asset names were read from: saved_model.pb, or saved_model.pbtxt where a
    local folder has only that (as TensorFlow loads it)."""
    pb = saved_model_proto.SAVED_MODEL_FILENAME_PB
    if is_url(module_path) or os.path.lexists(os.path.join(module_path, pb)):
        return pb
    return "saved_model.pbtxt"


def shown_asset_name(filename: str) -> str:
    """An asset name from a model, for a message: `escaped` (a hostile graph may name
    "x\\n\\x1b[2J"), its first 200 characters only, and its length if longer."""
    return escaped(filename[:_SHOWN_LENGTH]) + _more(filename)


def _more(filename: str) -> str:
    return f"... ({len(filename)} characters)" if len(filename) > _SHOWN_LENGTH else ""


def _read_meta_graphs(module_path: str) -> Iterable[Any]:
    """The MetaGraphs of the folder's saved_model.pb (or .pbtxt), holding only their asset
    names; none if it cannot be read or parsed (TensorFlow then fails on it, and the failure is
    diagnosed as before)."""
    try:
        content = saved_model_proto.read_saved_model_bytes(module_path)
    except errors.MissingModelFileError:
        return _pbtxt_meta_graphs(module_path)
    try:
        return _lite_types()["SavedModel"].FromString(content).meta_graphs
    except DecodeError:
        return ()


def _pbtxt_meta_graphs(module_path: str) -> Iterable[Any]:
    """The MetaGraphs of a local folder's saved_model.pbtxt, which TensorFlow loads when the
    folder has no saved_model.pb; none if there is none, or it cannot be read (TensorFlow then
    fails on it, diagnosed as before)."""
    try:
        saved_model = saved_model_proto.read_text_saved_model(module_path)
    except errors.DamagedModelError:
        return ()
    return () if saved_model is None else saved_model.meta_graphs


_PACKAGE = "tfhub_asset_names"
_FIELD = descriptor_pb2.FieldDescriptorProto


@functools.cache
def _lite_types() -> dict[str, Any]:
    """Message types with only the fields of TensorFlow's `SavedModel` (same numbers and types)
    that lead to asset names, in a private pool: {name: class}."""
    proto = descriptor_pb2.FileDescriptorProto(
        name="tfhub/asset_names.proto", package=_PACKAGE, syntax="proto3"
    )
    optional, repeated = _FIELD.LABEL_OPTIONAL, _FIELD.LABEL_REPEATED
    message, string, data = _FIELD.TYPE_MESSAGE, _FIELD.TYPE_STRING, _FIELD.TYPE_BYTES
    layout: dict[str, list[tuple[str, int, int, int, str]]] = {
        "AssetFileDef": [("filename", 2, string, optional, "")],
        "Any": [("type_url", 1, string, optional, ""), ("value", 2, data, optional, "")],
        "AnyList": [("value", 1, message, repeated, "Any")],
        "CollectionDef": [("any_list", 5, message, optional, "AnyList")],
        "MetaGraphDef": [
            ("collection_def", 4, message, repeated, "MetaGraphDef.CollectionDefEntry"),
            ("asset_file_def", 6, message, repeated, "AssetFileDef"),
        ],
        "SavedModel": [("meta_graphs", 2, message, repeated, "MetaGraphDef")],
    }
    for name, fields in layout.items():
        _add_message(proto.message_type.add(name=name), fields)
    meta_graph = next(each for each in proto.message_type if each.name == "MetaGraphDef")
    entry = meta_graph.nested_type.add(name="CollectionDefEntry")
    entry.options.map_entry = True
    _add_message(
        entry, [("key", 1, string, optional, ""), ("value", 2, message, optional, "CollectionDef")]
    )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    return {
        name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{_PACKAGE}.{name}"))
        for name in ("AssetFileDef", "SavedModel")
    }


def _add_message(
    message: descriptor_pb2.DescriptorProto, fields: list[tuple[str, int, int, int, str]]
) -> None:
    for name, number, field_type, label, type_name in fields:
        field = message.field.add(name=name, number=number, type=field_type, label=label)
        if type_name:
            field.type_name = f".{_PACKAGE}.{type_name}"
