"""hub.Module under tf.distribute (rf55a-F2, session 55).

A hub.Module's variables come from importing the module's graph, outside a strategy's variable
creator: under MirroredStrategy they are plain variables, not mirrored ones. Inference works (as
upstream 0.10.0); training fails later in TensorFlow's code ("destinations can not be empty",
as upstream). tfhub says so when a trainable hub.Module is created under such a strategy.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from tests._helpers.upstream_records import UPSTREAM_DIR

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402

pytestmark = pytest.mark.tf
tf1 = tf.compat.v1
MODULE = str(UPSTREAM_DIR / "tf1_multi_sig")
LOGGER = "tfhub.tf1.module_checks"


@pytest.fixture(scope="module", autouse=True)
def two_cpus() -> None:
    cpus = tf.config.list_physical_devices("CPU")
    try:
        tf.config.set_logical_device_configuration(
            cpus[0], [tf.config.LogicalDeviceConfiguration()] * 2
        )
    except RuntimeError:  # Already initialized by an earlier test of this process.
        pass
    if len(tf.config.list_logical_devices("CPU")) < 2:
        pytest.skip("needs 2 logical CPUs; TensorFlow was initialized with one earlier")


def _mirrored() -> Any:
    return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno >= 30]


def test_a_trainable_module_under_mirrored_strategy_is_warned_of(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    with tf.Graph().as_default():
        strategy = _mirrored()
        with strategy.scope():
            module = hub.Module(MODULE, trainable=True)
            optimizer = tf1.train.GradientDescentOptimizer(0.1)
        with pytest.raises(ValueError, match="destinations can not be empty"):  # TensorFlow's.
            strategy.run(
                lambda x: optimizer.minimize(tf.reduce_sum(module(x))), args=(tf.ones([2, 3]),)
            )
    (message,) = _warnings(caplog)
    assert "MirroredStrategy" in message and "'module'" in message
    assert "not mirrored" in message and "destinations can not be empty" in message
    assert "hub.KerasLayer" in message  # What to do instead.


def test_a_trainable_module_under_mirrored_strategy_is_warned_of_eagerly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    with _mirrored().scope():
        hub.Module(MODULE, trainable=True)
    (message,) = _warnings(caplog)
    assert "not mirrored" in message


@pytest.mark.parametrize("case", ["not trainable", "one device", "no strategy"])
def test_no_warning_where_nothing_is_mirrored(caplog: pytest.LogCaptureFixture, case: str) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    with tf.Graph().as_default():
        if case == "one device":
            strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
        elif case == "no strategy":
            strategy = tf.distribute.get_strategy()
        else:
            strategy = _mirrored()
        with strategy.scope():
            module = hub.Module(MODULE, trainable=case != "not trainable")
        outputs = strategy.run(module, args=(tf.ones([2, 3]),))  # Inference works.
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            session.run(strategy.experimental_local_results(outputs))
    assert _warnings(caplog) == []
