"""`hub.resolve` and `hub.load`: from a handle to a local folder, and to a loaded SavedModel.

`resolve` never imports TensorFlow; `load` does, on first call.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from . import errors
from .utils.lazy import import_tensorflow

TF1_MODULE_MARKER = "tfhub_module.pb"
SAVED_MODEL_FILENAME_PB = "saved_model.pb"


def resolve(handle: str) -> str:
    """Resolves a handle to a local folder that holds the model, downloading it if needed.

    Args:
        handle: a local path, a file:// / http(s):// / gs:// URL, a Kaggle model URL, or any
            handle a registered resolver accepts.

    Returns:
        The path of a local folder with the model's files.

    Raises:
        tfhub.errors.TFHubError: subclasses say what went wrong (missing path, download
            error, offline mode, unsupported handle).
    """
    from .resolvers import resolve_with_registry

    return resolve_with_registry(handle)


def is_tf1_hub_module(module_path: str) -> bool:
    """Returns True if the folder holds a model in the TF1 Hub format (it has tfhub_module.pb)."""
    return os.path.isfile(os.path.join(module_path, TF1_MODULE_MARKER))


def read_tag_sets(module_path: str) -> list[set[str]]:
    """Returns the tag sets of the MetaGraphs in the folder's saved_model.pb (imports TensorFlow).

    Raises:
        tfhub.errors.TFHubLoadError: if the folder has no readable saved_model.pb.
    """
    saved_model = read_saved_model_proto(module_path)
    return [set(meta_graph.meta_info_def.tags) for meta_graph in saved_model.meta_graphs]


def read_signature_def(module_path: str, tags: Iterable[str], signature: str) -> Any:
    """Returns the SignatureDef proto `signature` of the MetaGraph with exactly `tags`.

    Raises:
        tfhub.errors.TFHubLoadError: no readable saved_model.pb, or no such MetaGraph.
        tfhub.errors.UnknownSignatureError: the MetaGraph has no such signature.
    """
    wanted = set(tags)
    for meta_graph in read_saved_model_proto(module_path).meta_graphs:
        if set(meta_graph.meta_info_def.tags) != wanted:
            continue
        if signature not in meta_graph.signature_def:
            raise errors.UnknownSignatureError(
                f"{module_path} has no signature {signature!r} for tags {sorted(wanted)} "
                f"(available: {sorted(meta_graph.signature_def)}). Received: {signature=}",
                available=sorted(meta_graph.signature_def),
            )
        return meta_graph.signature_def[signature]
    raise errors.TFHubLoadError(
        f"{module_path} has no MetaGraph with tags {sorted(wanted)}. Received: tags={tags!r}"
    )


def read_saved_model_proto(module_path: str) -> Any:
    """Parses the folder's saved_model.pb (imports TensorFlow).

    Returns:
        The `SavedModel` proto.

    Raises:
        tfhub.errors.TFHubLoadError: if the folder has no readable saved_model.pb.
    """
    import_tensorflow("Reading a SavedModel")
    from tensorflow.core.protobuf import saved_model_pb2

    pb_path = os.path.join(module_path, SAVED_MODEL_FILENAME_PB)
    try:
        with open(pb_path, "rb") as pb_file:
            return saved_model_pb2.SavedModel.FromString(pb_file.read())
    except FileNotFoundError as err:
        raise errors.TFHubLoadError(
            f"{module_path} holds no {SAVED_MODEL_FILENAME_PB}: it is not a SavedModel "
            "(nor a TF1 Hub module)."
        ) from err
    except Exception as err:  # protobuf's DecodeError and friends.
        raise errors.TFHubLoadError(f"{pb_path} is not a valid SavedModel: {err}") from err


def _check_tags(handle: str, module_path: str, tags: Iterable[str] | None) -> None:
    """Raises UnknownTagsError if `tags` is given and matches none of the model's tag sets."""
    if tags is None:
        return
    requested = set(tags)
    tag_sets = read_tag_sets(module_path)
    if requested in tag_sets:
        return
    available = ", ".join(str(sorted(tag_set)) for tag_set in tag_sets)
    raise errors.UnknownTagsError(
        f"The model {handle!r} (at {module_path}) has no MetaGraph with tags "
        f"{sorted(requested)}. Its tag sets are: {available}. Omit `tags` or pass one of these. "
        f"Received: tags={tags!r}",
        available=[sorted(tag_set) for tag_set in tag_sets],
    )


def load(
    handle: str | os.PathLike[str], tags: Iterable[str] | None = None, options: Any = None
) -> Any:
    """Resolves a handle and loads the SavedModel (TF2, or TF1 Hub format) in it.

    Works in eager mode and inside a `tf.Graph`. Every call creates new variables: two loads of
    the same handle never share state.

    Args:
        handle: any handle `resolve` accepts.
        tags: the MetaGraph's tag set. Defaults to the only/`serve` one for TF2 SavedModels
            and to the empty set `[]` for TF1 Hub modules, as upstream does.
        options: an optional `tf.saved_model.LoadOptions`, passed through.

    Returns:
        The trackable object returned by `tf.saved_model.load`.

    Raises:
        ValueError: if `handle` is not a string (or os.PathLike).
        tfhub.errors.UnknownTagsError: if `tags` matches none of the model's tag sets.
        tfhub.errors.TFHubError: from `resolve`.
    """
    if isinstance(handle, os.PathLike):
        handle = os.fspath(handle)
    if not isinstance(handle, str):
        raise ValueError(
            "hub.load expects a string handle (a path or URL) or an os.PathLike. "
            f"Received: handle={handle!r}"
        )
    module_path = resolve(handle)
    is_hub_module_v1 = is_tf1_hub_module(module_path)
    if tags is None and is_hub_module_v1:
        tags = []
    tf = import_tensorflow("hub.load")
    _check_tags(handle, module_path, tags)
    tags_list = list(tags) if tags is not None else None
    if options is not None:
        obj = tf.compat.v1.saved_model.load_v2(module_path, tags=tags_list, options=options)
    else:
        obj = tf.compat.v1.saved_model.load_v2(module_path, tags=tags_list)
    obj._is_hub_module_v1 = is_hub_module_v1  # noqa: SLF001 - upstream's marker, read by KerasLayer.
    if is_hub_module_v1:  # For KerasLayer's training function (UPDATE_OPS of the TF1 graph).
        obj._tfhub_module_path = module_path  # noqa: SLF001
        obj._tfhub_tags = list(tags_list or [])  # noqa: SLF001
    return obj
