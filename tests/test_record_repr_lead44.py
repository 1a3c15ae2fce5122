"""A parsed handle's repr (tracebacks, `%r` logs, pytest's output) never shows the password
of its URL: handles keep it for the download, their repr shows `***` (found by mut44)."""

from __future__ import annotations

import pickle

import pytest

from tfhub import handles

URL = "https://user:pa55word@host.example/a@b/m.tar.gz"


@pytest.mark.parametrize(
    "handle",
    [URL, "https://user:pa55word@host.example/m", "http://u:pa55word@127.0.0.1:8/x.tar.gz"],
    ids=["at-in-path", "plain", "ip-port"],
)
def test_a_handles_repr_hides_its_password(handle: str) -> None:
    parsed = handles.parse(handle)
    assert "pa55word" not in repr(parsed)
    assert "***" in repr(parsed) and type(parsed).__qualname__ in repr(parsed)


def test_the_handle_itself_keeps_its_password_for_the_download() -> None:
    parsed = handles.parse(URL)
    assert "pa55word" in str(parsed.url)
    assert "pa55word" in pickle.loads(pickle.dumps(parsed)).url


def test_a_repr_without_credentials_is_unchanged() -> None:
    parsed = handles.parse("https://host.example/m.tar.gz")
    assert "https://host.example/m.tar.gz" in repr(parsed)
