"""`hub.attach_image_module_info` of something that is no protocol message (review49c F5c).

Upstream serialized the argument and failed with AttributeError ("'dict' object has no attribute
'SerializeToString'"); tfhub raised ModuleSpecError, a ValueError only, which neither `except
AttributeError` nor `except TypeError` caught. Another protocol message stays a ModuleSpecError
(upstream attached it; tests/test_docstring_promises_models_probes35.py).
"""

from __future__ import annotations

import pickle
from typing import Any

import pytest

import tfhub as hub
from tfhub import errors

pytestmark = pytest.mark.tf
tf = pytest.importorskip("tensorflow")


def _module_fn(image_module_info: Any) -> Any:
    def module_fn() -> None:
        images = tf.compat.v1.placeholder(tf.float32, [None, 8, 8, 3])
        hub.add_signature(inputs={"images": images}, outputs=tf.reduce_mean(images, [1, 2]))
        hub.attach_image_module_info(image_module_info)

    return module_fn


@pytest.mark.parametrize("value", [{"height": 8}, None, "8x8", [8, 8]], ids=repr)
def test_attaching_a_non_message_is_an_attribute_and_type_error(value: Any) -> None:
    with pytest.raises(AttributeError) as info:
        hub.create_module_spec(_module_fn(value))
    err = info.value
    assert isinstance(err, TypeError) and isinstance(err, errors.ArgumentTypeError)
    assert isinstance(err, ValueError)  # As the ModuleSpecError it was.
    assert "hub.ImageModuleInfo" in str(err)
    assert str(err).endswith(f"Received: image_module_info of type {type(value).__name__}")
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is type(err) and str(again) == str(err)


def test_another_protocol_message_stays_a_module_spec_error() -> None:
    with pytest.raises(errors.ModuleSpecError, match="of type Int64List") as info:
        hub.create_module_spec(_module_fn(tf.train.Int64List(value=[1])))
    assert not isinstance(info.value, TypeError | AttributeError)
