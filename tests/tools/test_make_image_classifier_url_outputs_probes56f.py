"""rf56f-F3: a gs:// --labels_output_file or --tflite_output_file ending with a slash
(`gs://b/out/`) was uploaded as GCS's folder marker `out/` holding the file's bytes (a folder
to TensorFlow's file system: nothing reads it back as the labels), and the run said "Labels
written to gs://b/out/". A local path spelled so is refused before training
(`output_errors.refuse_folder_spelling`); a URL now is too, before any request."""

from __future__ import annotations

import sys

import pytest

from tfhub import errors
from tfhub.tools.make_image_classifier import Outputs
from tfhub.tools.make_image_classifier.output_checks import check_outputs_writable


@pytest.mark.parametrize("field", ["labels_output_file", "tflite_output_file"])
def test_a_url_file_output_spelled_as_a_folder_is_refused_before_any_request(field: str) -> None:
    url = "gs://no-such-bucket-of-tfhub/out/"
    had_tensorflow = "tensorflow" in sys.modules
    with pytest.raises(errors.OutputNotWritableError) as caught:
        check_outputs_writable(Outputs(**{field: url}))
    message = str(caught.value)
    assert "ends with a slash" in message and "out/NAME" in message, message
    assert message.endswith(f"Received: {field}={url!r}"), message
    assert ("tensorflow" in sys.modules) == had_tensorflow  # No request: TensorFlow not needed.


@pytest.mark.tf
def test_a_probe_that_cannot_be_removed_says_so(
    tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """rf56f-F4: a bucket that takes new objects but refuses deletes (GCS's objectCreator role)
    cannot take the export (it replaces saved_model.pb, and moves files: a copy then a delete);
    the check said it "failed to write the probe file", which it had written, and left it."""
    import tensorflow as tf

    from tfhub import gfile_io

    def refused(path: str) -> None:
        raise tf.errors.PermissionDeniedError(None, None, "403: no storage.objects.delete access")

    monkeypatch.setattr(gfile_io._writes, "remove", refused)
    monkeypatch.setattr(gfile_io, "remove", refused, raising=False)
    url = f"{tmp_path.as_uri()}/labels.txt"  # type: ignore[attr-defined]
    with pytest.raises(errors.OutputNotWritableError) as caught:
        check_outputs_writable(Outputs(labels_output_file=url))
    message = str(caught.value)
    assert "failed to remove the probe file" in message, message
    assert "no storage.objects.delete access" in message and "delete" in message, message
    [left] = [path.name for path in tmp_path.iterdir()]  # type: ignore[attr-defined]
    assert left in message and "remove it" in message, message
