"""`hub.resolve` and `hub.load`: from a handle to a local folder, and to a loaded SavedModel.

`resolve` never imports TensorFlow; `load` does, on first call. Reading a folder without
loading it (tags, signatures) lives in `saved_model_proto`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from . import errors
from .saved_model_proto import (  # Re-exported: the readers' historical home.
    SAVED_MODEL_FILENAME_PB,
    TF1_MODULE_MARKER,
    is_tf1_hub_module,
    read_saved_model_proto,
    read_signature_def,
    read_tag_sets,
    refuse_special_files,
)
from .utils.lazy import tensorflow as tf
from .utils.printable import escaped, repr_escaped

if TYPE_CHECKING:  # Imported when loading: `resolve` must not import the loader stack.
    from .loaded_model import LoadedModel

__all__ = [
    "SAVED_MODEL_FILENAME_PB",
    "TF1_MODULE_MARKER",
    "is_tf1_hub_module",
    "load",
    "load_model",
    "read_saved_model_proto",
    "read_signature_def",
    "read_tag_sets",
    "resolve",
]


def resolve(handle: str) -> str:
    """Resolves a handle to the folder that holds the model, downloading it if needed.

    Args:
        handle: a local path, a file:// / http(s):// / gs:// URL, a Kaggle model URL, or any
            handle a registered resolver accepts.

    Returns:
        The path of the model's folder: a local one, except a gs:// folder read in place (a
        gs:// handle to a folder, a model served UNCOMPRESSED) or an entry of a cache on a
        tf.io.gfile filesystem; a local path handle is returned as given, as upstream did
        (even a file: `hub.load` then says what it is).

    Raises:
        tfhub.errors.TFHubError: subclasses say what went wrong (missing path, download
            error, offline mode, unsupported handle).
    """
    from .resolvers import resolve_with_registry

    return resolve_with_registry(handle)


def resolve_for_tensorflow(handle: str) -> str:
    """`resolve`, for a folder TensorFlow is to read.

    Args:
        handle: as for `resolve`.

    Returns:
        The path of a local folder with the model's files.

    Raises:
        tfhub.errors.ModelPathEncodingError: the folder's path is not UTF-8, and TensorFlow
            opens files by UTF-8 names only.
        tfhub.errors.TFHubError: the errors of `resolve`.
    """
    module_path = resolve(handle)
    try:
        module_path.encode("utf-8")
    except UnicodeEncodeError:
        shown = escaped(module_path)  # `\xe8`, as in `Received:` below.
        cached = "" if module_path == handle else " (or a TFHUB_CACHE_DIR whose path is UTF-8)"
        raise errors.ModelPathEncodingError(
            f"TensorFlow cannot read the model folder {shown}: its path is not UTF-8, and "
            f"TensorFlow opens files by UTF-8 names only. Rename the folder, or copy the model "
            f"to a folder whose path is UTF-8{cached}, and load that. Received: "
            f"handle={repr_escaped(handle)}",
            path=module_path,
        ) from None
    return module_path


def _loads_as_tf1(saved_model: Any) -> bool:
    """Whether TensorFlow's `load_v2` reads this `SavedModel` proto with its TF1 loader: it reads
    one as TF2 only if it has a single MetaGraph holding an object graph."""
    meta_graphs = saved_model.meta_graphs
    return not (len(meta_graphs) == 1 and meta_graphs[0].HasField("object_graph_def"))


def _check_tags(handle: str, module_path: str, tags: Iterable[str] | None) -> Any:
    """Checks that `tags`, if given, is one of the model's tag sets.

    Returns:
        The folder's `SavedModel` proto if `tags` is given (it was parsed), else None.

    Raises:
        tfhub.errors.UnknownTF1TagsError: (also a RuntimeError, as TensorFlow's TF1 loader
            raised) if `tags` matches none of a TF1-format model's tag sets.
        tfhub.errors.UnknownTagsError: (a ValueError, as TensorFlow raised) if it matches
            none of a TF2 SavedModel's.
    """
    if tags is None:
        return None
    requested = set(tags)
    saved_model = read_saved_model_proto(module_path)
    tag_sets = [set(meta_graph.meta_info_def.tags) for meta_graph in saved_model.meta_graphs]
    if requested in tag_sets:
        return saved_model
    available = ", ".join(str(sorted(tag_set)) for tag_set in tag_sets)
    error = errors.UnknownTF1TagsError if _loads_as_tf1(saved_model) else errors.UnknownTagsError
    raise error(
        f"The model {handle!r} (at {module_path}) has no MetaGraph with tags "
        f"{sorted(requested)}. Its tag sets are: {available}. Omit `tags` or pass one of these. "
        f"Received: tags={tags!r}",
        available=[sorted(tag_set) for tag_set in tag_sets],
    )


def _refuse_missing_tags(handle: str, module_path: str, err: ValueError) -> None:
    """Raises UnknownTagsError if loading without `tags` failed because the model has several
    tag sets (TensorFlow's bare ValueError; the tag sets are read only then, not on every load).

    Raises:
        tfhub.errors.UnknownTagsError: listing the tag sets.
    """
    tag_sets = read_tag_sets(module_path)
    if len(tag_sets) < 2:
        return
    available = ", ".join(str(sorted(tag_set)) for tag_set in tag_sets)
    raise errors.UnknownTagsError(
        f"The model {handle!r} (at {module_path}) has {len(tag_sets)} MetaGraphs, so there is "
        f"no default one to load: pass tags= one of its tag sets: {available}. "
        "Received: tags=None",
        available=[sorted(tag_set) for tag_set in tag_sets],
    ) from err


def load(
    handle: str | os.PathLike[str], tags: Iterable[str] | None = None, options: Any = None
) -> Any:
    """Resolves a handle and loads the SavedModel (TF2, or TF1 Hub format) in it.

    Works in eager mode and inside a `tf.Graph`. Every call creates new variables: two loads of
    the same handle never share state.

    Args:
        handle: any handle `resolve` accepts.
        tags: the MetaGraph's tag set (a string is one tag, as for `tf.saved_model.load`).
            Defaults to the only one (`serve` for TF2 SavedModels) and to the empty set `[]`
            for TF1 Hub modules, as upstream does; a model with several must be given one.
        options: an optional `tf.saved_model.LoadOptions`, passed through.

    Returns:
        The trackable object returned by `tf.saved_model.load`.

    Raises:
        tfhub.errors.InvalidHandleError: (a ValueError) if `handle` is not a string (or
            os.PathLike).
        tfhub.errors.ArgumentTypeError: (a TypeError) if `options` is not a
            `tf.saved_model.LoadOptions`.
        tfhub.errors.UnknownTagsError: (a ValueError) if `tags` matches none of the model's
            tag sets, or is omitted for a model with several;
            `tfhub.errors.UnknownTF1TagsError`, also a RuntimeError as upstream's, if `tags`
            matches none of a TF1-format model's (a TF1 Hub module, a TF1 SavedModel).
        tfhub.errors.DamagedModelError: (an OSError and a ValueError) if `saved_model.pb` or
            the checkpoint in `variables/` is truncated or damaged;
            `tfhub.errors.MissingModelFileError` (also a FileNotFoundError) if one is missing;
            also the class TensorFlow raised where that is another (`ModelFileNotFoundError`,
            `TruncatedCheckpointError`, `CorruptCheckpointError`: docs/resolving.md);
            `tfhub.errors.UnsafeAssetError` if it names an asset file outside its assets/
            folder (TensorFlow would read that file);
            `tfhub.errors.VariablesMismatchError` (also tf.errors.InvalidArgumentError) if the
            checkpoint holds a variable in another dtype or shape than the model's graph.
        tfhub.errors.ModelPathEncodingError: (a UnicodeError) if the model's folder path is not
            UTF-8, which TensorFlow cannot open.
        tfhub.errors.TFHubError: from `resolve`.
    """
    return load_model(handle, tags=tags, options=options, options_named="options").obj


def load_model(
    handle: str | os.PathLike[str],
    *,
    tags: Iterable[str] | None = None,
    options: Any = None,
    options_named: str = "options (KerasLayer's load_options)",
) -> LoadedModel:
    """`load`, returning the loaded object together with its folder and tags.

    Args:
        handle, tags, options: as for `load`.
        options_named: how the error names the user's argument that gave `options` if it is
            not a LoadOptions: KerasLayer's `load_options` unless told (hub.load: `options`).

    Raises:
        The errors of `load`.
    """
    handle = _handle_string(handle)
    # Protos, tf1/ and the damage check: not on `resolve`'s hot path.
    from . import asset_names
    from .loaded_model import LoadedModel

    tag_list = _tags_list(tags)
    _check_options(options, options_named)
    module_path = resolve_for_tensorflow(handle)
    refuse_special_files(module_path, handle=handle)  # Named pipes: TensorFlow would hang.
    is_hub_module_v1 = is_tf1_hub_module(module_path)
    if tag_list is None and is_hub_module_v1:
        tag_list = []
    saved_model = _check_tags(handle, module_path, tag_list)
    # TensorFlow reads the asset files while loading: refused first if one is outside the model.
    asset_names.refuse_unsafe_assets(module_path, saved_model=saved_model, handle=handle)
    obj = _load_diagnosed(handle, module_path, tag_list, options)
    obj._is_hub_module_v1 = is_hub_module_v1  # Upstream's marker, read by users' code too.
    return LoadedModel(  # Drops a TF1 module's dead variable copies from obj.variables.
        obj,
        module_path=module_path,
        tags=tuple(tag_list or ()),
        is_hub_module_v1=is_hub_module_v1,
    )


def _handle_string(handle: Any) -> str:
    """`handle` as a str (an os.PathLike's path).

    Raises:
        tfhub.errors.InvalidHandleError: (a ValueError) `handle` is neither.
    """
    if isinstance(handle, os.PathLike):
        handle = os.fspath(handle)
    if not isinstance(handle, str):
        raise errors.InvalidHandleError(
            f"Expected a string, got {handle!r}: hub.load needs a handle (a path or URL) as a "
            f"str or os.PathLike. Received: handle={handle!r}"
        )
    return handle


def _tags_list(tags: Any) -> list[str] | None:
    """`tags` read once: one tag given as a str as a list of it (as tf.saved_model.load, upstream's
    call, reads it), any other iterable as a list (a generator), None as None.

    Raises:
        tfhub.errors.ArgumentTypeError: `tags` is not a set of strings (e.g. 5 or
            ['serve', None]), as tf1's `tag_set` says.
    """
    from .tf1.saved_model_lib import tag_set

    if isinstance(tags, str):
        return [tags]
    if tags is not None:
        tags = list(tags) if isinstance(tags, Iterable) else tags
        tag_set(tags)
    return tags


def _check_options(options: Any, options_named: str) -> None:
    """Raises unless `options` is None or a `tf.saved_model.LoadOptions`.

    Raises:
        tfhub.errors.ArgumentTypeError: (a TypeError; TensorFlow's own error is an
            AttributeError deep inside) naming the argument as `options_named` says.
    """
    if options is not None and not isinstance(options, tf.saved_model.LoadOptions):
        raise errors.ArgumentTypeError(
            f"{options_named} must be a tf.saved_model.LoadOptions, e.g. "
            "tf.saved_model.LoadOptions(experimental_io_device='/job:localhost'). "
            f"Received: {options_named.split()[0]}={options!r}"
        )


def _load_diagnosed(handle: str, module_path: str, tags: list[str] | None, options: Any) -> Any:
    """The object `tf.compat.v1.saved_model.load_v2` loads from `module_path` (also imports
    tensorflow_text for its ops, if installed), its errors diagnosed by `model_damage`; a
    model with several MetaGraphs loaded without `tags` raises `_refuse_missing_tags`'s error.
    """
    from . import model_damage

    extra = {} if options is None else {"options": options}
    try:
        return model_damage.load_diagnosed(
            lambda: tf.compat.v1.saved_model.load_v2(module_path, tags=tags, **extra),
            module_path,
            handle=handle,
        )
    except ValueError as err:
        if tags is None and not isinstance(err, errors.TFHubError):
            _refuse_missing_tags(handle, module_path, err)
        raise
