"""Probes (session 62): an archive compressed twice is named as such.

A .tar.gz gzipped again (a server or an upload tool that gzips what it stores, without a
Content-Encoding to say so; a `.tar.gz.gz` renamed) or bzip2-compressed again was "truncated or
corrupt (ReadError: truncated header) ... try again" (an ArchiveError): trying again cannot
help, and nothing was cut. Still refused (upstream refused it too), now as a NotAnArchiveError
(an OSError, as before) saying what it is, as a ZIP's. Real local server.
"""

from __future__ import annotations

import bz2
import gzip

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.http_server import answer_body

import tfhub as hub
from tfhub import errors


@pytest.mark.parametrize(
    ("outer", "compress"), [("gzip", gzip.compress), ("bzip2", bz2.compress)], ids=["gz", "bz2"]
)
def test_a_tar_gz_compressed_again_is_named_and_leaves_no_entry(
    server, tmp_path, isolated_cache, outer, compress
) -> None:
    inner = make_tar_gz(tmp_path / "m.tar.gz")
    with open(inner, "rb") as file:
        body = compress(file.read())
    server.state.behaviours.append(answer_body("/m.tar.gz", 200, "application/gzip", body))
    with pytest.raises(errors.NotAnArchiveError) as info:
        hub.resolve(server.url("m.tar.gz"))
    message = str(info.value)
    assert message.startswith(f"{server.url('m.tar.gz')} does not appear to be a valid module.")
    assert f"compressed twice: its {outer} stream holds a gzip stream" in message, message
    assert "try again" not in message and "truncated" not in message, message
    left = sorted(p.name for p in isolated_cache.iterdir() if p.name != ".locks")
    assert left == [], left
