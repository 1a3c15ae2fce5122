"""Tests found by mutating the HTTP client's rules by hand (session 37): each kills a mutant that
every other test let live (a flipped comparison, a dropped check), or shows a defect the mutants
led to. Real servers on 127.0.0.1."""

from __future__ import annotations

import traceback

import pytest
from tests._helpers.http_server import answer_body, enable_tls, redirect_to

import tfhub as hub
from tfhub import errors

# A credential longer than the part of a text tfhub quotes: cut before it is redacted, the
# part kept no longer looks like a credential (no "@" after a password, half a token).
_LONG_SECRET = "s3cretX" * 60


def _leaks(text: str) -> bool:
    """Whether `text` holds 12 characters in a row of `_LONG_SECRET`."""
    return any(_LONG_SECRET[start : start + 12] in text for start in range(7))


def test_a_long_password_in_a_plain_http_redirect_is_not_shown(server, certificate, monkeypatch):
    """InsecureRedirectError quoted the target's first 300 characters, then redacted them: a
    password longer than that had no "@" after it any more, and was shown."""
    base = enable_tls(server, *certificate)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certificate[0])
    target = f"http://alice:{_LONG_SECRET}@127.0.0.1:9/m.tar.gz"
    server.state.behaviours.append(redirect_to("m.tar.gz", target))
    with pytest.raises(errors.InsecureRedirectError) as info:
        hub.resolve(base + "m.tar.gz")
    assert "http://***@127.0.0.1:9/m.tar.gz" in str(info.value)
    assert not _leaks("".join(traceback.format_exception(info.value)))
    assert not _leaks(info.value.url)


def test_a_long_password_in_a_bytes_handle_is_not_shown():
    """The message quoted the bytes handle's first 200 characters, then redacted them."""
    with pytest.raises(errors.HandleTypeError) as info:
        hub.resolve(f"https://alice:{_LONG_SECRET}@127.0.0.1:9/m.tar.gz".encode())
    assert "handle.decode()" in str(info.value)
    assert not _leaks(str(info.value))


def test_a_long_token_the_server_quotes_is_not_shown(server, monkeypatch):
    """tfhub kept the first 300 characters of what the server said, then took the token out:
    a token running past that cut was no longer found, and its first part was shown."""
    monkeypatch.setenv("TFHUB_TOKEN", _LONG_SECRET)
    monkeypatch.setenv("TFHUB_TOKEN_HOST", "127.0.0.1")
    said = f"invalid token {_LONG_SECRET} for this model\n".encode()
    server.state.behaviours.append(answer_body("m.tar.gz", 403, "text/plain", said))
    with pytest.raises(errors.HTTPStatusError, match="403") as info:
        hub.resolve(server.url("m.tar.gz"))
    assert 'The server says: "invalid token *** for this model."' in str(info.value)
    assert not _leaks("".join(traceback.format_exception(info.value)))
