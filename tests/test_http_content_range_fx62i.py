"""One Content-Range parser for every answer a download reads (review fx62i-I3).

Before: three parsers. The resume check compared `startswith(f"bytes {pos}-")`, so a server
answering a resume with `Content-Range: Bytes 1000-...` (the unit is case-insensitive, RFC 9110
14.1) made tfhub download the file again from byte 0; a whole-file 206 without Content-Length
gave no total, so a body that ended early was not resumed (nor had a progress total). Real
local server.
"""

from __future__ import annotations

import random

import pytest
from tests._helpers.archives import make_tar_gz, read_tree
from tests._helpers.http_server import drop_mid_body

import tfhub as hub
from tfhub._http_body import HttpBody


@pytest.fixture
def files(served_dir) -> dict[str, bytes]:
    """The files of m.tar.gz (served; ~50 KB compressed, so a drop at byte 1000 is mid-body)."""
    files = {"big": random.Random(0).randbytes(50_000)}
    make_tar_gz(served_dir / "m.tar.gz", files)
    return files


def _ranges(server) -> list[str | None]:
    return [headers.get("Range") for method, _, headers in server.state.requests if method == "GET"]


def _capitalised_resume(suffix: str):
    """Answers a Range request `bytes=N-` with 206 and `Content-Range: Bytes N-LAST/SIZE`."""

    def behaviour(handler, path: str, query) -> bool:
        asked = handler.headers.get("Range")
        if not path.endswith(suffix) or not asked:
            return False
        body, _ = handler.served_bytes(path, query)
        start = int(asked.removeprefix("bytes=").rstrip("-"))
        handler.send_response(206)
        handler.send_header("Content-Type", "application/gzip")
        handler.send_header("Content-Range", f"Bytes {start}-{len(body) - 1}/{len(body)}")
        handler.send_header("Content-Length", str(len(body) - start))
        handler.end_headers()
        handler.wfile.write(body[start:])
        return True

    return behaviour


def _whole_206_without_length(suffix: str, *, after: int | None = None):
    """Answers a request without Range with 206, `Content-Range: bytes 0-(N-1)/N`, an ETag and
    no Content-Length (the body ends when the connection closes), sending `after` bytes
    (all if None) then closing."""

    def behaviour(handler, path: str, query) -> bool:
        if not path.endswith(suffix) or handler.headers.get("Range"):
            return False
        body, etag = handler.served_bytes(path, query)
        handler.send_response(206)
        handler.send_header("Content-Type", "application/gzip")
        handler.send_header("Content-Range", f"bytes 0-{len(body) - 1}/{len(body)}")
        handler.send_header("ETag", etag)
        handler.end_headers()
        handler.wfile.write(body if after is None else body[:after])
        handler.wfile.flush()
        handler.close_connection = True
        return True

    return behaviour


def test_a_resume_answered_with_a_capitalised_unit_resumes(server, files) -> None:
    """It restarted from byte 0: ranges were [None, "bytes=1000-", None]."""
    server.state.behaviours += [
        drop_mid_body("m.tar.gz", after=1000),
        _capitalised_resume("m.tar.gz"),
    ]
    path = hub.resolve(server.url("m.tar.gz"))
    assert read_tree(path) == files
    assert _ranges(server) == [None, "bytes=1000-"], _ranges(server)


def test_a_whole_file_206_without_content_length_takes_its_total(server, files, served_dir) -> None:
    """The total (progress bar, early-end check) comes from Content-Range."""
    size = (served_dir / "m.tar.gz").stat().st_size
    server.state.behaviours.append(_whole_206_without_length("m.tar.gz"))
    body = HttpBody(server.url("m.tar.gz"), handle="m")
    try:
        assert body.total == size
        assert len(body.read()) == size
    finally:
        body.close()


def test_a_whole_file_206_without_content_length_resumes_an_early_end(server, files) -> None:
    """The body ends at byte 1000 of a 206 that named its total: tfhub resumes from there
    (it handed the gzip reader a truncated file before)."""
    server.state.behaviours.append(_whole_206_without_length("m.tar.gz", after=1000))
    path = hub.resolve(server.url("m.tar.gz"))
    assert read_tree(path) == files
    assert _ranges(server) == [None, "bytes=1000-"], _ranges(server)


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("bytes 0-99/552", (0, 99, 552)),
        ("Bytes 100-551/552", (100, 551, 552)),
        (" BYTES 0-9/* ", (0, 9, None)),
        ("bytes */552", None),
        ("items 0-9/10", None),
        ("bytes 9-0/10", None),
        ("bytes 0-x/10", None),
        ("bytes 0-9/", None),
        ("", None),
    ],
)
def test_content_range_parser(value: str, parsed) -> None:
    from tfhub._http_body import _content_range

    assert _content_range(value) == parsed
