"""review50b-F2: a handle whose version is written in non-ASCII digits is refused as non-ASCII,
not blamed for leading zeros it does not have."""

from __future__ import annotations

import pytest

from tfhub import errors
from tfhub.hub import doc_handles


@pytest.mark.parametrize(
    ("text", "meant"),
    [("acme/emb/٣", "acme/emb/3"), ("acme/emb/３", "acme/emb/3"), ("acme/emb/1٣", "acme/emb/13")],
)
def test_a_version_in_non_ascii_digits_is_refused_as_non_ascii(text, meant):
    with pytest.raises(errors.InvalidHandleError) as caught:
        doc_handles.parse_handle(text)
    message = str(caught.value)
    assert "leading zeros" not in message
    assert f"writes its version {text.rsplit('/', 1)[1]!r} in non-ASCII digits" in message
    assert f"write {meant}" in message
    assert message.endswith(f"Received: handle={text!r}")


def test_a_long_version_in_non_ascii_digits_names_no_number():
    """More than 18 digits: no number is shown (it would be refused as too long anyway)."""
    text = "acme/emb/" + "٣" * 40
    with pytest.raises(errors.InvalidHandleError, match="in non-ASCII digits: .* 0-9 only"):
        doc_handles.parse_handle(text)
