"""The answers to an archive request the hub cannot serve: a model folder refused as found
(`refused_pack`: a link out of it, a FIFO, a file not regular), one that changed or cannot be
read while packed (`pack_failed`; an archive the cache folder cannot take: its own 500), a
cache folder that fails its check (`cache_refused`), a version with no files here (`not_here`,
in words); each refusal warned about once per folder and reason (`UNPACKABLE`, bounded).
"""

from __future__ import annotations

import errno
import logging
import os
import re
from pathlib import Path

from starlette.responses import PlainTextResponse, Response

from .. import errors
from ..utils.warn_once import WarnedOnce
from .catalog_entries import Model, Version
from .docs_format import DocKind

logger = logging.getLogger(__name__)
# The refused files of model folders warned about: (model folder, why), once each (bounded).
UNPACKABLE: WarnedOnce[tuple[Path | None, str]] = WarnedOnce()


def refused_pack(folder: Path | None, err: errors.NotAModelError, handle: str) -> Response:
    """The 404 for `handle`, whose model folder holds a file that cannot be packed as it is
    (`err`), after one warning naming the folder, the file and why."""
    _warn_unpackable(folder, err, handle)
    return PlainTextResponse(
        f"404 Not Found: {handle} has no servable model files in this hub: its model folder "
        "holds a file that cannot be packed as it is (see the server log).\n",
        status_code=404,
    )


def _warn_unpackable(folder: Path | None, err: errors.NotAModelError, handle: str) -> None:
    """One warning per refused path (`UNPACKABLE`: every download of the version asks again)
    naming the model folder, the file in it refused and why, and what to do."""
    if UNPACKABLE.first_time((folder, err.reason)):
        logger.warning(
            "Refused to pack %s (%s answered 404): %s; make the folder hold only regular files "
            "and folders nothing writes into ('tfhub validate ROOT' names them)",
            folder,
            handle,
            err.reason,
        )


# What a pack meets when the model folder changed while it was read: a file removed (ENOENT), a
# folder replaced by a file (ENOTDIR) or a file by a folder (EISDIR), a socket (ENXIO) or a
# link (ELOOP: opened without following) put in a file's place. Not servable as found: a 404.
CHANGED_ERRNOS = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.ENXIO, errno.ELOOP})
# Read through a descriptor (`confinement.held_folder`): its errors name /proc/self/fd/N.
_HELD_PATH = re.compile(r"/proc/self/fd/[0-9]+")


def cache_refused(err: errors.ServeConfigError, handle: str) -> Response:
    """The 500 for `handle` when the cache folder failed its check before the pack (`err`
    says why and what to do): a fault of the server, not a missing model; logged each time
    (an operator must act)."""
    logger.error("Cannot pack %s (answered 500): %s", handle, err)
    return _cache_fault(handle, "used")


def pack_failed(
    folder: Path | None, err: OSError, handle: str, *, cache_dir: str | None = None
) -> Response:
    """The answer to a pack of `handle`'s model folder that met `err`: a folder changed while
    packed is a 404 (one warning, as for a refused file); one the server may not read
    (EACCES, EPERM), an I/O error, or any error of a file in `cache_dir` (the packed archive's
    folder: a cleaner of /tmp removed it meanwhile, a full disk) is a 500, its cause and fix
    in the log."""
    shown = os.fspath(folder) if folder is not None else "the model folder"
    said = _HELD_PATH.sub(lambda _: shown, str(err))  # A function: `shown` is no template.
    if cache_dir is not None and _names_a_file_in(err, cache_dir):
        return _cache_write_failed(err, said, handle, cache_dir)
    if err.errno in CHANGED_ERRNOS:
        return _changed_while_packed(folder, handle, said)
    _log_pack_fault(folder, err, handle, said)
    return PlainTextResponse(
        f"500 Internal Server Error: the folder of {handle} cannot be packed (see the server "
        "log).\n",
        status_code=500,
    )


def _changed_while_packed(folder: Path | None, handle: str, said: str) -> Response:
    """The 404 for `handle` whose model folder changed while it was packed (`said`: how); the
    warning once per folder and cause."""
    if UNPACKABLE.first_time((folder, f"changed: {said}")):
        logger.warning(
            "Refused to pack %s (%s answered 404): it changed while it was packed: %s; "
            "make the folder hold only regular files and folders, and publish into it "
            "with 'tfhub publish' (nothing else writing into it)",
            folder,
            handle,
            said,
        )
    return PlainTextResponse(
        f"404 Not Found: {handle} has no servable model files in this hub: its model "
        "folder changed while it was packed (see the server log).\n",
        status_code=404,
    )


