"""An output of the tools that hits the file-size limit (EFBIG: `ulimit -f`, or a file system's
own bound such as FAT32's 4 GiB) is an OutputNotWritableError saying so (rf53c-F1): a file
written by Python told users to "Choose a folder you can write to." (the folder was writable),
and a SavedModel written by TensorFlow (whose OUT_OF_RANGE error says "File too large") was
"tfhub: unexpected error: OutOfRangeError: <the hidden temporary's path>; File too large".

Python ignores SIGXFSZ: a write past the limit fails with EFBIG instead of killing the process.
The limit is set only around the write, so pytest's own files are not limited."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest
from tests._helpers.limits import file_size_limit

from tfhub import errors
from tfhub.tools import atomic_output

LIMIT = 1024  # Bytes a file may grow to while the limit holds.


def _file_size_limit(limit: int = LIMIT) -> contextlib.AbstractContextManager[None]:
    """Files may not grow past `limit` bytes in this block (as `ulimit -f`)."""
    return file_size_limit(limit)


def _says_the_limit(message: str) -> None:
    assert "file-size limit (`ulimit -f`)" in message, message
    assert "Choose a folder you can write to" not in message, message
    assert "\n" not in message


def test_a_file_output_past_the_file_size_limit_says_so(tmp_path: Path) -> None:
    target = tmp_path / "out" / "labels.txt"
    with pytest.raises(errors.OutputNotWritableError) as caught, _file_size_limit():
        atomic_output.write_file(os.fspath(target), b"x" * (4 * LIMIT), what="labels output file")
    assert isinstance(caught.value, OSError)
    message = str(caught.value)
    assert message.startswith(f"Cannot write the labels output file {target}: File too large. ")
    _says_the_limit(message)
    assert message.endswith(f"Received: labels_output_file={os.fspath(target)!r}")
    assert not (tmp_path / "out").exists()  # No temporary, no created parent left.


@pytest.mark.tf
def test_a_saved_model_past_the_file_size_limit_says_so(tmp_path: Path) -> None:
    import tensorflow as tf

    module = tf.Module()
    module.weights = tf.Variable(tf.zeros([4 * LIMIT]))  # 16 KB of variables.
    target = tmp_path / "sm"
    with pytest.raises(errors.OutputNotWritableError) as caught:
        with (
            atomic_output.write_folder(os.fspath(target), what="saved model dir") as folder,
            _file_size_limit(),
        ):
            tf.saved_model.save(module, folder)
    message = str(caught.value)
    assert message.startswith(f"Cannot write the saved model dir {target}: "), message
    _says_the_limit(message)
    assert not target.exists() and os.listdir(tmp_path) == []  # No hidden temporary left.


@pytest.mark.tf
def test_a_tflite_file_whose_temporary_saved_model_is_past_the_limit_says_so(
    tmp_path: Path,
) -> None:
    """A .tflite file without --saved_model_dir is converted from a temporary SavedModel written
    beside it: past the limit, that said "Choose a folder you can write to." at best."""
    import importlib

    from tfhub.keras._compat import keras_package
    from tfhub.tools.make_image_classifier.export import Outputs, export

    keras = importlib.import_module(keras_package())  # The flavour the tool trains with.
    model = keras.Sequential([keras.Input((4 * LIMIT,)), keras.layers.Dense(3)])  # 48 KB.
    target = tmp_path / "model.tflite"
    with pytest.raises(errors.OutputNotWritableError) as caught, _file_size_limit():
        export(model, ("a", "b", "c"), Outputs(tflite_output_file=os.fspath(target)), say=print)
    message = str(caught.value)
    assert message.startswith(f"Cannot write the tflite output file {target}: the temporary ")
    _says_the_limit(message)
    assert os.listdir(tmp_path) == []  # No hidden temporary left.
