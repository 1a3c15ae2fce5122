"""The exporter's writes (`hub.LatestModuleExporter`): its modules into their timestamped
folder (written beside it and renamed into place; on gs://, uploaded module by module, each
marker last), the removal of what a failed export left, and the garbage collection that keeps
the newest `exports_to_keep` exports. Each request of a gfile file system is bounded
(`gfile_io`)."""

from __future__ import annotations

import errno
import logging
import os
from typing import Any

from .. import errors, gfile_io
from ..utils.lazy import tensorflow as tf
from ..utils.paths import is_url, missing_folders, remove_empty_folders
from ..utils.printable import escaped
from ..utils.refused_writes import export_write_error, failed_write, remade_as

logger = logging.getLogger(__name__)


def write_modules(
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
    made = _missing_local_parents(temp_dir)  # export_path and above: the first export makes them.
    try:
        for export_name, module in modules:
            module.export(os.fsdecode(os.path.join(temp_dir, os.fsencode(export_name))), session)
        _rename_into_place(temp_dir, export_dir, export_path)
    except errors.ExportWriteError as err:  # It named the hidden temp- folder.
        _remove_left_over_with(temp_dir, made)
        raise _export_path_write_error(err, export_path) from err
    except errors.RetryTimeoutError:
        _warn_left(temp_dir)
        raise
    except BaseException:
        _remove_left_over_with(temp_dir, made)
        raise


def _missing_local_parents(folder: bytes) -> list[bytes]:
    """The local folders above `folder` that do not exist yet, deepest first ([] for a URL)."""
    if is_url(os.fsdecode(folder)):
        return []
    return missing_folders(os.path.dirname(os.path.abspath(folder)))


def _remove_left_over_with(temp_dir: bytes, made: list[bytes]) -> None:
    """Removes what a failed export left in `temp_dir`, then each folder of `made` (the
    folders above it that the export made, deepest first) while it is empty: a folder that
    holds something else (e.g. another export's) stays, and so do those above it."""
    remove_left_over(temp_dir)
    remove_empty_folders(made)


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
            remove_left_over(folder)
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


def remove_left_over(folder: bytes) -> None:
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
    naming `export_path` (what the caller passed) instead of that folder; also the TensorFlow
    error upstream raised: a local export's by `export_write_error`'s `tf1`, a gs:// export's
    of `err`'s class (`native_export._as_upstream_class` chose it)."""
    cause = err.__cause__
    refused = cause if isinstance(cause, OSError) else None
    if refused is None and cause is not None:  # TensorFlow's OpError, naming a file.
        refused = failed_write(cause, err.path)
    if refused is None:
        refused = OSError(errno.EIO, err.problem)
    tmpdir = ""
    if staged and err.problem:  # The server's words, not TensorFlow's error class.
        refused = OSError(refused.errno, err.problem)
        if err.tmpdir:  # Its local copy (`export_staged`) or TensorFlow's ran out of room.
            refused, tmpdir = OSError(errno.ENOSPC, err.problem), err.tmpdir
    found = export_write_error(
        refused, os.fsdecode(export_path), argument="export_path", tmpdir=tmpdir, tf1=not staged
    )
    if not staged or type(err) is errors.ExportWriteError:
        return found
    return remade_as(found, type(err))
