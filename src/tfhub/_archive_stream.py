"""The tar bytes inside a (compressed) archive stream, decompressed ahead by background threads.

`Inflater` runs two threads for a compressed stream: one reads the source into a queue of at most
`INPUT_DEPTH` compressed chunks of `READ_SIZE` bytes, the other decompresses them
(`_archive_decoder.Decoder`; ISA-L's gzip decoder, like zlib's, releases the GIL) into chunks of
at most `_archive_decoder.OUT_SIZE` bytes, handed over in batches (those of one compressed chunk,
at most `BATCH`) through a queue of `DEPTH` batches.
Waiting for the network overlaps decompression, and decompression overlaps hashing and writing
in the calling thread; memory stays flat whatever the archive or its compression ratio.

Measured choices (185 MB archive of float32 weights, per-thread CPU from the kernel):
- 128 KiB output chunks: ISA-L inflates float32 weights at ~250 MB/s of CPU in 64-128 KiB
  output steps, 130-200 MB/s in 256 KiB-1 MiB steps (the output stays in the CPU cache);
- 512 KiB reads: every compressed chunk is a queue hand-off that wakes the decoder; in the
  pipeline the reader thread takes 0.06 s of CPU instead of 0.12 s with 128 KiB reads (alone,
  reading costs 0.04-0.05 s either way), and the inflate's CPU does not depend on the input
  step (0.54 s for 128 or 512 KiB);
- batches: one wake-up of the consumer per compressed chunk instead of per output chunk, 2-3x
  fewer context switches of the decoder and the consumer and ~0.02 s less consumer CPU.

`TarSource` is the file object `tarfile` reads headers from; file data bypasses `tarfile` and is
hashed and written from the decoder's chunks without further copies (`copy_to`).
"""

from __future__ import annotations

import collections
import os
import queue
import threading

from . import constants, errors
from ._archive_decoder import MEMBER_END, Decoder, StreamMark
from .utils.threads import daemon_thread

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only: `typing` is not imported at run time.
    from collections.abc import Callable
    from typing import Any

READ_SIZE = 512 << 10  # Compressed bytes per read of the source, at most.
READ_AHEAD = 4 << 20  # Compressed bytes read ahead of the decoder, at most (RSS stays flat).
INPUT_DEPTH = READ_AHEAD // READ_SIZE  # Compressed chunks read ahead, at most.
BATCH = 8  # Chunks handed over at once, at most (1 MiB): one wake-up of the consumer.
DEPTH = 8  # Batches waiting, at most (<= 8 MiB: absorbs scheduling delays on a busy machine).
MAX_HEADER_READ = 1 << 20  # Bytes tarfile may read at once (pax and GNU long-name headers).
# Bytes tarfile may read for one member's headers: pax records, GNU long names, and the maps of
# sparse members, which tarfile reads whole (in 512-byte extension blocks, or "1\n" lines) before
# tfhub can refuse the member: 100 MB of them (100 KB gzipped) took 53 s and 400 MB of memory.
MAX_MEMBER_HEADERS = MAX_HEADER_READ + (64 << 10)  # One pax header of the most, and more.
_NO_HEADER_LIMIT = 1 << 62
# How long the consumer waits for a chunk before looking at signals: Ctrl-C or SIGTERM that the
# kernel gives to another thread (a reader, the lock's heartbeat) only trips a flag, which the
# main thread reads when it runs Python; a wait without a timeout would last the whole stall.
SIGNAL_CHECK_SECONDS = 0.1


class _End(StreamMark):
    """The queue's last item: the compressed stream ended cleanly."""


class _Failure:
    """An error of the decoder thread, with how many compressed members it had completed."""

    def __init__(self, error: BaseException, members_done: int) -> None:
        self.error = error
        self.members_done = members_done


