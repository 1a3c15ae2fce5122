"""A TF1 module's export to a path that is a file, or below one, is also upstream's error.

tensorflow_hub 0.10.0's `Module.export` / `ModuleSpec.export` (and so its
`LatestModuleExporter`) let TensorFlow's `tf.errors.FailedPreconditionError` ("<file> is not a
directory") through there (fix57e, checked with the 0.10.0 wheel on TF 2.21). tfhub refuses it
before writing, with an `ExportWriteError` naming the file; for a TF1 export that is now
`ExportNotADirectoryError`, also the FailedPreconditionError, so `except tf.errors.OpError`
written for upstream keeps catching it. `hub.export_layer` (no upstream) keeps the plain class.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import tensorflow as tf

import tfhub as hub
from tfhub import errors
from tfhub.utils.refused_writes import check_no_file_in_the_way

pytestmark = pytest.mark.tf


def _targets(tmp_path: Path) -> list[Path]:
    notes = tmp_path / "notes.txt"
    notes.write_text("x")
    return [notes, notes / "module"]


def _check(err: BaseException, target: Path, argument: str, file: Path) -> None:
    assert type(err) is errors.ExportNotADirectoryError
    assert isinstance(err, errors.ExportWriteError) and isinstance(err, OSError)
    assert isinstance(err, tf.errors.FailedPreconditionError)
    message = str(err)
    assert message.startswith(f"Cannot write the export to {target}: {file} is a file")
    assert message.endswith(f"Received: {argument}={str(target)!r}")
    assert err.message == message and err.path == str(target)  # type: ignore[attr-defined]
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is type(err) and str(again) == message and vars(again) == vars(err)


def test_tf1_check_raises_the_failed_precondition_class(tmp_path: Path) -> None:
    for target in _targets(tmp_path):
        with pytest.raises(tf.errors.FailedPreconditionError) as caught:
            check_no_file_in_the_way(str(target), argument="path", tf1=True)
        _check(caught.value, target, "path", tmp_path / "notes.txt")


def test_other_exports_keep_the_plain_class(tmp_path: Path) -> None:
    # hub.export_layer's check (upstream had no such function): not a TensorFlow error.
    for target in _targets(tmp_path):
        with pytest.raises(errors.ExportWriteError) as caught:
            check_no_file_in_the_way(str(target), argument="export_dir")
        assert type(caught.value) is errors.ExportWriteError


class _Estimator:
    """What LatestModuleExporter needs of an estimator; the export is refused before its
    model_fn would run."""

    model_dir = ""
    params: dict[str, object] = {}
    config = None

    def model_fn(self, features: object, labels: object, mode: str, params: object) -> None:
        raise AssertionError("the export should be refused before building the graph")


def _serving_input_fn() -> None:
    raise AssertionError("the export should be refused before building the graph")


def test_latest_module_exporter_raises_the_failed_precondition_class(tmp_path: Path) -> None:
    exporter = hub.LatestModuleExporter("tf_hub", _serving_input_fn)
    for target in _targets(tmp_path):
        with pytest.raises(tf.errors.FailedPreconditionError) as caught:
            exporter.export(_Estimator(), str(target))
        _check(caught.value, target, "export_path", tmp_path / "notes.txt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
