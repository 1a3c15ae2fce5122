"""Where `pack` writes its archive: the output checked before the model is read, a stream
(`-`, /dev/stdout, a named pipe) opened without waiting for ever, a failed write said as such, and
the temporary files that killed packs left beside a file output.

A file is written as a unique temporary file beside the target and renamed into place (by
`pack`); a stream is written into, never replaced. The temporary is locked before it bears its
name (`open_part`), so a pack of the same archive never takes a live one for a leftover.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .. import errors
from ..utils import live_files
from ..utils.paths import (
    STREAMS,
    closed_descriptor,
    describe_descriptor,
    is_terminal,
    special_kind,
)
from . import confinement

# How long `pack` waits for a process to open a named pipe it writes into (`tar czf FIFO`
# waits forever).
FIFO_READER_WAIT = 60.0


# The `kind` of an output that leads to a file without a name any more: /dev/stdout of
# `> out.tar.gz` once out.tar.gz was removed (its link reads "out.tar.gz (deleted)").
DELETED_FILE = "deleted file"
# The output `-` and its kind: this process's descriptor 1, written into where it stands (a
# file at its offset, with its flags: `>>` appends), whatever it is, as `tar czf -` writes.
STANDARD_OUTPUT = "-"
STANDARD_OUTPUT_KIND = "standard output"


def checked_target(output: str | os.PathLike[str], folder: Path) -> tuple[Path, str | None]:
    """The path `pack` writes for `output` and its kind: STANDARD_OUTPUT_KIND for `-`, its
    `special_kind`, DELETED_FILE (all written into), or None (a file, replaced by a rename).

    Raises:
        PublishTargetError: if `output` names a closed stream, is inside `folder`, or is a
            folder, a terminal, a block device or a socket (but for `-`, which is written into
            whatever it is, but a terminal).
    """
    if os.fspath(output) == STANDARD_OUTPUT:
        return Path(STANDARD_OUTPUT), _checked_standard_output()
    closed = closed_descriptor(os.fspath(output))
    if closed is not None:
        raise _closed_stream_error(os.fspath(output), closed)
    given = Path(output)
    kind = _checked_kind(output, given, folder)
    if kind is None and os.path.exists(given) and not os.path.lexists(os.path.realpath(given)):
        # A descriptor's file removed since: a rename would make a file named "... (deleted)".
        return given, DELETED_FILE
    # A file is written through a link, as `tar czf` and a shell's `>` write: the link stays and
    # the file it leads to gets the archive (the rename would otherwise replace the link).
    target = given if kind is not None else Path(os.path.realpath(given))
    return target, kind


def _checked_kind(output: str | os.PathLike[str], given: Path, folder: Path) -> str | None:
    """The `special_kind` of `given` (the path of `output`), or None for a file.

    Raises:
        PublishTargetError: if it is inside `folder`, a folder, a terminal, a block device or
            a socket.
    """
    if confinement.inside(given, folder, strict=False):
        raise errors.PublishTargetError(
            "The archive cannot be written inside the model folder it packs (it would be packed "
            f"into the next archive): write it elsewhere. Received: output={os.fspath(output)!r}",
            path=os.fspath(output),
        )
    if os.path.isdir(given):  # Found only at the rename, once the whole model was packed.
        raise errors.PublishTargetError(
            f"{os.fspath(output)} is a folder: name the archive file (e.g. -o "
            f"{os.path.join(output, 'model.tar.gz')}). Received: output={os.fspath(output)!r}",
            path=os.fspath(output),
        )
    kind = special_kind(os.fspath(given))
    if kind is not None and kind not in STREAMS:
        raise errors.PublishTargetError(
            f"{os.fspath(output)} is a {kind}: write the archive to a file (or a pipe). "
            f"Received: output={os.fspath(output)!r}",
            path=os.fspath(output),
        )
    if kind == "character device" and is_terminal(os.fspath(given)):
        raise _terminal_error(os.fspath(output), f"{os.fspath(output)} is a terminal")
    return kind


def _checked_standard_output() -> str:
    """STANDARD_OUTPUT_KIND, once descriptor 1 is found open and not a terminal.

    Raises:
        PublishTargetError: standard output is closed (`>&-`) or a terminal.
    """
    try:
        os.fstat(1)
    except OSError:
        raise _closed_stream_error(STANDARD_OUTPUT, 1) from None
    if os.isatty(1):
        raise _terminal_error(STANDARD_OUTPUT, "- names standard output, which is a terminal")
    return STANDARD_OUTPUT_KIND


def _closed_stream_error(output: str, descriptor: int) -> errors.PublishTargetError:
    """The refusal of `output`, which names `descriptor`, closed (e.g. by `>&-`)."""
    return errors.PublishTargetError(
        f"{output} names {describe_descriptor(descriptor)}, which is closed (e.g. by `>&-`): "
        "run it with that stream open, or write the archive to a file. "
        f"Received: output={output!r}",
        path=output,
    )


def _terminal_error(output: str, what: str) -> errors.PublishTargetError:
    """The refusal of `output`, a terminal (`what` says so): binary on a screen, which `tar czf`
    refuses too."""
    return errors.PublishTargetError(
        f"{what}: redirect the archive to a file (`> model.tar.gz`) or a pipe. "
        f"Received: output={output!r}",
        path=output,
    )


def open_stream(target: Path, kind: str) -> IO[bytes]:
    """Opens an output written into (`checked_target`'s kind) for writing; a named pipe once a
    process reads it.

    Raises:
        PublishTargetError: no process opened the pipe for reading within FIFO_READER_WAIT s.
    """
    if kind == STANDARD_OUTPUT_KIND:  # A copy of descriptor 1: the same offset and flags.
        with contextlib.suppress(AttributeError, OSError, ValueError):
            sys.stdout.flush()  # What was printed before goes first.
        return os.fdopen(os.dup(1), "wb")
    if kind != "FIFO":
        return open(target, "wb")
    deadline = time.monotonic() + FIFO_READER_WAIT
    while True:
        try:  # Without O_NONBLOCK, open() waits for a reader for as long as it takes.
            fd = os.open(target, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as err:
            if err.errno != errno.ENXIO:  # ENXIO: nobody has the pipe open for reading yet.
                raise
        if time.monotonic() >= deadline:
            raise errors.PublishTargetError(
                f"No process read the named pipe {target} within {FIFO_READER_WAIT:g} s: start "
                f"its reader (e.g. `cat {target} > model.tar.gz`), or write the archive to a "
                f"file. Received: output={os.fspath(target)!r}",
                path=os.fspath(target),
            )
        time.sleep(0.05)
    os.set_blocking(fd, True)
    return os.fdopen(fd, "wb")


@contextlib.contextmanager
def write_failures(
    output: str | os.PathLike[str], target: Path, tmp: Path | None
) -> Iterator[None]:
    """Turns a failed write of the archive (to `target`, or its temporary `tmp`) into an OSError
    saying what to do; a model file that cannot be read raises its own error."""
    try:
        yield
    except OSError as err:
        # Only a write fails so, its buffered write naming no file (EFBIG was let through).
        disk_full = err.errno in errors.DISK_FULL_ERRNOS
        too_large = err.errno == errno.EFBIG
        written = {os.fspath(target)}
        if tmp is not None:
            written |= {os.fspath(tmp), os.fspath(_opening_path(tmp))}
        if not (disk_full or too_large) and err.filename not in written:
            raise  # A file of the model that cannot be read says so itself.
        todo = "check that its folder exists and is writable"
        if disk_full:
            todo = "free space on its disk, or write it elsewhere"
        elif too_large:
            todo = (
                "it is larger than the file-size limit (`ulimit -f`) or than its file system "
                "allows (FAT32: 4 GiB): raise the limit, or write it elsewhere"
            )
        failure = type(err)(
            f"Cannot write the archive {os.fspath(output)} ({err.strerror}); {todo}"
        )
        failure.errno = err.errno
        raise failure from err


def part_path(target: Path) -> Path:
    """A unique temporary `.<name>.<id>.part` beside `target`, renamed over it once written
    (what `remove_abandoned_parts` looks for)."""
    return target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")


def open_part(part: Path) -> IO[bytes]:
    """Opens `part` (a `part_path`) for writing, held live (`utils.live_files.hold`) before it
    bears that name, so another pack of the same target (`remove_abandoned_parts`) never sees it
    unlocked. On Linux it is created without a name (O_TMPFILE), locked, then linked as `part`:
    a pack killed before the link leaves nothing. Elsewhere (no O_TMPFILE, a file system
    without it, no /proc) it is created as `.<name>.<id>.opening`, locked, then renamed.

    Args:
        part: the temporary to write.

    Returns:
        The file, open for writing; its lock lasts until it is closed.

    Raises:
        OSError: if it cannot be created or named (nothing is left behind); FileNotFoundError
            (naming it) if, created named, another pack removed it before its lock each of
            `_OPENING_TRIES` times.
    """
    unnamed = _open_unnamed(part)
    if unnamed is not None:
        return unnamed
    opening = _opening_path(part)
    for _ in range(_OPENING_TRIES - 1):
        raw = _created_held(opening)
        if confinement.same_file(raw.fileno(), opening, follow_links=False):
            return _renamed(raw, opening, part)
        raw.close()  # Removed before its lock by a pack taking it for old: made again.
    return _renamed(_created_held(opening), opening, part)


def _created_held(opening: Path) -> IO[bytes]:
    """`opening` created, open for writing and held live (`utils.live_files.hold`).

    Raises:
        OSError: if it cannot be created (nothing is left behind).
    """
    raw = open(opening, "wb")  # Returned open: the caller closes it.
    try:
        live_files.hold(raw.fileno())
    except BaseException:
        _dropped(raw, opening)
        raise
    return raw


def _renamed(raw: IO[bytes], opening: Path, part: Path) -> IO[bytes]:
    """`raw`, the file open as `opening`, renamed `part`.

    Raises:
        OSError: if it cannot be renamed (FileNotFoundError: it was removed; nothing is left).
    """
    try:
        os.replace(opening, part)  # Only SIGKILL right here leaves the .opening file.
    except BaseException:
        _dropped(raw, opening)
        raise
    return raw


def _dropped(raw: IO[bytes], opening: Path) -> None:
    """Closes `raw` and removes `opening`, its name (if it is still there)."""
    raw.close()
    with contextlib.suppress(OSError):
        os.remove(opening)


# How many times `open_part` creates its `.opening` file that another pack removed before it
# was locked (a pack on a host whose clock is ahead takes a fresh one for old).
_OPENING_TRIES = 3


def _open_unnamed(part: Path) -> IO[bytes] | None:
    """`part` created without a name in its folder (O_TMPFILE), held live, then linked as
    `part`; None if that cannot be done here (`open_part` then creates it named, and says what
    fails: any error of this way is left to that one, whose errors name the file)."""
    unnamed = getattr(os, "O_TMPFILE", 0)  # Linux only.
    if not unnamed:
        return None
    try:
        folder = os.open(part.parent, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return None
    fd = -1
    try:
        fd = os.open(".", unnamed | os.O_WRONLY, 0o666, dir_fd=folder)  # Modes as open()'s.
        live_files.hold(fd)
        # linkat(AT_SYMLINK_FOLLOW) of the descriptor's file; without a dir_fd, os.link calls
        # link(2), which links the /proc entry itself and fails (EXDEV).
        os.link(f"/proc/self/fd/{fd}", part.name, dst_dir_fd=folder)
    except BaseException as err:
        if fd >= 0:
            os.close(fd)  # The unnamed file goes with its last descriptor.
        if isinstance(err, OSError):  # EOPNOTSUPP, EISDIR, EINVAL; no /proc: ENOENT.
            return None
        raise
    finally:
        os.close(folder)
    return open(fd, "wb")  # Returned open: the caller closes it.


def _opening_path(part: Path) -> Path:
    """The name `open_part` creates `part` under, one `remove_abandoned_parts` does not match."""
    return part.with_name(part.name.removesuffix(".part") + ".opening")


# How old an unlocked `.opening` file must be to count as a killed pack's: a live pack locks
# its own a moment after creating it (where O_TMPFILE does not work: `open_part`).
_OPENING_SECONDS = 60.0


def remove_abandoned_parts(target: Path) -> None:
    """Removes the `.<name>.<id>.part` files that killed packs of `target` left beside it
    (SIGKILL: no `finally` ran), and their `.opening` files older than `_OPENING_SECONDS`; a live
    pack's stay (`utils.live_files`)."""
    remove_abandoned_temporaries(os.fspath(target.parent), re.escape(target.name))


def remove_abandoned_temporaries(folder: str, targets: str) -> None:
    """`remove_abandoned_parts` of every target in `folder` whose name the regular expression
    `targets` matches whole (e.g. the unique targets of `tfhub serve`'s cache)."""
    part = re.compile(rf"\.{targets}\.[0-9a-f]{{32}}\.part")
    live_files.remove_abandoned(folder, part, left_by="a pack")
    opening = re.compile(rf"\.{targets}\.[0-9a-f]{{32}}\.opening")
    live_files.remove_abandoned(folder, opening, left_by="a pack", older_than=_OPENING_SECONDS)
