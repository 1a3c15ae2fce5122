"""Atomic, cross-process downloads into the cache.

`atomic_download` returns the folder of a handle, fetching it at most once across processes:
the fetch writes into a unique temporary folder beside the target, which is renamed into place
when complete, so a folder that exists is never a partial download. An OS lock (that dies with
its process) keeps concurrent processes from downloading the same handle twice; correctness does
not depend on it. Only the process that made a temporary folder removes it. The fetch of an
http(s) archive is `tfhub.archive_fetch`'s.
"""

from __future__ import annotations

import errno
import glob
import logging
import os
from collections.abc import Callable, Mapping

from . import cache, constants, errors
from .cache import deleting
from .cache import locks as cache_locks
from .utils.printable import escaped
from .utils.redact import redact

logger = logging.getLogger(__name__)

# Fills an empty folder; may return what it hashed while writing: an `_archive.ExtractResult`
# or ({path: (size, hex)}, algorithm). Files it does not report are hashed at install.
Fetch = Callable[[str], object]


def atomic_download(
    handle: str,
    fetch: Fetch,
    *,
    module_path: str | None = None,
    local: bool = False,
    replace: bool = False,
) -> str:
    """Returns the cache folder of `handle`, calling `fetch(tmp_dir)` to fill it if needed.

    Args:
        handle: the handle (its sha1 names the folder; it is written in the descriptor, with
            any credentials redacted).
        fetch: fills an empty folder with the module's files.
        module_path: the target folder; defaults to `<cache>/<sha1(handle)>`. A relative
            path is taken from the working folder (and returned as given).
        local: `fetch` reads local files only, so TFHUB_OFFLINE does not forbid it.
        replace: fetch even if the entry is complete, and replace it once the new one is
            complete (if `fetch` fails, the old entry is kept), in local and gfile caches.

    Returns:
        The module folder.

    Raises:
        tfhub.errors.OfflineModeError: if TFHUB_OFFLINE is set and the entry is missing.
        tfhub.errors.CacheError: if the cache cannot be written.
        tfhub.errors.LockTimeoutError: another process's download of it took longer than
            TFHUB_LOCK_TIMEOUT.
        Whatever `fetch` raises; the cache then holds no partial entry.
    """
    module_path = module_path or cache.module_dir(handle)
    if not cache.is_remote(module_path) and not os.path.isabs(module_path):
        # As upstream, whose lock and temporary folder were absolute: a relative folder is in
        # the working folder (a bare name's dirname, "", could not be created); the caller's
        # spelling is returned.
        absolute = os.path.abspath(module_path)
        atomic_download(handle, fetch, module_path=absolute, local=local, replace=replace)
        return module_path
    if cache.is_remote(module_path):
        # Not a duplicate: a gfile filesystem has no OS lock and no atomic folder rename, so its
        # entries are staged and committed manifest-last, under a per-process turn (see there).
        from .cache.remote import atomic_download as remote_download

        return remote_download(handle, fetch, module_path=module_path, local=local, replace=replace)
    if not replace and cache.is_complete(module_path):
        return module_path
    if constants.is_offline() and not local:
        raise _offline_error(handle, module_path)
    cache.ensure_writable_root(os.path.dirname(module_path))
    _download_locked(handle, fetch, module_path, replace=replace)
    return module_path


