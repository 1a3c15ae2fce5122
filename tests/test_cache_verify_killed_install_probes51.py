"""`tfhub cache verify` (and `prune --dry-run`) right after `tfhub import --force` was killed
between its new manifest and its rename say what prune does: it finishes the install.

They said the complete new folder was a leftover that `tfhub cache prune` removes, and its
manifest orphan bookkeeping, while prune puts that folder in place (fix50a's gap).
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys

from tests._helpers.archives import make_tar_gz, read_tree
from tests._helpers.killed_commit import KILL_AFTER_MANIFEST

from tfhub.cache import health
from tfhub.cache.importing import import_archive
from tfhub.cli.main import main

_HANDLE = "https://h.example/models/m/1"
_OLD = {"saved_model.pb": b"1" * 10}
_NEW = {"saved_model.pb": b"2" * 10}
_KILLED_IMPORT = (
    KILL_AFTER_MANIFEST
    + """
import sys
from tfhub.cache.importing import import_archive
import_archive(sys.argv[1], sys.argv[2], force=True)
"""
)


def _killed_force_import(tmp_path) -> str:
    entry = import_archive(make_tar_gz(tmp_path / "old.tar.gz", _OLD), _HANDLE)
    new = make_tar_gz(tmp_path / "new.tar.gz", _NEW)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    killed = subprocess.run([sys.executable, "-c", _KILLED_IMPORT, new, _HANDLE], env=env)
    assert killed.returncode == -9 and not os.path.lexists(entry)
    return entry


def _cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(list(argv))
    return status, out.getvalue()


def _new_folder(entry: str) -> str:
    root, name = os.path.split(entry)
    (tmp,) = [
        n
        for n in os.listdir(root)
        if n.startswith(name + ".") and n.endswith(".tmp") and not n.endswith(".deleting.tmp")
    ]
    return os.path.join(root, tmp)


def test_verify_says_prune_finishes_the_killed_install(isolated_cache, tmp_path):
    entry = _killed_force_import(tmp_path)
    new = _new_folder(entry)
    status, said = _cli("cache", "verify")
    assert status == 0
    install_lines = [line for line in said.splitlines() if os.path.basename(new) in line]
    assert install_lines and all("puts it in place" in line for line in install_lines), said
    assert "removes them" not in " ".join(install_lines), said


def test_prune_dry_run_says_it_finishes_the_killed_install(isolated_cache, tmp_path):
    entry = _killed_force_import(tmp_path)
    new = _new_folder(entry)
    _, said = _cli("cache", "prune", "--dry-run")
    lines = said.splitlines()
    assert f"would finish {new} (interrupted install" in said, said
    assert not [line for line in lines if line.startswith("would remove") and new in line]
    assert not [line for line in lines if "orphan bookkeeping" in line], said
    _cli("cache", "prune")
    assert read_tree(entry) == _NEW and health.deep_damage(entry) == (None, True)
    assert not [name for name in os.listdir(os.path.dirname(entry)) if name.endswith(".tmp")]
