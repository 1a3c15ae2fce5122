"""Names that become TensorFlow name scopes when a TF1 module is applied in a graph (session 49):
a module name whose own part starts with a digit (review49a-F4: created, then a bare KeyError or
re.error at the first application), a name scope starting with a digit around the application
(re.error in tfhub's prepend_name_scope), and signature names with characters TensorFlow refuses
in a scope (review49a-F5: a space, a non-ASCII letter, "/")."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf
tf1 = tf.compat.v1

_NAMES = ["my sig", "résumé", "a/b", "x:y", "1sig"]


def _weighted_fn() -> None:
    x = tf1.placeholder(tf.float32, [None])
    w = tf1.get_variable("w", [], initializer=tf1.ones_initializer())
    hub.add_signature(inputs=x, outputs=x * w)


def _named_signatures_fn() -> None:
    x = tf1.placeholder(tf.float32, [None])
    for index, name in enumerate(_NAMES):
        hub.add_signature(name, inputs=x, outputs=x + index)


@pytest.mark.parametrize(
    ("outer", "name", "part"),
    [("encoders", "2019", "'2019', in the scope 'encoders/2019/'"), (None, "a/1b", "'1b'")],
)
def test_a_module_name_whose_own_part_starts_with_a_digit_is_refused(outer, name, part):
    spec = hub.create_module_spec(_weighted_fn)
    with tf.Graph().as_default():
        with tf1.variable_scope(outer or ""):
            with pytest.raises(errors.ArgumentError, match="a name that starts with a digit") as e:
                hub.Module(spec, name=name)
    assert part in str(e.value) and f"Received: name={name!r}" in str(e.value)


def test_a_top_level_scope_starting_with_a_digit_keeps_its_message():
    spec = hub.create_module_spec(_weighted_fn)
    with tf.Graph().as_default():
        with pytest.raises(errors.ArgumentError, match=r"starts with a digit \('1abc/'\)"):
            hub.Module(spec, name="1abc")


def test_a_module_applied_under_a_name_scope_starting_with_a_digit():
    spec = hub.create_module_spec(_weighted_fn)
    with tf.Graph().as_default():
        module = hub.Module(spec)
        with tf.name_scope("3d"):
            out = module(np.array([2.0], np.float32))
        assert out.name.startswith("3d/module_apply_default/")
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            assert session.run(out).tolist() == [2.0]


@pytest.mark.parametrize("name", _NAMES)
def test_every_signature_name_add_signature_takes_applies_in_a_graph(name):
    spec = hub.create_module_spec(_named_signatures_fn)
    with tf.Graph().as_default():
        out = hub.Module(spec)(np.ones([1], np.float32), signature=name)
        with tf1.Session() as session:
            assert session.run(out).tolist() == [1.0 + _NAMES.index(name)]


def test_every_signature_name_works_in_eval_function_for_module():
    spec = hub.create_module_spec(_named_signatures_fn)
    with hub.eval_function_for_module(spec) as run:
        for index, name in enumerate(_NAMES):
            assert run(np.ones([1], np.float32), signature=name).tolist() == [1.0 + index]
