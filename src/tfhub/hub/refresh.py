"""New versions without a restart: each worker re-scans ROOT when its docs tree changes.

Every `rescan_seconds`, a worker stats the folders and files under ROOT/assets/docs (no file is
read; below a model folder, only its own files) in a thread; when their names, sizes or mtimes
changed (a publish renames files into place, which also changes the folder's mtime), it builds
a new catalog and search index in a thread and swaps them in whole: a request sees either the
old state or the new one.

The first stamp is taken before the first catalog load (`create_app` passes it as `baseline`):
a doc published while that load runs, or before the server starts serving, then differs from
it and is picked up at the first rescan. Each rescan likewise stamps the tree before loading.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio.to_thread

from .. import errors
from .docs_layout import docs_dir, is_model_dir

logger = logging.getLogger(__name__)


def tree_stamp(root: str) -> str:
    """A digest of the names, sizes and mtimes of what the scan reads under ROOT/assets/docs:
    every folder and file, but below a model folder (a folder version's `<version>/`, whose
    insides the scan never reads: it may hold 60,000 files) only its own files (its markers)."""
    digest = hashlib.sha1(usedforsecurity=False)
    base = docs_dir(root)
    for folder, dirs, files in os.walk(base):
        dirs.sort()
        if folder != os.fspath(base) and is_model_dir(Path(folder)):
            dirs[:] = []  # Its own files are stamped below, and its mtime (its entries).
        for name in [".", *sorted(files)]:
            try:
                stat = os.lstat(os.path.join(folder, name))
            except OSError:
                continue
            digest.update(f"{folder}/{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


async def _watch(
    app: Any, load: Callable[[], Any], root: str, every: float, baseline: str | None
) -> None:
    stamp = baseline if baseline is not None else await anyio.to_thread.run_sync(tree_stamp, root)
    while True:
        await asyncio.sleep(every)
        current = await anyio.to_thread.run_sync(tree_stamp, root)
        if current == stamp:
            continue
        try:
            app.state.hub = await anyio.to_thread.run_sync(load)
            stamp = current
            logger.info("Re-scanned %s: %d models", root, len(app.state.hub.catalog.models))
        except errors.TFHubError as err:  # Says what is wrong (ROOT gone): no traceback.
            logger.warning("Re-scanning %s failed; still serving the previous scan: %s", root, err)
        except Exception:
            logger.exception("Re-scanning %s failed; still serving the previous scan", root)


def lifespan(load: Callable[[], Any], root: str, every: float, baseline: str | None = None) -> Any:
    """A Starlette lifespan that runs the watcher while the app runs (none if every <= 0).

    Args:
        load: builds the new state (called in a thread when the tree changed).
        root: the hub folder.
        every: seconds between looks at the tree.
        baseline: the `tree_stamp` taken before the state being served was loaded; None:
            stamp the tree when the watcher starts (a change before that is never seen).
    """

    @contextlib.asynccontextmanager
    async def run(app: Any) -> AsyncIterator[None]:
        if every <= 0:
            yield
            return
        task = asyncio.create_task(_watch(app, load, root, every, baseline))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return run
