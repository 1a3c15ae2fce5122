"""Probes of session 56 (fix56h): the argument and backend an error names are the user's."""

from __future__ import annotations

from pathlib import Path

import pytest
import tensorflow as tf
from tests._helpers.python_process import REPO_ROOT, child_env, run_python

import tfhub as hub
from tfhub import errors

_MODEL = str(REPO_ROOT / "tests/data/upstream/tf2_saved_model")


def test_hub_load_names_its_own_options_argument() -> None:
    """hub.load(P, options=SaveOptions()) named "KerasLayer's load_options"; the user called
    hub.load, whose argument is `options`."""
    with pytest.raises(errors.ArgumentTypeError) as caught:
        hub.load(_MODEL, options=tf.saved_model.SaveOptions())
    message = str(caught.value)
    assert "KerasLayer" not in message and "load_options" not in message
    assert message.startswith("options must be a tf.saved_model.LoadOptions")
    assert "Received: options=" in message


_BACKEND_SCRIPT = r"""
import sys

sys.modules["jax"] = None  # Not installed, whatever this machine has.
from tfhub import errors
from tfhub.utils import lazy

try:
    lazy.import_optional("keras", purpose="hub.KerasLayer")
except errors.MissingDependencyError as err:
    print(err)
"""


def test_the_numpy_backend_is_named_with_the_package_it_needs(tmp_path: Path) -> None:
    """KERAS_BACKEND=numpy without jax: Keras's numpy backend imports jax, and the error said
    "the backend it is set to, jax"; the user set numpy."""
    done = run_python(_BACKEND_SCRIPT, env=child_env(KERAS_BACKEND="numpy"))
    assert "the backend it is set to, numpy, which needs jax, which is not installed: " in (
        done.stdout
    )
    assert "KERAS_BACKEND=numpy names it." in done.stdout
    (tmp_path / "keras.json").write_text('{"backend": "numpy"}')
    env = child_env(KERAS_HOME=str(tmp_path))
    env.pop("KERAS_BACKEND", None)
    done = run_python(_BACKEND_SCRIPT, env=env)
    assert "the backend it is set to, numpy, which needs jax, which is not installed: " in (
        done.stdout
    )
