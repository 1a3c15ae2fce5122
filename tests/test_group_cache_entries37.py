"""A cache a group writes (mode 2775): entries one member installs under a private umask (077)
are readable by the other members, as under the usual 022. They were 2700/600 (the manifest
and descriptor 600): another member saw every entry as damaged ("manifest is missing or
corrupt"), downloaded it again and could not remove the old one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.python_process import child_env, python_command

HANDLE = "https://models.example/group/1"  # Never fetched: imported into the cache.
NOGROUP = 65534


def _import_as_root(cache_dir: Path, archive: str, umask: int) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tfhub", "import", archive, "--handle", HANDLE],
        env=child_env(TFHUB_CACHE_DIR=str(cache_dir)),
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.umask(umask),
    )
    assert done.returncode == 0, done.stderr


def _as_group_member(*argv: str, cache_dir: Path) -> subprocess.CompletedProcess[str]:
    """`tfhub ARGV` run by the user nobody, whose group is the cache's, offline."""
    code = "import sys; from tfhub.cli.main import main; sys.exit(main(sys.argv[1:]))"
    command = ["setpriv", f"--reuid={NOGROUP}", f"--regid={NOGROUP}", "--clear-groups"]
    env = child_env(TFHUB_CACHE_DIR=str(cache_dir), HOME=str(cache_dir.parent), TFHUB_OFFLINE="1")
    return subprocess.run(
        [*command, *python_command(code, *argv)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("umask", [0o077, 0o027], ids=["077", "027"])
def test_an_entry_installed_under_a_private_umask_is_read_by_the_group(
    shared_dir: Path, tmp_path: Path, umask: int
) -> None:
    cache_dir = shared_dir / "cache"
    cache_dir.mkdir()
    os.chown(cache_dir, 0, NOGROUP)
    cache_dir.chmod(0o2775)
    _import_as_root(cache_dir, make_tar_gz(tmp_path / "m.tar.gz"), umask)
    (entry,) = [p for p in cache_dir.iterdir() if p.is_dir() and not p.name.startswith(".")]
    for path in [entry, *entry.rglob("*"), *cache_dir.glob(f"{entry.name}.*")]:
        wanted = 0o050 if path.is_dir() else 0o040  # The group's read (and enter) bits.
        assert path.stat().st_mode & wanted == wanted, (path, oct(path.stat().st_mode))
        assert not path.stat().st_mode & 0o007, (path, oct(path.stat().st_mode))  # Not others.
    verified = _as_group_member("cache", "verify", cache_dir=cache_dir)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    resolved = _as_group_member("resolve", HANDLE, cache_dir=cache_dir)
    assert resolved.returncode == 0 and resolved.stdout.strip() == str(entry), resolved.stderr


def test_a_private_cache_keeps_the_umasks_modes(tmp_path: Path) -> None:
    """Not a group's cache (0700, 0755): the umask decides, as for any file of the user."""
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    cache_dir.chmod(0o755)
    _import_as_root(cache_dir, make_tar_gz(tmp_path / "m.tar.gz"), 0o077)
    (entry,) = [p for p in cache_dir.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert entry.stat().st_mode & 0o777 == 0o700


def test_a_manifest_this_user_may_not_read_is_said_so(shared_dir: Path, tmp_path: Path) -> None:
    """Another user's private entry (installed under umask 077 in a cache that is not a
    group's): its manifest was "missing or corrupt", which sent users to re-download it."""
    cache_dir = shared_dir / "cache"
    cache_dir.mkdir()
    cache_dir.chmod(0o755)
    _import_as_root(cache_dir, make_tar_gz(tmp_path / "m.tar.gz"), 0o077)
    verified = _as_group_member("cache", "verify", cache_dir=cache_dir)
    assert verified.returncode != 0
    assert "manifest.json cannot be read by this user" in verified.stdout + verified.stderr, (
        verified.stdout + verified.stderr
    )
