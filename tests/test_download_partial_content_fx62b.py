"""Probes (session 62): a 206 Partial Content to a download that asked for the whole file.

A broken cache or proxy in front of a hub may answer a GET without Range with `206 Partial
Content` and `Content-Range: bytes 0-99/552`: tfhub took the part for the whole archive, and
extraction said "truncated or corrupt ... try again" (trying again gets the same part). Now it is
refused at once as a PartialContentError (a DownloadError, an OSError as upstream's IOError),
naming the URL, the Content-Range and what to do. A 206 whose Content-Range covers the whole
file stays accepted, and resuming with Range after a drop (206 for the rest) still works.
Real local server.
"""

from __future__ import annotations

import random

import pytest
from tests._helpers.archives import make_tar_gz, read_tree
from tests._helpers.http_server import answer_body, drop_mid_body
from tests._helpers.resolve_errors import assert_pickles, resolve_error

import tfhub as hub
from tfhub import errors


@pytest.fixture
def archive(served_dir) -> bytes:
    """The bytes of m.tar.gz, served by `server` (a small fake SavedModel)."""
    with open(make_tar_gz(served_dir / "m.tar.gz"), "rb") as file:
        return file.read()


def _gets(server) -> list[str]:
    return [path for method, path, _ in server.state.requests if method == "GET"]


@pytest.mark.parametrize(
    "which",
    ["first 100 bytes", "a middle part", "unknown total, shorter body", "no Content-Range"],
)
def test_a_206_for_part_of_the_file_is_refused_at_once(
    server, archive, isolated_cache, which
) -> None:
    size = len(archive)
    body, content_range = {
        "first 100 bytes": (archive[:100], f"bytes 0-99/{size}"),
        "a middle part": (archive[100:], f"bytes 100-{size - 1}/{size}"),
        "unknown total, shorter body": (archive[:100], f"bytes 0-{size - 1}/*"),
        "no Content-Range": (archive[:100], None),
    }[which]
    headers = {"Content-Range": content_range} if content_range else {}
    server.state.behaviours.append(answer_body("m.tar.gz", 206, "application/gzip", body, headers))
    url = server.url("m.tar.gz")
    err = resolve_error(url, errors.PartialContentError, errors.DownloadError, OSError)
    message = str(err)
    assert url in message, message
    assert "206 Partial Content" in message, message
    assert repr(content_range or "(none)") in message, message
    assert "proxy or cache" in message and "bypass" in message, message
    assert "truncated" not in message and "try again" not in message, message
    assert err.url.startswith(url) and err.content_range == (content_range or ""), err.url
    assert_pickles(err, "content_range")
    assert len(_gets(server)) == 1, _gets(server)  # At once: no retry gets another part.
    assert [p.name for p in isolated_cache.iterdir() if p.name != ".locks"] == []


def test_a_206_covering_the_whole_file_is_accepted(server, archive, served_dir) -> None:
    size = len(archive)
    headers = {"Content-Range": f"bytes 0-{size - 1}/{size}"}
    server.state.behaviours.append(
        answer_body("m.tar.gz", 206, "application/gzip", archive, headers)
    )
    path = hub.resolve(server.url("m.tar.gz"))
    assert read_tree(path) == read_tree_of_archive(served_dir / "m.tar.gz")


def test_a_206_of_unknown_total_as_long_as_its_range_is_accepted(
    server, archive, served_dir
) -> None:
    """`bytes 0-(N-1)/*` with Content-Length N: nothing says the file is longer, so it is taken
    as the whole file (a truncation would still fail in the archive reader). It was refused as
    "sends only part of the file", which was not known (fx62i-I3)."""
    size = len(archive)
    server.state.behaviours.append(
        _whole_range_part_body("m.tar.gz", archive, f"bytes 0-{size - 1}/*")
    )
    path = hub.resolve(server.url("m.tar.gz"))
    assert read_tree(path) == read_tree_of_archive(served_dir / "m.tar.gz")


def test_a_206_whose_length_disagrees_with_its_range_is_refused(server, archive) -> None:
    """Content-Range says the whole file, Content-Length a part of it."""
    size = len(archive)
    server.state.behaviours.append(
        _whole_range_part_body("m.tar.gz", archive[:100], f"bytes 0-{size - 1}/{size}")
    )
    with pytest.raises(errors.PartialContentError, match="Content-Length: 100"):
        hub.resolve(server.url("m.tar.gz"))


def test_resuming_with_range_after_a_drop_still_works(server, served_dir) -> None:
    """tfhub's own Range request (a resume) is answered 206 for the rest: still taken."""
    files = {"big": random.Random(0).randbytes(50_000)}  # ~50 KB compressed.
    make_tar_gz(served_dir / "m.tar.gz", files)
    server.state.behaviours.append(drop_mid_body("m.tar.gz", after=1000))
    path = hub.resolve(server.url("m.tar.gz"))
    assert read_tree(path) == files
    ranges = [headers.get("Range") for _, _, headers in server.state.requests]
    assert ranges == [None, "bytes=1000-"], ranges


def read_tree_of_archive(path) -> dict[str, bytes]:
    """{member name: bytes} of the files of a .tar.gz."""
    import tarfile

    with tarfile.open(path) as archive:
        return {
            m.name: archive.extractfile(m).read()  # type: ignore[union-attr]
            for m in archive.getmembers()
            if m.isfile()
        }


def _whole_range_part_body(suffix: str, body: bytes, content_range: str):
    """Answers 206 with `body` (its own Content-Length) and `content_range`."""
    return answer_body(suffix, 206, "application/gzip", body, {"Content-Range": content_range})
