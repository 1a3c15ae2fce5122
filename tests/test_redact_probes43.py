"""Redaction's regular expressions on long hostile text: each ends in linear time.

A handle of 'a' * 40,000 then '@' took 15 s to redact (the scheme's pattern tried from every
position ran to the end of the run), and a server's answer of 'bearer+' repeated took as long
in `hide_access_tokens` (its look-ahead for a digit did the same from every 'bearer'). A 1 MB
handle would take hours. Each case runs in a child process with a timeout (the old patterns
would hold a pytest worker for minutes).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

_CASES = {
    "long run before an @": "redact('a' * 200_000 + '@')",
    "long scheme-like run": "redact('a' * 200_000 + ':/x@h')",
    "bearer repeated": "hide_access_tokens('bearer+' * 30_000)",
    "bearer then a long token without a digit": "hide_access_tokens('Bearer ' + 'A' * 200_000)",
}


@pytest.mark.parametrize("call", list(_CASES.values()), ids=list(_CASES))
def test_redaction_of_long_hostile_text_ends_quickly(call: str) -> None:
    script = f"from tfhub.utils.redact import redact, hide_access_tokens\n{call}\n"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    try:
        subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{call} took more than 20 s (quadratic in its length)")


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
