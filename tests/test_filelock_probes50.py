"""The lock file of a cache entry is never followed through a link (review50a-F5).

In a cache a group writes (2775), any member may plant `.locks/<sha1>.lock` as a symlink (or a
hard link) to a file another member may write; the next member to resolve that entry truncated,
overwrote and chmod-ed the link's target with its own rights.
"""

from __future__ import annotations

import os
import stat

import pytest

from tfhub import errors
from tfhub.cache import locks
from tfhub.download import atomic_download
from tfhub.utils import filelock

_PRECIOUS = b"precious line 1\nprecious line 2\n"


def _victim(tmp_path) -> str:
    victim = tmp_path / "victim.txt"
    victim.write_bytes(_PRECIOUS)
    victim.chmod(0o600)
    return str(victim)


def _locks(tmp_path) -> str:
    locks = tmp_path / "cache" / ".locks"
    locks.mkdir(parents=True)
    for folder in (locks.parent, locks):
        folder.chmod(0o2775)
    return str(locks)


def _assert_untouched(victim: str) -> None:
    with open(victim, "rb") as data:
        assert data.read() == _PRECIOUS
    assert stat.S_IMODE(os.stat(victim).st_mode) == 0o600


def test_a_lock_file_planted_as_a_symlink_is_refused_and_its_target_untouched(tmp_path):
    victim = _victim(tmp_path)
    lock_path = os.path.join(_locks(tmp_path), "entry.lock")
    os.symlink(victim, lock_path)
    with pytest.raises(errors.UnsafeLockFileError) as raised:
        with filelock.weak_file_lock(lock_path, what="the test", timeout=1):
            pytest.fail("the block ran on a lock that is a link")
    _assert_untouched(victim)
    assert raised.value.path == lock_path
    assert "symbolic link" in str(raised.value) and lock_path in str(raised.value)
    assert "remove it" in str(raised.value).lower()
    assert isinstance(raised.value, OSError)


def test_a_lock_file_planted_as_a_hard_link_is_refused_and_its_target_untouched(tmp_path):
    victim = _victim(tmp_path)
    lock_path = os.path.join(_locks(tmp_path), "entry.lock")
    os.link(victim, lock_path)
    with pytest.raises(errors.UnsafeLockFileError, match="hard link"):
        with filelock.weak_file_lock(lock_path, what="the test", timeout=1):
            pytest.fail("the block ran on a lock that is a hard link")
    _assert_untouched(victim)


def test_a_locks_folder_planted_as_a_symlink_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cache = tmp_path / "cache"
    cache.mkdir()
    os.symlink(elsewhere, cache / ".locks")
    with pytest.raises(errors.UnsafeLockFileError, match="symbolic link"):
        with locks.entry_lock(str(cache / ("a" * 40)), what="the test", timeout=1):
            pytest.fail("the block ran in a linked folder of locks")
    assert os.listdir(elsewhere) == []


def test_try_lock_does_not_follow_a_link(tmp_path):
    victim = _victim(tmp_path)
    lock_path = os.path.join(_locks(tmp_path), "entry.lock")
    os.symlink(victim, lock_path)
    assert filelock.try_lock(lock_path) is None
    assert filelock.read_holder(lock_path) is None  # Never reads the link's target either.


def test_a_download_refuses_a_linked_lock_file_and_writes_nothing_through_it(tmp_path):
    victim = _victim(tmp_path)
    locks = _locks(tmp_path)
    module_path = os.path.join(os.path.dirname(locks), "a" * 40)
    os.symlink(victim, os.path.join(locks, "a" * 40 + ".lock"))

    def download(tmp_dir: str) -> None:
        pytest.fail("downloaded under a lock file that is a link")

    with pytest.raises(errors.UnsafeLockFileError):
        atomic_download("https://h.example/m/1", download, module_path=module_path)
    _assert_untouched(victim)
