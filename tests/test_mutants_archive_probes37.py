"""Probes of the archive extractor and installer found by mutation testing (session 37).

Each test kills a hand-made mutant of `_archive*`, `_tar_reader` or `download` that every other
test let live: a bound or a refusal that could be dropped with the whole suite still green. The
archives are real (built here with tarfile and gzip), read from disk or from a server on
127.0.0.1.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from collections.abc import Callable

import pytest
from tests._helpers.archives import make_tar_gz, read_tree
from tests._helpers.http_server import drop_mid_body, ignore_range

import tfhub as hub
from tfhub import _archive, errors


def _tar(members: list[tuple[tarfile.TarInfo, bytes | None]], *, pad: int = 0) -> bytes:
    """An uncompressed tar of `members` (with their data), then `pad` zero bytes."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, None if data is None else io.BytesIO(data))
    return out.getvalue() + bytes(pad)


def _file(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _folder(name: str) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type, info.mode = tarfile.DIRTYPE, 0o755
    return info, None


def _extract(data: bytes, target: os.PathLike[str]) -> _archive.ExtractResult:
    os.makedirs(target, exist_ok=True)
    return _archive.extract(io.BytesIO(data), os.fspath(target), source="probe.tar")


# --- _archive: the gzip stream is read to its end --------------------------------------------


def test_a_bad_gzip_crc_decoded_after_the_tar_end_is_refused(tmp_path):
    """The tar's end marker comes out of the decoder chunks before the gzip trailer is checked
    (1 MiB of zeros follow it inside the same gzip member): the rest of the stream must still be
    read, or a corrupt download is cached as complete (mutant: `source.finish()` dropped)."""
    data = bytearray(gzip.compress(_tar([_file("saved_model.pb", b"pb")], pad=1 << 20)))
    data[-8] ^= 0xFF  # The CRC32 of the gzip trailer.
    with pytest.raises(errors.ArchiveError, match="the checksum in its gzip trailer does not"):
        _extract(bytes(data), tmp_path / "t")


def test_what_follows_the_tar_end_in_its_gzip_member_counts_against_the_cap(tmp_path, monkeypatch):
    """8 MiB of zeros after the tar's end, in the same gzip member, are decompressed to check
    its CRC: they count against TFHUB_MAX_EXTRACTED_BYTES, or a small download keeps the CPU
    busy without bound (mutant: not counted)."""
    monkeypatch.setenv("TFHUB_MAX_EXTRACTED_BYTES", "1M")
    data = gzip.compress(_tar([_file("saved_model.pb", b"pb")], pad=8 << 20))
    assert len(data) < 20_000
    with pytest.raises(errors.ArchiveTooLargeError, match="more than 1048576 bytes"):
        _extract(data, tmp_path / "t")


class _EndlessTrailer(io.RawIOBase):
    """`data`, then up to `more` bytes that start no gzip member (a server that keeps sending
    after the archive); counts what was read."""

    def __init__(self, data: bytes, more: int) -> None:
        super().__init__()
        self._data, self._left, self.read_bytes = data, more, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._data:
            size = min(len(buffer), len(self._data))
            buffer[:size], self._data = self._data[:size], self._data[size:]
        else:
            size = min(len(buffer), self._left)
            buffer[:size] = b"j" * size
            self._left -= size
        self.read_bytes += size
        return size


def test_the_source_is_not_read_to_its_end_after_the_last_gzip_member(tmp_path):
    """After the last complete gzip member, bytes that start no other member end the stream:
    the decoder stops there, instead of reading (and dropping) whatever the server still
    sends (mutant: the decoder thread's stop at `done` dropped: 64 MiB read)."""
    data = gzip.compress(_tar([_file("saved_model.pb", b"pb")]))
    source = _EndlessTrailer(data, 64 << 20)
    os.makedirs(tmp_path / "t")
    _archive.extract(io.BufferedReader(source), str(tmp_path / "t"), source="probe.tar.gz")
    assert read_tree(tmp_path / "t") == {"saved_model.pb": b"pb"}
    assert source.read_bytes < 16 << 20  # At most the bounded read-ahead.


# --- _archive_tree: names refused by name, before any path is resolved -------------------------


def _member(name: str, kind: bytes = tarfile.REGTYPE) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    return info, b"" if kind == tarfile.REGTYPE else None


@pytest.mark.parametrize(
    ("name", "kind", "message"),
    [
        # A Windows-rooted name: without the rule it went in as "etc/evil" (mutant).
        ("\\etc\\evil", tarfile.REGTYPE, "has an absolute path"),
        ("\\evil", tarfile.DIRTYPE, "has an absolute path"),
        # The target's parent itself: an OS error (EEXIST) without the `..` rule (mutant), not
        # the refusal it is.
        ("..", tarfile.REGTYPE, r"points outside the module \(\.\.\)"),
        ("a/../..", tarfile.DIRTYPE, r"points outside the module \(\.\.\)"),
        ("..", tarfile.SYMTYPE, r"points outside the module \(\.\.\)"),
        # A link to "": os.symlink fails (ENOENT), which was a CacheError blaming the cache
        # folder without the rule (mutant).
        ("empty", tarfile.SYMTYPE, r"is a link pointing outside the module \(''\)"),
    ],
)
def test_absolute_and_parent_names_are_refused_by_their_rule(tmp_path, name, kind, message):
    member, data = _member(name, kind)
    member.linkname = "saved_model.pb" if name == ".." else ""
    archive = _tar([_file("saved_model.pb", b"pb"), (member, data)])
    with pytest.raises(errors.UnsafeArchiveError, match=message):
        _extract(archive, tmp_path / "out" / "t")
    assert sorted(os.listdir(tmp_path / "out")) == ["t"]
    assert sorted(os.listdir(tmp_path)) == ["out"]


def _link(name: str, target: str) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    return info, None


def test_a_new_link_changes_where_a_later_member_of_a_known_folder_goes(tmp_path):
    """The link "L" points to "d/../e"; "d" is no link at first ("e"), then a link to "sub/deeper"
    ("sub/e"): the folder "L" of a later member must be resolved again, as the filesystem
    resolves it (mutant: the memo of resolved folders kept across a new link)."""
    members = [
        _file("saved_model.pb", b"pb"),
        _link("L", "d/../e"),
        _file("L/y1", b"1"),
        _folder("sub/deeper"),
        _link("d", "sub/deeper"),
        _file("L/y2", b"2"),
    ]
    target = tmp_path / "t"
    result = _extract(_tar(members), target)
    assert sorted(result.files) == ["e/y1", "saved_model.pb", "sub/e/y2"]
    assert (target / "L" / "y2").read_bytes() == b"2"  # Where the links lead on disk.
    assert read_tree(target / "e") == {"y1": b"1"}


def test_folders_exactly_max_depth_deep_are_made_one_more_is_refused(tmp_path):
    """The bound itself (mutant: `depth > MAX_DEPTH + 1`), for a file's folders and for a
    folder member."""
    from tfhub._archive_tree import MAX_DEPTH

    deepest = "/".join(["a"] * MAX_DEPTH)
    result = _extract(_tar([_file(f"{deepest}/f", b"x")]), tmp_path / "ok")
    assert list(result.files) == [f"{deepest}/f"]
    for member in (_file(f"{deepest}/a/f", b"x"), _folder(f"{deepest}/a")):
        with pytest.raises(errors.ArchiveError, match=f"{MAX_DEPTH + 1} levels deep"):
            _extract(_tar([_file("saved_model.pb", b"pb"), member]), tmp_path / member[0].name[-1])


def test_a_link_through_max_link_hops_links_is_kept_one_more_is_a_loop(tmp_path):
    """l1 -> f, l2 -> l1, ...: resolving l41's target follows 40 links (kept), l42's 41
    (refused as a loop: mutant `hops > MAX_LINK_HOPS + 1` kept it)."""
    from tfhub._archive_tree import MAX_LINK_HOPS

    chain = [_file("f", b"x"), _link("l1", "f")]
    chain += [_link(f"l{k}", f"l{k - 1}") for k in range(2, MAX_LINK_HOPS + 2)]
    result = _extract(_tar(chain), tmp_path / "ok")
    assert result.members == MAX_LINK_HOPS + 2
    assert (tmp_path / "ok" / "l2").read_bytes() == b"x"
    longer = [*chain, _link(f"l{MAX_LINK_HOPS + 2}", f"l{MAX_LINK_HOPS + 1}")]
    with pytest.raises(errors.UnsafeArchiveError, match="a loop of links"):
        _extract(_tar(longer), tmp_path / "bad")


def test_link_targets_of_max_link_parts_components_are_kept_one_more_is_refused(tmp_path):
    """Following A (128 components) twice takes 256 components from link targets (kept);
    A then Z (129) takes 257 (refused: mutant `budget < -1` kept it)."""
    from tfhub._archive_tree import MAX_LINK_PARTS

    half = MAX_LINK_PARTS // 2
    base = [
        _file("f", b"x"),
        _link("A", "/".join(["."] * half)),
        _link("Z", "/".join(["."] * (half + 1))),
    ]
    result = _extract(_tar([*base, _link("ok", "A/A/f")]), tmp_path / "ok")
    assert (tmp_path / "ok" / "ok").read_bytes() == b"x" and result.members == 4
    with pytest.raises(errors.UnsafeArchiveError, match=f"more than {MAX_LINK_PARTS} path"):
        _extract(_tar([*base, _link("bad", "A/Z/f")]), tmp_path / "bad")


def test_a_member_whose_folder_goes_through_a_file_by_a_link_is_refused(tmp_path):
    """The link "l" points to "f/../y" and "f" is a file: the filesystem cannot go through it
    (ENOTDIR), so "l/x" is refused, not written to "y/x" (mutant: the file test of `resolve`
    dropped)."""
    members = [_file("f", b"x"), _link("l", "f/../y"), _file("l/x", b"data")]
    with pytest.raises(errors.ArchiveError, match="is below 'f', which is a file"):
        _extract(_tar(members), tmp_path / "t")
    assert not (tmp_path / "t" / "y").exists()


# --- _archive_stream: every byte counts against TFHUB_MAX_EXTRACTED_BYTES --------------------


def test_headers_tarfile_reads_at_once_are_bounded_to_max_header_read(tmp_path):
    """A pax header a little over MAX_HEADER_READ (1 MiB) fits the bound of one member's
    headers (1 MiB + 64 KiB), so only the read size refuses it (mutant: that test dropped)."""
    from tfhub._archive_stream import MAX_HEADER_READ

    member, data = _file("saved_model.pb", b"pb")
    member.pax_headers = {"comment": "x" * (MAX_HEADER_READ + 10_000)}
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(member, io.BytesIO(data))
    with pytest.raises(errors.ArchiveError, match=f"is larger than {MAX_HEADER_READ}"):
        _extract(out.getvalue(), tmp_path / "t")


@pytest.mark.parametrize("limit", [2048, 2047])
def test_an_archive_of_exactly_the_cap_is_extracted_one_byte_less_refuses_it(
    tmp_path, monkeypatch, limit
):
    """Read up to its end marker, this tar is 2048 bytes: a header, 1000 bytes of data padded
    to 1024, one zero block (mutant: `position + size > limit + 1` took one byte more)."""
    monkeypatch.setenv("TFHUB_MAX_EXTRACTED_BYTES", str(limit))
    data = _tar([_file("saved_model.pb", b"x" * 1000)])
    if limit == 2048:
        _extract(data, tmp_path / "t")
        assert read_tree(tmp_path / "t") == {"saved_model.pb": b"x" * 1000}
    else:
        with pytest.raises(errors.ArchiveTooLargeError, match="more than 2047 bytes"):
            _extract(data, tmp_path / "t")


# --- _archive_writer: the writer process's files land in archive order ------------------------


def _with_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    from tfhub import _archive_writer

    if not _archive_writer._can_help():
        pytest.skip("no writer process here (one core, or no POSIX dir_fd)")
    monkeypatch.setattr(_archive_writer, "WORKER_AFTER", 20)


def test_a_big_file_replacing_a_small_one_sent_to_the_worker_lands_last(tmp_path, monkeypatch):
    """A small "x" goes to the writer process's batch, then "x" big is written here: the batch
    must be written first (mutant: no `sync` before the big overwrite; the worker's copy then
    failed on the file already there, or landed over the big one)."""
    _with_worker(monkeypatch)
    big = os.urandom(40_000)
    members = [_file(f"f{i}", b"%d" % i) for i in range(30)]
    members += [_file("x", b"small"), _file("x", big)]
    result = _extract(_tar(members), tmp_path / "t")
    assert result.by_worker > 0
    assert (tmp_path / "t" / "x").read_bytes() == big
    assert result.files["x"][0] == len(big)


class _Intruder(io.RawIOBase):
    """A tar stream that calls `act` (another process changing the target) once `at` bytes
    were read: far enough that the extraction has scanned its target (the decoder reads at most
    a few MiB ahead), before the members after that point are written."""

    def __init__(self, data: bytes, act: Callable[[], None], at: int) -> None:
        super().__init__()
        self._data, self._act, self._at, self._offset = data, act, at, 0
        self._acted = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._offset >= self._at and not self._acted:
            self._acted = True
            self._act()
        chunk = self._data[self._offset : self._offset + len(buffer)]
        buffer[: len(chunk)] = chunk
        self._offset += len(chunk)
        return len(chunk)


def test_a_failed_write_of_the_last_batch_fails_the_extraction(tmp_path, monkeypatch):
    """The last small files are sent to the writer process when the extraction ends; a write of
    theirs that fails (here a file that appeared meanwhile: EEXIST) fails it, as the same write
    here would (mutant: `Files.close` no longer waits for the worker's answer)."""
    _with_worker(monkeypatch)
    members = [_file(f"f{i}", b"%d" % i) for i in range(30)]
    members += [_file("big", bytes(12 << 20)), _file("last", b"archive")]
    target = tmp_path / "t"
    target.mkdir()
    intrude = (target / "last").write_bytes
    stream = io.BufferedReader(_Intruder(_tar(members), lambda: intrude(b"intruder"), 9 << 20))
    with pytest.raises(errors.ArchiveError, match=r"'last' cannot be written \(File exists\)"):
        _archive.extract(stream, str(target), source="probe.tar")
    assert (target / "last").read_bytes() == b"intruder"


def test_a_file_replaced_by_a_link_meanwhile_is_not_written_through(tmp_path):
    """The target held "x" (a file); another process makes it a link to a file outside while
    the archive is extracted: rewriting "x" must not follow that link (mutant: O_NOFOLLOW
    dropped from the file flags, and the outside file was overwritten)."""
    outside = tmp_path / "outside"
    outside.write_bytes(b"keep")
    target = tmp_path / "t"
    target.mkdir()
    (target / "x").write_bytes(b"old")

    def swap() -> None:
        os.remove(target / "x")
        os.symlink(outside, target / "x")

    members = [_file("big", bytes(12 << 20)), _file("x", b"archive")]
    stream = io.BufferedReader(_Intruder(_tar(members), swap, 9 << 20))
    with pytest.raises(errors.ArchiveError, match="'x' cannot be written"):
        _archive.extract(stream, str(target), source="probe.tar")
    assert outside.read_bytes() == b"keep"


# --- _tar_reader: the fast header parser reads what tarfile reads -----------------------------


def _members_as_tarfile_reads_them(data: bytes) -> dict[str, bytes | None]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name: tar.extractfile(m).read() if m.isfile() else None for m in tar}  # type: ignore[union-attr]


