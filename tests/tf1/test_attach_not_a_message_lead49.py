"""hub.attach_message and hub.attach_image_module_info of something that is no message instance
raise NotAMessageError: the TypeError (a message class: "needs an argument") or AttributeError
(a dict, None) upstream's serialization raised, one class for one mistake (review49f-F5: a
ModuleSpecError, a ValueError only; the ImageModuleInfo class was told about hub.attach_message
and tf.train.Int64List)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf


def _spec_calling(call: Callable[[], Any]) -> None:
    def module_fn() -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None])
        hub.add_signature(inputs=x, outputs=x)
        call()

    hub.create_module_spec(module_fn)


@pytest.mark.parametrize(
    ("call", "named", "example"),
    [
        (lambda: hub.attach_message("info", tf.train.Int64List), "class Int64List", "Int64List("),
        (lambda: hub.attach_message("info", {"a": 1}), "type dict", "Int64List("),
        (
            lambda: hub.attach_image_module_info(hub.ImageModuleInfo),
            "class ImageModuleInfo",
            "hub.ImageModuleInfo()",
        ),
        (lambda: hub.attach_image_module_info({}), "type dict", "hub.ImageModuleInfo"),
    ],
    ids=["message-class", "dict", "image-info-class", "image-info-dict"],
)
def test_no_message_instance_is_a_type_and_attribute_error(call, named, example) -> None:
    with pytest.raises(errors.NotAMessageError) as caught:
        _spec_calling(call)
    err = caught.value
    assert isinstance(err, TypeError) and isinstance(err, AttributeError)
    assert isinstance(err, ValueError)  # As the ModuleSpecError it was.
    assert named in str(err) and example in str(err)
    if example.startswith("hub.ImageModuleInfo"):  # Not a function the user did not call.
        assert "hub.attach_message" not in str(err) and "Int64List" not in str(err)
