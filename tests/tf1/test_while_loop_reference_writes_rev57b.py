"""A hub.Module whose graph WRITES a TF1 reference variable, applied inside a tf.while_loop body.

fix57e let a module with reference variables be applied in a while_loop body (control flow v2)
by reading each such variable just outside the loop. A module op that writes the variable
(`assign_add`, an optimizer's apply op) needs the variable itself, not a read: the import then
failed with TensorFlow's bare ValueError "Input 0 of node .../AssignAdd was passed float from
..._read_for_loop:0 incompatible with expected float_ref", which names a node tfhub made up and
says nothing of what to do. It raises ControlFlowModuleError (a RuntimeError, as upstream 0.10.0
refused any application in a branch graph) naming the op and the variable, and saying what to
do. A module that only reads its reference variables, and one that writes a resource variable,
still work in the loop.
"""

from __future__ import annotations

import pickle

import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf
v1 = tf.compat.v1


def _counting_module_fn(use_resource: bool) -> None:
    x = v1.placeholder(tf.float32, [])
    v = v1.get_variable(
        "v", [], initializer=v1.constant_initializer(10.0), use_resource=use_resource
    )
    update = v1.assign_add(v, 1.0)
    with tf.control_dependencies([update]):
        hub.add_signature(inputs=x, outputs=x + tf.identity(v))


def _loop(module) -> object:
    body = lambda i, x: (i + 1, module(x))  # noqa: E731
    # One iteration at a time: in a session the loop is lowered to TF1 control flow, which runs
    # up to 10 iterations at once, and the next iteration's assign_add (which needs nothing of
    # the loop's values) could run before this one's read: 38 instead of 36, seen under load.
    return tf.while_loop(lambda i, x: i < 3, body, [tf.constant(0), 0.0], parallel_iterations=1)[1]


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> str:
    """The reference-variable module exported to a folder (its graph as read from disk)."""
    path = str(tmp_path_factory.mktemp("counting") / "module")
    spec = hub.create_module_spec(_counting_module_fn, [([], {"use_resource": False})])
    with tf.Graph().as_default():
        module = hub.Module(spec)
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            module.export(path, session)
    return path


@pytest.mark.parametrize("source", ["in memory", "folder"])
def test_a_module_writing_a_reference_variable_is_refused_in_a_while_loop(
    source: str, exported: str
) -> None:
    if source == "folder":
        spec = hub.load_module_spec(exported)
    else:
        spec = hub.create_module_spec(_counting_module_fn, [([], {"use_resource": False})])
    with tf.Graph().as_default():
        module = hub.Module(spec)
        with pytest.raises(errors.ControlFlowModuleError) as caught:
            _loop(module)
    message = str(caught.value)
    assert isinstance(caught.value, RuntimeError)
    assert "AssignAdd" in message and "'v'" in message and "while_loop" in message
    assert "use_resource=True" in message and "outside" in message
    again = pickle.loads(pickle.dumps(caught.value))
    assert type(again) is type(caught.value) and str(again) == message


def test_a_module_writing_a_reference_variable_still_works_outside_the_loop() -> None:
    spec = hub.create_module_spec(_counting_module_fn, [([], {"use_resource": False})])
    with tf.Graph().as_default():
        module = hub.Module(spec)
        out = module(1.0)
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            assert session.run(out) == 12.0


def test_a_module_writing_a_resource_variable_still_runs_in_the_loop() -> None:
    spec = hub.create_module_spec(_counting_module_fn, [([], {"use_resource": True})])
    with tf.Graph().as_default():
        module = hub.Module(spec)
        total = _loop(module)
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            assert session.run(total) == 36.0  # 11 + 12 + 13.
