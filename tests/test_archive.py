"""Safe, streaming extraction: hostile members are refused by name and nothing leaves the target."""

from __future__ import annotations

import errno
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
    assert _archive.extract_file(archive, str(target)).members == 2
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
    assert _archive.extract_file(archive, str(target)).members == len(MODEL_FILES)
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
    with pytest.raises(errors.ArchiveError, match="The archive's gzip data is corrupt: "):
        _archive.extract_file(archive, str(target))


def test_html_and_garbage_are_not_archives(tmp_path):
    """Other archive kinds are named, with what to do (a zipped SavedModel: "starts with
    b'PK\\x03\\x04...'" said nothing a user would recognise)."""
    repack = r", not a tar archive \(plain, or compressed .*\) as TF Hub models are: unpack it"
    for content, kind in [
        (b"<!DOCTYPE html><html>", "HTML page"),
        (b"PK\x03\x04zip", "is a ZIP archive" + repack),
        (b"PK\x05\x06" + bytes(18), "is a ZIP archive"),  # An empty one.
        (b"\x28\xb5\x2f\xfd\x04", r"is a Zstandard stream \(\.zst\)" + repack),
        (b"7z\xbc\xaf\x27\x1c\x00\x04", "is a 7-Zip archive"),
        (b"Rar!\x1a\x07\x01\x00", "is a RAR archive"),
        (b"\x04\x22\x4d\x18\x64", "is an LZ4 stream"),
        (b"\x00\x01garbage", r"not a \.tar.* archive \(starts with b'\\x00\\x01garbage'\)"),
        (b"", r"not a \.tar.* archive \(it is empty: 0 bytes\)"),  # It said "starts with b''".
    ]:
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


# --- Issue 10 item 1: nothing is created outside the target, ever ----------------------------


def _future_link_escape(outside):
    """`b` -> a path that is harmless now but leaves once `d` -> "." exists; then `b/X/Y/f`."""
    depth = len(outside.parts) + 2
    up = "d/" * depth + "../" * depth  # Lexically ".", on disk `depth` levels up once d -> ".".
    return [
        _member("b", tarfile.SYMTYPE, linkname=up + str(outside).lstrip("/")),
        _member("d", tarfile.SYMTYPE, linkname="."),
        _member("b/X/Y/f", size=1),
    ]


def test_links_made_later_cannot_lead_writes_outside(tmp_path):
    members = [
        _member("b", tarfile.SYMTYPE, linkname="d/d/../../escaped"),
        _member("d", tarfile.SYMTYPE, linkname="."),
        _member("b/X/Y/f", size=1),
    ]
    archive = add_members(tmp_path / "a.tar.gz", members)
    target = tmp_path / "out" / "target"
    target.mkdir(parents=True)
    with pytest.raises(errors.UnsafeArchiveError, match="link"):
        _archive.extract_file(archive, str(target))
    assert sorted(os.listdir(tmp_path / "out")) == ["target"]
    assert not (tmp_path / "out" / "escaped").exists()


def test_absolute_variant_of_a_future_link_creates_nothing(tmp_path):
    outside = tmp_path / "anywhere"  # Reached through "/" from the target: any folder works.
    archive = add_members(tmp_path / "a.tar.gz", _future_link_escape(outside))
    target = tmp_path / "out" / "target"
    target.mkdir(parents=True)
    with pytest.raises(errors.UnsafeArchiveError, match="'b/X/Y/f'"):
        _archive.extract_file(archive, str(target))
    assert not outside.exists()


def test_absolute_variant_through_resolve_and_import(server, served_dir, tmp_path, isolated_cache):
    import tfhub as hub
    from tfhub.cache.importing import import_archive

    outside = tmp_path / "anywhere"
    add_members(served_dir / "m.tar.gz", _future_link_escape(outside))
    with pytest.raises(errors.UnsafeArchiveError):
        hub.resolve(server.url("m.tar.gz"))
    with pytest.raises(errors.UnsafeArchiveError):
        import_archive(str(served_dir / "m.tar.gz"), "https://example.com/m/1", force=False)
    assert not outside.exists()
    assert not any(name.endswith(".tmp") for name in os.listdir(isolated_cache))