def test_a_global_pax_header_applies_to_every_member_as_tarfile_applies_it(tmp_path):
    """A global pax header (git archive writes one) changes every later member: its "path"
    here names them all, so the last one wins, as tarfile reads them (mutant: the fast parser
    kept after a global header, reading each member's own name)."""
    out = io.BytesIO()
    with tarfile.open(
        fileobj=out, mode="w", format=tarfile.PAX_FORMAT, pax_headers={"path": "saved_model.pb"}
    ) as tar:
        for name, data in [("a", b"1"), ("b", b"2"), ("c", b"3")]:
            info, _ = _file(name, data)
            tar.addfile(info, io.BytesIO(data))
    data = out.getvalue()
    assert _members_as_tarfile_reads_them(data) == {"saved_model.pb": b"3"}
    result = _extract(data, tmp_path / "t")
    assert read_tree(tmp_path / "t") == {"saved_model.pb": b"3"} and result.members == 3


def test_an_old_style_folder_of_a_v7_archive_is_a_folder(tmp_path):
    """Pre-POSIX tar writes a folder as a regular file ("\\0" type) whose name ends with "/"
    (mutant: the fast parser, which reads every header after the first, made it an empty file,
    and the files in it then failed)."""
    folder = tarfile.TarInfo("d/")
    folder.type = tarfile.AREGTYPE
    data = _tar([_file("saved_model.pb", b"pb"), (folder, None), _file("d/x", b"x")])
    assert _members_as_tarfile_reads_them(data) == {"saved_model.pb": b"pb", "d": None, "d/x": b"x"}
    result = _extract(data, tmp_path / "t")
    assert sorted(result.files) == ["d/x", "saved_model.pb"] and result.members == 3
    assert (tmp_path / "t" / "d").is_dir()


