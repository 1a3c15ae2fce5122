"""Exports (a module written to a gfile filesystem).

A TF1 module exported to gs:// (`hub.Module.export`, `ModuleSpec.export`, the exporter) is
written by TensorFlow's Saver and tfhub into a local folder first (the Saver's writes are
TensorFlow's own calls, which no thread of Python's can bound), then uploaded (`upload_folder`)
in requests bounded as the writes (`tfhub.gfile_io._writes`) are; an export elsewhere (local,
ram://) is written in place through the same bounded calls. What the file system refuses is
raised as TensorFlow's OpError, as before: the export says what it was writing. Each upload
first removes the staging folders that killed uploads to the same target left
(`sweep_stale_uploads`), whoever uploads (a TF1 export, make_image_classifier).
"""

from __future__ import annotations

import calendar
import os
import re
import time
from typing import Any

from .. import errors
from ..utils.lazy import import_tensorflow
from ..utils.printable import escaped, quoted_reason
from ._requests import _asked, refuse_unregistered
from ._writes import _write, _write_whole, copy, remove, rename, rmtree

UPLOAD_PREFIX = ".tfhub-upload-"  # The hidden sibling folder an upload goes to first.
_STAMP = "%Y%m%dT%H%M%SZ"  # When an upload started (UTC), in its staging folder's name.
STALE_UPLOAD_SECONDS = 24 * 3600.0  # A staging folder older than this has no live upload.


def _export_gfile() -> Any:
    return import_tensorflow("Exporting a module").io.gfile


def stages_exports(path: str) -> bool:
    """Whether an export to `path` is written into a local folder first, then uploaded
    (`upload_folder`): a gs:// path."""
    return path.lower().startswith("gs://")


def exists_for_export(path: str) -> bool:
    """Returns True if `path` exists (`tf.io.gfile.exists`), bounded as `makedirs` is; unlike
    `exists`, what the file system refuses is raised as TensorFlow's OpError (as the export's
    writes are). A path of a file system TensorFlow has not registered (s3://) raises
    UnregisteredFileSystemError (an UnimplementedError), saying it cannot be written."""
    gfile = _export_gfile()
    refuse_unregistered(path, verb="write")  # The export's first question: what it is for.
    return _write(
        lambda: bool(gfile.exists(path)),
        path,
        what="whether it exists",
        verb="read",
        changes=False,
    )


def listdir_for_export(folder: str) -> list[str]:
    """The names in `folder` (`tf.io.gfile.listdir`), listed in one call bounded as `makedirs`
    is; unlike `listdir`, what the file system refuses (a missing folder: NotFoundError) is
    raised as TensorFlow's OpError, as the export's writes are."""
    gfile = _export_gfile()
    refuse_unregistered(folder, verb="write")
    return _write(
        lambda: list(gfile.listdir(folder)),
        folder,
        what="what it holds",
        verb="read",
        changes=False,
    )


def write_bytes(path: str, data: bytes) -> None:
    """Writes a whole binary file of an export (`_write_whole`). Raises as `makedirs`."""
    _write_whole(_export_gfile(), path, data)


def latest_checkpoint(folder: str) -> str | None:
    """The prefix of the latest checkpoint its `checkpoint` file names in `folder`
    (`tf.train.latest_checkpoint`: that file's read, then a lookup of the prefix's files), or
    None; asked in one call bounded as `exists` is. Imports TensorFlow.

    Raises:
        tfhub.errors.DownloadError: as `listdir`; RetryTimeoutError, no answer in time.
    """
    tf = import_tensorflow("Reading checkpoints")
    return _asked(
        lambda: tf.train.latest_checkpoint(folder), folder, what="which checkpoint is its latest"
    )


