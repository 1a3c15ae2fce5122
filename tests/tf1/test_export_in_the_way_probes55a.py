"""An export into an existing folder where a file stands in the place of a folder the export
makes (or a folder where it writes a file) (rf55a-F4, session 55).

Module.export raised TensorFlow's bare FailedPreconditionError ("<path>/variables is not a
directory") after it had copied the assets into the user's folder; as for a file at `path` or
above it, tfhub refuses it first: ExportWriteError (an ExportError and an OSError) naming the
file, nothing written.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests._helpers.upstream_records import UPSTREAM_DIR

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf
tf1 = tf.compat.v1


def _export(path: Path) -> None:
    with tf.Graph().as_default():
        module = hub.Module(str(UPSTREAM_DIR / "tf1_text_vocab"))
        with tf1.Session() as session:
            session.run([tf1.global_variables_initializer(), tf1.tables_initializer()])
            module.export(str(path), session)


@pytest.mark.parametrize(
    ("entry", "kind"),
    [("variables", "file"), ("assets", "file"), ("saved_model.pb", "folder")],
)
def test_an_entry_in_the_way_is_refused_before_anything_is_written(
    tmp_path: Path, entry: str, kind: str
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "notes.txt").write_text("the user's")
    if kind == "file":
        (folder / entry).write_text("x")
    else:
        (folder / entry).mkdir()
    with pytest.raises(errors.ExportWriteError) as info:
        _export(folder)
    assert isinstance(info.value, OSError)
    message = str(info.value)
    assert f"{folder / entry} is a {kind}" in message and f"Received: path='{folder}'" in message
    assert sorted(os.listdir(folder)) == sorted(["notes.txt", entry])  # Nothing written.
    (folder / entry).unlink() if kind == "file" else (folder / entry).rmdir()
    _export(folder)  # Once moved away, the export works.
    assert (folder / "tfhub_module.pb").is_file()
