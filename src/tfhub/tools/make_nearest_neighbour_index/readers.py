"""Reading what `generate` and `build` wrote: the projection matrix, the index mapping (the
safe .npy and .json files first, else upstream's pickles, read only when allowed) and the
index's description, each checked, with an error that says what to do when it is damaged."""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np

from ... import errors
from ...utils.numbers import is_whole_number
from .file_names import MAPPING_FILENAME, RANDOM_PROJECTION_FILENAME
from .safe_pickle import load_pickle
from .storage import exists, join, read_bytes


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
        except ValueError as err:  # Not a .npy file, or one of Python objects (NumPy's words
            # then offer `allow_pickle` for a file that is damaged or not generate's).
            raise errors.IndexFilesError(
                f"The projection matrix {npy_path} is not a NumPy .npy file of numbers (damaged, "
                f"or not generate's): run generate and build again. Received: {npy_path!r}",
                path=npy_path,
                problem=str(err),
            ) from err
    elif pickle_path is not None and exists(pickle_path):
        read = pickle_path
        matrix = load_pickle(pickle_path, allow_pickle=allow_pickle, what="projection matrix")
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
    if not np.issubdtype(matrix.dtype, np.floating):
        raise errors.IndexFilesError(
            f"The projection matrix {read} is not a matrix of numbers (it holds {matrix.dtype}): "
            f"it is not generate's; run generate and build again. Received: {read!r}",
            path=read,
            problem="dtype",
        )
    return matrix


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
        mapping = load_pickle(pickle_path, allow_pickle=allow_pickle, what="index mapping")
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
    """Reads a JSON file of an index folder (UTF-8, with or without a BOM: an editor's).

    Raises:
        tfhub.errors.IndexFilesError: if the file is not JSON (damaged or cut short).
    """
    try:
        return json.loads(read_bytes(path).decode("utf-8-sig"))
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
        tfhub.errors.IndexFilesError: the file is damaged or describes no index, or one of a
            library this version does not know, or of dimensions that are not a positive
            whole number.
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
    problem = _info_problem(info["library"], info["dimensions"])
    if problem is not None:
        raise errors.IndexFilesError(
            f"{path} describes an index of {problem}: the file is damaged or from another "
            f"version of tfhub; build the index again. Received: {path!r}",
            path=path,
            problem="info",
        )
    return info


def _info_problem(library: object, dimensions: object) -> str | None:
    """What is wrong with the library and dimensions ann.index.json records, or None."""
    from .ann import LIBRARIES  # Here: reading mappings and matrices needs no index library.

    if not isinstance(library, str) or library not in LIBRARIES:
        return f"library {library!r}, which this tfhub does not know ({', '.join(LIBRARIES)})"
    if not is_whole_number(dimensions) or dimensions < 1:
        return f"dimensions {dimensions!r}, not a positive whole number"
    return None