def _download_locked(handle: str, fetch: Fetch, module_path: str, *, replace: bool) -> None:
    """Under the entry's lock: installs `handle` at the local `module_path` unless another
    process did meanwhile (or `replace`), finishing or clearing what killed installs left.

    Raises:
        As `atomic_download`.
    """
    with cache_locks.entry_lock(module_path, what=f"the download of {handle!r}") as held:
        # Also when the checks before the download fail (a lazy import of tfhub's recovery
        # step at the limit of open files, EMFILE, left the lock file).
        try:
            if _done_meanwhile(handle, module_path, held=held, replace=replace):
                return
            if not replace and os.path.lexists(module_path):
                cache.remove_tree(module_path)  # Damaged: removed first, as upstream does.
            # A folder there when ours is complete is the one `replace` replaces, or one that a
            # process ignoring our lock installed meanwhile.
            _download_into_place(handle, fetch, module_path, replace_existing=replace)
        except BaseException:
            if held and not os.path.lexists(module_path):
                # No entry: its lock file would be a leftover (`tfhub cache info` counts it).
                # Safe while held: a waiter notices the unlink (see utils.filelock).
                deleting.unlink_quietly(cache.layout.lock_path(module_path))
            raise


def _done_meanwhile(handle: str, module_path: str, *, held: bool, replace: bool) -> bool:
    """Under the entry's lock (`held`: False if locking was impossible and this runs unlocked):
    True if the entry needs no download, being complete (installed while we waited) or
    finished from a killed install; otherwise clears, when held, the temporary folders killed
    downloads left, and returns False.

    Raises:
        tfhub.errors.OtherUsersEntryError: as `_installed_meanwhile`.
    """
    installed, abandoned = _installed_meanwhile(handle, module_path)
    if installed and not replace:
        return True
    if held and not replace and abandoned is None and cache.recovery.finish_install(module_path):
        # An install killed just before its rename, finished; the old folder it had
        # renamed aside (killed between its two renames) goes too.
        _remove_stale_tmp_dirs(module_path)
        return True
    if held:
        _remove_stale_tmp_dirs(module_path, keep=abandoned)
    return False


def _installed_meanwhile(handle: str, module_path: str) -> tuple[bool, str | None]:
    """Under the lock: whether the entry is complete (another process, or tensorflow_hub in
    another process, installed it while we waited); logs a damaged entry.

    Returns:
        (complete, the temporary folder of a tensorflow_hub download whose lock was taken over
        for showing no progress, or None): that process may still run (a stalled server), so
        its folder is not removed under it.

    Raises:
        tfhub.errors.OtherUsersEntryError: the entry is another user's that this user may not
            read: not damage, so neither logged as such nor downloaded again; or a damaged one
            of another user's (or its bookkeeping) that the sticky bit of the cache folder
            keeps this user from replacing (rf56d-F2: its files were deleted, then the install
            failed; rf56d-F5: each resolve downloaded it, then failed to write the descriptor).
    """
    problem = cache.damage(module_path)
    if problem is None:
        return True, None
    foreign = cache.owners.other_users_entry_error(module_path, problem)
    if foreign is None:  # Not renamed aside, nor emptied, nor downloaded in vain (rf56d-F5).
        shown = problem if os.path.lexists(module_path) else None
        foreign = cache.owners.undeletable_entry_error(module_path, sticky_only=True, problem=shown)
    if foreign is not None:
        raise foreign
    if os.path.lexists(module_path):  # A file or a link to nothing is named so (health.no_folder).
        logger.warning(
            "Cache entry %s of %r is damaged (%s); downloading it again.",
            escaped(module_path),
            redact(handle),
            escaped(problem),  # It may name a file of a hostile archive: "a\nb is missing".
        )
    return cache_locks.wait_for_upstream_download(module_path)


def _offline_error(handle: str, module_path: str) -> errors.OfflineModeError:
    problem = cache.damage(module_path)
    missing = problem == cache.health.MISSING_FOLDER
    state = "is not in" if missing else f"is damaged ({escaped(problem or '')}) in"
    root = os.path.dirname(module_path)
    return errors.OfflineModeError(
        f"TFHUB_OFFLINE is set and {handle!r} {state} the cache {escaped(root)} "
        f"(folder {os.path.basename(module_path)}). Pre-fill the cache with "
        f"`tfhub pull {handle}` where the network is available, or unset TFHUB_OFFLINE.",
        handle=redact(handle),
        cache_dir=root,
    )


