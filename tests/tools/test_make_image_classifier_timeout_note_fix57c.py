"""make_image_classifier's note on a partial export (session 57, fix57c) when a remote output's
upload timed out: it said "this run did not write <that output> (an earlier run's file there,
if any, is untouched)", while the error itself said TensorFlow did not say whether it wrote it,
and its request runs on (it may still land). In-process: a local SavedModel, then a file://
labels output that is a FIFO no one reads, whose write (TensorFlow's open) blocks until the
bounded request times out.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tfhub import errors
from tfhub.tools.make_image_classifier import Outputs, export

pytest.importorskip("tensorflow", reason="the exports write through tf.io.gfile")
keras = pytest.importorskip("keras", reason="the classifier is a Keras model")


@pytest.mark.tf
def test_a_partial_export_whose_labels_upload_timed_out_does_not_say_it_left_them_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "0.5")
    monkeypatch.setenv("TFHUB_HTTP_RETRY_TIMEOUT", "0.5")
    fifo = tmp_path / "labels.txt"
    os.mkfifo(fifo)  # A write's open blocks until a reader comes: no answer in time.
    labels = fifo.as_uri()
    outputs = Outputs(saved_model_dir=str(tmp_path / "sm"), labels_output_file=labels)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    try:
        with pytest.raises(errors.OutputTimeoutError) as caught:
            export.export(model, ["a", "b"], outputs, say=lambda line: None)
    finally:  # Lets TensorFlow's blocked open (in its thread) go on, then end.
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        os.close(reader)
    message = str(caught.value)
    assert caught.value.path == labels and (tmp_path / "sm" / "saved_model.pb").exists()
    assert f"This run wrote only the saved model dir {tmp_path / 'sm'}" in message, message
    assert "untouched" not in message, message
    late = f"this run's upload of the labels output file {labels} timed out and may still land"
    assert late in message, message
    assert message.endswith(f"Received: labels_output_file={labels!r}"), message
