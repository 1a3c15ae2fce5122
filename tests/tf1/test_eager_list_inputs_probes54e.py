"""A list of tensors that do not stack, passed to an eager hub.Module (fix54e-F1, session 54).

A list (or tuple) given for one input is stacked into one tensor, as `tf.convert_to_tensor`
stacks it. In a graph, parts of different shapes make TensorFlow raise a ValueError (what
tensorflow_hub 0.10.0 let through), which tfhub words as a SignatureInputError; eagerly, the
same stacking raised TensorFlow's bare `InvalidArgumentError` ("Shapes of all inputs must match
... [Op:Pack]"), naming neither the input nor the signature, and no ValueError.
"""

from __future__ import annotations

import pickle
from typing import Any

import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf
v1 = tf.compat.v1


def _module_fn() -> None:
    x = v1.placeholder(tf.float32, [None, 3], name="x")
    hub.add_signature(inputs=x, outputs=x * 2)
    a = v1.placeholder(tf.float32, [None], name="a")
    b = v1.placeholder(tf.float32, [None], name="b")
    hub.add_signature("pair", inputs={"a": a, "b": b}, outputs=a + b)


@pytest.fixture(scope="module")
def module() -> Any:
    return hub.Module(hub.create_module_spec(_module_fn))  # Eagerly (TF2's default).


def test_a_list_of_tensors_that_do_not_stack_is_a_signature_input_error(module: Any) -> None:
    with pytest.raises(errors.SignatureInputError) as caught:
        module([tf.ones([1, 3]), tf.ones([2, 3])])
    assert isinstance(caught.value, ValueError)  # What upstream's graph call raised.
    message = str(caught.value)
    assert message.startswith("Can't convert 'default' of signature 'default': ")
    assert "Shapes of all inputs must match" in message  # TensorFlow's words, kept.
    assert "a list is stacked into one tensor" in message
    assert "pass one tensor" in message and "shape (None, 3)" in message
    assert "function_node" not in message  # TensorFlow's op jargon left out.
    assert isinstance(pickle.loads(pickle.dumps(caught.value)), errors.SignatureInputError)


def test_a_list_in_a_dict_of_inputs_names_its_key(module: Any) -> None:
    with pytest.raises(errors.SignatureInputError) as caught:
        module({"a": [tf.ones([1]), tf.ones([2])], "b": tf.ones([1])}, signature="pair")
    assert str(caught.value).startswith("Can't convert 'a' of signature 'pair': ")


def test_the_same_call_in_a_graph_says_the_same(module: Any) -> None:
    with tf.Graph().as_default():
        graph_module = hub.Module(hub.create_module_spec(_module_fn))
        with pytest.raises(errors.SignatureInputError) as caught:
            graph_module([tf.ones([1, 3]), tf.ones([2, 3])])
    assert "a list is stacked into one tensor" in str(caught.value)


def test_a_list_that_stacks_still_works(module: Any) -> None:
    rows = [tf.constant([1.0, 2.0, 3.0]), tf.constant([4.0, 5.0, 6.0])]
    assert module(rows).numpy().tolist() == [[2.0, 4.0, 6.0], [8.0, 10.0, 12.0]]
