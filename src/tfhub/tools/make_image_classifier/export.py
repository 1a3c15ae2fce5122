"""The outputs of make_image_classifier: SavedModel, TFLite file, labels file, and the checks
that run before training (every output path writable).

Every output is written under a temporary name beside its target and renamed into place when
complete, so an interrupted run leaves no half-written SavedModel, .tflite or labels file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ... import errors

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Outputs:
    """Where make_image_classifier writes (each optional, as upstream's flags).

    Attributes:
        saved_model_dir: the SavedModel folder (signature `serving_default`).
        tflite_output_file: the .tflite file.
        labels_output_file: the labels, one per line, in the order of the predictions.
        summaries_dir: the TensorBoard summaries folder.
    """

    saved_model_dir: str | None = None
    tflite_output_file: str | None = None
    labels_output_file: str | None = None
    summaries_dir: str | None = None


def _existing_ancestor(path: str) -> str:
    """The nearest existing folder (or file) on the way to `path`."""
    current = os.path.abspath(path)
    while not os.path.lexists(current):
        current = os.path.dirname(current)
    return current


def _check_folder_writable(folder: str, path: str, what: str) -> None:
    """Checks that `folder` exists and takes new files, or could be created; creates nothing."""
    existing = _existing_ancestor(folder)
    try:
        if not os.path.isdir(existing):
            raise NotADirectoryError(20, "a file is in the way", existing)
        handle, probe = tempfile.mkstemp(prefix=".write-test-", dir=existing)
        os.close(handle)
        os.remove(probe)
    except OSError as err:
        raise errors.OutputNotWritableError(
            f"Cannot write the {what} {path}: {err.strerror or err} ({existing}). Choose a "
            f"folder you can write to. Received: {what.replace(' ', '_')}={path!r}",
            path=path,
            what=what,
        ) from err


def check_outputs_writable(outputs: Outputs) -> None:
    """Checks, before training, that every requested output can be written (creates nothing).

    Raises:
        tfhub.errors.OutputNotWritableError: naming the first output that cannot be written.
    """
    for path, what, is_dir in (
        (outputs.saved_model_dir, "saved model dir", True),
        (outputs.tflite_output_file, "tflite output file", False),
        (outputs.labels_output_file, "labels output file", False),
        (outputs.summaries_dir, "summaries dir", True),
    ):
        if not path:
            continue
        if os.path.isdir(path) != is_dir and os.path.exists(path):
            kind = "a folder" if is_dir else "a file"
            raise errors.OutputNotWritableError(
                f"The {what} {path} exists and is not {kind}. Remove it or choose another "
                f"path. Received: {what.replace(' ', '_')}={path!r}",
                path=path,
                what=what,
            )
        folder = path if is_dir else os.path.dirname(os.path.abspath(path))
        _check_folder_writable(folder, path, what)


def _temp_name(path: str) -> str:
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f".{name}.tmp-{uuid.uuid4().hex[:12]}")


def write_file_atomically(path: str, data: bytes) -> None:
    """Writes `data` to a temporary file beside `path`, then renames it to `path`."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = _temp_name(path)
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)


@contextlib.contextmanager
def folder_written_atomically(path: str) -> Iterator[str]:
    """Yields a temporary folder beside `path`; on success it replaces `path` (else is removed)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp, old = _temp_name(path), _temp_name(path)
    try:
        yield tmp
        if os.path.isdir(path):
            os.rename(path, old)  # A folder cannot replace a non-empty folder in one step.
        os.rename(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def write_labels(path: str, labels: Sequence[str]) -> None:
    """Writes the labels, one per line (ending with a newline), in prediction order."""
    write_file_atomically(path, "".join(f"{label}\n" for label in labels).encode("utf-8"))


def save_model(model: Any, folder: str) -> None:
    """Saves a Keras model as a SavedModel with `serving_default` (float images -> softmax).

    Keras 3 models go through `model.export`, tf_keras models through `tf.saved_model.save`.
    """
    from ...keras._compat import object_flavour

    if object_flavour(model) == "keras3":
        model.export(folder, format="tf_saved_model", verbose=False)
    else:
        import tensorflow as tf

        tf.saved_model.save(model, folder)


def tflite_bytes(saved_model_dir: str) -> bytes:
    """Converts a SavedModel to a TFLite flatbuffer (builtin ops only, no quantization)."""
    import tensorflow as tf

    return bytes(tf.lite.TFLiteConverter.from_saved_model(saved_model_dir).convert())


def export(
    model: Any, labels: Sequence[str], outputs: Outputs, *, say: Callable[[str], None]
) -> None:
    """Writes the labels file, the SavedModel and the .tflite file that `outputs` ask for.

    A .tflite without a SavedModel is converted from a temporary SavedModel, then removed.
    """
    if outputs.labels_output_file:
        write_labels(outputs.labels_output_file, labels)
        say(f"Labels written to {outputs.labels_output_file}")
    if outputs.saved_model_dir:
        with folder_written_atomically(outputs.saved_model_dir) as tmp:
            save_model(model, tmp)
        say(f"SavedModel model exported to {outputs.saved_model_dir}")
    if outputs.tflite_output_file:
        if outputs.saved_model_dir:
            flatbuffer = tflite_bytes(outputs.saved_model_dir)
        else:
            with tempfile.TemporaryDirectory(prefix="tfhub-classifier-") as scratch:
                save_model(model, os.path.join(scratch, "saved_model"))
                flatbuffer = tflite_bytes(os.path.join(scratch, "saved_model"))
        write_file_atomically(outputs.tflite_output_file, flatbuffer)
        say(f"TFLite model exported to {outputs.tflite_output_file}")