# --- download: atomic_download ---------------------------------------------------------------


def _fetch_into(calls: list[str]) -> Callable[[str], None]:
    def fetch(folder: str) -> None:
        calls.append(folder)
        with open(os.path.join(folder, "saved_model.pb"), "wb") as pb:
            pb.write(b"pb")

    return fetch


def test_a_complete_entry_is_returned_offline_by_atomic_download_itself(monkeypatch):
    """`tfhub import`, gs:// and the resolvers all call it: a complete entry is returned
    before anything else, TFHUB_OFFLINE or not (mutant: that early return dropped; it then
    refused the cached model offline)."""
    from tfhub.download import atomic_download

    calls: list[str] = []
    path = atomic_download("probe-handle", _fetch_into(calls))
    monkeypatch.setenv("TFHUB_OFFLINE", "1")
    assert atomic_download("probe-handle", _fetch_into(calls)) == path
    assert len(calls) == 1 and read_tree(path) == {"saved_model.pb": b"pb"}


def test_a_damaged_entry_is_removed_before_the_new_download_even_if_that_fails():
    """As tensorflow_hub does, the damaged folder goes first: a failed download then leaves no
    entry (and no lock file) behind, not the damaged one (mutant: it was kept)."""
    from tfhub import cache
    from tfhub.download import atomic_download

    path = atomic_download("probe-handle", _fetch_into([]))
    os.remove(os.path.join(path, "saved_model.pb"))  # Listed in the manifest: damaged.
    assert not cache.is_complete(path)

    def failing(folder: str) -> None:
        raise errors.DownloadError("the server went away")

    with pytest.raises(errors.DownloadError, match="went away"):
        atomic_download("probe-handle", failing)
    assert not os.path.lexists(path)
    assert not os.path.lexists(cache.lock_path(path))


