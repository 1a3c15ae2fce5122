"""`tfhub cache info` counts another user's leftovers apart from this user's (rf56d-F3), as
`cache verify` and `cache prune` tell them apart (rf55c-F1): its `leftovers: 1` for root's
killed download, which this user's prune leaves, said there was something for it to prune.
`tfhub.cache.leftovers()` ("what prune would remove") listed it too. Needs root and setpriv.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests._helpers.cache_users import cache_with_roots_leftover, run_as_user, tfhub_as_nobody

from tfhub import cache

ENTRY = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def roots_leftover(shared_dir: Path) -> tuple[str, str]:
    """A cache every user may write (777) holding root's leftover download (folders 755)."""
    return cache_with_roots_leftover(shared_dir, ENTRY)


def test_info_counts_other_users_leftovers_apart(roots_leftover):
    root, _ = roots_leftover
    done = tfhub_as_nobody("cache", "info", cache_dir=root)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "leftovers: 0" in lines, done.stdout
    assert [line for line in lines if line.startswith("other users' leftovers")] == [
        "other users' leftovers (this user may not delete them; their owners' `tfhub cache "
        "prune` removes them): 1"
    ], done.stdout


def test_leftovers_lists_only_what_prune_would_remove(roots_leftover):
    root, _ = roots_leftover
    assert run_as_user(cache.leftovers, root).result() == []


def test_the_owner_sees_it_as_its_own(roots_leftover, capsys):
    from tfhub.cli.main import main

    root, leftover = roots_leftover
    os.environ["TFHUB_CACHE_DIR"] = root  # isolated_cache's monkeypatch restores it.
    assert cache.leftovers(root) == [leftover]
    assert main(["cache", "info"]) == 0
    out = capsys.readouterr().out
    assert out.endswith("leftovers: 1\n") and "other users'" not in out, out