def test_links_between_folders_of_the_archive_are_followed(tmp_path):
    members = [
        _member("real", tarfile.DIRTYPE),
        _member("alias", tarfile.SYMTYPE, linkname="real"),
        _member("alias/sub/f", size=2),
    ]
    archive = add_members(tmp_path / "a.tar.gz", members)
    target = tmp_path / "t"
    target.mkdir()
    result = _archive.extract_file(archive, str(target))
    assert (target / "real" / "sub" / "f").read_bytes() == b"xx"
    assert not os.path.islink(target / "real" / "sub")
    assert "real/sub/f" in result.files


def test_link_loops_are_refused(tmp_path):
    members = [
        _member("a", tarfile.SYMTYPE, linkname="b"),
        _member("b", tarfile.SYMTYPE, linkname="a"),
        _member("a/f", size=1),
    ]
    archive = add_members(tmp_path / "a.tar.gz", members)
    target = tmp_path / "t"
    target.mkdir()
    with pytest.raises(errors.UnsafeArchiveError, match="loop of links"):
        _archive.extract_file(archive, str(target))


# --- Issue 10 item 2: bounded extraction ------------------------------------------------------


def test_decompression_bomb_stops_at_the_cap(tmp_path, monkeypatch):
    archive = make_tar_gz(tmp_path / "bomb.tar.gz", {"zeros": bytes(8 << 20)})
    assert os.path.getsize(archive) < 100_000
    monkeypatch.setenv("TFHUB_MAX_EXTRACTED_BYTES", "1M")
    target = tmp_path / "t"
    target.mkdir()
    with pytest.raises(errors.ArchiveTooLargeError) as info:
        _archive.extract_file(archive, str(target))
    error = info.value
    assert error.limit == 1 << 20 and error.source == archive
    assert archive in str(error) and "TFHUB_MAX_EXTRACTED_BYTES" in str(error)
    assert os.listdir(target) == []  # Refused before the member was written.
    import pickle

    copy = pickle.loads(pickle.dumps(error))
    assert (copy.limit, copy.source, str(copy)) == (error.limit, error.source, str(error))


def test_headers_of_many_empty_members_count_against_the_cap(tmp_path, monkeypatch):
    archive = add_members(tmp_path / "empties.tar.gz", [_member(f"e{i}") for i in range(3000)])
    monkeypatch.setenv("TFHUB_MAX_EXTRACTED_BYTES", "1000K")  # 2000 headers; there are 3000.
    target = tmp_path / "t"
    target.mkdir()
    with pytest.raises(errors.ArchiveTooLargeError):
        _archive.extract_file(archive, str(target))
    assert 1990 <= len(os.listdir(target)) < 2000  # Stopped at the cap, not a chunk later.


def test_bomb_through_resolve_leaves_no_temporary_folder(server, served_dir, monkeypatch):
    import tfhub as hub

    make_tar_gz(served_dir / "m.tar.gz", {"a": b"x", "zeros": bytes(4 << 20)})
    monkeypatch.setenv("TFHUB_MAX_EXTRACTED_BYTES", "2M")
    with pytest.raises(errors.ArchiveTooLargeError, match="2097152 bytes"):
        hub.resolve(server.url("m.tar.gz"))
    cache_dir = os.environ["TFHUB_CACHE_DIR"]
    assert [n for n in os.listdir(cache_dir) if n != ".locks"] == []


def test_the_cap_is_validated(monkeypatch):
    from tfhub import constants

    monkeypatch.setenv("TFHUB_MAX_EXTRACTED_BYTES", "1.5G")
    assert constants.max_extracted_bytes() == 3 << 29
    for raw in ["lots", "inf", "nan", "1e400", "²"]:  # Not numbers, or none int() can hold.
        monkeypatch.setenv("TFHUB_MAX_EXTRACTED_BYTES", raw)
        with pytest.raises(errors.SettingError, match=f"BYTES must be .*Received: '{raw}'"):
            constants.max_extracted_bytes()
        monkeypatch.setenv("TFHUB_DOWNLOAD_MIN_SPEED", raw)
        with pytest.raises(errors.SettingError, match=f"SPEED must be .*Received: '{raw}'"):
            constants.download_min_speed()
        monkeypatch.setenv("TFHUB_LOCK_TIMEOUT", raw)  # Seconds: none of these either.
        with pytest.raises(errors.SettingError, match=f"TIMEOUT must be .*Received: '{raw}'"):
            constants.lock_timeout()


