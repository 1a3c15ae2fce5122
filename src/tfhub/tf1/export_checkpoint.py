"""The checkpoint side of `hub.LatestModuleExporter`: which checkpoint to export, and whether
it holds what the graph built by `model_fn` restores."""

from __future__ import annotations

import os
import re
from typing import Any

from .. import _tf_private, errors, gfile_io
from ..utils.lazy import tensorflow as tf
from .checkpoint import damaged_index_error, full_shape


def checkpoint_prefix(checkpoint_path: str) -> str:
    """Returns the checkpoint prefix `checkpoint_path`, or a folder's latest checkpoint. Its
    look-ups (a listing, on gs://) are bounded (`gfile_io`).

    Raises:
        tfhub.errors.ExportError: (a ValueError, as upstream's Saver raised) if it is not a
            checkpoint, or a folder without one.
        tfhub.errors.ExportCheckpointDamagedError: (an ExportError and the DataLossError
            upstream's restore met) if its index is there but TensorFlow cannot read it.
        tfhub.errors.DownloadError: (an OSError) TensorFlow's file system refused a look-up.
        tfhub.errors.RetryTimeoutError: (a DownloadError and TimeoutError) a look-up gave no
            answer within TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT.
    """
    path = os.fsdecode(checkpoint_path)
    if gfile_io.is_dir(path):
        latest = gfile_io.latest_checkpoint(path)
        if not latest:
            raise errors.ExportError(
                f"The folder {path} has no checkpoint (no 'checkpoint' file naming one). Pass "
                "the checkpoint's prefix, e.g. <folder>/model.ckpt-1000. "
                f"Received: checkpoint_path={checkpoint_path!r}"
            )
        path = latest  # Read below: its index may be damaged.
    file_of = re.match(r"(.+)\.(index|data-\d+-of-\d+)$", path)  # A file of the checkpoint.
    cause: Exception | None = None
    if not file_of:
        try:
            gfile_io.checkpoint_reader(path)  # Its look-up of the files first, bounded.
            return path
        except tf.errors.OpError as err:
            damaged = damaged_index_error(os.fsdecode(checkpoint_path), path, err)
            if damaged is not None:
                raise damaged from err
            cause = err
    example = file_of.group(1) if file_of else "<model_dir>/model.ckpt-1000"
    raise errors.ExportError(
        f"The passed save_path is not a valid checkpoint: {path}. Pass a checkpoint prefix "
        f"such as {example}, or the folder holding it. "
        f"Received: checkpoint_path={checkpoint_path!r}"
    ) from cause


def latest_checkpoint(estimator: Any) -> str:
    """Returns the estimator's latest checkpoint (in `model_dir`: a bounded look-up).

    Raises:
        tfhub.errors.ExportError: if there is none.
        tfhub.errors.DownloadError: as `checkpoint_prefix`; RetryTimeoutError, no answer in time.
    """
    if callable(getattr(estimator, "latest_checkpoint", None)):
        checkpoint = estimator.latest_checkpoint()
    else:
        model_dir = getattr(estimator, "model_dir", None)
        checkpoint = gfile_io.latest_checkpoint(os.fsdecode(model_dir)) if model_dir else None
    if not checkpoint:
        raise errors.ExportError(
            "LatestModuleExporter found no checkpoint to export: train the model first or pass "
            f"checkpoint_path. Received: model_dir={getattr(estimator, 'model_dir', None)!r}"
        )
    return checkpoint


def check_checkpoint_matches(checkpoint_path: str, saver: Any) -> None:
    """Raises ExportError naming graph variables the checkpoint lacks or holds in another shape."""
    in_checkpoint = dict(tf.train.list_variables(checkpoint_path))
    missing, mismatched = [], []
    for name, saveable in saver_variables(saver).items():
        shape = full_shape(saveable)
        if name not in in_checkpoint:
            missing.append(name)
        elif shape is not None and shape.is_fully_defined() and shape != in_checkpoint[name]:
            graph, stored = shape.as_list(), list(in_checkpoint[name])
            mismatched.append(f"{name} (graph {graph}, checkpoint {stored})")
    if missing or mismatched:
        details = []
        if missing:
            details.append(f"missing variables: {', '.join(sorted(missing))}")
        if mismatched:
            details.append(f"variables of another shape: {', '.join(sorted(mismatched))}")
        raise errors.ExportError(
            f"The checkpoint does not match the graph built by model_fn: {'; '.join(details)}. "
            f"Export from a checkpoint written by the same model. "
            f"Received: checkpoint_path={checkpoint_path!r}"
        )


def saver_variables(saver: Any) -> dict[str, Any]:
    """Returns {checkpoint key: what the saver restores there} (a variable, its partitions, ...).

    Keys are those the Saver writes: a partitioned variable is one key.
    """
    var_list = getattr(saver, "_var_list", None)
    if var_list is None:
        var_list = _graph_saveables()
    if not isinstance(var_list, dict):
        var_list = _tf_private.saver_var_list_to_dict(var_list)
    return dict(var_list)


def graph_saver(checkpoint_path: str, global_step: Any) -> Any:
    """Returns a Saver of the graph's variables, as a model's default Saver, or None if there is
    nothing to restore.

    `global_step` (created by the exporter, as upstream's did) is left out if the checkpoint does
    not hold it: a plain training loop writes none, and no module needs it. Upstream failed to
    restore such a checkpoint ("Key global_step not found").
    """
    held = {name for name, _ in tf.train.list_variables(checkpoint_path)}
    if global_step.op.name in held:
        return tf.compat.v1.train.Saver(sharded=True)
    var_list = [saveable for saveable in _graph_saveables() if saveable is not global_step]
    return tf.compat.v1.train.Saver(var_list, sharded=True) if var_list else None


def _graph_saveables() -> list[Any]:
    """What a default Saver of the current graph saves: its global variables and the
    SAVEABLE_OBJECTS collection (lookup tables, ...)."""
    return tf.compat.v1.global_variables() + tf.compat.v1.get_collection(
        tf.compat.v1.GraphKeys.SAVEABLE_OBJECTS
    )
