"""`Module.export` / `ModuleSpec.export` to a path that is a file, or below one, raise the
`tf.errors.FailedPreconditionError` tensorflow_hub 0.10.0 let through ("... is not a
directory"; fix57e, measured with the 0.10.0 wheel): `ExportNotADirectoryError`, also an
ExportWriteError naming the file, before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest
import tensorflow as tf

import tfhub as hub
from tfhub import errors

pytestmark = pytest.mark.tf


def _module_fn() -> None:
    x = tf.compat.v1.placeholder(tf.float32, [None])
    scale = tf.compat.v1.get_variable("scale", [], initializer=tf.compat.v1.ones_initializer())
    hub.add_signature(inputs=x, outputs=x * scale)


@pytest.fixture(scope="module")
def spec() -> object:
    return hub.create_module_spec(_module_fn)


@pytest.mark.parametrize("below", [False, True])
def test_graph_module_export_onto_a_file(spec: object, tmp_path: Path, below: bool) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("x")
    target = notes / "module" if below else notes
    with tf.Graph().as_default():
        module = hub.Module(spec)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            with pytest.raises(tf.errors.FailedPreconditionError) as caught:
                module.export(str(target), session)
    assert type(caught.value) is errors.ExportNotADirectoryError
    assert str(caught.value).startswith(f"Cannot write the export to {target}: {notes} is a")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_eager_module_export_onto_a_file(spec: object, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("x")
    with pytest.raises(tf.errors.FailedPreconditionError) as caught:
        hub.Module(spec).export(str(notes / "module"))
    assert type(caught.value) is errors.ExportNotADirectoryError
