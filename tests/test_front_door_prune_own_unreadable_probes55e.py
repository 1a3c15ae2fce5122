"""An entry of this user's own that it may not read is damage as any other (docs/cli.md): `cache
verify` says DAMAGED and that `tfhub cache prune` removes it, so prune must remove it. It kept
it, calling it "another user's private entry?" whose owner "can check it with `tfhub cache
verify`" (rf55e-F3): the user went round verify -> prune -> verify for ever.

Needs root only to act as a user who is not root (root reads every file): the user nobody owns
the cache and the entry (`tfhub_as_nobody`)."""

from __future__ import annotations

import os

from tests._helpers.archives import make_tar_gz
from tests._helpers.cache_users import NOBODY, tfhub_as_nobody

_HANDLE = "https://models.example/own/m/1"


def test_prune_removes_an_own_entry_that_verify_calls_damaged(shared_dir) -> None:
    root = os.path.join(shared_dir, "cache")
    os.mkdir(root)
    os.chown(root, NOBODY, NOBODY)
    archive = make_tar_gz(os.path.join(shared_dir, "m.tar.gz"))
    os.chmod(archive, 0o644)
    done = tfhub_as_nobody("import", os.fspath(archive), "--handle", _HANDLE, cache_dir=root)
    assert done.returncode == 0, done.stderr
    entry = done.stdout.strip()
    os.chmod(entry + ".manifest.json", 0)  # nobody's own file, which nobody may not read.

    verify = tfhub_as_nobody("cache", "verify", cache_dir=root)
    assert verify.returncode == 1 and "DAMAGED: " in verify.stdout, verify.stdout
    dry = tfhub_as_nobody("cache", "prune", "--dry-run", cache_dir=root)
    assert dry.stdout.startswith(f"would remove {entry} "), dry.stdout
    pruned = tfhub_as_nobody("cache", "prune", cache_dir=root)
    assert pruned.returncode == 0, pruned.stderr
    assert "another user" not in pruned.stdout, pruned.stdout
    assert not os.path.lexists(entry) and not os.path.lexists(entry + ".manifest.json")
    after = tfhub_as_nobody("cache", "verify", cache_dir=root)
    assert after.returncode == 0, after.stdout
