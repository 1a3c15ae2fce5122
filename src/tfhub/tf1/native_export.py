"""Writing a TF1 Hub module's files: in place (a local folder, ram://, ...) or, on gs://,
into a local temporary folder first, then uploaded with the `tfhub_module.pb` marker last; what
a refused write raises (the ExportWriteError subclass that is also upstream's error), and what a
failed export leaves (a folder it created is removed).

`NativeModuleSpec._export` (`native_spec.py`) chooses the way and passes the function that
writes the module's SavedModel and marker into a folder.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable
from typing import Any

from .. import errors, gfile_io
from ..saved_model_proto import TF1_MODULE_MARKER
from ..utils.lazy import tensorflow as tf
from ..utils.paths import is_url, missing_folders, remove_empty_folders
from ..utils.printable import escaped, quoted_reason
from ..utils.refused_writes import (
    check_no_file_in_the_way,
    export_write_error,
    failed_write,
    remade_as,
)
from ..utils.temp_folders import temporary_folder


def marker_path(module_dir: str) -> str:
    """Returns the path of the module's `tfhub_module.pb` marker (any tf.io.gfile URL)."""
    return os.path.join(module_dir, TF1_MODULE_MARKER)


def export_staged(folder: str, write: Callable[[str], None]) -> None:
    """Writes the module into a local temporary folder (TensorFlow's Saver writes there:
    its requests could not be bounded), then uploads it to `folder`, each request bounded
    (`gfile_io.upload_folder`, the marker last)."""
    with temporary_folder("tfhub-export-", needer=f"Exporting to {escaped(folder)}") as local:
        try:
            write(local)
        except Exception as err:
            refused = failed_write(err, local)
            if refused is None:
                raise
            where = (
                f"{refused.strerror} in the temporary folder {escaped(local)} (TMPDIR), "
                "where it is written before its upload"
            )
            found = export_write_error(
                OSError(refused.errno, where),
                folder,
                argument="path",
                tmpdir=os.path.dirname(local),
            )
            raise _as_upstream_class(found, None) from err
        _export_upload(local, folder)


def _export_upload(local: str, folder: str) -> None:
    """Uploads the module written in `local` to `folder` (`gfile_io.upload_folder`).

    Raises:
        tfhub.errors.ModuleExistsError: another export's marker appeared meanwhile.
        tfhub.errors.ExportWriteError: a request refused; TensorFlow's copy of a file
            into TMPDIR (its GCS client's, while uploading it) failed: a full TMPDIR. Also
            the TensorFlow error upstream raised, where tfhub has its class
            (`_as_upstream_class`).
    """
    tmpdir = os.path.dirname(local)
    try:
        gfile_io.upload_folder(local, folder, last=TF1_MODULE_MARKER)
    except tf.errors.AlreadyExistsError as err:  # Another export's marker, meanwhile.
        raise module_exists_error(folder) from err
    except tf.errors.OpError as err:  # A 403, a 404 of the bucket, a full TMPDIR, ...
        refused = OSError(errno.EIO, quoted_reason(err, folder))
        # TensorFlow's GCS writer copies each file into TMPDIR before uploading it; it
        # says "Could not append to the internal temporary file" when that copy fails.
        if "internal temporary file" in str(err.message):
            refused = OSError(
                errno.ENOSPC,
                f"TensorFlow's GCS client could not write its copy of a file into the "
                f"temporary folder {escaped(tmpdir)} (TMPDIR) while uploading it "
                f"({refused.strerror})",
            )
        found = export_write_error(refused, folder, argument="path", tmpdir=tmpdir)
        raise _as_upstream_class(found, err) from err


def export_in_place(path: str, write: Callable[[str], None]) -> None:
    """Writes the module straight into `path` (a local folder, ram://, ...).

    Raises:
        tfhub.errors.ExportWriteError: as `NativeModuleSpec._export`, for a local folder.
        Any error of the writing (an AssetSourceError, ...): a folder the export created is
            removed first.
    """
    folder = os.fsdecode(path)
    local = not is_url(folder)
    if local:
        check_no_file_in_the_way(folder, argument="path", tf1=True)
        _check_no_entry_in_the_way(folder)
    created = local and not os.path.lexists(folder)
    # The folders above it that it makes (deepest first).
    parents = missing_folders(os.path.dirname(os.path.abspath(folder))) if created else []
    if created:  # TensorFlow's own makedirs names the folder, not a file in it.
        try:
            os.makedirs(os.path.dirname(os.path.abspath(folder)), exist_ok=True)
            os.mkdir(folder)
        except FileExistsError:
            created = False  # Another export made it now: not this one's to remove.
        except OSError as err:  # A read-only disk, no permission, a full disk.
            raise export_write_error(err, folder, argument="path", tf1=True) from err
    try:
        write(path)
    except Exception as err:
        if created and not isinstance(err, errors.ModuleExistsError):
            # Nothing half-written: the folder was this export's (unless another export
            # wrote its module into it meanwhile).
            shutil.rmtree(folder, ignore_errors=True)
            remove_empty_folders(parents)  # One another process filled stays.
        refused = failed_write(err, folder) if local else None
        if refused is None:
            raise
        raise export_write_error(refused, folder, argument="path", tf1=True) from err


