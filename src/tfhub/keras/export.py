"""`hub.export_layer`: write a (fine-tuned) `hub.KerasLayer` as a reusable SavedModel.

A `hub.KerasLayer` shares its variables with the object `hub.load` returned, so after
`model.fit(...)` that object holds the fine-tuned weights. Saving it again with
`tf.saved_model.save` keeps everything a reusable SavedModel has: `__call__` with all its traced
input signatures (including the `training` argument), the named signatures, the `variables`,
`trainable_variables` and `regularization_losses` attributes, and assets such as vocabularies.
`hub.load`/`hub.KerasLayer` (tfhub's and tensorflow_hub's) load the result.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from typing import Any

from .. import errors
from .._tf_private import trackable_class
from ..utils import live_files
from ..utils.lazy import tensorflow as tf
from ..utils.paths import export_folder_name
from ..utils.refused_writes import check_no_file_in_the_way, export_write_error, failed_write

logger = logging.getLogger(__name__)


def export_layer(
    layer: Any, export_dir: str | bytes | os.PathLike[str], *, overwrite: bool = False
) -> str:
    """Writes the layer's model, with its current (e.g. fine-tuned) weights, as a SavedModel.

    Example:
        layer = hub.KerasLayer(handle, trainable=True)
        model = keras.Sequential([layer, keras.layers.Dense(1)])
        model.fit(...)
        hub.export_layer(layer, "/tmp/fine_tuned")
        reloaded = hub.KerasLayer("/tmp/fine_tuned")  # same predictions as `layer`

    Build the new layer with the same `signature`, `output_key`, `arguments` (...) as the
    original: those are options of the layer, not part of the model.

    Args:
        layer: a `hub.KerasLayer` (Keras 3 or tf_keras flavour; also tensorflow_hub's) over a
            TF2 SavedModel or a trackable callable such as a `tf.Module`.
        export_dir: the folder to write (str, bytes or os.PathLike); it must not exist, or be
            empty, unless `overwrite`.
        overwrite: replace an existing, non-empty `export_dir`.

    Returns:
        `export_dir`, as a str.

    Raises:
        tfhub.errors.SerializationError: for a layer over a TF1 Hub module (use
            `hub.Module.export`) or over a plain Python function.
        tfhub.errors.ExportError: if `export_dir` holds files and `overwrite` is False, or is
            empty.
        tfhub.errors.ExportWriteError: (also an OSError) if the file system refuses the files
            (a full disk or quota, no permission, a file where a folder above it belongs);
            `export_dir` is left as it was.
        tfhub.errors.ArgumentTypeError: (a TypeError) if `layer` is not a hub.KerasLayer, or
            `export_dir` is not a str, bytes or os.PathLike.
    """
    obj = _exportable_object(layer)
    export_dir = _folder_name(export_dir)
    _check_target(export_dir, overwrite)
    check_no_file_in_the_way(export_dir, argument="export_dir")  # A file above it.
    temp_dir = _temporary_folder_beside(export_dir)
    live = os.open(temp_dir, os.O_RDONLY)
    live_files.hold(live)  # Live while it is written: not another export's leftover.
    try:
        _save_in_place_of(obj, temp_dir, export_dir)
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)
        os.close(live)
    logger.info("Exported %s to %s", type(layer).__name__, export_dir)
    return export_dir


def _temporary_folder_beside(export_dir: str) -> str:
    """Makes the hidden folder `.<name>.export-*` beside `export_dir` (and its parents), once
    the abandoned ones of killed exports there are removed.

    Raises:
        tfhub.errors.ExportWriteError: (an OSError) the file system refused.
    """
    parent, name = os.path.split(os.path.abspath(export_dir))
    try:
        os.makedirs(parent, exist_ok=True)
        _remove_abandoned_exports(parent, name)
        return tempfile.mkdtemp(prefix=f".{name}.export-", dir=parent)
    except OSError as err:
        raise export_write_error(err, export_dir) from err


def _save_in_place_of(obj: Any, temp_dir: str, export_dir: str) -> None:
    """Saves `obj` (with its signatures) into `temp_dir`, then renames it to `export_dir`
    (replacing the folder there).

    Raises:
        tfhub.errors.ExportWriteError: (an OSError) the file system refused the files; any
            other error of `tf.saved_model.save` as it is.
    """
    try:
        signatures = dict(getattr(obj, "signatures", {}) or {})
        tf.saved_model.save(obj, temp_dir, signatures=signatures or None)
        if os.path.isdir(export_dir):
            shutil.rmtree(export_dir)
        os.rename(temp_dir, export_dir)
    except Exception as err:
        refused = failed_write(err, temp_dir)
        if refused is None:
            raise
        raise export_write_error(refused, export_dir) from err


def _remove_abandoned_exports(parent: str, name: str) -> None:
    """Removes the `.<name>.export-*` folders that killed exports of `name` left in `parent`
    (SIGKILL: no `finally` ran); a live export's stays (`utils.live_files`)."""
    pattern = re.compile(rf"\.{re.escape(name)}\.export-[A-Za-z0-9_]+")
    live_files.remove_abandoned(parent, pattern, left_by="an export")


def _exportable_object(layer: Any) -> Any:
    """Returns the trackable object behind `layer`, or raises why it cannot be exported."""
    obj = getattr(layer, "resolved_object", None)
    if obj is None:
        raise errors.ArgumentTypeError(
            "hub.export_layer expects a hub.KerasLayer (it exports the model behind the layer). "
            f"Received: layer={layer!r}"
        )
    if getattr(obj, "_is_hub_module_v1", False):
        raise errors.SerializationError(
            "hub.export_layer writes TF2 SavedModels; this layer wraps a model in the TF1 Hub "
            "format, which it cannot write (the layer's weights, fine-tuned or not, are the "
            "module's graph variables). To export a fine-tuned TF1 module, instantiate it with "
            "hub.Module(spec, trainable=True) and write it with module.export(path, session). "
            f"Received: layer={layer!r}"
        )
    if not isinstance(obj, trackable_class()):
        raise errors.SerializationError(
            "hub.export_layer can only write a layer built from a handle or from a trackable "
            "object (e.g. a tf.Module with a tf.function __call__); this one wraps a plain "
            f"Python callable. Received: resolved_object={obj!r}"
        )
    return obj


def _folder_name(export_dir: Any) -> str:
    """`export_dir` as a str (bytes decoded, as `hub.Module.export` takes them).

    Raises:
        tfhub.errors.ArgumentTypeError: if it is not a str, bytes or os.PathLike.
        tfhub.errors.ExportError: if it is empty (the model would land in the working folder).
    """
    return export_folder_name(export_dir, argument="export_dir", caller="hub.export_layer")


def _check_target(export_dir: str, overwrite: bool) -> None:
    """Raises ExportError if `export_dir` is a file, or a non-empty folder without `overwrite`."""
    if os.path.isfile(export_dir):
        raise errors.ExportError(
            f"The export folder is an existing file. Received: export_dir={export_dir!r}"
        )
    if os.path.isdir(export_dir) and os.listdir(export_dir) and not overwrite:
        raise errors.ExportError(
            "The export folder exists and is not empty; pass overwrite=True to replace it. "
            f"Received: export_dir={export_dir!r}"
        )
