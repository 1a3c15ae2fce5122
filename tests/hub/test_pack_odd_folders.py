"""`tfhub pack` / `tfhub publish` of odd model folders: an unreadable folder or file. Each is
refused with one line naming the file and what to do; no archive (or part of one) is left."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from tests._helpers.python_process import child_env, python_command


@pytest.fixture
def shared_dir(system_tempdir):
    """A folder that the user `nobody` can read and write (tmp_path is private to root)."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv, to pack as the user nobody")
    folder = tempfile.mkdtemp(prefix="tfhub-pack-", dir=system_tempdir)
    os.chmod(folder, 0o777)
    try:
        yield Path(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


_PACK_AS_NOBODY = """
import sys
from tfhub.cli import _errors
from tfhub.hub import pack
try:
    pack.pack(sys.argv[1], sys.argv[2])
except Exception as err:
    sys.exit(_errors.report(err))
"""


@pytest.mark.parametrize("unreadable", ["assets/sub", "assets/sub/vocab.txt"])
def test_what_the_packer_cannot_read_is_named_not_left_out(shared_dir, unreadable):
    """A folder its user cannot list was packed as an empty folder (os.walk skips what it
    cannot list): an archive without the model's vocabulary, exit 0. A file it cannot read
    was a bare `[Errno 13] Permission denied: '...'`."""
    model = shared_dir / "model"
    (model / "assets/sub").mkdir(parents=True)
    (model / "saved_model.pb").write_bytes(b"")
    (model / "assets/sub/vocab.txt").write_text("a\nb\n")
    for path in [model, *model.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    (model / unreadable).chmod(0)
    command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    output = shared_dir / "m.tar.gz"
    done = subprocess.run(
        [*command, *python_command(_PACK_AS_NOBODY, os.fspath(model), os.fspath(output))],
        env=child_env(HOME=os.fspath(shared_dir)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr == (
        f"tfhub: OS error: Cannot read {model / unreadable} (Permission denied): make it "
        "readable (`chmod -R u+rX` as its owner), or pack as a user who can read it.\n"
    )
    assert sorted(os.listdir(shared_dir)) == ["model"]
