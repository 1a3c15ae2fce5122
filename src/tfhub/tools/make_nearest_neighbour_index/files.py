"""The files of embedding and index folders, and how they are written and read.

Names are upstream's, so folders made by either tool are found by the other:
    <embed_output_dir>/emb-NNNNN-of-NNNNN.tfrecords  tf.train.Example: `item` bytes, `embedding`
        floats (written by Beam's WriteToTFRecord, uncompressed).
    random_projection.matrix       upstream's pickle of the float64 [embedding_dim, projected_dim]
                                   matrix (read only with allow_pickle; written on request).
    ann.index                      the index (annoy's format for annoy; each library's own else).
    ann.index.mapping              upstream's pickle {id: item} (same rules as the matrix).
Safe files tfhub writes by default, and reads first:
    random_projection.matrix.npy   the matrix as a NumPy .npy file (no pickled objects).
    ann.index.mapping.json         the items as a JSON array, in id order.
    ann.index.json                 what the index is: library, dimensions, metric, count, params.
    embedding_module.json          which module and projection made the embeddings (written by
                                   generate, copied by build: `module_record`).

Reading a pickle runs code chosen by whoever wrote it, so pickles are read only when the caller
allows it, and then through an unpickler that accepts nothing but NumPy arrays and plain data.

This module writes the folders and names every file function of the tool: the names are in
`file_names`, local-or-remote access in `storage`, the reads in `readers` (pickles through
`safe_pickle`), an index's files in `index_files`. A remote embedding folder is written as a
staging sub-folder of it, whose files replace the folder's own once the run succeeded
(`remote_output_folder`; docs/tools.md says what a run cut short leaves).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pickle
from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import atomic_output, output_errors
from . import file_names, safe_pickle, storage
from .file_names import (
    EMBED_FILE_PREFIX,
    EMBED_FILE_SUFFIX,
    INDEX_FILENAME,
    INDEX_INFO_JSON,
    MAPPING_FILENAME,
    MAPPING_JSON,
    MODULE_RECORD_JSON,
    OUTPUT_FOLDERS,
    RANDOM_PROJECTION_FILENAME,
    RANDOM_PROJECTION_NPY,
    is_output_folder,
    is_output_name,
)
from .index_files import IndexFiles, check_index_folder
from .readers import (
    read_index_info,
    read_mapping,
    read_mapping_file,
    read_matrix,
    read_matrix_file,
)
from .storage import exists, is_remote, join, list_names, read_bytes

__all__ = [
    "EMBED_FILE_PREFIX",
    "EMBED_FILE_SUFFIX",
    "INDEX_FILENAME",
    "INDEX_INFO_JSON",
    "MAPPING_FILENAME",
    "MAPPING_JSON",
    "MODULE_RECORD_JSON",
    "OUTPUT_FOLDERS",
    "RANDOM_PROJECTION_FILENAME",
    "RANDOM_PROJECTION_NPY",
    "IndexFiles",
    "check_index_folder",
    "check_output_folder",
    "exists",
    "is_output_folder",
    "is_output_name",
    "is_remote",
    "join",
    "list_names",
    "other_entries",
    "output_folder",
    "read_bytes",
    "read_index_info",
    "read_mapping",
    "read_mapping_file",
    "read_matrix",
    "read_matrix_file",
    "write_json",
    "write_mapping",
    "write_matrix",
]

logger = logging.getLogger(__name__)


def check_output_folder(path: str, *, flag: str) -> None:
    """Checks, before any work, that a local output folder could be written (creates
    nothing), and that an existing one, local or remote, holds only the tool's own files (it
    is replaced whole: e.g. an index folder given as the embedding folder would be deleted;
    upstream emptied a gs:// folder whatever it held). A sub-folder named as Beam's temporary
    folder or a staging folder is the tool's only if what it holds is (`other_entries`).

    Args:
        path: the folder.
        flag: the flag that named it, a key of `OUTPUT_FOLDERS`.

    Raises:
        tfhub.errors.OutputNotWritableError: `path` is a file, or a file is in its way, or
            its nearest existing parent does not take new files, or it holds other files, or
            it is the working directory or one of its parents (it is replaced whole).
        tfhub.errors.DownloadError: a remote folder whose listing fails, is refused, or
            (RetryTimeoutError) gives no answer in time (`storage.list_names`).
    """
    what = OUTPUT_FOLDERS[flag]
    if not is_remote(path):
        atomic_output.check_writable(path, is_dir=True, what=what, flag=flag)
    output_errors.refuse_others(path, other_entries(path, flag=flag), what=what, flag=flag)
    if not is_remote(path):  # Else a folder that is empty or holds only the tool's files.
        atomic_output.refuse_working_folder(path, what=what, flag=flag)


def other_entries(folder: str, *, flag: str, inside: str = "") -> list[str]:
    """The entries of the output `folder` (local or remote; none if it is no folder) that the
    tool does not write, as paths below it ("beam-temp-photos", "beam-temp-emb-1f/notes.txt"):
    a sub-folder is the tool's only if `is_output_folder` names it and what it holds is (it is
    looked into); any other sub-folder is not, whatever its name.

    Args:
        folder: the output folder, or (`inside`) its sub-folder.
        flag: the flag that named the output folder, a key of `OUTPUT_FOLDERS`.
        inside: the path of `folder` below the output folder ("" for the output folder).

    Raises:
        tfhub.errors.DownloadError: as `storage.list_names`.
    """
    found = []
    for name, is_folder in storage.list_entries(folder):
        below = f"{inside}/{name}" if inside else name
        own = is_output_name(name, flag=flag, inside=inside)
        if own and is_folder and is_output_folder(name, flag=flag):
            found += other_entries(join(folder, name), flag=flag, inside=below)
        elif is_folder or not own:
            found.append(below)
    return found


@contextlib.contextmanager
def output_folder(path: str, *, flag: str) -> Iterator[str]:
    """Yields a folder to write into; on success its files become `path` (replacing it).

    A local `path` is written as a temporary folder beside it and renamed into place
    (tfhub.tools.atomic_output), so a failure leaves the old folder (or nothing) and no
    half-written files. A remote `path` (gs://...) is written as a staging sub-folder of it
    (`remote_output_folder`), so a runner that writes there (Dataflow, Flink) writes that one.

    Args:
        path: the folder.
        flag: the flag that named it, a key of `OUTPUT_FOLDERS` (for error messages).

    Raises:
        tfhub.errors.OutputNotWritableError: if the local folder cannot be created, or `path`
            is a file; for a remote one, if TensorFlow's file system fails or refuses to
            make, list, remove or move its files.
        tfhub.errors.OutputTimeoutError: (an OutputNotWritableError and TimeoutError) a remote
            check, making, removal or move without an answer within TFHUB_HTTP_TIMEOUT plus
            TFHUB_HTTP_RETRY_TIMEOUT.
    """
    if is_remote(path):
        with remote_output_folder(path, flag=flag) as staging:
            yield staging
        return
    with atomic_output.write_folder(path, what=OUTPUT_FOLDERS[flag], flag=flag) as tmp:
        yield tmp


@contextlib.contextmanager
def remote_output_folder(path: str, *, flag: str) -> Iterator[str]:
    """Yields a new staging sub-folder of the remote folder `path`, `tfhub-staging-<32 hex>`
    (`file_names.staging_name`). If the block fails (or is interrupted), the staging folder is
    removed (best effort) and `path` is left as it was. If it succeeds, the tool's files in
    `path` are removed (old shards, an old matrix, Beam's or an earlier run's leftovers, as
    `check_output_folder` took them), the staged files are moved up (copied on the server),
    and the staging folder is removed. Each call is bounded (`storage`). Cut between the
    removal and the last move, `path` holds some old files and no new one, or some new files
    and no old one, the staging folder the new ones not moved (docs/tools.md); the next run
    removes it.

    Raises:
        As `output_folder`; a failure once the old files are being removed names the staging
        folder with the new files in a warning.
    """
    what = OUTPUT_FOLDERS[flag]
    staging_name = file_names.staging_name()
    staging = join(path, staging_name)
    storage.make_folder(staging, what=what, flag=flag)
    try:
        yield staging
    except BaseException:
        _remove_staging(staging, what=what, flag=flag)
        raise
    try:  # Until the old files are removed, the folder is as it was.
        staged = _staged_files(path, staging_name, what=what, flag=flag)
        old = _old_files(path, staging_name, what=what, flag=flag)
    except OSError:
        logger.warning(
            "%s is as it was; the new files are in %s: run generate again (it removes them).",
            path,
            staging,
        )
        raise
    try:
        _replace(path, staging, old=old, staged=staged, what=what, flag=flag)
    except OSError:
        logger.warning(
            "The new files are in %s: run generate again, or move them into %s.", staging, path
        )
        raise
    _remove_staging(staging, what=what, flag=flag)


def _staged_files(path: str, staging_name: str, *, what: str, flag: str) -> list[str]:
    """The names of the tool's files in the staging folder `staging_name` of `path` (not
    Beam's temporary folder, if one is left).

    Raises:
        tfhub.errors.OutputNotWritableError: there are none (another run into the folder
            removed them), or the folder cannot be listed.
    """
    entries = storage.list_output_entries(join(path, staging_name), what=what, flag=flag)
    staged = [name for name, sub in entries if not sub and is_output_name(name, flag=flag)]
    if not staged:  # Another run into the folder removed it: replace nothing.
        raise atomic_output.not_writable(
            path,
            f"the run's files are gone from its staging folder {staging_name} (another run "
            "into the same folder removed it?), so the folder was left as it was",
            what=what,
            flag=flag,
            todo="Run one generate into a folder at a time, then run it again.",
        )
    return staged


def _old_files(path: str, staging_name: str, *, what: str, flag: str) -> list[str]:
    """The names of the tool's files in `path`, but the staging folder `staging_name`."""
    return [
        name
        for name, _ in storage.list_output_entries(path, what=what, flag=flag)
        if name != staging_name and is_output_name(name, flag=flag)
    ]


def _replace(
    path: str, staging: str, *, old: list[str], staged: list[str], what: str, flag: str
) -> None:
    """Removes the `old` files of `path`, then moves the `staged` files of `staging` into it."""
    for name in old:
        storage.remove(path, name, what=what, flag=flag)
    for name in staged:
        storage.move(join(staging, name), path, name, what=what, flag=flag)


def _remove_staging(staging: str, *, what: str, flag: str) -> None:
    """Removes a staging folder, best effort (each call bounded): a failure is a warning (the
    next run into the same folder removes it)."""
    try:
        storage.remove(staging, what=what, flag=flag)
    except OSError as err:
        logger.warning(
            "Could not remove the staging folder %s (the next run will): %s", staging, err
        )


@contextlib.contextmanager
def _naming(path: str) -> Iterator[None]:
    """Gives an OSError of the block that names no file (a buffered write's: EFBIG past the
    file-size limit, which leaves the disk room for the next file) `path` as its file name, so
    that `output_folder` takes it for a failed write of its file (an OutputNotWritableError
    naming the folder, its flag and what to do) instead of a bare "[Errno 27] File too large".

    Raises:
        OSError: the block's, naming `path` if it named no file.
    """
    try:
        yield
    except OSError as err:
        if err.filename is not None or err.errno is None:
            raise
        raise OSError(err.errno, err.strerror, path) from err


def write_json(path: str, value: Any) -> None:
    """Writes `value` as JSON (inside a folder from `output_folder`).

    Raises:
        OSError: a failed write, naming `path` (`_naming`).
    """
    with _naming(path), open(path, "w", encoding="utf-8") as handle:
        json.dump(value, handle, ensure_ascii=False)


def write_matrix(
    folder: str, matrix: np.ndarray, *, upstream_pickle: bool, flag: str = "embed_output_dir"
) -> None:
    """Writes the projection matrix as .npy, and as upstream's pickle if asked, into a local
    folder, or a remote one (written in TMPDIR, then uploaded: `storage.upload`, named by
    `flag` in its errors)."""
    if is_remote(folder):
        import tempfile

        with tempfile.TemporaryDirectory(prefix="tfhub-matrix-") as local:
            write_matrix(local, matrix, upstream_pickle=upstream_pickle)
            for name in sorted(os.listdir(local)):
                path = os.path.join(local, name)
                storage.upload(path, folder, name, what=OUTPUT_FOLDERS[flag], flag=flag)
        return
    npy = os.path.join(folder, RANDOM_PROJECTION_NPY)
    with _naming(npy):
        np.save(npy, matrix, allow_pickle=False)
    if upstream_pickle:
        path = os.path.join(folder, RANDOM_PROJECTION_FILENAME)
        with _naming(path), open(path, "wb") as handle:
            safe_pickle.dump_array(matrix, handle)  # Readable by upstream's NumPy 1.x.


def write_mapping(folder: str, items: list[str], *, upstream_pickle: bool) -> None:
    """Writes the id -> item mapping as JSON, and as upstream's pickled dict if asked."""
    write_json(os.path.join(folder, MAPPING_JSON), items)
    if upstream_pickle:
        path = os.path.join(folder, MAPPING_FILENAME)
        with _naming(path), open(path, "wb") as handle:
            pickle.dump(dict(enumerate(items)), handle, protocol=4)
