"""Reading a model folder without loading it: the TF1-format marker and `saved_model.pb`, and
the error for a folder whose files are missing or damaged (why a folder has no saved_model.pb:
`model_folder_checks`).

Parsing `saved_model.pb` imports TensorFlow (for its protos) but creates no op and loads no
variable, so it works the same in eager mode and inside a `tf.Graph`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from typing import Any

from . import cache, errors

# The name's users import it from here too.
from .model_folder_checks import SAVED_MODEL_FILENAME_PB as SAVED_MODEL_FILENAME_PB
from .model_folder_checks import no_pb_problem
from .utils.lazy import tensorflow as tf
from .utils.paths import is_url, special_file_below, special_kind_of
from .utils.regular_files import open_without_waiting

TF1_MODULE_MARKER = "tfhub_module.pb"


def is_tf1_hub_module(module_path: str) -> bool:
    """Returns True if the folder holds a model in the TF1 Hub format (it has tfhub_module.pb).

    A `scheme://` folder (gs://, ram://, s3://, file://) is checked through tf.io.gfile, as
    upstream did (`gfile_io.is_file`: bounded in time, its failures tfhub's DownloadError);
    a local folder without importing TensorFlow.
    """
    marker = os.path.join(module_path, TF1_MODULE_MARKER)
    if not is_url(module_path):
        return os.path.isfile(marker)
    from . import gfile_io  # The gfile boundary.

    return gfile_io.is_file(marker)


def read_tag_sets(module_path: str) -> list[set[str]]:
    """Returns the tag sets of the MetaGraphs in the folder's saved_model.pb (imports TensorFlow).

    Raises:
        tfhub.errors.TFHubLoadError: if the folder has no readable saved_model.pb.
    """
    saved_model = read_saved_model_proto(module_path)
    return [set(meta_graph.meta_info_def.tags) for meta_graph in saved_model.meta_graphs]


def read_meta_graph(module_path: str, tags: Iterable[str]) -> Any:
    """Returns the MetaGraph proto with exactly `tags` from the folder's saved_model.pb.

    Raises:
        tfhub.errors.TFHubLoadError: no readable saved_model.pb, or no such MetaGraph.
    """
    wanted = set(tags)
    meta_graphs = read_saved_model_proto(module_path).meta_graphs
    for meta_graph in meta_graphs:
        if set(meta_graph.meta_info_def.tags) == wanted:
            return meta_graph
    tag_sets = [sorted(meta_graph.meta_info_def.tags) for meta_graph in meta_graphs]
    raise errors.TFHubLoadError(
        f"{module_path} has no MetaGraph with tags {sorted(wanted)}; its tag sets are "
        f"{tag_sets}. Received: tags={tags!r}"
    )


def read_signature_def(module_path: str, tags: Iterable[str], signature: str) -> Any:
    """Returns the SignatureDef proto `signature` of the MetaGraph with exactly `tags`.

    Raises:
        tfhub.errors.TFHubLoadError: no readable saved_model.pb, or no such MetaGraph.
        tfhub.errors.UnknownSignatureError: the MetaGraph has no such signature.
    """
    return signature_def_of(read_meta_graph(module_path, tags), signature, module_path)


def signature_def_of(meta_graph: Any, signature: str, module_path: str | None = None) -> Any:
    """Returns the SignatureDef proto `signature` of a MetaGraph proto.

    Raises:
        tfhub.errors.UnknownSignatureError: the MetaGraph has no such signature (the message
            names `module_path` and the available signatures).
    """
    if signature not in meta_graph.signature_def:
        tags = sorted(meta_graph.meta_info_def.tags)
        raise errors.UnknownSignatureError(
            f"{module_path or 'The module'} has no signature {signature!r} for tags {tags} "
            f"(available: {sorted(meta_graph.signature_def)}). Received: {signature=}",
            available=sorted(meta_graph.signature_def),
        )
    return meta_graph.signature_def[signature]


def read_saved_model_proto(module_path: str) -> Any:
    """Parses the folder's saved_model.pb (imports TensorFlow), or, where a local folder has
    none, its saved_model.pbtxt, as TensorFlow's loader reads it (`read_text_saved_model`).

    Returns:
        The `SavedModel` proto, with at least one MetaGraph.

    Raises:
        The errors of `read_saved_model_bytes`.
        tfhub.errors.DamagedModelError: if it does not parse or holds no MetaGraph.
    """
    try:
        content = read_saved_model_bytes(module_path)
    except errors.MissingModelFileError:
        text_form = read_text_saved_model(module_path)
        if text_form is None:
            raise
        return text_form
    from tensorflow.core.protobuf import saved_model_pb2

    try:
        saved_model = saved_model_pb2.SavedModel.FromString(content)
    except Exception as err:  # protobuf's DecodeError and friends.
        problem = f"{SAVED_MODEL_FILENAME_PB} ({len(content)} bytes) is truncated or damaged"
        raise damaged_model_error(module_path, problem) from err
    if not saved_model.meta_graphs:
        problem = f"{SAVED_MODEL_FILENAME_PB} ({len(content)} bytes) holds no MetaGraph"
        raise damaged_model_error(module_path, problem)
    return saved_model


def read_text_saved_model(module_path: str) -> Any:
    """The `SavedModel` proto of a local folder's saved_model.pbtxt (the text form TensorFlow
    loads when there is no saved_model.pb), or None if it has none (or is a `scheme://` one).

    Raises:
        tfhub.errors.DamagedModelError: if it is not a regular file, too large, not text, does
            not parse, or holds no MetaGraph.
    """
    path = os.path.join(module_path, _TEXT_SAVED_MODEL)
    if is_url(module_path) or not os.path.lexists(path):
        return None
    from google.protobuf import text_format
    from tensorflow.core.protobuf import saved_model_pb2

    try:
        content = _read_bytes(path)
        saved_model = text_format.Parse(content.decode("utf-8"), saved_model_pb2.SavedModel())
    except _RefusedFileError as err:
        raise damaged_model_error(module_path, err.problem) from err
    except (text_format.ParseError, UnicodeDecodeError) as err:
        raise damaged_model_error(module_path, f"{_TEXT_SAVED_MODEL} is damaged ({err})") from err
    if not saved_model.meta_graphs:
        raise damaged_model_error(module_path, f"{_TEXT_SAVED_MODEL} holds no MetaGraph")
    return saved_model


_TEXT_SAVED_MODEL = "saved_model.pbtxt"


def read_saved_model_bytes(module_path: str) -> bytes:
    """Reads the folder's saved_model.pb (imports TensorFlow).

    Raises:
        tfhub.errors.ModelFileNotFoundError: (a MissingModelFileError, so a FileNotFoundError,
            and a tf.errors.NotFoundError, as upstream's read raised) if the folder has none.
        tfhub.errors.DamagedModelError: if it is not a regular file (a folder, a named pipe, a
            device: never read), or is larger than a protobuf can be (never read).
    """
    tf.initialize()  # The install hint if TensorFlow is missing.
    try:
        return _read_bytes(os.path.join(module_path, SAVED_MODEL_FILENAME_PB))
    except (FileNotFoundError, NotADirectoryError) as err:
        problem, todo = no_pb_problem(module_path)
        raise file_not_found_error(module_path, problem, todo=todo) from err
    except _RefusedFileError as err:
        raise damaged_model_error(module_path, err.problem) from err


# TF1's legacy collection of the assets' AssetFileDefs, where TF1 Hub modules keep them.
ASSETS_COLLECTION = "saved_model_assets"


def collection_asset_defs(meta_graph: Any) -> list[Any]:
    """The AssetFileDefs in a MetaGraph's ASSETS_COLLECTION (empty if it has none)."""
    from tensorflow.core.protobuf import meta_graph_pb2

    if ASSETS_COLLECTION not in meta_graph.collection_def:
        return []
    assets = []
    for packed in meta_graph.collection_def[ASSETS_COLLECTION].any_list.value:
        asset = meta_graph_pb2.AssetFileDef()
        packed.Unpack(asset)
        assets.append(asset)
    return assets


def damaged_model_error(
    module_path: str,
    problem: str,
    *,
    missing: bool = False,
    handle: str | None = None,
    todo: str | None = None,
) -> errors.DamagedModelError:
    """Builds the error for a model folder with a missing or damaged file: what, where, what to do.

    Args:
        module_path: the model's folder.
        problem: which file and how, e.g. "variables/variables.index is missing".
        missing: a file is absent (the error is then also a FileNotFoundError).
        handle: the handle the user loaded, if it differs from the folder.
        todo: what to do (a sentence); by default, how to get the model's files anew.

    Returns:
        A `MissingModelFileError` if `missing`, else a `DamagedModelError`.
    """
    cached_handle = None if is_url(module_path) else cache.read_descriptor_handle(module_path)
    if todo is None and cached_handle is not None:
        todo = (
            f"It is the cache's copy of {cached_handle}: remove it with "
            f"`tfhub cache rm {cache.rm_argument(cached_handle, module_path)}` and load again "
            "to download it anew."
        )
    elif todo is None:
        todo = "Check the path, or copy or export the model there again."
    where = module_path if handle in (None, module_path) else f"{handle} (at {module_path})"
    cls = errors.MissingModelFileError if missing else errors.DamagedModelError
    return cls(
        f"The model {where} cannot be loaded: {problem}. {todo}",
        path=module_path,
        problem=problem,
    )


def file_not_found_error(
    module_path: str, problem: str, *, handle: str | None = None, todo: str | None = None
) -> errors.MissingModelFileError:
    """The error for a model folder without a file where TensorFlow, and so upstream, raised
    `tf.errors.NotFoundError` (saved_model.pb, a TF1 Hub module's checkpoint): a
    `ModelFileNotFoundError`, both that and a `MissingModelFileError`, worded as
    `damaged_model_error` words it (imports TensorFlow)."""
    found = damaged_model_error(module_path, problem, missing=True, handle=handle, todo=todo)
    error: errors.MissingModelFileError = errors.ModelFileNotFoundError(
        str(found), path=found.path, problem=found.problem
    )
    return error


def refuse_special_files(module_path: str, *, handle: str | None = None) -> None:
    """Raises before TensorFlow reads the model if its saved_model.pb is a folder or larger
    than a protobuf can be, or one of its files is a special file, links followed: TensorFlow
    would wait on a named pipe for ever, read /dev/zero until memory runs out, and read all of
    a 3 GB saved_model.pb (8 GB of memory) before failing to parse it. (Folders on
    `scheme://` filesystems hold no special files, and are read by TensorFlow as they are.)

    Args:
        module_path: the model's folder.
        handle: the handle the user loaded, for the message.

    Raises:
        tfhub.errors.DamagedModelError: naming the file and what it is.
    """
    if is_url(module_path):
        return
    pb_path = os.path.join(module_path, SAVED_MODEL_FILENAME_PB)
    if os.path.isdir(pb_path):
        problem: str | None = f"{SAVED_MODEL_FILENAME_PB} is a folder, not a file"
    else:
        special = special_file_below(module_path)
        problem = f"{special[0]} is a {special[1]}, not a file" if special else None
    if problem is None and os.path.isfile(pb_path):
        problem = _too_large_problem(SAVED_MODEL_FILENAME_PB, os.path.getsize(pb_path))
    if problem is not None:
        raise damaged_model_error(module_path, problem, handle=handle)


# The largest message protobuf parses, so the largest saved_model.pb TensorFlow writes.
_PROTO_SIZE_LIMIT = 2**31 - 1
# A ModuleDef holds a format number and the names of a few features: a few bytes.
_MODULE_DEF_SIZE_LIMIT = 1 << 20


def _size_limit(name: str) -> int:
    """The most bytes a model file `name` can hold."""
    return _MODULE_DEF_SIZE_LIMIT if name == TF1_MODULE_MARKER else _PROTO_SIZE_LIMIT


def _too_large_problem(name: str, size: int, *, shown: str | None = None) -> str | None:
    """What is wrong with a model file `name` of `size` bytes (said as `shown`, by default
    "N bytes"), if it is too large to be one."""
    if size <= _size_limit(name):
        return None
    said = shown or f"{size} bytes"
    if name == TF1_MODULE_MARKER:
        return f"{name} ({said}) is larger than the 1 MiB a module's ModuleDef can be"
    return (
        f"{name} ({said}) is larger than the 2 GiB a protobuf can hold, so TensorFlow "
        "did not write it"
    )


def read_module_def_bytes(module_path: str) -> bytes:
    """Reads the folder's tfhub_module.pb (a `scheme://` folder's via tf.io.gfile).

    Raises:
        tfhub.errors.DamagedModelError: if it is missing, is not a regular file (never read:
            a named pipe would wait for ever), or is larger than a ModuleDef can be.
    """
    try:
        return _read_bytes(os.path.join(module_path, TF1_MODULE_MARKER))
    except (FileNotFoundError, NotADirectoryError) as err:
        problem = f"{TF1_MODULE_MARKER} is missing"
        raise damaged_model_error(module_path, problem, missing=True) from err
    except _RefusedFileError as err:
        raise damaged_model_error(module_path, err.problem) from err


class _RefusedFileError(Exception):
    """A model file not read: `problem` says why (a folder, a named pipe, too large)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def _read_bytes(path: str) -> bytes:
    """Reads a local saved_model.pb or tfhub_module.pb, or a `scheme://` one via tf.io.gfile
    (FileNotFoundError if absent; `gfile_io.read_bytes`, whose DownloadError and
    RetryTimeoutError name the path).

    Raises:
        _RefusedFileError: a local path that is not a regular file, opened without waiting (a
            named pipe without a writer would block the open) and never read (/dev/zero has
            no end); or a file larger than a protobuf can be, not read either.
    """
    if not is_url(path):
        fd = open_without_waiting(path)
        with open(fd, "rb") as local_file:
            file_stat = os.fstat(fd)
            if not stat.S_ISREG(file_stat.st_mode):
                mode = file_stat.st_mode
                kind = "folder" if stat.S_ISDIR(mode) else special_kind_of(mode) or "special file"
                raise _RefusedFileError(f"{os.path.basename(path)} is a {kind}, not a file")
            too_large = _too_large_problem(os.path.basename(path), file_stat.st_size)
            if too_large is not None:
                raise _RefusedFileError(too_large)
            return local_file.read()
    from . import gfile_io  # The gfile boundary: its reads are bounded, its errors tfhub's.

    name = path.rstrip("/").rsplit("/", 1)[-1]
    content = gfile_io.read_bytes(path, most=_size_limit(name))  # Not read whole if too large.
    too_large = _too_large_problem(name, len(content), shown=f"over {_size_limit(name):,} bytes")
    if too_large is not None:
        raise _RefusedFileError(too_large)
    return content
