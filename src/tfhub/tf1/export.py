"""`hub.register_module_for_export` and `hub.LatestModuleExporter`: export modules from training.

TensorFlow 2.21 has no `tf.estimator`. The exporter therefore works with any object that offers
what it needs from an Estimator: `model_fn`, `config` (may be None), `params` (optional) and
`model_dir` or `latest_checkpoint()`. Where `tf.estimator` exists, the exporter is a real
`tf.estimator.Exporter`, usable in `tf.estimator.EvalSpec(exporters=[...])`.
"""

from __future__ import annotations

import errno
import inspect
import logging
import os
import tempfile
import time
from typing import Any

from .. import errors, gfile_io
from ..utils.lazy import tensorflow as tf
from ..utils.numbers import is_whole_number
from ..utils.printable import escaped
from ..utils.refused_writes import check_no_file_in_the_way, export_write_error, failed_write
from .export_checkpoint import (
    check_checkpoint_matches,
    checkpoint_prefix,
    graph_saver,
    latest_checkpoint,
)
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
            tfhub.errors.ExportWriteError: (an ExportError and OSError) if `export_path`, or a
                folder above it, is a file, or the file system refuses the modules' files (a
                full disk or quota, no permission); it names `export_path`.
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
        if "://" not in os.fsdecode(export_path):
            check_no_file_in_the_way(os.fsdecode(export_path), argument="export_path")
        checkpoint_path = checkpoint_prefix(checkpoint_path or latest_checkpoint(estimator))
        export_dir = timestamped_export_dir(export_path)
        temp_dir = temp_export_dir(export_dir)
        with tf.Graph().as_default() as graph:
            session = _make_serving_session(estimator, self._serving_input_fn, checkpoint_path)
            with session:
                modules = tf.compat.v1.get_collection(_EXPORT_MODULES_COLLECTION)
                if not modules:
                    logger.warning(
                        "LatestModuleExporter found zero modules to export. "
                        "Use hub.register_module_for_export() if needed."
                    )
                    return None
                _write_modules(modules, session, temp_dir, export_dir, export_path)
        del graph
        garbage_collect_exports(export_path, self._exports_to_keep)
        return export_dir


def _write_modules(
    modules: list[Any], session: Any, temp_dir: bytes, export_dir: bytes, export_path: str
) -> None:
    """Exports each (name, module) of `modules` into `temp_dir`, then renames it `export_dir`
    (never overwriting); a failed export's folder is removed, unless a request timed out (no
    more requests then: a warning names the folder left). On gs://, where a folder's rename is
    one request per file (the marker before the variables), each module is exported straight
    into `export_dir/<name>` instead: its upload moves the marker last (`_write_staged`).

    Raises:
        tfhub.errors.ExportWriteError: naming `export_path` (not the hidden temp- folder).
        tfhub.errors.RetryTimeoutError: a request of a gfile file system gave no answer in time.
    """
    if gfile_io.stages_exports(os.fsdecode(export_dir)):
        _write_staged(modules, session, export_dir, export_path)
        return
    try:
        for export_name, module in modules:
            module.export(os.fsdecode(os.path.join(temp_dir, os.fsencode(export_name))), session)
        _rename_into_place(temp_dir, export_dir, export_path)
    except errors.ExportWriteError as err:  # It named the hidden temp- folder.
        _remove_left_over(temp_dir)
        raise _export_path_write_error(err, export_path) from err
    except errors.RetryTimeoutError:
        _warn_left(temp_dir)
        raise
    except BaseException:
        _remove_left_over(temp_dir)
        raise


def _rename_into_place(temp_dir: bytes, export_dir: bytes, export_path: str) -> None:
    """Renames `temp_dir` to `export_dir`, never overwriting (as upstream).

    Raises:
        tfhub.errors.ModuleExistsError: (a TensorFlow AlreadyExistsError) `export_dir` was
            made meanwhile (another export's, started in the same second).
    """
    try:
        gfile_io.rename(os.fsdecode(temp_dir), os.fsdecode(export_dir), overwrite=False)
    except tf.errors.AlreadyExistsError as err:
        shown = escaped(os.fsdecode(export_dir))
        raise errors.ModuleExistsError(
            f"{shown} appeared while this export was written (another export's, started in "
            f"the same second); export again. Received: export_path={export_path!r}",
            path=os.fsdecode(export_dir),
        ) from err


