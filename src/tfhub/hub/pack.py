"""Pack a model folder into a deterministic .tar.gz (the model root at the archive root).

The same folder always gives the same bytes: members sorted by path, directories before their
contents, mtime 0, uid/gid 0 with empty owner names, modes 0755 (directories) and 0644 (files),
PAX format, gzip header without file name and with mtime 0. Symlinks and special files are
refused (tfhub's and upstream's extractors refuse them too). The archive is written to a unique
temporary file beside the target and renamed into place.

`pack` imports no TensorFlow (a server packs folder versions with it); `check_loadable` loads
the model with TensorFlow and is what `tfhub pack` / `tfhub publish` add on top.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import hashlib
import logging
import os
import re
import stat
import tarfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .. import errors
from ..handles import is_archive_path
from ..saved_model_proto import model_file_kind, model_files_in
from ..utils import live_files
from ..utils.paths import (
    STREAMS,
    closed_descriptor,
    describe_descriptor,
    is_terminal,
    special_kind,
)
from ..utils.printable import repr_escaped

logger = logging.getLogger(__name__)

DIR_MODE = 0o755
FILE_MODE = 0o644
DEFAULT_COMPRESSLEVEL = 6
_CHUNK = 1 << 20


@dataclass(frozen=True)
class PackedArchive:
    """An archive `pack` wrote: where, its size, sha256 (hex) and number of files."""

    path: Path
    size: int
    sha256: str
    files: int


def _members(model_dir: Path) -> Iterator[tuple[str, Path, os.stat_result]]:
    """(archive name, path, lstat) of every entry below `model_dir`, sorted, parents first.

    Raises:
        NotAModelError: for a symlink or a special file.
        OSError: for a folder that cannot be listed (`os.walk` would skip it silently).
    """

    def unreadable(err: OSError) -> None:
        raise _unreadable(err) from err

    for folder, subdirs, files in os.walk(model_dir, onerror=unreadable):
        subdirs.sort()
        base = Path(folder)
        for name in sorted([*subdirs, *files]):
            path = base / name
            info = path.lstat()
            if not (stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode)):
                raise _not_packable(model_dir, path, info)
            yield path.relative_to(model_dir).as_posix(), path, info


def _not_packable(model_dir: Path, path: Path, info: os.stat_result) -> errors.NotAModelError:
    """The error for a symlink or special file `path` in the model folder `model_dir`."""
    if stat.S_ISLNK(info.st_mode):
        leads_to_folder = os.path.isdir(path)
        kind = "symlink to a folder" if leads_to_folder else "symlink"
        todo = f"copy the {'folder' if leads_to_folder else 'file'} it leads to in its place"
    else:
        kind, todo = special_kind(os.fspath(path)) or "special file", "remove it"
    return errors.NotAModelError(
        f"{path} is a {kind}; a model archive holds only regular files and folders ({todo}). "
        f"Received: model_dir={repr_escaped(os.fspath(model_dir))}",
        path=os.fspath(model_dir),
        reason=f"not a regular file: {path.relative_to(model_dir).as_posix()}",
    )


def _unreadable(err: OSError) -> OSError:
    """The error (of `err`'s type) for a file or folder of the model that cannot be read."""
    failure = type(err)(
        f"Cannot read {err.filename} ({err.strerror}): make it readable (`chmod -R u+rX` as its "
        "owner), or pack as a user who can read it."
    )
    failure.errno = err.errno
    return failure


def _sorted_members(model_dir: Path) -> list[tuple[str, Path, os.stat_result]]:
    """All members sorted by their archive name (os.walk's order is only per folder)."""
    return sorted(_members(model_dir), key=lambda member: member[0].split("/"))


def _tarinfo(name: str, info: os.stat_result) -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.mtime = 0
    member.uid = member.gid = 0
    member.uname = member.gname = ""
    if stat.S_ISDIR(info.st_mode):
        member.type, member.mode, member.size = tarfile.DIRTYPE, DIR_MODE, 0
    else:
        member.type, member.mode, member.size = tarfile.REGTYPE, FILE_MODE, info.st_size
    return member


def _not_a_folder(path: Path) -> str:
    """What `path`, given as a model folder, is instead and what to do: the end of a message
    that starts with the path, ending with a period."""
    if not path.exists():
        return "does not exist: check the path (a model folder holds saved_model.pb)."
    if not path.is_file():
        return "is not a folder: pack a model folder (a TF2 SavedModel or a TF1 Hub module)."
    if is_archive_path(path.name):
        return (
            "is an archive file, not a folder: `tfhub publish` and `tfhub mirror` take it as it "
            "is; to pack it anew, extract it and pack that folder."
        )
    what, todo = model_file_kind(os.fspath(path))
    return f"is {what}, not a model folder. {todo}"


def check_model_folder(model_dir: str | os.PathLike[str]) -> Path:
    """Checks, without TensorFlow, that a folder looks like a model (has saved_model.pb(txt)).

    Raises:
        NotAModelError: if it is not a folder or has no saved_model.pb / saved_model.pbtxt
            (or its saved_model.pb is not a file: a named pipe, a folder, a link to nothing).
    """
    folder = Path(model_dir)
    if not folder.is_dir():
        raise errors.NotAModelError(
            f"{folder} {_not_a_folder(folder)} "
            f"Received: model_dir={repr_escaped(os.fspath(model_dir))}",
            path=os.fspath(model_dir),
            reason="not a folder",
        )
    if model_files_in(os.fspath(folder)):
        return folder
    pb = folder / "saved_model.pb"
    if os.path.lexists(pb):  # There, but not as a file.
        kind = special_kind(os.fspath(pb)) or ("folder" if pb.is_dir() else "link to nothing")
        raise errors.NotAModelError(
            f"{pb} is a {kind}, not a file: copy or export the model there again. Received: "
            f"model_dir={os.fspath(model_dir)!r}",
            path=os.fspath(model_dir),
            reason=f"saved_model.pb is a {kind}",
        )
    raise errors.NotAModelError(
        f"{folder} holds no saved_model.pb: it is not a SavedModel or TF1 Hub module (save "
        "it with tf.saved_model.save, or export it with hub.Module.export). Received: "
        f"model_dir={os.fspath(model_dir)!r}",
        path=os.fspath(model_dir),
        reason="no saved_model.pb",
    )


def check_packable(model_dir: str | os.PathLike[str]) -> Path:
    """`check_model_folder`, and that every entry in the folder is a file or folder.

    Called before TensorFlow loads the model: a named pipe inside would block its load for
    ever, and a link could lead it anywhere.

    Raises:
        NotAModelError: if it is not a model folder, or holds a symlink or special file.
        OSError: if a folder in it cannot be listed.
    """
    folder = check_model_folder(model_dir)
    _sorted_members(folder)
    return folder


def pack(
    model_dir: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    compresslevel: int = DEFAULT_COMPRESSLEVEL,
) -> PackedArchive:
    """Writes a deterministic .tar.gz of a model folder (no TensorFlow; see `check_loadable`).

    Args:
        model_dir: the model folder; its contents become the archive's root.
        output: the archive to write (replaced atomically if it exists; through a link, the
            file it leads to). A pipe or a character device (/dev/stdout) is written into.
        compresslevel: gzip level (1-9); the same level gives the same bytes.

    Returns:
        The archive written.

    Raises:
        NotAModelError: if the folder holds no saved_model.pb or a symlink/special file, or a
            file changed while it was packed.
        PublishTargetError: if `output` is inside `model_dir`, names a closed stream (/dev/stdout
            after `>&-`), a folder, a terminal, a block device or a socket (a ValueError).
        OSError: if a file or folder of the model cannot be read, or the archive cannot be
            written (nothing is left behind either way).
    """
    folder = check_model_folder(model_dir)
    target, kind = _checked_target(output, folder)
    return _write_pack(folder, output, target, kind, compresslevel)


def _write_pack(
    folder: Path,
    output: str | os.PathLike[str],
    target: Path,
    kind: str | None,
    compresslevel: int,
) -> PackedArchive:
    """`pack` once its checks have passed: `target` and `kind` are `_checked_target`'s."""
    members = _sorted_members(folder)
    digest = hashlib.sha256()
    if kind is not None:  # /dev/stdout, a named pipe: written into, never replaced.
        with _write_failures(output, target, None), _open_stream(target, kind) as raw:
            hashing = _HashingWriter(raw, digest)
            _write_archive(hashing, folder, members, compresslevel)
        size = hashing.size
    else:
        _remove_abandoned_parts(target)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
        try:
            with _write_failures(output, target, tmp), open(tmp, "wb") as raw:
                live_files.hold(raw.fileno())  # Live until renamed: not another pack's leftover.
                hashing = _HashingWriter(raw, digest)
                _write_archive(hashing, folder, members, compresslevel)
                raw.flush()
                os.fsync(raw.fileno())
                os.replace(tmp, target)
        finally:
            if tmp.exists():
                tmp.unlink()
        size = target.stat().st_size
    files = sum(1 for _, _, info in members if stat.S_ISREG(info.st_mode))
    logger.info("Packed %s (%d files) into %s", folder, files, output)
    return PackedArchive(Path(output), size, digest.hexdigest(), files)


# How long `pack` waits for a process to open a named pipe it writes into (`tar czf FIFO`
# waits forever).
FIFO_READER_WAIT = 60.0


def _open_stream(target: Path, kind: str) -> IO[bytes]:
    """Opens a stream output for writing; a named pipe once a process reads it.

    Raises:
        PublishTargetError: no process opened the pipe for reading within FIFO_READER_WAIT s.
    """
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


def _checked_target(output: str | os.PathLike[str], folder: Path) -> tuple[Path, str | None]:
    """The path `pack` writes for `output` and its `special_kind`.

    Raises:
        PublishTargetError: if `output` names a closed stream, is inside `folder`, or is a
            folder, a terminal, a block device or a socket.
    """
    closed = closed_descriptor(os.fspath(output))
    if closed is not None:
        raise errors.PublishTargetError(
            f"{os.fspath(output)} names {describe_descriptor(closed)}, which is closed (e.g. "
            "by `>&-`): run it with that stream open, or write the archive to a file. "
            f"Received: output={os.fspath(output)!r}",
            path=os.fspath(output),
        )
    given = Path(output)
    if Path(os.path.realpath(given)).is_relative_to(folder.absolute().resolve()):
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
        raise errors.PublishTargetError(  # Binary on a screen; as `tar czf /dev/tty` refuses.
            f"{os.fspath(output)} is a terminal: redirect the archive to a file "
            f"(`> model.tar.gz`) or a pipe. Received: output={os.fspath(output)!r}",
            path=os.fspath(output),
        )
    # A file is written through a link, as `tar czf` and a shell's `>` write: the link stays and
    # the file it leads to gets the archive (the rename would otherwise replace the link).
    target = given if kind is not None else Path(os.path.realpath(given))
    return target, kind


@contextlib.contextmanager
def _write_failures(
    output: str | os.PathLike[str], target: Path, tmp: Path | None
) -> Iterator[None]:
    """Turns a failed write of the archive (to `target`, or its temporary `tmp`) into an OSError
    saying what to do; a model file that cannot be read raises its own error."""
    try:
        yield
    except OSError as err:
        disk_full = err.errno in errors.DISK_FULL_ERRNOS  # Only a write fails so, named or not.
        written = {os.fspath(target)} | ({os.fspath(tmp)} if tmp is not None else set())
        if not disk_full and err.filename not in written:
            raise  # A file of the model that cannot be read says so itself.
        todo = (
            "free space on its disk, or write it elsewhere"
            if disk_full
            else "check that its folder exists and is writable"
        )
        failure = type(err)(
            f"Cannot write the archive {os.fspath(output)} ({err.strerror}); {todo}"
        )
        failure.errno = err.errno
        raise failure from err


def _remove_abandoned_parts(target: Path) -> None:
    """Removes the `.<name>.<id>.part` files that killed packs of `target` left beside it
    (SIGKILL: no `finally` ran); a live pack's stays (`utils.live_files`)."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.[0-9a-f]{{32}}\.part")
    live_files.remove_abandoned(os.fspath(target.parent), pattern, left_by="a pack")


def _write_archive(
    out: Any, folder: Path, members: list[tuple[str, Path, os.stat_result]], compresslevel: int
) -> None:
    with gzip.GzipFile(
        filename="", mode="wb", fileobj=out, compresslevel=compresslevel, mtime=0
    ) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for name, path, info in members:
                member = _tarinfo(name, info)
                if member.isdir():
                    tar.addfile(member)
                else:
                    _add_file(tar, member, folder, path, info)


def _add_file(
    tar: tarfile.TarFile, member: tarfile.TarInfo, folder: Path, path: Path, info: os.stat_result
) -> None:
    """Adds the file `path` (listed with the lstat `info`) as `member`.

    Raises:
        OSError: if it cannot be read (its own type, saying what to do).
        NotAModelError: if it is not the file listed any more, or changed while it was read.
    """
    try:  # No link followed, no wait for a writer: it may have been replaced since listed.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as err:
        if err.errno in (errno.ENOENT, errno.ELOOP):  # Removed, or now a link.
            raise _changed_error(folder, path) from err
        raise _unreadable(err) from err
    with open(fd, "rb") as data:
        if _changed(info, os.fstat(fd)):
            raise _changed_error(folder, path)
        try:
            tar.addfile(member, data)
        except OSError as err:
            if err.errno is not None:  # A write of the archive: `_write_failures` says what.
                raise
            raise _changed_error(folder, path) from err  # tarfile: "unexpected end of data".
        if _changed(info, os.fstat(fd)):
            raise _changed_error(folder, path)


def _changed(listed: os.stat_result, now: os.stat_result) -> bool:
    """Whether a file is not the one listed, or was written since."""
    fields = ("st_dev", "st_ino", "st_size", "st_mtime_ns")
    return any(getattr(listed, field) != getattr(now, field) for field in fields)


def _changed_error(folder: Path, path: Path) -> errors.NotAModelError:
    relative = path.relative_to(folder).as_posix()
    return errors.NotAModelError(
        f"{path} changed while it was packed: pack again once nothing writes into the model "
        f"folder. Received: model_dir={repr_escaped(os.fspath(folder))}",
        path=os.fspath(folder),
        reason=f"changed while packed: {relative}",
    )


class _HashingWriter:
    """A write-only file that hashes what passes through it."""

    def __init__(self, raw: IO[bytes], digest: Any) -> None:
        self._raw = raw
        self._digest = digest
        self.size = 0  # Bytes written so far.

    def write(self, data: bytes) -> int:
        self._digest.update(data)
        self.size += len(data)
        return self._raw.write(data)

    def flush(self) -> None:
        self._raw.flush()


def check_loadable(model_dir: str | os.PathLike[str]) -> Any:
    """Loads a model folder with TensorFlow, as `tfhub.load` would (TF2 SavedModel or TF1 Hub).

    Args:
        model_dir: the model folder.

    Returns:
        The loaded object (callers may reuse it, e.g. for the signature summary).

    Raises:
        NotAModelError: if the folder does not load; the message says why.
    """
    folder = check_model_folder(model_dir)
    from .. import saved_model

    try:
        return saved_model.load(os.fspath(folder.absolute()))
    except Exception as err:
        # A damaged file is named by the loader's `problem`; anything else by TensorFlow.
        reason = (
            err.problem
            if isinstance(err, errors.DamagedModelError)
            else f"{type(err).__name__}: {err}"
        )
        raise errors.NotAModelError(
            f"{folder} does not load as a model ({reason}); fix or re-export it. "
            f"Received: model_dir={repr_escaped(os.fspath(model_dir))}",
            path=os.fspath(model_dir),
            reason=reason,
        ) from err


def pack_model(
    model_dir: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    compresslevel: int = DEFAULT_COMPRESSLEVEL,
) -> PackedArchive:
    """`tfhub pack`: checks that the folder loads (TensorFlow), then packs it.

    Raises:
        NotAModelError: if the folder is not a loadable model.
        OSError: if the archive cannot be written.
    """
    folder = check_packable(model_dir)
    target, kind = _checked_target(output, folder)  # Before TensorFlow's seconds.
    check_loadable(model_dir)
    return _write_pack(folder, output, target, kind, compresslevel)
