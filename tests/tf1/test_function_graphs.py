"""hub.Module inside function graphs, as upstream supported and tested it (issue 11, item 3).

Upstream's native_module_test.py ran hub.Module inside `function.Defun`, a graph-mode
`tf.function` and `tf.compat.v1.wrap_function` within a TPU replication context (state created
once in the outer graph, unused inputs pruned, control dependencies kept), and documented
wrap_function as the way to run TF1 Hub code under TF2. A tf.function in eager mode (where
every initializer would run on every call) stays refused with a clear error.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from tests._helpers.upstream_records import UPSTREAM_DIR, assert_matches_record
from tests._helpers.upstream_records import record as expected_json
from tests.tf1.conftest import numpy_inputs

tf = pytest.importorskip("tensorflow")
from tensorflow.python.framework import function  # noqa: E402
from tensorflow.python.ops.control_flow_ops import ControlFlowContext  # noqa: E402

import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf
tf1 = tf.compat.v1


class TPUReplicateContext(ControlFlowContext):
    """The control flow context hub.Module detects as TPU (by class name), as upstream's test."""

    def __init__(self) -> None:
        super().__init__()
        self._name = "TPUReplicateContext"

    def AddOp(self, _: Any) -> None:
        pass

    def AddValue(self, value: Any) -> Any:
        return value

    def to_control_flow_context_def(self, context_def: Any, export_scope: Any = None) -> None:
        pass


def _random_state_module_fn() -> None:
    r = tf1.get_variable("rv", shape=[], initializer=tf1.random_uniform_initializer())
    hub.add_signature(outputs=r.value())


def _state_with_input_module_fn() -> None:
    x = tf1.placeholder(tf.float32, shape=[])
    r = tf1.get_variable("rv", shape=[], initializer=tf1.constant_initializer(10.0))
    hub.add_signature(inputs=x, outputs=x + r)


def _unused_input_module_fn() -> None:
    x = tf1.placeholder(tf.int64)
    unused = tf1.placeholder(tf.int64)
    hub.add_signature(inputs={"x": x, "unused": unused}, outputs=x * x)


def _control_dependency_module_fn() -> None:
    dependency = tf.constant(1.0, name="dependency_op")
    with tf.control_dependencies([dependency]):
        result = tf.constant(3.0) + tf.constant(2.0)
    hub.add_signature(outputs=result)


def _in_tpu_context(build: Any) -> Any:
    TPUReplicateContext().Enter()
    return build()


def test_defun_in_tpu_context_initializes_state_once() -> None:
    spec = hub.create_module_spec(_random_state_module_fn)

    @function.Defun()
    def computation() -> Any:
        module = _in_tpu_context(lambda: hub.Module(spec, name="module_", trainable=True))
        return [module(), module()]

    with tf1.Graph().as_default(), tf1.Session() as session:
        outputs = computation()
        assert [v.op.name for v in tf1.global_variables()] == ["module_/rv"]  # Outer graph.
        session.run(tf1.global_variables_initializer())
        first, second = session.run(outputs)
        assert first == second  # One initialization, not one per application.
        assert session.run(outputs) == (first, second)


def test_defun_in_tpu_context_prunes_unused_inputs_and_keeps_control_dependencies() -> None:
    unused_spec = hub.create_module_spec(_unused_input_module_fn)
    dependency_spec = hub.create_module_spec(_control_dependency_module_fn)

    @function.Defun()
    def square(x: Any) -> Any:
        module = _in_tpu_context(lambda: hub.Module(unused_spec, name="module_"))
        return module({"x": tf.cast(x, tf.int64), "unused": tf.constant(2, tf.int64)})

    @function.Defun()
    def five() -> Any:
        return _in_tpu_context(lambda: hub.Module(dependency_spec, name="dependent"))()

    with tf1.Graph().as_default(), tf1.Session() as session:
        assert session.run(square(5)) == 25
        assert session.run(five()) == 5.0
        tf1.get_default_graph().get_operation_by_name("dependent/dependency_op")  # Not pruned.


@pytest.mark.parametrize("wrapper", ["defun", "tf.function", "wrap_function"])
def test_module_with_inputs_in_tpu_functions(wrapper: str) -> None:
    spec = hub.create_module_spec(_state_with_input_module_fn)

    def computation(first: Any, second: Any) -> Any:
        module = _in_tpu_context(lambda: hub.Module(spec, trainable=True))
        return [module(first), module(second)]

    with tf1.Graph().as_default(), tf1.Session() as session:
        if wrapper == "defun":
            outputs = function.Defun(tf.float32, tf.float32)(computation)(9.0, 6.0)
        elif wrapper == "tf.function":
            outputs = tf.function(computation, autograph=False)(9.0, 6.0)
        else:
            scalar = tf.TensorSpec((), tf.float32)
            outputs = tf1.wrap_function(computation, [scalar, scalar])(9.0, 6.0)
        session.run(tf1.global_variables_initializer())
        assert list(session.run(outputs)) == [19.0, 16.0]


def test_collections_in_a_tpu_function_are_upstreams_not_implemented_error() -> None:
    path = str(UPSTREAM_DIR / "tf1_text_vocab")  # Applying it keeps asset_filepaths.

    @function.Defun(tf.string)
    def embed(sentences: Any) -> Any:
        return _in_tpu_context(lambda: hub.Module(path))(sentences)

    with tf1.Graph().as_default():
        with pytest.raises(NotImplementedError, match="^Applying modules with collections"):
            embed(tf.constant(["hello"]))


def test_wrap_function_in_eager_mode_runs_a_text_module() -> None:
    run = next(r for r in expected_json("tf1_text_vocab")["runs"] if r["api"] == "hub.Module")
    path = str(UPSTREAM_DIR / "tf1_text_vocab")
    wrapped = tf1.wrap_function(
        lambda sentences: hub.Module(path)(sentences), [tf.TensorSpec([None], tf.string)]
    )
    graph = wrapped.graph  # As in TF1: run the initializers once, then the function.
    initializers = [v.initializer for v in graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES)]
    wrapped.prune([], initializers + graph.get_collection(tf1.GraphKeys.TABLE_INITIALIZERS))()
    sentences = tf.constant(numpy_inputs(run["inputs"])["sentences"])
    assert_matches_record(wrapped(sentences), run["outputs"]["default"])
    np.testing.assert_allclose(wrapped(sentences).numpy(), wrapped(sentences).numpy())


def test_creating_a_module_in_an_eager_tf_function_stays_refused() -> None:
    spec = hub.create_module_spec(_state_with_input_module_fn)

    @tf.function(autograph=False)
    def apply(x: Any) -> Any:
        return hub.Module(spec)(x)

    with pytest.raises(errors.EagerNotSupportedError, match="re-initialized on every call"):
        apply(tf.constant(1.0))


def test_a_function_graph_logs_upstreams_warning(caplog: pytest.LogCaptureFixture) -> None:
    """Outside TPU, applying a module in a function graph logs upstream's warning, whose words
    code that filters logs matches (tfhub's detail follows)."""
    spec = hub.create_module_spec(_state_with_input_module_fn)
    with caplog.at_level("WARNING", logger="tfhub"):
        tf1.wrap_function(lambda x: hub.Module(spec)(x), [tf.TensorSpec([], tf.float32)])
    messages = [r.getMessage() for r in caplog.records if "hub.Module" in r.getMessage()]
    assert messages, caplog.text
    assert messages[0].startswith("Using `hub.Module` while building a function: "), messages
    assert "This can lead to errors if the function is not pruned." in messages[0]
