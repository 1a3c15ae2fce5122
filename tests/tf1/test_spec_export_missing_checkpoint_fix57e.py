"""ModuleSpec.export with a checkpoint_path that names no checkpoint.

tensorflow_hub 0.10.0 (run on TensorFlow 2.21 in a child, graph mode) let TensorFlow's errors
through: `tf.errors.NotFoundError` ("Unsuccessful TensorSliceReader constructor: Failed to find
any matching files for ...") for a prefix without files, a ValueError ("Couldn't find
'checkpoint' file or checkpoints in given directory ...") for a folder without a checkpoint.
tfhub's `ExportError` (a ValueError) says what to pass, but was not that NotFoundError, so an
`except tf.errors.NotFoundError` (or `OpError`) written for upstream missed the wrong prefix.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf


def _module_fn() -> None:
    x = tf.compat.v1.placeholder(tf.float32, [None])
    hub.add_signature(inputs=x, outputs=x * tf.compat.v1.get_variable("w", initializer=2.0))


@pytest.fixture(scope="module")
def spec() -> object:
    return hub.create_module_spec(_module_fn)


def test_a_prefix_without_files_raises_upstreams_not_found_error(spec, tmp_path: Path) -> None:
    prefix = str(tmp_path / "nothere" / "model.ckpt")
    with pytest.raises(tf.errors.NotFoundError) as caught:
        spec.export(str(tmp_path / "module"), checkpoint_path=prefix)
    err = caught.value
    assert isinstance(err, errors.ExportError) and isinstance(err, ValueError)
    assert isinstance(err, errors.ExportCheckpointNotFoundError) and err.path == prefix
    assert str(err).startswith(f"There is no checkpoint at {prefix}. Pass the prefix")
    assert "Failed to find any matching files" in str(err.__cause__)
    assert not (tmp_path / "module").exists()
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is type(err) and (copy.path, str(copy)) == (err.path, str(err))


def test_a_folder_without_a_checkpoint_stays_a_value_error(spec, tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    with pytest.raises(errors.ExportError, match="There is no checkpoint at") as caught:
        spec.export(str(tmp_path / "module"), checkpoint_path=str(folder))
    assert isinstance(caught.value, ValueError)  # As TensorFlow's load_checkpoint raised.
    assert not isinstance(caught.value, tf.errors.OpError)
