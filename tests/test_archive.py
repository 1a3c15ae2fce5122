"""Safe, streaming extraction: hostile members are refused by name and nothing leaves the target."""

from __future__ import annotations

import io
import os
import tarfile

import pytest
from tests._helpers.archives import MODEL_FILES, add_members, make_tar_gz, read_tree

from tfhub import _archive, errors


def _member(name, kind=tarfile.REGTYPE, *, linkname="", size=0):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    info.size = size
    return info


@pytest.mark.parametrize(
    ("member", "message"),
    [
        (_member("/etc/evil", size=1), "absolute path"),
        (_member("C:/evil", size=1), "absolute path"),
        (_member("../evil", size=1), "outside the module"),
        (_member("a/../../evil", size=1), "outside the module"),
        (_member("link", tarfile.SYMTYPE, linkname="/etc/passwd"), "link pointing outside"),
        (_member("link", tarfile.SYMTYPE, linkname="../../x"), "link pointing outside"),
        (_member("hard", tarfile.LNKTYPE, linkname="saved_model.pb"), "hard link"),
        (_member("dev", tarfile.CHRTYPE), "special file"),
        (_member("blk", tarfile.BLKTYPE), "special file"),
        (_member("fifo", tarfile.FIFOTYPE), "special file"),
    ],
)
def test_unsafe_members_are_refused_by_name(tmp_path, member, message):
    archive = add_members(tmp_path / "bad.tar.gz", [member])
    target = tmp_path / "out" / "target"
    target.mkdir(parents=True)
    with pytest.raises(errors.UnsafeArchiveError, match=message) as info:
        _archive.extract_file(archive, str(target))
    assert repr(member.name) in str(info.value)
    # Nothing was written outside the target.
    assert sorted(os.listdir(tmp_path / "out")) == ["target"]
    assert not (tmp_path / "evil").exists()


def test_symlink_inside_the_module_is_kept(tmp_path):
    archive = add_members(
        tmp_path / "ok.tar.gz", [_member("alias.pb", tarfile.SYMTYPE, linkname="saved_model.pb")]
    )
    target = tmp_path / "t"
    target.mkdir()
    assert _archive.extract_file(archive, str(target)) == 2
    assert os.readlink(target / "alias.pb") == "saved_model.pb"
    assert (target / "alias.pb").read_bytes() == b"abc"


