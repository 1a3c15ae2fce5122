"""ModuleSpec.export(checkpoint_path=...) of a checkpoint whose data file is missing (a copy
that left it behind): its index is there, so fix57e's check let it pass, and the export failed
at the restore with TensorFlow's bare NotFoundError "Graph execution error" (naming no file).
It raises ExportCheckpointNotFoundError (also that tf.errors.NotFoundError, as upstream let
through) naming the missing file, before anything is written; a complete checkpoint exports.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf
v1 = tf.compat.v1


def _module_fn() -> None:
    x = v1.placeholder(tf.float32, [])
    v = v1.get_variable("v", [], initializer=v1.constant_initializer(10.0))
    hub.add_signature(inputs=x, outputs=x + v)


@pytest.fixture(scope="module")
def spec() -> object:
    return hub.create_module_spec(_module_fn)


def _checkpoint(folder: Path) -> str:
    with tf.Graph().as_default():
        v1.get_variable("v", [], initializer=v1.constant_initializer(3.0))
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            return v1.train.Saver().save(session, str(folder / "model.ckpt"))


@pytest.mark.parametrize("given", ["prefix", "folder"])
def test_a_checkpoint_without_its_data_file_names_it(spec, tmp_path, given) -> None:
    prefix = _checkpoint(tmp_path / "ckpt")
    os.remove(f"{prefix}.data-00000-of-00001")
    path = prefix if given == "prefix" else str(tmp_path / "ckpt")
    with pytest.raises(errors.ExportCheckpointNotFoundError) as caught:
        spec.export(str(tmp_path / "out"), checkpoint_path=path)
    err = caught.value
    assert isinstance(err, tf.errors.NotFoundError) and isinstance(err, ValueError)
    assert "ckpt/model.ckpt.data-* is missing" in str(err), str(err)
    assert err.path == path and f"checkpoint_path={path!r}" in str(err)
    assert not (tmp_path / "out").exists()
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is type(err) and str(copy) == str(err)


def test_a_complete_checkpoint_still_exports(spec, tmp_path) -> None:
    prefix = _checkpoint(tmp_path / "ckpt")
    spec.export(str(tmp_path / "out"), checkpoint_path=prefix)
    with tf.Graph().as_default():
        out = hub.Module(str(tmp_path / "out"))(1.0)
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            assert session.run(out) == 4.0
