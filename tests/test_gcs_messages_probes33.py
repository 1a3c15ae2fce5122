"""A gs:// path TensorFlow cannot read is one line: TensorFlow's reason without the
"\\n\\t when reading <path>" it appends (the message names the path already)."""

from __future__ import annotations

import pytest

from tfhub import errors
from tfhub.resolvers import gcs


@pytest.mark.tf
def test_tensorflows_multi_line_reason_is_one_line() -> None:
    import tensorflow as tf

    path = "gs://no-such-bucket/m.tar.gz"
    reason = (
        "Error executing an HTTP request: libcurl code 6 meaning 'Could not resolve hostname', "
        "error details: Could not resolve host: storage.googleapis.com"
    )
    # What tf.io.gfile.exists raised for this path with no network (TF 2.21).
    raised = tf.errors.UnavailableError(None, None, f"{reason}\n\t when reading {path}")
    err = gcs.unreadable_error(path, raised)
    assert isinstance(err, errors.DownloadError) and isinstance(err, OSError)
    message = str(err)
    assert "\n" not in message and "\t" not in message, message
    assert message == (
        f"Cannot read {path}: {reason}. Check the path, your network and your access to it (the "
        "credentials in GOOGLE_APPLICATION_CREDENTIALS)."
    )
