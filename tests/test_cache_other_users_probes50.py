"""In a cache a group writes, another member's private entry (umask 077: folder 700, files 600)
is not damage to a member who may not read it (review50a-F4).

`cache verify` called a tensorflow_hub entry this user may not enter "the folder holds no file",
and `cache prune` renamed such entries (tfhub's too: "manifest.json cannot be read by this
user") aside, then could not delete their files: the owner's complete model was gone.
Needs root, to act as two users (uids 1001 and 1002 of group 1234: they need not exist).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from tests._helpers.archives import make_tar_gz, tensorflow_hub_entry

from tfhub.cache.importing import import_archive

pytestmark = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to act as two users"
)

_OWNER, _OTHER, _GROUP = 1001, 1002, 1234

# As uid argv[1]: prints the entry's damage, then prune's outcomes, as JSON. Everything is
# imported (and run once on an empty cache) first: other uids may not read this interpreter.
_AS_OTHER = """
import errno, fcntl, glob, hashlib, json, os, shutil, socket, stat, subprocess, sys, tempfile, uuid
from tfhub.cache import health, prune
empty = tempfile.mkdtemp()
prune.prune(empty); health.damage(os.path.join(empty, "a" * 40))
os.setgroups([]); os.setgid(1234); os.setuid(int(sys.argv[1]))
damage = health.damage(sys.argv[2])
results = [(r.item.path, r.item.kind, r.outcome, r.detail) for r in prune.prune(sys.argv[3])]
print(json.dumps({"damage": damage, "pruned": results}))
"""


def _private(path: str) -> None:
    """Gives `path` (and all below) to the owner, readable by the owner only (umask 077)."""
    for folder, _, names in os.walk(path):
        os.chown(folder, _OWNER, _GROUP)
        os.chmod(folder, 0o700)
        for name in names:
            os.chown(os.path.join(folder, name), _OWNER, _GROUP)
            os.chmod(os.path.join(folder, name), 0o600)


@pytest.fixture
def group_cache(isolated_cache, shared_dir, monkeypatch) -> str:
    """A cache folder of mode 2775, group 1234, that every user may reach (`shared_dir`)."""
    root = os.path.join(shared_dir, "cache")
    os.mkdir(root)
    os.chown(root, 0, _GROUP)
    os.chmod(root, 0o2775)
    monkeypatch.setenv("TFHUB_CACHE_DIR", root)
    return root


def _as_other(entry: str, root: str) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run(
        [sys.executable, "-c", _AS_OTHER, str(_OTHER), entry, root],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_another_members_private_tensorflow_hub_entry_is_left_by_prune(group_cache):
    root = group_cache
    entry = tensorflow_hub_entry(root, "https://h.example/m/1")
    for path in (entry, entry + ".descriptor.txt"):
        _private(path)
    seen = _as_other(entry, root)
    assert seen["damage"] == "the folder cannot be read by this user"
    assert os.path.isdir(entry) and os.listdir(entry) == ["saved_model.pb"]
    assert [outcome for _, _, outcome, _ in seen["pruned"]] in ([], ["kept"])


def test_another_members_private_tfhub_entry_is_left_by_prune(group_cache, tmp_path):
    root = group_cache
    entry = import_archive(make_tar_gz(tmp_path / "m.tar.gz"), "https://h.example/m/1")
    for path in (entry, entry + ".descriptor.txt", entry + ".manifest.json"):
        _private(path)
    seen = _as_other(entry, root)
    assert "cannot be read by this user" in seen["damage"]
    assert os.path.isdir(entry) and os.path.isfile(entry + ".manifest.json")
    assert [outcome for _, _, outcome, _ in seen["pruned"]] in ([], ["kept"])
    assert not [name for name in os.listdir(root) if name.endswith(".tmp")]
