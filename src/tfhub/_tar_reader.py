"""The members of a tar stream: plain headers parsed fast, everything else by `tarfile`.

`tarfile` spends ~60 us of Python per header; archives of many small files are mostly headers.
Plain ustar/GNU/v7 headers of files, folders and links with a valid checksum (nearly every header
real archives hold) are parsed here in a few microseconds, giving the same `TarInfo` as
`tarfile`; anything else (pax and GNU long-name headers, sparse files, base-256 numbers, bad
checksums, the end of the archive) is left to `tarfile`, which then decides.
"""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from typing import Any

from ._archive_stream import TarSource

BLOCK = tarfile.BLOCKSIZE
_SIMPLE_TYPES = {b"0": tarfile.REGTYPE, b"\0": tarfile.AREGTYPE, b"5": tarfile.DIRTYPE,
                 b"2": tarfile.SYMTYPE}  # fmt: skip


def members(source: TarSource) -> Iterator[tarfile.TarInfo]:
    """Yields the archive's members; after each, moves to the next header.

    The caller may read a regular file's data (`member.size` bytes) before asking for the next
    member; what it leaves unread is skipped.

    Raises:
        tarfile.ReadError: if the stream does not start with a tar header.
    """
    archive: Any = tarfile.TarFile(fileobj=source, mode="r")  # type: ignore[arg-type]
    member, end = archive.firstmember, archive.offset
    archive.firstmember = None
    while member is not None:
        archive.members.clear()  # tarfile keeps every member; nobody needs them.
        yield member
        source.seek(end)
        member, end = _next(archive, source)


def _next(archive: Any, source: TarSource) -> tuple[tarfile.TarInfo | None, int]:
    """Returns the next member and where its data ends."""
    if not archive.pax_headers:  # A global pax header changes every later member: tarfile's.
        member = simple_header(source.peek(BLOCK))
        if member is not None:
            start = source.seek(source.tell() + BLOCK)
            member.offset, member.offset_data = start - BLOCK, start
            data = -(-member.size // BLOCK) * BLOCK if member.isreg() else 0
            return member, start + data
    archive.offset = source.tell()
    member = archive.next()
    return member, archive.offset


def _field(raw: bytes) -> bytes:
    return raw.split(b"\0", 1)[0]


def _octal(raw: bytes) -> int | None:
    digits = _field(raw).strip()
    if not digits or raw[0] & 0x80:
        return None if raw[0] & 0x80 else 0
    try:
        return int(digits, 8)
    except ValueError:
        return None


def simple_header(block: bytes) -> tarfile.TarInfo | None:
    """Parses a plain header of a file, folder or link as `tarfile` would; None otherwise."""
    kind = block[156:157]
    if len(block) < BLOCK or kind not in _SIMPLE_TYPES:
        return None
    size, checksum = _octal(block[124:136]), _octal(block[148:156])
    if size is None or checksum != sum(block) - sum(block[148:156]) + 256:
        return None
    if kind in (b"5", b"2") and size:
        return None  # tarfile does not skip data of these: let it handle the odd case.
    name = _field(block[:100]).decode("utf-8", "surrogateescape")
    prefix = _field(block[345:500])
    if prefix:
        name = prefix.decode("utf-8", "surrogateescape") + "/" + name
    member = tarfile.TarInfo(name)
    member.type = _SIMPLE_TYPES[kind]
    if member.type == tarfile.AREGTYPE:
        member.type = tarfile.DIRTYPE if name.endswith("/") else tarfile.REGTYPE
    if member.type == tarfile.DIRTYPE:
        member.name = name.rstrip("/")
    member.size = size
    member.linkname = _field(block[157:257]).decode("utf-8", "surrogateescape")
    return member
