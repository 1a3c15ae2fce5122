"""Hostile archives a server could send: too many members, and odd names, headers and links.

Each archive is real (built here, served from 127.0.0.1 or read from disk) and each must end in a
clear tfhub error or a correct extraction: never a raw OSError, ValueError or RecursionError,
and never a write outside the target.
"""

from __future__ import annotations

import errno
import gzip
import io
import os
import tarfile
from typing import Any

import pytest
from tests._helpers.archives import add_members
from tests._helpers.resolve_errors import assert_pickles, resolve_error

from tfhub import _archive, _archive_stream, _archive_writer, constants, errors


def _empty(name: str) -> tarfile.TarInfo:
    return tarfile.TarInfo(name)  # A regular file of 0 bytes.


def _cache_entries() -> list[str]:
    return [n for n in os.listdir(os.environ["TFHUB_CACHE_DIR"]) if n != ".locks"]


# --- TFHUB_MAX_ARCHIVE_MEMBERS ------------------------------------------------------------------


def test_an_archive_of_too_many_empty_files_is_refused_through_resolve(
    server, served_dir, monkeypatch
):
    """A gzipped tar of millions of empty files is tiny on the wire, far below
    TFHUB_MAX_EXTRACTED_BYTES, and took hours and every inode: nothing bounded the members."""

    add_members(served_dir / "m.tar.gz", [_empty(f"e{i}") for i in range(300)])
    monkeypatch.setenv(constants.TFHUB_MAX_ARCHIVE_MEMBERS, "100")
    url = server.url("m.tar.gz")
    error = resolve_error(
        url, errors.ArchiveTooManyMembersError, errors.ArchiveTooLargeError, OSError
    )
    message = str(error)
    assert message.startswith(f"{url} is refused: it holds more than 100 members"), message
    assert "set TFHUB_MAX_ARCHIVE_MEMBERS higher" in message
    assert (error.limit, error.source) == (100, url)
    assert_pickles(error, "limit", "source")
    assert _cache_entries() == []  # No entry, no temporary folder: the cache stays valid.


def test_the_members_cap_stops_before_the_next_member_is_written(tmp_path, monkeypatch):
    archive = add_members(tmp_path / "a.tar.gz", [_empty(f"e{i}") for i in range(300)])
    monkeypatch.setenv(constants.TFHUB_MAX_ARCHIVE_MEMBERS, "100")
    target = tmp_path / "t"
    target.mkdir()
    with pytest.raises(errors.ArchiveTooManyMembersError, match="more than 100 members"):
        _archive.extract_file(archive, str(target))
    assert len(os.listdir(target)) == 100  # saved_model.pb and e0..e98; not e99.


def test_an_archive_of_exactly_the_cap_is_extracted(tmp_path, monkeypatch):
    archive = add_members(tmp_path / "a.tar.gz", [_empty(f"e{i}") for i in range(99)])
    monkeypatch.setenv(constants.TFHUB_MAX_ARCHIVE_MEMBERS, "100")
    target = tmp_path / "t"
    target.mkdir()
    assert _archive.extract_file(archive, str(target)).members == 100


def test_the_members_cap_with_a_writer_process_leaves_the_cache_valid(
    server, served_dir, monkeypatch
):
    """Past WORKER_AFTER small files a writer process writes them: refusing there must wait
    for it and leave no temporary folder behind."""
    import tfhub as hub

    count = _archive_writer.WORKER_AFTER + 2 * _archive_writer.BATCH_FILES
    add_members(served_dir / "m.tar.gz", [_empty(f"d/e{i}") for i in range(count + 500)])
    monkeypatch.setenv(constants.TFHUB_MAX_ARCHIVE_MEMBERS, str(count))
    with pytest.raises(errors.ArchiveTooManyMembersError, match=f"more than {count} members"):
        hub.resolve(server.url("m.tar.gz"))
    assert _cache_entries() == []
    monkeypatch.setenv(constants.TFHUB_MAX_ARCHIVE_MEMBERS, str(count + 501))
    folder = hub.resolve(server.url("m.tar.gz"))
    assert len(os.listdir(os.path.join(folder, "d"))) == count + 500


