"""hub.load_module_spec of a handle that is not text (rf56b-F5).

tensorflow_hub 0.10.0's load_module_spec raised TypeError for bytes ("a bytes-like object is
required") and AttributeError for None or a number; tfhub raised an `InvalidHandleError`, which is
only a ValueError, so an upstream `except TypeError` missed it, and bytes got no hint to decode
them. It now raises the resolver's `HandleTypeError` (an InvalidHandleError and a TypeError), as
`hub.resolve` and `hub.load` do for the same handles.
"""

from __future__ import annotations

import pytest

import tfhub as hub
from tfhub import errors


@pytest.mark.parametrize(
    ("handle", "says"),
    [
        (b"/models/m", "Did you mean '/models/m' (handle.decode())? Received: handle=b'/models/m'"),
        (None, "Received: handle=None"),
        (5, "Received: handle=5"),
        (["/models/m"], "Received: handle=['/models/m']"),
    ],
)
def test_a_handle_that_is_not_text_is_a_type_error(handle: object, says: str) -> None:
    with pytest.raises(errors.HandleTypeError) as caught:
        hub.load_module_spec(handle)  # type: ignore[arg-type]
    assert isinstance(caught.value, TypeError) and isinstance(caught.value, ValueError)
    assert str(caught.value).startswith("A handle must be a non-empty string.")
    assert str(caught.value).endswith(says)
