"""Another user's damaged entry that this user may not remove (rf56d-F2): `cache prune` leaves
it and says whose it is, `cache rm` and a resolve refuse it naming its owner, and nothing of the
owner's is touched.

In a sticky cache folder (mode 1777, as /tmp: every user writes, only owners rename or delete),
root's damaged entry made under umask 000: `prune --dry-run` said "would remove", `prune` failed
(exit 6) on every run advising to make the (writable) cache folder writable, `rm` the same, and a
resolve deleted root's files, downloaded, then failed to write the descriptor. In a cache of mode
777, root's damaged entry made under umask 022: prune promised and failed the same way
(`undeletable_entry_error` said so, but only to `store.remove`). The user nobody acts here (a
forked child, `run_as_user`, or `tfhub` through setpriv): needs root.
"""

from __future__ import annotations

import functools
import os

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.cache_users import run_as_user, tfhub_as_nobody

import tfhub as hub
from tfhub.cache import importing, store

pytestmark = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to act as two users"
)


@pytest.fixture
def handle(server, served_dir, tmp_path, monkeypatch) -> str:
    """An archive `server` serves, resolved once into another cache: the forked child, as
    nobody, may not read this interpreter's modules, so all are imported first."""
    make_tar_gz(served_dir / "m.tar.gz")
    url = server.url("m.tar.gz")
    monkeypatch.setenv("TFHUB_CACHE_DIR", os.fspath(tmp_path / "warm"))
    hub.resolve(url)
    return url


def _roots_damaged_entry(root: str, handle: str, tmp_path, *, mode: int, umask: int) -> str:
    """Root's entry of `handle` in the cache `root` (of `mode`), installed under `umask`, with
    a file missing; returns its folder."""
    os.mkdir(root)
    os.chmod(root, mode)
    os.environ["TFHUB_CACHE_DIR"] = root  # Restored by the monkeypatch of `handle`.
    old = os.umask(umask)
    try:
        entry = importing.import_archive(make_tar_gz(tmp_path / "own.tar.gz"), handle)
    finally:
        os.umask(old)
    os.remove(os.path.join(entry, "variables", "variables.index"))
    return entry


@pytest.fixture
def sticky_entry(shared_dir, handle, tmp_path) -> str:
    return _roots_damaged_entry(
        os.path.join(shared_dir, "cache"), handle, tmp_path, mode=0o1777, umask=0
    )


@pytest.fixture
def locked_entry(shared_dir, handle, tmp_path) -> str:
    return _roots_damaged_entry(
        os.path.join(shared_dir, "cache"), handle, tmp_path, mode=0o777, umask=0o022
    )


def _snapshot(root: str) -> list[tuple[str, int, int]]:
    """Every path below `root` but the locks, with its inode and size."""
    seen = []
    for folder, dirnames, names in os.walk(root):
        dirnames[:] = [name for name in dirnames if name != ".locks"]
        for name in dirnames + names:
            path = os.path.join(folder, name)
            seen.append(
                (os.path.relpath(path, root), os.lstat(path).st_ino, os.lstat(path).st_size)
            )
    return sorted(seen)


@pytest.mark.parametrize("kind", ["sticky_entry", "locked_entry"])
def test_prune_leaves_it_and_says_whose_it_is(request, kind):
    entry = request.getfixturevalue(kind)
    root = os.path.dirname(entry)
    before = _snapshot(root)
    done = tfhub_as_nobody("cache", "prune", "--dry-run", cache_dir=root)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"would leave {entry} (damaged entry: "), done.stdout
    assert "another user's (root, uid 0)" in done.stdout
    for _ in range(2):  # Every run: not a failure that repeats until the owner acts.
        done = tfhub_as_nobody("cache", "prune", cache_dir=root)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"kept {entry}: "), done.stdout
    assert _snapshot(root) == before


def test_rm_in_a_sticky_cache_names_the_owner_and_the_sticky_bit(sticky_entry):
    root = os.path.dirname(sticky_entry)
    before = _snapshot(root)
    outcome = run_as_user(store.remove, sticky_entry)
    assert outcome.kind == "raised", outcome
    kind, _, message = outcome.value.partition(": ")
    assert kind == "OtherUsersEntryError", outcome.value
    assert "another user (root, uid 0)" in message and "sticky bit" in message, message
    assert "Make " not in message and "writable for you" not in message, message
    assert _snapshot(root) == before


def test_resolve_in_a_sticky_cache_refuses_before_touching_the_owners_files(sticky_entry, handle):
    root = os.path.dirname(sticky_entry)
    before = _snapshot(root)
    outcome = run_as_user(functools.partial(hub.resolve), handle)
    assert outcome.kind == "raised", outcome
    kind, _, message = outcome.value.partition(": ")
    assert kind == "OtherUsersEntryError", outcome.value
    assert sticky_entry in message and "damaged" in message and "sticky bit" in message
    assert "TFHUB_CACHE_DIR" in message
    assert _snapshot(root) == before


def test_verify_says_whose_prune_removes_it(locked_entry):
    """verify's help says `tfhub cache prune` removes a damaged entry; this user's does not."""
    root = os.path.dirname(locked_entry)
    done = tfhub_as_nobody("cache", "verify", cache_dir=root)
    assert done.returncode == 1, done.stderr
    assert (
        "DAMAGED: variables/variables.index is missing; another user's (root, uid 0), which "
        "this user may not delete: its owner's `tfhub cache prune` removes it"
    ) in done.stdout, done.stdout


@pytest.fixture
def sticky_orphan_bookkeeping(shared_dir, handle, tmp_path) -> str:
    """Root's descriptor and manifest of an entry whose folder is gone (root's `cache rm`
    killed between the two), in a sticky cache folder; returns the entry's path."""
    entry = _roots_damaged_entry(
        os.path.join(shared_dir, "cache"), handle, tmp_path, mode=0o1777, umask=0o022
    )
    store.remove_tree(entry)
    return entry


def test_resolve_refuses_before_downloading_what_it_could_not_install(
    sticky_orphan_bookkeeping, handle, server
):
    """rf56d-F5: each resolve downloaded the model, then failed to write the descriptor
    ("Operation not permitted. Check the folder's permissions"): the folder is writable; the
    sticky bit keeps root's bookkeeping from being replaced."""
    from tests._helpers.http_server import archive_gets

    root = os.path.dirname(sticky_orphan_bookkeeping)
    before = _snapshot(root)
    sent = len(archive_gets(server, "m.tar.gz"))
    outcome = run_as_user(hub.resolve, handle)
    assert outcome.kind == "raised", outcome
    kind, _, message = outcome.value.partition(": ")
    assert kind == "OtherUsersEntryError", outcome.value
    assert f", the bookkeeping of cache entry {sticky_orphan_bookkeeping}," in message, message
    assert "another user (root, uid 0)" in message and "sticky bit" in message, message
    assert len(archive_gets(server, "m.tar.gz")) == sent  # Nothing downloaded in vain.
    assert _snapshot(root) == before
