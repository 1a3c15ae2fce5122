"""`redact` hides a secret query value up to its end, not the prose after the URL (lead59).

A message that names a URL in parentheses or ends a sentence with it ("(redirected to
https://h/login?token=abc).") lost its closing ")." to the hidden value: the value ran to the
next space. Trailing prose punctuation now stays outside the `***` (a signed URL's values are
base64, hex or URL-safe tokens: none ends with ")", ".", ",", ";", ":", "!" or "]").
"""

from __future__ import annotations

import pytest

from tfhub import errors
from tfhub.utils.redact import redact


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "x (redirected to http://h/login?token=abc).",
            "x (redirected to http://h/login?token=***).",
        ),
        ("see http://h/m?sig=a1b2, then retry", "see http://h/m?sig=***, then retry"),
        ("[http://h/m?X-Amz-Signature=f00d]", "[http://h/m?X-Amz-Signature=***]"),
        ("at http://h/m?token=abc.", "at http://h/m?token=***."),
        ("http://h/m?token=a.b.c", "http://h/m?token=***"),
        ("http://h/m?token=).", "http://h/m?token=***"),  # All punctuation: all hidden.
    ],
)
def test_prose_after_a_secret_stays(text: str, shown: str) -> None:
    assert redact(text) == shown


def test_an_error_message_keeps_its_closing_parenthesis() -> None:
    err = errors.HTTPStatusError(
        "Forbidden (redirected to http://h/login?token=abc). Check the token.",
        url="http://h/m",
        status=403,
    )
    assert "token=***). Check the token." in str(err)
    assert "abc" not in str(err)
