"""An install into the cache by a process at its limit of open files (RLIMIT_NOFILE, `ulimit -n`):
a server that leaks sockets, a data pipeline holding many files open.

Each child below runs `tfhub import` of a real archive with the limit a few descriptors above
what it has open, so each step of the install (the lock files, the archive, the decompressor's
lazy import, each extracted file) meets EMFILE in one of them. Before session 62 one child
waited 120 s for "tensorflow_hub's download" that did not exist (its lock file could not be
opened for want of a descriptor, which was read as a lock of an unknown process), and another
hung for ever (the decompressor failed to start in its thread, and nothing told the reader).
Every child must end soon, with success or a one-line tfhub error, and leave no half entry.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.python_process import child_env, python_command

import tfhub as hub
from tfhub import cache
from tfhub.cache import verify

HANDLE = "https://h.example/many/1"
FILES = {"saved_model.pb": b"pb", **{f"assets/{number}.txt": b"x" * 10 for number in range(60)}}

# In the child: tfhub's CLI imported (not the decompressor: its lazy import is a step that needs
# a descriptor), then the limit set `room` descriptors above those open, then the import.
_CHILD = """
import os, resource, sys
from tfhub.cli.main import main
room = int(sys.argv[2])
used = len(os.listdir("/proc/self/fd")) - 1  # Less the listing's own descriptor.
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (used + room, hard))
sys.exit(main(["import", sys.argv[1], "--handle", sys.argv[3]]))
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[int, Path, str]]:
    """(room, cache folder, outcome) of each child: its exit code and stderr, or "hung"."""
    folder = tmp_path_factory.mktemp("nofile")
    archive = make_tar_gz(folder / "many.tar.gz", FILES)
    outcomes = []
    for room in range(1, 7):
        cache_dir = folder / f"cache{room}"
        env = child_env(TFHUB_CACHE_DIR=os.fspath(cache_dir), TFHUB_LOCK_TIMEOUT="30")
        try:
            done = subprocess.run(
                python_command(_CHILD, archive, str(room), HANDLE),
                env=env,
                capture_output=True,
                text=True,
                timeout=15,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            outcomes.append((room, cache_dir, "hung"))
            continue
        outcomes.append((room, cache_dir, f"exit {done.returncode}\n{done.stderr}"))
    return outcomes


def test_every_step_short_of_descriptors_ends_soon(runs):
    hung = [room for room, _, outcome in runs if outcome == "hung"]
    assert hung == [], f"hung with room for {hung} more descriptors: {runs}"


def test_no_step_waits_for_a_download_that_does_not_exist(runs):
    """A lock file that could not be opened (EMFILE) was taken for tensorflow_hub's download."""
    for room, _, outcome in runs:
        assert "Waiting for tensorflow_hub's download" not in outcome, (room, outcome)


def test_each_failure_is_one_tfhub_line_and_the_cache_stays_valid(runs, monkeypatch):
    assert any(outcome.startswith("exit 0\n") for _, _, outcome in runs), runs  # One had room.
    for room, cache_dir, outcome in runs:
        if outcome == "hung":
            continue  # Said by the test above.
        code, _, err = outcome.partition("\n")
        if code != "exit 0":
            assert err.startswith("tfhub: ") and err.count("\n") == 1, (room, outcome)
            assert "Traceback" not in err and "corrupt" not in err, (room, outcome)
        if not cache_dir.exists():
            continue
        # An unused lock file may stay (`tfhub cache prune` removes it): a failed lazy import
        # of tfhub's recovery step, before the download's own cleanup (see the report, p62d).
        left = [
            path for path in cache.leftovers(os.fspath(cache_dir)) if not path.endswith(".lock")
        ]
        assert left == [], (room, outcome)
        monkeypatch.setenv("TFHUB_CACHE_DIR", os.fspath(cache_dir))
        path = hub.resolve(HANDLE) if code == "exit 0" else None
        if path is not None:
            assert verify.verify_entry(path).state == "ok", (room, outcome)


# In the child: every module the extraction may import is imported, the archive opened, then
# every descriptor the limit allows taken but `free`: the first member's file cannot be opened.
_EXTRACT_CHILD = """
import bz2, lzma, os, resource, sys
from tfhub import _archive, _archive_errors, errors
try:
    from isal import igzip_lib
except ImportError:
    pass
raw = open(sys.argv[1], "rb", buffering=0)
resource.setrlimit(resource.RLIMIT_NOFILE, (1024, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
held = []
try:
    while True:
        held.append(os.open(os.devnull, os.O_RDONLY))
except OSError:
    pass
for fd in held[len(held) - int(sys.argv[3]):]:
    os.close(fd)
try:
    _archive.extract(raw, sys.argv[2], source="many.tar.gz", local=True)
except errors.CacheError as err:
    print(isinstance(err, OSError), err.errno, err)
else:
    print("extracted")
"""


def test_an_extraction_without_a_descriptor_says_to_raise_the_limit(tmp_path):
    """It said "Cannot write many.tar.gz's files into T: Too many open files (T/saved_model.pb)."
    with nothing to do (reading, the archive was called "truncated or corrupt")."""
    archive = make_tar_gz(tmp_path / "many.tar.gz", FILES)
    outputs = []
    for free in (0, 1):
        target = tmp_path / f"into{free}"
        target.mkdir()
        done = subprocess.run(
            python_command(_EXTRACT_CHILD, archive, os.fspath(target), str(free)),
            env=child_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        outputs.append(done.stdout.strip() or done.stderr)
    assert outputs[1] == "extracted"  # One descriptor is all it needs: it opens one at a time.
    assert outputs[0] == (
        f"True 24 [Errno 24] Cannot extract many.tar.gz into {tmp_path / 'into0'}: this process "
        "has as many files open as its limit allows (Too many open files; `ulimit -n` is 1024). "
        "Raise that limit (e.g. `ulimit -n 4096`) or close files the program leaves open, then "
        "run again; nothing was installed."
    ), outputs


_RESOLVE_CHILD = """
import os, resource, sys
from tfhub.cli.main import main
room = int(sys.argv[2])
used = len(os.listdir("/proc/self/fd")) - 1  # Less the listing's own descriptor.
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (used + room, hard))
sys.exit(main(["resolve", sys.argv[1]]))
"""


def test_a_download_short_of_descriptors_ends_in_a_tfhub_error(tmp_path, served_dir, server):
    """The cleanup of a failed download (EMFILE while extracting) imported `subprocess` for
    `rm -rf`, which failed for want of a descriptor too: "tfhub: OS error: [Errno 24] Too many
    open files: '.../subprocess.py'" hid what failed. Only a lazy import of tfhub's own modules
    may still say "OS error" (said in the p62d report)."""
    make_tar_gz(served_dir / "many.tar.gz", FILES)
    said = []
    for room in range(1, 5):
        env = child_env(
            TFHUB_CACHE_DIR=os.fspath(tmp_path / f"cache{room}"), TFHUB_HTTP_RETRIES="1"
        )
        done = subprocess.run(
            python_command(_RESOLVE_CHILD, server.url("many.tar.gz"), str(room)),
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
        )
        said.append((room, done.returncode, done.stderr))
    assert any(code == 0 for _, code, _ in said), said
    for room, code, err in said:
        if code == 0:
            continue
        assert err.startswith("tfhub: ") and err.count("\n") == 1, (room, err)
        generic = err.startswith("tfhub: OS error: ")
        assert not generic or f"{os.sep}tfhub{os.sep}" in err, (room, err)
        assert generic or "`ulimit -n` is" in err, (room, err)
