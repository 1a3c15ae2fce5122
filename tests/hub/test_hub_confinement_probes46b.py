"""Session 46b (review46c's H-a, H-b, M-b, M-c and LOWs): the confined open passes through
folders the server may search but not list, and the cache of packed archives is checked once,
at its real path, by every way of starting the hub.

* H-b: folders on the walk are opened for search only (`O_PATH`), so ROOT or a folder above a
  file at mode 0711 serves the file (as before the walk); a file the server's user may not read
  is a 403 with one warning, not a 500. Run as the user nobody in a forked child (root reads
  everything);
* H-a, M-b: the cache folder's real path is taken once at start; a --cache-dir symlink made by
  another user is refused, and the library (`create_app`, `BackgroundServer`) checks it too;
* M-c: team folders (2775, group one of ours) and own 0775 are taken; o+w or another user's
  folder not shared with one of our groups are refused, saying which and the fix."""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tfhub.hub import confinement, files

NOBODY = 65534  # The user nobody and the group nogroup (Debian); the tests run as root here.


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder in /tmp the user nobody may pass through (pytest's tmp_path is root's 0700)."""
    made = Path(tempfile.mkdtemp(prefix="hubconf46b-", dir="/tmp"))
    os.chmod(made, 0o711)
    yield made
    shutil.rmtree(made)


def _as_nobody(work: Callable[[], Any]) -> Any:
    """`work()`'s result (or the exception it raised, re-raised), run in a forked child as the
    user nobody with no groups: permissions apply as they do to an unprivileged server."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # The child: never returns into pytest.
        os.close(read)
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            outcome: tuple[str, Any] = ("ok", work())
        except BaseException as err:  # Any: sent to the parent.
            outcome = ("raised", err)
        with os.fdopen(write, "wb") as pipe:
            pickle.dump(outcome, pipe)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        kind, value = pickle.load(pipe)
    os.waitpid(pid, 0)
    if kind == "raised":
        raise value
    return value


def _read_as_nobody(path: Path, root: Path) -> bytes | None:
    def read() -> bytes | None:
        fd = confinement.open_inside(path, root)
        if fd is None:
            return None
        try:
            return os.read(fd, 100)
        finally:
            os.close(fd)

    return _as_nobody(read)


# --- H-b: search permission is enough on the walk --------------------------------------------


def test_a_file_below_a_root_of_mode_0711_is_opened(shared_tmp):
    root = shared_tmp / "hub"
    model = root / "assets" / "docs" / "acme" / "models" / "m"
    model.mkdir(parents=True)
    (model / "1.tar.gz").write_bytes(b"the archive")
    for folder in [root, *model.relative_to(root).parents, model.relative_to(root)]:
        os.chmod(root / folder, 0o755)
    os.chmod(root, 0o711)
    os.chmod(model / "1.tar.gz", 0o644)
    assert _read_as_nobody(model / "1.tar.gz", root) == b"the archive"


def test_a_file_below_a_bucket_folder_of_mode_0711_is_opened(shared_tmp):
    bucket = shared_tmp / "bucket"
    bucket.mkdir(mode=0o711)
    os.chmod(bucket, 0o711)
    (bucket / "m.tar.gz").write_bytes(b"in the bucket")
    os.chmod(bucket / "m.tar.gz", 0o644)
    assert _read_as_nobody(bucket / "m.tar.gz", shared_tmp) == b"in the bucket"


def _serve(path: Path, root: Path) -> tuple[int, bytes, list[str]]:
    """GET `path` through `files.FileResponse` (the real ASGI response, no server): the status,
    the body and the warnings logged."""
    warnings: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: warnings.append(record.getMessage())  # type: ignore[method-assign]
    scope = {"type": "http", "method": "GET", "headers": []}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(dict(message))

    logging.getLogger("tfhub.hub").addHandler(handler)
    try:
        asyncio.run(files.FileResponse(path, root=root)(scope, receive, send))
    finally:
        logging.getLogger("tfhub.hub").removeHandler(handler)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:]), warnings


def test_a_file_the_server_may_not_read_is_a_403_with_one_warning(shared_tmp):
    secret = shared_tmp / "unreadable.tar.gz"
    secret.write_bytes(b"root's only")
    os.chmod(secret, 0o600)
    status, body, warnings = _as_nobody(lambda: _serve(secret, shared_tmp))
    assert status == 403, body
    assert body.startswith(b"403 Forbidden: the hub's server may not read this file")
    assert warnings == [f"Cannot send {secret}: Permission denied (answered 403)"]