# The ExportWriteError subclass (`errors/_lazy_export.py`) that is also TensorFlow's error of
# the code a gs:// export's request met: upstream's class, as it wrote through tf.io.gfile in
# place. Every code of a tf.errors.OpError but ALREADY_EXISTS (another export's marker:
# ModuleExistsError, `_export_upload`) has one, so `except tf.errors.OpError` catches every
# refused gs:// export.
_UPSTREAM_GS_CLASS = {
    "PERMISSION_DENIED": "ExportPermissionDeniedError",  # A 401, a 403.
    "NOT_FOUND": "ExportNotFoundError",  # A 404: no such bucket.
    "RESOURCE_EXHAUSTED": "ExportDiskFullError",
    "ABORTED": "ExportAbortedError",  # TensorFlow's retries (of a 5xx, a 429) ran out.
    "UNAVAILABLE": "ExportUnavailableError",  # A 5xx, a 429.
    "FAILED_PRECONDITION": "ExportPreconditionFailedError",  # A 412, a 413.
    "INVALID_ARGUMENT": "ExportInvalidArgumentError",  # A 400.
    "DEADLINE_EXCEEDED": "ExportDeadlineExceededError",
    "UNAUTHENTICATED": "ExportUnauthenticatedError",
    "OUT_OF_RANGE": "ExportOutOfRangeError",
    "INTERNAL": "ExportInternalError",
    "DATA_LOSS": "ExportDataLossError",
    "CANCELLED": "ExportCancelledError",
    "UNIMPLEMENTED": "ExportUnimplementedError",
    "UNKNOWN": "ExportUnknownError",
}


def _as_upstream_class(found: errors.ExportWriteError, err: Any) -> errors.ExportWriteError:
    """`found`, a gs:// export's ExportWriteError for TensorFlow's OpError `err` (None: its
    local copy in TMPDIR was refused), re-made as the subclass that is also upstream's error: a
    full TMPDIR `ExportTmpdirFullError` (InternalError, as upstream's GCS writer's copy there
    raised), else `_UPSTREAM_GS_CLASS`'s for `err`'s code (`found` itself for none)."""
    codes = {getattr(tf.errors, code): name for code, name in _UPSTREAM_GS_CLASS.items()}
    name = "ExportTmpdirFullError" if found.tmpdir else codes.get(getattr(err, "error_code", 0))
    if name is None:
        return found
    return remade_as(found, getattr(errors, name))


def _check_no_entry_in_the_way(folder: str) -> None:
    """Refuses an export into an existing folder where a file stands in the place of a folder
    the export makes (`assets`, `variables`) or a folder in the place of `saved_model.pb`
    (TensorFlow's bare FailedPreconditionError otherwise, after the assets were copied).

    Raises:
        tfhub.errors.ExportWriteError: (also an OSError) naming the entry, before anything is
            written.
    """
    for name, is_folder in (("assets", True), ("variables", True), ("saved_model.pb", False)):
        entry = os.path.join(folder, name)
        if not os.path.lexists(entry) or os.path.isdir(entry) == is_folder:
            continue
        code, kind = (errno.ENOTDIR, "file") if is_folder else (errno.EISDIR, "folder")
        where = "a folder" if is_folder else "a file"
        refused = OSError(code, f"{entry} is a {kind}, where the export writes {where}")
        raise export_write_error(refused, folder, argument="path", tf1=True)


def module_exists_error(path: str) -> Any:
    """The ModuleExistsError of an export to `path`, which holds a module already."""
    return errors.ModuleExistsError(
        f"{escaped(os.fsdecode(path))} already holds a TF1 Hub module; export to a new "
        f"folder. Received: path={path!r}",
        path=os.fsdecode(path),
    )
