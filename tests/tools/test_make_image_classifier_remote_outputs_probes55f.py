"""make_image_classifier's outputs given as URLs (rf55f-F1): `--saved_model_dir gs://b/sm`,
`--labels_output_file gs://b/labels.txt` and `--tflite_output_file gs://b/m.tflite` were written
to a local folder named "gs:" in the working folder (`atomic_output` takes local paths only),
and the run said "SavedModel model exported to gs://b/sm" and exited 0. Upstream 0.10.0 wrote
them with tf.io.gfile (make_image_classifier.py:236-253). They are now refused before training,
naming the flag and saying to write locally and copy; a URL --summaries_dir is still left to
TensorBoard's writer, which reaches gs:// itself as upstream's did."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tfhub import errors
from tfhub.tools import atomic_output
from tfhub.tools.make_image_classifier import Outputs, get_default_hparams, lib
from tfhub.tools.make_image_classifier.output_checks import check_outputs_writable

HPARAMS = get_default_hparams()._replace(train_epochs=1, batch_size=8)

URL_OUTPUTS = [
    ("saved_model_dir", "gs://no-such-bucket-of-tfhub/sm"),
    ("labels_output_file", "gs://no-such-bucket-of-tfhub/labels.txt"),
    ("tflite_output_file", "gs://no-such-bucket-of-tfhub/m.tflite"),
]


@pytest.mark.parametrize(("field", "url"), URL_OUTPUTS)
def test_a_url_output_is_refused_before_training(
    field: str, url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(errors.OutputNotWritableError) as caught:
        check_outputs_writable(Outputs(**{field: url}))
    message = str(caught.value)
    assert isinstance(caught.value, OSError)
    assert caught.value.path == url  # type: ignore[attr-defined]
    assert "local path" in message and "copy" in message, message
    assert message.endswith(f"Received: {field}={url!r}"), message
    assert os.listdir(tmp_path) == []  # No "gs:" folder.


def test_the_writes_refuse_a_url_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`export` (also called on its own) writes through atomic_output: it refuses a URL."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(errors.OutputNotWritableError, match="local path"):
        atomic_output.write_file("gs://b/labels.txt", b"a\n", what="labels output file")
    with pytest.raises(errors.OutputNotWritableError, match="local path"):
        with atomic_output.write_folder("gs://b/sm", what="saved model dir"):
            pass
    assert os.listdir(tmp_path) == []


def test_a_url_summaries_dir_is_left_to_tensorboard() -> None:
    check_outputs_writable(Outputs(summaries_dir="gs://no-such-bucket-of-tfhub/logs"))


@pytest.mark.tf
def test_train_and_export_writes_no_local_gs_folder(
    shape_images: Path,
    image_modules: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    outputs = Outputs(saved_model_dir="gs://no-such-bucket-of-tfhub/sm")
    with pytest.raises(errors.OutputNotWritableError, match="saved_model_dir"):
        lib.train_and_export(image_modules["fixed"], str(shape_images), HPARAMS, outputs=outputs)
    assert os.listdir(tmp_path) == []
