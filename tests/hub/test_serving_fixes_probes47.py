"""review47b's findings on the hub's serving side, fixed: the cache folder's parents checked
before every pack and after `makedirs` (H1, M1), every symlink on its path (M1), the default
folder the user's own all the way (L8), user namespaces (M2), a folder changed during a pack
(M3, L1), docs read fine again forgotten (L2)."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tfhub import errors
from tfhub.hub import cache_dir

NOBODY = 65534  # The user nobody and the group nogroup (Debian).
needs_root = pytest.mark.skipif(
    not hasattr(os, "getuid") or os.getuid() != 0,
    reason="needs root: folders and links owned by another user (chown)",
)


def _as_nobody(work: Callable[[], None]) -> None:
    """Runs `work()` in a forked child as the user nobody (no groups); fails unless it ends."""
    pid = os.fork()
    if pid == 0:  # The child: never returns into pytest.
        code = 1
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            work()
            code = 0
        except BaseException as err:  # Any: said on stderr, the test fails.
            print(f"as nobody: {err!r}", file=sys.stderr)
        finally:
            os._exit(code)
    assert os.waitpid(pid, 0)[1] == 0


@pytest.fixture
def shared() -> Iterator[Path]:
    """A folder like /tmp (root's, mode 1777) that nobody can reach (not below tmp_path, whose
    parents are root's 0700)."""
    made = Path(tempfile.mkdtemp(prefix="hubfix47-", dir="/tmp"))
    os.chmod(made, 0o1777)
    yield made
    shutil.rmtree(made)


@needs_root
def test_a_parent_another_user_makes_before_the_first_pack_is_refused(shared):
    """H1: `create_app` checks with make=False (the parent missing: fine); another user makes
    the parent (0777) before the first pack: `recheck`, run before each pack, refuses it."""
    real = cache_dir.check_cache_dir(str(shared / "hub" / "packs"), make=False)
    assert not os.path.lexists(shared / "hub")
    _as_nobody(lambda: os.mkdir(shared / "hub", 0o777))
    problem = cache_dir.recheck(real)
    assert problem is not None
    assert problem.startswith(f"the folder {shared}/hub above it is owned by nobody (uid")


@needs_root
def test_parents_a_cleaner_removed_and_a_stranger_made_again_are_refused(shared):
    """H1: the parents removed while serving (a tmp cleaner) and made again by another user."""
    real = cache_dir.check_cache_dir(str(shared / "hub" / "packs"))
    assert cache_dir.recheck(real) is None
    os.rmdir(real)
    os.rmdir(shared / "hub")
    _as_nobody(lambda: os.mkdir(shared / "hub", 0o755))
    assert "above it is owned by nobody" in str(cache_dir.recheck(real))


def test_parents_made_under_umask_000_are_checked_after_makedirs(tmp_path):
    """M1: `makedirs` makes the missing parents 0777 under umask 000: refused now (they were
    accepted, then refused at the next start), and by `recheck` when it makes them."""
    old = os.umask(0)
    try:
        with pytest.raises(errors.ServeConfigError, match="writable by every user"):
            cache_dir.check_cache_dir(str(tmp_path / "a" / "b" / "cache"))
        real = cache_dir.check_cache_dir(str(tmp_path / "c" / "d" / "cache"), make=False)
        assert "writable by every user (o+w)" in str(cache_dir.recheck(real))
    finally:
        os.umask(old)
    assert oct(os.stat(tmp_path / "a" / "b").st_mode & 0o777) == "0o777"


@needs_root
def test_a_symlink_of_another_user_anywhere_on_the_path_is_refused(tmp_path):
    """M1: not only the last name: a stranger's link earlier on the path could be re-pointed
    (between the checks and `makedirs`) at a folder of theirs."""
    ours = tmp_path / "ours"
    ours.mkdir()
    link = tmp_path / "link"
    link.symlink_to(ours)
    os.lchown(link, NOBODY, NOBODY)
    with pytest.raises(errors.ServeConfigError) as raised:
        cache_dir.check_cache_dir(str(link / "deep" / "cache"))
    assert f"{link} on its path is a symlink owned by nobody (uid {NOBODY})" in str(raised.value)
    assert not (ours / "deep").exists()
    os.lchown(link, 0, 0)  # Root's (or this user's) link: followed.
    assert cache_dir.check_cache_dir(str(link / "deep" / "cache")) == str(ours / "deep" / "cache")


def test_the_default_folder_refuses_a_group_writable_parent_a_team_folder_takes(tmp_path):
    """L8: a parent writable by one of this user's groups (no sticky bit): fine for a team
    folder (--cache-dir, team=True), refused for the default folder, this user's alone."""
    team = tmp_path / "team"
    team.mkdir()
    os.chmod(team, 0o775)
    os.chown(team, -1, os.getgid())
    with pytest.raises(errors.ServeConfigError) as raised:
        cache_dir.check_cache_dir(str(team / "cache"), team=False)
    assert "must be this user's alone" in str(raised.value)
    real = cache_dir.check_cache_dir(str(team / "cache2"), team=True)
    assert cache_dir.recheck(real) is None
    os.chmod(team, 0o1775)  # Sticky: only an entry's owner may rename it.
    assert cache_dir.check_cache_dir(str(team / "cache"), team=False) == str(team / "cache")


@needs_root
@pytest.mark.parametrize(
    "uid_map, accepted",
    [("0 1000 1", True), ("1000 1000 1\n", True), ("0 0 4294967295", False)],
    ids=["root-mapped", "user-mapped", "no-namespace"],
)
def test_a_parent_of_the_overflow_uid_is_accepted_in_a_user_namespace(
    tmp_path, monkeypatch, caplog, uid_map, accepted
):
    """M2: in a user namespace, root's and the host's folders show the overflow uid: accepted
    there (INFO, once); outside one, uid 65534 is the user nobody: refused."""
    (tmp_path / "uid_map").write_text(uid_map)
    (tmp_path / "overflowuid").write_text(f"{NOBODY}\n")
    monkeypatch.setattr(cache_dir, "UID_MAP", str(tmp_path / "uid_map"))
    monkeypatch.setattr(cache_dir, "OVERFLOW_UID", str(tmp_path / "overflowuid"))
    monkeypatch.setattr(cache_dir, "_UNMAPPED_SAID", cache_dir.WarnedOnce(16))
    host = tmp_path / "host"
    host.mkdir()
    os.chown(host, NOBODY, NOBODY)
    caplog.set_level(logging.INFO, logger="tfhub.hub.cache_dir")
    if not accepted:
        with pytest.raises(errors.ServeConfigError, match="is owned by nobody"):
            cache_dir.check_cache_dir(str(host / "cache"))
        return
    real = cache_dir.check_cache_dir(str(host / "cache"))
    assert cache_dir.recheck(real) is None
    said = [r.getMessage() for r in caplog.records if "overflow uid" in r.getMessage()]
    assert len(said) == 1 and said[0].startswith(
        f"A folder above the cache folder is owned by uid {NOBODY}"
    )
    os.chmod(host, 0o777)  # Its mode is still judged.
    assert "writable by every user" in str(cache_dir.recheck(real))


USERNS_CHILD = textwrap.dedent(
    """
    import ctypes, logging, os, sys
    from tfhub.hub import cache_dir
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
    os.setgroups([]); os.setgid(1000); os.setuid(1000)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE: /proc/self/*_map writable after setuid.
    if libc.unshare(0x10000000) != 0:  # CLONE_NEWUSER
        print("UNSHARE-FAILED", ctypes.get_errno()); sys.exit(3)
    open("/proc/self/setgroups", "w").write("deny")
    open("/proc/self/uid_map", "w").write("1000 1000 1")
    open("/proc/self/gid_map", "w").write("1000 1000 1")
    print("ROOT-OWNER", os.stat("/").st_uid)
    default = cache_dir.default_cache_dir("/x")
    print("TAKEN", cache_dir.check_cache_dir(default, team=False, make=False))
    """
)


@needs_root
def test_the_default_folder_is_taken_in_a_real_user_namespace():
    """M2: a process of uid 1000 in a new user namespace (unshare(CLONE_NEWUSER), as rootless
    containers and `unshare -U` do) sees / and /tmp owned by the overflow uid: accepted."""
    done = subprocess.run(
        [sys.executable, "-c", USERNS_CHILD],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    if "UNSHARE-FAILED" in done.stdout:
        pytest.skip(f"unshare(CLONE_NEWUSER) is not allowed here: {done.stdout.strip()}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"ROOT-OWNER {NOBODY}" in done.stdout
    assert "TAKEN " in done.stdout and "overflow uid" in done.stdout
