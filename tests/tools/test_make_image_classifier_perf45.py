"""make_image_classifier's early validation pass starts before `fit` (`reading_ahead`): the
validation images are read while the model is built and compiled and Keras traces the train
function; a failure before or in `fit` stops the reading."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest
from tests._helpers import image_sets

from tfhub.tools import image_folders
from tfhub.tools.make_image_classifier import callbacks, get_default_hparams, lib, training

pytestmark = [pytest.mark.tf]

WAIT = 30.0  # Seconds: a bound for a thread that should act at once, not a synchronisation.


def _signalling_dataset(entered: threading.Event, release: threading.Event, reads: list[int]):
    """A dataset that counts its passes in `reads`, sets `entered` when one begins, and yields
    its first element once `release` is set; then elements without end."""
    import tensorflow as tf

    def elements() -> Iterator[int]:
        reads.append(1)
        entered.set()
        release.wait(WAIT)
        index = 0
        while True:
            yield index
            index += 1

    return tf.data.Dataset.from_generator(
        elements, output_signature=tf.TensorSpec([], tf.int64)
    ).batch(2)


def _pass_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "tfhub-validation-pass" and t.is_alive()]


def test_reading_ahead_starts_the_pass_on_entry_and_fit_starts_no_second_one() -> None:
    import keras

    entered, release, reads = threading.Event(), threading.Event(), []
    valid = _signalling_dataset(entered, release, reads).take(3)
    early = callbacks.early_validation_pass(keras, valid)
    check = callbacks.unreadable_files_check(keras, store=None)  # type: ignore[arg-type]
    with callbacks.reading_ahead((check, early)):
        assert entered.wait(WAIT), "the pass did not start on entry"
        early.on_train_begin()  # What `fit` calls: the pass is running, none is added.
        release.set()
        early.on_test_begin()  # Waits for the pass.
    assert reads == [1]
    assert early.thread is None


def test_reading_ahead_stops_the_pass_when_the_block_fails() -> None:
    import keras

    entered, release, reads = threading.Event(), threading.Event(), []
    early = callbacks.early_validation_pass(keras, _signalling_dataset(entered, release, reads))
    with pytest.raises(ZeroDivisionError), callbacks.reading_ahead((early,)):
        assert entered.wait(WAIT)
        release.set()  # The pass now reads a dataset without end.
        raise ZeroDivisionError("compile failed")
    assert early.thread is None
    assert not _pass_threads(), "the pass reads on after the failure"


def test_a_pass_started_ahead_keeps_its_error_for_fit() -> None:
    import keras
    import tensorflow as tf

    broken = tf.data.Dataset.from_tensor_slices(["/no/such/file"]).map(tf.io.read_file)
    early = callbacks.early_validation_pass(keras, broken)
    with callbacks.reading_ahead((early,)):
        with pytest.raises(tf.errors.NotFoundError):
            early.on_test_begin()


def test_the_tool_reads_the_validation_images_before_fit_starts(
    tmp_path, image_modules, monkeypatch
) -> None:
    # Through train_on_module: when fit starts, the validation pass is already running (or
    # done), started before the model was built and compiled.
    made = image_sets.make_image_folder(tmp_path / "images", per_class=10, sizes=((40, 40),))
    handle = image_modules["fixed"]  # The session's 32x32 module (read only).
    hparams = get_default_hparams()._replace(train_epochs=1, batch_size=4)
    strategy = lib.NoStrategy()
    module = lib.load_module(handle, hparams, strategy, bottlenecks=True)
    files = image_folders.list_image_files(str(tmp_path / "images"))
    seen: list[bool] = []
    real_train_model = training.train_model

    def train_model(*args, callbacks=(), **kwargs):  # The tool's own, after a look.
        early = [c for c in callbacks if hasattr(c, "stopping")]
        seen.append(len(early) == 1 and early[0].thread is not None)
        return real_train_model(*args, callbacks=callbacks, **kwargs)

    monkeypatch.setattr(training, "train_model", train_model)
    _, labels, history = training.train_on_module(module, files, hparams, strategy, seed=0)
    assert seen == [True]
    assert labels == tuple(sorted(made))
    assert np.isfinite(history.history["val_loss"][-1])
    assert not _pass_threads()
