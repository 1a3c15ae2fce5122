"""A good .tar.gz whose first member's name starts as a compressed stream does is no archive
"compressed twice" (review of 29cbcb1a).

After ANY failure the extraction sniffed the first 512 decompressed bytes: a tar header whose
name begins "BZh" (a bzip2 stream's first bytes, at offset 0 of the header) was called
"compressed twice" for a truncation, an unsafe member (UnsafeArchiveError replaced), a size
limit (ArchiveTooLargeError replaced) or a write failure (CacheError replaced). Now only a
stream whose first header fails to read, and is no tar header, is named so. The local remedy
names the archive by the inner stream's kind (`> model.tar.xz` for an xz stream inside).
"""

from __future__ import annotations

import gzip
import io
import lzma
import os
import resource
import signal
import tarfile
from pathlib import Path

import pytest
from tests._helpers.http_server import answer_body

import tfhub as hub
from tfhub import _archive, errors
from tfhub._archive_kind import compressed_twice_message

FIRST = "BZh91AY_notes.txt"  # What a bzip2 stream starts with, then a name's letters.
BIG = os.urandom(200_000)


def _tar(members: list[tuple[str, bytes]], mode: str = "w:gz") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


GOOD = _tar([(FIRST, b"hello"), ("saved_model.pb", b"\x08\x01"), ("variables/v.data", BIG)])
CASES = {
    "truncated": (GOOD[: len(GOOD) // 2], {}, errors.ArchiveError, "truncated or corrupt"),
    "unsafe": (_tar([(FIRST, b"hello"), ("../evil", b"x")]), {}, errors.UnsafeArchiveError, ".."),
    "too-large": (
        GOOD,
        {"TFHUB_MAX_EXTRACTED_BYTES": "100000"},
        errors.ArchiveTooLargeError,
        "TFHUB_MAX_EXTRACTED_BYTES",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_failing_archive_whose_first_name_starts_bzh_keeps_its_own_error(
    server, isolated_cache, monkeypatch, case
) -> None:
    body, env, error, said = CASES[case]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    server.state.behaviours.append(answer_body("/m.tar.gz", 200, "application/gzip", body))
    with pytest.raises(error) as info:
        hub.resolve(server.url("m.tar.gz"))
    message = str(info.value)
    assert said in message and "compressed twice" not in message, message
    assert not isinstance(info.value, errors.NotAnArchiveError), repr(info.value)


def test_a_write_failure_of_such_an_archive_stays_a_cache_error(tmp_path: Path) -> None:
    """A file larger than the file-size limit (`ulimit -f`: EFBIG, SIGXFSZ ignored)."""
    (tmp_path / "m").mkdir()
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, hard))
    try:
        with pytest.raises(errors.CacheError) as info:
            _archive.extract(io.BytesIO(GOOD), os.fspath(tmp_path / "m"), source="m.tar.gz")
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, handler)
    assert "file-size limit" in str(info.value), str(info.value)


def test_a_tar_header_is_never_compressed_twice_whatever_its_first_bytes() -> None:
    header = _tar([(FIRST, b"hello")], mode="w")[:512]
    assert compressed_twice_message("m.tar.gz", "gzip", header, local=False) is None
    v7 = tarfile.TarInfo(FIRST).tobuf(format=tarfile.USTAR_FORMAT)
    v7 = v7[:257] + b"\0" * 8 + v7[265:]  # No magic (a pre-POSIX header): checksum made anew.
    checksum = sum(v7[:148]) + 8 * 0x20 + sum(v7[156:512])
    v7 = v7[:148] + b"%06o\0 " % checksum + v7[156:]
    assert _archive.is_v7_tar_header(v7)
    assert compressed_twice_message("m.tar.gz", "gzip", v7, local=False) is None


def test_a_local_gzip_of_a_tar_xz_is_told_to_make_a_tar_xz(tmp_path: Path) -> None:
    body = gzip.compress(lzma.compress(_tar([("saved_model.pb", b"\x08\x01")], mode="w")))
    with pytest.raises(errors.NotAnArchiveError) as info:
        _archive.extract(io.BytesIO(body), os.fspath(tmp_path / "m"), source="m.bin", local=True)
    message = str(info.value)
    assert "its gzip stream holds a xz stream" in message, message
    assert "`gzip -dc FILE > model.tar.xz`" in message, message
