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
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import logging
import os
import pickle
from collections.abc import Iterator
from typing import Any

import numpy as np

from ... import errors
from .. import atomic_output

logger = logging.getLogger(__name__)

RANDOM_PROJECTION_FILENAME = "random_projection.matrix"
RANDOM_PROJECTION_NPY = RANDOM_PROJECTION_FILENAME + ".npy"
INDEX_FILENAME = "ann.index"
MAPPING_FILENAME = "ann.index.mapping"
MAPPING_JSON = MAPPING_FILENAME + ".json"
INDEX_INFO_JSON = INDEX_FILENAME + ".json"
EMBED_FILE_PREFIX = "emb"
EMBED_FILE_SUFFIX = ".tfrecords"

# The only globals a trusted upstream pickle of a NumPy array or a mapping needs.
_PICKLE_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


def is_remote(path: str) -> bool:
    """True for paths with a scheme (gs://, s3://, hdfs://): written through tf.io.gfile."""
    return "://" in path


def join(folder: str, name: str) -> str:
    """Joins a file name to a local or remote folder."""
    return folder.rstrip("/") + "/" + name if is_remote(folder) else os.path.join(folder, name)


def _gfile() -> Any:
    from ...utils.lazy import import_tensorflow

    return import_tensorflow("Remote folders (gs:// etc.)").io.gfile


def exists(path: str) -> bool:
    """Whether a local or remote file exists."""
    return bool(_gfile().exists(path)) if is_remote(path) else os.path.exists(path)


def list_names(folder: str) -> list[str]:
    """The names in a local or remote folder ([] if it is not a folder), listed, not globbed:
    the folder's own name may hold glob characters (`emb[1]`, `a*b`)."""
    if is_remote(folder):
        gfile = _gfile()
        return [name.rstrip("/") for name in gfile.listdir(folder)] if gfile.isdir(folder) else []
    return os.listdir(folder) if os.path.isdir(folder) else []


def read_bytes(path: str) -> bytes:
    """Reads a local or remote file."""
    if is_remote(path):
        with _gfile().GFile(path, "rb") as handle:
            return bytes(handle.read())
    with open(path, "rb") as handle:
        return handle.read()


# What each output folder is, by the flag that names it (for error messages).
OUTPUT_FOLDERS = {"embed_output_dir": "embedding folder", "index_output_dir": "index folder"}


_INDEX_NAMES = frozenset(
    {INDEX_FILENAME, MAPPING_FILENAME, MAPPING_JSON, INDEX_INFO_JSON}
    | {RANDOM_PROJECTION_FILENAME, RANDOM_PROJECTION_NPY}
)


def is_output_name(name: str, *, flag: str) -> bool:
    """Whether `name` is a file that `generate` (flag "embed_output_dir") or `build`
    ("index_output_dir") writes in its output folder."""
    if flag == "index_output_dir":
        return name in _INDEX_NAMES
    embeddings = name.startswith(EMBED_FILE_PREFIX + "-") and name.endswith(EMBED_FILE_SUFFIX)
    projection = name in (RANDOM_PROJECTION_FILENAME, RANDOM_PROJECTION_NPY)
    return embeddings or projection or name.startswith("beam-temp-")


def check_output_folder(path: str, *, flag: str) -> None:
    """Checks, before any work, that a local output folder could be written (creates
    nothing), and that an existing one holds only the tool's own files (it is replaced
    whole: e.g. an index folder given as the embedding folder would be deleted). Remote
    folders are not checked.

    Args:
        path: the folder.
        flag: the flag that named it, a key of `OUTPUT_FOLDERS`.

    Raises:
        tfhub.errors.OutputNotWritableError: `path` is a file, or a file is in its way, or
            its nearest existing parent does not take new files, or it holds other files.
    """
    if is_remote(path):
        return
    what = OUTPUT_FOLDERS[flag]
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
            is a file.
    """
    if not is_remote(path):
        with atomic_output.write_folder(path, what=OUTPUT_FOLDERS[flag], flag=flag) as tmp:
            yield tmp
        return
    gfile = _gfile()
    if gfile.exists(path):
        gfile.rmtree(path)
    gfile.makedirs(path)
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


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles NumPy arrays and plain data (dict, list, str, numbers), nothing else."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _PICKLE_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


def _load_pickle(path: str, *, allow_pickle: bool, what: str) -> Any:
    if not allow_pickle:
        raise errors.UnsafeFileError(
            f"The {what} {path} is a Python pickle (upstream's format); reading a pickle can "
            "run code. If you trust the file, pass --allow_pickle (allow_pickle=True); "
            "`make_nearest_neighbour_index build --allow_pickle` also writes the matrix as a "
            f"safe .npy file, which later queries read without it. Received: {path!r}",
            path=path,
        )
    try:
        return _NumpyOnlyUnpickler(io.BytesIO(read_bytes(path))).load()
    except Exception as err:
        raise errors.IndexFilesError(
            f"Cannot read the {what} {path}: {err}. Received: {path!r}", path=path, problem=str(err)
        ) from err


def _safe_and_pickle_paths(path: str, safe_suffix: str) -> tuple[str, str | None]:
    """The safe file read first and upstream's pickle, for upstream's name `path`; for the
    safe file's own name, that file and no pickle."""
    if path.endswith(safe_suffix):
        return path, None
    return path + safe_suffix, path


