"""The staging folders of a cache on a tf.io.gfile filesystem: who writes them, and removing
the ones a killed copy left.

A copy into a gfile cache stages its files in `<entry>.<uuid>.tmp/` (see `tfhub.cache.remote`).
Such a filesystem has no OS lock that dies with its holder, so each copy says who writes its
folder in a file beside it, `<entry>.<uuid>.owner` (JSON: host, pid, when it started, and
a heartbeat it renews at least every `HEARTBEAT_SEC` while it copies). A staging folder is
abandoned, and removed by the next copy of the same entry, when:

- its owner ran on this host and no process has its pid, or it is a zombie (exited, not yet
  reaped by its parent): known at once;
- its heartbeat is older than `ABANDONED_AFTER_SEC` (24 hours): its owner ran on another host
  (whose processes cannot be seen from here), or its pid was reused by another process;
- it has no owner file (a copy by an earlier tfhub) and its newest file is older than
  `ABANDONED_AFTER_SEC` (on a filesystem that records no modification time, as ram://, it is
  kept: its age cannot be told).

A live copy is never removed: its process runs on this host, or its heartbeat is recent.

Every request of these (and of `tfhub.cache.remote`) goes through `tfhub.gfile_io`, bounded by
TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT (RetryTimeoutError naming the path).
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import time
import uuid

from .. import errors, gfile_io
from ..utils import processes
from ..utils.printable import escaped, quoted_reason
from . import layout

logger = logging.getLogger(__name__)

OWNER_SUFFIX = ".owner"
HEARTBEAT_SEC = 60.0
ABANDONED_AFTER_SEC = 24 * 3600.0
_STAGING = re.compile(r"\.[0-9a-f]{32}" + re.escape(layout.TMP_SUFFIX) + "$")


class Heartbeat:
    """Renews a staging folder's owner file while its copy runs (at most every HEARTBEAT_SEC)."""

    def __init__(self, staging_dir: str, started: float) -> None:
        self._staging_dir = staging_dir
        self._started = started
        self._last = time.monotonic()

    def beat(self) -> None:
        """Writes a new heartbeat if the last one is HEARTBEAT_SEC old."""
        if time.monotonic() - self._last < HEARTBEAT_SEC:
            return
        _write_owner(self._staging_dir, started=self._started)
        self._last = time.monotonic()


def claim(staging_dir: str) -> Heartbeat:
    """Writes the owner file of a new staging folder and creates the folder.

    Returns:
        The heartbeat to renew while copying into it.
    """
    started = time.time()
    gfile_io.makedirs(staging_dir.rsplit("/", 1)[0])
    _write_owner(staging_dir, started=started)  # First: a folder has an owner from birth.
    gfile_io.makedirs(staging_dir)
    return Heartbeat(staging_dir, started)


def release(staging_dir: str) -> None:
    """Removes this process's staging folder, then its owner file (a failure is only logged:
    the next copy of the entry removes them once this process is gone)."""
    try:
        if gfile_io.exists(staging_dir):
            gfile_io.rmtree(staging_dir)
        owner = owner_path(staging_dir)
        if gfile_io.exists(owner):
            gfile_io.remove(owner)
    except Exception as err:  # OpError, DownloadError, RetryTimeoutError: logged.
        logger.warning(
            "Could not remove the temporary folder %s: %s",
            escaped(staging_dir),
            quoted_reason(err, staging_dir),
        )


def owner_path(staging_dir: str) -> str:
    """Returns the owner file of a staging folder: `<entry>.<uuid>.owner` (not named after the
    folder: ram:// would list it, by name prefix, inside the folder, which rmtree then fails)."""
    return staging_dir[: -len(layout.TMP_SUFFIX)] + OWNER_SUFFIX


def write_text(path: str, text: str) -> None:
    """Writes through a temporary name and a (file) rename, as atomic as the filesystem allows;
    each bounded (`gfile_io`): an upload that timed out and lands later leaves only its
    `.part` file, never `path`."""
    tmp = f"{path}.{uuid.uuid4().hex}{layout.PART_SUFFIX}"
    gfile_io.write_text(tmp, text)
    gfile_io.rename(tmp, path, overwrite=True)


def _write_owner(staging_dir: str, *, started: float) -> None:
    owner = {"host": socket.gethostname(), "pid": os.getpid(), "started": started}
    owner["heartbeat"] = time.time()
    write_text(owner_path(staging_dir), json.dumps(owner))


def staging_dirs(module_path: str) -> list[str]:
    """Returns the staging folders of an entry (from their folders and their owner files:
    ram:// does not list a folder that holds only folders), sorted."""
    found = set()
    for pattern in (module_path + ".*" + layout.TMP_SUFFIX, module_path + ".*" + OWNER_SUFFIX):
        try:
            matches = gfile_io.glob(pattern)
        except errors.RetryTimeoutError:  # The listing gave no answer in time.
            raise
        except errors.DownloadError:  # TensorFlow's NotFoundError: no cache folder yet.
            continue
        for path in matches:
            path = path.rstrip("/")
            if path.endswith(OWNER_SUFFIX):
                path = path[: -len(OWNER_SUFFIX)] + layout.TMP_SUFFIX
            if _STAGING.fullmatch(path[len(module_path) :]):
                found.add(path)
    return sorted(found)


def abandoned(staging_dir: str, *, now: float | None = None) -> str | None:
    """Says why a staging folder is abandoned (see the module's docstring), or None if a live
    copy may still write it."""
    now = time.time() if now is None else now
    owner = _read_owner(owner_path(staging_dir))
    if owner is None:
        newest = _newest_mtime(staging_dir)
        if newest and now - newest > ABANDONED_AFTER_SEC:
            return f"it has no owner and no file changed for {_hours(now - newest)}"
        return None
    host, pid, heartbeat = owner
    if host == socket.gethostname() and not processes.process_alive(pid):  # A zombie is gone too.
        return f"its process {pid} on this host is gone"
    if now - heartbeat > ABANDONED_AFTER_SEC:  # A live copy renews it every HEARTBEAT_SEC.
        return f"its process {pid} on {host} gave no sign of life for {_hours(now - heartbeat)}"
    return None


def remove_abandoned(module_path: str) -> list[str]:
    """Removes the abandoned staging folders of an entry (and their owner files).

    Returns:
        The folders removed.
    """
    removed = []
    for staging_dir in staging_dirs(module_path):
        why = abandoned(staging_dir)
        if why is not None:
            logger.info("Removing %s, left by an interrupted copy (%s).", escaped(staging_dir), why)
            release(staging_dir)
            removed.append(staging_dir)
    return removed


def _read_owner(path: str) -> tuple[str, int, float] | None:
    try:
        owner = json.loads(gfile_io.read_text(path, most=4096))
        return str(owner["host"]), int(owner["pid"]), float(owner["heartbeat"])
    except errors.TFHubError:  # RetryTimeoutError: not known to be abandoned.
        raise
    except Exception:  # tf.errors.NotFoundError, a torn or foreign file.
        return None


def _newest_mtime(folder: str) -> float:
    """The newest modification time of the folder's files (time.time() scale); 0 if unknown."""
    newest = 0
    try:
        for top, _, names in gfile_io.walk_tree(folder):
            for name in names:
                newest = max(newest, gfile_io.mtime_nsec(f"{top.rstrip('/')}/{name}"))
    except errors.TFHubError:  # RetryTimeoutError: its age is not known.
        raise
    except Exception:  # tf.errors.NotFoundError: removed meanwhile.
        return 0.0
    return newest / 1e9


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} hours"