def _remove_stale_tmp_dirs(module_path: str, *, keep: str | None = None) -> None:
    """Removes temporary folders left by killed downloads of this entry, and the temporary
    files of its bookkeeping (`<entry>.descriptor.txt.<uid>.part`, written under this lock) that
    a download killed while writing them left (lock held).

    tensorflow_hub uses the same names; its downloads are live while its `<entry>.lock` exists,
    and one whose lock was taken over for showing no progress (`keep`) may still run: as
    tensorflow_hub does when it takes a lock over, its folder is left to it (it removes it
    when it ends; `tfhub cache prune` removes it if it never does).
    """
    if os.path.exists(module_path + ".lock"):
        return
    for stale in glob.glob(glob.escape(module_path) + ".*" + cache.TMP_SUFFIX):
        if stale == keep:
            continue
        logger.info("Removing %s, left by an interrupted download.", escaped(stale))
        cache.remove_tree(stale)
    for suffix in (cache.DESCRIPTOR_SUFFIX, cache.MANIFEST_SUFFIX):
        for stale in glob.glob(glob.escape(module_path + suffix) + ".*" + cache.layout.PART_SUFFIX):
            logger.info("Removing %s, left by an interrupted download.", escaped(stale))
            deleting.unlink_quietly(stale)


def _download_into_place(
    handle: str, fetch: Fetch, module_path: str, *, replace_existing: bool
) -> None:
    tmp_dir = cache.new_tmp_dir(module_path)
    try:
        _make_tmp_dir(tmp_dir)
        with cache_locks.upstream_lock(module_path, tmp_dir):
            logger.info("Downloading TF-Hub Module %r.", redact(handle))
            try:
                fetched = cache.bookkeeping.as_fetch_result(fetch(tmp_dir))
            except errors.CacheError as err:
                raise _with_disk_hint(err, module_path, tmp_dir) from err
            digests, algorithm = fetched if fetched else (None, None)
            _install(
                handle,
                tmp_dir,
                module_path,
                digests=digests,
                algorithm=algorithm,
                replace_existing=replace_existing,
            )
    finally:
        cache.remove_tree(tmp_dir)


def _make_tmp_dir(tmp_dir: str) -> None:
    """Creates the download's temporary folder.

    Raises:
        tfhub.errors.CacheError: it cannot be created (a full disk, no inode left, ...).
    """
    try:
        os.makedirs(tmp_dir)
    except OSError as err:
        root = os.path.dirname(tmp_dir)
        failed = f"Cannot create the temporary folder {tmp_dir} of a download"
        raise cache.bookkeeping.write_error(failed, err, root=root, path=root) from err


def _with_disk_hint(err: errors.CacheError, module_path: str, tmp_dir: str) -> errors.CacheError:
    """Adds what to do to a full-disk error that does not say it yet (the error itself
    otherwise): for a full disk, its room; and, unless it ran out of inodes, the bytes the model
    needs at least (what `tmp_dir` holds), if any. `tmp_dir` is removed here, before the room
    is measured: the message says it was, and the room it names is the room left after it (a
    model bigger than the disk said "0 B free" of a disk that was empty again); a disk out of
    inodes is named as it was at the failure, and said so ("it had no inode left ... when the
    download failed"). For a used-up quota (EDQUOT), no disk figures:
    the disk may have plenty of room. A path's control characters (a newline in the cache
    folder's name) are shown escaped."""
    if not isinstance(err, errors.DiskFullError) or err.remedy is not None:
        return err
    from .utils.paths import disk_room, human_size, tree_size

    root = os.path.dirname(module_path)
    message = escaped(err.strerror if err.strerror is not None else str(err))
    quota = err.errno == errno.EDQUOT
    room = None if quota else disk_room(root)
    no_inode_left = bool(room and room.no_inode_left)
    size = 0 if no_inode_left else tree_size(tmp_dir)
    # A disk out of inodes is named as it was when the download failed: removing the folder
    # frees its inodes, and the room after it would hide the cause.
    failed = "the download failed"
    remedy = (
        cache.bookkeeping.free_space_remedy(root, quota=quota, when=failed) if no_inode_left else ""
    )
    cache.remove_tree(tmp_dir)
    remedy = remedy or cache.bookkeeping.free_space_remedy(root, quota=quota)
    need = f"The model needs more than {human_size(size)}. " if size else ""
    return errors.DiskFullError(
        err.errno,
        f"{message} The temporary folder was removed. {need}{remedy}",
        path=root,
        remedy=remedy,
    )


