"""hub.Module under MirroredStrategy over two logical CPUs: one child runs every case once.

Two logical CPUs must be set before TensorFlow initializes its devices, so these cases run in a
child process (an earlier test of the pytest process may have initialized them). Each child
spent ~5-7 CPU seconds importing TensorFlow and starting the strategy before its few
milliseconds of cases; the cases of tests/tf1/test_distribute_probes55a.py (a trainable module
made under the strategy is warned of) and tests/tf1/test_scope_reentered_probes55a.py (a module
made in the replica function) now share one child, run once per test run (`computed_once`).
Each case makes its own `tf.Graph` (or runs eagerly, "eager"); the distribute cases run first,
as they did alone in their child, and their warnings are the only ones collected.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ._across_workers import computed_once
from .python_process import run_python
from .upstream_records import UPSTREAM_DIR

CHILD = """
    import json, logging, sys
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import tfhub as hub
    from tfhub import errors

    tf1 = tf.compat.v1
    module_path = sys.argv[1]


    def mirrored():
        return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])


    def distribute_cases():
        # tests/tf1/test_distribute_probes55a.py: which cases warn, and how each ends.
        warned = []

        class Keep(logging.Handler):
            def emit(self, record):
                if record.levelno >= logging.WARNING:
                    warned.append(record.getMessage())

        keep = Keep()
        logging.getLogger("tfhub").addHandler(keep)
        results = {}

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
                    lambda x: optimizer.minimize(tf.reduce_sum(module(x))),
                    args=(tf.ones([2, 3]),),
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
        logging.getLogger("tfhub").removeHandler(keep)
        return results


    def replica_cases():
        # tests/tf1/test_scope_reentered_probes55a.py: a module made in the replica function.
        # Any error is recorded, never raised: a crash here would fail the distribute tests too.
        spec = hub.load_module_spec(module_path)
        result = {"error": ["no error was raised", False]}
        with tf.Graph().as_default():
            strategy = mirrored()
            with strategy.scope():
                try:
                    strategy.run(lambda x: hub.Module(spec)(x), args=(tf.ones([1, 3]),))
                except Exception as err:
                    said = str(err)
                    if not isinstance(err, errors.ModuleGraphError):
                        said = f"{type(err).__name__}: {err}"
                    result["error"] = [said, isinstance(err, RuntimeError)]
        try:
            with tf.Graph().as_default():  # The advice: made once, applied by each replica.
                strategy = mirrored()
                with strategy.scope():
                    module = hub.Module(spec)
                    outputs = strategy.run(module, args=(tf.ones([1, 3]),))
                result["replicas"] = len(strategy.experimental_local_results(outputs))
                result["variables"] = len(module.variables)
        except Exception as err:
            result["replicas"] = result["variables"] = f"{type(err).__name__}: {err}"
        return result


    print(json.dumps({"distribute": distribute_cases(), "replica": replica_cases()}))
"""


def _run_child() -> dict[str, Any]:
    done = run_python(CHILD, str(UPSTREAM_DIR / "tf1_multi_sig"), timeout=300)
    return json.loads(done.stdout.strip().splitlines()[-1])


def two_cpu_results(factory: pytest.TempPathFactory, part: str) -> dict[str, Any]:
    """What the child's `part` ("distribute" or "replica") returned, from the one child of the
    test run (the first pytest worker that asks runs it; the others read its JSON).

    Args:
        factory: the fixture's or test's `tmp_path_factory`.
        part: "distribute" (case name -> {"outcome", "warned"}) or "replica" ({"error":
            [message, is a RuntimeError], "replicas", "variables"}). The replica cases record
            any error instead of raising it (a class other than ModuleGraphError is named in
            the message), so the child's JSON always comes back.

    Returns:
        That part's results (JSON data).
    """
    return computed_once(factory, "two-cpus-sp61hubfctf1", _run_child)[part]
