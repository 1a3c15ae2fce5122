"""A module applied in a graph refuses an input tensor of another graph (review49a-F8, session
49): the module's graph is imported with its inputs mapped by tensor name, so such an input was
silently replaced by this graph's own tensor of that name ("Const:0"), or failed with a bare
ValueError naming neither the module nor the input."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf
tf1 = tf.compat.v1


def _double_fn() -> None:
    x = tf1.placeholder(tf.float32, [None])
    hub.add_signature(inputs=x, outputs=x * 2)


def test_an_input_of_another_graph_is_refused_not_replaced_by_a_namesake():
    spec = hub.create_module_spec(_double_fn)
    other = tf.Graph()
    with other.as_default():
        features = tf.constant([100.0, 200.0])  # "Const:0" of another graph.
    with tf.Graph().as_default():
        tf.constant([1.0, 2.0])  # "Const:0" of this graph.
        module = hub.Module(spec)
        with pytest.raises(errors.SignatureInputError) as info:
            module(features)
    err = info.value
    assert isinstance(err, ValueError) and isinstance(err, TypeError)
    assert str(err).startswith("Input 'default' of signature 'default' is a tensor of another")


def test_an_input_of_another_graph_without_a_namesake_is_refused():
    spec = hub.create_module_spec(_double_fn)
    other = tf.Graph()
    with other.as_default():
        lonely = tf.identity(tf.constant([1.0]), name="lonely")
    with tf.Graph().as_default():
        with pytest.raises(errors.SignatureInputError, match="another graph"):
            hub.Module(spec)(lonely)


def test_an_input_of_the_outer_graph_works_inside_a_cond_branch():
    spec = hub.create_module_spec(_double_fn)
    with tf.Graph().as_default():
        module = hub.Module(spec)
        features = tf.constant([1.0, 2.0])
        out = tf.cond(tf.constant(True), lambda: module(features), lambda: features)
        with tf1.Session() as session:
            assert session.run(out).tolist() == [2.0, 4.0]


def test_numpy_and_this_graph_tensors_still_work():
    spec = hub.create_module_spec(_double_fn)
    with tf.Graph().as_default():
        module = hub.Module(spec)
        a = module(np.array([1.0], np.float32))
        b = module(tf.constant([3.0]))
        with tf1.Session() as session:
            assert session.run([a, b]) == [[2.0], [6.0]]
