"""A server whose answer is not HTTP at all (another protocol on the port, too many or too
long headers): the error says so instead of quoting urllib3's nested exceptions; a raw socket
server on 127.0.0.1."""

from __future__ import annotations

import pytest
from tests._helpers.raw_server import serve_raw

import tfhub as hub
from tfhub import errors


@pytest.mark.parametrize(
    ("answer", "quoted"),
    [
        (b"SSH-2.0-OpenSSH_9.6\r\n", "BadStatusLine: 'SSH-2.0-OpenSSH_9.6'"),
        (
            b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: a\r\n" % n for n in range(120)) + b"\r\n",
            "got more than 100 headers",
        ),
        (b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 70000 + b"\r\n\r\n", "LineTooLong"),
    ],
    ids=["ssh-banner", "120-headers", "70-kB-header"],
)
def test_an_answer_that_is_not_http_is_named(monkeypatch, answer, quoted):
    """The error quoted `ConnectionError: ('Connection aborted.', BadStatusLine(...))`."""
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    listener, _ = serve_raw(answer)
    port = listener.getsockname()[1]
    try:
        with pytest.raises(errors.ConnectionFailedError) as info:
            hub.resolve(f"http://127.0.0.1:{port}/m.tar.gz")
    finally:
        listener.close()
    message = str(info.value)
    assert "the server's answer is not valid HTTP" in message
    assert quoted in message
    assert "Connection aborted" not in message
