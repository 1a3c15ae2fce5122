"""The members of a tar stream: plain headers parsed fast, everything else by `tarfile`.

`tarfile` spends ~60 us of Python per header; archives of many small files are mostly headers.
Plain ustar/GNU/v7 headers of files, folders and links with a valid checksum (nearly every header
real archives hold) are parsed here in a few microseconds, giving the same `TarInfo` as
`tarfile`; anything else (pax and GNU long-name headers, sparse files, base-256 numbers, bad
checksums, the end of the archive) is left to `tarfile`, which then decides. An archive must
end with tar's end-of-archive marker (a block of zeros, normally two): a stream that ends at a
header without it was cut short (`_check_end`).
"""

from __future__ import annotations

import tarfile
from zlib import adler32

from . import errors
from ._archive_stream import TarSource

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only: `typing` is not imported at run time.
    from collections.abc import Callable, Iterator
    from typing import Any

BLOCK = tarfile.BLOCKSIZE
_SIMPLE_TYPES = {b"0": tarfile.REGTYPE, b"\0": tarfile.AREGTYPE, b"5": tarfile.DIRTYPE,
                 b"2": tarfile.SYMTYPE}  # fmt: skip


def members(source: TarSource) -> Iterator[tarfile.TarInfo]:
    """Yields the archive's members; after each, moves to the next header.

    The caller may read a regular file's data (`member.size` bytes) before asking for the next
    member; what it leaves unread is skipped.

    Raises:
        tarfile.ReadError: if the stream does not start with a tar header.
        tfhub.errors.ArchiveError: if a later header is damaged or cut short, or the stream
            ends without the end-of-archive marker (tarfile would have ended the archive there,
            silently).
    """
    tar: Any = tarfile.TarFile  # Reads from any object with read/seek/tell, as TarSource.
    archive: Any = _tarfile_reads(source, lambda: tar(fileobj=source, mode="r"))
    member, end = archive.firstmember, archive.offset
    archive.firstmember = None
    archive.members.clear()  # tarfile keeps every member it reads; nobody needs them.
    plain = not archive.pax_headers  # A global pax header changes every later member: tarfile's.
    read_block, tell, regular = source.read_block, source.tell, tarfile.REGTYPE
    while member is not None:
        yield member
        if plain:
            block = read_block(BLOCK, end)  # Skips what the caller left of the member first.
            member = simple_header(block)
            if member is not None:  # Nearly always: a plain header, parsed here.
                start = tell()
                member.offset, member.offset_data = start - BLOCK, start
                end = start + (-(-member.size // BLOCK) * BLOCK if member.type == regular else 0)
                continue
            source.unread(block)
        else:
            source.seek(end)
            block = read_block(BLOCK)
            source.unread(block)
        archive.offset = tell()
        member = _tarfile_reads(source, archive.next)  # Anything else: tarfile decides.
        if member is None:
            _check_end(block, archive.offset)
        archive.members.clear()
        plain = not archive.pax_headers
        end = archive.offset


def _tarfile_reads(source: TarSource, read: Callable[[], Any]) -> Any:
    """Returns `read()`, a call of tarfile reading one member's headers, bounded.

    Raises:
        tfhub.errors.ArchiveError: if the headers take more than MAX_MEMBER_HEADERS bytes.
        tarfile.ReadError: for a GNU sparse header whose extension blocks are cut short (tarfile
            indexes the missing block: IndexError).
    """
    source.limit_headers(True)
    try:
        return read()
    except IndexError as err:
        raise tarfile.ReadError("a GNU sparse header is cut short") from err
    finally:
        source.limit_headers(False)


def _check_end(block: bytes, offset: int) -> None:
    """Checks that `block`, where `tarfile` ended the archive, is its end-of-archive marker.

    Tar writers (GNU tar, bsdtar, Python's tarfile, `tfhub pack`) end an archive with two
    blocks of zeros. One full zero block is accepted as the end, as tarfile and GNU tar accept
    it (nothing can be missing: a member cannot start with a zero block). A stream that ends
    at a header without one (an archive cut at a member's boundary) is refused: it would give
    a partial model, cached as complete.

    Raises:
        tfhub.errors.ArchiveError: if `block` is not a full block of zeros.
    """
    if len(block) == BLOCK and block.count(0) == BLOCK:
        return
    if block.count(0) != len(block):
        raise _damaged(block, offset)
    raise errors.ArchiveError(
        f"The tar stream ends at byte {offset + len(block)} without tar's end-of-archive "
        "blocks (blocks of zeros after the last member), so it was probably cut short (an "
        "interrupted download or copy) and members may be missing. Download it again; if it "
        "was made by hand, re-pack the model folder with `tar czf` or Python's tarfile "
        "(`tfhub pack FOLDER -o model.tar.gz`), which write those blocks."
    )


def _damaged(block: bytes, offset: int) -> errors.ArchiveError:
    """The error for a header `tarfile` took for the end: the members after it would be lost.

    `tarfile` ends the archive at a header it cannot read (a bad checksum, garbage, a header cut
    short), as at the end marker (a block of zeros): a damaged archive gave part of the model,
    cached as complete. Only the end marker, or the end of the stream at a header, ends it here.
    """
    what = "cut short" if len(block) < BLOCK else "damaged (not a valid header: a bad checksum?)"
    return errors.ArchiveError(
        f"The archive is truncated or corrupt: the tar header at byte {offset} is {what}, "
        "before the archive's end marker (the members after it would have been lost)."
    )


def _field(block: bytes, start: int, end: int) -> bytes:
    """The NUL-terminated field block[start:end]."""
    return block[start:end].partition(b"\0")[0]


def simple_header(block: bytes) -> tarfile.TarInfo | None:
    """Parses a plain header of a file, folder or link as `tarfile` would; None otherwise."""
    kind = _SIMPLE_TYPES.get(block[156:157])
    if kind is None or len(block) < BLOCK or block[124] & 0x80 or block[148] & 0x80:
        return None  # Not a plain type, short, or base-256 numbers: tarfile's.
    try:  # Octal fields as tarfile reads them (garbage: tarfile's).
        size = int(block[124:136].partition(b"\0")[0].strip() or b"0", 8)
        checksum = int(block[148:156].partition(b"\0")[0].strip() or b"0", 8)
    except ValueError:
        return None
    # sum(block) fast: Adler-32's low half is 1 + the byte sum mod 65521, exact for 256 bytes
    # (at most 65280); then the checksum field counted as eight spaces (256).
    total = (adler32(block[:256]) & 0xFFFF) + (adler32(block[256:]) & 0xFFFF) + 254
    if checksum != total - sum(block[148:156]):
        return None
    if size and kind in (tarfile.DIRTYPE, tarfile.SYMTYPE):
        return None  # tarfile does not skip data of these: let it handle the odd case.
    name = block[:100].partition(b"\0")[0].decode("utf-8", "surrogateescape")
    if block[345]:
        name = _field(block, 345, 500).decode("utf-8", "surrogateescape") + "/" + name
    if kind == tarfile.AREGTYPE:
        kind = tarfile.DIRTYPE if name.endswith("/") else tarfile.REGTYPE
    member = tarfile.TarInfo(name.rstrip("/") if kind == tarfile.DIRTYPE else name)
    member.type = kind
    member.size = size
    if block[157]:
        member.linkname = _field(block, 157, 257).decode("utf-8", "surrogateescape")
    return member
