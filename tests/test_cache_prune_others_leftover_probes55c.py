"""In a cache several users write, another member's leftover download that this user may not
delete is left by `tfhub cache prune`, not renamed aside (rf55c-F1).

A download killed under the usual umask 022 leaves `<entry>.<hex>.tmp/` with folders only its
owner may change. Another member's prune renamed it to `...deleting.tmp`, could not delete its
files and failed (exit 6) on that run and on every later one, advising `chmod -R u+w`, which
only the owner may run; its --dry-run had promised "would remove". docs/resolving.md: prune
leaves what is another user's and it cannot remove, and says so ("would leave", "kept").
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests._helpers.cache_users import cache_with_roots_leftover, tfhub_as_nobody

ENTRY = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(name="cache_with_roots_leftover")
def _cache_with_roots_leftover(shared_dir: Path) -> tuple[str, str]:
    """A cache every user may write (mode 777) holding root's leftover download (folders 755)."""
    return cache_with_roots_leftover(shared_dir, ENTRY)


def test_dry_run_says_it_would_leave_another_users_leftover(cache_with_roots_leftover):
    root, leftover = cache_with_roots_leftover
    done = tfhub_as_nobody("cache", "prune", "--dry-run", cache_dir=root)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"would leave {leftover} (leftover download: "), done.stdout
    assert "another user's (root, uid 0)" in done.stdout
    assert "its owner's `tfhub cache prune` removes it" in done.stdout


def test_prune_keeps_another_users_leftover_as_it_is(cache_with_roots_leftover):
    root, leftover = cache_with_roots_leftover
    for _ in range(2):  # Every run: not a failure that repeats until the owner acts.
        done = tfhub_as_nobody("cache", "prune", cache_dir=root)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"kept {leftover}: "), done.stdout
        assert "chmod -R u+w" not in done.stdout + done.stderr
        assert [name for name in os.listdir(root) if name != ".locks"] == [
            os.path.basename(leftover)
        ]
    assert sorted(os.listdir(leftover)) == ["saved_model.pb", "variables"]


def test_verify_says_whose_prune_removes_it(cache_with_roots_leftover):
    root, leftover = cache_with_roots_leftover
    done = tfhub_as_nobody("cache", "verify", cache_dir=root)
    assert done.returncode == 0, done.stderr
    assert (
        "1 leftover(s) of other users' interrupted downloads or removed entries that this "
        f"user may not delete (e.g. {leftover}): their owners' `tfhub cache prune` removes them."
    ) in done.stdout
    assert "`tfhub cache prune` removes them" not in done.stdout.replace("owners' `tfhub", "")


def test_the_owner_still_prunes_it(cache_with_roots_leftover, monkeypatch):
    """Root (the owner here) removes it as before."""
    from tfhub.cache import prune

    root, leftover = cache_with_roots_leftover
    monkeypatch.setenv("TFHUB_CACHE_DIR", root)
    [result] = [r for r in prune.prune(root) if r.item.path == leftover]
    assert result.outcome == "removed"
    assert not os.path.lexists(leftover)


@pytest.fixture
def sticky_cache_with_roots_leftovers(shared_dir: Path) -> tuple[str, list[str]]:
    """A cache of mode 1777 (every user writes, only owners delete: the sticky bit, as /tmp)
    holding root's orphan descriptor and root's `.part` file of a killed download."""
    root = os.path.join(shared_dir, "cache")
    os.mkdir(root)
    os.chmod(root, 0o1777)
    left = [os.path.join(root, f"{ENTRY}.descriptor.txt"), os.path.join(root, f"{ENTRY}.x.part")]
    for path in left:
        Path(path).write_text("root's")
    return root, left


def test_prune_leaves_what_the_sticky_bit_keeps_it_from_deleting(
    sticky_cache_with_roots_leftovers,
):
    """rf55c-F5: in a sticky cache folder, another user's orphan bookkeeping or `.part` file
    made every prune fail (exit 6), advising to make the (writable) folder writable."""
    root, left = sticky_cache_with_roots_leftovers
    done = tfhub_as_nobody("cache", "prune", "--dry-run", cache_dir=root)
    assert done.returncode == 0, done.stderr
    assert "would remove" not in done.stdout, done.stdout
    assert all(f"would leave {path} (" in done.stdout for path in left), done.stdout
    done = tfhub_as_nobody("cache", "prune", cache_dir=root)
    assert done.returncode == 0, done.stderr
    assert all(f"kept {path}: " in done.stdout for path in left), done.stdout
    assert all(os.path.exists(path) for path in left)
