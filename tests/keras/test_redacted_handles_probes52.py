"""hub.KerasLayer keeps a handle's credentials out of its repr and its log lines (rf52a-F2).

A handle may carry credentials (`https://user:secret@host/m.tar.gz`, a signed URL's
`?token=...`); tfhub's errors redact them (src/tfhub/utils/redact.py: "every message, log line,
descriptor and listing shows ***"). The layer's repr (printed, and quoted by Keras's own
errors) and its log lines (the "zero trainable weights" ERROR, which Python's logging prints to
stderr even unconfigured, and the warning about `arguments={'training': ...}`) showed them.
"""

from __future__ import annotations

import logging
import os

import numpy as np
import pytest
from tests._helpers.models import make_tarball

pytestmark = [pytest.mark.tf]

SECRET = "s3cretpass52"


def _save_model_without_variables(path: str) -> str:
    import tensorflow as tf

    class Doubler(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def __call__(self, x):
            return x * 2.0

    tf.saved_model.save(Doubler(), path)
    return path


def test_repr_and_log_lines_hide_the_handles_credentials(
    flavour, model_dir, served_dir, server, tmp_path, caplog
):
    no_variables = _save_model_without_variables(os.fspath(tmp_path / "no_variables"))
    make_tarball(no_variables, os.fspath(served_dir / "no_variables.tar.gz"))
    make_tarball(model_dir["tf2"], os.fspath(served_dir / "tf2.tar.gz"))
    with_userinfo = server.url("no_variables.tar.gz").replace("://", f"://user:{SECRET}@")
    signed = server.url("tf2.tar.gz") + f"?token={SECRET}"

    with caplog.at_level(logging.INFO, logger="tfhub"):
        frozen_in_error = flavour.layer(with_userinfo, trainable=True)
        frozen_in_error(np.ones((2, 3), np.float32))  # Logs "zero trainable weights".
        training_given = flavour.layer(signed, trainable=True, arguments={"training": True})
    shown = [repr(frozen_in_error), repr(training_given), caplog.text]

    assert "zero trainable weights" in caplog.text
    assert "training=True" in caplog.text
    for text in shown:
        assert SECRET not in text, text
    assert "http://***@127.0.0.1" in repr(frozen_in_error)
    assert "token=***" in repr(training_given)
    # The config keeps the handle as given: loading the saved model downloads it again.
    assert frozen_in_error.get_config()["handle"] == with_userinfo
