"""Caches on tf.io.gfile filesystems (`TFHUB_CACHE_DIR=gs://...`, `ram://...`), as 0.10.0 allowed.

These filesystems have no OS lock and no atomic folder rename (`ram://` cannot rename folders;
GCS renames object by object), so tfhub keeps what it can:

- a download goes into a LOCAL temporary folder first: a failed or refused download writes
  nothing to the remote cache;
- the files are copied whole into `<entry>.<uuid>.tmp/` beside the entry (the entry there, if
  any, is still served, and kept if the copy fails); then the old manifest is removed (the
  entry is incomplete from here: not served, downloaded again), tfhub's descriptor is written,
  the old files are removed, the new ones renamed into place one by one (a file appears whole:
  TensorFlow's ram:// appends to a file written over, and two writers of one file mix their
  bytes), and the manifest LAST: it is the commit mark. A reader never finds a mix of old and
  new files that looks complete; a failure leaves the old entry or no complete one;
- a staging folder names its owner in `<entry>.<uuid>.owner`: one a killed copy left is
  removed by the next copy of the entry once its owner is known to be gone (see
  `tfhub.cache.remote_staging`);
- an entry tensorflow_hub wrote (its descriptor, not marked as tfhub's, and no manifest) is
  served if its folder is not empty, as tensorflow_hub itself decides (and, if it is a
  SavedModel, `saved_model.pb`); an entry with neither descriptor nor manifest is an
  interrupted copy;
- threads of one process resolving one entry take turns (`_entry_turn`): the first downloads
  and copies it, the others find it complete;
- what is weaker: concurrent first downloads of one handle in other processes or machines are
  not deduplicated, each downloads and stages the same bytes; one that finds the entry
  complete once its copy is staged keeps it (another finished first, and its jobs may be
  loading it) and drops its copy, unless it replaces on purpose (`tfhub import --force`); a
  window remains between that check and the commit, where two commits at once do not fail on
  the files each removes of the other's (the last manifest written completes the entry).
  `tfhub cache` commands manage local caches only.

Every request to the filesystem (the completeness check as one; each folder made, file copied,
renamed or removed, listing, and owner or manifest file written or read) ends within
TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT, else a RetryTimeoutError names its path and
both settings (`tfhub.gfile_io`): TensorFlow's GCS client waits up to an hour for an answer,
then retries. A request that timed out may still run in its thread (TensorFlow's cannot be
stopped); the manifest is still written last, so a failure leaves no entry that looks complete.

TensorFlow is imported only when such a cache is used.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from .. import constants, errors, gfile_io
from ..utils.lazy import import_tensorflow
from ..utils.lock_wait import WARN_AFTER_SEC
from ..utils.printable import escaped, quoted_reason
from ..utils.redact import redact
from ..utils.temp_folders import make_temporary_folder
from . import bookkeeping, entry_files, layout, manifest_writing, remote_staging
from .remote_check import SIBLING, damage

logger = logging.getLogger(__name__)

Fetch = Callable[[str], object]

_turns_lock = threading.Lock()
_turns: dict[str, tuple[threading.Lock, int]] = {}  # Entry -> (its lock, threads using it).


def _forget_turns() -> None:
    """In a child forked meanwhile: the threads whose turns it inherited, held, are not there."""
    global _turns_lock
    _turns_lock = threading.Lock()
    _turns.clear()


if hasattr(os, "register_at_fork"):  # pragma: no branch - POSIX.
    os.register_at_fork(after_in_child=_forget_turns)


@contextmanager
def _entry_turn(module_path: str) -> Iterator[None]:
    """Holds the entry's turn among this process's threads (two copies committed at once
    would remove each other's files); the lock is forgotten when no thread uses it."""
    with _turns_lock:
        lock, users = _turns.get(module_path, (threading.Lock(), 0))
        _turns[module_path] = (lock, users + 1)
    try:
        if not lock.acquire(timeout=WARN_AFTER_SEC):
            logger.warning(
                "Waiting for another thread of this process to finish copying %s into the cache.",
                escaped(module_path),
            )
            lock.acquire()  # Bounded by that thread's download and copy, which have deadlines.
        try:
            yield
        finally:
            lock.release()
    finally:
        with _turns_lock:
            entry = _turns.get(module_path)
            if entry is not None and entry[0] is lock:  # Else forked meanwhile: not ours.
                if entry[1] > 1:
                    _turns[module_path] = (lock, entry[1] - 1)
                else:
                    del _turns[module_path]


def atomic_download(
    handle: str,
    fetch: Fetch,
    *,
    module_path: str,
    local: bool = False,
    replace: bool = False,
) -> str:
    """Returns the entry of `handle` in a gfile cache, fetching and copying it there if needed.

    `tfhub.download.atomic_download` calls it for such a cache; not its duplicate on purpose:
    with no OS lock and no atomic folder rename, threads take turns and the copy is staged,
    then committed manifest-last (see the module's docstring), instead of locked and renamed.

    Args:
        handle: the handle (written in the descriptor).
        fetch: fills an empty local folder with the module's files.
        module_path: the entry's folder in the gfile cache.
        local: `fetch` reads local files only, so TFHUB_OFFLINE does not forbid it.
        replace: fetch even if the entry is complete, and replace it (kept if the fetch or the
            copy fails; see `install`).

    Returns:
        `module_path`.

    Raises:
        tfhub.errors.OfflineModeError: if TFHUB_OFFLINE is set and the entry is missing.
        tfhub.errors.UnregisteredFileSystemError: TensorFlow has no file system for the
            entry's scheme (s3://), said before anything is fetched.
        tfhub.errors.CacheError: if the cache cannot be written.
        Whatever `fetch` raises; nothing is then written to the cache.
    """
    gfile_io.refuse_unregistered(module_path, verb="write")  # Before anything is fetched.
    if not replace and damage(module_path) is None:
        return module_path
    with _entry_turn(module_path):
        return _download_in_turn(
            handle, fetch, module_path=module_path, local=local, replace=replace
        )


def _download_in_turn(
    handle: str, fetch: Fetch, *, module_path: str, local: bool, replace: bool
) -> str:
    """`atomic_download` while holding the entry's turn: another thread may have completed it
    meanwhile."""
    problem = "it is to be replaced" if replace else damage(module_path)
    if problem is None:
        return module_path
    root = module_path.rsplit("/", 1)[0]
    if constants.is_offline() and not local:
        raise errors.OfflineModeError(
            f"TFHUB_OFFLINE is set and {handle!r} is not complete in the cache {escaped(root)} "
            f"({escaped(problem)}). Pre-fill the cache where the network is available, or unset "
            "TFHUB_OFFLINE.",
            handle=redact(handle),
            cache_dir=root,
        )
    local_tmp = make_temporary_folder(
        "tfhub-remote-", needer=f"Downloading into the cache {escaped(root)}"
    )
    try:
        logger.info("Downloading TF-Hub Module %r (cache %s).", redact(handle), escaped(root))
        fetched = manifest_writing.as_fetch_result(fetch(local_tmp))
        install(handle, local_tmp, module_path, fetched=fetched, replace=replace)
    finally:
        shutil.rmtree(local_tmp, ignore_errors=True)
    return module_path


def install(
    handle: str,
    local_dir: str,
    module_path: str,
    *,
    fetched: manifest_writing.FetchResult | None = None,
    replace: bool = True,
) -> None:
    """Copies a complete local folder into the gfile cache, in place of any entry there.

    The files are first copied whole into `<entry>.<uuid>.tmp/` (the entry there, if any, is
    still served meanwhile and kept if this fails), then moved into the entry's folder after its
    old files are removed; the manifest, written last, makes it complete (see `_commit`).

    Args:
        handle: the handle (written in the descriptor).
        local_dir: the complete local folder.
        module_path: the entry's folder in the gfile cache.
        fetched: the hashes `fetch` computed while writing, if any.
        replace: replace a complete entry found there once the files are staged. Otherwise
            one found then (another process or machine copied it meanwhile, and its jobs may
            be loading it) is kept, as in a local cache, and the staged copy dropped.

    Raises:
        tfhub.errors.UnregisteredFileSystemError: TensorFlow has no file system for the
            entry's scheme (s3://).
        tfhub.errors.CacheError: naming the path, if the filesystem refuses a write.
    """
    _refuse_while_landing(module_path)
    files = entry_files.list_files(local_dir)
    manifest = _manifest(local_dir, files, fetched)
    staging_dir = layout.new_tmp_dir(module_path)  # `<entry>.<uuid>.tmp`, beside the entry.
    claimed = timed_out = False
    try:
        remote_staging.remove_abandoned(module_path)
        heartbeat = remote_staging.claim(staging_dir)
        claimed = True
        _stage(local_dir, staging_dir, sorted(files), heartbeat)
        if not replace and _installed_by_another(module_path):
            return
        _commit(handle, staging_dir, module_path, sorted(files), manifest)
    except errors.RetryTimeoutError:  # No clean-up: each of its requests would wait as long.
        timed_out = True
        raise
    except errors.UnregisteredFileSystemError:
        raise  # Said already (and a DownloadError too).
    except errors.DownloadError as err:  # A listing gfile_io asked (`is_dir`) was refused.
        raise _write_error(module_path, err.__cause__ or err) from err
    except errors.TFHubError:  # A CacheError: said already.
        raise
    except Exception as err:  # tf.errors.OpError and OSError: the filesystem refused.
        raise _write_error(module_path, err) from err
    finally:
        # Not made, or a server that gave no answer in time: not asked again (the staging
        # folder is removed by a later copy once this process has ended, or a day after its
        # last heartbeat: `remote_staging.abandoned`).
        if claimed and not timed_out:
            remote_staging.release(staging_dir)


def _manifest(
    local_dir: str, files: dict[str, int], fetched: manifest_writing.FetchResult | None
) -> str:
    """The manifest of `local_dir`'s `files` ({relative path: size}), hashing those `fetched`
    (the hashes computed while writing, if any) does not give."""
    algorithm = fetched[1] if fetched else bookkeeping.DEFAULT_ALGORITHM
    digests = manifest_writing.known_digests(files, fetched)
    for rel in files:
        if rel not in digests:
            digests[rel] = bookkeeping.file_digest(f"{local_dir}/{rel}", algorithm)
    return manifest_writing.manifest_text(files, digests, algorithm=algorithm)


def _stage(
    local_dir: str, staging_dir: str, names: list[str], heartbeat: remote_staging.Heartbeat
) -> None:
    """Copies the files `names` of `local_dir` into the claimed `staging_dir`, one by one,
    beating its `heartbeat` after each (so no other process takes it for abandoned)."""
    for rel in names:
        _copy(f"{local_dir}/{rel}", f"{staging_dir}/{rel}")
        heartbeat.beat()


def _write_error(module_path: str, err: BaseException) -> errors.CacheError:
    """The error for a write of the entry `module_path` the filesystem refused (`err`)."""
    return errors.CacheError(
        f"Cannot write the cache entry {escaped(module_path)}: "
        f"{quoted_reason(err, module_path)}. Check the "
        "filesystem's permissions, or set TFHUB_CACHE_DIR to a writable folder.",
        path=module_path,
    )


def _refuse_while_landing(module_path: str) -> None:
    """Raises RetryTimeoutError if a write of an earlier copy into the entry `module_path` (its
    files, descriptor or manifest) timed out in this process and still runs: landing after this
    copy, it would mix the two (one archive's graph, the other's weights, passing the check).

    Requests of other processes or machines cannot be told: nothing fences them (see
    docs/resolving.md).
    """

    def changes_entry(path: str) -> bool:
        return path.startswith(module_path + "/") or path in (
            module_path,
            layout.manifest_path(module_path),
            layout.descriptor_path(module_path),
        )

    late = gfile_io.landing(changes_entry)
    if late:
        limit = constants.http_retry_timeout()
        raise errors.RetryTimeoutError(
            f"Cannot copy into the cache entry {escaped(module_path)} now: an earlier copy's "
            f"request to {escaped(late[0])} timed out and is still running in this process "
            "(TensorFlow cannot stop it), and could land over this copy. Try again once it has "
            "ended, or restart the process.",
            url=module_path,
            seconds=0.0,
            cause="an earlier request still running",
            limit=limit,
            attempts=0,
        )


def _installed_by_another(module_path: str) -> bool:
    """True (and logged, as a local cache logs it) if the entry is complete.

    `tfhub.download` has its own on purpose: there, `cache.is_complete` checks a local folder
    (O(1), no request); here the check is `damage`, one request bounded in time."""
    if damage(module_path) is not None:
        return False
    logger.warning(
        "Module already exists in %s (installed by another process).", escaped(module_path)
    )
    return True


def _copy(source: str, target: str) -> None:
    """Copies a local file to a new name (written over, a file is appended to on some
    filesystems, as TensorFlow's ram://); each request bounded (`gfile_io`)."""
    gfile_io.makedirs(target.rsplit("/", 1)[0])
    gfile_io.copy(source, target, overwrite=True)


def _commit(
    handle: str, staging_dir: str, module_path: str, files: list[str], manifest: str
) -> None:
    """Puts the staged files in place of the entry's, as atomically as the filesystem allows.

    The old manifest goes first: from then on the entry is incomplete (not served; a resolve
    downloads it again), never a mix of old and new files that looks complete. tfhub's
    descriptor comes next (an entry of tensorflow_hub, which has no manifest, is then no
    longer taken for complete), then the old files go, the new ones are renamed into place, and
    the new manifest, written last, makes the entry complete. If a step fails, what was put in
    place is removed (as far as the filesystem lets): no half entry stays. Except after a
    request that timed out: the server gives no answer in time, so each clean-up request would
    wait as long again; what is there has no manifest (not served), unless the manifest's own
    write lands late, and then it finds exactly the files it describes. The next copy of the
    entry in this process waits for no such request: it refuses while one into the entry still
    runs (`_refuse_while_landing`).
    """
    manifest_path = layout.manifest_path(module_path)
    _remove_if_there(manifest_path)
    remote_staging.write_text(
        layout.descriptor_path(module_path), bookkeeping.descriptor_text(handle)
    )
    try:
        _remove_entry_files(module_path)
        for rel in files:
            target = f"{module_path}/{rel}"
            gfile_io.makedirs(target.rsplit("/", 1)[0])
            gfile_io.rename(f"{staging_dir}/{rel}", target, overwrite=True)
        remote_staging.write_text(manifest_path, manifest)
    except errors.RetryTimeoutError:  # Each clean-up request would wait as long; see above.
        raise
    except BaseException:
        _remove_half_entry(module_path)
        raise


def _remove_entry_files(module_path: str) -> None:
    """Removes every file of the entry's folder (not the files beside it: its descriptor,
    manifest and staging folders, which ram:// lists inside it)."""
    if not gfile_io.is_dir(module_path):
        return

    def enter(top: str, name: str) -> bool:  # The siblings ram:// shows inside: not entered.
        return top.rstrip("/") != module_path or not SIBLING.match(name.rstrip("/"))

    for top, _, names in gfile_io.walk_tree(module_path, enter=enter):
        at_top = top.rstrip("/") == module_path
        for name in names:
            if not (at_top and SIBLING.match(name)):
                _remove_if_there(f"{top.rstrip('/')}/{name}")


def _remove_if_there(path: str) -> None:
    """Removes a file; one that is gone already is fine: another process or machine putting
    its copy of the entry in place at the same time removed it (nothing locks them apart)."""
    try:
        gfile_io.remove(path)
    except import_tensorflow("A cache on a tf.io.gfile filesystem").errors.NotFoundError:
        pass


def _remove_half_entry(module_path: str) -> None:
    """Removes what a failed `_commit` put in place, and the descriptor (a failure is logged:
    without its manifest, what stays is not served anyway)."""
    try:
        _remove_entry_files(module_path)
        if gfile_io.exists(module_path):
            gfile_io.rmtree(module_path)
        descriptor = layout.descriptor_path(module_path)
        if gfile_io.exists(descriptor):
            gfile_io.remove(descriptor)
    except Exception as err:  # OpError, DownloadError, RetryTimeoutError: logged.
        logger.warning(
            "Could not remove the incomplete cache entry %s (it is not used; the next "
            "download replaces it): %s",
            escaped(module_path),
            quoted_reason(err, module_path),
        )
