"""The publish lock of a model folder, and cleaning what a killed publish left behind.

`publish` and `mirror` stage a version in a hidden folder `.<version>.publish-<id>/` beside its
doc and rename the files into place. They hold an OS lock (flock) on the model's folder itself
while they do, so no lock file is written into ROOT, and the kernel releases the lock when its
holder dies, even by SIGKILL. A staging folder whose folder lock is free therefore belongs to
nobody: `publish` removes such leftovers under its lock, and `tfhub validate` removes them when
it can take the lock at once. (Older tfhub versions left `.<version>.md.publish.lock` files;
they are removed the same way.) Where a folder cannot be flocked (NFS wants a file open for
writing), a lock file in the temp folder is used instead, and leftovers are then kept: a
publish from another host may own them.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from .. import errors

logger = logging.getLogger(__name__)

STAGING_INFIX = ".publish-"
_LEFTOVER = re.compile(r"\.[^/]+(\.publish-[0-9a-f]{32}|\.md\.publish\.lock)")
DEFAULT_TIMEOUT = 600.0
_LOG_EVERY = 10.0
_POLL = 0.1

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: a lock file outside ROOT instead.
    fcntl = None  # type: ignore[assignment]


def staging_name(version_stem: str, token: str) -> str:
    """`.<version>.publish-<token>`: the hidden staging folder of one publish."""
    return f".{version_stem}{STAGING_INFIX}{token}"


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def folder_lock(folder: Path, *, what: str, timeout: float = DEFAULT_TIMEOUT) -> Iterator[bool]:
    """Holds the publish lock of a model folder (an flock on the folder: no file is written).

    Args:
        folder: the model's folder (it must exist).
        what: what is waited for, named in the log and the error.
        timeout: how long to wait for another publish of the same model, in seconds.

    Yields:
        True if the folder itself is locked (then leftovers in it belong to nobody), False if
        only the fallback lock outside ROOT is held (a publish from another host may be running).

    Raises:
        PublishBusyError: if another process held the lock for `timeout` seconds.
    """
    if fcntl is None:  # pragma: no cover
        with _fallback_lock(folder, what=what):
            yield False
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        try:
            _wait(fd, folder, what=what, timeout=timeout)
        except OSError as err:  # E.g. NFS, where flock needs a file open for writing.
            logger.warning(
                "Cannot lock the folder %s (%s); using a lock file in %s instead (it "
                "protects only against publishes on this machine).",
                folder,
                err,
                tempfile.gettempdir(),
            )
            with _fallback_lock(folder, what=what):
                yield False
            return
        yield True  # Closing the descriptor releases the lock.
    finally:
        os.close(fd)


def _wait(fd: int, folder: Path, *, what: str, timeout: float) -> None:
    started = time.monotonic()
    logged = started
    while not _try_lock(fd):
        now = time.monotonic()
        if now - started >= timeout:
            raise errors.PublishBusyError(
                f"Another process has been {what} for {timeout:.0f} s (it holds the lock of "
                f"{folder}); wait for it to finish, or stop it, then try again.",
                path=os.fspath(folder),
            )
        if now - logged >= _LOG_EVERY:
            logger.info("Still waiting for another process %s (%.0f s)", what, now - started)
            logged = now
        time.sleep(_POLL)


@contextlib.contextmanager
def _fallback_lock(folder: Path, *, what: str) -> Iterator[None]:
    from ..utils.filelock import weak_file_lock

    key = hashlib.sha256(os.fspath(folder.resolve()).encode()).hexdigest()[:32]
    lock = os.path.join(tempfile.gettempdir(), f"tfhub-publish-{key}.lock")
    with weak_file_lock(lock, what=what):
        yield


def leftovers(folder: Path) -> list[Path]:
    """The staging folders and old lock files of publishes in a model folder (any owner)."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    return [folder / name for name in names if _LEFTOVER.fullmatch(name)]


def remove_leftovers(folder: Path) -> list[Path]:
    """Removes `leftovers(folder)`; call it only while holding `folder_lock(folder)`."""
    found = leftovers(folder)
    for path in found:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                path.unlink()
        logger.info("Removed %s, left by an interrupted publish", path)
    return found


def clean_tree(docs: Path) -> list[Path]:
    """Removes what interrupted publishes left under a docs tree, where nobody holds the lock.

    A folder whose lock is held (a publish running now) is left alone.

    Args:
        docs: ROOT/assets/docs.

    Returns:
        The paths removed.
    """
    removed: list[Path] = []
    for current, subdirs, _ in os.walk(docs):
        folder = Path(current)
        subdirs[:] = [name for name in subdirs if not _LEFTOVER.fullmatch(name)]
        if not leftovers(folder):
            continue
        if fcntl is None:  # pragma: no cover
            continue
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            if _try_lock(fd):
                removed += remove_leftovers(folder)
        except OSError as err:  # Cannot tell whether a publish owns them: leave them.
            logger.info("Cannot lock %s (%s); leaving its publish leftovers", folder, err)
        finally:
            os.close(fd)
    return removed
