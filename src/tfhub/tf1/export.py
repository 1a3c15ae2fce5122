"""`hub.register_module_for_export` and `hub.LatestModuleExporter`: export modules from training.

TensorFlow 2.21 has no `tf.estimator`. The exporter therefore works with any object that offers
what it needs from an Estimator: `model_fn`, `config` (may be None), `params` (optional) and
`model_dir` or `latest_checkpoint()`. Where `tf.estimator` exists, the exporter is a real
`tf.estimator.Exporter`, usable in `tf.estimator.EvalSpec(exporters=[...])`.
"""

from __future__ import annotations

import inspect
import logging
import os
import time
from typing import Any

from .. import errors, gfile_io
from ..utils.lazy import tensorflow as tf
from ..utils.numbers import is_whole_number
from ..utils.paths import is_url
from ..utils.refused_writes import check_no_file_in_the_way
from .checkpoint import restore_checked
from .export_checkpoint import (
    check_checkpoint_matches,
    checkpoint_prefix,
    graph_saver,
    latest_checkpoint,
)
from .export_writes import garbage_collect_exports, write_modules
from .module_spec import ModuleSpec

logger = logging.getLogger(__name__)


# Pairs (export_name, module) of the current graph. A tuple key keeps the collection out of
# `get_all_collection_keys()` and hence out of exported meta graphs, as upstream does.
_EXPORT_MODULES_COLLECTION = ("__tfhub_export_modules",)
MAX_TIMESTAMP_ATTEMPTS = 10
_PREDICT_MODE = "infer"  # tf.estimator.ModeKeys.PREDICT


def register_module_for_export(module: Any, export_name: str | bytes) -> None:
    """Registers a `hub.Module` of the current graph to be exported as `export_name`.

    `LatestModuleExporter` writes the module into a subfolder named `export_name`. The name only
    controls that folder; it has no effect on scopes.

    Args:
        module: a `hub.Module` instantiated in the current graph.
        export_name: the subfolder name (str, or bytes as upstream took), unique within the
            graph.

    Raises:
        tfhub.errors.ExportError: if `export_name` is already taken in the current graph, or
            if it is not a plain folder name (or not a str or bytes).
        tfhub.errors.ArgumentTypeError: if `module` is a ModuleSpec or has no
            `export(path, session)` (e.g. a Keras layer; upstream failed later, in the
            exporter). Checked first; in eager mode the message also says a graph is needed.
        tfhub.errors.EagerNotSupportedError: in eager mode (there is no graph to record it in).
    """
    # Upstream checked neither; the argument is checked first, and in eager mode its message
    # also names the graph, so one fix is not followed by the other error.
    _check_exportable(module)
    if tf.executing_eagerly():
        raise errors.EagerNotSupportedError(f"hub.register_module_for_export {_EAGER_HINT}")
    if isinstance(export_name, bytes):  # Upstream's exporter joined it as bytes.
        export_name = os.fsdecode(export_name)
    if not isinstance(export_name, str):
        raise errors.ExportError(
            "export_name must be a folder name (a str or bytes). "
            f"Received: export_name={export_name!r}"
        )
    if not export_name or os.sep in export_name or export_name in (".", ".."):
        raise errors.ExportError(
            f"export_name must be a plain folder name. Received: export_name={export_name!r}"
        )
    for used_name, _ in tf.compat.v1.get_collection(_EXPORT_MODULES_COLLECTION):
        if used_name == export_name:
            raise errors.ExportError(
                f"There is already a module registered to be exported as {export_name!r}. "
                "Choose another export_name: each module of the graph gets its own folder. "
                f"Received: export_name={export_name!r}"
            )
    tf.compat.v1.add_to_collection(_EXPORT_MODULES_COLLECTION, (export_name, module))


_EAGER_HINT = (
    "records the module in the current tf.Graph, which does not exist in eager mode; call it "
    "from a model_fn or inside `with tf.Graph().as_default():`, or call module.export(path) "
    "directly."
)


def _check_exportable(module: Any) -> None:
    """Raises ArgumentTypeError unless `module` offers `export(path, session)`.

    Raises:
        tfhub.errors.ArgumentTypeError: for a ModuleSpec, or an object without `export`; in
            eager mode the message also says that registering needs a graph.
    """
    if not isinstance(module, ModuleSpec) and callable(getattr(module, "export", None)):
        return
    eager = f" Note also: it {_EAGER_HINT}" if tf.executing_eagerly() else ""
    raise errors.ArgumentTypeError(
        "hub.register_module_for_export needs a hub.Module instantiated in this graph "
        "(anything with export(path, session)); for a spec, instantiate it with "
        f"hub.Module(spec).{eager} Received: module of type {type(module).__name__}"
    )


def _exporter_base() -> type:
    """Returns `tf.estimator.Exporter` where it exists (TF < 2.16), else `object`."""
    estimator = getattr(tf, "estimator", None)
    return getattr(estimator, "Exporter", object)


