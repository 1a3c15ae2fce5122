"""A cache a group writes (mode 2775): entries one member installs under a private umask (077)
are readable by the other members, as under the usual 022. They were 2700/600 (the manifest
and descriptor 600): another member saw every entry as damaged ("manifest is missing or
corrupt"), downloaded it again and could not remove the old one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.cache_users import NOBODY, import_with_umask, tfhub_as_nobody

HANDLE = "https://models.example/group/1"  # Never fetched: imported into the cache.


@pytest.mark.parametrize("umask", [0o077, 0o027], ids=["077", "027"])
def test_an_entry_installed_under_a_private_umask_is_read_by_the_group(
    shared_dir: Path, tmp_path: Path, umask: int
) -> None:
    cache_dir = shared_dir / "cache"
    cache_dir.mkdir()
    os.chown(cache_dir, 0, NOBODY)
    cache_dir.chmod(0o2775)
    import_with_umask(cache_dir, make_tar_gz(tmp_path / "m.tar.gz"), HANDLE, umask)
    (entry,) = [p for p in cache_dir.iterdir() if p.is_dir() and not p.name.startswith(".")]
    for path in [entry, *entry.rglob("*"), *cache_dir.glob(f"{entry.name}.*")]:
        wanted = 0o050 if path.is_dir() else 0o040  # The group's read (and enter) bits.
        assert path.stat().st_mode & wanted == wanted, (path, oct(path.stat().st_mode))
        assert not path.stat().st_mode & 0o007, (path, oct(path.stat().st_mode))  # Not others.
    verified = tfhub_as_nobody("cache", "verify", cache_dir=cache_dir, TFHUB_OFFLINE="1")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    resolved = tfhub_as_nobody("resolve", HANDLE, cache_dir=cache_dir, TFHUB_OFFLINE="1")
    assert resolved.returncode == 0 and resolved.stdout.strip() == str(entry), resolved.stderr


def test_a_private_cache_keeps_the_umasks_modes(tmp_path: Path) -> None:
    """Not a group's cache (0700, 0755): the umask decides, as for any file of the user."""
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    cache_dir.chmod(0o755)
    import_with_umask(cache_dir, make_tar_gz(tmp_path / "m.tar.gz"), HANDLE, 0o077)
    (entry,) = [p for p in cache_dir.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert entry.stat().st_mode & 0o777 == 0o700


def test_a_manifest_this_user_may_not_read_is_said_so(shared_dir: Path, tmp_path: Path) -> None:
    """Another user's private entry (installed under umask 077 in a cache that is not a
    group's): its manifest was "missing or corrupt", which sent users to re-download it."""
    cache_dir = shared_dir / "cache"
    cache_dir.mkdir()
    cache_dir.chmod(0o755)
    import_with_umask(cache_dir, make_tar_gz(tmp_path / "m.tar.gz"), HANDLE, 0o077)
    verified = tfhub_as_nobody("cache", "verify", cache_dir=cache_dir, TFHUB_OFFLINE="1")
    assert verified.returncode != 0
    assert "manifest.json cannot be read by this user" in verified.stdout + verified.stderr, (
        verified.stdout + verified.stderr
    )