def test_the_members_cap_is_validated(monkeypatch):
    assert constants.max_archive_members() == constants.DEFAULT_MAX_ARCHIVE_MEMBERS == 1_000_000
    monkeypatch.setenv(constants.TFHUB_MAX_ARCHIVE_MEMBERS, " 5000 ")
    assert constants.max_archive_members() == 5000
    for raw in ["0", "-1", "1e6", "1M", "lots", "²", "1.5"]:
        monkeypatch.setenv(constants.TFHUB_MAX_ARCHIVE_MEMBERS, raw)
        with pytest.raises(errors.SettingError, match=f"MEMBERS must be .*Received: '{raw}'"):
            constants.max_archive_members()


# --- Names no filesystem can hold ---------------------------------------------------------------


def _pax(name: str, kind: bytes = tarfile.REGTYPE, **pax: str) -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.type = kind
    member.pax_headers = dict(pax)
    if kind == tarfile.SYMTYPE:
        member.linkname = "saved_model.pb"
    return member


def _pax_archive(path: Any, members: list[tarfile.TarInfo]) -> str:
    """`add_members`, in the pax format (whose records may hold any byte, NUL too)."""
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as archive:
        good = tarfile.TarInfo("saved_model.pb")
        good.size = 3
        archive.addfile(good, io.BytesIO(b"abc"))
        for member in members:
            archive.addfile(member, io.BytesIO(b"x" * member.size) if member.isfile() else None)
    return os.fspath(path)


@pytest.mark.parametrize(
    "member",
    [
        _pax("x", path="a\0b"),
        _pax("x", tarfile.DIRTYPE, path="a\0b"),
        _pax("l", tarfile.SYMTYPE, linkpath="saved\0model.pb"),
    ],
    ids=["file", "folder", "link-target"],
)
def test_a_nul_in_a_member_name_is_named(server, served_dir, member):
    """A pax record may hold a NUL: os.open raised ValueError("embedded null byte"), reported
    as "The archive is truncated or corrupt", which it is not."""
    import tfhub as hub

    _pax_archive(served_dir / "m.tar.gz", [member])
    with pytest.raises(errors.ArchiveError) as info:
        hub.resolve(server.url("m.tar.gz"))
    message = str(info.value)
    assert "has a NUL byte in its name or link target" in message, message
    assert "truncated or corrupt" not in message
    assert _cache_entries() == []


def test_a_nul_in_a_name_sent_to_the_writer_process_is_named(tmp_path, capfd):
    """Past WORKER_AFTER small files, the name went to the writer process, which died on the
    ValueError with a traceback on stderr: the user read "ended unexpectedly (killed, or out of
    memory?). Try again", a CacheError."""
    many = [_pax(f"f{i}") for i in range(_archive_writer.WORKER_AFTER + 600)]
    archive = _pax_archive(tmp_path / "a.tar.gz", [*many, _pax("x", path="a\0b")])
    target = tmp_path / "t"
    target.mkdir()
    with pytest.raises(errors.ArchiveError, match="has a NUL byte in its name"):
        _archive.extract_file(archive, str(target))
    assert "Traceback" not in capfd.readouterr().err


def test_the_writer_process_answers_a_nul_path_instead_of_dying(tmp_path):
    """The worker is the last line: a path the parent let through must come back as a failed
    write (an ArchiveError naming the member), not kill the worker."""
    from tfhub import _archive_write_worker

    root = os.open(tmp_path, os.O_RDONLY)
    try:
        items = [("ok", b"1", False), ("a\0b", b"2", False), ("after", b"3", False)]
        failure = _archive_write_worker.write_batch(root, items)
    finally:
        os.close(root)
    assert failure is not None and failure[:2] == ("a\0b", errno.EINVAL), failure
    assert sorted(os.listdir(tmp_path)) == ["ok"]