def test_a_manifest_that_cannot_be_written_leaves_no_descriptor():
    """The descriptor is written first, then the manifest; when the manifest fails (here a
    folder holds its name: EISDIR), the descriptor goes too, so no bookkeeping of a model that
    was never installed is left (mutant: the undo dropped)."""
    from tfhub import cache
    from tfhub.download import atomic_download

    path = cache.module_dir("probe-handle")
    os.makedirs(os.path.join(cache.manifest_path(path), "in-the-way"))
    with pytest.raises(errors.CacheError, match="Cannot write"):
        atomic_download("probe-handle", _fetch_into([]))
    assert not os.path.lexists(path)
    assert not os.path.lexists(cache.descriptor_path(path))


def test_a_restarted_download_keeps_nothing_of_the_broken_attempt(server, served_dir):
    """The connection drops and the server cannot resume; meanwhile the archive was replaced
    by a new version without "old_only": the restart extracts into an emptied folder, so the
    entry holds the new version only (mutant: the folder not emptied, "old_only" stayed)."""
    archive = served_dir / "m.tar.gz"
    make_tar_gz(archive, {"old_only": b"v1", "saved_model.pb": os.urandom(300_000)})
    new = {"saved_model.pb": os.urandom(300_000)}
    server.state.behaviours[:0] = [
        ignore_range("m.tar.gz"),
        drop_mid_body("m.tar.gz", after=150_000, on_drop=lambda: make_tar_gz(archive, new)),
    ]
    path = hub.resolve(server.url("m.tar.gz"))
    assert read_tree(path) == new
