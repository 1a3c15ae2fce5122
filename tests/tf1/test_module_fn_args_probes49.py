"""Arguments of the module_fn API that upstream's checks let through (session 49):
`hub.attach_message` with a key ending in a newline or a message class (review49a-F6), and a tag
set mixing bytes and str (review49a-F7, which tensorflow_hub 0.10.0 took)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf
tf1 = tf.compat.v1


def _attaching(key: Any, message: Any) -> Callable[[], None]:
    def module_fn() -> None:
        x = tf1.placeholder(tf.float32, [None])
        hub.add_signature(inputs=x, outputs=x)
        hub.attach_message(key, message)

    return module_fn


def test_a_key_with_a_trailing_newline_is_refused():
    # `re.match(...$)` matched "info\n": stored so, a reader asking for "info" got None.
    with pytest.raises(errors.ModuleSpecError, match="malformed key") as info:
        hub.create_module_spec(_attaching("info\n", tf.train.Int64List(value=[1])))
    assert "Received: key='info\\n'" in str(info.value)


def test_a_message_class_is_refused():
    with pytest.raises(errors.NotAMessageError, match="needs a protocol message") as info:
        hub.create_module_spec(_attaching("info", tf.train.Int64List))
    assert "the class Int64List, not an instance" in str(info.value)


def test_a_message_is_still_attached():
    spec = hub.create_module_spec(_attaching("info", tf.train.Int64List(value=[7])))
    assert spec.get_attached_message("info", tf.train.Int64List).value == [7]


def _identity_fn() -> None:
    x = tf1.placeholder(tf.float32, [None])
    hub.add_signature(inputs=x, outputs=x + 1)


def test_a_tag_set_mixing_bytes_and_str_is_stored_as_str():
    spec = hub.create_module_spec(_identity_fn, tags_and_args=[({b"train", "gpu"}, {})])
    assert spec.get_tags() == [frozenset({"train", "gpu"})]  # As upstream 0.10.0's spec.
    with tf.Graph().as_default():
        out = hub.Module(spec, tags={"train", "gpu"})(np.ones([1], np.float32))
        with tf1.Session() as session:
            assert session.run(out).tolist() == [2.0]


def test_bytes_and_str_of_one_tag_are_one_tag_set():
    with pytest.raises(errors.ModuleSpecError, match="used repeatedly"):
        hub.create_module_spec(_identity_fn, tags_and_args=[({b"train"}, {}), ({"train"}, {})])


def test_a_bytes_tag_that_is_not_utf8_is_refused_naming_tags():
    with pytest.raises(errors.ArgumentTypeError, match="tags names a graph variant"):
        hub.create_module_spec(_identity_fn, tags_and_args=[({b"\xff"}, {})])
