"""Decompressing one kind of archive stream (gzip, bzip2, xz, or a plain tar) in bounded chunks.

`Decoder` is the decompressing step of `_archive_stream.Inflater`'s pipeline: it follows
concatenated members, ignores what follows the last one (as upstream ignored what follows the
tar), and turns a decompressor's error into tfhub's, said in words (`_archive_decoder_errors`).
With `mark_member_ends`, it also yields `MEMBER_END` after each member's last bytes, so the
consumer can stop at the member that holds the tar's end without waiting for the source's end.
"""

from __future__ import annotations

from ._archive_decoder_errors import decoding_error, decompression_errors

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only: `typing` is not imported at run time.
    from collections.abc import Generator, Iterator
    from typing import Any

# Decompressed bytes per chunk, at most: cache-sized (ISA-L inflates float32 weights at ~250 MB/s
# of CPU in 64-128 KiB output steps, 130-200 MB/s in 256 KiB-1 MiB steps; _archive_stream's notes).
OUT_SIZE = 128 << 10


class StreamMark:
    """An item of a decoded stream that is no data (where a member ended, or the stream)."""


# Yielded after a compressed member's last bytes: the member ended, its CRC and size checked.
MEMBER_END = StreamMark()

_MAGIC = {"gzip": b"\x1f\x8b", "bz2": b"BZh", "xz": b"\xfd7zXZ\x00"}


def _new_decompressor(kind: str) -> Any:
    if kind == "gzip":
        try:
            from isal import igzip_lib
        except ImportError:  # pragma: no cover - isal is a dependency; zlib is the fallback.
            import zlib

            return zlib.decompressobj(31)  # 16 + 15: gzip header and trailer, CRC checked.
        # Gzip header and trailer, CRC checked. Keeps unconsumed input itself (bz2's interface)
        # instead of copying it out after every chunk as zlib's `unconsumed_tail` does: 25% less
        # CPU on archives that compress well (many small files), 3% on float32 weights.
        return igzip_lib.IgzipDecompressor(igzip_lib.DECOMP_GZIP)
    if kind == "bz2":
        import bz2

        return bz2.BZ2Decompressor()
    import lzma

    return lzma.LZMADecompressor()


class Decoder:
    """Decompresses one kind of stream in bounded chunks; concatenated members are followed.

    After the last complete member, bytes that do not start another member are ignored (as
    upstream ignored what follows the tar), and `done` becomes True. With `mark_member_ends`,
    `decode` yields `MEMBER_END` after each member's last bytes.
    """

    def __init__(self, kind: str, *, mark_member_ends: bool = False) -> None:
        self.kind = kind
        self._mark_member_ends = mark_member_ends
        self.members_done = 0
        self.done = False
        self._between = False  # A member ended; the next bytes decide if another follows.
        self._decompressor: Any = None if kind == "tar" else _new_decompressor(kind)
        self.position = 0  # Compressed bytes given to `decode` so far.

    def decode(self, data: bytes) -> Iterator[bytes | StreamMark]:
        """Yields the decompressed bytes of `data` (the next compressed bytes), and `MEMBER_END`
        where a member ended if asked (`mark_member_ends`).

        Raises:
            tfhub.errors.ArchiveError: the compressed data is corrupt (said in words, where it
                was found; the decompressor's error is its cause); an UndecodableArchiveError
                if the error shows no damage (`shows_no_damage`).
        """
        if self.kind == "tar":
            yield data
            return
        start = self.position
        self.position += len(data)
        try:
            yield from self._decode(data)
        except decompression_errors(self.kind) as err:
            raise decoding_error(self.kind, err, start=start, end=self.position) from err

    def _decode(self, data: bytes) -> Iterator[bytes | StreamMark]:
        while data and not self.done:
            if self._between:
                if not data.startswith(_MAGIC[self.kind][: len(data)]):
                    self.done = True  # Trailing bytes after the archive: ignored.
                    return
                self._between = False
                self._decompressor = _new_decompressor(self.kind)
            data = yield from self._decode_member(data)

    def _decode_member(self, data: bytes) -> Generator[bytes | StreamMark, None, bytes]:
        """Yields output for `data`; returns the bytes after this member, if it ended."""
        decompressor = self._decompressor
        zlib_style = hasattr(decompressor, "unconsumed_tail")
        while True:
            out = decompressor.decompress(data, OUT_SIZE)
            if out:
                yield out
            if decompressor.eof:
                self.members_done += 1
                self._between = True
                if self._mark_member_ends:
                    yield MEMBER_END
                return bytes(decompressor.unused_data)
            if zlib_style:
                data = decompressor.unconsumed_tail
                if not data and len(out) < OUT_SIZE:
                    return b""
            elif decompressor.needs_input:
                return b""
            else:
                data = b""

    def finish(self) -> None:
        """Called at the end of the source: raises EOFError if a member is cut short."""
        if self.kind != "tar" and not (self.done or self._between):
            raise EOFError("compressed data ended before the end-of-stream marker")
