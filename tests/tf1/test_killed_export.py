"""A `Module.export` killed (SIGKILL) half-way leaves no module that loads, an error that says
what happened, and a folder the next export can write."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from tests._helpers.warm_python import run_warm_python

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf

# The child exports the module to argv[1] and kills itself just before it writes argv[2] there.
_CHILD = """
import os, signal, sys
import numpy as np
import tensorflow as tf
import tfhub as hub
from tfhub.tf1 import saved_model_lib

target, last_file = sys.argv[1], sys.argv[2]
real_write = saved_model_lib.atomic_write

def write(path, contents, *, overwrite):
    if path == os.path.join(target, last_file):
        os.kill(os.getpid(), signal.SIGKILL)
    real_write(path, contents, overwrite=overwrite)

saved_model_lib.atomic_write = write

def module_fn():
    x = tf.compat.v1.placeholder(tf.float32, [None, 2])
    w = tf.compat.v1.get_variable("w", initializer=np.array([[2.0], [3.0]], np.float32))
    hub.add_signature(inputs=x, outputs=tf.matmul(x, w))

hub.Module(hub.create_module_spec(module_fn)).export(target)
"""


def _killed_export(target: Path, before: str) -> None:
    done = run_warm_python(_CHILD, os.fspath(target), before, check=False)
    assert done.returncode == -9, done.stderr


def _module_fn() -> None:
    x = tf.compat.v1.placeholder(tf.float32, [None, 2])
    w = tf.compat.v1.get_variable("w", initializer=np.array([[2.0], [3.0]], np.float32))
    hub.add_signature(inputs=x, outputs=tf.matmul(x, w))


@pytest.mark.parametrize(
    ("before", "says"),
    [
        ("saved_model.pb", "it has neither tfhub_module.pb nor saved_model.pb"),
        ("tfhub_module.pb", "it is a TF1 SavedModel.*interrupted.*export it again"),
    ],
)
def test_killed_export_does_not_load_and_can_be_redone(tmp_path, before, says) -> None:
    target = tmp_path / "module"
    _killed_export(target, before)
    assert target.is_dir()
    with pytest.raises(errors.NotATF1ModuleError, match=says):
        hub.Module(os.fspath(target))
    hub.Module(hub.create_module_spec(_module_fn)).export(os.fspath(target))
    output = hub.Module(os.fspath(target))(np.array([[1.0, 1.0]], np.float32))
    np.testing.assert_allclose(output.numpy(), [[5.0]])


def test_a_tf2_saved_model_is_still_called_one(tmp_path) -> None:
    tf.saved_model.save(tf.Module(), os.fspath(tmp_path))
    with pytest.raises(errors.NotATF1ModuleError, match="it is a TF2 SavedModel. Load it"):
        hub.load_module_spec(os.fspath(tmp_path))
