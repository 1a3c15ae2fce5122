"""What killed publishes left in model folders: finding it, rolling it back, removing it.

A publish (or mirror) stages a version in a hidden folder `.<version>.publish-<id>/` beside its
doc (`staging.staging_name`) under its model folder's lock (`publish_locks.folder_lock`), which
the kernel releases when the publish dies, even by SIGKILL. A staging folder whose folder lock
is free therefore belongs to nobody: `publish` removes such leftovers under its lock
(`remove_leftovers`), and `tfhub validate` (and `mirror --from-docs`) removes them where it can
take the lock at once (`clean_tree`), after putting back what a publish killed while renaming
its files into place had replaced (`commit.roll_back`; two journals newest first). (Older tfhub
versions left `.<version>.md.publish.lock` files; they are removed the same way.) A publish
killed outright removes nothing itself: it records in its staging folder how many folders it
made (`record_made`), and `clean_tree` removes those that are empty after removing its
leftovers, so the hub is as before it began. Where a folder cannot be flocked (NFS), leftovers
are kept: a publish from another host may own them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
from pathlib import Path

from .. import errors
from ..utils.numbers import is_whole_number
from . import commit, publish_locks
from . import staging as staging_lib

logger = logging.getLogger(__name__)

_LEFTOVER = re.compile(r"\.[^/]+(\.publish-[0-9a-f]{32}|\.md\.publish\.lock)")

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
        made: the folders the publish made (see `staging.lock_model_folder`).
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
    """Removes `leftovers(folder)`; call it only under `publish_locks.folder_lock(folder)`.

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
            if not _rolled_back(path, folder, docs=docs, wait=wait, busy=busy):
                continue
            made = max(made, _made_by(path, docs=docs), key=len)
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                path.unlink()
        logger.info("Removed %s, left by an interrupted publish", path)
        removed.append(path)
    if remove_made:
        staging_lib.remove_empty(made)
    return removed


def _rolled_back(
    path: Path, folder: Path, *, docs: Path, wait: float, busy: list[Path] | None
) -> bool:
    """Rolls back the staging folder `path` of a killed publish into the model folder `folder`
    under the publisher lock (waiting `wait` seconds for it); True if `path` may go now.

    False (it is kept, with a warning) if the lock stayed held (then appended to `busy`
    instead, if given), if a file could not be put back, or if its journal cannot be followed.
    """
    try:
        with publish_locks.publisher_lock(folder, docs=docs, timeout=wait):
            rolled_back = commit.roll_back(path, docs=docs)
    except errors.PublishBusyError as err:
        if busy is None:
            logger.warning("Cannot roll back the interrupted publish in %s: %s", path, err)
        else:
            busy.append(path)
        return False
    except OSError as err:  # Keep what could not be put back: nothing is deleted.
        logger.warning("Cannot roll back the interrupted publish in %s: %s", path, err)
        return False
    if not rolled_back and os.path.lexists(path / commit.JOURNAL):
        logger.warning(
            "Kept %s: the journal of the interrupted publish in it cannot be followed "
            "(see the warning before), and the files it moved aside may be there. Put "
            "them back by hand, then remove that folder.",
            path,
        )
        return False
    return True


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
        if publish_locks.fcntl is None:  # pragma: no cover
            continue
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            if publish_locks.try_lock(fd):
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
