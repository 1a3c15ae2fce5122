"""TF1 errors keep upstream's builtin class and message start (tfhub's detail comes after).

The class and wording are those of tensorflow_hub 0.10.0's module.py / saved_model_lib.py /
module_v2.py, which existing code catches and tests match on.
"""

from __future__ import annotations

import pickle
from typing import Any

import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf


def _two_outputs_module_fn() -> None:
    x = tf.compat.v1.placeholder(tf.float32, [None], name="x")
    hub.add_signature(inputs=x, outputs={"double": 2 * x, "half": x / 2})
    hub.add_signature("none", outputs={"one": tf.constant(1.0)})
    a = tf.compat.v1.placeholder(tf.float32, [None], name="a")
    b = tf.compat.v1.placeholder(tf.float32, [None], name="b")
    hub.add_signature("pair", inputs={"a": a, "b": b}, outputs=a + b)


@pytest.fixture(scope="module")
def spec() -> Any:
    return hub.create_module_spec(_two_outputs_module_fn)


def _roundtrip(err: BaseException) -> BaseException:
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is type(err) and str(copy) == str(err)
    return copy


def test_no_default_output_without_as_dict_is_a_type_error(spec: Any) -> None:
    with tf.Graph().as_default():
        module = hub.Module(spec)
        with pytest.raises(TypeError) as info:
            module(tf.constant([1.0]))
        assert isinstance(info.value, errors.NoDefaultOutputError)
        assert isinstance(info.value, KeyError | ValueError)  # tfhub's earlier contract too.
        assert str(info.value).startswith("There is no output named 'default'. Use as_dict=True.")
        assert "['double', 'half']" in str(info.value)
        _roundtrip(info.value)
        assert sorted(module(tf.constant([1.0]), as_dict=True)) == ["double", "half"]


def test_input_arity_errors_start_with_upstreams_words(spec: Any) -> None:
    with tf.Graph().as_default():
        module = hub.Module(spec)
        with pytest.raises(TypeError, match=r"^Signature expects no inputs\."):
            module(tf.constant(1.0), signature="none", as_dict=True)
        with pytest.raises(TypeError, match=r"^Signature expects multiple inputs\. Use a dict\."):
            module(tf.constant([1.0]), signature="pair")
        with pytest.raises(TypeError, match=r"^Cannot convert dict_inputs: missing \['b'\]"):
            module({"a": tf.constant([1.0])}, signature="pair")


def test_module_in_another_graph_is_a_runtime_error(spec: Any) -> None:
    with tf.Graph().as_default():
        module = hub.Module(spec)
    with tf.Graph().as_default():
        with pytest.raises(RuntimeError) as info:
            module(tf.constant([1.0]), as_dict=True)
    assert str(info.value).startswith(
        "Module must be applied in the graph it was instantiated for."
    )
    _roundtrip(info.value)


@pytest.mark.parametrize("value", [3.0, "text", [1.0]])
def test_signature_value_of_an_unsupported_type_is_a_type_error(value: Any) -> None:
    def module_fn() -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None])
        hub.add_signature(inputs=x, outputs={"bad": value})

    with pytest.raises(TypeError) as info:
        hub.create_module_spec(module_fn)
    assert isinstance(info.value, errors.SignatureValueTypeError)
    assert isinstance(info.value, ValueError)  # tfhub's ModuleSpecError contract too.
    message = str(info.value)
    assert message.startswith("Value for key 'bad' should be a Tensor or CompositeTensor object")
    assert "should have one of the types" in message
    _roundtrip(info.value)


@pytest.mark.parametrize("handle", [5, None, b"/tmp/model"])
def test_hub_load_of_a_non_string_says_expected_a_string(handle: Any) -> None:
    with pytest.raises(ValueError, match=r"^Expected a string, got ") as info:
        hub.load(handle)
    assert isinstance(info.value, errors.TFHubError)
    _roundtrip(info.value)


def test_spec_lookups_of_missing_variants_and_messages_are_key_errors(spec: Any) -> None:
    with pytest.raises(KeyError) as info:
        spec.get_signature_names(tags={"train"})
    assert isinstance(info.value, errors.UnknownTagsError)  # tfhub's ValueError contract too.
    assert str(info.value).startswith("No such graph variant: tags=['train'].")
    _roundtrip(info.value)
    with pytest.raises(KeyError) as info:
        spec.get_attached_message("nope", tf.train.Int64List, required=True)
    assert isinstance(info.value, errors.MissingAttachedMessageError)
    assert str(info.value).startswith("No attached message for key 'nope'")
    _roundtrip(info.value)
    with tf.Graph().as_default(), pytest.raises(ValueError, match=r"^No such graph variant"):
        hub.Module(spec, tags={"train"})  # hub.Module itself raised ValueError upstream.