def upload_folder(local: str, target: str, *, last: str, remove_stale: bool = True) -> None:
    """Uploads the files of the local folder `local` to the folder `target` of a gfile file
    system (gs://), each request bounded (`copy`, `rename`): with `remove_stale`, the staging
    folders that killed uploads to `target` left are removed first (`sweep_stale_uploads`: once
    a day old; a refusal or a timeout is logged); each file is copied into the hidden sibling folder
    `<parent>/.tfhub-upload-<UTC time>-<hex>-<name>` first, then all are moved to
    their place in `target` (overwriting a file there), the file named `last` (relative to `local`)
    last, never overwriting: `target` holds no `last` of this upload's until all its other
    files are there. An upload that fails removes what it copied or moved, except when `last`
    exists in `target` already (another export's): then only its hidden copies are removed, as
    the files moved into `target` may have replaced that export's. After a timeout no request
    is sent: a warning names the hidden folder and `target`. TensorFlow's overwrite=False is
    a check then a rename, not atomic: an export writing `last` meanwhile is overwritten. Empty
    folders are not uploaded (GCS has none).

    Raises:
        tfhub.errors.RetryTimeoutError: a request gave no answer in time.
        TensorFlow's OpError: the file system refused a request (e.g. AlreadyExistsError:
            `last` exists in `target` already).
    """
    if remove_stale:
        sweep_stale_uploads(target)
    names = sorted(
        os.path.relpath(os.path.join(top, name), local).replace(os.sep, "/")
        for top, _, files in os.walk(local)
        for name in files
    )
    names.sort(key=lambda name: name == last)  # Stable: `last` moves to the end.
    target = target.rstrip("/")
    staging = _upload_staging(target)
    done: list[str] = []  # What is in place in staging or target, to remove on failure.
    try:
        for name in names:
            copy(os.path.join(local, name), f"{staging}/{name}")
            done.append(f"{staging}/{name}")
        for index, name in enumerate(names):
            rename(f"{staging}/{name}", f"{target}/{name}", overwrite=name != last)
            done[index] = f"{target}/{name}"
    except errors.RetryTimeoutError:
        _warn_left(staging, target, moved=[path for path in done if path.startswith(target)])
        raise
    except BaseException as err:
        # Another export's marker: files in `target` may be its own, which this upload
        # overwrote (as upstream, writing in place, did); they are left, never removed.
        clashed = isinstance(err, _export_gfile_errors().AlreadyExistsError)
        remove_quietly([path for path in done if not clashed or path.startswith(f"{staging}/")])
        raise


def _export_gfile_errors() -> Any:
    return import_tensorflow("Exporting a module").errors


def _upload_staging(target: str) -> str:
    """The hidden folder beside `target` an upload to it goes to first (inside `target` for a
    bucket itself, which has no folder beside it)."""
    import uuid  # Only here: the rest of the module names nothing at random.

    folder = target.rstrip("/")
    parent, name = folder.rsplit("/", 1)
    hidden = f"{UPLOAD_PREFIX}{time.strftime(_STAMP, time.gmtime())}-{uuid.uuid4().hex[:12]}"
    return f"{folder}/{hidden}" if parent.endswith(":/") else f"{parent}/{hidden}-{name}"


def remove_stale_uploads(target: str, *, older_than: float = STALE_UPLOAD_SECONDS) -> list[str]:
    """Removes the staging folders (`_upload_staging`) of uploads to `target` that started
    more than `older_than` seconds ago (by the time in their names): what an upload killed
    outright (SIGKILL, no `finally`) left. A younger one may be a live upload's (two runs into
    one folder at once) and stays, as does every other name. One listing of the folder that
    holds the staging folders, then one removal per stale one, each bounded.

    Returns:
        The staging folders removed.

    Raises:
        tfhub.errors.RetryTimeoutError: a request gave no answer in time.
        TensorFlow's OpError: the file system refused the listing (not a missing folder) or a
            removal.
    """
    folder = target.rstrip("/")
    parent, name = folder.rsplit("/", 1)
    in_target = parent.endswith(":/")  # A bucket itself: its staging is inside it.
    where = folder if in_target else parent
    suffix = "" if in_target else f"-{re.escape(name)}"
    pattern = re.compile(rf"{re.escape(UPLOAD_PREFIX)}(\d{{8}}T\d{{6}}Z)-[0-9a-f]{{12}}{suffix}")
    try:
        # By folder (GCS: a delimiter): one name per entry of `where`. A glob of
        # `.tfhub-upload-*` is no cheaper: TensorFlow's GCS file system lists the pattern's
        # folder recursively (every object below it) and matches the names itself.
        entries = listdir_for_export(where)
    except _export_gfile_errors().NotFoundError:  # No such folder yet: nothing left there.
        return []
    removed = []
    for entry in entries:
        found = pattern.fullmatch(entry.rstrip("/"))
        if found is None or not _older(found.group(1), older_than):
            continue
        stale = f"{where}/{entry.rstrip('/')}"
        rmtree(stale)
        removed.append(stale)
    return removed


