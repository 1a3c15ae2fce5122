"""CPU probes of the extraction path: what each member costs beyond gunzip, kept from coming back.

An archive of many small files takes two blocks per member from `TarSource` (the header, then
the data); each was two memoryviews and a copy. Taken as one slice of the decoder's chunk, the
parent's CPU per member fell by ~20% (20,000 one-byte files). A slice of a whole chunk is the
chunk itself, which shows that no view or copy stands between the two.
"""

from __future__ import annotations

import os

import pytest

from tfhub import errors
from tfhub._archive_stream import TarSource, _End


class _Chunks:
    """An `Inflater` stand-in handing out given chunks of an uncompressed tar."""

    kind = "tar"

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = list(chunks)

    def get(self) -> bytes | _End:
        return self._chunks.pop(0) if self._chunks else _End()


def _source(chunks: list[bytes], limit: int = 1 << 40) -> TarSource:
    return TarSource(_Chunks(chunks), limit=limit, source="model.tar.gz")  # type: ignore[arg-type]


def test_a_block_within_a_chunk_is_a_slice_of_it_not_a_copy_of_a_view():
    chunk = os.urandom(4096)
    source = _source([chunk, os.urandom(4096)])
    assert source.read_block(4096) is chunk  # The whole chunk: the same object.
    assert source.tell() == 4096


def test_a_header_read_within_a_chunk_is_a_slice_of_it():
    chunk = os.urandom(1024)
    source = _source([chunk])
    assert source.read(1024) is chunk
    assert source.read(10) == b""


def test_blocks_across_chunks_skips_and_unread_keep_their_positions():
    data = os.urandom(10_000)
    source = _source([data[:3000], data[3000:7000], data[7000:]])
    assert source.read_block(512) == data[:512]
    assert source.read_block(512, 2800) == data[2800:3312]  # Skips, then spans two chunks.
    assert source.tell() == 3312
    source.unread(data[2800:3312])
    assert source.read(600) == data[2800:3400]
    source.seek(6990)
    assert source.read_block(20) == data[6990:7010]
    assert source.read_block(5000) == data[7010:]  # Fewer at the end.
    assert source.read_block(1) == b""
    with pytest.raises(OSError, match="cannot seek back"):
        source.read_block(1, 100)


def test_copy_to_writes_and_hashes_the_bytes_of_a_member_within_and_across_chunks(tmp_path):
    import hashlib

    data = os.urandom(5000)
    source = _source([data[:3000], data[3000:]])
    for size, name in ((1000, "small"), (3500, "across")):
        hasher = hashlib.sha256()
        fd = os.open(tmp_path / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        try:
            source.copy_to(fd, size, hasher)
        finally:
            os.close(fd)
        start = 0 if name == "small" else 1000
        assert (tmp_path / name).read_bytes() == data[start : start + size]
        assert hasher.hexdigest() == hashlib.sha256(data[start : start + size]).hexdigest()
    fd = os.open(os.devnull, os.O_WRONLY)
    try:
        with pytest.raises(EOFError):
            source.copy_to(fd, 600, hashlib.sha256())
    finally:
        os.close(fd)


def test_blocks_still_count_against_the_limit():
    source = _source([os.urandom(4096)], limit=1000)
    assert source.read_block(512) is not None
    with pytest.raises(errors.ArchiveTooLargeError):
        source.read_block(512)
