"""A named pipe in place of an entry's manifest, descriptor or tensorflow_hub lock file
(review50a-F6): opening it for reading waited for a writer forever, so `hub.resolve`, `tfhub
cache list` and `tfhub cache verify` hung. Each call runs in a child process with a timeout.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from tests._helpers.archives import make_tar_gz

from tfhub.cache.importing import import_archive

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")

_HANDLE = "https://h.example/m/1"
_CALLS = {
    "resolve": "import tfhub as hub; print(hub.resolve(sys.argv[1]))",
    "list": "from tfhub.cli.main import main; sys.exit(main(['cache', 'list']))",
    "verify": "from tfhub.cli.main import main; sys.exit(main(['cache', 'verify']))",
}


def _run(call: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), TFHUB_OFFLINE="1")
    code = "import sys\n" + _CALLS[call]
    try:
        return subprocess.run(
            [sys.executable, "-c", code, _HANDLE],
            env=env, capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail(f"{call} hung on a named pipe")


def _entry_with_a_pipe(tmp_path, suffix: str) -> str:
    entry = import_archive(make_tar_gz(tmp_path / "m.tar.gz"), _HANDLE)
    if os.path.lexists(entry + suffix):
        os.remove(entry + suffix)
    os.mkfifo(entry + suffix)
    return entry


@pytest.mark.parametrize("call", sorted(_CALLS))
def test_a_manifest_that_is_a_pipe_is_damage_not_a_hang(isolated_cache, tmp_path, call):
    _entry_with_a_pipe(tmp_path, ".manifest.json")
    done = _run(call)
    if call == "resolve":  # Damaged, and offline: not downloaded again.
        assert "OfflineModeError" in done.stderr and "manifest" in done.stderr
    elif call == "verify":
        assert done.returncode == 1 and "DAMAGED" in done.stdout
    else:
        assert done.returncode == 0 and "damaged" in done.stdout


@pytest.mark.parametrize("call", ["list", "verify"])
def test_a_descriptor_that_is_a_pipe_is_no_descriptor(isolated_cache, tmp_path, call):
    entry = _entry_with_a_pipe(tmp_path, ".descriptor.txt")
    done = _run(call)
    assert done.returncode in (0, 1) and os.path.basename(entry) in done.stdout


def test_a_tensorflow_hub_lock_that_is_a_pipe_does_not_hang_verify(isolated_cache, tmp_path):
    entry = _entry_with_a_pipe(tmp_path, ".lock")
    done = _run("verify")
    assert os.path.basename(entry) in done.stdout
