"""`hub.export_layer` onto a file keeps its plain ExportWriteError (no TensorFlow class: it is
tfhub's own API, upstream had none), while a TF1 module's export there is
`ExportNotADirectoryError`; both say to move the file, not to fix permissions (rev57d)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests._helpers.upstream_records import UPSTREAM_DIR

tf = pytest.importorskip("tensorflow")
pytestmark = pytest.mark.tf

import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

TF2_MODEL = os.fspath(UPSTREAM_DIR / "tf2_saved_model")


def test_export_layer_onto_a_file_is_a_plain_export_write_error(tmp_path: Path) -> None:
    layer = hub.KerasLayer(TF2_MODEL)
    notes = tmp_path / "notes.txt"
    notes.write_text("x")
    with pytest.raises(errors.ExportWriteError) as caught:  # (Onto it: an ExportError.)
        hub.export_layer(layer, os.fspath(notes / "k"))
    assert type(caught.value) is errors.ExportWriteError
    assert not isinstance(caught.value, tf.errors.OpError)
    message = str(caught.value)
    assert f"{notes} is a file, not a folder" in message
    assert "Remove or rename it, or choose another folder, and export again" in message
    assert "permissions" not in message, message
    assert notes.read_text() == "x"
