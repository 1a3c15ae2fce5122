"""`Module.export` and `ModuleSpec.export` paths: bytes (as upstream's exporter passed them),
pathlib paths, and the empty path, which must not write a module into the working directory."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf

X = np.array([[1.0, 2.0]], np.float32)


def _module_fn() -> None:
    x = tf.compat.v1.placeholder(tf.float32, [None, 2])
    w = tf.compat.v1.get_variable("w", initializer=np.array([[2.0], [3.0]], np.float32))
    hub.add_signature(inputs=x, outputs=tf.matmul(x, w))


@pytest.fixture(scope="module")
def spec() -> hub.ModuleSpec:
    return hub.create_module_spec(_module_fn)


def _output_of(path: Path) -> np.ndarray:
    return hub.Module(os.fspath(path))(X).numpy()


@pytest.mark.parametrize("kind", [bytes, Path])
def test_graph_module_exports_to_bytes_and_pathlib_paths(spec, tmp_path, kind) -> None:
    target = tmp_path / "module"
    with tf.Graph().as_default():
        module = hub.Module(spec)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            module.export(os.fsencode(target) if kind is bytes else target, session)
    np.testing.assert_allclose(_output_of(target), [[8.0]])


def test_eager_module_and_spec_export_to_bytes_paths(spec, tmp_path) -> None:
    hub.Module(spec).export(os.fsencode(tmp_path / "eager"))
    np.testing.assert_allclose(_output_of(tmp_path / "eager"), [[8.0]])
    with tf.Graph().as_default():
        hub.Module(spec, name="encoder")
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            prefix = saver.save(session, os.fspath(tmp_path / "ckpt" / "model"))
    spec.export(
        os.fsencode(tmp_path / "from_checkpoint"),
        checkpoint_path=prefix,
        name_transform_fn=lambda name: "encoder/" + name,
    )
    np.testing.assert_allclose(_output_of(tmp_path / "from_checkpoint"), [[8.0]])


def test_empty_path_is_refused_and_nothing_lands_in_the_working_directory(
    spec, tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(errors.ExportError, match="export path is empty"):
        hub.Module(spec).export("")
    with tf.Graph().as_default():
        module = hub.Module(spec)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            with pytest.raises(ValueError, match=r"Received: path=b''"):
                module.export(b"", session)
    with pytest.raises(errors.ExportError, match="export path is empty"):
        spec.export("", checkpoint_path="unused")
    assert os.listdir(tmp_path) == []


def test_path_of_another_type_is_a_type_error(spec) -> None:
    with pytest.raises(TypeError, match="Received: path=7 of type int") as caught:
        hub.Module(spec).export(7)
    assert isinstance(caught.value, errors.ArgumentTypeError)


def test_export_errors_show_a_folder_name_with_terminal_escapes_escaped(spec, tmp_path) -> None:
    # The folder's name went into ModuleExistsError's and ExportWriteError's messages raw:
    # printed, it retitled the terminal (the repr after "Received:" was escaped already).
    odd = "a\x1b]0;owned\x07b"
    hub.Module(spec).export(tmp_path / odd)
    with pytest.raises(errors.ModuleExistsError) as exists:
        hub.Module(spec).export(tmp_path / odd)
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(errors.ExportWriteError) as refused:
        hub.Module(spec).export(tmp_path / "notes.txt" / odd)
    for message in (str(exists.value), str(refused.value)):
        assert "\x1b" not in message and "\x07" not in message, message
        assert "a\\x1b]0;owned\\x07b" in message, message