def _install(
    handle: str,
    tmp_dir: str,
    module_path: str,
    *,
    digests: Mapping[str, tuple[int, str]] | None = None,
    algorithm: str | None = None,
    replace_existing: bool = False,
) -> None:
    """Writes the bookkeeping beside the entry and renames the complete folder into place.

    Args:
        handle: the handle, written (redacted) in the descriptor.
        tmp_dir: the complete folder.
        module_path: where it goes.
        digests: {relative path: (size, hex hash)} computed while extracting, if any; files
            missing from it (or of another size) are hashed here.
        algorithm: the hashlib name of `digests`' hashes.
        replace_existing: a folder at `module_path` is replaced. Otherwise a complete folder
            found there was installed meanwhile by a process that ignores tfhub's lock, maybe in
            use already: it is kept, as tensorflow_hub keeps it, and `tmp_dir` is not
            installed (an incomplete one is replaced).

    Raises:
        tfhub.errors.CacheError: if the bookkeeping cannot be written (naming the file); then
            neither the descriptor nor the manifest is left behind.
    """
    if not replace_existing and _installed_by_another(module_path):
        return
    aside = cache.install_bookkeeping.write_bookkeeping(
        handle,
        tmp_dir,
        module_path,
        digests=digests,
        algorithm=algorithm,
        replace_existing=replace_existing,
    )
    written = (cache.descriptor_path(module_path), cache.manifest_path(module_path))
    cache.group_modes.readable_by_the_group(tmp_dir, written)
    if aside is None and os.path.lexists(module_path):
        # Checked again: another writer may have installed it while we wrote the bookkeeping.
        if not replace_existing and _installed_by_another(module_path):
            return
        # The one `replace` replaces, or a damaged one.
        aside = deleting.set_aside(module_path)
    if _rename_into_place(tmp_dir, module_path, aside):
        logger.info("Downloaded TF-Hub Module %r.", redact(handle))


def _rename_into_place(tmp_dir: str, module_path: str, aside: str | None) -> bool:
    """Renames the complete `tmp_dir` to `module_path`, then deletes `aside` (the folder it
    replaces, renamed aside), if any; if the rename fails, `aside` is put back in place.

    Returns:
        True if installed; False if the rename failed because another process installed a
        complete entry there meanwhile (kept, and logged).

    Raises:
        OSError: the rename failed otherwise.
    """
    try:
        os.rename(tmp_dir, module_path)
    except OSError:
        if aside is not None and not os.path.lexists(module_path):
            old, aside = aside, None
            os.rename(old, module_path)  # Not replaced after all: it stays.
        if not _installed_by_another(module_path):
            raise
        return False
    finally:
        if aside is not None:
            cache.remove_tree(aside)  # Only now: killed while deleting, ours is in place.
    return True


def _installed_by_another(module_path: str) -> bool:
    """True (and logged as upstream logs it) if a complete entry is at `module_path`.

    `cache.remote` has its own on purpose: a gfile entry is checked by one bounded request
    (`remote_check.damage`), a local one by `cache.is_complete` after `lexists` (no folder:
    no log)."""
    if not (os.path.lexists(module_path) and cache.is_complete(module_path)):
        return False
    logger.warning(
        "Module already exists in %s (installed by another process).", escaped(module_path)
    )
    return True
