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
