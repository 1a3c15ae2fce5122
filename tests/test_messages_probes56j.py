"""The Keras config file a missing-backend error reads and names is the one Keras reads
(rev56j-F2, session 56): with KERAS_HOME set, even to "" (Keras then reads ./keras.json), Keras
takes it as it is; tfhub took "" for unset and read and named ~/.keras/keras.json."""

from __future__ import annotations

from pathlib import Path

from tests._helpers.python_process import child_env, run_python

_SCRIPT = r"""
import os
import sys

os.chdir(sys.argv[1])
sys.modules["jax"] = None  # Not installed, whatever this machine has.
from tfhub import errors
from tfhub.utils import lazy

try:
    lazy.import_optional("keras", purpose="hub.KerasLayer")
except errors.MissingDependencyError as err:
    print(err)
"""


def test_an_empty_keras_home_names_the_config_file_keras_reads(tmp_path: Path) -> None:
    (tmp_path / "keras.json").write_text('{"backend": "numpy"}')
    env = child_env(KERAS_HOME="")
    env.pop("KERAS_BACKEND", None)
    done = run_python(_SCRIPT, str(tmp_path), env=env)
    assert "the backend it is set to, numpy, which needs jax, which is not installed: " in (
        done.stdout
    )
    assert '"backend" in keras.json names it.' in done.stdout
