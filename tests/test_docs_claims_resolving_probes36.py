"""Claims of docs/resolving.md checked a second time (session 36) against the running code, as a
user meets them: a real HTTP server on 127.0.0.1, real archives, real cache folders.

Each test quotes the claim it checks in its docstring.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from pathlib import Path

import pytest
from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree
from tests._helpers.http_server import LocalServer, answer_body

import tfhub as hub


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _raw_deflate(data: bytes) -> bytes:
    """`data` deflated without zlib's header and checksum (what some servers send as
    `Content-Encoding: deflate`; urllib3, and so requests, undo it too)."""
    deflater = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return deflater.compress(data) + deflater.flush()


def _tar_bytes(served_dir: Path, compression: str) -> bytes:
    return Path(
        make_tar_gz(served_dir / f"source.{compression}", compression=compression)
    ).read_bytes()


@pytest.mark.parametrize(
    ("what", "compression", "encode"),
    [
        ("a tar under zlib's deflate", "", zlib.compress),
        ("a .tar.gz under zlib's deflate", "gz", zlib.compress),
        ("a tar under raw deflate", "", _raw_deflate),
        ("a .tar.gz under raw deflate", "gz", _raw_deflate),
        ("a .tar.gz stored with deflate metadata", "gz", bytes),
        ("a plain tar stored with deflate metadata", "", bytes),
        ("a .tar.bz2 stored with deflate metadata", "bz2", bytes),
    ],
)
def test_an_archive_under_content_encoding_deflate_is_extracted(
    server: LocalServer,
    served_dir: Path,
    isolated_cache: Path,
    what: str,
    compression: str,
    encode: object,
) -> None:
    """The page says:

    "a server that still answers `Content-Encoding: gzip` or `deflate` (an archive gzipped
    again on the fly, or an S3 object stored with that metadata) has it undone first (a body
    labelled gzip that is not gzip is taken as sent)". Deflate comes in two forms (RFC 9110's
    zlib stream, and the raw stream some servers send, which urllib3 accepts too), and an
    object stored with the label but not deflated is taken as sent, as for gzip."""
    body = encode(_tar_bytes(served_dir, compression))  # type: ignore[operator]
    server.state.behaviours.append(
        answer_body("m.tar.gz", 200, "application/x-tar", body, {"Content-Encoding": "deflate"})
    )
    path = hub.resolve(server.url("m.tar.gz"))
    assert read_tree(path) == MODEL_FILES, what


def test_gzip_metadata_on_a_plain_tar_is_still_taken_as_sent(
    server: LocalServer, served_dir: Path
) -> None:
    """The page says: "(a body labelled gzip that is not gzip is taken as sent)"; gzipped twice,
    it is undone once."""
    body = _tar_bytes(served_dir, "gz")
    for name, sent in (("plain.tar.gz", body), ("twice.tar.gz", gzip.compress(body))):
        server.state.behaviours.append(
            answer_body(name, 200, "application/x-tar", sent, {"Content-Encoding": "gzip"})
        )
        assert read_tree(hub.resolve(server.url(name))) == MODEL_FILES, name
