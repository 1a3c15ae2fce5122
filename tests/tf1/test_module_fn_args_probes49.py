"""Arguments of the module_fn API that upstream's checks let through (session 49):
`hub.attach_message` with a key ending in a newline or a message class (review49a-F6)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
    with pytest.raises(errors.ModuleSpecError, match="needs a protocol message") as info:
        hub.create_module_spec(_attaching("info", tf.train.Int64List))
    assert "the class Int64List, not an instance" in str(info.value)


def test_a_message_is_still_attached():
    spec = hub.create_module_spec(_attaching("info", tf.train.Int64List(value=[7])))
    assert spec.get_attached_message("info", tf.train.Int64List).value == [7]
