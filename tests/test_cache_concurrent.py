"""`tfhub cache verify|list|info` while another process replaces or removes an entry: work in
progress is not damage.

`tfhub import --force` renames the old folder aside, writes the new manifest, then renames the
new folder into place: a child process is held inside that window (it waits for a file the test
creates) while the commands run in other processes.
"""

from __future__ import annotations

import os
import subprocess

import pytest
from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree
from tests._helpers.killed_commit import KILL_AFTER_MANIFEST
from tests._helpers.python_process import child_env, run_python, start_python

from tfhub import handles
from tfhub.cache import verify

_CLI = "import sys\nfrom tfhub.cli.main import main\nsys.exit(main(sys.argv[1:]))\n"
HANDLE = "https://h.example/models/m/1"

# `tfhub import --force`, held just after its new manifest is written (the old entry renamed
# aside, the new folder not yet in place) until the file argv[1] exists.
_HELD_IMPORT = """
import os, sys, time
from tfhub.cli.main import main

go = sys.argv.pop(1)
real_replace = os.replace

def replace(source, target, *args, **kwargs):
    real_replace(source, target, *args, **kwargs)
    if str(target).endswith(".manifest.json"):
        print("held", flush=True)
        while not os.path.exists(go):
            time.sleep(0.01)

os.replace = replace
sys.exit(main(sys.argv[1:]))
"""

_NEW_FILES = {"saved_model.pb": b"\x08\x02" * 40, "new_only.txt": b"new"}


