"""Redaction's regular expressions on long hostile text: each ends in linear time.

A handle of 'a' * 40,000 then '@' took 15 s to redact (the scheme's pattern tried from every
position ran to the end of the run), and a server's answer of 'bearer+' repeated took as long
in `hide_access_tokens` (its look-ahead for a digit did the same from every 'bearer'). A 1 MB
handle would take hours. Each case runs in a child process with a timeout (the old patterns
would hold a pytest worker for minutes).
"""

from __future__ import annotations

import pytest
from tests._helpers.probe_tables import ends_quickly

_CASES = {
    "long run before an @": "redact('a' * 200_000 + '@')",
    "long scheme-like run": "redact('a' * 200_000 + ':/x@h')",
    "bearer repeated": "hide_access_tokens('bearer+' * 30_000)",
    "bearer then a long token without a digit": "hide_access_tokens('Bearer ' + 'A' * 200_000)",
}


@pytest.mark.parametrize("call", list(_CASES.values()), ids=list(_CASES))
def test_redaction_of_long_hostile_text_ends_quickly(call: str) -> None:
    ends_quickly(f"from tfhub.utils.redact import redact, hide_access_tokens\n{call}\n", what=call)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("https://user:secret@host/m", "https://***@host/m"),
        ("0https://user:secret@host/m", "0https://***@host/m"),
        ("https:/user:secret@host/m", "https:/***@host/m"),
        ("x" * 100 + "https://user:secret@host/m", "x" * 100 + "https://***@host/m"),
        ("see " + "s" * 40 + "://user:secret@host/m", "see " + "s" * 40 + "://***@host/m"),
    ],
)
def test_userinfo_is_still_hidden(text: str, shown: str) -> None:
    from tfhub.utils.redact import redact

    assert redact(text) == shown


def test_a_long_bearer_token_is_still_hidden() -> None:
    from tfhub.utils.redact import hide_access_tokens

    token = "A" * 300 + "1" + "b" * 20
    assert hide_access_tokens(f"denied for Bearer {token} here") == "denied for Bearer *** here"
    token = "1" + "A" * 5000
    assert hide_access_tokens(f"Bearer {token}") == "Bearer ***"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "Authorization: Bearer authorization+scheme+bearer abcd1234efgh5678ijkl",
            "Authorization: Bearer authorization+scheme+bearer ***",
        ),
        (
            "Bearer abcdefghijklmnopbearer 0123456789abcdefXYZ",
            "Bearer abcdefghijklmnopbearer ***",
        ),
        ("BEARER abcdefghijklmnopqrsBeArEr\t0123456789abcdefXYZ", None),
    ],
    ids=["run-ends-in-bearer", "token-after-inner-bearer", "any-case-and-tab"],
)
def test_a_token_after_a_bearer_ending_a_digitless_run_is_hidden(
    text: str, shown: str | None
) -> None:
    """The review of 2dd4a9e: a run after "Bearer" holding no digit was taken whole, and the
    search went on after it, so a "bearer" at its end, a space, then a token showed the token
    (the look-ahead pattern had hidden it)."""
    from tfhub.utils.redact import hide_access_tokens

    hidden = hide_access_tokens(text)
    assert "0123456789abcdef" not in hidden and "abcd1234efgh5678" not in hidden, hidden
    if shown is not None:
        assert hidden == shown


@pytest.mark.parametrize(
    "text",
    [
        "x111111111111111111111111111111111://user:secret@host/m",
        "see a----------------------------------------://user:secret@host/m",
        "1234567890123456789012345678901234567890://user:secret@host/m",
    ],
    ids=["digits-scheme", "dashes-scheme", "all-digits"],
)
def test_userinfo_after_a_long_scheme_without_letters_near_its_end_is_hidden(text: str) -> None:
    """The review of 2dd4a9e: a scheme matched by its last 32 characters had to start with a
    letter there, so a long scheme of digits or dashes near its end kept its password shown."""
    from tfhub.utils.redact import redact

    assert "secret" not in redact(text) and "://***@host/m" in redact(text), redact(text)
