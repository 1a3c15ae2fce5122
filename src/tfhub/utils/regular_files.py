"""Opening a file to read without waiting, and reading it only if it is a regular file.

A named pipe put where a file was expected (one user's `mkfifo` in a shared cache, a journal, a
token file) made a plain `open` wait for a writer for ever, and a device (`/dev/zero`) was read
for ever. Here a path is opened with `O_NONBLOCK` (the open of a pipe returns at once) and
`O_NOCTTY` (a terminal opened by a session leader does not become its controlling terminal),
and `O_NOFOLLOW` when the caller follows no link; `fstat` on the OPENED file then says what it
is, so a file swapped between a check and the open is never read by mistake.

* `open_without_waiting`: the descriptor, whatever the file is (the caller asks `fstat`);
* `open_regular`: a binary file object if it is a regular file, else None;
* `read_regular`: its first `limit` + 1 bytes if it is a regular file, else None;
* `read_open`: the first `limit` + 1 bytes of a file already open.

What a file that is not regular means (missing, corrupt, refused) is the caller's to say. The
module imports nothing but `os` and `stat`: the cached resolve path uses it.
"""

from __future__ import annotations

import os
import stat

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only: `typing` is not imported at run time.
    from typing import BinaryIO

_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)


def open_without_waiting(path: str | os.PathLike[str], *, follow_links: bool = True) -> int:
    """Opens `path` to read without waiting (a named pipe with no writer is opened at once) and
    without making a terminal the controlling one; the descriptor stays non-blocking.

    Args:
        path: the file.
        follow_links: False to refuse a symlink as the last name (`O_NOFOLLOW`: ELOOP).

    Returns:
        The descriptor, whatever the file is; the caller closes it.

    Raises:
        OSError: it cannot be opened (as `os.open`: missing, no permission, a symlink when
            `follow_links` is False, ENXIO for a socket).
    """
    flags = _FLAGS if follow_links else _FLAGS | getattr(os, "O_NOFOLLOW", 0)
    return os.open(path, flags)


def open_regular(path: str | os.PathLike[str], *, follow_links: bool = True) -> BinaryIO | None:
    """Opens `path` to read in binary (`open_without_waiting`) if the opened file is a regular
    file.

    Args:
        path: the file.
        follow_links: False to refuse a symlink as the last name (OSError, ELOOP).

    Returns:
        The open file (buffered, binary; the caller closes it), or None if it is not a regular
        file (a named pipe, a device, a folder, a socket), which is then closed unread.

    Raises:
        OSError: it cannot be opened or its `fstat` fails (as `open`).
    """
    fd = open_without_waiting(path, follow_links=follow_links)
    try:
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
    except BaseException:
        os.close(fd)
        raise
    if not regular:
        os.close(fd)
        return None
    return open(fd, "rb")


def read_regular(
    path: str | os.PathLike[str], *, limit: int, follow_links: bool = True
) -> bytes | None:
    """The first `limit` + 1 bytes of `path` if it is a regular file (`open_regular`: a pipe or
    a device is never read); more bytes than `limit` tell the caller the file is larger.

    Args:
        path: the file.
        limit: the most bytes the caller takes (one more is read, to see a larger file).
        follow_links: False to refuse a symlink as the last name (OSError, ELOOP).

    Returns:
        The bytes, or None if it is not a regular file.

    Raises:
        OSError: it cannot be opened or read.
    """
    file = open_regular(path, follow_links=follow_links)
    if file is None:
        return None
    with file:
        return read_open(file.fileno(), limit=limit)


def read_open(fd: int, *, limit: int) -> bytes:
    """The first `limit` + 1 bytes of the open file `fd`; the caller closes `fd`. Its size
    (fstat) + 1 bytes are asked for, not `limit` + 1 (a buffer of `limit` bytes for a small
    file), then the rest up to `limit` + 1 if it grew meanwhile.

    Raises:
        OSError: a failure to read it (an I/O error).
    """
    with open(fd, "rb", closefd=False) as opened:
        size = os.fstat(fd).st_size
        data = opened.read(min(size, limit) + 1)
        if size < len(data) <= limit:  # It grew since: read on, up to `limit` + 1.
            data += opened.read(limit + 1 - len(data))
        return data
