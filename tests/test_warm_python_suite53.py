"""run_warm_python: TF_USE_LEGACY_KERAS counts as TensorFlow reads it (suite53). TensorFlow picks
tf_keras when it is `1`, `true` or `True` and Keras 3 for any other value or none: programs that
set it to `0` share the server of those that leave it unset (a server's start costs ~5 CPU-s
per pytest worker), and still get Keras 3 where a fresh interpreter does."""

from __future__ import annotations

import pytest
from tests._helpers import python_process
from tests._helpers.warm_python import run_warm_python

pytestmark = pytest.mark.tf

# The program's server: its monitor's parent (the program's grandparent), and the Keras that
# `from tensorflow.keras import ...` gives it.
_SERVER_AND_KERAS = """
import os
from tensorflow.keras import layers
monitor = os.getppid()
with open(f"/proc/{monitor}/stat") as stat:
    server = int(stat.read().rsplit(")", 1)[1].split()[1])
print(server, layers.Dense.__module__.split(".")[0])
"""


def _server_and_keras(**env: str) -> tuple[str, str]:
    done = run_warm_python(_SERVER_AND_KERAS, env=python_process.child_env(**env))
    server, keras = done.stdout.split()
    return server, keras


def test_legacy_keras_0_and_unset_share_a_server_and_get_keras_3() -> None:
    unset_server, unset_keras = _server_and_keras()
    zero_server, zero_keras = _server_and_keras(TF_USE_LEGACY_KERAS="0")
    empty_server, empty_keras = _server_and_keras(TF_USE_LEGACY_KERAS="")
    assert zero_server == unset_server == empty_server
    assert unset_keras == zero_keras == empty_keras == "keras"


def test_legacy_keras_spellings_tensorflow_accepts_share_a_server_of_their_own() -> None:
    one_server, one_keras = _server_and_keras(TF_USE_LEGACY_KERAS="1")
    true_server, true_keras = _server_and_keras(TF_USE_LEGACY_KERAS="true")
    assert one_server == true_server != _server_and_keras()[0]
    assert one_keras == true_keras == "tf_keras"