def test_seconds_and_retries_settings_are_bounded(monkeypatch, tmp_path):
    """TFHUB_HTTP_TIMEOUT=1e10 (meaning "never") passed the check, then the socket raised a raw
    OverflowError ("timestamp out of range for platform time_t"); TFHUB_HTTP_RETRIES=abc or -1
    was taken silently."""
    from tfhub import constants

    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "1e6")
    assert constants.http_timeout() == 1e6
    for raw in ["1e10", "99999999999", "1000001"]:
        monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", raw)
        with pytest.raises(errors.SettingError, match=r"at most 1,000,000\. Received"):
            constants.http_timeout()
    monkeypatch.delenv("TFHUB_HTTP_TIMEOUT")
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", " 7 ")
    assert constants.http_retries() == 7
    for raw in ["abc", "-1", "2.5", "101", "٣", "9" * 5000]:
        monkeypatch.setenv("TFHUB_HTTP_RETRIES", raw)
        with pytest.raises(
            errors.SettingError, match=r"from 0 to 100 \(default 4\)\. Received"
        ) as raised:
            constants.http_retries()
        assert isinstance(raised.value, ValueError)


def test_gnu_sparse_member_is_refused(tmp_path):
    import shutil
    import subprocess

    if shutil.which("tar") is None:
        pytest.skip("GNU tar is needed to write a sparse member")
    big = tmp_path / "src" / "holes"
    big.parent.mkdir()
    with open(big, "wb") as out:
        out.truncate(1 << 40)  # 1 TiB of holes, nothing on disk.
    archive = tmp_path / "sparse.tar.gz"
    subprocess.run(["tar", "-cSzf", str(archive), "-C", str(big.parent), "holes"], check=True)
    assert os.path.getsize(archive) < 10_000
    target = tmp_path / "t"
    target.mkdir()
    with pytest.raises(errors.UnsafeArchiveError, match="'holes' is a sparse file"):
        _archive.extract_file(str(archive), str(target))
    assert os.listdir(target) == []


# --- Issue 10 items 6, 12, 14 and issue 11 item 6 ---------------------------------------------


class _Dribble:
    """A stream whose first reads return `first` bytes, then the rest (a slow first packet)."""

    def __init__(self, data, first):
        self._data, self._first = io.BytesIO(data), first

    def read(self, n=-1):
        size = self._first if self._first else n
        self._first = 0
        return self._data.read(min(size, n) if n >= 0 else size)


@pytest.mark.parametrize(("compression", "first"), [("gz", 1), ("", 100), ("", 300)])
def test_a_short_first_read_is_not_taken_for_a_bad_archive(tmp_path, compression, first):
    data = open(make_tar_gz(tmp_path / "m", compression=compression), "rb").read()
    target = tmp_path / "t"
    target.mkdir()
    _archive.extract(_Dribble(data, first), str(target), source="x")
    assert read_tree(target) == MODEL_FILES


@pytest.mark.parametrize("compression", ["gz", ""])
def test_trailing_bytes_after_the_archive_are_ignored(tmp_path, compression):
    path = make_tar_gz(tmp_path / "m", compression=compression)
    with open(path, "ab") as out:
        out.write(b"trailing garbage, as upstream accepted" * 10)
    target = tmp_path / "t"
    target.mkdir()
    _archive.extract_file(path, str(target))
    assert read_tree(target) == MODEL_FILES