def test_an_empty_member_name_would_replace_the_module(tmp_path):
    """A pax path "" reached the fast path as a plain name: "'' is a file, but an earlier member
    of the same name is a dir (duplicate member names)"."""
    archive = _pax_archive(tmp_path / "a.tar.gz", [_pax("x", path="")])
    target = tmp_path / "t"
    target.mkdir()
    with pytest.raises(errors.UnsafeArchiveError, match="'' would replace the module"):
        _archive.extract_file(archive, str(target))


# --- Headers tarfile takes for the end ----------------------------------------------------------


def _three_files() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name in ("saved_model.pb", "variables/variables.index", "assets/vocab.txt"):
            member = tarfile.TarInfo(name)
            member.size = 3
            archive.addfile(member, io.BytesIO(b"abc"))
    return buf.getvalue()


@pytest.mark.parametrize(
    ("how", "said"),
    [("checksum", "is damaged"), ("garbage", "is damaged"), ("cut", "is cut short")],
)
def test_a_damaged_header_is_not_taken_for_the_end(server, served_dir, how, said):
    """tarfile ends an archive at a header it cannot read, as at the end marker: an archive
    whose second header was damaged (or a plain tar cut inside it) was cached as a model of one
    file, complete, for good."""
    import tfhub as hub

    tar = bytearray(_three_files())
    if how == "checksum":
        tar[1024 + 148] ^= 1
    elif how == "garbage":
        tar[1024:1536] = b"\x01" * 512
    body = gzip.compress(bytes(tar)) if how != "cut" else bytes(tar[: 1024 + 100])
    (served_dir / "m.tar.gz").write_bytes(body)
    with pytest.raises(errors.ArchiveError) as info:
        hub.resolve(server.url("m.tar.gz"))
    message = str(info.value)
    assert f"the tar header at byte 1024 {said}" in message, message
    assert "does not appear to be a valid module" in message and "try again" in message
    assert _cache_entries() == []


# --- Links that cost time to follow -------------------------------------------------------------


def _link(name: str, target: str) -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.type = tarfile.SYMTYPE
    member.linkname = target
    return member


def _chain(pad: int) -> list[tarfile.TarInfo]:
    """40 links L0 -> L1 -> ... -> folder D, each target padded with `pad` x "a/../"."""
    links = [_link(f"L{i}", "a/../" * pad + f"L{i + 1}") for i in range(39)]
    folder = tarfile.TarInfo("D")
    folder.type = tarfile.DIRTYPE
    return [folder, *links, _link("L39", "a/../" * pad + "D")]


@pytest.mark.parametrize(
    ("pad", "refused"),
    [(800, "Archive member 'L0' is a link in a chain of links"), (3, "'L0/f0' goes through")],
    ids=["one-long-target", "forty-short-targets"],
)
def test_links_that_take_too_long_to_follow_are_refused(server, served_dir, pad, refused):
    """Each member's folder was resolved through the archive's links again after every new link:
    40 links with 1,600-component targets (4 KB gzipped with 200 files, each after a link)
    took 12 s, ~60 ms a member; a million members, hours. Upstream refused every link."""
    import tfhub as hub

    members = _chain(pad)
    for i in range(3):
        members += [_link(f"d{i}", "D"), _empty(f"L0/f{i}")]
    add_members(served_dir / "m.tar.gz", members)
    with pytest.raises(errors.UnsafeArchiveError) as info:
        hub.resolve(server.url("m.tar.gz"))
    message = str(info.value)
    assert refused in message and "add up to more than 256 path components" in message, message
    assert _cache_entries() == []


def test_a_chain_of_forty_short_links_is_still_followed(tmp_path):
    archive = add_members(tmp_path / "a.tar.gz", [*_chain(2), _empty("L0/f")])
    target = tmp_path / "t"
    target.mkdir()
    assert "D/f" in _archive.extract_file(archive, str(target)).files