def read_matrix(folder: str, *, allow_pickle: bool) -> np.ndarray | None:
    """Reads the folder's projection matrix (.npy first, else upstream's pickle), or None.

    Raises:
        See read_matrix_file.
    """
    return read_matrix_file(join(folder, RANDOM_PROJECTION_FILENAME), allow_pickle=allow_pickle)


def read_matrix_file(path: str, *, allow_pickle: bool) -> np.ndarray | None:
    """Reads a projection matrix: `path`.npy first, else upstream's pickle `path`; or None if
    neither exists. A `path` ending in .npy is read as that file only.

    Raises:
        tfhub.errors.UnsafeFileError: only the pickle exists and allow_pickle is False.
        tfhub.errors.IndexFilesError: the file is damaged or not a 2-D float matrix.
    """
    npy_path, pickle_path = _safe_and_pickle_paths(path, ".npy")
    read = npy_path  # The file the matrix comes from, for messages.
    if exists(npy_path):
        try:
            matrix = np.load(io.BytesIO(read_bytes(npy_path)), allow_pickle=False)
        except ValueError as err:
            raise errors.IndexFilesError(
                f"Cannot read {npy_path}: {err}.", path=npy_path, problem=str(err)
            ) from err
    elif pickle_path is not None and exists(pickle_path):
        read = pickle_path
        matrix = _load_pickle(pickle_path, allow_pickle=allow_pickle, what="projection matrix")
    else:
        return None
    if not isinstance(matrix, np.ndarray) or matrix.ndim != 2:
        shape = getattr(matrix, "shape", type(matrix).__name__)
        raise errors.IndexFilesError(
            f"The projection matrix {read} is not a 2-D array (it holds {shape}): it is not "
            f"generate's; run generate and build again. Received: {read!r}",
            path=read,
            problem="shape",
        )
    return matrix


@dataclasses.dataclass(frozen=True)
class IndexFiles:
    """Where one index's files are, under upstream's names (the safe files tfhub writes sit
    beside them: the same name plus .json or .npy).

    Attributes:
        index: the ANN index file (its description, ann.index.json, beside it).
        mapping: upstream's pickled mapping (`mapping`.json read first).
        matrix: upstream's pickled projection matrix (`matrix`.npy read first), or None for
            none (the index holds the module's own embeddings).
        received: how the caller named them, for messages ("index_output_dir='index'").
        folder: the index folder, if the files are a folder's.
    """

    index: str
    mapping: str
    matrix: str | None
    received: str
    folder: str | None = None

    @classmethod
    def in_folder(cls, folder: str) -> IndexFiles:
        """The files of an index folder, as build writes them."""
        return cls(
            index=join(folder, INDEX_FILENAME),
            mapping=join(folder, MAPPING_FILENAME),
            matrix=join(folder, RANDOM_PROJECTION_FILENAME),
            received=f"index_output_dir={folder!r}",
            folder=folder,
        )

    @property
    def where(self) -> str:
        """The folder, or else the index file: what messages name."""
        return self.folder if self.folder is not None else self.index

    def check_exists(self) -> None:
        """Checks that the folder (or, without one, the local index file) exists; remote
        paths are left to the reading.

        Raises:
            tfhub.errors.IndexFilesError: it does not exist.
        """
        if self.folder is not None:
            check_index_folder(self.folder)
        elif not is_remote(self.index) and not os.path.isfile(self.index):
            what = "is not a file" if os.path.exists(self.index) else "does not exist"
            raise errors.IndexFilesError(
                f"The index file {self.index} {what}: build the index first "
                f"(make_nearest_neighbour_index build), or pass its file. Received: "
                f"{self.received}",
                path=self.index,
                problem=what,
            )