class LatestModuleExporter(_exporter_base()):  # type: ignore[misc]
    """Exports the registered modules into timestamped folders, keeping the newest ones.

    Example:
        exporter = hub.LatestModuleExporter("tf_hub", serving_input_fn)
        export_dir = exporter.export(estimator, "/tmp/exports")
        # -> b"/tmp/exports/<timestamp>", holding one module per export_name.
    """

    def __init__(self, name: str, serving_input_fn: Any, exports_to_keep: int | None = 5) -> None:
        """Creates the exporter.

        Args:
            name: the exporter's unique name.
            serving_input_fn: a function with no arguments returning a ServingInputReceiver
                (or any object with `.features`, or a features dict). Its features feed
                `model_fn` in PREDICT mode to build the graph that registers the modules;
                the graph is never run, so the data does not matter.
            exports_to_keep: how many timestamped exports to keep; None keeps all.

        Raises:
            tfhub.errors.ExportError: if `exports_to_keep` is not None and below 1.
            tfhub.errors.ArgumentTypeError: if `exports_to_keep` is neither None nor an int.
        """
        if exports_to_keep is not None and not is_whole_number(exports_to_keep):
            raise errors.ArgumentTypeError(
                "`exports_to_keep` must be a whole number of exports, or None to keep them all. "
                f"Received: exports_to_keep={exports_to_keep!r} of type "
                f"{type(exports_to_keep).__name__}"
            )
        if exports_to_keep is not None and exports_to_keep < 1:
            raise errors.ExportError(
                "`exports_to_keep`, if provided, must be a positive number. "
                f"Received: exports_to_keep={exports_to_keep!r}"
            )
        self._name = name
        self._serving_input_fn = serving_input_fn
        self._exports_to_keep = exports_to_keep

    @property
    def name(self) -> str:
        """The exporter's name."""
        return self._name

    def export(
        self,
        estimator: Any,
        export_path: str,
        checkpoint_path: str | None = None,
        eval_result: Any = None,
        is_the_final_export: bool | None = None,
    ) -> bytes | None:
        """Exports every module registered in the estimator's PREDICT graph.

        Args:
            estimator: a `tf.estimator.Estimator`, or any object with `model_fn`, `config`,
                optional `params`, and `model_dir` or `latest_checkpoint()`.
            export_path: the folder that receives the timestamped export folders.
            checkpoint_path: the checkpoint to export (a prefix such as `.../model.ckpt-40`,
                or a folder: its latest checkpoint); default: the estimator's latest.
            eval_result: unused.
            is_the_final_export: unused.

        Returns:
            The new folder `export_path/<timestamp>` as bytes (as upstream returns it), holding
            one module folder per export name; None if no module was registered.

        Raises:
            tfhub.errors.ArgumentTypeError: if `estimator` has no `model_fn` (the message says
                what it needs).
            tfhub.errors.ExportError: if `export_path` is empty, there is no checkpoint,
                `checkpoint_path` is not one, or it lacks variables of the graph (the message
                names them).
            tfhub.errors.ExportCheckpointDamagedError: (an ExportError and, as upstream's
                restore raised, a tf.errors.DataLossError) if the checkpoint's files are there
                but TensorFlow cannot read them (its index, a checksum), naming the file and
                TensorFlow's reason; `ExportCheckpointTruncatedError` (also OutOfRangeError)
                for a data file cut short. Nothing is written.
            tfhub.errors.ExportCheckpointUnreadableError: (an ExportError and, as upstream's
                restore raised, a tf.errors.PermissionDeniedError) if this process may not read
                a data file of the checkpoint (its permissions, a gs:// 403), naming it.
            tfhub.errors.ExportWriteError: (an ExportError and OSError) if `export_path`, or a
                folder above it, is a file (ExportNotADirectoryError, also the
                tf.errors.FailedPreconditionError upstream raised), or the file system refuses
                the modules' files (a full disk or quota, no permission); it names
                `export_path`.
            tfhub.errors.ModuleExistsError: (a tf.errors.AlreadyExistsError) the timestamped
                folder was made meanwhile (local), or a module's marker (gs://).
            TensorFlow's OpError: the garbage collection's listing of `export_path` was
                refused (NotFoundError: it does not exist).
        """
        del eval_result, is_the_final_export
        _check_estimator(estimator)
        if not os.fspath(export_path):
            raise errors.ExportError(
                "export_path is empty; name the folder that receives the timestamped exports. "
                f"Received: export_path={export_path!r}"
            )
        if not is_url(export_path):
            check_no_file_in_the_way(os.fsdecode(export_path), argument="export_path", tf1=True)
        given = checkpoint_path or latest_checkpoint(estimator)
        checkpoint_path = checkpoint_prefix(given)
        export_dir = timestamped_export_dir(export_path)
        temp_dir = temp_export_dir(export_dir)
        with tf.Graph().as_default() as graph:
            with restore_checked(os.fsdecode(given), checkpoint_path):  # Its data files read.
                session = _make_serving_session(estimator, self._serving_input_fn, checkpoint_path)
            with session:
                modules = tf.compat.v1.get_collection(_EXPORT_MODULES_COLLECTION)
                if not modules:
                    logger.warning(
                        "LatestModuleExporter found zero modules to export. "
                        "Use hub.register_module_for_export() if needed."
                    )
                    return None
                write_modules(modules, session, temp_dir, export_dir, export_path)
        del graph
        garbage_collect_exports(export_path, self._exports_to_keep)
        return export_dir


