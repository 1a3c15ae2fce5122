"""An eager hub.Module of a module whose variables are TF1 reference variables (fix54e-F7).

TF1 made `tf.compat.v1.get_variable` reference variables by default (`use_resource=False`), so
many TF1 Hub modules hold them. TensorFlow's eager loader (`load_v2`, which the eager hub.Module
uses) makes no Python object of such a variable: `m.variables` and, with `trainable=True`,
`m.trainable_variables` were silently empty, so a GradientTape training loop changed nothing
(hub.KerasLayer logs an error for the same case). Now the eager module logs a warning naming the
variables and saying to fine-tune it in a graph; in a graph they work as before.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402

pytestmark = pytest.mark.tf
v1 = tf.compat.v1


def _module_fn() -> None:
    x = v1.placeholder(tf.float32, [None, 2])
    w = v1.get_variable("w", [2, 1], use_resource=False, initializer=v1.ones_initializer())
    hub.add_signature(inputs=x, outputs=tf.matmul(x, w))


@pytest.fixture(scope="module")
def ref_module(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("ref") / "module")
    with tf.Graph().as_default():
        module = hub.Module(hub.create_module_spec(_module_fn))
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            module.export(path, session)
    return path


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """tfhub's own warnings (TensorFlow's loader logs its own, once per variable)."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith("tfhub")
    ]


def test_trainable_eager_module_of_reference_variables_says_it_cannot_train(
    ref_module: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        module = hub.Module(ref_module, trainable=True)
    assert module.trainable_variables == []  # What TensorFlow's eager loader allows.
    (message,) = [m for m in _warnings(caplog) if "reference variable" in m]
    assert "trainable=True" in message and "'w'" in message
    assert "with tf.Graph().as_default():" in message  # What to do instead.
    assert ref_module in message
    assert module(tf.ones([1, 2])).numpy().tolist() == [[2.0]]  # It still runs.


def test_not_trainable_it_says_nothing(ref_module: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        hub.Module(ref_module)
    assert not [m for m in _warnings(caplog) if "reference variable" in m]


def test_a_module_of_resource_variables_says_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def resource_fn() -> None:
        x = v1.placeholder(tf.float32, [None, 2])
        w = v1.get_variable("w", [2, 1], use_resource=True)
        hub.add_signature(inputs=x, outputs=tf.matmul(x, w))

    with caplog.at_level(logging.WARNING, logger="tfhub"):
        module: Any = hub.Module(hub.create_module_spec(resource_fn), trainable=True)
    assert [v.name for v in module.trainable_variables] == ["w:0"]
    assert not [m for m in _warnings(caplog) if "reference variable" in m]


def test_in_a_graph_reference_variables_train(ref_module: str) -> None:
    with tf.Graph().as_default():
        module = hub.Module(ref_module, trainable=True)
        assert [v.name for v in module.trainable_variables] == ["module/w:0"]
