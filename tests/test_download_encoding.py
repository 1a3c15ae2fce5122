"""A server that puts a Content-Encoding on the archive although tfhub asks for identity."""

from __future__ import annotations

import gzip
import os

import pytest
from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree
from tests._helpers.http_server import Behaviour, answer_body

import tfhub as hub
from tfhub import errors


def _encoded(suffix: str, body: bytes, encoding: str) -> Behaviour:
    """A behaviour answering `body` with the header `Content-Encoding: encoding`."""
    return answer_body(suffix, 200, "application/x-tar", body, {"Content-Encoding": encoding})


@pytest.mark.parametrize(
    ("compression", "encode"),
    [
        ("gz", True),  # A server gzipping the .tar.gz again (it was "truncated or corrupt").
        ("gz", False),  # The .tar.gz stored with Content-Encoding: gzip metadata (S3).
        ("", True),  # A plain .tar gzipped by the server.
        ("", False),  # A plain .tar mislabelled gzip: sent as it is.
    ],
)
def test_an_archive_under_content_encoding_gzip_is_extracted(
    server, served_dir, compression, encode
):
    archive = make_tar_gz(served_dir / "source.tar", compression=compression)
    with open(archive, "rb") as f:
        body = f.read()
    if encode:
        body = gzip.compress(body)
    server.state.behaviours.append(_encoded("m.tar.gz", body, "gzip"))
    assert read_tree(hub.resolve(server.url("m.tar.gz"))) == MODEL_FILES


def test_a_content_encoding_cut_short_is_a_corrupt_archive(server, served_dir, isolated_cache):
    archive = make_tar_gz(served_dir / "source.tar.gz")
    with open(archive, "rb") as f:
        body = gzip.compress(f.read())
    # The whole archive inside, but the encoding's own end (CRC, size) missing.
    server.state.behaviours.append(_encoded("m.tar.gz", body[:-8], "gzip"))
    with pytest.raises(errors.ArchiveError, match="does not appear to be a valid module"):
        hub.resolve(server.url("m.tar.gz"))
    assert [n for n in os.listdir(isolated_cache) if not n.startswith(".")] == []


def test_an_encoding_tfhub_cannot_undo_is_named(server, served_dir, isolated_cache):
    server.state.behaviours.append(_encoded("m.tar.gz", b"\x0b\x02\x80abc\x03", "br"))
    with pytest.raises(errors.NotAnArchiveError, match="Content-Encoding: br, which tfhub"):
        hub.resolve(server.url("m.tar.gz"))
    assert [n for n in os.listdir(isolated_cache) if not n.startswith(".")] == []
