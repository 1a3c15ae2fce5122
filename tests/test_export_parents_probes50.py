"""A failed `hub.LatestModuleExporter.export` removes the folders it made (review50d-F4)."""

from __future__ import annotations

import os
import types

import pytest

tf = pytest.importorskip("tensorflow")

import tfhub as hub  # noqa: E402

pytestmark = [pytest.mark.tf]
v1 = tf.compat.v1


def _linear_fn() -> None:
    x = v1.placeholder(tf.float32, [None, 2])
    w = v1.get_variable("w", [2, 1], initializer=v1.zeros_initializer())
    hub.add_signature(inputs=x, outputs=tf.matmul(x, w))


class _FailingAfterWriting:
    """A registered module whose export writes the module, then fails."""

    def __init__(self, module: object) -> None:
        self.module = module

    def export(self, path: str, session: object) -> None:
        self.module.export(path, session)  # type: ignore[attr-defined]
        raise RuntimeError("second module failed")


def _estimator(model_dir: str) -> object:
    spec = hub.create_module_spec(_linear_fn)

    def model_fn(features, labels, mode, params):
        first = hub.Module(spec, name="a")
        second = hub.Module(spec, name="b")
        hub.register_module_for_export(first, "a")
        hub.register_module_for_export(_FailingAfterWriting(second), "b")
        step = v1.train.get_or_create_global_step()
        outputs = first(features["x"]) + second(features["x"])
        return types.SimpleNamespace(predictions=outputs, scaffold=None, train_op=step)

    with tf.Graph().as_default():
        model_fn({"x": tf.zeros([1, 2])}, None, "train", {})
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            v1.train.Saver().save(session, os.path.join(model_dir, "model.ckpt"), 1)
    return types.SimpleNamespace(model_fn=model_fn, config=None, params={}, model_dir=model_dir)


def _export(estimator: object, export_path: str) -> None:
    exporter = hub.LatestModuleExporter(
        "tf_hub", lambda: {"x": v1.placeholder(tf.float32, [None, 2])}
    )
    with pytest.raises(RuntimeError, match="second module failed"):
        exporter.export(estimator, export_path)


def test_a_second_modules_failure_removes_the_export_path_the_export_made(tmp_path):
    """review50d-F4: the first module's export made `exports/deeper`; the second one's failure
    removed only `temp-<timestamp>`, leaving `exports/deeper` behind."""
    estimator = _estimator(os.fspath(tmp_path / "model"))
    _export(estimator, os.fspath(tmp_path / "exports" / "deeper"))
    assert sorted(os.listdir(tmp_path)) == ["model"]


def test_a_failed_export_keeps_the_folders_that_were_there_or_hold_something_else(tmp_path):
    """Only folders the export made, and only while empty, are removed."""
    estimator = _estimator(os.fspath(tmp_path / "model"))
    (tmp_path / "exports").mkdir()
    _export(estimator, os.fspath(tmp_path / "exports" / "deeper"))
    assert os.listdir(tmp_path / "exports") == []
    (tmp_path / "exports" / "other").mkdir()
    _export(estimator, os.fspath(tmp_path / "exports"))
    assert os.listdir(tmp_path / "exports") == ["other"]