@pytest.mark.parametrize("trailer", [b"", b"trailing garbage" * 4])
def test_a_tar_split_over_several_gzip_members_extracts_whole(tmp_path, trailer):
    import gzip

    files = {"big": os.urandom(300_000), **MODEL_FILES}
    tar = open(make_tar_gz(tmp_path / "m.tar", files, compression=""), "rb").read()
    cuts = [0, 1000, 150_001, len(tar)]  # As pigz or bgzip write: one member after another.
    parts = [gzip.compress(tar[a:b]) for a, b in zip(cuts, cuts[1:], strict=False)]
    path = tmp_path / "m.tar.gz"
    path.write_bytes(b"".join(parts) + trailer)
    target = tmp_path / "t"
    target.mkdir()
    _archive.extract_file(str(path), str(target))
    assert read_tree(target) == files


def test_gzip_crc_error_after_the_tar_end_is_still_corruption(tmp_path):
    path = make_tar_gz(tmp_path / "m.tar.gz")
    data = bytearray(open(path, "rb").read())
    data[-8] ^= 0xFF  # The CRC32 in the gzip trailer: the tar itself parses.
    open(path, "wb").write(bytes(data))
    target = tmp_path / "t"
    target.mkdir()
    with pytest.raises(errors.ArchiveError, match="the checksum in its gzip trailer does not"):
        _archive.extract_file(path, str(target))


def test_corrupt_archive_message_starts_with_upstreams_wording(tmp_path):
    path = make_tar_gz(tmp_path / "m.tar.gz", {"big": os.urandom(100_000)})
    data = open(path, "rb").read()
    open(path, "wb").write(data[: len(data) // 2])
    with pytest.raises(errors.ArchiveError) as info:
        _archive.extract_file(path, str(tmp_path))
    assert str(info.value).startswith(f"{path} does not appear to be a valid module. ")


def test_archive_of_folders_only_is_refused(tmp_path):
    archive = tmp_path / "dirs.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name in ("variables", "assets"):
            tar.addfile(_member(name, tarfile.DIRTYPE))
    target = tmp_path / "t"
    target.mkdir()
    with pytest.raises(errors.ArchiveError, match="holds no files"):
        _archive.extract_file(str(archive), str(target))


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ([_member("a", size=1), _member("a", tarfile.DIRTYPE)], "duplicate member names"),
        ([_member("a", size=1), _member("a/b", size=1)], "which is a file"),
        ([_member("v", tarfile.DIRTYPE), _member("v", size=1)], "duplicate member names"),
        ([_member("n" * 300, size=1)], "too long"),
        ([_member("d/" * 2100 + "f", size=1)], "too long"),
    ],
)
def test_names_the_filesystem_cannot_hold_are_tfhub_errors(tmp_path, members, message):
    archive = add_members(tmp_path / "a.tar.gz", members)
    target = tmp_path / "t"
    target.mkdir()
    with pytest.raises(errors.ArchiveError, match=message) as info:
        _archive.extract_file(archive, str(target))
    assert str(info.value).startswith(f"{archive} does not appear to be a valid module.")


@pytest.mark.parametrize("files", [20, 3000], ids=["this process", "writer process"])
def test_a_target_removed_while_extracting_is_a_cache_error(tmp_path, files):
    """A cleaner of temporary folders removes the download's folder half-way: not "corrupt"."""
    archive = make_tar_gz(tmp_path / "a.tar.gz", {f"d{i % 10}/f{i}": b"x" for i in range(files)})
    target = tmp_path / "t"
    target.mkdir()

    class RemovesTheTargetHalfway(io.BytesIO):
        def read(self, size=-1):
            if self.tell() > len(self.getbuffer()) // 2 and target.exists():
                target.rename(tmp_path / "removed")  # As a removal looks to the writer.
            return super().read(min(size, 512) if size and size > 0 else 512)

    with open(archive, "rb") as raw:
        reader = RemovesTheTargetHalfway(raw.read())
    with pytest.raises(errors.CacheError) as caught:
        _archive.extract_fileobj(reader, str(target), source="a.tar.gz")
    assert caught.value.errno == errno.ENOENT and caught.value.path == str(target)
    message = caught.value.strerror  # str() starts with "[Errno 2] ", as OSError's does.
    assert message.startswith(f"Cannot write a.tar.gz's files into {target}: ")
    assert "Something removed that folder while the archive was extracted" in message
    assert not target.exists()  # Nothing recreated it.


