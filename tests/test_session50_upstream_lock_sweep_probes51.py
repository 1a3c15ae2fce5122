"""One entry's unsafe lock file does not fail the downloads of other entries (rf51d-F1).

Every tfhub download first removes the tensorflow_hub `<entry>.lock` files of dead processes
on this host, each under that other entry's OS lock (`locks.remove_dead_upstream_locks`).
Since review50a-F5 taking a lock whose file is a link raises `UnsafeLockFileError`, which that
sweep let through: a linked `.locks/<sha1>.lock` of any entry, with a stale tensorflow_hub lock
of it, failed the download of every other model in the cache.
"""

from __future__ import annotations

import logging
import os
import socket

import pytest

from tfhub import cache
from tfhub.download import atomic_download

_PRECIOUS = b"precious\n"


def _fetch(target: str) -> None:
    with open(os.path.join(target, "saved_model.pb"), "wb") as out:
        out.write(b"model")


@pytest.mark.parametrize("link", ["symbolic", "hard"])
def test_another_entrys_unsafe_lock_does_not_fail_a_download(
    isolated_cache, tmp_path, caplog, link
):
    victim = tmp_path / "victim.txt"
    victim.write_bytes(_PRECIOUS)
    other = cache.module_dir("other")
    lock = cache.lock_path(other)
    os.makedirs(os.path.dirname(lock))
    (os.symlink if link == "symbolic" else os.link)(str(victim), lock)
    upstream = other + ".lock"  # tensorflow_hub's lock, naming this process, which never wrote it:
    with open(upstream, "w") as out:  # stale (see UpstreamLock.is_stale).
        out.write(f"{socket.gethostname()}.{os.getpid()}.0123abcd")
    with caplog.at_level(logging.WARNING, logger="tfhub"):
        path = atomic_download("h", _fetch)
    assert cache.is_complete(path)
    assert victim.read_bytes() == _PRECIOUS
    assert os.path.exists(upstream)  # Left: its entry's lock could not be taken.
    said = [r.getMessage() for r in caplog.records if upstream in r.getMessage()]
    assert said and lock in said[0] and "link" in said[0], caplog.text
