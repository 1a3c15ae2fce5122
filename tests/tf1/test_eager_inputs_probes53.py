"""An eager value passed to a hub.Module made in a graph (rf53a-F2, session 53).

A TF2 program makes its inputs eagerly by default; one made before `with tf.Graph().as_default():`
and passed to a module of that graph cannot be used there. tensorflow_hub 0.10.0 let TensorFlow's
RuntimeError through ("Attempting to capture an EagerTensor without building a function.";
NotImplementedError, a RuntimeError, for a sparse tensor); tfhub turned it into a
SignatureInputError (a TypeError and ValueError, not a RuntimeError) quoting TensorFlow's words.
"""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf
v1 = tf.compat.v1


def _module_fn() -> None:
    x = v1.placeholder(tf.float32, [None, 3], name="x")
    hub.add_signature(inputs=x, outputs=x * 2)
    sparse = v1.sparse_placeholder(tf.int64, [None, None], name="sparse")
    hub.add_signature("sparse", inputs=sparse, outputs=tf.sparse.reduce_sum(sparse, axis=1))
    ragged = tf.RaggedTensor.from_row_splits(
        v1.placeholder(tf.int32, [None], name="values"),
        v1.placeholder(tf.int64, [None], name="splits"),
        validate=False,
    )
    hub.add_signature("ragged", inputs={"r": ragged}, outputs=ragged * 2)


@pytest.fixture(scope="module")
def spec() -> Any:
    return hub.create_module_spec(_module_fn)


EAGER_VALUES = {
    "tensor": (lambda: tf.ones([1, 3]), None, "default"),
    "variable": (lambda: tf.Variable(tf.ones([1, 3])), None, "default"),
    "sparse": (
        lambda: tf.SparseTensor([[0, 0]], tf.constant([3], tf.int64), [1, 2]),
        "sparse",
        "default",
    ),
    "ragged": (lambda: {"r": tf.ragged.constant([[1, 2], [3]])}, "ragged", "r"),
}


@pytest.mark.parametrize("kind", sorted(EAGER_VALUES))
def test_an_eager_input_raises_upstreams_runtime_error_saying_what_to_do(
    spec: Any, kind: str
) -> None:
    make, signature, key = EAGER_VALUES[kind]
    value = make()  # Eager: made before the graph.
    with tf.Graph().as_default() as graph:
        module = hub.Module(spec)
        before = len(graph.get_operations())
        with pytest.raises(errors.EagerInputError) as info:
            module(value, signature=signature, as_dict=True)
        assert len(graph.get_operations()) == before  # Refused before anything was added.
    err = info.value
    assert isinstance(err, RuntimeError)  # As upstream's TensorFlow error.
    assert isinstance(err, errors.SignatureInputError) and isinstance(err, TypeError)
    message = str(err)
    assert f"Input '{key}' of signature '{signature or 'default'}' is made eagerly" in message
    assert "with graph.as_default():" in message and "numpy" in message
    assert "Attempting to capture" not in message  # TensorFlow's jargon, said in plain words.
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is type(err) and str(copy) == message


def test_numpy_values_and_tensors_of_the_graph_still_work(spec: Any) -> None:
    eager = tf.ones([1, 3])
    with tf.Graph().as_default():
        module = hub.Module(spec)
        from_numpy = module(eager.numpy())
        from_graph = module(tf.constant([[1.0, 2.0, 3.0]]))
        with v1.Session() as session:
            got = session.run([from_numpy, from_graph])
    np.testing.assert_allclose(got[0], [[2.0, 2.0, 2.0]])
    np.testing.assert_allclose(got[1], [[2.0, 4.0, 6.0]])


def test_an_eager_input_is_captured_in_a_wrapped_function(spec: Any) -> None:
    """A function graph (tf.compat.v1.wrap_function) captures an eager value, as before."""
    eager = tf.constant([[1.0, 2.0, 3.0]])
    wrapped = v1.wrap_function(lambda: hub.Module(spec)(eager), [])
    np.testing.assert_allclose(wrapped().numpy(), [[2.0, 4.0, 6.0]])
