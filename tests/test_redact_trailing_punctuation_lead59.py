"""`redact` hides a secret query value up to its end, not the prose after the URL (lead59).

A message that names a URL in parentheses ("(redirected to https://h/login?token=abc).") lost
its closing ")." to the hidden value: the value ran to the next space. A ")" that closes a "("
opened before the URL, and one mark after it, now stay outside the `***`, for tokens and
signatures (base64, hex, URL-safe characters); a value a person chose (a password, a key) and
anything not provably prose (a "." or "," alone: a value may end in one) are hidden whole.
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
        (
            "(see http://h/m?X-Amz-Signature=f00d), then",
            "(see http://h/m?X-Amz-Signature=***), then",
        ),
        # Not provably prose: hidden whole (a value may end in these).
        ("see http://h/m?sig=a1b2, then retry", "see http://h/m?sig=*** then retry"),
        ("at http://h/m?token=abc.", "at http://h/m?token=***"),
        ("http://h/m?token=abc)", "http://h/m?token=***"),
        ("http://h/m?token=).", "http://h/m?token=***"),
        ("(a) http://h/m?token=abc).", "(a) http://h/m?token=***"),
        # Values a person chose are hidden whole, parentheses or not (rev59c).
        ("https://h/m?password=hunter2!", "https://h/m?password=***"),
        ("(at https://h/m?pwd=s3cr3t.)", "(at https://h/m?pwd=***"),
        ("(https://h/m?key=abc;def: done", "(https://h/m?key=*** done"),
        ("(https://h/m?api_key=abc).", "(https://h/m?api_key=***"),
        ("(see https://h/?credential=hunter2!)", "(see https://h/?credential=***"),
        # Only a "(" before the URL opens prose; the URL's own and earlier values' do not.
        ("x https://h/a(b?token=s3cr)", "x https://h/a(b?token=***"),
        ("(see https://h/?token=a(b)", "(see https://h/?token=***"),  # Its own "(".
        ("https://h/?sig=ab(cd then ?token=xyz).", "https://h/?sig=*** then ?token=***"),
        ("(a https://h/?sig=ab(cd then ?token=xyz).", "(a https://h/?sig=*** then ?token=***)."),
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