def test_a_file_given_twice_keeps_the_last_copy(tmp_path):
    archive = tmp_path / "twice.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for content in (b"old", b"newer"):
            info = _member("saved_model.pb", size=len(content))
            tar.addfile(info, io.BytesIO(content))
    target = tmp_path / "t"
    target.mkdir()
    result = _archive.extract_file(str(archive), str(target))
    assert (target / "saved_model.pb").read_bytes() == b"newer"
    assert result.files["saved_model.pb"][0] == 5


# --- Content digests (issue 10 item 11) -------------------------------------------------------


def test_extraction_returns_each_files_size_and_sha256(tmp_path):
    import hashlib

    files = {**MODEL_FILES, "variables/big": os.urandom(700_000), "empty": b""}
    archive = make_tar_gz(tmp_path / "m.tar.gz", files)
    target = tmp_path / "t"
    target.mkdir()
    result = _archive.extract_file(archive, str(target))
    assert result.algorithm == "sha256"
    assert result.files == {
        name: (len(data), hashlib.sha256(data).hexdigest()) for name, data in files.items()
    }
    assert result.sizes() == {name: len(data) for name, data in files.items()}


# --- The fast header path reads what tarfile reads ---------------------------------------------


@pytest.mark.parametrize("fmt", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_every_tar_format_extracts_the_same_tree(tmp_path, fmt):
    long_dir = "p" * 90 + "/" + "q" * 60  # > 100 bytes: ustar's prefix, GNU's or pax's long name.
    files = {"saved_model.pb": b"pb", f"{long_dir}/variables.index": b"i", "é/ü.txt": b"u"}
    archive = tmp_path / "m.tar"
    with tarfile.open(archive, "w", format=fmt, pax_headers={"comment": "x"} if fmt else {}) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        folder = tarfile.TarInfo("empty/")
        folder.type = tarfile.DIRTYPE
        tar.addfile(folder)
        tar.addfile(_member("alias", tarfile.SYMTYPE, linkname="saved_model.pb"))
    target = tmp_path / "t"
    target.mkdir()
    result = _archive.extract_file(str(archive), str(target))
    assert read_tree(target) == {**files, "alias": b"pb"}
    assert (target / "empty").is_dir() and result.members == 5


def test_simple_header_matches_tarfile(tmp_path):
    from tfhub._tar_reader import simple_header

    archive = tmp_path / "m.tar"
    with tarfile.open(archive, "w", format=tarfile.USTAR_FORMAT) as tar:
        for member in (
            _member("a" * 80 + "/" + "b" * 80, size=3),
            _member("dir", tarfile.DIRTYPE),
            _member("link", tarfile.SYMTYPE, linkname="a/b"),
        ):
            tar.addfile(member, io.BytesIO(b"abc") if member.isfile() else None)
    data = archive.read_bytes()
    with tarfile.open(archive) as tar:
        for expected in tar.getmembers():
            parsed = simple_header(data[expected.offset : expected.offset + 512])
            assert parsed is not None
            fields = ("name", "size", "type", "linkname")
            assert [getattr(parsed, f) for f in fields] == [getattr(expected, f) for f in fields]
    assert simple_header(bytes(512)) is None  # The end of the archive: tarfile's to decide.


@pytest.mark.parametrize(
    "name",
    ["/etc/x", "a/../b", "..", "./a", "a/./b", ".hidden", "a//b", "C:/x", "a\\b", "é", "a/", "a/b"],
)
def test_the_plain_name_shortcut_only_takes_names_normpath_keeps(name):
    import posixpath

    from tfhub._archive_tree import _is_plain

    if _is_plain(name):
        assert posixpath.normpath(name) == name and not name.startswith("/")
        assert ".." not in name.split("/") and "\\" not in name and ":" not in name
    assert _is_plain("d07/f12345")
