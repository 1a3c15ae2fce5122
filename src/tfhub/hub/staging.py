"""The publish lock of a model folder, and cleaning what a killed publish left behind.

`publish` and `mirror` stage a version in a hidden folder `.<version>.publish-<id>/` beside its
doc and rename the files into place. They hold an OS lock (flock) on the model's folder itself
while they do, so no lock file is written into ROOT, and the kernel releases the lock when its
holder dies, even by SIGKILL. A staging folder whose folder lock is free therefore belongs to
nobody: `publish` removes such leftovers under its lock, and `tfhub validate` removes them when
it can take the lock at once, after putting back what a publish killed while renaming its files
into place had replaced (`commit.roll_back`). (Older tfhub versions left
`.<version>.md.publish.lock` files; they are removed the same way.) A failed publish removes the
empty folders it made itself, the model folder only under its lock (`remove_made_folders`); a
publish that waited for that lock then holds a removed folder, which `folder_lock` detects
(FileNotFoundError): `lock_model_folder`, which publishes enter through, makes the folder again
and locks again. A publish killed outright removes nothing itself: it records in its staging
folder how many folders it made (`record_made`), and `tfhub validate` (and `mirror --from-docs`)
remove those that are empty after removing its leftovers, so the hub is as before it began.
Where a folder cannot be flocked (NFS wants a file open for writing), a lock
file in the temp folder is used instead, and leftovers are then kept: a publish from another
host may own them.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from .. import errors
from ..utils.numbers import is_whole_number
from ..utils.paths import make_folders
from . import commit, docs_layout

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
def folder_lock(folder: Path, *, what: str, timeout: float | None = None) -> Iterator[bool]:
    """Holds the publish lock of a model folder (an flock on the folder: no file is written).

    Args:
        folder: the model's folder (it must exist).
        what: what is waited for, named in the log and the error.
        timeout: how long to wait for another publish of the same model, in seconds (None:
            `DEFAULT_TIMEOUT`, read at call time).

    Yields:
        True if the folder itself is locked (then leftovers in it belong to nobody), False if
        only the fallback lock outside ROOT is held (a publish from another host may be running).

    Raises:
        PublishBusyError: if another process held the lock for `timeout` seconds.
        FileNotFoundError: if the folder is missing, or was removed while this waited (a
            failed publish removes the folders it made, see `remove_made_folders`): the caller
            makes it again and locks again.
    """
    if fcntl is None:  # pragma: no cover
        with _fallback_lock(folder, what=what):
            yield False
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        try:
            _wait(fd, folder, what=what, timeout=DEFAULT_TIMEOUT if timeout is None else timeout)
        except errors.PublishBusyError:  # A TimeoutError, an OSError: not a failed flock.
            raise
        except OSError as err:  # E.g. NFS, where flock needs a file open for writing.
            logger.warning(
                "Cannot lock the folder %s (%s); using a lock file in %s instead (it "
                "protects only against publishes on this machine).",
                folder,
                err,
                tempfile.gettempdir(),
            )
            with _fallback_lock(folder, what=what):
                _check_still_there(fd, folder)
                yield False
            return
        _check_still_there(fd, folder)
        yield True  # Closing the descriptor releases the lock.
    finally:
        os.close(fd)


def _check_still_there(fd: int, folder: Path) -> None:
    """Raises FileNotFoundError unless `folder` is still the folder open as `fd` (it may have
    been removed, or removed and made again, while its lock was waited for)."""
    try:
        same = os.path.samestat(os.fstat(fd), os.stat(folder))
    except FileNotFoundError:
        same = False
    if not same:
        raise FileNotFoundError(
            errno.ENOENT, "removed while its publish lock was waited for", os.fspath(folder)
        )


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


@contextlib.contextmanager
def publisher_lock(folder: Path, *, docs: Path, timeout: float | None = None) -> Iterator[None]:
    """Holds the lock of the publisher's folder `docs/<publisher>/` of a model folder while a
    commit decides whether to write the publisher doc and renames, or a roll-back decides
    whether to keep it and renames back (`commit._needed`): a roll-back in another model folder
    of that publisher then neither removes the publisher doc between a publish's look for it
    and its commit, nor decides while a publish's doc is half in place. Always taken after the
    model folder's own lock (no deadlock); nothing is held for a folder that is no model folder.

    Raises:
        PublishBusyError: another process held it for `timeout` seconds (None:
            `DEFAULT_TIMEOUT`).
    """
    publisher_doc = docs_layout.publisher_doc_of(folder, docs)
    if publisher_doc is None:
        yield
        return
    what = f"deciding about the publisher doc {publisher_doc}"
    with folder_lock(publisher_doc.parent, what=what, timeout=timeout):
        yield


# How long a roll-back waits for the publisher lock (held for milliseconds by a commit): past
# it, the staging folder is kept (a warning), a publish into that model folder is refused
# (`pending_roll_backs`), and `tfhub validate` goes on with the next folder.
ROLL_BACK_LOCK_TIMEOUT = 60.0
# How long `clean_tree` (`tfhub validate`, `mirror --from-docs`) waits for the publisher lock
# instead: it never waits for a publish; a staging folder it cannot clean now is named as
# being published (`busy`) and kept.
CLEAN_LOCK_WAIT = 0.5


def pending_roll_backs(folder: Path, *, docs: Path) -> list[Path]:
    """The staging folders in a model folder whose journal a roll-back would follow but that
    are still there (`remove_leftovers` kept them: the publisher lock was busy, a rename back
    failed): a publish must not write over them, as their roll-back would then move its new
    files aside."""
    return [
        path
        for path in leftovers(folder)
        if path.is_dir()
        and not path.is_symlink()
        and (path / commit.JOURNAL).is_file()
        and commit.read_journal(path, docs=docs) is not None
    ]


def leftovers(folder: Path) -> list[Path]:
    """The staging folders and old lock files of publishes in a model folder (any owner)."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    return [folder / name for name in names if _LEFTOVER.fullmatch(name)]


