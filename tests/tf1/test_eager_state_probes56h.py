"""An eager hub.Module's state updates run inside a tf.function as in an eager call (rf56b-F2,
session 56): an assign that a signature's output has a control dependency on (not in
UPDATE_OPS) ran on every eager call, but inside a tf.function only when that output was used."""

from __future__ import annotations

from typing import Any

import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402

pytestmark = pytest.mark.tf
tf1 = tf.compat.v1


def _counting_fn() -> None:
    counter = tf1.get_variable(
        "counter", [], tf.int64, initializer=tf1.zeros_initializer(), trainable=False
    )
    x = tf1.placeholder(tf.float32, [None, 3])
    with tf.control_dependencies([tf1.assign_add(counter, 1)]):
        y = tf.identity(x * 2.0)
    hub.add_signature("count", inputs=x, outputs={"y": y, "n": counter.read_value()})


@pytest.fixture(scope="module")
def module(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = str(tmp_path_factory.mktemp("counting") / "module")
    with tf.Graph().as_default():
        graph_module = hub.Module(hub.create_module_spec(_counting_fn))
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            graph_module.export(path, session)
    return hub.Module(path)


def _count(module: Any) -> int:
    return int(module.variable_map["counter"].numpy())


def test_eager_calls_run_the_update(module: Any) -> None:
    x = tf.ones([1, 3])
    before = _count(module)
    for _ in range(2):
        module(x, signature="count", as_dict=True)
    assert _count(module) - before == 2


@pytest.mark.parametrize("used", [["n"], ["y"], ["y", "n"], []])
def test_a_tf_function_runs_the_update_whatever_output_it_uses(
    module: Any, used: list[str]
) -> None:
    @tf.function
    def call(x: Any) -> Any:
        outputs = module(x, signature="count", as_dict=True)
        return [outputs[key] for key in used] or tf.constant(0)

    x = tf.ones([1, 3])
    before = _count(module)
    call(x)
    call(x)
    assert _count(module) - before == 2, f"using {used}"