def _tfhub(cache_dir: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = child_env(TFHUB_CACHE_DIR=cache_dir)
    return run_python(_CLI, *args, env=env, timeout=120, check=False)


@pytest.fixture
def cache_dir(tmp_path) -> str:
    cache_dir = os.fspath(tmp_path / "cache")
    done = _tfhub(cache_dir, "import", make_tar_gz(tmp_path / "old.tar.gz"), "--handle", HANDLE)
    assert done.returncode == 0, done.stderr
    return cache_dir


def test_verify_and_list_during_an_import_force_report_no_damage(cache_dir, tmp_path):
    """They said DAMAGED (exit 1) for the entry being replaced: the new manifest was checked
    against the old folder."""
    go = tmp_path / "go"
    new = make_tar_gz(tmp_path / "new.tar.gz", _NEW_FILES)
    env = child_env(TFHUB_CACHE_DIR=cache_dir)
    child = start_python(
        _HELD_IMPORT, os.fspath(go), "import", new, "--handle", HANDLE, "--force", env=env
    )
    try:
        assert child.stdout.readline() == "held\n", child.stderr.read()
        verified = _tfhub(cache_dir, "cache", "verify")
        listed = _tfhub(cache_dir, "cache", "list")
        info = _tfhub(cache_dir, "cache", "info")
    finally:
        go.touch()
        child.wait(timeout=120)
    assert child.returncode == 0, child.stderr.read()
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # In that window the old folder is aside and the new one not yet in place (review50a-F1):
    # no entry is listed, none as damaged.
    assert "DAMAGED" not in verified.stdout
    assert listed.returncode == 0 and "damaged" not in listed.stdout
    assert "damaged entries: 0" in info.stdout
    after = _tfhub(cache_dir, "cache", "verify", "--deep")
    assert after.returncode == 0 and "\tOK (content hashes checked)\t" in after.stdout


def test_an_entry_removed_after_listing_is_gone_not_damaged(cache_dir):
    entry = os.path.join(cache_dir, handles.cache_key(HANDLE))
    assert verify.verify_entry(entry).state == "ok"
    assert _tfhub(cache_dir, "cache", "rm", HANDLE).returncode == 0
    verdict = verify.verify_entry(entry)  # As for an entry `verify` listed before the rm.
    assert verdict.state == "gone" and verdict.damage == "the folder does not exist"


def test_a_damaged_entry_is_still_damage(cache_dir):
    entry = os.path.join(cache_dir, handles.cache_key(HANDLE))
    os.remove(os.path.join(entry, "saved_model.pb"))
    done = _tfhub(cache_dir, "cache", "verify")
    assert done.returncode == 1 and "\tDAMAGED: saved_model.pb is missing\t" in done.stdout
    assert len(MODEL_FILES) == 3  # The fixture's entry is the default model.


# `tfhub ARGS...`, held once it holds the entry's lock and is about to delete (until argv[1]
# exists).
_HELD_REMOVAL = """
import os, sys, time
from tfhub.cache import store
from tfhub.cli.main import main

go = sys.argv.pop(1)
real_remove_tree = store.remove_tree

def remove_tree(path, **kwargs):
    print("held", flush=True)
    while not os.path.exists(go):
        time.sleep(0.01)
    return real_remove_tree(path, **kwargs)

store.remove_tree = remove_tree
sys.exit(main(sys.argv[1:]))
"""


# `tfhub ARGS...` that prints "waiting" when it first finds the lock it wants held.
_WAITING = """
import fcntl, sys, types
from tfhub.cli.main import main
from tfhub.utils import filelock

def flock(fd, operation):
    try:
        return fcntl.flock(fd, operation)
    except BlockingIOError:
        if not told:
            told.append(print("waiting", flush=True))
        raise

told = []
names = {name: getattr(fcntl, name) for name in dir(fcntl) if name.isupper()}
filelock.fcntl = types.SimpleNamespace(**names, flock=flock)
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("second", [["cache", "rm", HANDLE], ["cache", "rm", "--all"]])
def test_rm_of_an_entry_another_rm_removed_while_it_waited_says_so(cache_dir, tmp_path, second):
    """The second said "removed the bookkeeping of ... (its folder was gone)" and counted it."""
    go = tmp_path / "go"
    env = child_env(TFHUB_CACHE_DIR=cache_dir)
    entry = os.path.join(cache_dir, handles.cache_key(HANDLE))
    first = start_python(_HELD_REMOVAL, os.fspath(go), "cache", "rm", HANDLE, env=env)
    try:
        assert first.stdout.readline() == "held\n", first.stderr.read()
        waiting = start_python(_WAITING, *second, env=env)
        assert waiting.stdout.readline() == "waiting\n", waiting.communicate()
    finally:
        go.touch()
        first.wait(timeout=120)
    out, err = waiting.communicate(timeout=120)
    assert first.returncode == 0 and waiting.returncode == 0, err
    assert f"{entry} was removed meanwhile by another process" in out
    assert "bookkeeping" not in out
    if "--all" in second:
        assert f"0 entries removed from {cache_dir}." in out


def test_an_import_that_waited_for_another_install_says_it_kept_that(cache_dir, tmp_path):
    """`tfhub import` (no --force) that found the entry being replaced waited for the lock,
    then kept what the other process installed and said nothing: its archive was dropped."""
    go = tmp_path / "go"
    env = child_env(TFHUB_CACHE_DIR=cache_dir)
    new = make_tar_gz(tmp_path / "new.tar.gz", _NEW_FILES)
    mine = make_tar_gz(tmp_path / "mine.tar.gz", {"saved_model.pb": b"mine"})
    first = start_python(
        _HELD_IMPORT, os.fspath(go), "import", new, "--handle", HANDLE, "--force", env=env
    )
    try:
        assert first.stdout.readline() == "held\n", first.stderr.read()
        waiting = start_python(_WAITING, "import", mine, "--handle", HANDLE, env=env)
        assert waiting.stdout.readline() == "waiting\n", waiting.communicate()
    finally:
        go.touch()
        first.wait(timeout=120)
    out, err = waiting.communicate(timeout=120)
    assert first.returncode == 0 and waiting.returncode == 0, err
    assert "installed by another process while this import waited) and was kept" in err
    assert f"pass --force to replace it with {mine}" in err


# `tfhub import --force`, killed just after its new manifest is written: its complete folder
# waits beside the old one's place (the old folder renamed aside).
_KILLED_IMPORT = (
    KILL_AFTER_MANIFEST
    + """
import sys
from tfhub.cli.main import main
sys.exit(main(sys.argv[1:]))
"""
)


def _kill_an_import_force_before_its_rename(cache_dir: str, tmp_path) -> str:
    """Returns the entry, left damaged (no folder under the new manifest)."""
    archive = make_tar_gz(tmp_path / "new.tar.gz", _NEW_FILES)
    env = child_env(TFHUB_CACHE_DIR=cache_dir)
    args = ("import", archive, "--handle", HANDLE, "--force")
    killed = run_python(_KILLED_IMPORT, *args, env=env, timeout=120, check=False)
    assert killed.returncode == -9, killed.stderr
    entry = os.path.join(cache_dir, handles.cache_key(HANDLE))
    assert not os.path.lexists(entry)  # The old folder is aside, the new one not in place.
    return entry


def test_prune_finishes_an_import_force_killed_before_its_rename(cache_dir, tmp_path):
    """Prune removed both the damaged entry and the complete new folder beside it: the killed
    `import --force` lost the old entry and the new one."""
    entry = _kill_an_import_force_before_its_rename(cache_dir, tmp_path)
    done = _tfhub(cache_dir, "cache", "prune")
    assert done.returncode == 0, done.stderr
    assert read_tree(entry) == _NEW_FILES
    assert _tfhub(cache_dir, "cache", "verify").returncode == 0
    assert [name for name in os.listdir(cache_dir) if name.endswith(".tmp")] == []


def test_a_resolve_finishes_an_import_force_killed_before_its_rename(cache_dir, tmp_path):
    """The next download of the entry put the new folder in place instead of fetching again."""
    entry = _kill_an_import_force_before_its_rename(cache_dir, tmp_path)
    code = (
        "import sys\nfrom tfhub import download\n"
        "def fetch(folder):\n    raise SystemExit('fetched again')\n"
        "print(download.atomic_download(sys.argv[1], fetch))\n"
    )
    done = run_python(code, HANDLE, env=child_env(TFHUB_CACHE_DIR=cache_dir), timeout=60)
    assert done.stdout.strip() == entry
    assert read_tree(entry) == _NEW_FILES
    assert _tfhub(cache_dir, "cache", "verify").returncode == 0