MADE = "made.json"  # In a staging folder: how many folders its publish made (`record_made`).


def record_made(staging: Path, made: list[Path]) -> None:
    """Writes into a new staging folder how many folders its publish made: the model folder and
    the parents above it (`made`, outermost first, ends with the model folder if not empty).

    Args:
        staging: the publish's staging folder, in the model folder.
        made: the folders the publish made (see `lock_model_folder`).
    """
    levels = len(made) if made and made[-1] == staging.parent else 0
    (staging / MADE).write_text(json.dumps({"levels": levels}), encoding="utf-8")


def _made_by(staging: Path, *, docs: Path) -> list[Path]:
    """The folders a dead publish recorded it made (`record_made`), outermost first; only the
    model folder and its parents below `docs` count (ROOT/assets/docs stays: the hub's)."""
    try:
        levels = json.loads((staging / MADE).read_text(encoding="utf-8"))["levels"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    if not is_whole_number(levels) or levels <= 0:
        return []
    folder = staging.parent
    chain = [folder, *folder.parents]
    below = [path for path in chain[:levels] if docs in path.parents]
    return list(reversed(below))


def remove_leftovers(
    folder: Path,
    *,
    docs: Path,
    remove_made: bool = False,
    lock_wait: float | None = None,
    busy: list[Path] | None = None,
) -> list[Path]:
    """Removes `leftovers(folder)`; call it only while holding `folder_lock(folder)`.

    A staging folder of a publish killed while it put its files in place is rolled back first
    (`commit.roll_back`): the files it replaced go back, so nothing of the version is lost.

    Args:
        folder: a model folder.
        docs: ROOT/assets/docs, the tree a roll-back may rename in.
        remove_made: also remove the folders a dead publish made (`record_made`) if they are
            empty then (not for a publish about to write into `folder`).
        lock_wait: how long to wait for the publisher lock a roll-back takes (None:
            `ROLL_BACK_LOCK_TIMEOUT`, read at call time).
        busy: if given, a staging folder kept because the publisher lock stayed held (a
            publish of the publisher is committing) is appended to it instead of a warning.

    Returns:
        The leftovers removed (not those kept: see the warnings).
    """
    removed: list[Path] = []
    made: list[Path] = []
    wait = ROLL_BACK_LOCK_TIMEOUT if lock_wait is None else lock_wait
    for path in newest_journal_first(leftovers(folder)):
        if path.is_dir() and not path.is_symlink():
            try:
                with publisher_lock(folder, docs=docs, timeout=wait):
                    rolled_back = commit.roll_back(path, docs=docs)
            except errors.PublishBusyError as err:
                if busy is None:
                    logger.warning("Cannot roll back the interrupted publish in %s: %s", path, err)
                else:
                    busy.append(path)
                continue
            except OSError as err:  # Keep what could not be put back: nothing is deleted.
                logger.warning("Cannot roll back the interrupted publish in %s: %s", path, err)
                continue
            if not rolled_back and os.path.lexists(path / commit.JOURNAL):
                logger.warning(
                    "Kept %s: the journal of the interrupted publish in it cannot be followed "
                    "(see the warning before), and the files it moved aside may be there. Put "
                    "them back by hand, then remove that folder.",
                    path,
                )
                continue
            made = max(made, _made_by(path, docs=docs), key=len)
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                path.unlink()
        logger.info("Removed %s, left by an interrupted publish", path)
        removed.append(path)
    if remove_made:
        _remove_empty(made)
    return removed


def newest_journal_first(paths: list[Path]) -> list[Path]:
    """`paths` (leftovers of one model folder) in the order to roll them back: those with a
    journal first, the newest journal (mtime) first, as their commits' renames are undone
    newest first; then the others, by name.

    Two killed publishes leave two journals where the second could not clean the first's
    leftovers (a folder that cannot be flocked, NFS: it only logs). The second moved aside
    what the first put in place: rolled back first, the older would put back the version
    before both over the newer's files, and the newer's roll-back would then move that version
    aside (deleted with its staging folder) and put back the older's half-written files.
    """

    def key(path: Path) -> tuple[int, int]:
        try:
            return 0, -os.lstat(path / commit.JOURNAL).st_mtime_ns
        except OSError:  # No journal (or not a folder): nothing to roll back.
            return 1, 0

    return sorted(paths, key=key)  # Stable: ties keep `leftovers`' order by name.


# How often a publish makes its model folder again when a failed publish of the same model
# removed it while this one waited for its lock (each time, another publish failed).
_LOCK_ATTEMPTS = 20


def lock_model_folder(stack: contextlib.ExitStack, folder: Path, made: list[Path]) -> bool:
    """Makes the model folder (and missing parents) and enters its publish lock into `stack`.

    A failed publish of the same model removes the folders it made; if it does so while this
    one waits for the lock, `folder_lock` says so (FileNotFoundError) and the folder is made
    and locked again. On failure, the folders made here are removed if nobody holds the lock.

    Args:
        stack: where the lock is held until the publish ends.
        folder: the model folder (the doc's).
        made: extended with each folder this call makes, outermost first.

    Returns:
        `folder_lock`'s value: True if the folder itself is locked.

    Raises:
        PublishBusyError: another publish held the lock for `DEFAULT_TIMEOUT` seconds,
            or failed publishes removed the folder `_LOCK_ATTEMPTS` times.
        OSError: the folder cannot be made.
    """
    what = f"publishing into {folder}"
    attempts = 0
    try:
        while True:
            try:
                _make_folders(folder, made)
                return stack.enter_context(folder_lock(folder, what=what))
            except FileNotFoundError as err:
                attempts += 1
                if attempts >= _LOCK_ATTEMPTS:
                    raise errors.PublishBusyError(
                        f"Other processes publishing into {folder} failed and removed it "
                        f"{attempts} times while this one waited; let them finish, then try "
                        "again.",
                        path=os.fspath(folder),
                    ) from err
                logger.info("%s was removed by a failed publish; making it again", folder)
    except BaseException:
        remove_made_folders(made, locked=False)
        raise


def _make_folders(folder: Path, made: list[Path]) -> None:
    """Creates a folder and its missing parents (`paths.make_folders`), appending each one this
    call creates (not one that exists, or that another process creates meanwhile) to `made`,
    outermost first.

    Raises:
        OSError: a folder cannot be made (FileNotFoundError: a parent was removed meanwhile).
    """
    for created in make_folders(os.fspath(folder)):
        path = Path(created)
        if path not in made:  # Made again after a failed publish removed it: listed once.
            made.append(path)
            made.sort(key=lambda made_path: len(made_path.parts))  # Outermost first.


def remove_made_folders(made: list[Path], *, locked: bool) -> None:
    """Removes, innermost first, the empty ones of the folders a failed publish made.

    Only folders this publish made are given (never one that another publish made and may be
    waiting on). The innermost is a model folder whose lock other publishes of that model wait
    for: it is removed only under that lock, held by the caller or else taken here if it is
    free at once, so that no publish holding the lock loses its folder; one waiting for it
    sees the folder go (`folder_lock` raises FileNotFoundError) and makes it again.

    Args:
        made: the folders this publish made, outermost first.
        locked: True if the caller holds the lock of `made[-1]`.
    """
    if not made:
        return
    if locked:
        _remove_empty(made)
        return
    if fcntl is None:  # pragma: no cover
        return
    try:
        fd = os.open(made[-1], os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except FileNotFoundError:  # Removed already (by a publish holding its lock): the rest.
        _remove_empty(made[:-1])
        return
    except OSError:  # Cannot tell whether a publish works in it: leave it.
        return
    try:
        if _try_lock(fd):
            _remove_empty(made)
    except OSError as err:  # Cannot tell whether a publish works in it: leave it.
        logger.info("Cannot lock %s (%s); leaving the folders this publish made", made[-1], err)
    finally:
        os.close(fd)


def _remove_empty(folders: list[Path]) -> None:
    """Removes each folder, innermost (last) first, while it is empty."""
    for folder in reversed(folders):
        try:
            folder.rmdir()
        except OSError:  # Not empty (another publish's files, a sibling model): keep it.
            return


def clean_tree(docs: Path, *, busy: list[Path] | None = None) -> list[Path]:
    """Removes what interrupted publishes left under a docs tree, where nobody holds the lock.

    It never waits for a publish: a model folder whose lock is held (a publish running now) is
    left alone, and a staging folder whose roll-back needs the publisher lock that a publish of
    the publisher holds (committing, or stopped while it did) for `CLEAN_LOCK_WAIT` s is kept.

    Args:
        docs: ROOT/assets/docs.
        busy: if given, each model folder and staging folder left alone so is appended to it
            (`tfhub validate` names them as being published now, not checked).

    Returns:
        The paths removed.
    """
    busy = [] if busy is None else busy
    removed: list[Path] = []
    for current, subdirs, _ in os.walk(docs):
        folder = Path(current)
        # Sorted: the roll-backs are made in the same order on every filesystem.
        subdirs[:] = sorted(name for name in subdirs if not _LEFTOVER.fullmatch(name))
        if not leftovers(folder):
            continue
        if fcntl is None:  # pragma: no cover
            continue
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            if _try_lock(fd):
                removed += remove_leftovers(
                    folder, docs=docs, remove_made=True, lock_wait=CLEAN_LOCK_WAIT, busy=busy
                )
            else:
                busy.append(folder)
        except OSError as err:  # Cannot tell whether a publish owns them: leave them.
            logger.info("Cannot lock %s (%s); leaving its publish leftovers", folder, err)
        finally:
            os.close(fd)
    for path in busy:
        logger.info("Left %s alone: a publish is running there now", path)
    return removed