def _write_staged(modules: list[Any], session: Any, export_dir: bytes, export_path: str) -> None:
    """Exports each (name, module) of `modules` into `export_dir/<name>` (gs://: each uploaded
    with its marker last); on a failure, removes the module folders this export wrote there
    (not one that held another export's module), unless a request timed out (a warning names
    `export_dir` then). Raises as `_write_modules`."""
    written: list[bytes] = []
    try:
        for export_name, module in modules:
            folder = os.path.join(export_dir, os.fsencode(export_name))
            try:
                module.export(os.fsdecode(folder), session)
            finally:
                written.append(folder)
    except errors.RetryTimeoutError:
        _warn_left(export_dir)
        raise
    except BaseException as err:
        if isinstance(err, errors.ModuleExistsError):  # Another export's, not to remove.
            written.pop()
        for folder in written:
            _remove_left_over(folder)
        if isinstance(err, errors.ExportWriteError):  # It named `export_dir/<name>`.
            raise _export_path_write_error(err, export_path, staged=True) from err
        raise


def _warn_left(folder: bytes) -> None:
    """Warns that a timed-out export left what it wrote in `folder`."""
    logger.warning(
        "The export timed out; what it wrote so far stays in %s (its requests may still "
        "run): delete that folder once they have ended.",
        escaped(os.fsdecode(folder)),
    )


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


def garbage_collect_exports(export_dir_base: str | bytes, exports_to_keep: int | None) -> None:
    """Deletes all but the newest `exports_to_keep` timestamped (10-digit) export folders of
    `export_dir_base` (local, or `scheme://` through tf.io.gfile); None keeps them all. Each
    request is bounded (`gfile_io`); the kept exports are never touched.

    Raises:
        TensorFlow's OpError: the listing of `export_dir_base` was refused (NotFoundError: it
            does not exist), as upstream.
        tfhub.errors.RetryTimeoutError: (a DownloadError) the listing, or a removal, gave no
            answer within TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT.
    """
    if exports_to_keep is None:
        return
    base = os.fsencode(export_dir_base)
    names = gfile_io.listdir_for_export(os.fsdecode(base))  # Raises OpError, as upstream.
    versions = sorted(
        (int(name), os.path.join(base, name))
        for name in (os.fsencode(n.rstrip("/")) for n in names)
        if len(name) == 10 and name.isdigit()
    )
    for _, path in versions[:-exports_to_keep]:
        try:
            gfile_io.rmtree(os.fsdecode(path))
        except tf.errors.NotFoundError as err:  # Removed meanwhile by another exporter.
            logger.warning("Cannot delete %s: %s", os.fsdecode(path), err)


def _remove_left_over(folder: bytes) -> None:
    """Removes what a failed export left in `folder`, if anything; a failure to remove it is
    logged (the export's own error is the one to raise)."""
    try:
        if gfile_io.exists_for_export(os.fsdecode(folder)):
            gfile_io.rmtree(os.fsdecode(folder))
    except (tf.errors.OpError, errors.RetryTimeoutError) as err:
        logger.warning("Cannot remove the unfinished export %s: %s", os.fsdecode(folder), err)


def _export_path_write_error(
    err: errors.ExportWriteError, export_path: str | bytes, *, staged: bool = False
) -> errors.ExportWriteError:
    """The ExportWriteError of a module's export into `export_path/temp-<timestamp>/<name>`
    (`staged`: gs://, `export_path/<timestamp>/<name>`, whose problem quotes the server),
    naming `export_path` (what the caller passed) instead of that folder."""
    cause = err.__cause__
    refused = cause if isinstance(cause, OSError) else None
    if refused is None and cause is not None:  # TensorFlow's OpError, naming a file.
        refused = failed_write(cause, err.path)
    if refused is None:
        refused = OSError(errno.EIO, err.problem)
    tmpdir = ""
    if staged and err.problem:  # The server's words, not TensorFlow's error class.
        refused = OSError(refused.errno, err.problem)
        if "(TMPDIR)" in err.problem:  # The module's local copy (`_export_staged`) ran out of room.
            refused, tmpdir = OSError(errno.ENOSPC, err.problem), tempfile.gettempdir()
    return export_write_error(
        refused, os.fsdecode(export_path), argument="export_path", tmpdir=tmpdir
    )


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
