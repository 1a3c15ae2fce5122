"""A named pipe in place of a model file is read as damage, never waited on (rf51d-F2).

review50a-F6 made the bookkeeping reads (manifest, descriptor, tensorflow_hub's lock) take a
pipe for missing; the content hashes read the model's own files with a plain `open`, which waits
for a writer forever on a pipe. Since session 50 a resolve of a damaged entry (and `tfhub cache
prune`) hashes the folder a killed install left beside it before putting it in place, so a pipe
there in place of an empty file hung both, holding the entry's lock; `tfhub cache verify --deep`
hung on a pipe in a complete entry. Each call runs in a child process with a timeout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from tests._helpers.archives import MODEL_FILES, make_tar_gz

from tfhub.cache.importing import import_archive

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")

_HANDLE = "https://127.0.0.1:9/acme/m/1"  # Port 9 (discard): nothing answers a download.
_EMPTY = "assets/empty.txt"  # A model file of 0 bytes: a pipe in its place has its size.
_LEFT = ".0123456789abcdef0123456789abcdef.tmp"  # An install killed before its rename.
_CLI = "from tfhub.cli.main import main; sys.exit(main({}))"
_CALLS = {
    "resolve": "import tfhub as hub; print(hub.resolve(sys.argv[1]))",
    "prune": _CLI.format(["cache", "prune"]),
    "verify --deep": _CLI.format(["cache", "verify", "--deep"]),
}


def _run(call: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), TFHUB_HTTP_RETRIES="0")
    try:
        return subprocess.run(
            [sys.executable, "-c", "import sys\n" + _CALLS[call], _HANDLE],
            env=env, capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail(f"{call} hung on a named pipe in place of a model file")


def _entry(tmp_path) -> str:
    archive = make_tar_gz(tmp_path / "m.tar.gz", {**MODEL_FILES, _EMPTY: b""})
    return import_archive(archive, _HANDLE)


def _pipe_in_place_of_the_empty_file(folder: str) -> None:
    os.remove(os.path.join(folder, _EMPTY))
    os.mkfifo(os.path.join(folder, _EMPTY))


@pytest.mark.parametrize("call", ["resolve", "prune"])
def test_a_killed_installs_folder_with_a_pipe_is_not_waited_on_nor_put_in_place(
    isolated_cache, tmp_path, call
):
    entry = _entry(tmp_path)
    shutil.copytree(entry, entry + _LEFT)
    _pipe_in_place_of_the_empty_file(entry + _LEFT)
    os.remove(os.path.join(entry, "variables", "variables.index"))  # The entry is damaged.
    done = _run(call)
    assert "Finished the install" not in done.stderr, done.stderr
    pipe = os.path.join(entry, _EMPTY)
    assert not (os.path.lexists(pipe) and not os.path.isfile(pipe)), "a pipe was put in place"
    if call == "resolve":  # Not put in place, so downloaded again: nothing answers on port 9.
        assert done.returncode == 1 and "Cannot download" in done.stderr, done.stderr
    else:
        assert done.returncode == 0, done.stderr
        assert not os.path.lexists(entry) and not os.path.lexists(entry + _LEFT)


def test_verify_deep_says_a_pipe_in_place_of_a_model_file_is_damage(isolated_cache, tmp_path):
    entry = _entry(tmp_path)
    _pipe_in_place_of_the_empty_file(entry)
    done = _run("verify --deep")
    assert done.returncode == 1, (done.stdout, done.stderr)
    line = next(line for line in done.stdout.splitlines() if os.path.basename(entry) in line)
    assert "DAMAGED" in line and _EMPTY in line and "not a regular file" in line, line
