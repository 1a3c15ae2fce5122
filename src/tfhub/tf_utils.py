"""tensorflow_hub's `tf_utils` module path: its small TensorFlow helpers (files through
tf.io.gfile, timestamped export folders, composite tensors), and `tf` itself as the module held
it (`hub.tf_utils.tf.constant(...)` works). Importing it imports TensorFlow: its export helpers
are tf1/export's, which needs TensorFlow at import (as upstream's module did)."""

from __future__ import annotations

import os
from typing import Any

from . import errors, gfile_io
from .tf1.export import MAX_TIMESTAMP_ATTEMPTS as MAX_DIRECTORY_CREATION_ATTEMPTS
from .tf1.export import garbage_collect_exports
from .tf1.export import temp_export_dir as get_temp_export_dir
from .tf1.export import timestamped_export_dir as get_timestamped_export_dir
from .tf1.saved_model_lib import atomic_write
from .utils.lazy import tensorflow as tf
from .utils.paths import is_url

__all__ = [
    "MAX_DIRECTORY_CREATION_ATTEMPTS",
    "SUPPORTED_ARGUMENT_TYPES",  # noqa: F822 (made by __getattr__, importing TensorFlow)
    "absolute_path",
    "atomic_write_string_to_file",
    "bytes_to_readable_str",
    "composite_tensor_from_components",
    "composite_tensor_info_to_type_spec",
    "garbage_collect_exports",
    "get_composite_tensor_type_spec",
    "get_temp_export_dir",
    "get_timestamped_export_dir",
    "is_composite_tensor",
    "read_file_to_string",
    "tf",
]


def __getattr__(name: str) -> Any:
    if name == "SUPPORTED_ARGUMENT_TYPES":  # TensorFlow's classes: imported when asked for.
        from .tf1.tensor_info import supported_argument_types

        return supported_argument_types()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def read_file_to_string(filename: str | bytes) -> str:
    """Returns the text of a file (a local path or a tf.io.gfile URL such as gs://).

    A URL's file is read by `gfile_io.read_steps`: each read call of 16 MiB (READ_STEP) ends
    within TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT (TensorFlow's GCS reader waits for
    an object that trickles for an hour per request, and retries). A local path is read as
    before, through tf.io.gfile.

    Raises:
        tensorflow.errors.NotFoundError: the file does not exist (as upstream; so are the
            other refusals TensorFlow's errors, e.g. PermissionDeniedError, as upstream's).
        tfhub.errors.RetryTimeoutError: (a DownloadError and TimeoutError) a URL's read call
            gave no answer in time, naming the path and both settings.
        UnicodeDecodeError: the file is not UTF-8 text.
    """
    path = os.fsdecode(filename)
    if not gfile_io.is_url(path):
        with tf.io.gfile.GFile(filename, "r") as handle:
            return str(handle.read())
    try:
        return b"".join(gfile_io.read_steps(path)).decode("utf-8")
    except errors.TFHubError as err:
        # The reader's error for a refusal of TensorFlow's is that OpError again, as upstream
        # raised it; a timeout (no OpError behind it) stays tfhub's RetryTimeoutError.
        if isinstance(err.__cause__, tf.errors.OpError):
            raise err.__cause__ from None
        raise


def atomic_write_string_to_file(
    filename: str | bytes, contents: str | bytes, overwrite: bool
) -> None:
    """Writes `contents` to `filename` through a temporary file and a rename, so the file never
    appears half-written; the temporary file is removed if that fails.

    Raises:
        tfhub.errors.ModuleExistsError: (as upstream's, a tf.errors.AlreadyExistsError) the file
            exists and `overwrite` is False.
    """
    data = contents.encode("utf-8") if isinstance(contents, str) else contents
    atomic_write(os.fsdecode(filename), data, overwrite=overwrite)


def bytes_to_readable_str(num_bytes: int | None, include_b: bool = False) -> str:
    """A size as upstream wrote it: "512", "1.50k", "2.00M", "3.00G" (with "B" if asked)."""
    if num_bytes is None:
        return str(num_bytes)
    for limit, divisor, unit in (
        (1 << 10, 1, ""),
        (1 << 20, 1 << 10, "k"),
        (1 << 30, 1 << 20, "M"),
    ):
        if num_bytes < limit:
            text = f"{num_bytes:d}" if not unit else f"{num_bytes / divisor:.2f}{unit}"
            break
    else:
        text = f"{num_bytes / (1 << 30):.2f}G"
    return text + ("B" if include_b else "")


def absolute_path(path: str | bytes) -> str | bytes:
    """`path` made absolute, unless it is a filesystem URL (`gs://...`), returned as is."""
    return path if is_url(path) else os.path.abspath(path)


def is_composite_tensor(x: Any) -> bool:
    """Whether `x` is a composite tensor (SparseTensor, RaggedTensor, an extension type)."""
    return get_composite_tensor_type_spec(x) is not None


def get_composite_tensor_type_spec(x: Any) -> Any:
    """The `tf.TypeSpec` of a composite tensor, or None for anything else."""
    type_spec = getattr(x, "__tf_type_spec__", None)
    return type_spec() if type_spec is not None else getattr(x, "_type_spec", None)


def composite_tensor_info_to_type_spec(tensor_info: Any) -> Any:
    """The `tf.TypeSpec` of a `TensorInfo` proto of a composite tensor.

    Raises:
        tfhub.errors.ArgumentError: (a ValueError, as upstream's) another encoding.
    """
    from .tf1.tensor_info import parse_tensor_info

    if tensor_info.WhichOneof("encoding") != "composite_tensor":
        raise errors.ArgumentError(
            "Expected a TensorInfo with encoding=composite_tensor. Received: "
            f"encoding={tensor_info.WhichOneof('encoding')!r}"
        )
    return parse_tensor_info(tensor_info).type_spec


def composite_tensor_from_components(type_spec: Any, components: Any) -> Any:
    """The composite tensor of `type_spec` made of `components` (its flat tensors).

    Raises:
        tfhub.errors.ArgumentError: (a ValueError) `type_spec` cannot build from components.
    """
    for method in ("from_components", "_from_components"):
        if hasattr(type_spec, method):
            return getattr(type_spec, method)(components)
    raise errors.ArgumentError(
        f"Expected a TypeSpec with a from_components method. Received: {type_spec!r}"
    )
