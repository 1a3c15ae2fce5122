"""`get_attached_message` with a message_type that is no message class (rf53a-F3, session 53).

Upstream's and tfhub's `message_type()` then `ParseFromString` raised a bare TypeError ("'Int64List'
object is not callable" for an instance, "'str' object ..." for a name) or AttributeError ("'int'
object has no attribute 'ParseFromString'"), naming neither the key nor what to pass.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests._helpers.upstream_records import upstream_path

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf


@pytest.mark.parametrize(
    "message_type",
    [tf.train.Int64List(), "Int64List", None, int],
    ids=["instance", "name", "none", "int"],
)
def test_a_message_type_that_is_no_message_class_is_said_so(message_type: Any) -> None:
    spec = hub.load_module_spec(upstream_path("tf1_image_info"))
    with pytest.raises(errors.NotAMessageError) as info:
        spec.get_attached_message("numbers", message_type)
    err = info.value
    assert isinstance(err, TypeError) and isinstance(err, AttributeError)  # Upstream's either.
    message = str(err)
    assert "'numbers'" in message and "message class" in message
    assert "tf.train.Int64List" in message  # An example of what to pass.
    with tf.Graph().as_default():
        module = hub.Module(spec)
        with pytest.raises(errors.NotAMessageError):
            module.get_attached_message("numbers", message_type)
    assert list(spec.get_attached_message("numbers", tf.train.Int64List).value) == [42, 69]


def test_a_missing_key_still_gives_none_whatever_the_type() -> None:
    """As upstream: the type is only used to parse a message that is there."""
    spec = hub.load_module_spec(upstream_path("tf1_image_info"))
    assert spec.get_attached_message("absent", None) is None


def test_a_message_that_does_not_parse_as_the_class_given_names_key_and_class() -> None:
    """Upstream let protobuf's bare DecodeError through ("Error parsing message"), naming
    neither the key nor the class; it is still that error (rf53a-F3's last part)."""
    from google.protobuf.message import DecodeError

    spec = hub.load_module_spec(upstream_path("tf1_image_info"))
    with pytest.raises(errors.AttachedMessageParseError) as info:
        spec.get_attached_message("numbers", tf.train.Example)
    err = info.value
    assert isinstance(err, DecodeError) and isinstance(err, TypeError)
    assert (err.key, err.message_type) == ("numbers", "tensorflow.Example")
    assert "'numbers'" in str(err) and "tensorflow.Example" in str(err)
    assert "class it was attached with" in str(err)