class Inflater:
    """Decompresses `read`'s stream in background threads into a bounded queue of chunks.

    For a compressed stream, one thread reads the source into a queue of at most `INPUT_DEPTH`
    compressed chunks and another decompresses them, so waiting for the network overlaps
    decompression; an uncompressed tar is read by one thread.
    """

    def __init__(self, read: Callable[[int], bytes], head: bytes, kind: str) -> None:
        self.kind = kind
        self._queue: queue.Queue[list[bytes | StreamMark] | _End | _Failure] = queue.Queue(DEPTH)
        self._pending: collections.deque[bytes | StreamMark] = collections.deque()  # Last batch.
        self._input: queue.Queue[bytes | _Failure] = queue.Queue(INPUT_DEPTH)
        self._stop = threading.Event()
        decode_from = read if kind == "tar" else self._next_input
        self._threads = [daemon_thread(self._run, args=(decode_from, head), name="tfhub-extract")]
        if kind != "tar":
            self._threads.append(daemon_thread(self._read_ahead, args=(read,), name="tfhub-read"))
        for thread in self._threads:
            thread.start()

    def _read_ahead(self, read: Callable[[int], bytes]) -> None:
        """Reads the compressed source into the input queue; an empty chunk ends it."""
        try:
            while not self._stop.is_set():
                data = read(READ_SIZE)
                self._put(self._input, data)
                if not data:
                    return
        except BaseException as err:
            self._put(self._input, _Failure(err, 0))

    def _next_input(self, size: int) -> bytes:
        """The next compressed chunk read ahead (b"" at the end); raises the reader's error."""
        while True:
            try:
                item = self._input.get(timeout=0.1)
            except queue.Empty:
                if self._stop.is_set():
                    return b""
                continue
            if isinstance(item, _Failure):
                raise item.error
            return item

    def _run(self, read: Callable[[int], bytes], head: bytes) -> None:
        decoder: Decoder | None = None
        batch: list[bytes | StreamMark] = []
        try:
            # Inside the `try`: a decompressor that cannot start (its lazy import meeting
            # EMFILE) is a failure the reader is told of; it waited for it for ever.
            decoder = Decoder(self.kind, mark_member_ends=True)
            data = head
            while data and not self._stop.is_set():
                for chunk in decoder.decode(data):
                    batch.append(chunk)
                    if len(batch) == BATCH:
                        self._put(self._queue, batch)
                        batch = []
                if batch:
                    self._put(self._queue, batch)
                    batch = []
                if decoder.done:
                    break
                data = read(READ_SIZE)
            decoder.finish()
            self._put(self._queue, _End())
        except BaseException as err:
            if batch:  # What was decoded before the error goes first (the tar may end in it).
                self._put(self._queue, batch)
            done = decoder.members_done if decoder is not None else 0
            self._put(self._queue, _Failure(err, done))

    def _put(self, where: queue.Queue[Any], item: Any) -> None:
        while not self._stop.is_set():
            try:
                where.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def get(self) -> bytes | StreamMark | _Failure:
        """The next chunk of the tar stream, `MEMBER_END` where a compressed member ended, or
        how the stream ended (called by the consumer only)."""
        if self._pending:
            return self._pending.popleft()
        while True:
            try:
                item = self._queue.get(timeout=SIGNAL_CHECK_SECONDS)
                break
            except queue.Empty:
                continue  # Back in Python: a pending signal's handler runs here.
        if isinstance(item, list):
            self._pending.extend(item)
            return self._pending.popleft()
        return item

    def close(self) -> None:
        """Stops the threads (the reader may still finish a read of the source)."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=0.2)


class TarSource:
    """The decompressed tar stream, as the forward-only file object `tarfile` reads from.

    Every byte taken counts against `limit` (TFHUB_MAX_EXTRACTED_BYTES): headers, data and
    padding, so neither big members nor millions of empty ones can exceed it.

    The current chunk is kept as the decoder's bytes and an offset into them: taking a header
    or a small file is one slice of those bytes, not two views and a copy (archives of many
    small files take two blocks per member).
    """

    def __init__(self, inflater: Inflater, *, limit: int, source: str) -> None:
        self._inflater = inflater
        self._limit = limit
        self._source = source
        self._data = b""  # The current chunk.
        self._offset = 0  # Where its unread bytes start.
        self._position = 0
        self._ended = False
        self._headers_end = _NO_HEADER_LIMIT  # Where tarfile's reads must stop (`read`).
        self.first_bytes = b""  # The stream's first decompressed bytes (its first chunk's).

    def _fill(self) -> bool:
        """Makes the current chunk non-empty; returns False at the end of the stream."""
        while self._offset >= len(self._data):
            if self._ended:
                return False
            item = self._inflater.get()
            if isinstance(item, StreamMark):  # One check per chunk, as for `_End` alone.
                if item is MEMBER_END:
                    continue  # The tar goes on in the next member.
                self._ended = True
                return False
            if isinstance(item, _Failure):
                self._ended = True
                raise item.error
            self._data = item if type(item) is bytes else bytes(item)
            self._offset = 0
            if not self.first_bytes:  # Once per archive: for what a failure says (`extract`).
                self.first_bytes = self._data[:512]
        return True

    def check_room(self, size: int) -> None:
        """Raises ArchiveTooLargeError if `size` more bytes would pass the limit."""
        self._count(size)

    def _count(self, size: int) -> None:
        if self._position + size > self._limit:
            raise errors.ArchiveTooLargeError(
                f"{self._source} is refused: it expands to more than {self._limit} bytes, the "
                f"limit set by {constants.TFHUB_MAX_EXTRACTED_BYTES}. If the model is that big, "
                f"set {constants.TFHUB_MAX_EXTRACTED_BYTES} higher (bytes, or with a K/M/G/T "
                "suffix).",
                source=self._source,
                limit=self._limit,
            )

    def _take(self, size: int) -> memoryview:
        """Returns up to `size` bytes of the current chunk (a view, no copy); empty at the end."""
        if not self._fill():
            return memoryview(b"")
        data, start = self._data, self._offset
        end = min(start + size, len(data))
        self._offset = end
        self._position += end - start
        return memoryview(data)[start:end]

    def limit_headers(self, on: bool) -> None:
        """While `on`, tarfile may read at most MAX_MEMBER_HEADERS bytes (one member's headers)."""
        self._headers_end = self._position + MAX_MEMBER_HEADERS if on else _NO_HEADER_LIMIT

    def read(self, size: int = -1) -> bytes:
        """Reads exactly `size` bytes, or fewer at the end (tarfile's header reads)."""
        if size < 0 or size > MAX_HEADER_READ:
            raise errors.ArchiveError(
                f"{self._source} does not appear to be a valid module. An extended tar header "
                f"of {size} bytes is larger than {MAX_HEADER_READ} (refused)."
            )
        if self._position + size > self._headers_end:
            raise errors.ArchiveError(
                f"{self._source} does not appear to be a valid module. The headers of one "
                f"member (pax records, GNU long names, a sparse file's map) take more than "
                f"{MAX_MEMBER_HEADERS} bytes (refused)."
            )
        self._count(size)
        if self._offset >= len(self._data):
            self._fill()
        data, offset = self._data, self._offset
        if size <= len(data) - offset:  # Within the chunk: one slice.
            self._offset = offset + size
            self._position += size
            return data[offset : offset + size]
        parts = []
        while size > 0:
            view = self._take(size)
            if not view:
                break
            parts.append(view)
            size -= len(view)
        return b"".join(parts)

    def read_block(self, size: int, at: int | None = None) -> bytes:
        """Takes the next `size` bytes (fewer at the end); `unread` gives them back.

        With `at`, first skips forward to that position (as `seek`), in one step.
        """
        data, offset = self._data, self._offset
        start = offset if at is None else offset + at - self._position
        end = start + size
        if start < offset or len(data) < end or self._position + end - offset > self._limit:
            if at is not None:
                self.seek(at)
            return self._read_block_slow(size)
        self._offset = end
        self._position += end - offset
        return data[start:end]

    def _read_block_slow(self, size: int) -> bytes:
        data, offset = self._data, self._offset
        if len(data) - offset < size:
            return self.read(size)
        self._count(size)
        self._offset = offset + size
        self._position += size
        return data[offset : offset + size]

    def unread(self, data: bytes) -> None:
        """Puts back what `read_block` took (for tarfile to read it)."""
        self._data = data + self._data[self._offset :]
        self._offset = 0
        self._position -= len(data)

    def tell(self) -> int:
        return self._position

    def seek(self, position: int, whence: int = os.SEEK_SET) -> int:
        """Skips forward to `position` (tarfile only moves forward in a stream)."""
        skip = position - self._position
        if whence == os.SEEK_SET and 0 <= skip <= len(self._data) - self._offset:  # In the chunk.
            self._count(skip)
            self._offset += skip
            self._position = position
            return position
        if whence != os.SEEK_SET or position < self._position:
            raise OSError(f"cannot seek back in a stream (to {position} from {self._position})")
        self._count(position - self._position)
        while self._position < position:
            if not self._take(position - self._position):
                break
        return self._position

    def copy_to(self, fd: int, size: int, hasher: Any) -> None:
        """Writes the next `size` bytes to the file `fd`, feeding them to `hasher` too.

        Raises:
            EOFError: if the stream ends first.
        """
        self._count(size)
        data, offset = self._data, self._offset
        if size <= len(data) - offset:  # Small files: all in the current chunk.
            self._offset = offset + size
            self._position += size
            view = memoryview(data)[offset : offset + size]
            hasher.update(view)
            while view:
                view = view[os.write(fd, view) :]
            return
        left = size
        while left:
            view = self._take(left)
            if not view:
                raise EOFError(f"unexpected end of data ({left} bytes of a member missing)")
            hasher.update(view)
            left -= len(view)
            while view:
                view = view[os.write(fd, view) :]

    def finish(self) -> None:
        """After the tar's end: reads the rest of the compressed member, to check its CRC.

        What follows the compressed member holding the tar's end is ignored, as upstream
        ignored it, and not waited for: a server that keeps the connection open after the
        body (or announced more bytes than it sends) does not hold the install back until
        TFHUB_HTTP_TIMEOUT.
        """
        if self._inflater.kind == "tar" or self._ended:
            return
        self._data, self._offset = b"", 0
        while True:
            item = self._inflater.get()
            if isinstance(item, StreamMark):  # The member (MEMBER_END), or the stream, ended.
                return
            if isinstance(item, _Failure):
                if item.members_done:
                    return
                raise item.error
            self._count(len(item))
            self._position += len(item)
