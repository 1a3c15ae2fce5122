"""A server that answers a resume (Range) wrongly, or announces more bytes than it sends: the
error says what it answered; a real server on 127.0.0.1."""

from __future__ import annotations

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.http_server import drop_mid_body

import tfhub as hub
from tfhub import errors


def _wrong_slice(suffix: str):
    """Answers every Range request with 206 and the whole file, labelled as such."""

    def behaviour(handler, path, query) -> bool:
        if not path.endswith(suffix) or not handler.headers.get("Range"):
            return False
        with open(handler.local_path(path, query), "rb") as served:
            body = served.read()
        handler.send_response(206)
        handler.send_header("Content-Range", f"bytes 0-{len(body) - 1}/{len(body)}")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
        return True

    return behaviour


def test_a_resume_answered_with_another_slice_is_named(server, served_dir, monkeypatch):
    """The error said the server "ignores Range requests" though it answered 206 with another
    part of the file."""
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "1")
    monkeypatch.setattr("tfhub._http.BACKOFF_BASE_SEC", 0.01)
    make_tar_gz(served_dir / "m.tar.gz")
    server.state.behaviours += [
        drop_mid_body("m.tar.gz", after=100, times=None),
        _wrong_slice("m.tar.gz"),
    ]
    with pytest.raises(errors.DownloadRestartError) as info:
        hub.resolve(server.url("m.tar.gz"))
    message = str(info.value)
    assert "broke at byte 100" in message
    assert "sent another part, Content-Range: 'bytes 0-" in message
    assert "ignores Range" not in message


def test_a_server_that_sends_less_than_announced_says_how_much(server, served_dir, monkeypatch):
    """Content-Length larger than the body, and resumes that bring nothing more."""
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "1")
    monkeypatch.setattr("tfhub._http.BACKOFF_BASE_SEC", 0.01)
    archive = make_tar_gz(served_dir / "m.tar.gz")
    with open(archive, "rb") as served:
        body = served.read()
    announced = len(body) + 1000

    def short(handler, path, query) -> bool:
        if not path.endswith("m.tar.gz"):
            return False
        start = int((handler.headers.get("Range") or "bytes=0-")[6:].rstrip("-"))
        handler.send_response(206 if start else 200)
        if start:
            handler.send_header("Content-Range", f"bytes {start}-{announced - 1}/{announced}")
        handler.send_header("Content-Length", str(announced - start))
        handler.end_headers()
        handler.wfile.write(body[start:])
        handler.close_connection = True
        return True

    server.state.behaviours.append(short)
    with pytest.raises(errors.DownloadError) as info:
        hub.resolve(server.url("m.tar.gz"))
    assert f"at byte {len(body)} of {announced}" in str(info.value)
