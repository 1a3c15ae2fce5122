"""make_image_classifier's outputs given as URLs (rf55f-F1): `--saved_model_dir gs://b/sm`,
`--labels_output_file gs://b/labels.txt` and `--tflite_output_file gs://b/m.tflite` were written
to a local folder named "gs:" in the working folder (`atomic_output` takes local paths only),
and the run said "SavedModel model exported to gs://b/sm" and exited 0. Upstream 0.10.0 wrote
them with tf.io.gfile (make_image_classifier.py:236-253). Session 56 writes them to the bucket
(tests/tools/test_make_image_classifier_gcs_exports_probes56f.py); here, a bucket that cannot
be reached fails before training, naming the flag, and no local "gs:" folder is made. A URL
--summaries_dir is still left to TensorBoard's writer, which reaches gs:// itself as
upstream's did."""

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


@pytest.fixture
def short_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bounds each request to an unreachable bucket (no network here) to 1 + 1 s."""
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "1")
    monkeypatch.setenv("TFHUB_HTTP_RETRY_TIMEOUT", "1")


@pytest.mark.tf
@pytest.mark.parametrize(("field", "url"), URL_OUTPUTS)
def test_an_unreachable_url_output_is_refused_before_training(
    field: str, url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, short_timeouts: None
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(errors.OutputNotWritableError) as caught:
        check_outputs_writable(Outputs(**{field: url}))
    message = str(caught.value)
    assert isinstance(caught.value, OSError)
    assert caught.value.path == url  # type: ignore[attr-defined]
    assert "probe file gs://no-such-bucket-of-tfhub/.tfhub-write-test-" in message, message
    assert message.endswith(f"Received: {field}={url!r}"), message
    assert os.listdir(tmp_path) == []  # No "gs:" folder.


def test_the_writes_refuse_a_url_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """atomic_output writes local paths only: it refuses a URL (`export` sends those to
    `remote_exports`)."""
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
    short_timeouts: None,
) -> None:
    monkeypatch.chdir(tmp_path)
    outputs = Outputs(saved_model_dir="gs://no-such-bucket-of-tfhub/sm")
    with pytest.raises(errors.OutputNotWritableError, match="saved_model_dir"):
        lib.train_and_export(image_modules["fixed"], str(shape_images), HPARAMS, outputs=outputs)
    assert os.listdir(tmp_path) == []


@pytest.mark.tf
def test_an_unreachable_url_summaries_dir_is_an_output_error() -> None:
    """rf55f-F2: TensorBoard's writer failing on a gs:// --summaries_dir (no network, no such
    bucket) was "tfhub: unexpected error: FailedPreconditionError: {{function_node ...}}"."""
    import tensorflow as tf

    logs = "gs://no-such-bucket-of-tfhub/logs"
    message = (
        "{{function_node __wrapped__CreateSummaryFileWriter_device_/job:localhost/replica:0/"
        "task:0/device:CPU:0}} Error executing an HTTP request: libcurl code 6 meaning 'Could "
        "not resolve hostname', error details: Could not resolve host: www.googleapis.com when "
        f"reading {logs}/train/ [Op:CreateSummaryFileWriter] name:"
    )
    err = tf.errors.FailedPreconditionError(None, None, message)
    found = lib._summaries_error(err, logs)
    assert isinstance(found, errors.OutputNotWritableError) and isinstance(found, OSError)
    text = str(found)
    assert text.startswith(f"Cannot write the summaries dir {logs}: "), text
    assert "Could not resolve host: www.googleapis.com" in text and "function_node" not in text
    assert "reach" in text and text.endswith(f"Received: summaries_dir={logs!r}"), text
    assert lib._summaries_error(err, "gs://other-bucket/logs") is None


def test_a_url_summaries_dir_is_never_inside_the_image_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """rf55f-F3: with `--image_dir .`, `--summaries_dir gs://b/logs` was refused as "inside the
    image folder ." (read as the local path ./gs:/b/logs); upstream wrote it to the bucket."""
    from tfhub.tools.make_image_classifier.output_checks import check_outputs_apart_from_images

    monkeypatch.chdir(tmp_path)
    check_outputs_apart_from_images(Outputs(summaries_dir="gs://b/logs"), ".")
