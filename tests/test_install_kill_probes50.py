"""`tfhub import --force` killed between its new manifest and its rename (review50a-F1).

With an old and a new archive of the same file names and sizes (a model retrained with the same
architecture), the old folder stood under the new manifest: resolve served the old model,
`verify --deep` called it damaged, and `prune` deleted the complete new folder as a leftover.
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys

from tests._helpers.archives import make_tar_gz, read_tree
from tests._helpers.killed_commit import KILL_AFTER_MANIFEST

import tfhub
from tfhub.cache import health, prune
from tfhub.cache.importing import import_archive

_HANDLE = "https://h.example/models/m/1"
_OLD = {"saved_model.pb": b"1" * 10, "variables/variables.index": b"1" * 5}
_NEW = {"saved_model.pb": b"2" * 10, "variables/variables.index": b"2" * 5}

# Runs `tfhub import --force` and SIGKILLs itself right after the new manifest lands.
_KILLED_IMPORT = (
    KILL_AFTER_MANIFEST
    + """
import sys
from tfhub.cache.importing import import_archive
import_archive(sys.argv[1], sys.argv[2], force=True)
"""
)


def _killed_force_import(tmp_path) -> str:
    """Imports the old archive, then kills an `import --force` of the new one after its
    manifest; returns the entry's folder."""
    entry = import_archive(make_tar_gz(tmp_path / "old.tar.gz", _OLD), _HANDLE)
    new = make_tar_gz(tmp_path / "new.tar.gz", _NEW)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    killed = subprocess.run([sys.executable, "-c", _KILLED_IMPORT, new, _HANDLE], env=env)
    assert killed.returncode == -9
    return entry


def _served_state(entry: str) -> None:
    """The entry is whole with its own bookkeeping: the new model (the install was finished)
    under its manifest, or no folder at all; never the old model under the new manifest."""
    if os.path.isdir(entry):
        assert read_tree(entry) == _NEW
        assert health.deep_damage(entry)[0] is None


def test_a_resolve_after_the_kill_serves_the_new_model(isolated_cache, tmp_path):
    entry = _killed_force_import(tmp_path)
    assert tfhub.resolve(_HANDLE) == entry  # No download: the install is finished.
    assert read_tree(entry) == _NEW
    assert health.deep_damage(entry) == (None, True)
    assert glob.glob(glob.escape(entry) + ".*.tmp") == []


def test_prune_after_the_kill_finishes_the_install_instead_of_deleting_it(isolated_cache, tmp_path):
    entry = _killed_force_import(tmp_path)
    _served_state(entry)
    prune.prune()
    assert read_tree(entry) == _NEW
    assert health.deep_damage(entry) == (None, True)
    assert glob.glob(glob.escape(entry) + ".*.tmp") == []
