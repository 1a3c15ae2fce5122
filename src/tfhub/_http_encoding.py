"""Undoes a Content-Encoding that a server put on top of an archive.

tfhub asks for `Accept-Encoding: identity`, but some servers encode anyway: an object stored
with `Content-Encoding: gzip` metadata (S3, a CDN), or a server compressing everything. The body
is then the archive gzipped once more (or, with the metadata alone, the .tar.gz itself).
`deflate` comes as RFC 9110's zlib stream or as the raw stream some servers send (urllib3, and
so requests, undo both); a body labelled either way that is an archive as stored is taken as
sent.
`decoded(body, encoding)` returns a stream of the bytes the server stored; the resumable body
below it still counts (and resumes) the bytes as sent. Archives sent as they are pay nothing.
"""

from __future__ import annotations

import zlib
from typing import Any

from . import errors
from ._archive import read_head, sniff
from ._archive_decoder_errors import decoding_error
from .utils.printable import escaped

_READ_SIZE = 512 << 10
_ZLIB_ENCODINGS = frozenset({"gzip", "x-gzip", "deflate"})
_GZIP_MAGIC = b"\x1f\x8b"
_AUTO_WBITS = 32 + zlib.MAX_WBITS  # A gzip or a zlib header, whichever the stream starts with.
_RAW_WBITS = -zlib.MAX_WBITS  # A deflate stream without a header (deflate as some servers send).


def decoded(body: Any, encoding: str, *, url: str) -> Any:
    """Returns `body` with its Content-Encoding `encoding` undone (`body` itself if none).

    Args:
        body: a stream with `read(n)` (the raw bytes the server sent).
        encoding: the response's Content-Encoding header ("" if none).
        url: the URL, named in errors (credentials redacted by the caller).

    Raises:
        tfhub.errors.NotAnArchiveError: for an encoding tfhub cannot undo (br, zstd, ...),
            named with its control characters escaped (it is the server's text).
    """
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in _ZLIB_ENCODINGS:
        raise errors.NotAnArchiveError(
            f"{url} was sent with Content-Encoding: {escaped(encoding[:40])}, which tfhub cannot "
            "undo (it asks for identity; gzip and deflate are undone). Ask the server's owner to "
            "send the archive as stored."
        )
    return _Decoded(body, encoding)


class _Decoded:
    """The bytes of `body` inflated (gzip, several members in a row too, zlib or raw deflate),
    or as sent if it is not encoded."""

    def __init__(self, body: Any, encoding: str) -> None:
        self._body = body
        self._decoder: Any = None
        self._tail = read_head(body)  # What it is needs 512 bytes: a first read may be short.
        self._encoding = encoding
        self._sent = len(self._tail)  # Bytes read from `body`, as sent (for errors).
        wbits = _wbits(self._tail, encoding)
        self._wbits = _AUTO_WBITS if wbits is None else wbits
        self._gzip = self._tail.startswith(_GZIP_MAGIC)  # Else zlib's or raw deflate.
        if wbits is None:
            self._decoder = False  # Labelled but not encoded: passed through as sent.

    def read(self, size: int = -1) -> bytes:
        """Returns up to `size` decoded bytes (b"" at the end).

        Raises:
            tfhub.errors.ArchiveError: if the body ends inside the encoding, or its encoded
                data is corrupt (zlib's error is the cause).
        """
        if self._decoder is False:
            data, self._tail = (self._tail, b"") if self._tail else (self._body.read(size), b"")
            return bytes(data)
        size = size if size > 0 else _READ_SIZE
        while True:
            data = self._tail
            if not data:
                data = self._body.read(_READ_SIZE)
                self._sent += len(data)
            self._tail = b""
            if not data:
                if self._decoder is not None and not self._decoder.eof:
                    raise errors.ArchiveError(
                        "The body ended inside its Content-Encoding: it was cut short."
                    )
                return b""
            if self._decoder is not None and self._decoder.eof:
                if self._wbits != _AUTO_WBITS or not data.startswith(_GZIP_MAGIC[: len(data)]):
                    return b""  # Bytes after the encoded body: ignored, as after an archive.
                self._decoder = None  # Another gzip member follows.
            if self._decoder is None:
                self._decoder = zlib.decompressobj(self._wbits)
            out = self._inflate(data, size)
            self._tail = self._decoder.unconsumed_tail or self._decoder.unused_data
            if out:
                return out

    def _inflate(self, data: bytes, size: int) -> bytes:
        """Up to `size` bytes inflated from `data`, the last bytes read from the body.

        Raises:
            tfhub.errors.ArchiveError: the encoded data is corrupt, said in words (where it was
                found); zlib's error is the cause. An UndecodableArchiveError if that error
                shows no damage (zlib out of memory).
        """
        try:
            return bytes(self._decoder.decompress(data, size))
        except zlib.error as err:
            raise decoding_error(
                "gzip" if self._wbits == _AUTO_WBITS and self._gzip else "deflate",
                err,
                start=self._sent - len(data),
                end=self._sent,
                subject=f"The body's Content-Encoding ({escaped(self._encoding[:20])})",
                of="the body as sent",
            ) from err


def _wbits(first: bytes, encoding: str) -> int | None:
    """How to inflate a body labelled `encoding` whose first bytes are `first`: zlib's `wbits`,
    or None to take the body as sent (an archive stored with the label, not encoded)."""
    if first.startswith(_GZIP_MAGIC[: len(first)]):
        return _AUTO_WBITS
    if encoding != "deflate" or sniff(first) != "unknown":
        return None  # Labelled but not encoded: a tar, bzip2, xz (or an HTML page) as stored.
    return _AUTO_WBITS if _is_zlib_header(first) else _RAW_WBITS


def _is_zlib_header(first: bytes) -> bool:
    """True if `first` starts with a zlib header (RFC 1950: deflate, a valid check number)."""
    return len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0