def _log_pack_fault(folder: Path | None, err: OSError, handle: str, said: str) -> None:
    """Logs why the model folder of `handle` could not be packed (answered 500): the server's
    user may not read it (with the chmod that lets it), or another fault of the server (EIO)."""
    if err.errno in (errno.EACCES, errno.EPERM):
        logger.error(
            "Cannot pack %s (its model folder %s; answered 500): the server's user may not "
            "read it: %s; let it read the folder and its files ('chmod -R a+rX %s', or run the "
            "server as their owner)",
            handle,
            folder,
            said,
            folder,
        )
    else:  # A server fault: a regular file inside ROOT it cannot read (EIO).
        logger.error("Cannot pack %s (its model folder %s; answered 500): %s", handle, folder, said)


def _cache_write_failed(err: OSError, said: str, handle: str, cache_dir: str) -> Response:
    """The 500 for a pack of `handle` whose archive could not be written into the cache folder
    (`err`, `said`: its text), after an error naming the folder and what to do."""
    if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        todo = (
            f"let the server's user write into it ('chmod u+rwx {cache_dir}' as its owner, or "
            "mount it read-write), or give --cache-dir a folder it can write"
        )
    elif err.errno in errors.DISK_FULL_ERRNOS:
        todo = "free space on its disk, or give --cache-dir a folder on a disk with room"
    else:  # Removed meanwhile (a cleaner of the temp folder): made again by the next pack.
        todo = "keep cleaners and other programs out of it (it is made again if removed)"
    logger.error(
        "Cannot pack %s into the cache folder %s (answered 500): %s; %s",
        handle,
        cache_dir,
        said,
        todo,
    )
    return _cache_fault(handle, "written")


def _cache_fault(handle: str, what: str) -> Response:
    """The 500 saying the server's cache folder cannot be `what` ("used", "written") now:
    a fault of the server, not of the model `handle`."""
    return PlainTextResponse(
        f"500 Internal Server Error: {handle} cannot be packed: the server's cache folder "
        f"cannot be {what} now (see the server log).\n",
        status_code=500,
    )


def _names_a_file_in(err: BaseException | None, folder: str) -> bool:
    """True if `err`, or an error it was raised from (pack's "Cannot write the archive"
    names no file, the error it wraps does), names a path inside `folder` (as given, or by
    its real path)."""
    roots = {os.path.abspath(folder), os.path.realpath(folder)}
    while isinstance(err, OSError):
        for name in (err.filename, err.filename2):
            if isinstance(name, str):
                path = os.path.abspath(name)
                if any(path == root or path.startswith(root + os.sep) for root in roots):
                    return True
        err = err.__cause__
    return False


def not_here(model: Model, version: Version) -> str:
    """Why a version has no files in this hub, and what to do (`Version.no_files` in words)."""
    handle = f"{model.handle}/{version.version}"
    why = version.no_files
    if why == "placeholder":
        return f"{handle} is a placeholder: the model itself is not published."
    if why == "legacy":
        return (
            f"{handle} was hosted by tfhub.dev itself (asset-path: legacy) and is not in this "
            f"hub; add it with 'tfhub mirror SOURCE ROOT --as {handle}'."
        )
    if why == "derived-legacy":
        return (
            f"{handle} was hosted by tfhub.dev itself (asset-path: legacy) and is not in this "
            f"hub; put its files, as a .tar.gz archive, below ROOT at "
            f"{version.archive_below_root} (mirror and publish refuse "
            f"{version.doc.kind.value} handles)."
        )
    if why == "missing-archive":
        again = (
            f", or publish the version again with 'tfhub publish MODEL_DIR ROOT --handle "
            f"{handle} --doc ROOT/{version.doc_below_root} --force'"
        )
        return (
            f"{handle} has no model files in this hub: its archive {version.missing_archive} "
            f"(the doc's local asset-path) is missing; restore that file below ROOT"
            f"{again if version.doc.kind is DocKind.MODULE else ''}."
        )
    if why == "derived-url":
        return (
            f"{handle} has no model files in this hub: its files are at {version.asset_path} "
            f"(the asset-path of a {version.doc.kind.value} doc; 'tfhub mirror --from-docs' "
            "copies only Module docs' files): download them from there."
        )
    if why == "not-mirrored":
        return (
            f"{handle} is not mirrored here (its files are at {version.asset_path}; run "
            "'tfhub mirror ROOT --from-docs' to copy them into the hub)."
        )
    return f"{handle} has no model files in this hub."
