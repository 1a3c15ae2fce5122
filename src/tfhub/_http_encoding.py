"""Undoes a Content-Encoding that a server put on top of an archive.

tfhub asks for `Accept-Encoding: identity`, but some servers encode anyway: an object stored
with `Content-Encoding: gzip` metadata (S3, a CDN), or a server compressing everything. The body
is then the archive gzipped once more (or, with the metadata alone, the .tar.gz itself).
`decoded(body, encoding)` returns a stream of the bytes the server stored; the resumable body
below it still counts (and resumes) the bytes as sent. Archives sent as they are pay nothing.
"""

from __future__ import annotations

import zlib
from typing import Any

from . import errors

_READ_SIZE = 512 << 10
_ZLIB_ENCODINGS = frozenset({"gzip", "x-gzip", "deflate"})
_MAGIC = {"gzip": b"\x1f\x8b", "x-gzip": b"\x1f\x8b"}


def decoded(body: Any, encoding: str, *, url: str) -> Any:
    """Returns `body` with its Content-Encoding `encoding` undone (`body` itself if none).

    Args:
        body: a stream with `read(n)` (the raw bytes the server sent).
        encoding: the response's Content-Encoding header ("" if none).
        url: the URL, named in errors (credentials redacted by the caller).

    Raises:
        tfhub.errors.NotAnArchiveError: for an encoding tfhub cannot undo (br, zstd, ...).
    """
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in _ZLIB_ENCODINGS:
        raise errors.NotAnArchiveError(
            f"{url} was sent with Content-Encoding: {encoding[:40]}, which tfhub cannot undo (it "
            "asks for identity; gzip and deflate are undone). Ask the server's owner to send "
            "the archive as stored."
        )
    return _Decoded(body, encoding)


class _Decoded:
    """The bytes of `body` inflated (gzip or zlib, several gzip members in a row too)."""

    def __init__(self, body: Any, encoding: str) -> None:
        self._body = body
        self._tail = b""
        self._decoder: Any = None
        first = body.read(_READ_SIZE)
        magic = _MAGIC.get(encoding)
        if magic is not None and not first.startswith(magic[: len(first)]):
            self._decoder = False  # Labelled gzip but not gzip: passed through as sent.
        self._tail = first

    def read(self, size: int = -1) -> bytes:
        """Returns up to `size` decoded bytes (b"" at the end).

        Raises:
            zlib.error: for corrupt data.
            tfhub.errors.ArchiveError: if the body ends inside the encoding.
        """
        if self._decoder is False:
            data, self._tail = (self._tail, b"") if self._tail else (self._body.read(size), b"")
            return bytes(data)
        size = size if size > 0 else _READ_SIZE
        while True:
            data = self._tail or self._body.read(_READ_SIZE)
            self._tail = b""
            if not data:
                if self._decoder is not None and not self._decoder.eof:
                    raise errors.ArchiveError(
                        "The body ended inside its Content-Encoding: it was cut short."
                    )
                return b""
            if self._decoder is not None and self._decoder.eof:
                if not data.startswith(b"\x1f\x8b"[: len(data)]):
                    return b""  # Bytes after the encoded body: ignored, as after an archive.
                self._decoder = None
            if self._decoder is None:
                self._decoder = zlib.decompressobj(47)  # 32 + 15: a gzip or zlib header.
            out = self._decoder.decompress(data, size)
            self._tail = self._decoder.unconsumed_tail or self._decoder.unused_data
            if out:
                return out