def sweep_stale_uploads(target: str) -> list[str]:
    """`remove_stale_uploads(target)` for an upload about to start there (a TF1 module's
    export, make_image_classifier's SavedModel): each staging folder removed is logged (INFO),
    and a listing or removal the file system refuses is logged as a warning saying what to
    remove by hand, not raised (the upload itself may still work, and says what it met); so is
    a request that gave no answer in time (the listing of a parent folder holding very many
    objects takes long, while the upload's own requests are quick): housekeeping never fails
    an upload. Raises nothing but what a bug would.

    Returns:
        The staging folders removed ([] if the file system refused, or did not answer in time).
    """
    try:
        removed = remove_stale_uploads(target)
    except (_export_gfile_errors().OpError, errors.RetryTimeoutError) as err:
        _logger().warning(
            "Could not look for (or remove) what killed uploads to %s left beside it (%s): "
            "remove its hidden %s* folders older than a day by hand.",
            escaped(target),
            quoted_reason(err, target),
            UPLOAD_PREFIX,
        )
        return []
    for stale in removed:
        _logger().info(
            "Removed %s, what a killed upload to %s left.", escaped(stale), escaped(target)
        )
    return removed


def _logger() -> Any:
    """The package's logger (`tfhub.gfile_io`, as before its split into modules)."""
    import logging  # Only here: the rest of the module logs nothing.

    return logging.getLogger("tfhub.gfile_io")


def _older(stamp: str, seconds: float) -> bool:
    """Whether the UTC time `stamp` (`_STAMP`) is more than `seconds` ago; False for digits
    that are no time (`20261399T999999Z`): a name tfhub did not write, kept as every other."""
    try:
        started = calendar.timegm(time.strptime(stamp, _STAMP))
    except ValueError:
        return False
    return time.time() - started > seconds


def _warn_left(staging: str, target: str, *, moved: list[str]) -> None:
    """Warns that a timed-out upload left `staging`, and the files `moved` into `target`."""
    logger = _logger()
    if not moved:
        logger.warning(
            "The upload to %s timed out; what it uploaded so far stays in %s (its requests "
            "may still run): delete that folder once they have ended.",
            escaped(target),
            escaped(staging),
        )
        return
    logger.warning(
        "The upload to %s timed out while moving its files there; what it uploaded so far "
        "stays in %s, and %d files it moved already stay in %s without the module's last "
        "file (its requests may still run): delete that folder and those files (%s) once "
        "they have ended.",
        escaped(target),
        escaped(staging),
        len(moved),
        escaped(target),
        ", ".join(escaped(path.removeprefix(f"{target}/")) for path in moved),
    )


def remove_quietly(paths: list[str]) -> None:
    """Removes the files `paths` of a failed upload (or of an interrupted write check), each in
    a bounded request; a removal that fails or times out stops the clean-up, raising nothing
    (the upload's own error is the one raised)."""
    tf = import_tensorflow("Exporting a module")
    for path in paths:
        try:
            remove(path)
        except (tf.errors.OpError, errors.RetryTimeoutError):
            return
