"""hub.attach_message with a key that is not a string (rf56b-F8).

tensorflow_hub 0.10.0 raised TypeError for such a key (its regex on bytes or a number); tfhub's
`ModuleSpecError` was only a ValueError, so an upstream `except TypeError` missed it. It is now
`AttachedMessageKeyTypeError`, a ModuleSpecError (as before) and a TypeError.
"""

from __future__ import annotations

import pytest

tf = pytest.importorskip("tensorflow")
import tfhub as hub  # noqa: E402
from tfhub import errors  # noqa: E402

pytestmark = pytest.mark.tf


@pytest.mark.parametrize("key", [b"info", 3, None])
def test_a_key_that_is_not_a_string_is_a_type_error(key: object) -> None:
    def module_fn() -> None:
        x = tf.compat.v1.placeholder(tf.float32, [None])
        hub.add_signature(inputs=x, outputs=x)
        hub.attach_message(key, tf.train.Int64List(value=[1]))  # type: ignore[arg-type]

    with pytest.raises(errors.AttachedMessageKeyTypeError) as caught:
        hub.create_module_spec(module_fn)
    assert isinstance(caught.value, TypeError)
    assert isinstance(caught.value, errors.ModuleSpecError)
    assert str(caught.value).endswith(f"Received: key={key!r}")
    assert "a key is a Python identifier starting with a letter" in str(caught.value)
