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

Reading a pickle runs code chosen by whoever wrote it, so pickles are read only when the caller
allows it, and then through an unpickler that accepts nothing but NumPy arrays and plain data.

This module writes the folders and names every file function of the tool: the names are in
`file_names`, local-or-remote access in `storage`, the reads in `readers` (pickles through
`safe_pickle`), an index's files in `index_files`.
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
from . import storage
from .file_names import (
    EMBED_FILE_PREFIX,
    EMBED_FILE_SUFFIX,
    INDEX_FILENAME,
    INDEX_INFO_JSON,
    MAPPING_FILENAME,
    MAPPING_JSON,
    OUTPUT_FOLDERS,
    RANDOM_PROJECTION_FILENAME,
    RANDOM_PROJECTION_NPY,
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
    "OUTPUT_FOLDERS",
    "RANDOM_PROJECTION_FILENAME",
    "RANDOM_PROJECTION_NPY",
    "IndexFiles",
    "check_index_folder",
    "check_output_folder",
    "exists",
    "is_output_name",
    "is_remote",
    "join",
    "list_names",
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
    upstream emptied a gs:// folder whatever it held).

    Args:
        path: the folder.
        flag: the flag that named it, a key of `OUTPUT_FOLDERS`.

    Raises:
        tfhub.errors.OutputNotWritableError: `path` is a file, or a file is in its way, or
            its nearest existing parent does not take new files, or it holds other files.
        tfhub.errors.DownloadError: a remote folder whose listing fails, is refused, or
            (RetryTimeoutError) gives no answer in time (`storage.list_names`).
    """
    what = OUTPUT_FOLDERS[flag]
    if is_remote(path):
        others = [name for name in list_names(path) if not is_output_name(name, flag=flag)]
        output_errors.refuse_others(path, others, what=what, flag=flag)
        return
    atomic_output.check_writable(path, is_dir=True, what=what, flag=flag)
    atomic_output.check_replaceable(
        path, lambda name: is_output_name(name, flag=flag), what=what, flag=flag
    )


@contextlib.contextmanager
def output_folder(path: str, *, flag: str) -> Iterator[str]:
    """Yields a folder to write into; on success its files become `path` (replacing it).

    A local `path` is written as a temporary folder beside it and renamed into place
    (tfhub.tools.atomic_output), so a failure leaves the old folder (or nothing) and no
    half-written files. A remote `path` (gs://...) is emptied and written directly, as
    upstream did.

    Args:
        path: the folder.
        flag: the flag that named it, a key of `OUTPUT_FOLDERS` (for error messages).

    Raises:
        tfhub.errors.OutputNotWritableError: if the local folder cannot be created, or `path`
            is a file; for a remote one, if TensorFlow's file system fails or refuses to
            remove or make it (`storage.empty_folder`).
        tfhub.errors.OutputTimeoutError: (an OutputNotWritableError and TimeoutError) a remote
            check, removal or making of the folder without an answer within
            TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT.
    """
    if not is_remote(path):
        with atomic_output.write_folder(path, what=OUTPUT_FOLDERS[flag], flag=flag) as tmp:
            yield tmp
        return
    storage.empty_folder(path, what=OUTPUT_FOLDERS[flag], flag=flag)
    yield path


def write_json(path: str, value: Any) -> None:
    """Writes `value` as JSON (inside a folder from `output_folder`)."""
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(value, handle, ensure_ascii=False)


def write_matrix(folder: str, matrix: np.ndarray, *, upstream_pickle: bool) -> None:
    """Writes the projection matrix as .npy, and as upstream's pickle if asked."""
    np.save(os.path.join(folder, RANDOM_PROJECTION_NPY), matrix, allow_pickle=False)
    if upstream_pickle:
        with open(os.path.join(folder, RANDOM_PROJECTION_FILENAME), "wb") as handle:
            pickle.dump(matrix, handle, protocol=4)


def write_mapping(folder: str, items: list[str], *, upstream_pickle: bool) -> None:
    """Writes the id -> item mapping as JSON, and as upstream's pickled dict if asked."""
    write_json(os.path.join(folder, MAPPING_JSON), items)
    if upstream_pickle:
        with open(os.path.join(folder, MAPPING_FILENAME), "wb") as handle:
            pickle.dump(dict(enumerate(items)), handle, protocol=4)
