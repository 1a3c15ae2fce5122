"""A download under `Content-Encoding: gzip` (a server gzipping the .tar.gz again, or S3 metadata)
that breaks mid-way is resumed at the byte of the encoded body it broke at (a Range counts the
bytes sent, not the bytes decoded), and the archive comes out whole (docs/resolving.md: resume;
tests/test_download_encoding.py covers the encoding without a break, tests/test_http_resume.py
the break without an encoding)."""

from __future__ import annotations

import gzip
import os
import re
import socket

from tests._helpers.archives import make_tar_gz, read_tree
from tests._helpers.http_server import archive_gets

import tfhub as hub

_FILES = {"saved_model.pb": b"graph", "variables/variables.data-00000-of-00001": os.urandom(64_000)}


def _encoded_with_a_break(body: bytes, *, after: int):
    """Serves `body` as the gzip encoding of the archive (ETag, Range answered with 206); the
    first request without a Range gets `after` bytes, then the connection closes."""
    dropped: list[bool] = []

    def behaviour(handler, path, query) -> bool:
        if not path.endswith("m.tar.gz"):
            return False
        asked = re.fullmatch(r"bytes=(\d+)-", handler.headers.get("Range") or "")
        start = int(asked.group(1)) if asked else 0
        handler.send_response(206 if asked else 200)
        handler.send_header("Content-Encoding", "gzip")
        handler.send_header("ETag", '"v1"')
        handler.send_header("Accept-Ranges", "bytes")
        if asked:
            handler.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        handler.send_header("Content-Length", str(len(body) - start))
        handler.end_headers()
        if asked or dropped:
            handler.wfile.write(body[start:])
            return True
        dropped.append(True)
        handler.wfile.write(body[:after])
        handler.wfile.flush()
        handler.close_connection = True
        handler.connection.shutdown(socket.SHUT_RDWR)
        return True

    return behaviour


def test_a_gzip_encoded_download_resumes_at_the_encoded_byte(server, tmp_path):
    archive = make_tar_gz(tmp_path / "m.tar.gz", _FILES)
    with open(archive, "rb") as f:
        body = gzip.compress(f.read())
    half = len(body) // 2
    server.state.behaviours.append(_encoded_with_a_break(body, after=half))
    assert read_tree(hub.resolve(server.url("m.tar.gz"))) == _FILES
    ranges = [headers.get("Range") for _, _, headers in archive_gets(server, "m.tar.gz")]
    assert ranges == [None, f"bytes={half}-"]
