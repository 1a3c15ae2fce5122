"""The staging folder of a publish, and the folders a publish makes for its model.

`publish` and `mirror` stage a version in a hidden folder `.<version>.publish-<id>/` beside its
doc (`staging_name`) and rename the files into place (`commit`), holding the model folder's
lock (`publish_locks.folder_lock`) while they do. A failed publish removes the empty folders it
made itself, the model folder only under its lock (`remove_made_folders`); a publish that
waited for that lock then holds a removed folder, which `folder_lock` detects
(FileNotFoundError): `lock_model_folder`, which publishes enter through, makes the folder again
and locks again. What a killed publish left is the job of `leftovers`.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
from pathlib import Path

from .. import errors
from ..utils.paths import make_folders
from . import publish_locks

logger = logging.getLogger(__name__)

STAGING_INFIX = ".publish-"


def staging_name(version_stem: str, token: str) -> str:
    """`.<version>.publish-<token>`: the hidden staging folder of one publish."""
    return f".{version_stem}{STAGING_INFIX}{token}"


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
        PublishBusyError: another publish held the lock for `publish_locks.DEFAULT_TIMEOUT` s,
            or failed publishes removed the folder `_LOCK_ATTEMPTS` times.
        PublishTargetError: the file system says "no such file" to making a folder whose
            parent is there (see `_make_model_folder`).
        OSError: the folder cannot be made otherwise.
    """
    what = f"publishing into {folder}"
    attempts = 0
    try:
        while True:
            try:
                _make_model_folder(folder, made)
                return stack.enter_context(publish_locks.folder_lock(folder, what=what))
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


def _make_model_folder(folder: Path, made: list[Path]) -> None:
    """`_make_folders`, telling a parent removed meanwhile (a failed publish's: FileNotFoundError,
    which the caller answers by making the folders again) from a file system that will not make
    the folder: mkdir says ENOENT although its parent is there (under /proc, a file system that
    refuses the create so), twice in a row (once could be a parent removed and made again).

    Raises:
        PublishTargetError: the folder cannot be made there, naming it and the system's text.
        OSError: a folder cannot be made (FileNotFoundError: a parent was removed meanwhile).
    """
    try:
        _make_folders(folder, made)
    except FileNotFoundError as err:
        if not _parent_is_there(err):
            raise
        try:
            _make_folders(folder, made)
        except FileNotFoundError as again:
            if not _parent_is_there(again):
                raise
            failed = os.path.abspath(os.fsdecode(again.filename))
            raise errors.PublishTargetError(
                f"Cannot make the folder {failed} (for the model folder {folder}): the file "
                f"system says {again.strerror or os.strerror(errno.ENOENT)!r} although "
                f"{os.path.dirname(failed)} is there, so it makes no folders there (a system "
                "folder such as /proc, or a file system that refuses it). Choose a hub folder "
                "on a file system where you can make folders.",
                path=os.fspath(folder),
            ) from None  # Not "not found" (the CLI's exit 7 for a cause FileNotFoundError).


def _parent_is_there(err: FileNotFoundError) -> bool:
    """Whether the folder `err` (mkdir's ENOENT) names has its parent folder (that of a single
    relative name, such as `srv`, is the current folder)."""
    if not isinstance(err.filename, str | bytes | os.PathLike):
        return False
    return os.path.isdir(os.path.dirname(os.path.abspath(os.fsdecode(err.filename))))


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
        remove_empty(made)
        return
    if publish_locks.fcntl is None:  # pragma: no cover
        return
    try:
        fd = os.open(made[-1], os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except FileNotFoundError:  # Removed already (by a publish holding its lock): the rest.
        remove_empty(made[:-1])
        return
    except OSError:  # Cannot tell whether a publish works in it: leave it.
        return
    try:
        if publish_locks.try_lock(fd):
            remove_empty(made)
    except OSError as err:  # Cannot tell whether a publish works in it: leave it.
        logger.info("Cannot lock %s (%s); leaving the folders this publish made", made[-1], err)
    finally:
        os.close(fd)


def remove_empty(folders: list[Path]) -> None:
    """Removes each folder, innermost (last) first, while it is empty."""
    for folder in reversed(folders):
        try:
            folder.rmdir()
        except OSError:  # Not empty (another publish's files, a sibling model): keep it.
            return
