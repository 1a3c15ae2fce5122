"""hub.Module under tf.distribute (rf55a-F2, session 55).

A hub.Module's variables come from importing the module's graph, outside a strategy's variable
creator: under MirroredStrategy they are plain variables, not mirrored ones. Inference works (as
upstream 0.10.0); training fails later in TensorFlow's code ("destinations can not be empty",
as upstream). tfhub says so when a trainable hub.Module is created under such a strategy.

Two logical CPUs must be set before TensorFlow initializes its devices, so the strategies run in
a child process (an earlier test of this process may have initialized them).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests._helpers._across_workers import computed_once
from tests._helpers.python_process import run_python
from tests._helpers.upstream_records import UPSTREAM_DIR

pytestmark = pytest.mark.tf

CHILD = """
    import json, logging, sys
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import tfhub as hub

    tf1 = tf.compat.v1
    module_path = sys.argv[1]
    warned = []

    class Keep(logging.Handler):
        def emit(self, record):
            if record.levelno >= logging.WARNING:
                warned.append(record.getMessage())

    logging.getLogger("tfhub").addHandler(Keep())
    results = {}

    def mirrored():
        return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])

    def case(name, run):
        del warned[:]
        try:
            outcome = run()
        except Exception as err:
            outcome = f"{type(err).__name__}: {err}"
        results[name] = {"outcome": outcome, "warned": list(warned)}

    def train_in_graph():
        with tf.Graph().as_default():
            strategy = mirrored()
            with strategy.scope():
                module = hub.Module(module_path, trainable=True)
                optimizer = tf1.train.GradientDescentOptimizer(0.1)
            strategy.run(
                lambda x: optimizer.minimize(tf.reduce_sum(module(x))), args=(tf.ones([2, 3]),)
            )
            return "trained"

    def eager():
        with mirrored().scope():
            hub.Module(module_path, trainable=True)
        return "made"

    def infer(kind):
        with tf.Graph().as_default():
            if kind == "one device":
                strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
            elif kind == "no strategy":
                strategy = tf.distribute.get_strategy()
            else:
                strategy = mirrored()
            with strategy.scope():
                module = hub.Module(module_path, trainable=kind != "not trainable")
            outputs = strategy.run(module, args=(tf.ones([2, 3]),))
            with tf1.Session() as session:
                session.run(tf1.global_variables_initializer())
                values = session.run(strategy.experimental_local_results(outputs))
            return f"{len(values)} results"

    case("graph training", train_in_graph)
    case("eager", eager)
    for kind in ["not trainable", "one device", "no strategy"]:
        case(kind, lambda: infer(kind))
    print(json.dumps(results))
"""


def _run_child() -> dict[str, Any]:
    done = run_python(CHILD, str(UPSTREAM_DIR / "tf1_multi_sig"), timeout=300)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The child's results (JSON), run by the first pytest worker that asks and read by the
    others (`computed_once`)."""
    return computed_once(tmp_path_factory, __name__, _run_child)


def test_a_trainable_module_under_mirrored_strategy_is_warned_of(results: dict[str, Any]) -> None:
    graph = results["graph training"]
    assert graph["outcome"] == "ValueError: destinations can not be empty"  # TensorFlow's.
    (message,) = graph["warned"]
    assert "MirroredStrategy" in message and "'module'" in message
    assert "not mirrored" in message and "destinations can not be empty" in message
    assert "hub.KerasLayer" in message  # What to do instead.


def test_a_trainable_module_under_mirrored_strategy_is_warned_of_eagerly(
    results: dict[str, Any],
) -> None:
    assert results["eager"]["outcome"] == "made"
    (message,) = results["eager"]["warned"]
    assert "not mirrored" in message


@pytest.mark.parametrize("case", ["not trainable", "one device", "no strategy"])
def test_no_warning_where_nothing_is_mirrored(results: dict[str, Any], case: str) -> None:
    expected = "1 results" if case != "not trainable" else "2 results"  # Inference works.
    assert results[case] == {"outcome": expected, "warned": []}