# --- Sparse members: tarfile reads their maps before they can be refused ------------------------


def _model_then(tail: bytes) -> bytes:
    """A GNU tar of saved_model.pb, then the raw bytes `tail`."""
    good = tarfile.TarInfo("saved_model.pb")
    good.size = 3
    return good.tobuf(tarfile.GNU_FORMAT) + b"abc".ljust(512, b"\0") + tail


def _old_gnu_sparse(extended: bool) -> bytes:
    """An old-GNU sparse header ('S') of one 1-byte region, with its `isextended` flag."""
    member = tarfile.TarInfo("holes")
    member.size = 1
    block = bytearray(member.tobuf(tarfile.GNU_FORMAT))
    block[156:157] = tarfile.GNUTYPE_SPARSE
    block[386:410] = b"%011o\0%011o\0" % (0, 1)  # The first (offset, numbytes).
    block[482] = int(extended)
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)
    return bytes(block)


def _sparse_extension(more: bool) -> bytes:
    block = bytearray(b"".join(b"%011o\0%011o\0" % (i + 1, 1) for i in range(21)).ljust(512, b"\0"))
    block[504] = int(more)
    return bytes(block)


def _sparse_10(regions: int) -> bytes:
    """A pax (GNU sparse 1.0) member whose map, read from its data, lists `regions` regions."""
    member = tarfile.TarInfo("holes")
    member.pax_headers = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0",
                          "GNU.sparse.name": "holes", "GNU.sparse.realsize": "1"}  # fmt: skip
    header = member.tobuf(tarfile.PAX_FORMAT)
    sparse_map = b"%d\n" % regions + b"1\n" * (2 * regions)
    return header + sparse_map.ljust(-(-len(sparse_map) // 512) * 512, b"\0")


def test_a_sparse_header_cut_short_is_an_archive_error(server, served_dir):
    """tarfile indexed the missing extension block: a raw IndexError out of hub.resolve."""
    import tfhub as hub

    (served_dir / "m.tar.gz").write_bytes(gzip.compress(_model_then(_old_gnu_sparse(True))))
    with pytest.raises(errors.ArchiveError, match="a GNU sparse header is cut short"):
        hub.resolve(server.url("m.tar.gz"))
    assert _cache_entries() == []


@pytest.mark.parametrize(
    "sparse",
    [
        _old_gnu_sparse(True) + _sparse_extension(True) * 2200 + _sparse_extension(False),
        _sparse_10(300_000),
    ],
    ids=["old-gnu-extensions", "pax-1.0-map"],
)
def test_a_sparse_map_is_bounded_before_the_member_is_refused(server, served_dir, sparse):
    """tarfile reads a sparse member's whole map before tfhub sees the member and refuses it:
    100 MB of map (100 KB gzipped) took 53 s and 400 MB of memory. Now one member's headers
    stop at MAX_MEMBER_HEADERS (1 MiB and 64 KiB)."""
    import tfhub as hub

    tar = _model_then(sparse + b"\0" * 1024)
    limit = _archive_stream.MAX_MEMBER_HEADERS
    assert len(tar) > limit
    (served_dir / "m.tar.gz").write_bytes(gzip.compress(tar))
    with pytest.raises(errors.ArchiveError) as info:
        hub.resolve(server.url("m.tar.gz"))
    message = str(info.value)
    assert "The headers of one member" in message and f"take more than {limit} bytes" in message
    assert _cache_entries() == []


def test_a_small_sparse_member_is_still_refused_as_sparse(tmp_path):
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(gzip.compress(_model_then(_sparse_10(3) + b"x".ljust(512, b"\0"))))
    target = tmp_path / "t"
    target.mkdir()
    with pytest.raises(errors.UnsafeArchiveError, match="'holes' is a sparse file"):
        _archive.extract_file(str(archive), str(target))