def test_member_below_a_symlink_to_inside_stays_inside(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    members = [_member("d", tarfile.SYMTYPE, linkname="."), _member("d/x", size=1)]
    archive = add_members(tmp_path / "a.tar.gz", members)
    target = tmp_path / "t"
    target.mkdir()
    _archive.extract_file(archive, str(target))  # "d" -> "." stays inside: allowed.
    assert (target / "x").read_bytes() == b"x"


@pytest.mark.parametrize("compression", ["gz", "bz2", "xz", ""])
def test_compressions(tmp_path, compression):
    archive = make_tar_gz(tmp_path / "m.tar", compression=compression)
    target = tmp_path / "t"
    target.mkdir()
    assert _archive.extract_file(archive, str(target)) == len(MODEL_FILES)
    assert read_tree(target) == MODEL_FILES


def test_truncated_gzip_is_a_clear_error(tmp_path):
    archive = make_tar_gz(tmp_path / "m.tar.gz", {"big": os.urandom(200_000)})
    data = open(archive, "rb").read()
    open(archive, "wb").write(data[: len(data) // 2])
    target = tmp_path / "t"
    target.mkdir()
    with pytest.raises(errors.ArchiveError, match="truncated or corrupt"):
        _archive.extract_file(archive, str(target))


@pytest.mark.parametrize("seed", range(8))
def test_corrupt_gzip_is_a_clear_error(tmp_path, seed):
    import random

    rng = random.Random(seed)  # Different corruptions hit different decoder errors.
    files = {"big": bytes(rng.getrandbits(8) for _ in range(20_000)) * 3}
    archive = make_tar_gz(tmp_path / "m.tar.gz", files)
    data = bytearray(open(archive, "rb").read())
    start = rng.randrange(20, len(data) - 200)
    data[start : start + 100] = bytes(rng.getrandbits(8) for _ in range(100))
    open(archive, "wb").write(bytes(data))
    target = tmp_path / "t"
    target.mkdir()
    with pytest.raises(errors.ArchiveError, match="truncated or corrupt"):
        _archive.extract_file(archive, str(target))


def test_html_and_garbage_are_not_archives(tmp_path):
    for content, kind in [(b"<!DOCTYPE html><html>", "HTML page"), (b"PK\x03\x04zip", "not a")]:
        path = tmp_path / "x.tar.gz"
        path.write_bytes(content)
        with pytest.raises(errors.NotAnArchiveError, match=kind):
            _archive.extract_file(str(path), str(tmp_path))


def test_empty_tar_is_refused(tmp_path):
    archive = make_tar_gz(tmp_path / "e.tar.gz", {})
    with pytest.raises(errors.ArchiveError, match="no members|empty"):
        _archive.extract_file(archive, str(tmp_path))


def test_extract_fileobj_reads_any_reader(tmp_path):
    archive = make_tar_gz(tmp_path / "m.tar.gz")

    class Reader:  # Like tf.io.gfile.GFile: only read(n).
        def __init__(self, data):
            self._data = io.BytesIO(data)

        def read(self, n=-1):
            return self._data.read(n)

    target = tmp_path / "t"
    target.mkdir()
    _archive.extract_fileobj(Reader(open(archive, "rb").read()), str(target), source="gs://x")
    assert read_tree(target) == MODEL_FILES


def test_symlinked_dir_leading_out_is_refused(tmp_path):
    # A link to a sibling folder that *normalizes* inside but resolves outside on disk.
    target = tmp_path / "t"
    target.mkdir()
    os.symlink(tmp_path, target / "up")  # Planted before extraction (e.g. a reused folder).
    archive = add_members(tmp_path / "a.tar.gz", [_member("up/evil", size=1)])
    with pytest.raises(errors.UnsafeArchiveError, match="through a link outside"):
        _archive.extract_file(archive, str(target))
    assert not (tmp_path / "evil").exists()


@pytest.mark.parametrize(
    ("members", "refused"),
    [
        # A link through an earlier link: "a/up2" -> "up/.." reads as "a" but is the parent.
        (
            [
                _member("a", tarfile.DIRTYPE),
                _member("a/up", tarfile.SYMTYPE, linkname=".."),
                _member("a/up2", tarfile.SYMTYPE, linkname="up/.."),
            ],
            "a/up2",
        ),
        # A link written through a link to "." lands one level higher than its name says.
        (
            [
                _member("l1", tarfile.SYMTYPE, linkname="."),
                _member("l1/l2", tarfile.SYMTYPE, linkname=".."),
            ],
            "l1/l2",
        ),
        # The link comes first; the links it goes through are made afterwards.
        (
            [
                _member("a/b", tarfile.DIRTYPE),
                _member("x", tarfile.SYMTYPE, linkname="a/b/c/d/.."),
                _member("a/b/c", tarfile.SYMTYPE, linkname=".."),
                _member("a/b/c/d", tarfile.SYMTYPE, linkname=".."),
            ],
            "x",
        ),
    ],
)
def test_links_escaping_through_other_links_are_refused(tmp_path, members, refused):
    archive = add_members(tmp_path / "chain.tar.gz", members)
    target = tmp_path / "out" / "target"
    target.mkdir(parents=True)
    with pytest.raises(errors.UnsafeArchiveError, match="link pointing outside") as info:
        _archive.extract_file(archive, str(target))
    assert repr(refused) in str(info.value)
    assert sorted(os.listdir(tmp_path / "out")) == ["target"]


def test_links_escaping_through_links_leave_no_cache_entry(server, served_dir, isolated_cache):
    import tfhub as hub
    from tfhub import handles

    add_members(
        served_dir / "m.tar.gz",
        [
            _member("l1", tarfile.SYMTYPE, linkname="."),
            _member("l1/l2", tarfile.SYMTYPE, linkname=".."),
        ],
    )
    handle = server.url("m.tar.gz")
    with pytest.raises(errors.UnsafeArchiveError, match="'l1/l2'") as info:
        hub.resolve(handle)
    assert handle in str(info.value)
    key = handles.cache_key(handle)
    assert [n for n in os.listdir(isolated_cache) if n.startswith(key)] == []