def check_index_folder(folder: str) -> None:
    """Checks that a local index folder exists (remote folders are not checked).

    Raises:
        tfhub.errors.IndexFilesError: the folder does not exist, or is a file.
    """
    if is_remote(folder) or os.path.isdir(folder):
        return
    what = "is a file, not a folder" if os.path.exists(folder) else "does not exist"
    moved = atomic_output.moved_aside(folder) if what == "does not exist" else None
    todo = (
        "build the index first (make_nearest_neighbour_index build), or pass its folder"
        if moved is None
        else f"a build killed while it replaced the index left the previous one at {moved}; "
        "build again (which also puts it back first), or rename it back"
    )
    raise errors.IndexFilesError(
        f"The index folder {folder} {what}: {todo}. Received: index_output_dir={folder!r}",
        path=folder,
        problem=what,
    )


def read_mapping(folder: str, *, allow_pickle: bool) -> list[str]:
    """Reads the items of an index folder in id order (JSON first, else upstream's pickle).

    Raises:
        See read_mapping_file.
    """
    return read_mapping_file(
        join(folder, MAPPING_FILENAME),
        allow_pickle=allow_pickle,
        received=f"index_output_dir={folder!r}",
    )


def read_mapping_file(path: str, *, allow_pickle: bool, received: str) -> list[str]:
    """Reads an index's items in id order: `path`.json first, else upstream's pickle `path` (a
    `path` ending in .json is read as that file only). `received` says in messages how the
    caller named the index ("index_output_dir='index'").

    Raises:
        tfhub.errors.IndexFilesError: neither file exists, or the mapping is damaged.
        tfhub.errors.UnsafeFileError: only the pickle exists and allow_pickle is False.
    """
    json_path, pickle_path = _safe_and_pickle_paths(path, ".json")
    read = json_path  # The file the items come from, for messages.
    if exists(json_path):
        items = _read_json(json_path)
    elif pickle_path is not None and exists(pickle_path):
        read = pickle_path
        mapping = _load_pickle(pickle_path, allow_pickle=allow_pickle, what="index mapping")
        if not isinstance(mapping, dict) or sorted(mapping) != list(range(len(mapping))):
            raise errors.IndexFilesError(
                f"{pickle_path} is not a mapping of ids 0..n-1 to items: build the index "
                f"again. Received: {received}",
                path=pickle_path,
                problem="not a mapping",
            )
        items = [mapping[i] for i in range(len(mapping))]
    else:
        names = json_path if pickle_path is None else f"{json_path} or {pickle_path}"
        raise errors.IndexFilesError(
            f"The index has no mapping (there is no {names}): build the index first "
            f"(make_nearest_neighbour_index build). Received: {received}",
            path=pickle_path or json_path,
            problem="no mapping",
        )
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise errors.IndexFilesError(
            f"The mapping {read} is not a list of strings: build the index again. Received: "
            f"{received}",
            path=read,
            problem="mapping",
        )
    return items


def _read_json(path: str) -> Any:
    """Reads a JSON file of an index folder.

    Raises:
        tfhub.errors.IndexFilesError: if the file is not JSON (damaged or cut short).
    """
    try:
        return json.loads(read_bytes(path).decode("utf-8"))
    except ValueError as err:  # JSONDecodeError and UnicodeDecodeError
        raise errors.IndexFilesError(
            f"Cannot read {path}: {err}. Build the index again. Received: {path!r}",
            path=path,
            problem=str(err),
        ) from err


def read_index_info(index_path: str) -> dict[str, Any] | None:
    """Reads the index's description, `index_path`.json (None if there is none, as for
    indexes made by upstream).

    Raises:
        tfhub.errors.IndexFilesError: the file is damaged or describes no index.
    """
    path = index_path + ".json"
    if not exists(path):
        return None
    info = _read_json(path)
    if not isinstance(info, dict) or "library" not in info or "dimensions" not in info:
        raise errors.IndexFilesError(
            f"{path} does not describe an index (no library and dimensions): build the index "
            f"again. Received: {path!r}",
            path=path,
            problem="info",
        )
    return info
