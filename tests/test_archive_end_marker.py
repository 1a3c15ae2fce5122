"""A tar stream must end with tar's end-of-archive marker; paths in extraction errors are escaped.

A tar cut exactly at a member boundary (no zero blocks after the last member) reads, to tarfile
and GNU tar, as a complete archive of fewer members: tfhub installed the partial model. Every
tar writer (GNU tar, bsdtar, Python's tarfile, `tfhub pack`) ends an archive with two zero
blocks; one lone zero block is accepted, as tarfile and GNU tar accept it.

Archives are real (tarfile, gzip), served from 127.0.0.1 or read from a stream.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests._helpers.http_server import LocalServer
from tests._helpers.raw_server import serve_raw

import tfhub as hub
from tfhub import _archive, errors, resolver
from tfhub.utils.printable import escaped

# name -> size: member boundaries at 1024, 2048 and 9216 (640: the first file's data is whole,
# its padding missing); the last member ends at 10240, then the end marker.
_FILES = {
    "saved_model.pb": 128,
    "variables/variables.index": 512,
    "variables/variables.data-00000-of-00001": 6656,
    "assets/vocab.txt": 3,
}
_LAST_MEMBER_END = 10240


def _tar() -> bytes:
    """A plain tar as Python's tarfile writes it (two zero blocks, padded to 10240 bytes)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name, size in _FILES.items():
            member = tarfile.TarInfo(name)
            member.size = size
            archive.addfile(member, io.BytesIO(b"x" * size))
    return buf.getvalue()


def _cache_left(cache: Path) -> list[str]:
    """What the cache holds besides its locks: entries, descriptors, temporary folders."""
    return sorted(name for name in os.listdir(cache) if name != ".locks") if cache.exists() else []


def _assert_says_cut_short(message: str, source: str) -> None:
    assert source in message, message
    assert "without tar's end-of-archive blocks" in message, message
    assert "probably cut short" in message, message
    assert "Download it again" in message and "tarfile" in message, message


def test_the_archives_tarfile_writes_end_with_the_marker_and_are_installed(
    server: LocalServer, served_dir: Path
) -> None:
    tar = _tar()
    assert tar[_LAST_MEMBER_END : _LAST_MEMBER_END + 1024] == bytes(1024)
    (served_dir / "m.tar.gz").write_bytes(gzip.compress(tar))
    path = hub.resolve(server.url("m.tar.gz"))
    assert (Path(path) / "assets" / "vocab.txt").read_bytes() == b"xxx"


@pytest.mark.parametrize("cut", [640, 1024, 2048, 9216, _LAST_MEMBER_END])
def test_a_complete_gzip_of_a_tar_cut_at_a_member_boundary_is_refused(
    server: LocalServer, served_dir: Path, isolated_cache: Path, cut: int
) -> None:
    """The gzip stream is whole (its CRC is right): only the tar inside was cut short."""
    (served_dir / "m.tar.gz").write_bytes(gzip.compress(_tar()[:cut]))
    url = server.url("m.tar.gz")
    with pytest.raises(errors.ArchiveError) as caught:
        hub.resolve(url)
    assert type(caught.value) is errors.ArchiveError
    _assert_says_cut_short(str(caught.value), url)
    assert f"ends at byte {cut} " in str(caught.value)
    assert _cache_left(isolated_cache) == []


def test_a_tar_cut_inside_its_first_zero_block_is_refused(
    server: LocalServer, served_dir: Path, isolated_cache: Path
) -> None:
    (served_dir / "m.tar.gz").write_bytes(gzip.compress(_tar()[: _LAST_MEMBER_END + 100]))
    with pytest.raises(errors.ArchiveError) as caught:
        hub.resolve(server.url("m.tar.gz"))
    _assert_says_cut_short(str(caught.value), server.url("m.tar.gz"))
    assert _cache_left(isolated_cache) == []


@pytest.mark.parametrize("zero_blocks", [1, 2])
def test_one_or_two_zero_blocks_end_the_archive(
    server: LocalServer, served_dir: Path, zero_blocks: int
) -> None:
    """A lone zero block is accepted, as tarfile (silently) and GNU tar (with a warning) do:
    no member can be missing after it."""
    tar = _tar()[: _LAST_MEMBER_END + 512 * zero_blocks]
    (served_dir / "m.tar.gz").write_bytes(gzip.compress(tar))
    path = Path(hub.resolve(server.url("m.tar.gz")))
    assert sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file()) == sorted(
        _FILES
    )


@pytest.fixture
def raw_tar_url() -> Iterator[str]:
    """A server sending a plain tar cut at a 512-byte boundary, without Content-Length: the
    end of the connection is the end of the body, so nothing else tells it was cut."""
    head = b"HTTP/1.0 200 OK\r\nContent-Type: application/x-tar\r\n\r\n"
    listener, _ = serve_raw(head + _tar()[:2048])
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/m.tar"
    finally:
        listener.close()


def test_a_plain_tar_without_content_length_cut_at_a_block_boundary_is_refused(
    raw_tar_url: str, isolated_cache: Path
) -> None:
    with pytest.raises(errors.ArchiveError) as caught:
        hub.resolve(raw_tar_url)
    _assert_says_cut_short(str(caught.value), raw_tar_url)
    assert _cache_left(isolated_cache) == []


def test_downloadmanager_of_tensorflow_hub_resolvers_refuses_it_too(
    server: LocalServer, served_dir: Path, tmp_path: Path
) -> None:
    """Resolvers written for tensorflow_hub extract through `resolver.DownloadManager`."""
    (served_dir / "m.tar.gz").write_bytes(gzip.compress(_tar()[:2048]))
    url = server.url("m.tar.gz")
    target = tmp_path / "t"
    target.mkdir()
    with urllib.request.urlopen(url) as response, pytest.raises(errors.ArchiveError) as caught:
        resolver.DownloadManager(url).download_and_uncompress(response, str(target))
    _assert_says_cut_short(str(caught.value), url)


# --- Paths in extraction errors ---------------------------------------------------------------


def test_a_target_with_a_newline_and_a_terminal_escape_is_named_escaped(tmp_path: Path) -> None:
    """A write into the target that fails names it (and the file) escaped: the message cannot
    forge a line or send a terminal escape."""
    target = tmp_path / "cache\nForged: line\x1b[2J"  # Never made: the first write fails.
    with pytest.raises(errors.CacheError) as caught:
        _archive.extract(io.BytesIO(gzip.compress(_tar())), str(target), source="SRC")
    message = str(caught.value)
    assert message.isprintable(), message
    assert f"into {escaped(str(target))}:" in message, message
    assert escaped(f"{target}/saved_model.pb") in message, message


def test_a_local_archive_named_with_a_newline_is_named_escaped(tmp_path: Path) -> None:
    """`tfhub import` of a file whose name holds a newline and a terminal escape: the errors
    that name the archive (a cut one here) cannot forge a line or send the escape."""
    archive = tmp_path / "model\nForged: line\x1b[2J.tar"
    archive.write_bytes(_tar()[:1024])  # Cut at a member boundary.
    target = tmp_path / "target"
    target.mkdir()
    with pytest.raises(errors.ArchiveError) as caught:
        _archive.extract_file(str(archive), str(target))
    message = str(caught.value)
    assert message.isprintable(), message
    _assert_says_cut_short(message, escaped(str(archive)))