def _check_estimator(estimator: Any) -> None:
    """Refuses an `estimator` that cannot build the graph (it has no callable `model_fn`).

    Raises:
        tfhub.errors.ArgumentTypeError: (a TypeError and ValueError) naming what is needed.
    """
    if not callable(getattr(estimator, "model_fn", None)):
        raise errors.ArgumentTypeError(
            "LatestModuleExporter.export needs a tf.estimator.Estimator or, as TensorFlow 2.21 "
            "has no tf.estimator, any object with model_fn(features, labels, mode, params, "
            "config), config (may be None), optional params, and model_dir or "
            "latest_checkpoint() (see docs/export.md). "
            f"Received: estimator of type {type(estimator).__name__}"
        )


def timestamped_export_dir(export_dir_base: str | bytes) -> bytes:
    """Returns `export_dir_base/<seconds since epoch>` (as bytes) that does not exist yet, nor
    its `temp-<seconds>` folder (which another export writes, or a killed one left: writing
    into it would mix their modules into this export); a `scheme://` folder (gs://) is checked
    through tf.io.gfile.

    Raises:
        tfhub.errors.ExportFolderError: (a RuntimeError, as upstream) if no free name is found
            after 10 attempts (one per second).
    """
    base = os.fsencode(export_dir_base)
    for attempt in range(MAX_TIMESTAMP_ATTEMPTS):
        export_dir = os.path.join(base, str(int(time.time())).encode())
        taken = [
            path
            for path in (export_dir, temp_export_dir(export_dir))
            if gfile_io.exists_for_export(os.fsdecode(path))  # Bounded: gs:// may stall.
        ]
        if not taken:
            return export_dir
        logger.warning("Export folder %s already exists; retrying (attempt %d)", taken[0], attempt)
        if attempt + 1 < MAX_TIMESTAMP_ATTEMPTS:  # No wait after the last attempt.
            time.sleep(1)
    raise errors.ExportFolderError(
        f"Failed to obtain a unique export folder name after {MAX_TIMESTAMP_ATTEMPTS} attempts: "
        "another export writes a timestamped folder there every second. Wait for it, or pass "
        f"another export_dir_base. Received: export_dir_base={export_dir_base!r}"
    )


def temp_export_dir(timestamped_export_dir: str | bytes) -> bytes:
    """Returns the sister folder `temp-<timestamp>` an export is written into before its rename
    (TF Serving ignores folders whose names are not integers)."""
    folder, name = os.path.split(os.fsencode(timestamped_export_dir))
    return os.path.join(folder, b"temp-" + name)


def _call_model_fn(estimator: Any, features: Any) -> Any:
    """Calls `estimator.model_fn` in PREDICT mode with the arguments it accepts."""
    model_fn = estimator.model_fn
    accepted = inspect.signature(model_fn).parameters
    kwargs: dict[str, Any] = {"features": features}
    optional = {"labels": None, "mode": _PREDICT_MODE, "config": getattr(estimator, "config", None)}
    if "params" in accepted:
        optional["params"] = getattr(estimator, "params", None) or {}
    takes_all = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values())
    kwargs.update({k: v for k, v in optional.items() if takes_all or k in accepted})
    return model_fn(**kwargs)


def _make_serving_session(estimator: Any, serving_input_fn: Any, checkpoint_path: str) -> Any:
    """Builds the PREDICT graph in the default graph; returns a Session restored from it.

    Raises:
        tfhub.errors.ExportError: if the checkpoint lacks variables of the graph, or their shapes
            differ (the message names them).
    """
    global_step = tf.compat.v1.train.create_global_step()
    seed = getattr(getattr(estimator, "config", None), "tf_random_seed", None)
    if seed is not None:
        tf.compat.v1.set_random_seed(seed)
    receiver = serving_input_fn()  # A ServingInputReceiver, or the features themselves.
    spec = _call_model_fn(estimator, getattr(receiver, "features", receiver))
    scaffold = getattr(spec, "scaffold", None)
    saver = getattr(scaffold, "saver", None) or graph_saver(checkpoint_path, global_step)
    if saver is not None:
        check_checkpoint_matches(checkpoint_path, saver)
    session = tf.compat.v1.Session(config=getattr(estimator, "_session_config", None))
    try:
        with session.as_default():
            if saver is not None:
                saver.restore(session, checkpoint_path)
    except BaseException:
        session.close()
        raise
    return session
