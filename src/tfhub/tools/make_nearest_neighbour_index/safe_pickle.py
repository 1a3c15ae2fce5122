"""Reading upstream's pickles (the projection matrix, the index mapping) safely: only when the
caller allows it, and then through an unpickler that accepts nothing but NumPy arrays and plain
data (dict, list, str, numbers). Reading any other pickle runs code chosen by whoever wrote it.
Writing an array as upstream's pickle the way NumPy 1.x wrote it (`dump_array`), so that
tensorflow_hub 0.10 on its NumPy reads it.
"""

from __future__ import annotations

import io
import pickle
from typing import IO, Any

import numpy as np

from ... import errors
from .storage import read_bytes

# The only globals a trusted upstream pickle of a NumPy array or a mapping needs.
_PICKLE_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}

# The function that rebuilds a pickled array (numpy._core.multiarray's under NumPy 2).
_RECONSTRUCT = np.zeros(0).__reduce__()[0]


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles NumPy arrays and plain data (dict, list, str, numbers), nothing else."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _PICKLE_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


def load_pickle(path: str, *, allow_pickle: bool, what: str) -> Any:
    """Reads upstream's pickle `path` (local or remote) holding the index's `what`.

    Raises:
        tfhub.errors.UnsafeFileError: allow_pickle is False.
        tfhub.errors.IndexFilesError: the pickle is damaged or holds anything but NumPy
            arrays and plain data.
    """
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


class _NumpyOnePickler(pickle._Pickler):  # The Python pickler: its save_global can be extended.
    """Pickles NumPy arrays naming `numpy.core.multiarray._reconstruct`, as NumPy 1.x did.

    NumPy 2's arrays name `numpy._core.multiarray._reconstruct`, a module NumPy before 1.26
    lacks (tensorflow_hub 0.10 ran on NumPy 1.18-1.19): its `pickle.load` fails with
    ModuleNotFoundError. Every NumPy resolves `numpy.core.multiarray._reconstruct`.
    """

    def save_global(self, obj: Any, name: str | None = None) -> None:
        if obj is not _RECONSTRUCT:
            super().save_global(obj, name)  # type: ignore[misc]
            return
        self.save("numpy.core.multiarray")  # type: ignore[attr-defined]
        self.save("_reconstruct")  # type: ignore[attr-defined]
        self.write(pickle.STACK_GLOBAL)  # type: ignore[attr-defined]
        self.memoize(obj)  # type: ignore[attr-defined]


def dump_array(array: np.ndarray, handle: IO[bytes]) -> None:
    """Pickles `array` (protocol 4) into `handle` so that NumPy 1.x and 2.x both read it."""
    _NumpyOnePickler(handle, protocol=4).dump(array)
