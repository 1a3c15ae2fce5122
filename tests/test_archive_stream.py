"""The decompressing read-ahead of `_archive_stream`: memory stays bounded whatever the source."""

from __future__ import annotations

import io
import os
import threading

from tfhub._archive_decoder import OUT_SIZE
from tfhub._archive_stream import BATCH, DEPTH, READ_AHEAD, READ_SIZE, Inflater


class _CountingSource:
    """A stream that counts the bytes it handed out and the largest read asked of it."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.given = 0
        self.largest_ask = 0
        self._lock = threading.Lock()

    def read(self, size: int) -> bytes:
        data = self._data.read(size)
        with self._lock:
            self.given += len(data)
            self.largest_ask = max(self.largest_ask, size)
        return data


def _wait_until_full(inflater: Inflater, *, input_too: bool = True) -> None:
    """Waits (at most 30 s) until the output queue (and the input queue) is full."""
    stalled = threading.Event()
    for _ in range(3000):
        if inflater._queue.full() and (inflater._input.full() or not input_too):
            return
        stalled.wait(0.01)
    raise AssertionError("the read-ahead never filled up: the decoder consumed without bound")


def test_read_ahead_is_bounded_when_nobody_consumes():
    """An unread stream of 24 MB holds at most ~READ_AHEAD compressed + DEPTH batches out."""
    from isal import igzip

    data = igzip.compress(os.urandom(24 << 20), compresslevel=0)  # Inflates 1:1.
    source = _CountingSource(data[512:])
    inflater = Inflater(source.read, data[:512], "gzip")
    try:
        _wait_until_full(inflater)
        # Queued compressed chunks, one more in the reader's hand and one in the decoder's, and
        # the compressed bytes behind the DEPTH batches of decompressed chunks (+1 being put).
        bound = READ_AHEAD + 2 * READ_SIZE + (DEPTH + 1) * BATCH * OUT_SIZE + (64 << 10)
        assert source.given <= bound, (source.given, bound)
        assert source.largest_ask == READ_SIZE
    finally:
        inflater.close()


def test_a_compressed_chunk_that_expands_a_lot_is_handed_over_in_bounded_batches():
    """512 KiB of compressed zeros inflate to ~500 MB: batches still hold at most BATCH chunks."""
    from isal import igzip

    data = igzip.compress(bytes(256 << 20), compresslevel=1)  # ~1000:1.
    inflater = Inflater(io.BytesIO(data[512:]).read, data[:512], "gzip")
    try:
        _wait_until_full(inflater, input_too=False)  # The input fits in one chunk.
        held = list(inflater._queue.queue)
        assert all(len(batch) <= BATCH for batch in held)
        assert sum(len(chunk) for batch in held for chunk in batch) <= DEPTH * BATCH * OUT_SIZE
    finally:
        inflater.close()


def test_bytes_decoded_before_an_error_after_a_complete_member_still_arrive(tmp_path):
    """As upstream, an error after a complete gzip member is ignored once the tar has ended.

    Here the tar's end is decoded from the same compressed chunk as the bad CRC of the second
    member (after 300 KB of zero padding): those bytes must reach the tar parser before the error.
    """
    import gzip

    from tests._helpers.archives import make_tar_gz, read_tree

    from tfhub import _archive

    files = {"weights": os.urandom(100_000)}
    tar = open(make_tar_gz(tmp_path / "m.tar", files, compression=""), "rb").read()
    tar += bytes(300_000)  # Padding after the end-of-archive blocks, as some packers write.
    second = bytearray(gzip.compress(tar[1000:]))
    second[-8] ^= 0xFF  # Its CRC32: wrong.
    path = tmp_path / "m.tar.gz"
    path.write_bytes(gzip.compress(tar[:1000]) + bytes(second))
    target = tmp_path / "t"
    target.mkdir()
    _archive.extract_file(str(path), str(target))
    assert read_tree(target) == files
